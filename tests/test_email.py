"""The brief e-mail: built from the JSON, written as .eml, sent to a local SMTP server and parsed back."""

from __future__ import annotations

import email
import email.policy
import re
import socket

import pandas as pd
import pytest
from aiosmtpd.controller import Controller

from argo_lib import brief, config, dates, db, report, views
from argo_lib.analytics import analyse_site_week
from argo_lib.sim import demo

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # enough of a PNG for MIME handling


@pytest.fixture(scope="module")
def demo_doc(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    engine = db.get_engine(url)
    demo.build_demo_database(engine, weeks=5, end_week="2026-W47")
    site = config.load_site("23271")
    week = dates.report_week("2026-W47", tz=site.timezone)
    base = dates.baseline_period(week, weeks=4)
    readings = db.read_readings(engine, site_id="23271", start=base.start, end=week.end)
    analysis = analyse_site_week(
        readings,
        site=site,
        period=week,
        baseline=base,
        channels=db.read_channels(engine, site_id="23271"),
    )
    doc = brief.build_brief(
        analysis,
        parameters={"week": "2026-W47"},
        generated_at=pd.Timestamp("2026-11-23 06:00", tz="UTC"),
    )
    engine.dispose()
    return doc


def _parts(message):
    return {part.get_content_type(): part for part in message.walk()}


def test_email_structure_cid_images_and_size(demo_doc):
    message = report.build_email(
        demo_doc,
        sender="brief@argo.test",
        recipients=["fm@site.test"],
        charts={"site_load": PNG, "after_hours": PNG},
        attachments={"weekly_brief.html": b"<html>report</html>"},
    )
    parsed = email.message_from_bytes(bytes(message), policy=email.policy.default)
    assert parsed["Subject"].startswith(
        "[Action required] Wilson Center weekly energy brief, 16 Nov"
    )
    html_part = parsed.get_body(preferencelist=("html",))
    text_part = parsed.get_body(preferencelist=("plain",))
    html = html_part.get_content()
    text = text_part.get_content()
    assert len(html.encode()) < report.EMAIL_HTML_LIMIT_BYTES
    assert "<script" not in html and "data:" not in html
    # Every cid: reference resolves to an inline image part, and every image is referenced.
    cids = set(re.findall(r'src="cid:([^"]+)"', html))
    images = {
        p["Content-ID"].strip("<>"): p for p in parsed.walk() if p.get_content_type() == "image/png"
    }
    assert cids == set(images) and len(cids) == 2
    assert all(p.get_content() == PNG for p in images.values())
    # The numbers in the mail are the brief's numbers.
    waste = demo_doc["sections"]["afterHoursWaste"]["summary"]["totalExcessKwh"]
    assert f"{waste:,.1f} kWh" in text and f"{waste:,.1f} kWh" in html
    assert demo_doc["sections"]["quickWins"][0]["title"] in text
    attachment = next(parsed.iter_attachments())
    assert attachment.get_filename() == "weekly_brief.html"


class _Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()


def test_send_to_local_smtp_and_parse_back(demo_doc, smtp_server, tmp_path):
    port, sink = smtp_server
    message = report.build_email(demo_doc, sender="brief@argo.test", recipients=["fm@site.test", "cfo@site.test"],
                                 charts={"site_load": PNG})  # fmt: skip
    eml = report.write_eml(message, tmp_path / "weekly_brief.eml")
    settings = config.Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    report.send_email(message, settings)
    assert len(sink.messages) == 1
    sender, rcpts, content = sink.messages[0]
    assert sender == "brief@argo.test" and rcpts == ["fm@site.test", "cfo@site.test"]
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert parsed["Subject"] == message["Subject"]
    received = parsed.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
    assert received == message.get_body(preferencelist=("html",)).get_content()  # SMTP sends CRLF
    assert (
        email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)["Message-ID"]
        == message["Message-ID"]
    )


def test_starttls_required_unless_disabled(demo_doc, smtp_server):
    port, _ = smtp_server
    message = report.build_email(demo_doc, sender="a@b.test", recipients=["c@d.test"])
    with pytest.raises(report.EmailError, match="does not offer STARTTLS"):
        report.send_email(
            message, config.Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=True)
        )


def test_smtp_errors_never_show_the_password(demo_doc):
    message = report.build_email(demo_doc, sender="a@b.test", recipients=["c@d.test"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens
    settings = config.Settings(
        smtp_host="127.0.0.1", smtp_port=port, smtp_password="pw-do-not-print", smtp_starttls=False
    )
    with pytest.raises(report.EmailError, match=f"127.0.0.1:{port}") as info:
        report.send_email(message, settings)
    assert "pw-do-not-print" not in str(info.value)
    with pytest.raises(report.EmailError, match="no recipients"):
        report.send_email(report.build_email(demo_doc, sender="a@b.test", recipients=[]), settings)
    with pytest.raises(report.EmailError, match="SMTP_HOST"):
        report.send_email(message, config.Settings())


def test_views_render_the_brief_numbers(demo_doc):
    banner = views.status_banner(demo_doc)
    assert "argo-banner--action_required" in banner and "2026-W47" in banner
    table = views.after_hours_table(demo_doc)
    first = demo_doc["sections"]["afterHoursWaste"]["topMeters"][0]
    assert first["channelName"] in table and f"{first['impact']['excessKwh']:,.1f}" in table
    summary = views.executive_summary(demo_doc)
    assert f"{demo_doc['summary']['totalPotentialSavings']['weeklyKwh']:,.0f} kWh" in summary
    assert (
        views.quick_wins_table(demo_doc).count("<tr>") == len(demo_doc["sections"]["quickWins"]) + 1
    )


def test_empty_sections_say_so(demo_doc):
    empty = dict(
        demo_doc,
        sections=dict(
            demo_doc["sections"], spikes={"summary": {}, "topSpikes": [], "byChannel": []}
        ),
    )
    assert views.spikes_table(empty) == "<p class='argo-note'>No demand spikes this week.</p>"
