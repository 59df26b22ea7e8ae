"""Configuration: environment settings and site files."""

from __future__ import annotations

import json
import re
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


BROKEN_FILES = [
    ("", "the file is empty"),
    ("# a site file still to write\n", "the file is empty"),
    ('- site_id: "1"\n  name: Listed\n', "must be a mapping of keys to values.*got a list"),
    ('site_id: "1"\nname: [unclosed\n', "not valid YAML at line 3, column 1"),
    ("name: No Id\ntimezone: UTC\n", "required key site_id is missing"),
]
BROKEN_IDS = ["empty", "comments-only", "list", "bad-yaml", "no-site-id"]


@pytest.mark.parametrize(("text", "message"), BROKEN_FILES, ids=BROKEN_IDS)
def test_a_broken_site_file_is_named_when_asked_for(tmp_path, text, message):
    folder = _site_dir(_site_dir(tmp_path, WILSON, name="wilson"), text, name="broken")
    broken = str(folder / "sites" / "broken.yaml")
    with pytest.raises(ConfigError, match=message) as by_name:
        load_site("broken", params_dir=folder)
    assert str(by_name.value).startswith(f"{broken}: ")
    with pytest.raises(ConfigError, match=r"unknown site '99999'.*could not be read") as unknown:
        load_site("99999", params_dir=folder)  # may be the broken file's site: say so
    assert broken in str(unknown.value) and "23271 (wilson)" in str(unknown.value)
    with pytest.raises(ConfigError, match=r"1 site file\(s\) .* are invalid") as listing:
        config.list_sites(params_dir=folder)
    assert broken in str(listing.value)


@pytest.mark.parametrize(("text", "message"), BROKEN_FILES, ids=BROKEN_IDS)
def test_a_broken_site_file_does_not_stop_other_lookups(tmp_path, caplog, text, message):
    # "a_broken" sorts before "wilson": it is read first when looking a site up by id
    folder = _site_dir(_site_dir(tmp_path, WILSON, name="wilson"), text, name="a_broken")
    with caplog.at_level("WARNING", logger="argo_lib.config"):
        site = load_site("23271", params_dir=folder)
    assert (site.name, site.source_file) == ("Wilson Center", folder / "sites" / "wilson.yaml")
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert str(folder / "sites" / "a_broken.yaml") in warnings[0]
    assert re.search(message, warnings[0])
    assert load_site("wilson", params_dir=folder).site_id == "23271"


def test_an_invalid_file_of_another_site_does_not_stop_a_lookup(tmp_path):
    other = WILSON.replace('site_id: "23271"', 'site_id: "555"').replace(
        "default_resolution_s: 3600", "default_resolution_s: 0"
    )
    free = WILSON.replace("flat_rate_per_kwh: 0.12", "flat_rate_per_kwh: 0").replace(
        "carbon_kg_per_kwh: 0.37", "carbon_kg_per_kwh: 0"
    )  # zero prices and emissions are allowed
    folder = _site_dir(_site_dir(tmp_path, free, name="wilson"), other, name="other")
    site = load_site("23271", params_dir=folder)
    assert (site.tariff.flat_rate_per_kwh, site.carbon_kg_per_kwh) == (0.0, 0.0)
    with pytest.raises(ConfigError, match="other.yaml: default_resolution_s = 0"):
        load_site("555", params_dir=folder)


def test_two_files_with_one_site_id_are_an_error_naming_both(tmp_path):
    folder = _site_dir(_site_dir(tmp_path, WILSON, name="wilson"), WILSON, name="wilson_copy")
    first, second = (str(folder / "sites" / f"{n}.yaml") for n in ("wilson", "wilson_copy"))
    expected = f"site_id '23271' is declared by 2 files: {first}, {second}"
    for lookup in ("23271", "wilson", "wilson_copy"):
        with pytest.raises(ConfigError, match=re.escape(expected)):
            load_site(lookup, params_dir=folder)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        config.list_sites(params_dir=folder)


TOU = (
    "  demand_rate_per_kw: null",
    "  demand_rate_per_kw: null\n"
    "  tou_periods:\n"
    "    - {name: off_peak, rate_per_kwh: 0.06, start_hour: 0, end_hour: 7}\n"
    "    - {name: on_peak, rate_per_kwh: RATE, start_hour: 12, end_hour: 18}",
)


