"""The portfolio overview end to end: three simulated sites, their briefs of two weeks, one run."""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import shutil
from email.message import EmailMessage
from pathlib import Path

import pandas as pd
import pytest

from argo_lib import brief, cli, config, dates, db
from argo_lib.cli_portfolio import add_portfolio_command
from argo_lib.jobs import portfolio
from argo_lib.jobs.weekly_brief import BriefRequest, compute_brief, publish_brief
from argo_lib.sim import demo
from argo_lib.sim.faults import Fault
from argo_lib.sim.portfolio import store_site
from argo_lib.sim.readings import simulate_readings
from argo_lib.sim.site import synthetic_channels

AS_OF = pd.Timestamp("2026-11-26 09:00", tz="UTC")
MONEY_ATOL = 1e-9  # sums of numbers copied from the briefs: only float rounding may differ
PROJECT_SITES = Path(__file__).resolve().parents[2] / "params" / "sites"
# two simulated sites beside the demo Wilson Center: (file stem, id, name, zone, first channel)
EXTRA_SITES = [
    ("depot", "901", "North Depot", "America/Chicago", 901001),
    ("annex", "902", "Harbour Annex", "America/New_York", 902001),
]
BRIEFS = {"2026-W46": ("23271", "901", "902"), "2026-W47": ("23271", "901")}  # annex: no W47


def _site_file(stem: str, site_id: str, name: str, tz: str, first: int) -> str:
    channels = "".join(
        f'  - {{channel_id: {first + i}, name: "Meter {i + 1}", role: sub, max_kw: 200}}\n'
        for i in range(3)
    )
    return (
        f'site_id: "{site_id}"\nname: {name}\ntimezone: {tz}\ncountry: US\n'
        "holidays: {country: US}\ntariff: {flat_rate_per_kwh: 0.15, currency: USD}\n"
        f"carbon_kg_per_kwh: 0.4\ndefault_resolution_s: 3600\nchannels:\n{channels}"
    )


