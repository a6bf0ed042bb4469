"""What every report returns: named tables of plain rows, with their context."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from allied.domain.errors import InvalidInput


@dataclass(frozen=True)
class Period:
    """Months from ``start`` to ``end`` (both inclusive; ``None`` leaves a side open).

    A date selects its month: ``--from 2023-01-15`` keeps January 2023.
    """

    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise InvalidInput(
                f"the period ends ({self.end}) before it starts ({self.start})", field="to"
            )

    def has_month(self, year: int, month: int) -> bool:
        if self.start and (year, month) < (self.start.year, self.start.month):
            return False
        return not (self.end and (year, month) > (self.end.year, self.end.month))

    def has_year(self, year: int) -> bool:
        if self.start and year < self.start.year:
            return False
        return not (self.end and year > self.end.year)

    def has_day(self, day: dt.date) -> bool:
        if self.start and day < self.start:
            return False
        return not (self.end and day > self.end)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
        }


@dataclass
class Report:
    """A report: tables of rows (the first is the main one), columns, context.

    Everything inside is JSON-ready (str, int, float, bool, None, lists, dicts).
    """

    name: str
    title: str
    tables: dict[str, list[dict[str, Any]]]
    columns: dict[str, list[str]]
    period: Period = field(default_factory=Period)
    options: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The columns a terminal table shows (all of them when a table is not listed).
    brief: dict[str, list[str]] = field(default_factory=dict)

    @property
    def main(self) -> str:
        return next(iter(self.tables))

    def table(self, name: str | None = None) -> tuple[list[str], list[dict[str, Any]]]:
        key = name or self.main
        if key not in self.tables:
            raise InvalidInput(
                f"report {self.name!r} has no table {key!r}; it has " + ", ".join(self.tables),
                field="table",
            )
        return self.columns[key], self.tables[key]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "report": self.name,
            "title": self.title,
            "period": self.period.as_dict(),
            "options": dict(self.options),
            "sources": list(self.sources),
            "notes": list(self.notes),
        }
        for name, rows in self.tables.items():
            out[name] = [{c: r.get(c) for c in self.columns[name]} for r in rows]
        return out


def rounded(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def pct(part: float, whole: float) -> float | None:
    return None if not whole else part / whole * 100.0
