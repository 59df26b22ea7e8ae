"""The reading fields: column names, units, Eniscope codes and valid ranges in one table.

Every module that names a reading column (the database schema, the Eniscope client, ingestion
validation, the simulator, CSV import) takes it from :data:`READING_FIELDS`, so a column holds the
unit its name says everywhere (``power_kw`` is kW, never W).

Examples
--------
>>> FIELDS_BY_CODE["E"].column, FIELDS_BY_CODE["E"].scale
('energy_kwh', 0.001)
>>> READING_COLUMNS[:2]
('energy_kwh', 'power_kw')
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FIELDS_BY_CODE",
    "FIELDS_BY_COLUMN",
    "READING_COLUMNS",
    "READING_FIELDS",
    "ReadingField",
]


@dataclass(frozen=True)
class ReadingField:
    """One measured quantity of a reading.

    Parameters
    ----------
    column : str
        Column name in the readings table and in every readings DataFrame; the suffix is the unit.
    code : str
        Eniscope field code (``fields[]=`` value), e.g. ``"P"``.
    api_unit : str
        Unit the Eniscope API reports the field in, e.g. ``"W"``.
    unit : str
        Project unit of ``column``, e.g. ``"kW"``.
    scale : float
        Factor from the API unit to the project unit (``0.001`` for W to kW).
    low, high : float or None
        Inclusive valid range in the project unit; a value outside it is rejected at ingestion
        (Eniscope API spec section 8). ``None`` leaves that side open.
    description : str
        Human description, used in the README glossary and in error messages.
    """

    column: str
    code: str
    api_unit: str
    unit: str
    scale: float
    low: float | None
    high: float | None
    description: str

    def out_of_range_reason(self) -> str:
        """Describe the valid range, for rejected-reading reasons.

        Returns
        -------
        str
            E.g. ``"power_kw outside [0, 5000] kW"``.
        """
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        unit = f" {self.unit}" if self.unit not in ("-", "") else ""
        return f"{self.column} outside [{low}, {high}]{unit}"


def _phases(
    column: str,
    code: str,
    api_unit: str,
    unit: str,
    scale: float,
    low: float | None,
    high: float | None,
    text: str,
) -> list[ReadingField]:
    return [
        ReadingField(
            f"{column}_p{i}", f"{code}{i}", api_unit, unit, scale, low, high, f"{text}, phase {i}"
        )
        for i in (1, 2, 3)
    ]


_VOLTAGE = (50.0, 600.0)
_PF = (-1.0, 1.0)
# Plausibility bounds of the fields the API spec leaves open (issue 10): beyond them a value is a
# meter or transfer fault, and the database must never see it (a cost of 1e12 overflows
# PostgreSQL's NUMERIC(18, 6) while SQLite would store it: both backends store the same rows)
_CURRENT = (-1e5, 1e5)  # A; negative: export, on meters that sign it
_REACTIVE = (-5000.0, 5000.0)  # kVAr, as the spec's 5000 kW
_COST = (-1e6, 1e6)  # currency per interval; negative: an export credit

READING_FIELDS: tuple[ReadingField, ...] = (
    ReadingField("energy_kwh", "E", "Wh", "kWh", 0.001, 0.0, None, "active energy in the interval"),
    ReadingField("power_kw", "P", "W", "kW", 0.001, 0.0, 5000.0, "mean active power"),
    ReadingField("voltage_v", "V", "V", "V", 1.0, *_VOLTAGE, "line-neutral voltage"),
    ReadingField("current_a", "I", "A", "A", 1.0, *_CURRENT, "current"),
    ReadingField("power_factor", "PF", "-", "-", 1.0, *_PF, "power factor"),
    ReadingField("reactive_power_kvar", "Q", "VAr", "kVAr", 0.001, *_REACTIVE, "reactive power"),
    ReadingField("apparent_power_kva", "S", "VA", "kVA", 0.001, 0.0, 5000.0, "apparent power"),
    ReadingField("frequency_hz", "F", "Hz", "Hz", 1.0, 55.0, 65.0, "frequency"),
    ReadingField(
        "thd_current_pct", "D", "%", "%", 1.0, 0.0, 500.0, "current total harmonic distortion"
    ),
    ReadingField("neutral_current_a", "In", "A", "A", 1.0, 0.0, None, "neutral current"),
    ReadingField(
        "cost", "cost", "currency", "currency", 1.0, *_COST, "tariff cost in the interval"
    ),
    *_phases("energy_kwh", "E", "Wh", "kWh", 0.001, 0.0, None, "active energy"),
    *_phases("power_kw", "P", "W", "kW", 0.001, -5000.0, 5000.0, "active power"),
    *_phases("voltage_v", "V", "V", "V", 1.0, *_VOLTAGE, "line-neutral voltage"),
    *_phases("current_a", "I", "A", "A", 1.0, *_CURRENT, "current"),
    *_phases("power_factor", "PF", "-", "-", 1.0, *_PF, "power factor"),
)
"""The project's default 26 Eniscope field codes, in the order of the canonical request."""

READING_COLUMNS: tuple[str, ...] = tuple(f.column for f in READING_FIELDS)
FIELDS_BY_CODE: dict[str, ReadingField] = {f.code: f for f in READING_FIELDS}
FIELDS_BY_COLUMN: dict[str, ReadingField] = {f.column: f for f in READING_FIELDS}
