"""Reports as text: JSON (the whole report) and CSV (one table)."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from allied.reports.model import Report


def _clean(value: Any) -> Any:
    """Floats to 12 significant digits (sums of many floats carry noise past that)."""
    if isinstance(value, float):
        return float(f"{value:.12g}") if math.isfinite(value) else None
    return value


def to_json(report: Report) -> str:
    data = report.as_dict()
    for name in report.tables:
        data[name] = [{k: _clean(v) for k, v in row.items()} for row in data[name]]
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_csv(report: Report, table: str | None = None) -> str:
    columns, rows = report.table(table)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _clean(row.get(c)) for c in columns])
    return buf.getvalue()


def display_value(value: Any) -> str:
    """A cell for people: floats to a sensible number of decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        magnitude = abs(value)
        if magnitude >= 1000:
            return f"{value:,.0f}"
        if magnitude >= 10:
            return f"{value:.1f}"
        if magnitude >= 0.1 or value == 0:
            return f"{value:.2f}"
        return f"{value:.2g}"
    return str(value)


def display_rows(report: Report, table: str) -> tuple[list[str], list[dict[str, str]]]:
    """The brief columns of ``table`` with values formatted for people."""
    columns, rows = report.table(table)
    columns = report.brief.get(table, columns)
    return columns, [{c: display_value(r.get(c)) for c in columns} for r in rows]
