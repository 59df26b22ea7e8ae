"""Readings and outdoor temperature from CSV files, through the same validation as a sync.

:func:`import_csv` loads a long table (``timestamp, channel_id, channel_name, power_kw,
energy_kwh, ...``) or a wide one (``timestamp`` plus one column per channel with the unit in the
header, e.g. ``162285 Kitchen [kW]``), checks it and logs it as an ingestion run.
:func:`import_weather_csv` loads outdoor air temperature for the temperature-aware baseline.
Errors and rejected values name the file, line and column.

The rules of a readings import (every rejected value goes to the rejected-readings ledger with
its raw text and a reason naming the file, line and column):

- **Separators.** The header line decides the column separator (comma, semicolon or tab).
  Numbers use a decimal point, or a decimal comma (``6,344``) in a semicolon- or tab-separated
  file that writes them so; a file mixing both is refused. A cell that is not a number is a
  rejected value (the reading keeps NULL there); empty cells and :data:`MISSING_TOKENS` are
  missing readings.
- **Timestamps.** ISO 8601 with an offset, epoch seconds (9 to 11 digits) or epoch milliseconds
  (13 digits), both UTC, or local times in ``tz``.
- **Interval grid.** Stored timestamps are interval starts on the grid of the interval length
  in the site's time zone (:00, :15, :30 and :45 for 900 s). A row off the grid is rejected
  (``timestamp`` value, row kept out), never moved to a neighbouring interval.
- **Duplicates.** Of the lines with the same channel and timestamp the last one wins; values of
  earlier lines that differ from it are rejected, identical repeats are only counted.
- **Plausibility.** :func:`argo_lib.ingest.validate.validate_readings` keeps out a row with a
  value outside its field's range, or with more energy than the channel can draw: its
  ``max_kw`` (channels without one: the site's ``health.implausible_max_kw``, else 5000 kW)
  over the interval, or over the time since its previous reading in the file (a catch-up
  reading after a gap).
- **Outcome.** A file whose every value is rejected is a failed import (status ``failed``, exit
  1): nothing is written but the run log and the rejected values (site, channels and readings
  are left alone). An import with some rejected values is ``ok`` and its summary has a
  ``warning:`` line giving their count.
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
    power_ceilings,
    validate_readings,
    write_new_rejected,
)
from argo_lib.render.format import plural

__all__ = [
    "MISSING_TOKENS",
    "CsvError",
    "CsvImportResult",
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
        in project units): one row per channel and interval, from the last line that gives it.
    channels : pandas.DataFrame
        ``channel_id`` and ``channel_name`` (NA when the file gives none).
    rejected : pandas.DataFrame
        Rejected values (:data:`argo_lib.eniscope.REJECTED_COLUMNS`), each reason naming the file,
        line and column: cells that are not numbers (the reading keeps NULL there), rows off the
        interval grid, and values of duplicate lines that lost to a later line.
    layout : {"long", "wide"}
        The table's layout.
    resolution_s : int or None
        Interval length [s]: as given, else the most common step between a channel's timestamps
        (None with one row per channel).
    rows : pandas.DataFrame
        One row per channel and line of the file: ``channel_id``, ``timestamp`` (UTC interval
        start), ``line`` and ``status`` (``kept``, ``off_grid``, ``conflict`` for a duplicate
        with other values than the last line, ``repeat`` for an identical duplicate).
    cells : pandas.DataFrame
        Where each kept value came from: ``channel_id``, ``timestamp``, ``field`` (a reading
        column, or ``timestamp`` for the row's time), ``line``, ``header`` (the file's column)
        and ``raw_value`` (the cell's text).
    decimal : {".", ","}
        The decimal separator the numbers were read with.
    """

    readings: pd.DataFrame
    channels: pd.DataFrame
    rejected: pd.DataFrame
    layout: Literal["long", "wide"]
    resolution_s: int | None
    rows: pd.DataFrame
    cells: pd.DataFrame
    decimal: str

    def count(self, status: str) -> int:
        """Rows of the file with ``status`` (``kept``, ``off_grid``, ``conflict``, ``repeat``)."""
        return int((self.rows["status"] == status).sum())

    def __repr__(self) -> str:
        return (
            f"CsvReadings(layout={self.layout!r}, rows={len(self.readings)}, "
            f"channels={len(self.channels)}, rejected={len(self.rejected)}, "
            f"resolution_s={self.resolution_s}, decimal={self.decimal!r})"
        )


@dataclass(frozen=True, repr=False)
class CsvImportResult(IngestResult):
    """An :class:`~argo_lib.ingest.runs.IngestResult` of a CSV import, with its notes.

    Its ``notes`` (shown below the counts) say how numbers were read, which rows were off the
    interval grid, the duplicates and the rule applied, and give a ``warning:`` line with the
    count of rejected values when some were rejected. Its counts follow
    :mod:`argo_lib.ingest.runs`: ``received`` is one per channel and line of the file,
    ``duplicates`` the lines that lost to a later line (repeats and conflicts), ``kept_out`` the
    rows off the grid or with an impossible value (every row when the import failed).
    """


