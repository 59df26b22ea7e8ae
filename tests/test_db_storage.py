"""Readings storage at scale (issue 13): the PostgreSQL fast path and the schema upgrade.

The bulk upsert copies rows whose keys cannot be stored yet straight into ``readings`` and merges
the others with ``INSERT ... ON CONFLICT``; whichever path a row takes, the stored result must be
the one the plain upsert semantics give: given columns replaced (NaN stored as NULL), columns not
given kept, new rows NULL where not given, the last of repeated keys winning. A pandas model of
those semantics is the reference, on both backends.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from argo_lib import db

SITE = "storage"
COLUMNS = ["energy_kwh", "power_kw", "voltage_v", "cost"]
T0 = pd.Timestamp("2026-01-05", tz="UTC")


def _hours(channel: int, hours, **values) -> pd.DataFrame:
    hours = np.asarray(list(hours))
    frame = pd.DataFrame({"channel_id": channel, "timestamp": T0 + pd.to_timedelta(hours, "h")})
    for column, value in values.items():
        frame[column] = np.broadcast_to(np.asarray(value, dtype=float), (len(hours),)).copy()
    return frame


def _seed(engine) -> None:
    db.upsert_site(engine, {"site_id": SITE, "name": "Storage", "timezone": "UTC"})
    ids = [1, 2, 3, 4]
    db.upsert_channels(
        engine,
        pd.DataFrame(
            {
                "channel_id": ids,
                "site_id": SITE,
                "name": [f"c{i}" for i in ids],
                "resolution_s": 3600,
            }
        ),
    )


def _stored(engine) -> pd.DataFrame:
    return db.read_readings(engine, site_id=SITE, columns=COLUMNS)


def _model(stored: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    """What an upsert of ``batch`` onto ``stored`` must leave, by the documented semantics."""
    batch = batch.assign(
        timestamp=batch["timestamp"].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    ).drop_duplicates(["channel_id", "timestamp"], keep="last")
    given = [c for c in COLUMNS if c in batch.columns]
    merged = stored.set_index(["channel_id", "timestamp"])
    incoming = batch.set_index(["channel_id", "timestamp"])
    new_keys = incoming.index.difference(merged.index)
    merged = pd.concat([merged, pd.DataFrame(index=new_keys, columns=merged.columns, dtype=float)])
    merged.loc[incoming.index, given] = incoming[given].to_numpy()
    out = merged.reset_index().sort_values(["channel_id", "timestamp"], ignore_index=True)
    return out[["timestamp", "channel_id", *COLUMNS]].astype(
        {"channel_id": "int64", **dict.fromkeys(COLUMNS, "float64")}
    )


def _history(engine) -> None:
    """Stored readings: channel 1 hours 0-47, channel 2 hours 0-23 less 10-13, channel 4 0-5."""
    db.upsert_readings(
        engine,
        pd.concat(
            [
                _hours(1, range(48), energy_kwh=1.0, power_kw=1.5, voltage_v=230.0, cost=0.25),
                _hours(2, [*range(10), *range(14, 24)], energy_kwh=2.0, power_kw=2.5),
                _hours(4, range(6), energy_kwh=4.0, voltage_v=231.0),
            ]
        ),
    )


def _mixed_batch(cost: str) -> pd.DataFrame:
    """New keys, re-sent keys and both within one channel, NaN here and there, a repeated key."""
    one = _hours(1, range(40, 72), energy_kwh=np.arange(32) / 8, power_kw=np.arange(32) / 4)
    one.loc[1, "power_kw"] = np.nan  # a re-sent hour whose power is now missing: stored NULL
    one.loc[20, "energy_kwh"] = np.nan  # a new hour without energy
    two = pd.concat(
        [
            _hours(2, range(10, 14), energy_kwh=7.0, power_kw=7.5),  # fills a stored gap
            _hours(2, [5], energy_kwh=2.0, power_kw=2.5),  # re-sent unchanged
        ]
    )
    three = _hours(3, range(24), energy_kwh=np.arange(24) / 2, power_kw=np.nan)  # all new
    three.loc[3:5, "power_kw"] = 3.0
    repeat = _hours(3, [0], energy_kwh=99.0, power_kw=9.0)  # the last of a repeated key wins
    batch = pd.concat([three, one, two, repeat], ignore_index=True)
    if cost == "cost":
        batch["cost"] = np.where(np.arange(len(batch)) % 3 == 0, np.nan, np.arange(len(batch)) / 4)
    elif cost == "cost all NaN":
        batch["cost"] = np.nan  # on re-sent rows this clears the stored cost
    return batch


@pytest.mark.parametrize("cost", ["no cost", "cost", "cost all NaN"])
def test_upsert_of_new_and_overlapping_rows_gives_the_merge_result(engine, cost):
    _seed(engine)
    _history(engine)
    before = _stored(engine)
    batch = _mixed_batch(cost)
    expected = _model(before, batch)
    written = db.upsert_readings(engine, batch)
    assert written == len(batch) - 1  # one repeated key
    back = _stored(engine)
    pd.testing.assert_frame_equal(back, expected, check_exact=True)
    # spot checks of the semantics the model encodes
    at = back.set_index(["channel_id", "timestamp"])
    assert np.isnan(at.loc[(1, T0 + pd.Timedelta(hours=41)), "power_kw"])  # NaN replaced 1.5
    assert at.loc[(1, T0 + pd.Timedelta(hours=41)), "voltage_v"] == 230.0  # not given: kept
    assert np.isnan(at.loc[(1, T0 + pd.Timedelta(hours=60)), "voltage_v"])  # new: NULL
    assert at.loc[(3, T0), "energy_kwh"] == 99.0
    assert at.loc[(2, T0 + pd.Timedelta(hours=11)), "energy_kwh"] == 7.0
    assert len(back) == 48 + 24 + 6 + 24 + 24
    # sending the same batch again changes nothing
    assert db.upsert_readings(engine, batch) == written
    pd.testing.assert_frame_equal(_stored(engine), expected, check_exact=True)


@pytest.mark.parametrize(
    ("hours", "label"),
    [
        (range(48, 72), "after the stored range"),
        (range(-24, 0), "before the stored range"),
        (range(40, 56), "straddling the last stored reading"),
        (range(-4, 4), "straddling the first stored reading"),
        (range(0, 48), "the stored range exactly"),
        (range(-10, 60), "covering the stored range"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_ranges_around_stored_readings(engine, hours, label):
    _seed(engine)
    _history(engine)
    before = _stored(engine)
    batch = _hours(1, hours, energy_kwh=np.arange(len(hours)) + 0.5, power_kw=np.nan)
    db.upsert_readings(engine, batch)
    pd.testing.assert_frame_equal(_stored(engine), _model(before, batch), check_exact=True)


def test_a_failed_batch_writes_nothing(engine):
    _seed(engine)
    _history(engine)
    before = _stored(engine)
    batch = pd.concat(
        [
            _hours(3, range(24), energy_kwh=1.0),  # new: would be copied first
            _hours(9, [0], energy_kwh=1.0),  # unknown channel
        ]
    )
    with pytest.raises(ValueError, match="unknown channels"):
        db.upsert_readings(engine, batch)
    pd.testing.assert_frame_equal(_stored(engine), before, check_exact=True)


@pytest.fixture
def pg_engine(postgres_url):
    engine = db.get_engine(postgres_url)
    db.upgrade(engine)
    _seed(engine)
    _history(engine)
    yield engine
    engine.dispose()


def test_postgres_failure_after_the_copy_rolls_the_copy_back(pg_engine):
    before = _stored(pg_engine)
    batch = pd.concat(
        [
            _hours(3, range(24), energy_kwh=1.0, cost=0.5),  # new rows: copied first
            _hours(1, [3], energy_kwh=1.0, cost=1e15),  # re-sent, cost too large for the column
        ]
    )
    with pytest.raises(db.DatabaseError):
        db.upsert_readings(pg_engine, batch)
    pd.testing.assert_frame_equal(_stored(pg_engine), before, check_exact=True)


def test_postgres_keys_stored_meanwhile_fall_back_to_the_merge(pg_engine, monkeypatch, caplog):
    before = _stored(pg_engine)
    batch = _mixed_batch("no cost")
    # as if another writer stored channel 1's hours after the check: every row looks new
    monkeypatch.setattr(db, "_unstored_rows", lambda conn, rows: np.ones(len(rows), dtype=bool))
    with caplog.at_level(logging.INFO, logger="argo_lib.db"):
        assert db.upsert_readings(pg_engine, batch) == len(batch) - 1
    assert "merging the batch instead" in caplog.text
    pd.testing.assert_frame_equal(_stored(pg_engine), _model(before, batch), check_exact=True)


def _versions(engine) -> dict[tuple[int, str], str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text('SELECT channel_id, "timestamp"::text, xmin::text FROM readings')
        ).all()
    return {(r[0], r[1]): r[2] for r in rows}


def test_postgres_identical_resend_writes_no_new_row_versions(pg_engine):
    versions = _versions(pg_engine)
    resent = _hours(1, range(48), energy_kwh=1.0, power_kw=1.5)
    db.upsert_readings(pg_engine, resent)
    assert _versions(pg_engine) == versions
    db.upsert_readings(pg_engine, resent.assign(power_kw=1.75))
    after = _versions(pg_engine)
    changed = {key for key in versions if after[key] != versions[key]}
    assert len(changed) == 48 and {key[0] for key in changed} == {1}
    assert (_stored(pg_engine).query("channel_id == 1")["power_kw"] == 1.75).all()


def test_postgres_unstored_rows_mask(pg_engine):
    prepared, _ = db._prepare_readings(
        pd.concat(
            [
                _hours(1, [-1, 0, 20, 47, 48]),  # around channel 1's stored hours 0-47
                _hours(2, [11, 12]),  # inside channel 2's gap: nothing stored in [11, 12]
                _hours(2, [9, 14]),  # stored
                _hours(3, [0]),  # channel without readings
            ]
        )
    )
    with pg_engine.connect() as conn:
        mask = db._unstored_rows(conn, prepared)
    keys = zip(prepared["channel_id"], prepared["ts"] - T0.timestamp(), strict=True)
    found = dict(zip(keys, mask, strict=True))
    hour = 3600
    assert found == {
        (1, -hour): True,
        (1, 0): False,
        (1, 20 * hour): False,
        (1, 47 * hour): False,
        (1, 48 * hour): True,
        (2, 9 * hour): False,
        (2, 11 * hour): False,  # within the batch's [9, 14], which holds stored readings
        (2, 12 * hour): False,
        (2, 14 * hour): False,
        (3, 0): True,
    }


def test_postgres_new_keys_are_copied_and_only_the_rest_merged(pg_engine, monkeypatch):
    paths: dict[str, list[tuple[int, int]]] = {"copied": [], "merged": []}
    insert, merge = db._insert_unstored_readings, db._merge_readings_postgres

    def keys(rows):
        return list(
            zip(rows["channel_id"], (rows["ts"] - int(T0.timestamp())) // 3600, strict=True)
        )

    def spy_insert(conn, rows, values):
        paths["copied"] += keys(rows)
        return insert(conn, rows, values)

    def spy_merge(conn, rows, values, *, on_conflict):
        paths["merged" if on_conflict else "copied"] += [] if not on_conflict else keys(rows)
        return merge(conn, rows, values, on_conflict=on_conflict)

    monkeypatch.setattr(db, "_insert_unstored_readings", spy_insert)
    monkeypatch.setattr(db, "_merge_readings_postgres", spy_merge)
    db.upsert_readings(pg_engine, _mixed_batch("no cost"))
    assert sorted(paths["merged"]) == [(1, h) for h in range(40, 48)] + [(2, 5)]
    assert sorted(paths["copied"]) == sorted(
        [(1, h) for h in range(48, 72)] + [(2, h) for h in range(10, 14)]
        + [(3, h) for h in range(24)]
    )  # fmt: skip


def test_postgres_a_resent_negative_zero_is_not_taken_for_unchanged(pg_engine):
    zero = _hours(2, [0], power_kw=0.0)
    db.upsert_readings(pg_engine, zero)
    db.upsert_readings(pg_engine, zero.assign(power_kw=-0.0))
    stored = _stored(pg_engine).query("channel_id == 2")["power_kw"].iloc[0]
    assert stored == 0.0 and np.signbit(stored)  # as any other changed value: replaced


def test_upgrade_of_a_database_with_readings_keeps_them_and_the_upsert_after(engine):
    # issue 13 kept the readings layout (measured: benchmarks/storage_scale.py), so a version-3
    # database with readings upgrades to the same rows and upserts exactly as before
    _seed(engine)
    _history(engine)
    before = _stored(engine)
    assert db.upgrade(engine) == db.SCHEMA_VERSION
    pd.testing.assert_frame_equal(_stored(engine), before, check_exact=True)
    batch = _mixed_batch("cost")
    db.upsert_readings(engine, batch)
    pd.testing.assert_frame_equal(_stored(engine), _model(before, batch), check_exact=True)
