"""What every dashboard table shares: the query string of a list (search, sort, page),
links that keep it, and the CSV download of exactly what a page shows.

A table's state lives in its URL (``?q=...&sort=-quantity&page=3`` plus its filters), so
sorting, searching and paging are plain links and forms that work without JavaScript, a
page can be bookmarked, and ``format=csv`` answers the same query as a file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import Response

from allied.service.listing import Q_MAX, SORTS

PAGE_SIZE = 50


@dataclass(frozen=True)
class TableState:
    """One table's search, sort and page, and the filters to keep in its links."""

    path: str
    kind: str
    q: str
    sort: str
    page: int
    filters: Mapping[str, str]
    size: int = PAGE_SIZE
    #: an old link's ``offset=`` (kept exactly; the page shown is the one it falls in)
    start: int | None = None

    @property
    def offset(self) -> int:
        return self.start if self.start is not None else (self.page - 1) * self.size

    def url(self, **change: Any) -> str:
        """This table's URL with ``change`` applied (``page`` back to 1 unless given)."""
        params: dict[str, Any] = {**self.filters, "q": self.q, "sort": self.sort}
        params["page"] = 1
        params.update(change)
        kept = {k: v for k, v in params.items() if v not in ("", None, 1, "id") or
                (k == "page" and v != 1)}
        if kept.get("page") == 1:
            kept.pop("page")
        return self.path + ("?" + urlencode(kept) if kept else "")

    def sort_url(self, column: str) -> str:
        """Ascending first; the current column's link turns the order round."""
        order = f"-{column}" if self.sort == column else column
        return self.url(sort=order)

    def sorted_as(self, column: str) -> str:
        """``ascending``, ``descending`` or ``none`` (for ``aria-sort``)."""
        if self.sort == column:
            return "ascending"
        if self.sort == f"-{column}":
            return "descending"
        return "none"

    def csv_url(self) -> str:
        return self.url(page=self.page, format="csv")

    def pages(self, total: int) -> int:
        return max((total + self.size - 1) // self.size, 1)


def table_state(
    path: str,
    kind: str,
    *,
    q: str | None,
    sort: str | None,
    page: int | None,
    filters: Mapping[str, Any] | None = None,
    offset: int | None = None,
) -> TableState:
    """The state from the query string: an unknown sort falls back to the id, a page
    below 1 to the first (a link never fails)."""
    text = (q or "").strip()[:Q_MAX]
    order = (sort or "").strip()
    if order.lstrip("-") not in SORTS[kind] or order.startswith("--"):
        order = "id"
    shown = {k: str(v) for k, v in (filters or {}).items() if v not in (None, "")}
    if page is None and offset:
        return TableState(path, kind, text, order, offset // PAGE_SIZE + 1, shown, start=offset)
    return TableState(path, kind, text, order, max(page or 1, 1), shown)


def csv_response(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], filename: str
) -> Response:
    """The rows as CSV with a header line of ``columns`` (what the page shows)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    text = str(value)
    # a spreadsheet must not run a cell as a formula
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def readable_date(iso: Any) -> str:
    """``2024-06-01`` as ``1 Jun 2024`` (a datetime's date part; text left as it is)."""
    import datetime as dt

    text = str(iso or "")
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        return text
    return f"{day.day} {day:%b %Y}"
