"""Import and in-place migration of the company's old PostgreSQL database (legacy schema).

The legacy database is written by :mod:`argo_lib.sim.legacy` the way the old ingester wrote it
(zeros for missing values, kW in ``power_w*``, VA, NUMERIC cost, naive local times); the
workbook database is each backend in turn (the ``engine`` fixture).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from argo_lib import cli, db
from argo_lib.errors import UsageError
from argo_lib.ingest import legacy
from argo_lib.sim.legacy import (
    create_legacy_schema,
    legacy_reading_frame,
    write_legacy_metadata,
    write_legacy_readings,
)
from argo_lib.sim.readings import simulate_readings
from argo_lib.sim.site import build_site_frame

TZ = "America/New_York"
ORG = "23271"
CHANNELS = (162119, 162120, 162121)
START = pd.Timestamp("2025-11-03", tz=TZ)
END = pd.Timestamp("2025-11-24", tz=TZ)


@pytest.fixture
def legacy_url(postgres_database) -> str:
    """A fresh PostgreSQL database for the old schema (beside the workbook's)."""
    return postgres_database("argo_legacy")


def _truth() -> pd.DataFrame:
    """Canonical readings with the cases the old ingester mangled, one per channel."""
    sim = simulate_readings(
        start=START, end=END, resolution_s=3600, channels=CHANNELS, seed=3, fields="all"
    )
    r = sim.readings.copy()
    r["cost"] = (r["energy_kwh"] * 0.1537).round(2)
    a, b, c = (r["channel_id"] == cid for cid in CHANNELS)
    stamps = r["timestamp"]
    # channel a: a 10-hour outage, records without any value (the old ingester stored 0, 0)
    outage = a & (stamps >= "2025-11-10T14:00Z") & (stamps < "2025-11-11T00:00Z")
    r.loc[outage, [col for col in r.columns if col not in ("channel_id", "timestamp")]] = np.nan
    # channel b: 3 hours truly off (energy and power 0, the voltage still measured)
    off = b & (stamps >= "2025-11-12T05:00Z") & (stamps < "2025-11-12T08:00Z")
    phase = [f"{f}_p{i}" for f in ("energy_kwh", "power_kw") for i in (1, 2, 3)]
    r.loc[off, ["energy_kwh", "power_kw", "current_a", "cost", *phase]] = 0.0
    # channel c: one record without energy (power kept); one with a negative energy
    r.loc[c & (stamps == "2025-11-14T15:00Z"), ["energy_kwh", "cost"]] = np.nan
    r.loc[c & (stamps == "2025-11-15T15:00Z"), "energy_kwh"] = -4.0
    return r.reset_index(drop=True)


def _legacy_database(url: str, truth: pd.DataFrame, *, timestamps: str = "utc") -> sa.Engine:
    engine = db.get_engine(url)
    create_legacy_schema(engine)
    meta = build_site_frame().set_index("channel_id").loc[list(CHANNELS)].reset_index()
    write_legacy_metadata(
        engine,
        organization_id=ORG,
        name="Wilson Center",
        timezone=TZ,
        channels=meta[["channel_id", "channel_name", "device_id", "device_name", "data_type"]],
    )
    write_legacy_readings(engine, legacy_reading_frame(truth, timestamps=timestamps, timezone=TZ))
    return engine


def _stored(engine: sa.Engine) -> pd.DataFrame:
    out = db.read_readings(engine, channel_ids=list(CHANNELS), start=START, end=END, columns="all")
    return out.sort_values(["channel_id", "timestamp"]).reset_index(drop=True)


def _at(frame: pd.DataFrame, channel: int, when: str) -> pd.Series:
    row = frame[(frame["channel_id"] == channel) & (frame["timestamp"] == pd.Timestamp(when))]
    assert len(row) == 1, (channel, when)
    return row.iloc[0]


def test_import_converts_units_zeros_and_metadata(legacy_url, engine, tmp_path):
    truth = _truth()
    source = _legacy_database(legacy_url, truth)
    (result,) = legacy.import_legacy(source, engine, params_dir=tmp_path)
    stored = _stored(engine)
    # every legacy row but the negative energy is stored, once
    assert len(stored) == len(truth) - 1
    assert result.rows_received == len(truth)
    assert result.rows_written == len(truth) - 1
    assert result.status == "ok"
    assert not any("wall-clock" in n for n in result.notes)  # right times: no warning
    a, b, c = CHANNELS
    # the outage: 10 hours of the old ingester's zeros are missing again, not consumption
    out = stored[(stored["channel_id"] == a)
                 & stored["timestamp"].between("2025-11-10T14:00Z", "2025-11-10T23:00Z")]  # fmt: skip
    assert len(out) == 10
    assert out["energy_kwh"].isna().all() and out["power_kw"].isna().all()
    assert out["cost"].isna().all()
    assert any("10 rows with energy and power 0 and nothing else" in n for n in result.notes)
    # real zeros (the voltage measured) stay zeros
    off = _at(stored, b, "2025-11-12T06:00Z")
    assert off["energy_kwh"] == 0.0 and off["power_kw"] == 0.0 and off["voltage_v"] > 100
    assert any("3 rows with energy and power 0 and the voltage" in n for n in result.notes)
    # an energy 0 beside a positive power is missing; the power stays
    lone = _at(stored, c, "2025-11-14T15:00Z")
    truth_c = truth[(truth["channel_id"] == c) & (truth["timestamp"] == "2025-11-14T15:00Z")]
    assert np.isnan(lone["energy_kwh"])
    assert lone["power_kw"] == pytest.approx(float(truth_c["power_kw"].iloc[0]), rel=1e-6)
    # the negative energy is in the ledger, located by the legacy row id
    rejected = db.read_rejected(engine, site_id=ORG)
    assert len(rejected) == 1
    assert rejected.loc[0, "field"] == "energy_kwh"
    assert rejected.loc[0, "location"].startswith("legacy readings id ")
    # units: kVA from VA, phase kW/kWh from the misnamed _w/_wh columns, cost, THD
    merged = stored.merge(truth, on=["channel_id", "timestamp"], suffixes=("", "_true"))
    normal = merged[merged["voltage_v_true"].notna() & merged["energy_kwh"].notna()]
    for column in ("apparent_power_kva", "power_kw_p1", "energy_kwh_p3", "thd_current_pct",
                   "voltage_v_p2", "current_a_p1", "power_factor_p3", "energy_kwh"):  # fmt: skip
        np.testing.assert_allclose(
            normal[column], normal[f"{column}_true"], rtol=2e-6, atol=1e-6, err_msg=column
        )
    np.testing.assert_allclose(normal["cost"], normal["cost_true"], atol=0.005)
    # metadata: site, channels with names, hourly resolution, devices
    sites = db.read_sites(engine)
    assert sites.loc[0, "site_id"] == ORG and sites.loc[0, "timezone"] == TZ
    channels = db.read_channels(engine, site_id=ORG)
    assert channels["channel_id"].tolist() == list(CHANNELS)
    assert (channels["resolution_s"] == 3600).all()
    names = build_site_frame().set_index("channel_id")["channel_name"]
    assert channels["name"].tolist() == [names[i] for i in CHANNELS]
    runs = db.read_runs(engine, site_id=ORG)
    assert runs.loc[0, "source"] == f"legacy:{sa.make_url(legacy_url).database}"
    assert runs.loc[0, "status"] == "ok"


def test_reimport_changes_nothing(legacy_url, engine, tmp_path):
    source = _legacy_database(legacy_url, _truth())
    legacy.import_legacy(source, engine, params_dir=tmp_path)
    first = _stored(engine)
    (again,) = legacy.import_legacy(source, engine, params_dir=tmp_path)
    second = _stored(engine)
    pd.testing.assert_frame_equal(first, second)
    assert len(db.read_rejected(engine, site_id=ORG)) == 1  # not recorded twice
    assert again.rejected_new == 0


def test_local_wall_time_stored_as_utc_is_put_back(legacy_url, engine, tmp_path):
    truth = _truth()
    source = _legacy_database(legacy_url, truth, timestamps="local-as-utc")
    (plain,) = legacy.import_legacy(source, engine, params_dir=tmp_path)
    # as stored, the office load looks lowest in the evening: the import says so
    assert any("rises most at 01:00" in n and "local-as-utc" in n for n in plain.notes), plain.notes
    (fixed,) = legacy.import_legacy(source, engine, params_dir=tmp_path, timestamps="local-as-utc")
    assert any("readings moved" in n for n in fixed.notes)
    stored = _stored(engine)
    a = CHANNELS[0]
    when = "2025-11-05T17:00Z"
    true_row = truth[(truth["channel_id"] == a) & (truth["timestamp"] == when)]
    assert _at(stored, a, when)["energy_kwh"] == pytest.approx(
        float(true_row["energy_kwh"].iloc[0]), rel=1e-6
    )


def test_autumn_repeated_hour_cannot_be_placed(legacy_url, engine, tmp_path):
    """On 2 Nov 2025 01:00 happens twice in New York: the old client kept one row for both."""
    start, end = pd.Timestamp("2025-11-01", tz=TZ), pd.Timestamp("2025-11-04", tz=TZ)
    sim = simulate_readings(start=start, end=end, resolution_s=3600, channels=CHANNELS[:1])
    source = _legacy_database(legacy_url, sim.readings, timestamps="local-as-utc")
    (result,) = legacy.import_legacy(source, engine, params_dir=tmp_path, timestamps="local-as-utc")
    # 73 hours, of which the two 01:00s collapsed into one stored row that cannot be placed
    assert result.rows_received == len(sim.readings) - 1
    assert result.rows_written == len(sim.readings) - 2
    assert any("repeated hour could not be placed" in n for n in result.notes)
    stored = db.read_readings(engine, channel_ids=[CHANNELS[0]], start=start, end=end)
    assert pd.Timestamp("2025-11-02T05:00Z") not in set(stored["timestamp"])
    assert pd.Timestamp("2025-11-02T06:00Z") not in set(stored["timestamp"])
    assert pd.Timestamp("2025-11-02T07:00Z") in set(stored["timestamp"])


def test_fix_until_limits_the_correction(legacy_url, engine, tmp_path):
    truth = _truth()
    cut = pd.Timestamp("2025-11-10T00:00Z")
    early = legacy_reading_frame(truth[truth["timestamp"] < cut], timestamps="local-as-utc")
    late = legacy_reading_frame(truth[truth["timestamp"] >= cut])
    engine_src = db.get_engine(legacy_url)
    create_legacy_schema(engine_src)
    meta = build_site_frame().set_index("channel_id").loc[list(CHANNELS)].reset_index()
    write_legacy_metadata(
        engine_src, organization_id=ORG, name="Wilson", timezone=TZ,
        channels=meta[["channel_id", "channel_name"]],
    )  # fmt: skip
    write_legacy_readings(engine_src, pd.concat([early, late]).drop_duplicates(
        ["channel_id", "timestamp"], keep="last"))  # fmt: skip
    legacy.import_legacy(
        engine_src, engine, params_dir=tmp_path, timestamps="local-as-utc",
        fix_until="2025-11-09T19:00Z",
    )  # fmt: skip
    stored = _stored(engine)
    merged = stored.merge(truth, on=["channel_id", "timestamp"], suffixes=("", "_true"))
    both = merged.dropna(subset=["power_kw", "power_kw_true"])
    # every stored reading sits at its true time: its power is the truth's at that instant
    np.testing.assert_allclose(both["power_kw"], both["power_kw_true"], rtol=1e-6)
    assert len(both) > 0.9 * len(truth)


def test_upgrade_on_a_legacy_database_says_how_to_migrate(legacy_url):
    engine = _legacy_database(legacy_url, _truth().head(10))
    with pytest.raises(db.SchemaError, match="migrate-legacy"):
        db.upgrade(engine)
    # nothing was created
    assert not sa.inspect(engine).has_table("schema_version")


def test_migrate_in_place_keeps_the_old_tables_and_resumes(legacy_url, tmp_path):
    truth = _truth()
    engine = _legacy_database(legacy_url, truth)
    results = legacy.migrate_in_place(engine, params_dir=tmp_path)
    assert [r.rows_written for r in results] == [len(truth) - 1]
    assert db.schema_version(engine) == db.SCHEMA_VERSION
    inspector = sa.inspect(engine)
    assert inspector.has_table("readings", schema="legacy")
    assert "id" not in {c["name"] for c in inspector.get_columns("readings")}
    with engine.connect() as conn:  # the old view still reads the old table
        old = conn.exec_driver_sql("SELECT count(*) FROM v_clean_readings").scalar_one()
    assert old > 0
    first = _stored(engine)
    # a second run (e.g. after an interruption) changes nothing
    legacy.migrate_in_place(engine, params_dir=tmp_path)
    pd.testing.assert_frame_equal(first, _stored(engine))


def test_migrate_in_place_refuses_sqlite(tmp_path):
    engine = db.get_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    with pytest.raises(legacy.LegacyError, match="not PostgreSQL"):
        legacy.migrate_in_place(engine)


def test_no_legacy_schema_is_a_clear_error(engine, postgres_url):
    empty = db.get_engine(postgres_url)
    with pytest.raises(legacy.LegacyError, match="holds no legacy schema"):
        legacy.import_legacy(empty, engine)


def test_unknown_site_and_bad_options(legacy_url, engine, tmp_path):
    source = _legacy_database(legacy_url, _truth().head(5))
    with pytest.raises(legacy.LegacyError, match="organization.*99999.*not in the legacy"):
        legacy.import_legacy(source, engine, sites=["99999"], params_dir=tmp_path)
    with pytest.raises(legacy.LegacyError, match="timestamps must be one of"):
        legacy.import_legacy(source, engine, timestamps="local")
    with pytest.raises(legacy.LegacyError, match="no time zone"):
        legacy.import_legacy(source, engine, timestamps="local-as-utc", fix_until="2025-11-10")
    assert isinstance(legacy.LegacyError("x"), UsageError)


def test_cli_import_legacy(legacy_url, database_url, tmp_path, capsys, monkeypatch):
    source = _legacy_database(legacy_url, _truth())
    monkeypatch.setenv("ARGO_PARAMS_DIR", str(tmp_path))
    monkeypatch.setenv("LEGACY_DATABASE_URL", legacy_url)
    status = cli.main(["db", "import-legacy", "--database-url", database_url])
    out = capsys.readouterr()
    assert status == 0, out.err
    assert f"{len(_truth()):,} rows received" in out.out
    password = sa.make_url(legacy_url).password
    assert not password or password not in out.out + out.err
    # --strict: a rejected value makes it exit 1
    assert cli.main(["db", "import-legacy", "--database-url", database_url, "--strict"]) == 1
    capsys.readouterr()
    # no source named: exit 2 and how to name one
    monkeypatch.delenv("LEGACY_DATABASE_URL")
    monkeypatch.setenv("ARGO_SQLITE_PATH", str(tmp_path / "x.sqlite"))
    assert cli.main(["db", "import-legacy", "--database-url", database_url]) == 2
    assert "LEGACY_DATABASE_URL" in capsys.readouterr().err
    source.dispose()


def test_cli_upgrade_and_migrate_on_legacy(legacy_url, tmp_path, capsys, monkeypatch):
    _legacy_database(legacy_url, _truth())
    monkeypatch.setenv("ARGO_PARAMS_DIR", str(tmp_path))
    assert cli.main(["db", "upgrade", "--database-url", legacy_url]) == 2
    assert "argo db migrate-legacy" in capsys.readouterr().err
    assert cli.main(["db", "migrate-legacy", "--database-url", legacy_url]) == 0
    out = capsys.readouterr().out
    assert "the old tables are in the schema legacy" in out
    assert cli.main(["db", "check", "--database-url", legacy_url]) in (0, 1)


def test_the_spring_clock_change_gives_local_times_away(legacy_url, engine, tmp_path):
    """Stored as local wall-clock time, every channel lacks the hour clocks skip (8 Mar 2026)."""
    start, end = pd.Timestamp("2026-03-02", tz=TZ), pd.Timestamp("2026-03-16", tz=TZ)
    sim = simulate_readings(start=start, end=end, resolution_s=3600, channels=CHANNELS, seed=2)
    source = _legacy_database(legacy_url, sim.readings, timestamps="local-as-utc")
    (result,) = legacy.import_legacy(source, engine, params_dir=tmp_path)
    assert any("lacks 02:00 UTC on 2026-03-08" in n for n in result.notes), result.notes
    (fixed,) = legacy.import_legacy(source, engine, params_dir=tmp_path, timestamps="local-as-utc")
    assert not any("02:00 UTC" in n for n in fixed.notes)
    stored = db.read_readings(engine, channel_ids=[CHANNELS[0]], start=start, end=end)
    assert len(stored) == len(sim.readings) // len(CHANNELS)  # every hour in its place
