"""How numbers, money, times and counts are written for readers, everywhere the same way.

The notebook views, the charts and the e-mail all format through these functions, so that a
number reads the same in each place (``1,234.5 kWh``, ``$12.34``, ``Mon 16 Nov 09:00``) and a
missing value is always an en dash.

Examples
--------
>>> number(1234.5, 1), number(None, 1)
('1,234.5', '–')
>>> money(12.345, "USD"), money(1500, "EUR", digits=0), money(3, "CHF")
('$12.35', '€1,500', 'CHF 3.00')
>>> local_time("2026-11-16T09:00:00-05:00")
'Mon 16 Nov 09:00'
>>> plural(1, "meter"), plural(3, "meter"), plural(2, "quick win")
('1 meter', '3 meters', '2 quick wins')
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

__all__ = [
    "MISSING",
    "currency_symbol",
    "date_range",
    "local_time",
    "money",
    "number",
    "plural",
    "week_range",
]

MISSING = "–"
"""What a missing or not-applicable value reads as."""

_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "C$", "AUD": "A$"}


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def number(value: Any, digits: int) -> str:
    """A number with thousands separators and ``digits`` decimals; :data:`MISSING` for none."""
    return MISSING if _is_missing(value) else f"{float(value):,.{digits}f}"


def currency_symbol(code: str | None) -> str:
    """The symbol written before an amount: ``$`` for USD, ``€``, ``£``; else the code and a space."""
    code = str(code or "USD")
    return _CURRENCY_SYMBOLS.get(code, code + " ")


def money(value: Any, currency: str | None, *, digits: int = 2) -> str:
    """An amount of money with its currency symbol, e.g. ``$1,234.56``."""
    if _is_missing(value):
        return MISSING
    return f"{currency_symbol(currency)}{float(value):,.{digits}f}"


def local_time(value: Any) -> str:
    """A site-local ISO time (with its offset) as ``Mon 16 Nov 09:00``; :data:`MISSING` for none."""
    if not value or _is_missing(value):
        return MISSING
    return datetime.fromisoformat(str(value)).strftime("%a %d %b %H:%M")


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    """``"1 meter"``, ``"2 meters"`` (``plural_word`` for irregular plurals)."""
    return f"{count:,} {word if count == 1 else (plural_word or word + 's')}"


def date_range(start: Any, end: Any) -> str:
    """A half-open period ``[start, end)`` as its first and last days, e.g. ``16 Nov to 22 Nov 2026``.

    Parameters
    ----------
    start, end : str or datetime-like
        Site-local ISO times with offsets (as in the brief JSON) or timestamps; ``end`` is
        exclusive.
    """
    first = pd.Timestamp(start).to_pydatetime()
    last = (pd.Timestamp(end).to_pydatetime() - timedelta(seconds=1)).date()
    return f"{first:%d %b} to {last:%d %b %Y}"


def week_range(start: Any, end: Any) -> str:
    """A week as people write it, e.g. ``Mon 16 – Sun 22 Nov 2026`` (``end`` exclusive).

    Parameters
    ----------
    start, end : str or datetime-like
        Site-local times (ISO text with offsets, as in the brief JSON, or timestamps).

    Examples
    --------
    >>> week_range("2026-11-23T00:00:00-05:00", "2026-11-30T00:00:00-05:00")
    'Mon 23 – Sun 29 Nov 2026'
    >>> week_range("2026-12-28T00:00:00-05:00", "2027-01-04T00:00:00-05:00")
    'Mon 28 Dec 2026 – Sun 3 Jan 2027'
    """
    first = pd.Timestamp(start)
    last = pd.Timestamp(end) - pd.Timedelta(microseconds=1)
    a, b = f"{first:%a} {first.day}", f"{last:%a} {last.day}"
    if first.year != last.year:
        return f"{a} {first:%b %Y} – {b} {last:%b %Y}"
    if first.month != last.month:
        return f"{a} {first:%b} – {b} {last:%b %Y}"
    return f"{a} – {b} {last:%b %Y}"