def _load_site(engine, site_id: str, tz: str, first: int) -> None:
    """Six simulated weeks of a site with three meters; meter 1 left on at night in W46 and W47."""
    site = config.load_site(site_id)
    last = dates.report_week("2026-W47", tz=tz)
    channels = synthetic_channels(3, seed=int(site_id), first_id=first)
    faults = []
    for label in ("2026-W46", "2026-W47"):
        week = dates.report_week(label, tz=tz)
        night = week.start + pd.Timedelta(days=1, hours=19)  # Tuesday 19:00 to Friday 06:00
        faults.append(Fault(first, "after_hours", night, night + pd.Timedelta(hours=59), size=8.0))
    sim = simulate_readings(
        start=dates.baseline_period(last, weeks=5).start,
        end=last.end,
        resolution_s=3600,
        channels=channels,
        seed=int(site_id),
        site=site,
        faults=faults,
    )
    names = [f"Meter {i + 1}" for i in range(3)]
    store_site(engine, site, channels, resolution_s=3600, names=names)
    db.upsert_readings(engine, sim.readings)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Site files, a database and the briefs of W46 (three sites) and W47 (two), published."""
    folder = tmp_path_factory.mktemp("portfolio")
    (folder / "params" / "sites").mkdir(parents=True)
    shutil.copy(PROJECT_SITES / "wilson_center.yaml", folder / "params" / "sites")
    for stem, site_id, name, tz, first in EXTRA_SITES:
        text = _site_file(stem, site_id, name, tz, first)
        (folder / "params" / "sites" / f"{stem}.yaml").write_text(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARGO_PARAMS_DIR", str(folder / "params"))
        patch.setenv("ARGO_OUTPUTS_DIR", str(folder / "outputs"))
        patch.setenv("ARGO_SQLITE_PATH", str(folder / "argo.sqlite"))
        patch.setenv("DATABASE_URL", "")
        patch.delenv("MAIL_TO", raising=False)
        engine = db.get_engine(f"sqlite:///{folder / 'argo.sqlite'}")
        demo.build_demo_database(engine, weeks=6, end_week="2026-W47", resolution_s=3600)
        for _, site_id, _, tz, first in EXTRA_SITES:
            _load_site(engine, site_id, tz, first)
        docs = {}
        for week, sites in BRIEFS.items():  # W46 first: W47's briefs read it as history
            for site_id in sites:
                site = config.load_site(site_id)
                period = dates.report_week(week, tz=site.timezone)
                request = BriefRequest.resolve(
                    site_id=site_id,
                    week=week,
                    as_of=AS_OF,
                    engine=engine,
                    output_dir=folder / "outputs" / site_id / period.label,
                )
                made = compute_brief(request, engine=engine, generated_at=AS_OF)
                publish_brief(made)
                docs[site_id, week] = made.doc
        engine.dispose()
        yield folder, docs


def _request(**kwargs) -> portfolio.PortfolioRequest:
    return portfolio.PortfolioRequest.resolve(**({"week": "2026-W47", "as_of": AS_OF} | kwargs))


def test_the_published_briefs_are_valid_and_the_faults_were_found(world):
    _, docs = world
    for doc in docs.values():
        brief.validate_brief(doc)
    wins = docs["901", "2026-W47"]["sections"]["quickWins"]
    assert wins[0]["type"] == "after_hours_operation"
    assert wins[0]["evidence"][0]["channelId"] == 901001


def test_overview_ranks_counts_and_totals_the_sites_briefs(world):
    _, docs = world
    result = portfolio.compute_portfolio(_request())
    overview = result.overview
    wilson, depot = docs["23271", "2026-W47"], docs["901", "2026-W47"]
    savings = {
        "23271": wilson["summary"]["totalPotentialSavings"]["weeklyCost"],
        "901": depot["summary"]["totalPotentialSavings"]["weeklyCost"],
    }
    assert min(savings.values()) > 0
    ranked = sorted(savings, key=savings.get, reverse=True)
    assert list(overview.by_savings["site_id"]) == [*ranked, "902"]
    assert list(overview.by_savings["savings_rank"].iloc[:2]) == [1, 2]
    assert pd.isna(overview.by_savings["savings_rank"].iloc[2])
    statuses = {wilson["summary"]["status"], depot["summary"]["status"]}
    assert sum(overview.status_counts.values()) == 3
    assert overview.status_counts["no_brief"] == 1
    for status in statuses:
        expected = [wilson["summary"]["status"], depot["summary"]["status"]].count(status)
        assert overview.status_counts[status] == expected
    totals = overview.totals
    assert (totals["sites"], totals["with_brief"], totals["no_brief"]) == (3, 2, 1)
    assert totals["savings_cost"] == pytest.approx(sum(savings.values()), abs=MONEY_ATOL)
    used = [d["summary"]["consumption"]["weekKwh"] for d in (wilson, depot)]
    assert totals["energy_kwh"] == pytest.approx(sum(used), abs=MONEY_ATOL)
    issues = [d["sections"]["sensorHealth"]["totalIssues"] for d in (wilson, depot)]
    assert totals["issues"] == sum(issues)
    # the demo's faults (a gap, a stuck meter) make Wilson the site with the most data problems
    assert overview.by_data_problems["site_id"].iloc[0] == "23271"
    assert overview.by_data_problems["data_rank"].iloc[0] == 1


def test_the_simulated_week_in_numbers(world):
    # North Depot's meter 1 ran 8 kW extra for three nights: the most to save; Wilson's demo
    # faults (a 6-hour gap, a stuck meter) give it the only data issues
    overview = portfolio.compute_portfolio(_request()).overview
    sites = overview.by_savings.set_index("site_id")
    assert list(sites.index) == ["901", "23271", "902"]
    assert list(sites["status"]) == ["attention_needed", "attention_needed", "no_brief"]
    assert sites.loc["901", "savings_cost"] == pytest.approx(44.41, abs=MONEY_ATOL)
    assert sites.loc["23271", "savings_cost"] == pytest.approx(13.26, abs=MONEY_ATOL)
    assert overview.totals["savings_cost"] == pytest.approx(57.67, abs=MONEY_ATOL)
    assert list(sites["issues"].iloc[:2]) == [0, 2]
    assert list(sites["data_rank"].iloc[:2]) == [2, 1]
    assert list(sites["recurring_weeks"].iloc[:2]) == [2, 1]
    assert overview.totals["recurring_sites"] == 1
    assert overview.status_counts == {
        "action_required": 0,
        "attention_needed": 2,
        "operating_normally": 0,
        "not_assessed": 0,
        "no_brief": 1,
    }


def test_a_finding_in_both_weeks_counts_two_weeks_in_a_row(world):
    _, docs = world
    sites = portfolio.compute_portfolio(_request()).overview.sites.set_index("site_id")
    depot = sites.loc["901"]
    assert depot["top_finding"] == docs["901", "2026-W47"]["sections"]["quickWins"][0]["title"]
    assert depot["top_finding_kind"] == "quick_win"
    assert (depot["recurring_weeks"], depot["since_week"]) == (2, "2026-W46")
    # the brief itself, published after W46, says the same
    assert docs["901", "2026-W47"]["sections"]["quickWins"][0]["recurringWeeks"] == 2
    # the demo's faults are in its last week only: new this week
    assert (sites.loc["23271", "recurring_weeks"], sites.loc["23271", "since_week"]) == (
        1,
        "2026-W47",
    )
    assert sites.loc["902", "status"] == "no_brief"
    assert sites.loc["902", "note"] == "no brief published for 2026-W47"
    assert pd.isna(sites.loc["902", "recurring_weeks"])


def test_the_week_before_has_all_three_sites_and_no_recurrence(world):
    overview = portfolio.compute_portfolio(_request(week="2026-W46")).overview
    assert overview.status_counts["no_brief"] == 0
    assert overview.totals["with_brief"] == 3
    assert set(overview.sites["recurring_weeks"].dropna()) <= {1}


def test_consumption_against_the_baseline_follows_the_briefs(world):
    _, docs = world
    sites = portfolio.compute_portfolio(_request()).overview.sites.set_index("site_id")
    used = docs["901", "2026-W47"]["summary"]["consumption"]
    ratio = used["baselineMeanKw"] / used["meanKw"]
    assert sites.loc["901", "baseline_energy_kwh"] == pytest.approx(used["weekKwh"] * ratio)
    assert sites.loc["901", "baseline_cost"] == pytest.approx(used["weekCost"] * ratio)
    assert sites.loc["901", "change"] == pytest.approx(used["changePercent"] / 100.0)


def test_sites_and_week_are_checked_before_any_work(world):
    with pytest.raises(config.ConfigError, match="unknown site 'nowhere'"):
        _request(sites="23271,nowhere")
    with pytest.raises(portfolio.UsageError, match="more than once"):
        _request(sites=["901", "depot"])
    with pytest.raises(portfolio.UsageError, match="has not ended"):
        _request(week="2026-W48")
    with pytest.raises(portfolio.UsageError, match="week"):
        _request(week="2026-W99")
    assert _request(week="last").week == "2026-W47"
    assert [s.site_id for s in _request(sites="depot, 23271").sites] == ["901", "23271"]


def _run_cli(argv: list[str], monkeypatch) -> int:
    """``argo`` with the portfolio command registered as the lead registers it."""
    build = cli.build_parser

    def with_portfolio() -> argparse.ArgumentParser:
        parser = build()
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if "portfolio" not in commands.choices:
            add_portfolio_command(commands)
        return parser

    monkeypatch.setattr(cli, "build_parser", with_portfolio)
    return cli.main(argv)


@pytest.fixture(scope="module")
def run(world, tmp_path_factory):
    """``argo portfolio --week 2026-W47 --all-sites`` with a site report to attach."""
    folder, _ = world
    depot = folder / "outputs" / "901" / "2026-W47"
    (depot / "weekly_brief.html").write_text("<html><body>North Depot brief</body></html>")
    # the Wilson Center's brief as the kernel-less path publishes it: no HTML, its e-mail
    kernel_less = EmailMessage()
    kernel_less["Subject"] = "[Brief] Wilson Center, 2026-W47"
    kernel_less.set_content("The week in one line.")
    wilson = folder / "outputs" / "23271" / "2026-W47" / "weekly_brief.eml"
    wilson.write_bytes(bytes(kernel_less))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARGO_PARAMS_DIR", str(folder / "params"))
        patch.setenv("ARGO_OUTPUTS_DIR", str(folder / "outputs"))
        patch.setenv("MAIL_FROM", "argo@example.com")
        patch.setenv("MAIL_TO", "portfolio@example.com")
        status = _run_cli(["portfolio", "--week", "2026-W47", "--all-sites"], patch)
    return status, folder / "outputs" / "portfolio" / "2026-W47"


def test_the_run_publishes_notebook_html_json_charts_and_email(run):
    status, published = run
    assert status == 0
    assert sorted(p.name for p in published.iterdir()) == sorted(portfolio.ARTEFACTS)
    doc = json.loads((published / "portfolio.json").read_text())
    assert [s["site_id"] for s in doc["sites"]][-1] == "902"
    assert doc["status_counts"]["no_brief"] == 1
    assert doc["sites"][-1]["savings_rank"] is None
    page = (published / "portfolio.html").read_text()
    for text in (
        "Wilson Center",
        "North Depot",
        "Harbour Annex",
        "No brief",
        "2 weeks since 2026-W46",
    ):
        assert text in page


def test_the_email_has_the_overview_and_each_sites_report(run):
    _, published = run
    message = email.message_from_bytes(
        (published / "portfolio.eml").read_bytes(), policy=email.policy.default
    )
    assert message["To"] == "portfolio@example.com"
    assert message["Subject"].startswith("[Portfolio] 3 sites, 2026-W47: ")
    assert message["Subject"].endswith(", 1 no brief")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert "North Depot" in body and "Harbour Annex" in body
        assert "2 weeks in a row" in body
        assert "attached: weekly_brief_901_2026-W47.html" in body
        assert "attached: weekly_brief_23271_2026-W47.eml (its brief e-mail: no notebook" in body
    parts = {part.get_filename(): part for part in message.iter_attachments()}
    assert sorted(parts) == sorted(
        ["weekly_brief_901_2026-W47.html", "weekly_brief_23271_2026-W47.eml", "portfolio.html"]
    )
    assert list(parts)[-1] == "portfolio.html"  # the sites' reports first
    forwarded = parts["weekly_brief_23271_2026-W47.eml"]
    assert forwarded.get_content_type() == "message/rfc822"
    assert forwarded.get_content()["Subject"] == "[Brief] Wilson Center, 2026-W47"
    related = [p.get_content_type() for p in message.walk() if p.get("Content-ID")]
    assert related == ["image/png"]


def test_links_instead_of_attachments(run):
    _, published = run
    doc = json.loads((published / "portfolio.json").read_text())
    message = portfolio.build_portfolio_email(
        doc,
        sender="argo@example.com",
        recipients=(),
        attach=False,
        link_base="https://reports.example.com/outputs/",
    )
    html = message.get_body(preferencelist=("html",)).get_content()
    assert 'href="https://reports.example.com/outputs/901/2026-W47/weekly_brief.html"' in html
    assert 'href="https://reports.example.com/outputs/23271/2026-W47/weekly_brief.eml"' in html
    assert "902/2026-W47" not in html  # no brief, no link
    assert list(message.iter_attachments()) == []


def test_email_asked_without_mail_settings_stops_before_any_work(world, monkeypatch, capsys):
    folder, _ = world
    for name in ("SMTP_HOST", "MAIL_FROM", "MAIL_TO"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("ARGO_PARAMS_DIR", str(folder / "params"))
    monkeypatch.setenv("ARGO_OUTPUTS_DIR", str(folder / "other-outputs"))
    assert _run_cli(["portfolio", "--week", "2026-W47", "--email"], monkeypatch) == 2
    assert "SMTP_HOST" in capsys.readouterr().err
    assert not (folder / "other-outputs").exists()


def test_sites_and_all_sites_exclude_each_other(monkeypatch, capsys):
    with pytest.raises(SystemExit) as stopped:
        _run_cli(["portfolio", "--sites", "23271", "--all-sites"], monkeypatch)
    assert stopped.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_reports_past_the_size_limit_are_named_not_attached(run, monkeypatch):
    _, published = run
    doc = json.loads((published / "portfolio.json").read_text())
    monkeypatch.setattr(portfolio, "MAX_ATTACHMENTS_BYTES", 10)
    message = portfolio.build_portfolio_email(doc, sender="argo@example.com", recipients=())
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "report not attached (the message would be too large)" in text
    assert list(message.iter_attachments()) == []


def test_the_command_prints_each_site(world, monkeypatch, capsys, tmp_path):
    folder, _ = world
    monkeypatch.setenv("ARGO_PARAMS_DIR", str(folder / "params"))
    monkeypatch.setenv("ARGO_OUTPUTS_DIR", str(folder / "outputs"))
    argv = ["portfolio", "--week", "2026-W47", "--sites", "901,902"]
    assert _run_cli([*argv, "--output-dir", str(tmp_path / "out")], monkeypatch) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Portfolio 2026-W47: 2 sites (1 attention needed, 1 no brief)"
    assert lines[1].startswith("   1. North Depot (901): Attention needed; $44.41/week potential")
    assert lines[1].endswith("top: Switch off after-hours operation on Meter 1, 2 weeks in a row")
    assert lines[2] == "  -  Harbour Annex (902): No brief: no brief published for 2026-W47"
    doc = json.loads((tmp_path / "out" / "portfolio.json").read_text())
    assert doc["parameters"] == {"week": "2026-W47", "sites": ["901", "902"]}
