"""Configuration: environment settings and site files."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from argo_lib import config
from argo_lib.config import ConfigError, get_settings, load_site

WILSON = Path(config.PROJECT_ROOT / "params" / "sites" / "wilson_center.yaml").read_text()


def _site_dir(tmp_path: Path, text: str, name: str = "site") -> Path:
    (tmp_path / "sites").mkdir(exist_ok=True)
    (tmp_path / "sites" / f"{name}.yaml").write_text(text)
    return tmp_path


def test_wilson_center_settings():
    site = load_site("23271")
    assert (site.site_id, site.name, site.timezone) == (
        "23271",
        "Wilson Center",
        "America/New_York",
    )
    assert site.opening_hours.for_weekday(4) == (time(7), time(18))
    assert site.opening_hours.for_weekday(5) is None
    assert site.opening_hours.weekly_hours == 55.0
    assert len(site.channel_ids) == 8 and site.main_channel_ids == ()
    assert site.skip_channels == (162127, 162141, 162277)
    assert site.tariff.flat_rate_per_kwh == 0.12
    assert site.holiday_country == "US"
    assert load_site("wilson_center") == site


def test_unknown_site_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"unknown site '99999'.*23271 \(wilson_center\)"):
        load_site("99999")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("timezone: America/New_York", "timezone: Mars/Olympus"), "not an IANA time zone"),
        (
            ("carbon_kg_per_kwh: 0.37", "carbon_kg_per_kwh: lots"),
            "carbon_kg_per_kwh must be a number",
        ),
        (
            ("recipients: []", "recipients: []\nrecipents: []"),
            r"unknown key 'recipents'.*did you mean 'recipients'",
        ),
        (
            ("flat_rate_per_kwh: 0.12", "flat_rate_per_kwh: 0.12\n  flat_rate: 1"),
            r"unknown key tariff.'flat_rate'",
        ),
        (('monday: ["07:00", "18:00"]', 'monday: ["18:00", "07:00"]'), "closes .* before it opens"),
        (
            ('monday: ["07:00", "18:00"]', 'monday: ["7am", "18:00"]'),
            r'opening_hours.monday\[0\] must be a time "HH:MM"',
        ),
        (("role: sub, max_kw: 60", "role: utility, max_kw: 60"), "role must be 'main' or 'sub'"),
        (("thresholds: {}", "thresholds: {after_hours: {min_weekly_kwh: lots}}"), "thresholds"),
        (("thresholds: {}", "thresholds: {after_hours: {min_wekly_kwh: 5}}"), "min_wekly_kwh"),
    ],
    ids=[
        "timezone",
        "number",
        "unknown-key",
        "unknown-tariff-key",
        "hours-order",
        "hours-format",
        "role",
        "threshold-type",
        "threshold-name",
    ],  # fmt: skip
)
def test_bad_site_files_name_the_key_and_the_file(tmp_path, edit, message):
    old, new = edit
    assert old in WILSON
    folder = _site_dir(tmp_path, WILSON.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message) as info:
        load_site("site", params_dir=folder)
    assert "site.yaml" in str(info.value)


def test_threshold_overrides_from_the_site_file(tmp_path):
    text = WILSON.replace("thresholds: {}", "thresholds:\n  after_hours:\n    min_weekly_kwh: 25")
    site = load_site("site", params_dir=_site_dir(tmp_path, text))
    assert site.thresholds.after_hours.min_weekly_kwh == 25.0
    assert (
        site.with_thresholds(
            {"after_hours.min_weekly_kwh": 5}
        ).thresholds.after_hours.min_weekly_kwh
        == 5.0
    )


def test_tou_tariff_prices_after_hours_off_peak(tmp_path):
    text = WILSON.replace(
        "  demand_rate_per_kw: null",
        "  demand_rate_per_kw: 12\n"
        "  tou_periods:\n"
        "    - {name: off_peak, rate_per_kwh: 0.06, weekdays: [0, 1, 2, 3, 4], start_hour: 0, end_hour: 7}\n"
        "    - {name: on_peak, rate_per_kwh: 0.20, weekdays: [0, 1, 2, 3, 4], start_hour: 12, end_hour: 18}\n"
        "  weekend_period: off_peak",
    )
    site = load_site("site", params_dir=_site_dir(tmp_path, text))
    assert site.tariff.demand_rate_per_kw == 12.0
    assert site.tariff.after_hours_rate_per_kwh == 0.06
    assert site.tariff.period_rate("on_peak") == 0.20


def test_settings_from_env_file_and_environment(tmp_path):
    env = tmp_path / ".env"
    env.write_text(
        "DATABASE_URL=sqlite:///from-file.sqlite\nSMTP_PORT=2525\n"
        + "ENISCOPE_PASSWORD="
        + "s3cr3t-pass\n"
    )
    settings = get_settings(
        env_file=env, environ={"DATABASE_URL": "postgresql://u:pw@h/db", "MAIL_TO": "a@x, b@y"}
    )
    assert settings.database_url == "postgresql://u:pw@h/db"  # the real environment wins
    assert settings.smtp_port == 2525
    assert settings.mail_to == ("a@x", "b@y")
    assert settings.eniscope_password == "s3cr3t-pass"
    assert "s3cr3t-pass" not in repr(settings) and "pw@h" not in repr(settings)
    assert not settings.has_eniscope_credentials


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SMTP_PORT": "abc"}, "SMTP_PORT must be a port number"),
        ({"SMTP_STARTTLS": "maybe"}, "SMTP_STARTTLS"),
    ],
    ids=["port", "bool"],
)
def test_bad_environment_values(tmp_path, environ, message):
    with pytest.raises(ConfigError, match=message):
        get_settings(env_file=tmp_path / "missing.env", environ=environ)


def test_every_site_file_loads():
    sites = config.list_sites()
    assert [s.site_id for s in sites] == ["23271"]