def _tou(rate: str) -> tuple[str, str]:
    return TOU[0], TOU[1].replace("RATE", rate)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("flat_rate_per_kwh: 0.12", "flat_rate_per_kwh: -0.12"),
         r"tariff.flat_rate_per_kwh = -0.12: use a number >= 0 \[currency/kWh\]"),
        (("flat_rate_per_kwh: 0.12", "flat_rate_per_kwh: .nan"),
         r"tariff.flat_rate_per_kwh = nan: use a finite number"),
        (("demand_rate_per_kw: null", "demand_rate_per_kw: -12"),
         r"tariff.demand_rate_per_kw = -12.0: use a number >= 0 \[currency/kW\]"),
        (("demand_rate_per_kw: null", "demand_rate_per_kw: .inf"),
         r"tariff.demand_rate_per_kw = inf: use a finite number"),
        (_tou("-0.2"), r"tariff.tou_periods\[1\].rate_per_kwh = -0.2: use a number >= 0"),
        (_tou(".nan"), r"tariff.tou_periods\[1\].rate_per_kwh = nan: use a finite number"),
        (("currency: USD", "currency: USD\n  demand_interval_s: 0"),
         r"tariff.demand_interval_s = 0: use a number > 0 \[s\]"),
        (("carbon_kg_per_kwh: 0.37", "carbon_kg_per_kwh: -0.37"),
         r"carbon_kg_per_kwh = -0.37: use a number >= 0 \[kg CO2e/kWh\]"),
        (("carbon_kg_per_kwh: 0.37", "carbon_kg_per_kwh: -.inf"),
         r"carbon_kg_per_kwh = -inf: use a finite number"),
        (("role: sub, max_kw: 60", "role: sub, max_kw: .nan"),
         r"channels\[5\].max_kw = nan: use a finite number"),
        (("role: sub, max_kw: 60", "role: sub, max_kw: 0"),
         r"channels\[5\].max_kw = 0.0: use a number > 0 \[kW\]"),
        (("default_resolution_s: 3600", "default_resolution_s: 0"),
         r"default_resolution_s = 0: use one of 60, 900, 1800, 3600, 86400 \[s\]"),
        (("default_resolution_s: 3600", "default_resolution_s: -3600"),
         r"default_resolution_s = -3600: use one of 60, 900"),
        (("default_resolution_s: 3600", "default_resolution_s: 7"),
         r"default_resolution_s = 7: use one of 60, 900"),
        (("thresholds: {}", "thresholds: {after_hours: {min_weekly_kwh: .nan}}"),
         r"thresholds: after_hours.min_weekly_kwh = nan: use a finite number >= 0"),
        (("thresholds: {}", "thresholds: {spikes: {main_floor_kw: -5}}"),
         r"thresholds: spikes.main_floor_kw = -5.0: use a finite number >= 0"),
    ],
    ids=[
        "flat-rate-negative", "flat-rate-nan", "demand-rate-negative", "demand-rate-inf",
        "tou-rate-negative", "tou-rate-nan", "demand-interval-zero", "carbon-negative",
        "carbon-inf", "max-kw-nan", "max-kw-zero", "resolution-zero", "resolution-negative",
        "resolution-odd", "threshold-nan", "threshold-negative",
    ],
)  # fmt: skip
def test_out_of_range_values_name_the_key_and_the_file(tmp_path, edit, message):
    old, new = edit
    assert old in WILSON
    folder = _site_dir(tmp_path, WILSON.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message) as info:
        load_site("site", params_dir=folder)
    assert str(info.value).startswith(f"{folder / 'sites' / 'site.yaml'}: ")


def test_site_resolutions_are_the_ones_the_api_serves():
    from argo_lib.eniscope import RESOLUTIONS

    assert config._RESOLUTIONS_S == RESOLUTIONS


@pytest.mark.parametrize("value", ["NaN", "-5"])
def test_threshold_overrides_of_a_run_are_range_checked(value):
    site = load_site("23271")
    with pytest.raises(ValueError, match=r"after_hours.min_weekly_kwh = (nan|-5.0): use a finite"):
        site.with_thresholds({"after_hours.min_weekly_kwh": json.loads(value)})