_TIMESTAMP_NAMES = ("timestamp", "time", "datetime", "date_time", "ts")
_OFFSET = re.compile(r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")
_WIDE_HEADER = re.compile(r"^(?P<label>.*?)\s*[\[(](?P<unit>[^\[\]()]*)[\])]\s*$")
_WIDE_UNITS = {
    "kw": ("power_kw", 1.0),
    "w": ("power_kw", 0.001),
    "kwh": ("energy_kwh", 1.0),
    "wh": ("energy_kwh", 0.001),
}
_COMMA_NUMBER = re.compile(r"[+-]?(?:\d+,\d*|,\d+)(?:[eE][+-]?\d+)?")
_POINT_NUMBER = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?")


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


def _read_rows(path: Path, sep: str, header: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The data rows as text, blank lines dropped, and the file line of each (the header is 1)."""
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
    keep = ~blank.to_numpy()
    return raw.loc[keep].reset_index(drop=True), lines[keep]


def _no_rows(path: Path) -> CsvError:
    return CsvError(f"{path.name}: no data rows below the header (line 1); nothing to import")


def _cell_error(path: Path, line: int, column: str, message: str) -> CsvError:
    return CsvError(f"{path.name}, line {line}, column {column!r}: {message}")


def _parse_times(
    text: pd.Series, lines: np.ndarray, *, tz: ZoneInfo | None, path: Path, column: str
) -> pd.Series:
    """Timestamps with offsets or as epoch seconds/milliseconds (UTC) as given; naive ones in ``tz``."""
    s = text.fillna("").astype("str").str.strip()
    position = pd.Series(np.arange(len(s)), index=s.index)

    def fail(mask: pd.Series, message: str) -> CsvError:
        i = int(position[mask].iloc[0])
        return _cell_error(path, int(lines[i]), column, message.format(value=s.iloc[i]))

    empty = s.eq("")
    if empty.any():
        raise fail(empty, "empty timestamp; every row needs one")
    epoch_s = s.str.fullmatch(r"\d{9,11}(?:\.\d+)?")
    epoch_ms = s.str.fullmatch(r"\d{13}")
    epoch = epoch_s | epoch_ms
    offset = s.str.contains(_OFFSET, regex=True) & ~epoch
    naive = ~epoch & ~offset
    parts = []
    if epoch_s.any():
        seconds = pd.to_datetime(s[epoch_s].astype("float64"), unit="s", utc=True)
        parts.append(seconds.astype("datetime64[us, UTC]"))
    if epoch_ms.any():
        millis = pd.to_datetime(s[epoch_ms].astype("int64"), unit="ms", utc=True)
        parts.append(millis.astype("datetime64[us, UTC]"))
    if offset.any():
        parsed = pd.to_datetime(s[offset], format="ISO8601", utc=True, errors="coerce")
        if parsed.isna().any():
            raise fail(offset & parsed.reindex(s.index).isna(), _BAD_TIME)
        parts.append(parsed.astype("datetime64[us, UTC]"))
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
        parts.append(aware.dt.tz_convert("UTC").astype("datetime64[us, UTC]"))
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
    "cannot read {value!r} as a time; use ISO 8601 such as 2025-12-01T00:00:00-05:00, "
    "2025-12-01 00:00 with --tz, or epoch seconds or milliseconds (UTC)"
)


MISSING_TOKENS = frozenset(
    {"", "nan", "-nan", "na", "n/a", "#n/a", "#na", "null", "none", "<na>", "-", "--"}
)
"""Cell texts that mean "no reading" (compared case-insensitively): empty cells and the usual
spellings of a missing value written by pandas, spreadsheets and databases (``nan``, ``NA``,
``#N/A``, ``NULL``, ...). They are missing data, not rejected values."""


def _decimal_separator(
    columns: Iterable[tuple[str, pd.Series]],
    lines: np.ndarray,
    *,
    sep: str,
    decimal: str | None,
    path: Path,
) -> str:
    """The decimal separator: as given, else ``,`` when a ``;``/tab file's numbers use one."""
    if decimal is not None:
        if decimal not in (".", ","):
            raise UsageError(f"decimal must be '.' or ',', got {decimal!r}")
        if decimal == sep:
            raise CsvError(
                f"{path.name}, line 1: the columns are separated by {sep!r}, so {decimal!r} "
                "cannot be the decimal separator"
            )
        return decimal
    if sep == ",":
        return "."
    first: dict[str, tuple[int, str, str]] = {}  # separator -> (line, column, text)
    for header, text in columns:
        for mark, pattern in ((",", _COMMA_NUMBER), (".", _POINT_NUMBER)):
            hits = np.flatnonzero(text.str.fullmatch(pattern).to_numpy())
            if hits.size and (mark not in first or lines[hits[0]] < first[mark][0]):
                first[mark] = (int(lines[hits[0]]), header, str(text.iloc[hits[0]]))
    if "," in first and "." in first:
        (l1, h1, v1), (l2, h2, v2) = first[","], first["."]
        raise CsvError(
            f"{path.name}: numbers are written with a decimal comma (line {l1}, column {h1!r}: "
            f"{v1!r}) and with a decimal point (line {l2}, column {h2!r}: {v2!r}); write every "
            "number with the same decimal separator"
        )
    return "," if "," in first else "."


def _parse_numbers(text: pd.Series, decimal: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values (NaN where missing or not a number), the missing mask and the not-a-number mask."""
    missing = text.str.lower().isin(MISSING_TOKENS).to_numpy()
    spelled = text
    if decimal == ",":  # a point is no separator here: "1.234" is refused, never guessed
        spelled = text.where(~text.str.contains(".", regex=False), "?")
        spelled = spelled.str.replace(",", ".", regex=False)
    number = pd.to_numeric(spelled.where(~missing), errors="coerce").to_numpy(dtype="float64")
    bad = ~missing & ~np.isfinite(number)
    return np.where(bad, np.nan, number), missing, bad


def _not_a_number(text: str, decimal: str) -> str:
    if decimal == "," and _POINT_NUMBER.fullmatch(text):
        return "not a number: it has a decimal point, but this file's numbers use a decimal comma"
    if decimal == "." and _COMMA_NUMBER.fullmatch(text):
        return "not a number: it has a decimal comma, but this file's numbers use a decimal point"
    return "not a number"


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _wide_columns(
    header: list[str], known: pd.DataFrame, *, path: Path
) -> list[tuple[str, int | None, str | None, str, float]]:
    """Per value column: (header, channel_id, channel name, reading column, scale)."""
    by_name = {
        str(n).strip().lower(): int(c)
        for c, n in zip(known["channel_id"], known["name"], strict=True)
        if isinstance(n, str)
    }
    out: list[tuple[str, int | None, str | None, str, float]] = []
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


def _local_seconds(stamps: pd.Series, zone: ZoneInfo) -> np.ndarray:
    """Seconds of the zone's wall clock since 1970-01-01 00:00 (that clock), per timestamp."""
    local = stamps.dt.tz_convert(zone).dt.tz_localize(None)
    return local.to_numpy().astype("datetime64[s]").astype("int64")


def _grid_text(res: int, zone: ZoneInfo) -> str:
    """The interval starts of a grid, for messages: ':00, :15, :30 and :45 (America/New_York)'."""
    if res < 3600 and 3600 % res == 0 and res % 60 == 0 and 3600 // res <= 6:
        starts = [f":{m:02d}" for m in range(0, 60, res // 60)]
        when = ", ".join(starts[:-1]) + f" and {starts[-1]}" if len(starts) > 1 else starts[0]
        return f"intervals start at {when} ({zone.key})"
    if res == 3600:
        return f"intervals start on the hour ({zone.key})"
    return f"intervals start every {res} s from midnight ({zone.key})"


def _off_grid(
    rows: pd.DataFrame, ts_text: pd.Series, *, res: int, zone: ZoneInfo, path: Path, column: str
) -> tuple[np.ndarray, pd.DataFrame]:
    """Rows whose timestamp is no interval start of the grid, and their rejected values."""
    seconds = _local_seconds(rows["timestamp"], zone)
    off = seconds % res != 0
    below = pd.to_datetime(seconds[off] - seconds[off] % res, unit="s")
    grid = _grid_text(res, zone)
    reasons = [
        f"timestamp off the {res} s interval grid: {grid}, the nearest are {lo:%H:%M} and "
        f"{lo + pd.Timedelta(seconds=res):%H:%M} ({path.name}, line {line}, column {column!r}); "
        "row kept out"
        for lo, line in zip(below, rows["line"].to_numpy()[off], strict=True)
    ]
    rejected = pd.DataFrame(
        {
            "line": rows["line"].to_numpy()[off],
            "channel_id": rows["channel_id"].to_numpy()[off],
            "timestamp": rows["timestamp"].to_numpy()[off],
            "field": "timestamp",
            "raw_value": ts_text.to_numpy()[rows["pos"].to_numpy()[off]],
            "reason": reasons,
        }
    )
    return off, rejected


def _duplicates(
    rows: pd.DataFrame, cells: pd.DataFrame, *, path: Path
) -> tuple[pd.Series, pd.DataFrame]:
    """Status of the rows that lose to a later line, and the losers' differing values.

    ``rows`` are the candidate rows (on the grid); the last line of each channel and timestamp
    wins. A losing row is a ``conflict`` when any value differs from the winner's (each such
    value is rejected), else a ``repeat``.
    """
    winner = rows.groupby(["channel_id", "timestamp"])["pos"].transform("max")
    losers = rows.loc[rows["pos"] != winner, ["pos", "channel_id"]].assign(
        winner=winner[rows["pos"] != winner]
    )
    status = pd.Series(pd.NA, index=rows.index, dtype="object")
    if losers.empty:
        return status, pd.DataFrame(columns=["line", "channel_id", "timestamp", "field"])
    lost = cells.merge(losers, on=["pos", "channel_id"])
    won = cells.rename(columns={"pos": "winner"})
    pair = lost.merge(won, on=["winner", "channel_id", "field"], suffixes=("", "_won"))
    differs = pair["key"] != pair["key_won"]
    conflicting = pair.loc[differs, ["pos", "channel_id"]].drop_duplicates()
    is_loser = rows["pos"] != winner
    key = pd.MultiIndex.from_frame(rows[["pos", "channel_id"]])
    in_conflict = key.isin(pd.MultiIndex.from_frame(conflicting))
    status[is_loser.to_numpy() & in_conflict] = "conflict"
    status[is_loser.to_numpy() & ~in_conflict] = "repeat"
    bad = pair.loc[differs]
    reasons = [
        f"duplicate of line {won_line} (same channel and timestamp, {won_raw!r} there); the "
        f"last line wins ({path.name}, line {line}, column {header!r}); value not stored"
        for won_line, won_raw, line, header in zip(
            bad["line_won"], bad["raw_value_won"], bad["line"], bad["header"], strict=True
        )
    ]
    rejected = pd.DataFrame(
        {
            "line": bad["line"].to_numpy(),
            "channel_id": bad["channel_id"].to_numpy(),
            "timestamp": bad["timestamp"].to_numpy(),
            "field": bad["field"].to_numpy(),
            "raw_value": bad["raw_value"].to_numpy(),
            "reason": reasons,
        }
    )
    return status, rejected


def read_csv_readings(
    path: str | Path,
    *,
    tz: str | ZoneInfo | None = None,
    known_channels: pd.DataFrame | None = None,
    label: Literal["start", "end"] = "start",
    resolution_s: int | None = None,
    decimal: str | None = None,
    grid_tz: str | ZoneInfo | None = None,
) -> CsvReadings:
    """Parse a CSV file of readings, long or wide.

    Long layout: ``timestamp``, ``channel_id``, optional ``channel_name`` and value columns named
    as in :data:`argo_lib.fields.READING_COLUMNS` (``power_kw``, ``energy_kwh``, ``voltage_v``,
    ...), one row per channel and interval. Wide layout: ``timestamp`` and one column per channel
    and quantity whose header ends with its unit: ``162285 Kitchen Main [kW]``, ``RTU-1 (kWh)``
    (kW, W, kWh or Wh; a header without an id is looked up in ``known_channels`` by name).

    Rows off the interval grid and duplicate lines are handled by the rules of the module
    docstring; range and plausibility checks are :func:`import_csv`'s.

    Parameters
    ----------
    path : str or pathlib.Path
        The file (UTF-8; comma, semicolon or tab separated).
    tz : str or zoneinfo.ZoneInfo, optional
        Zone of timestamps written without an offset; those with an offset (``...-05:00``,
        ``...Z``) or as epoch seconds or milliseconds (UTC) keep theirs.
    known_channels : pandas.DataFrame, optional
        ``channel_id`` and ``name`` of the site's channels, for wide headers without an id.
    label : {"start", "end"}
        Whether the file's timestamps label interval starts or ends (ends are shifted back by one
        interval, so that stored timestamps are starts).
    resolution_s : int, optional
        Interval length [s]; default the most common step between a channel's timestamps.
    decimal : {".", ","}, optional
        Decimal separator; default ``,`` when the columns are separated by ``;`` or a tab and the
        numbers are written with a decimal comma, else ``.``.
    grid_tz : str or zoneinfo.ZoneInfo, optional
        Zone whose clock the interval grid follows (the site's); default ``tz``, else UTC.

    Returns
    -------
    CsvReadings

    Raises
    ------
    CsvError
        For structural problems, naming the file, line and column: missing columns, unknown
        columns or units, bad channel ids or timestamps, naive timestamps without ``tz``,
        ambiguous local times, numbers written with both decimal separators.
    """
    path = Path(path)
    if not path.is_file():
        raise CsvError(f"CSV file {path} not found")
    zone = None if tz is None else resolve_zone(tz)
    grid_zone = resolve_zone(grid_tz) if grid_tz is not None else (zone or ZoneInfo("UTC"))
    if label not in ("start", "end"):
        raise UsageError(f"label must be 'start' or 'end', got {label!r}")
    header, sep = _sniff_header(path)
    raw, lines = _read_rows(path, sep, header)
    lower = {h.lower(): h for h in header}
    ts_column = next((lower[n] for n in _TIMESTAMP_NAMES if n in lower), None)
    if ts_column is None:
        raise CsvError(
            f"{path.name}, line 1: no timestamp column; name it 'timestamp' (found {header})"
        )
    if raw.empty:
        raise _no_rows(path)
    timestamps = _parse_times(raw[ts_column], lines, tz=zone, path=path, column=ts_column)
    ts_text = raw[ts_column].fillna("").astype("str").str.strip()
    row_ids: np.ndarray | None = None
    specs: list[tuple[str, int | None, str | None, str, float]]
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
        row_ids = ids.astype("int64").to_numpy()
        name_column = lower.get("channel_name")
        values = [h for h in header if h not in (ts_column, id_column, name_column)]
        for h in values:
            if h.lower() not in READING_COLUMNS:
                raise CsvError(
                    f"{path.name}, line 1, column {header.index(h) + 1} ({h!r}): unknown column"
                    f"{_suggest(h.lower(), READING_COLUMNS)}; value columns are "
                    f"{', '.join(READING_COLUMNS[:4])}, ... (project units: kW, kWh, V, A)"
                )
        if not values:
            raise CsvError(f"{path.name}, line 1: no value columns (e.g. power_kw, energy_kwh)")
        specs = [(h, None, None, h.lower(), 1.0) for h in values]
        names = (
            raw[name_column].fillna("").astype("str").str.strip()
            if name_column
            else pd.Series("", index=raw.index, dtype="str")
        )
        channels = (
            pd.DataFrame({"channel_id": row_ids, "channel_name": names.to_numpy()})
            # pandas-stubs lack the documented nested-dict form {column: {old: new}}
            .replace({"channel_name": {"": pd.NA}})  # type: ignore[arg-type]
            .drop_duplicates("channel_id", keep="last")
        )
    else:
        layout = "wide"
        known = (
            known_channels
            if known_channels is not None
            else pd.DataFrame({"channel_id": [], "name": []})
        )
        specs = _wide_columns(header, known, path=path)
        channels = pd.DataFrame(
            {"channel_id": [s[1] for s in specs], "channel_name": [s[2] for s in specs]}
        ).drop_duplicates("channel_id", keep="first")
    texts = {h: raw[h].fillna("").astype("str").str.strip() for h, *_ in specs}
    dec = _decimal_separator(texts.items(), lines, sep=sep, decimal=decimal, path=path)

    # One row per value cell: where it is, its text, its value and whether it is a number.
    pieces = []
    positions = np.arange(len(raw))
    for h, channel_id, _name, column, scale in specs:  # one iteration per column
        number, missing, not_number = _parse_numbers(texts[h], dec)
        key = np.where(not_number, "?" + texts[h].to_numpy(dtype="str"), number.astype("str"))
        pieces.append(
            pd.DataFrame(
                {
                    "pos": positions,
                    "channel_id": row_ids if channel_id is None else channel_id,
                    "field": column,
                    "header": h,
                    "raw_value": texts[h].to_numpy(),
                    "value": number * scale,
                    "bad": not_number,
                    "key": np.where(missing, "", key),
                }
            )
        )
    cells = pd.concat(pieces, ignore_index=True).astype({"channel_id": "int64"})
    cells["line"] = lines[cells["pos"].to_numpy()]
    cells["timestamp"] = timestamps.array.take(cells["pos"].to_numpy())
    rows = cells.drop_duplicates(["pos", "channel_id"])[["pos", "channel_id", "line", "timestamp"]]
    rows = rows.reset_index(drop=True)
    res = resolution_s or _infer_resolution(rows)
    if label == "end":
        if res is None:
            raise CsvError(
                f"{path.name}: timestamps label interval ends, but the interval length is "
                "unknown; give --resolution"
            )
        shift = pd.Timedelta(seconds=res)
        rows["timestamp"] = rows["timestamp"] - shift
        cells["timestamp"] = cells["timestamp"] - shift

    rows["status"] = "kept"
    rejected_parts = []
    if res:
        off, off_rejected = _off_grid(
            rows, ts_text, res=res, zone=grid_zone, path=path, column=ts_column
        )
        rows.loc[off, "status"] = "off_grid"
        rejected_parts.append(off_rejected)
    on_grid = rows["status"] == "kept"
    status, duplicate_rejected = _duplicates(rows.loc[on_grid], cells, path=path)
    rows.loc[status.dropna().index, "status"] = status.dropna()
    rejected_parts.append(duplicate_rejected)
    kept_rows = rows.loc[rows["status"] == "kept", ["pos", "channel_id"]]
    kept = cells.merge(kept_rows, on=["pos", "channel_id"])
    nan_cells = kept.loc[kept["bad"]]
    rejected_parts.append(
        pd.DataFrame(
            {
                "line": nan_cells["line"].to_numpy(),
                "channel_id": nan_cells["channel_id"].to_numpy(),
                "timestamp": nan_cells["timestamp"].to_numpy(),
                "field": nan_cells["field"].to_numpy(),
                "raw_value": nan_cells["raw_value"].to_numpy(),
                "reason": [
                    f"{_not_a_number(text, dec)} ({path.name}, line {line}, column {h!r}); "
                    "stored as NULL"
                    for text, line, h in zip(
                        nan_cells["raw_value"], nan_cells["line"], nan_cells["header"], strict=True
                    )
                ],
            }
        )
    )
    parts = [p for p in rejected_parts if len(p)]
    if parts:
        combined = pd.concat(parts, ignore_index=True).sort_values("line", kind="stable")
        rejected = concat_rejected([combined.assign(location=_locations(path, combined["line"]))])
    else:
        rejected = empty_rejected()

    fields = [c for c in READING_COLUMNS if c in {s[3] for s in specs}]
    if kept.empty:
        frame = pd.DataFrame(
            {
                "timestamp": pd.Series([], dtype="datetime64[us, UTC]"),
                "channel_id": pd.Series([], dtype="int64"),
                **{c: pd.Series([], dtype="float64") for c in fields},
            }
        )
    else:
        # Each (channel, timestamp, field) is unique among the kept rows, so pivot loses nothing.
        frame = kept.pivot(  # noqa: PD010
            index=["channel_id", "timestamp"], columns="field", values="value"
        ).reset_index()
        frame.columns.name = None
    frame = frame[["timestamp", "channel_id", *[c for c in fields if c in frame]]]
    frame = frame.sort_values(["channel_id", "timestamp"], kind="stable").reset_index(drop=True)
    times = rows.merge(kept_rows, on=["pos", "channel_id"]).assign(
        field="timestamp", header=ts_column, raw_value=lambda f: ts_text.to_numpy()[f["pos"]]
    )
    sources = pd.concat([kept, times], ignore_index=True)[
        ["channel_id", "timestamp", "field", "line", "header", "raw_value"]
    ]
    return CsvReadings(
        readings=frame,
        channels=channels.reset_index(drop=True),
        rejected=rejected,
        layout=layout,
        resolution_s=res,
        rows=rows[["channel_id", "timestamp", "line", "status"]],
        cells=sources,
        decimal=dec,
    )


def _locate(rejected: pd.DataFrame, cells: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Rejected values of the checks after parsing, with the file's text, line and column."""
    if rejected.empty:
        return rejected
    where = rejected.merge(
        cells, on=["channel_id", "timestamp", "field"], how="left", suffixes=("", "_file")
    )
    reasons = []
    for reason, line, header in zip(where["reason"], where["line"], where["header"], strict=True):
        head, sep, tail = str(reason).rpartition("; ")
        place = f" ({path.name}, line {int(line)}, column {header!r})"
        reasons.append(f"{head}{place}{sep}{tail}" if sep else f"{reason}{place}")
    located = where.assign(
        raw_value=where["raw_value_file"], reason=reasons, location=_locations(path, where["line"])
    )
    return concat_rejected([located.sort_values("line", kind="stable")])


def _locations(path: Path, lines: Iterable[Any]) -> list[str]:
    """``rejected_readings.location`` of values of a file: ``"<file> line N"``."""
    return [f"{path.name} line {int(line)}" for line in lines]


def _notes(parsed: CsvReadings, rejected: pd.DataFrame, *, path: Path, zone: ZoneInfo) -> list[str]:
    """The summary's notes on how the file was read and what was left out."""
    notes = []
    if parsed.decimal == ",":
        notes.append(f"{path.name}: numbers read with a decimal comma (6,344 = 6.344)")
    off = parsed.count("off_grid")
    if off and parsed.resolution_s:
        notes.append(
            f"{path.name}: {plural(off, 'row')} off the {parsed.resolution_s} s interval grid "
            "kept out "
            f"({_grid_text(parsed.resolution_s, zone)}; a row is never moved to another "
            "interval)"
        )
    conflicts = parsed.count("conflict")
    if conflicts:
        values = int(rejected["reason"].str.startswith("duplicate of line").sum())
        notes.append(
            f"{path.name}: {plural(conflicts, 'conflicting duplicate row')} (same channel and "
            "timestamp as a later line, other values): the last line wins; the earlier lines' "
            f"{plural(values, 'differing value')} rejected"
        )
    repeats = parsed.count("repeat")
    if repeats:
        notes.append(
            f"{path.name}: {plural(repeats, 'repeated row')} (same channel, timestamp and "
            "values as a later line) imported once"
        )
    return notes


def import_csv(
    engine: Engine,
    path: str | Path,
    *,
    site: SiteSettings | str,
    tz: str | None = None,
    resolution_s: int | None = None,
    label: Literal["start", "end"] = "start",
    decimal: str | None = None,
    now: Any = None,
) -> CsvImportResult:
    """Import a CSV file of readings into the database, logged as an ingestion run.

    The rules (separators, timestamps, interval grid, duplicates, plausibility, when an import
    fails) are those of the module docstring.

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
    decimal : {".", ","}, optional
        Decimal separator; default detected (see :func:`read_csv_readings`).
    now : datetime-like, optional
        The current time, for the future-timestamp check; default the real time.

    Returns
    -------
    CsvImportResult
        Source ``csv:<file name>``; ``windows`` is empty. Status ``failed`` (exit status 1) when
        every value of the file was rejected: then only the run log and the rejected values are
        written.

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
        path,
        tz=tz,
        known_channels=names,
        label=label,
        resolution_s=resolution_s,
        decimal=decimal,
        grid_tz=site.timezone,
    )
    res = parsed.resolution_s
    if res is None:
        raise CsvError(
            f"{path.name}: cannot tell the interval length from one row per channel; give "
            "--resolution"
        )
    readings, rows = parsed.readings, parsed.rows
    period = Period(
        rows["timestamp"].min().tz_convert(site.tz),
        (rows["timestamp"].max() + pd.Timedelta(seconds=res)).tz_convert(site.tz),
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

    kept, range_rejected = validate_readings(
        readings, now=now_ts, resolution_s=res, max_kw=power_ceilings(site, ids)
    )
    checked = _locate(range_rejected, parsed.cells, path)
    rejected = concat_rejected([parsed.rejected, checked])
    line = rejected["location"].str.rsplit(" ", n=1).str[-1].astype("int64")
    rejected = rejected.iloc[np.argsort(line.to_numpy(), kind="stable")].reset_index(drop=True)
    value_columns = [c for c in kept.columns if c not in ("timestamp", "channel_id")]
    accepted = int(kept[value_columns].notna().to_numpy().sum())
    failed = accepted == 0 and len(rejected) > 0
    error = (
        f"{path.name}: every value was rejected ({len(rejected)}); nothing was imported. Fix "
        "the file (the reasons name line and column) and import it again"
        if failed
        else None
    )
    if failed:  # nothing is stored, not even the NULLs
        rejected["reason"] = rejected["reason"].str.replace(
            "; stored as NULL", "; not stored (every value of the file was rejected)", regex=False
        )
    notes = _notes(parsed, rejected, path=path, zone=site.tz)
    if len(rejected) and not failed:
        notes.append(
            f"warning: {path.name}: {plural(len(rejected), 'value')} rejected; the rest were "
            "imported. "
            "Each rejected value is in the rejected-readings ledger with its raw text, line, "
            "column and reason"
        )

    run_id = db.start_run(
        engine,
        source=f"csv:{path.name}",
        site_id=site.site_id,
        period_start=period.start,
        period_end=period.end,
        parameters={
            "file": str(path),
            "tz": tz,
            "resolution_s": res,
            "label": label,
            "decimal": parsed.decimal,
        },
    )
    written = 0
    try:
        if not failed:  # a file with nothing to import leaves the site and its channels alone
            db.upsert_site(engine, site)
            frame = pd.DataFrame(
                {
                    "channel_id": ids,
                    "site_id": site.site_id,
                    "name": channel_names,
                    "resolution_s": res,
                }
            )
            frame["role"] = ids.map({c.channel_id: c.role for c in site.channels}).fillna("sub")
            db.upsert_channels(engine, frame)
        ledger = RejectedLedger(db.read_rejected(engine, site_id=site.site_id))
        rejected_new = len(ledger.new(rejected))  # each value of a file is distinct (its line)
        write_new_rejected(engine, ledger, rejected, run_id)
        if not failed and len(kept):
            written = db.upsert_readings(engine, kept)
    except BaseException as exc:
        db.finish_run(engine, run_id, status="failed", error=summarise_error(exc))
        raise
    status: Literal["ok", "failed"] = "failed" if failed else "ok"
    received = rows.groupby("channel_id").size()
    written_by = kept.groupby("channel_id").size() if not failed else pd.Series(dtype="int64")
    rejected_by = rejected.groupby("channel_id").size()
    repeated = rows["status"].isin(["conflict", "repeat"])
    duplicates_by = rows.loc[repeated].groupby("channel_id").size().reindex(ids, fill_value=0)
    received_n = received.reindex(ids, fill_value=0).to_numpy()
    written_n = written_by.reindex(ids, fill_value=0).to_numpy()
    channels = pd.DataFrame(
        {
            "channel_id": ids.to_numpy(),
            "channel_name": channel_names,
            "status": status,
            "resolution_s": res,
            "fetch_start": rows.groupby("channel_id")["timestamp"].min().reindex(ids).to_numpy(),
            "fetch_end": (rows.groupby("channel_id")["timestamp"].max() + pd.Timedelta(seconds=res))
            .reindex(ids)
            .to_numpy(),
            "windows": 0,
            "received": received_n,
            "written": written_n,
            "kept_out": received_n - written_n - duplicates_by.to_numpy(),
            "duplicates": duplicates_by.to_numpy(),
            "rejected": rejected_by.reindex(ids, fill_value=0).to_numpy(),
            "error": "every value rejected" if failed else None,
        }
    ).astype({"resolution_s": "Int64"})
    db.finish_run(
        engine,
        run_id,
        status=status,
        channels_requested=len(ids),
        channels_failed=len(ids) if failed else 0,
        rows_received=len(rows),
        rows_written=written,
        rows_rejected=len(rejected),
        error=error,
    )
    return CsvImportResult(
        run_id=run_id,
        site_id=site.site_id,
        source=f"csv:{path.name}",
        status=status,
        period=period,
        channels=channels,
        windows=pd.DataFrame(columns=list(db.WINDOW_COLUMNS)),
        rejected=rejected,
        error=error,
        elapsed_s=time.perf_counter() - started,
        rejected_new=rejected_new,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# Weather (outdoor air temperature) from CSV
# --------------------------------------------------------------------------------------------

_TEMPERATURE_COLUMNS = {"temperature_c": (1.0, 0.0), "temperature_f": (5.0 / 9.0, -32.0)}
"""Accepted temperature columns → (scale, offset) to °C: ``(value + offset) × scale``."""


def read_weather_csv(
    path: str | Path, *, tz: str | ZoneInfo | None = None, decimal: str | None = None
) -> pd.DataFrame:
    """Parse a CSV file of outdoor air temperature.

    Columns: ``timestamp`` (ISO 8601 with offset, epoch seconds or milliseconds, or local time
    with ``tz``) and ``temperature_c`` [°C] or ``temperature_f`` [°F]; other columns are ignored.
    Empty cells and the spellings of :data:`MISSING_TOKENS` (``nan``, ``NA``, ...) are missing
    values. Numbers are read as in :func:`read_csv_readings` (a decimal comma in a semicolon- or
    tab-separated file).

    Parameters
    ----------
    path : str or pathlib.Path
        The file (UTF-8; comma, semicolon or tab separated).
    tz : str or zoneinfo.ZoneInfo, optional
        Zone of timestamps written without an offset.
    decimal : {".", ","}, optional
        Decimal separator; default detected.

    Returns
    -------
    pandas.DataFrame
        ``timestamp`` (UTC) and ``temperature_c`` [°C], in file order.

    Raises
    ------
    CsvError
        Naming the file, line and column of a missing column, a bad timestamp or a value that is
        not a plausible temperature (−60 to 60 °C); or a file without data rows.
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
    raw, lines = _read_rows(path, sep, header)
    if raw.empty:
        raise _no_rows(path)
    times = _parse_times(
        raw[lower["timestamp"]], lines, tz=zone, path=path, column=lower["timestamp"]
    )
    text = raw[lower[unit]].fillna("").astype("str").str.strip()
    dec = _decimal_separator([(lower[unit], text)], lines, sep=sep, decimal=decimal, path=path)
    values, _missing, not_number = _parse_numbers(text, dec)
    scale, offset = _TEMPERATURE_COLUMNS[unit]
    celsius = (values + offset) * scale
    bad = not_number | (np.abs(celsius) > 60)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = (
            _not_a_number(text.iloc[i], dec)
            if not_number[i]
            else f"{text.iloc[i]!r} is not a plausible temperature"
        )
        raise _cell_error(path, int(lines[i]), lower[unit], what)
    return pd.DataFrame({"timestamp": times.to_numpy(), "temperature_c": celsius}).assign(
        timestamp=lambda f: f["timestamp"].dt.tz_convert("UTC")
    )


def import_weather_csv(
    engine: Engine,
    path: str | Path,
    *,
    site: SiteSettings | str,
    tz: str | ZoneInfo | None = None,
    decimal: str | None = None,
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
    decimal : {".", ","}, optional
        Decimal separator; default detected.

    Returns
    -------
    int
        Rows written.

    Raises
    ------
    CsvError
        Naming the file, line and column of a bad value, or a file without data rows (nothing
        is written or logged).
    """
    settings = resolve_site(site)
    path = Path(path)
    tz = settings.timezone if tz is None else tz
    frame = read_weather_csv(path, tz=tz, decimal=decimal)
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
