"""Readings and outdoor temperature from CSV files, through the same validation as a sync.

:func:`import_csv` loads a long table (``timestamp, channel_id, channel_name, power_kw,
energy_kwh, ...``) or a wide one (``timestamp`` plus one column per channel with the unit in the
header, e.g. ``162285 Kitchen [kW]``), validates it (:mod:`argo_lib.ingest.validate`) and logs it
as an ingestion run. :func:`import_weather_csv` loads outdoor air temperature for the
temperature-aware baseline. Errors name the file, line and column.
"""

from __future__ import annotations

import csv
import difflib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from argo_lib import db
from argo_lib.config import SiteSettings
from argo_lib.dates import Period
from argo_lib.eniscope import empty_rejected
from argo_lib.errors import UsageError
from argo_lib.fields import READING_COLUMNS
from argo_lib.ingest.plan import resolve_zone
from argo_lib.ingest.runs import IngestResult, resolve_site, summarise_error
from argo_lib.ingest.validate import (
    RejectedLedger,
    concat_rejected,
    validate_readings,
    write_new_rejected,
)

__all__ = [
    "CsvError",
    "CsvReadings",
    "import_csv",
    "import_weather_csv",
    "read_csv_readings",
    "read_weather_csv",
]


class CsvError(UsageError):
    """A CSV file cannot be imported; the message names the file, line and column."""


@dataclass(frozen=True, repr=False)
class CsvReadings:
    """Readings parsed from a CSV file.

    Attributes
    ----------
    readings : pandas.DataFrame
        Canonical long readings (``timestamp`` UTC interval start, ``channel_id``, value columns
        in project units), duplicates collapsed (the last line wins).
    channels : pandas.DataFrame
        ``channel_id`` and ``channel_name`` (NA when the file gives none).
    rejected : pandas.DataFrame
        Values that are not numbers (stored as NULL), with the line and column in ``reason``.
    layout : {"long", "wide"}
        The table's layout.
    resolution_s : int or None
        Most common step between a channel's timestamps [s] (None with one row per channel).
    """

    readings: pd.DataFrame
    channels: pd.DataFrame
    rejected: pd.DataFrame
    layout: Literal["long", "wide"]
    resolution_s: int | None

    def __repr__(self) -> str:
        return (
            f"CsvReadings(layout={self.layout!r}, rows={len(self.readings)}, "
            f"channels={len(self.channels)}, rejected={len(self.rejected)}, "
            f"resolution_s={self.resolution_s})"
        )


