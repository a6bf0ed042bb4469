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


#: the most decimals a small fraction is shown with (below that it shows as 0)
MAX_DECIMALS = 8


def _plain_int(column: str) -> bool:
    """Whether a whole number in ``column`` is a label, shown without separators (a year)."""
    name = column.lower()
    return name == "year" or name.endswith("_year") or name.startswith("year_")


def display_value(value: Any, column: str = "") -> str:
    """A cell for people, the one number format of every report table (the page, the HTML
    download, the CLI's tables): whole numbers with thousands separators (not a year);
    floats to a sensible number of decimals, and fractions below 0.1 as fixed decimals
    to two significant digits (0.000016, never 1.6e-05)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value) if _plain_int(column) else f"{value:,}"
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
        decimals = min(1 - math.floor(math.log10(magnitude)), MAX_DECIMALS)
        shown = f"{value:.{decimals}f}"
        if abs(float(shown)) >= 0.1:  # 0.0999 rounds up: as the fractions above
            return f"{value:.2f}"
        return "0" if float(shown) == 0 else shown
    return str(value)


def display_rows(report: Report, table: str) -> tuple[list[str], list[dict[str, str]]]:
    """The brief columns of ``table`` with values formatted for people."""
    columns, rows = report.table(table)
    columns = report.brief.get(table, columns)
    return columns, [{c: display_value(r.get(c), c) for c in columns} for r in rows]