_TIMESTAMP_NAMES = ("timestamp", "time", "datetime", "date_time", "ts")
_OFFSET = re.compile(r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")
_WIDE_HEADER = re.compile(r"^(?P<label>.*?)\s*[\[(](?P<unit>[^\[\]()]*)[\])]\s*$")
_WIDE_UNITS = {
    "kw": ("power_kw", 1.0),
    "w": ("power_kw", 0.001),
    "kwh": ("energy_kwh", 1.0),
    "wh": ("energy_kwh", 0.001),
}


def _sniff_header(path: Path) -> tuple[list[str], str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except OSError as exc:
        raise CsvError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CsvError(f"{path.name}: not UTF-8 text; save the file as UTF-8 CSV") from None
    if not first.strip():
        raise CsvError(
            f"{path.name}, line 1: the header is empty; the first line names the columns"
        )
    sep = max(",;\t", key=first.count)
    header = [h.strip() for h in next(csv.reader([first], delimiter=sep))]
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if not name:
            raise CsvError(f"{path.name}, line 1, column {i}: the column has no name")
        key = name.lower()
        if key in seen:
            raise CsvError(
                f"{path.name}, line 1, column {i} ({name!r}): the name repeats column {seen[key]}"
            )
        seen[key] = i
    return header, sep


def _cell_error(path: Path, line: int, column: str, message: str) -> CsvError:
    return CsvError(f"{path.name}, line {line}, column {column!r}: {message}")


def _parse_times(
    text: pd.Series, lines: np.ndarray, *, tz: ZoneInfo | None, path: Path, column: str
) -> pd.Series:
    """Timestamps with offsets (or epoch seconds) as given; naive ones in ``tz``."""
    s = text.fillna("").astype("str").str.strip()
    position = pd.Series(np.arange(len(s)), index=s.index)

    def fail(mask: pd.Series, message: str) -> CsvError:
        i = int(position[mask].iloc[0])
        return _cell_error(path, int(lines[i]), column, message.format(value=s.iloc[i]))

    empty = s.eq("")
    if empty.any():
        raise fail(empty, "empty timestamp; every row needs one")
    epoch = s.str.fullmatch(r"\d{9,11}(?:\.\d+)?")
    offset = s.str.contains(_OFFSET, regex=True) & ~epoch
    naive = ~epoch & ~offset
    parts = []
    if epoch.any():
        parts.append(pd.to_datetime(s[epoch].astype("float64"), unit="s", utc=True))
    if offset.any():
        parsed = pd.to_datetime(s[offset], format="ISO8601", utc=True, errors="coerce")
        if parsed.isna().any():
            raise fail(offset & parsed.reindex(s.index).isna(), _BAD_TIME)
        parts.append(parsed)
    if naive.any():
        if tz is None:
            raise fail(
                naive,
                "timestamp {value!r} has no UTC offset; give the file's time zone (--tz "
                "America/New_York) or write offsets such as 2025-12-01T00:00:00-05:00",
            )
        local = pd.to_datetime(s[naive], format="ISO8601", errors="coerce")
        if local.isna().any():
            raise fail(naive & local.reindex(s.index).isna(), _BAD_TIME)
        aware = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        if aware.isna().any():
            raise fail(
                naive & aware.reindex(s.index).isna(),
                f"local time {{value!r}} is ambiguous or does not exist in {tz.key} (a DST "
                "change); write timestamps with their UTC offset around DST changes",
            )
        parts.append(aware.dt.tz_convert("UTC"))
    out = pd.concat(parts).reindex(s.index)
    out = out.astype("datetime64[us, UTC]")
    # pandas-stubs lack DatetimeArray.asi8 (the int64 view that DatetimeIndex.asi8 also gives)
    fractional = (out.array.asi8 % 1_000_000) != 0  # type: ignore[attr-defined]
    if fractional.any():
        raise fail(
            pd.Series(fractional, index=s.index), "timestamp {value!r} has fractional seconds"
        )
    return out


_BAD_TIME = (
    "cannot read {value!r} as a time; use ISO 8601 such as 2025-12-01T00:00:00-05:00 or "
    "2025-12-01 00:00 with --tz"
)


MISSING_TOKENS = frozenset(
    {"", "nan", "-nan", "na", "n/a", "#n/a", "#na", "null", "none", "<na>", "-", "--"}
)
"""Cell texts that mean "no reading" (compared case-insensitively): empty cells and the usual
spellings of a missing value written by pandas, spreadsheets and databases (``nan``, ``NA``,
``#N/A``, ``NULL``, ...). They are missing data, not rejected values."""


def _numbers(
    raw: pd.Series, lines: np.ndarray, *, path: Path, column: str, header: str
) -> tuple[pd.Series, pd.DataFrame]:
    """Numeric values; non-numbers become NaN and a rejected row (missing cells are just NaN)."""
    text = raw.fillna("").astype("str").str.strip()
    missing = text.str.lower().isin(MISSING_TOKENS)
    number = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64")
    bad = ~missing & ~np.isfinite(number)
    rejected = pd.DataFrame(
        {
            "row": np.flatnonzero(bad.to_numpy()),
            "field": column,
            "raw_value": text[bad].to_numpy(),
            "reason": [
                f"not a number ({path.name}, line {line}, column {header!r}); stored as NULL"
                for line in lines[bad.to_numpy()]
            ],
        }
    )
    return number.where(np.isfinite(number)), rejected


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _wide_columns(
    header: list[str], known: pd.DataFrame, *, path: Path
) -> list[tuple[str, int, str | None, str, float]]:
    """Per value column: (header, channel_id, channel name, reading column, scale)."""
    by_name = {
        str(n).strip().lower(): int(c)
        for c, n in zip(known["channel_id"], known["name"], strict=True)
        if isinstance(n, str)
    }
    out = []
    taken: dict[tuple[int, str], str] = {}
    for i, name in enumerate(header, start=1):
        if name.lower() in _TIMESTAMP_NAMES:
            continue
        where = f"{path.name}, line 1, column {i} ({name!r})"
        match = _WIDE_HEADER.match(name)
        if not match:
            raise CsvError(
                f"{where}: no unit in the header; name each channel column like "
                "'162285 Kitchen [kW]' or 'RTU-1 (kWh)' (units kW, W, kWh, Wh), or use the long "
                "layout with a channel_id column"
            )
        label, unit = match["label"].strip(), match["unit"].strip().lower()
        if unit not in _WIDE_UNITS:
            raise CsvError(
                f"{where}: unit {match['unit']!r} is not one of kW, W, kWh, Wh; other fields need "
                "the long layout (columns named like voltage_v)"
            )
        column, scale = _WIDE_UNITS[unit]
        ident = re.match(r"^(\d+)(?:\s*[-_:]?\s+|\s*[-_:]\s*|$)(.*)$", label)
        if ident:
            channel_id, channel_name = int(ident[1]), ident[2].strip() or None
        elif label.lower() in by_name:
            channel_id, channel_name = by_name[label.lower()], label
        else:
            raise CsvError(
                f"{where}: no channel named {label!r} at this site"
                f"{_suggest(label, [str(n) for n in known['name'] if isinstance(n, str)])}; "
                "start the header with the channel id, e.g. '162320 RTU-1 [kW]'"
            )
        if (channel_id, column) in taken:
            raise CsvError(
                f"{where}: channel {channel_id} {column} is already in column "
                f"{taken[(channel_id, column)]!r}"
            )
        taken[(channel_id, column)] = name
        out.append((name, channel_id, channel_name, column, scale))
    if not out:
        raise CsvError(f"{path.name}, line 1: no channel columns next to the timestamp")
    return out


def _infer_resolution(readings: pd.DataFrame) -> int | None:
    if len(readings) < 2:
        return None
    ordered = readings.sort_values(["channel_id", "timestamp"])
    seconds = ordered["timestamp"].array.asi8 // 1_000_000
    step = np.diff(seconds)
    same = np.diff(ordered["channel_id"].to_numpy()) == 0
    step = step[same & (step > 0)]
    if not step.size:
        return None
    values, counts = np.unique(step, return_counts=True)
    return int(values[np.argmax(counts)])


def read_csv_readings(
    path: str | Path,
    *,
    tz: str | ZoneInfo | None = None,
    known_channels: pd.DataFrame | None = None,
    label: Literal["start", "end"] = "start",
    resolution_s: int | None = None,
) -> CsvReadings:
    """Parse a CSV file of readings, long or wide.

    Long layout: ``timestamp``, ``channel_id``, optional ``channel_name`` and value columns named
    as in :data:`argo_lib.fields.READING_COLUMNS` (``power_kw``, ``energy_kwh``, ``voltage_v``,
    ...), one row per channel and interval. Wide layout: ``timestamp`` and one column per channel
    and quantity whose header ends with its unit: ``162285 Kitchen Main [kW]``, ``RTU-1 (kWh)``
    (kW, W, kWh or Wh; a header without an id is looked up in ``known_channels`` by name).

    Parameters
    ----------
    path : str or pathlib.Path
        The file (UTF-8; comma, semicolon or tab separated).
    tz : str or zoneinfo.ZoneInfo, optional
        Zone of timestamps written without an offset; those with an offset (``...-05:00``,
        ``...Z``) or as epoch seconds keep theirs.
    known_channels : pandas.DataFrame, optional
        ``channel_id`` and ``name`` of the site's channels, for wide headers without an id.
    label : {"start", "end"}
        Whether the file's timestamps label interval starts or ends (ends are shifted back by one
        interval, so that stored timestamps are starts).
    resolution_s : int, optional
        Interval length [s]; default the most common step between a channel's timestamps.

    Returns
    -------
    CsvReadings

    Raises
    ------
    CsvError
        For structural problems, naming the file, line and column: missing columns, unknown
        columns or units, bad channel ids or timestamps, naive timestamps without ``tz``,
        ambiguous local times.
    """
    path = Path(path)
    if not path.is_file():
        raise CsvError(f"CSV file {path} not found")
    zone = None if tz is None else resolve_zone(tz)
    if label not in ("start", "end"):
        raise UsageError(f"label must be 'start' or 'end', got {label!r}")
    header, sep = _sniff_header(path)
    try:
        raw = pd.read_csv(
            path,
            sep=sep,
            dtype="str",
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
            skipinitialspace=True,
        )
    except pd.errors.ParserError as exc:
        raise CsvError(
            f"{path.name}: {str(exc).strip()} (lines count from 1, the header)"
        ) from None
    raw.columns = header
    lines = np.arange(len(raw)) + 2
    blank = raw.fillna("").astype("str").apply(lambda c: c.str.strip()).eq("").all(axis=1)
    raw, lines = raw.loc[~blank.to_numpy()], lines[~blank.to_numpy()]
    lower = {h.lower(): h for h in header}
    ts_column = next((lower[n] for n in _TIMESTAMP_NAMES if n in lower), None)
    if ts_column is None:
        raise CsvError(
            f"{path.name}, line 1: no timestamp column; name it 'timestamp' (found {header})"
        )
    if raw.empty:
        raise CsvError(f"{path.name}: no data rows below the header")
    timestamps = _parse_times(raw[ts_column], lines, tz=zone, path=path, column=ts_column)
    rejected_parts = []
    if "channel_id" in lower:
        layout: Literal["long", "wide"] = "long"
        id_column = lower["channel_id"]
        ids_text = raw[id_column].fillna("").astype("str").str.strip()
        ids = pd.to_numeric(ids_text, errors="coerce")
        bad = ids.isna() | (ids % 1 != 0) | (ids <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise _cell_error(
                path,
                int(lines[i]),
                id_column,
                f"channel id {ids_text.iloc[i]!r} is not a positive whole number",
            )
        name_column = lower.get("channel_name")
        values = [h for h in header if h not in (ts_column, id_column, name_column)]
        frame = pd.DataFrame(
            {"timestamp": timestamps.to_numpy(), "channel_id": ids.astype("int64").to_numpy()}
        )
        for h in values:
            column = h.lower()
            if column not in READING_COLUMNS:
                raise CsvError(
                    f"{path.name}, line 1, column {header.index(h) + 1} ({h!r}): unknown column"
                    f"{_suggest(column, READING_COLUMNS)}; value columns are "
                    f"{', '.join(READING_COLUMNS[:4])}, ... (project units: kW, kWh, V, A)"
                )
            number, bad_values = _numbers(raw[h], lines, path=path, column=column, header=h)
            frame[column] = number.to_numpy()
            rejected_parts.append(bad_values)
        if not values:
            raise CsvError(f"{path.name}, line 1: no value columns (e.g. power_kw, energy_kwh)")
        names = (
            raw[name_column].fillna("").astype("str").str.strip()
            if name_column
            else pd.Series("", index=raw.index, dtype="str")
        )
        channels = (
            pd.DataFrame({"channel_id": frame["channel_id"], "channel_name": names.to_numpy()})
            # pandas-stubs lack the documented nested-dict form {column: {old: new}}
            .replace({"channel_name": {"": pd.NA}})  # type: ignore[arg-type]
            .drop_duplicates("channel_id", keep="last")
        )
        row_channel = frame["channel_id"].to_numpy()
    else:
        layout = "wide"
        known = (
            known_channels
            if known_channels is not None
            else pd.DataFrame({"channel_id": [], "name": []})
        )
        specs = _wide_columns(header, known, path=path)
        pieces = []
        for h, channel_id, _name, column, scale in specs:  # one iteration per column
            number, bad_values = _numbers(raw[h], lines, path=path, column=column, header=h)
            bad_values = bad_values.assign(channel=channel_id)
            rejected_parts.append(bad_values)
            pieces.append(
                pd.DataFrame(
                    {
                        "timestamp": timestamps.to_numpy(),
                        "channel_id": channel_id,
                        "column": column,
                        "value": number.to_numpy() * scale,
                        "order": np.arange(len(raw)),
                    }
                )
            )
        cells = pd.concat(pieces, ignore_index=True)
        cells = cells.drop_duplicates(["channel_id", "timestamp", "column"], keep="last")
        # Each (channel, timestamp, column) is unique here, so pivot loses nothing.
        frame = cells.pivot(  # noqa: PD010
            index=["channel_id", "timestamp"], columns="column", values="value"
        )
        frame = frame.reset_index()
        frame.columns.name = None
        frame = frame[["timestamp", "channel_id", *[c for c in READING_COLUMNS if c in frame]]]
        channels = pd.DataFrame(
            {"channel_id": [s[1] for s in specs], "channel_name": [s[2] for s in specs]}
        ).drop_duplicates("channel_id", keep="first")
        row_channel = None
    res = resolution_s or _infer_resolution(frame)
    if label == "end":
        if res is None:
            raise CsvError(
                f"{path.name}: timestamps label interval ends, but the interval length is "
                "unknown; give --resolution"
            )
        frame["timestamp"] = frame["timestamp"] - pd.Timedelta(seconds=res)
    rejected = _csv_rejected(
        rejected_parts, timestamps, row_channel, label_shift=(res or 0) if label == "end" else 0
    )
    frame = frame.drop_duplicates(["channel_id", "timestamp"], keep="last")
    frame = frame.sort_values(["channel_id", "timestamp"], kind="stable").reset_index(drop=True)
    return CsvReadings(
        readings=frame,
        channels=channels.reset_index(drop=True),
        rejected=rejected,
        layout=layout,
        resolution_s=res,
    )


def _csv_rejected(
    parts: list[pd.DataFrame],
    timestamps: pd.Series,
    row_channel: np.ndarray | None,
    *,
    label_shift: int,
) -> pd.DataFrame:
    """Rejected cells of a CSV file as rejected readings (channel from the row or the column)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_rejected()
    cells = pd.concat(parts, ignore_index=True)
    rows = cells["row"].to_numpy()
    stamps = timestamps.iloc[rows].reset_index(drop=True) - pd.Timedelta(seconds=label_shift)
    channel = row_channel[rows] if row_channel is not None else cells["channel"].to_numpy()
    return concat_rejected(
        [
            pd.DataFrame(
                {
                    "channel_id": channel,
                    "timestamp": stamps,
                    "field": cells["field"].to_numpy(),
                    "raw_value": cells["raw_value"].to_numpy(),
                    "reason": cells["reason"].to_numpy(),
                }
            )
        ]
    )


def import_csv(
    engine: Engine,
    path: str | Path,
    *,
    site: SiteSettings | str,
    tz: str | None = None,
    resolution_s: int | None = None,
    label: Literal["start", "end"] = "start",
    now: Any = None,
) -> IngestResult:
    """Import a CSV file of readings into the database, logged as an ingestion run.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        An upgraded workbook database.
    path : str or pathlib.Path
        The file; see :func:`read_csv_readings` for the layouts.
    site : SiteSettings or str
        The site the channels belong to; channels new to the database are created under it.
    tz : str, optional
        Zone of timestamps without an offset; default the site's time zone (a meter export
        written in local time is the common case). Timestamps with an offset keep theirs.
    resolution_s : int, optional
        Interval length [s]; default inferred from the timestamps. Must match the stored
        resolution of channels that have readings.
    label : {"start", "end"}
        Whether timestamps label interval starts or ends.
    now : datetime-like, optional
        The current time, for the future-timestamp check; default the real time.

    Returns
    -------
    IngestResult
        Source ``csv:<file name>``; ``windows`` is empty.

    Raises
    ------
    CsvError
        For structural problems (naming line and column), or channels of another site.
    ValueError
        If a channel would change its resolution while it has readings (from
        :func:`argo_lib.db.upsert_channels`; the run is logged as failed).
    """
    site = resolve_site(site)
    path = Path(path)
    started = time.perf_counter()
    now_ts = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    stored = db.read_channels(engine)
    names = pd.concat(
        [
            stored.loc[stored["site_id"] == site.site_id, ["channel_id", "name"]],
            pd.DataFrame(
                {
                    "channel_id": [c.channel_id for c in site.channels],
                    "name": [c.name for c in site.channels],
                }
            ),
        ],
        ignore_index=True,
    )
    tz = site.timezone if tz is None else tz
    parsed = read_csv_readings(
        path, tz=tz, known_channels=names, label=label, resolution_s=resolution_s
    )
    res = parsed.resolution_s
    if res is None:
        raise CsvError(
            f"{path.name}: cannot tell the interval length from one row per channel; give "
            "--resolution"
        )
    readings = parsed.readings
    period = Period(
        readings["timestamp"].min().tz_convert(site.tz),
        (readings["timestamp"].max() + pd.Timedelta(seconds=res)).tz_convert(site.tz),
    )
    elsewhere = stored[
        stored["channel_id"].isin(parsed.channels["channel_id"])
        & (stored["site_id"] != site.site_id)
    ]
    if len(elsewhere):
        raise CsvError(
            f"{path.name}: channels {elsewhere['channel_id'].tolist()} belong to site(s) "
            f"{sorted(set(elsewhere['site_id']))}, not {site.site_id}; import the file with "
            "--site of their site"
        )
    run_id = db.start_run(
        engine,
        source=f"csv:{path.name}",
        site_id=site.site_id,
        period_start=period.start,
        period_end=period.end,
        parameters={"file": str(path), "tz": tz, "resolution_s": res, "label": label},
    )
    try:
        db.upsert_site(engine, site)
        current = stored.set_index("channel_id")["name"]
        file_names = parsed.channels.set_index("channel_id")["channel_name"]
        config_names = {c.channel_id: c.name for c in site.channels}
        ids = parsed.channels["channel_id"].astype("int64")
        channel_names = [
            next(
                (
                    n
                    for n in (current.get(c), file_names.get(c), config_names.get(c))
                    if isinstance(n, str) and n
                ),
                f"channel {c}",
            )
            for c in ids  # one per channel: stored name, then the file's, then the site file's
        ]
        frame = pd.DataFrame(
            {"channel_id": ids, "site_id": site.site_id, "name": channel_names, "resolution_s": res}
        )
        frame["role"] = ids.map({c.channel_id: c.role for c in site.channels}).fillna("sub")
        db.upsert_channels(engine, frame)
        kept, range_rejected = validate_readings(readings, now=now_ts, resolution_s=res)
        rejected = concat_rejected([parsed.rejected, range_rejected])
        ledger = RejectedLedger(db.read_rejected(engine, site_id=site.site_id))
        write_new_rejected(engine, ledger, rejected, run_id)
        written = db.upsert_readings(engine, kept) if len(kept) else 0
    except BaseException as exc:
        db.finish_run(engine, run_id, status="failed", error=summarise_error(exc))
        raise
    counts = readings.groupby("channel_id").size()
    written_by = kept.groupby("channel_id").size()
    rejected_by = rejected.groupby("channel_id").size()
    channels = pd.DataFrame(
        {
            "channel_id": ids.to_numpy(),
            "channel_name": channel_names,
            "status": "ok",
            "resolution_s": res,
            "fetch_start": readings.groupby("channel_id")["timestamp"]
            .min()
            .reindex(ids)
            .to_numpy(),
            "fetch_end": (
                readings.groupby("channel_id")["timestamp"].max() + pd.Timedelta(seconds=res)
            )
            .reindex(ids)
            .to_numpy(),
            "windows": 0,
            "received": counts.reindex(ids, fill_value=0).to_numpy(),
            "written": written_by.reindex(ids, fill_value=0).to_numpy(),
            "rejected": rejected_by.reindex(ids, fill_value=0).to_numpy(),
            "error": None,
        }
    ).astype({"resolution_s": "Int64"})
    db.finish_run(
        engine,
        run_id,
        status="ok",
        channels_requested=len(ids),
        rows_received=len(readings),
        rows_written=written,
        rows_rejected=len(rejected),
    )
    return IngestResult(
        run_id=run_id,
        site_id=site.site_id,
        source=f"csv:{path.name}",
        status="ok",
        period=period,
        channels=channels,
        windows=pd.DataFrame(columns=list(db.WINDOW_COLUMNS)),
        rejected=rejected,
        error=None,
        elapsed_s=time.perf_counter() - started,
    )


# --------------------------------------------------------------------------------------------
# Weather (outdoor air temperature) from CSV
# --------------------------------------------------------------------------------------------

_TEMPERATURE_COLUMNS = {"temperature_c": (1.0, 0.0), "temperature_f": (5.0 / 9.0, -32.0)}
"""Accepted temperature columns → (scale, offset) to °C: ``(value + offset) × scale``."""


def read_weather_csv(path: str | Path, *, tz: str | ZoneInfo | None = None) -> pd.DataFrame:
    """Parse a CSV file of outdoor air temperature.

    Columns: ``timestamp`` (ISO 8601 with offset, epoch seconds, or local time with ``tz``) and
    ``temperature_c`` [°C] or ``temperature_f`` [°F]; other columns are ignored. Empty cells
    and the spellings of :data:`MISSING_TOKENS` (``nan``, ``NA``, ...) are missing values.

    Parameters
    ----------
    path : str or pathlib.Path
        The file (UTF-8; comma, semicolon or tab separated).
    tz : str or zoneinfo.ZoneInfo, optional
        Zone of timestamps written without an offset.

    Returns
    -------
    pandas.DataFrame
        ``timestamp`` (UTC) and ``temperature_c`` [°C], in file order.

    Raises
    ------
    CsvError
        Naming the line and column of a missing column, a bad timestamp or a value that is not
        a plausible temperature (−60 to 60 °C).
    """
    path = Path(path)
    if not path.is_file():
        raise CsvError(f"CSV file {path} not found")
    zone = None if tz is None else resolve_zone(tz)
    header, sep = _sniff_header(path)
    lower = {h.lower(): h for h in header}
    if "timestamp" not in lower:
        raise CsvError(f"{path.name}, line 1: no 'timestamp' column; columns are {header}")
    unit = next((c for c in _TEMPERATURE_COLUMNS if c in lower), None)
    if unit is None:
        raise CsvError(
            f"{path.name}, line 1: no 'temperature_c' (°C) or 'temperature_f' (°F) column"
        )
    raw = pd.read_csv(
        path,
        sep=sep,
        dtype="str",
        keep_default_na=False,
        encoding="utf-8-sig",
        skipinitialspace=True,
    )
    raw.columns = [c.strip() for c in raw.columns]
    lines = np.arange(len(raw)) + 2  # line 1 is the header
    times = _parse_times(
        raw[lower["timestamp"]], lines, tz=zone, path=path, column=lower["timestamp"]
    )
    text = raw[lower[unit]].fillna("").astype("str").str.strip()
    missing = text.str.lower().isin(MISSING_TOKENS)
    values = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64")
    scale, offset = _TEMPERATURE_COLUMNS[unit]
    celsius = (values + offset) * scale
    bad = (~missing & ~np.isfinite(values)) | (celsius.abs() > 60)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise _cell_error(
            path, int(lines[i]), lower[unit], f"{text.iloc[i]!r} is not a plausible temperature"
        )
    return pd.DataFrame(
        {"timestamp": times.to_numpy(), "temperature_c": celsius.to_numpy()}
    ).assign(timestamp=lambda f: f["timestamp"].dt.tz_convert("UTC"))


def import_weather_csv(
    engine: Engine,
    path: str | Path,
    *,
    site: SiteSettings | str,
    tz: str | ZoneInfo | None = None,
) -> int:
    """Load a CSV file of outdoor air temperature into the ``weather`` table of a site.

    The temperature-aware baseline of the weekly brief uses it when it covers the baseline and
    the report week. Re-importing the same file changes nothing (upsert on site and time). The
    import is logged as an ingestion run with source ``weather-csv:<file name>``, so the run log
    knows where the site's temperatures came from.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        An upgraded workbook database.
    path : str or pathlib.Path
        The file; see :func:`read_weather_csv`.
    site : SiteSettings or str
        The site (or its id / file stem).
    tz : str or zoneinfo.ZoneInfo, optional
        Zone of timestamps written without an offset; default the site's time zone.

    Returns
    -------
    int
        Rows written.

    Raises
    ------
    CsvError
        Naming the line and column of a bad value (nothing is written or logged).
    """
    settings = resolve_site(site)
    path = Path(path)
    tz = settings.timezone if tz is None else tz
    frame = read_weather_csv(path, tz=tz)
    stamps = frame["timestamp"].dropna().drop_duplicates().sort_values()
    step = pd.Timedelta(stamps.diff().median()) if len(stamps) > 1 else pd.NaT
    step = pd.Timedelta(hours=1) if pd.isna(step) else step  # one reading: an hour's worth
    run_id = db.start_run(
        engine,
        source=f"weather-csv:{path.name}",
        site_id=settings.site_id,
        period_start=stamps.min() if len(stamps) else None,
        period_end=stamps.max() + step if len(stamps) else None,
        parameters={"file": str(path), "tz": None if tz is None else str(tz)},
    )
    try:
        db.upsert_site(engine, settings)
        written = db.upsert_weather(engine, frame, site_id=settings.site_id)
    except BaseException as exc:
        db.finish_run(engine, run_id, status="failed", error=summarise_error(exc))
        raise
    db.finish_run(engine, run_id, status="ok", rows_received=len(frame), rows_written=written)
    return written
