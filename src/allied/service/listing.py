"""One list query for every list page: filters, free-text search, sort, page.

A :class:`ListQuery` names what a list page shows: exact filters, a search text ``q``,
a ``sort`` column (from the page's whitelist, ``-`` before it for descending; the id is
always the tie-breaker) and the window (``limit``, ``offset``). A store that can
(:class:`RecordLists`, the SQL unit of work) answers it in the database: releasability
as a predicate (:class:`~allied.domain.visibility.Grant`), the window and the total
count in SQL, so a page costs one page, not every record the caller may see. The test
fakes have no such capability: the same answer then comes from the repositories, record
by record, through :class:`~allied.domain.visibility.Viewer` (the property test in
``tests/integration/test_list_queries.py`` holds the two together).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from allied.domain.assistance import COMMITTING, PLEDGING, Allocation, Offer, Request
from allied.domain.consent import ConsentRequest
from allied.domain.errors import InvalidInput
from allied.domain.visibility import Grant, Viewer
from allied.service.ports import UnitOfWork

#: The columns each list may be sorted by (what its rows show).
SORTS: dict[str, tuple[str, ...]] = {
    "requests": (
        "id", "recipient", "family", "item_type", "quantity", "priority", "needed_by",
        "status", "pledged", "outstanding",
    ),
    "offers": (
        "id", "donor", "family", "item_type", "quantity", "available_from", "channel",
        "status", "committed", "available",
    ),
    "allocations": (
        "id", "offer", "request", "donor", "recipient", "family", "item_type", "quantity",
        "status", "needed_by", "updated_at",
    ),
    "consents": (
        "id", "origin", "holder", "recipient", "family", "item_type", "requested_on",
        "status", "expires_on",
    ),
}

#: The longest search text taken.
Q_MAX = 100


@dataclass(frozen=True)
class ListQuery:
    """What one list page shows (see the module's docstring)."""

    kind: str
    filters: Mapping[str, Any] = field(default_factory=dict)
    q: str = ""
    sort: str = "id"
    limit: int = 50
    offset: int = 0

    @property
    def column(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")


def list_query(
    kind: str,
    *,
    filters: Mapping[str, Any] | None = None,
    q: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ListQuery:
    """A checked :class:`ListQuery`: errors name the field (``sort``, ``q``, ``limit``)."""
    if limit < 1:
        raise InvalidInput("must be at least 1", field="limit")
    if offset < 0:
        raise InvalidInput("must not be negative", field="offset")
    text = (q or "").strip()
    if len(text) > Q_MAX:
        raise InvalidInput(f"at most {Q_MAX} characters", field="q")
    order = (sort or "id").strip() or "id"
    if order.lstrip("-") not in SORTS[kind] or order.startswith("--"):
        raise InvalidInput(
            f"expected one of {', '.join(SORTS[kind])} (with - before it for descending); "
            f"got {order!r}",
            field="sort",
        )
    given = {k: v for k, v in (filters or {}).items() if v is not None}
    return ListQuery(kind, given, text, order, limit, offset)


@runtime_checkable
class RecordLists(Protocol):
    """A store that answers list queries itself (the SQL unit of work)."""

    def request_page(
        self, grant: Grant, query: ListQuery
    ) -> tuple[list[Request], int]: ...

    def offer_page(self, grant: Grant, query: ListQuery) -> tuple[list[Offer], int]: ...

    def allocation_page(
        self, grant: Grant, query: ListQuery
    ) -> tuple[list[tuple[Allocation, Offer, Request]], int]: ...

    def consent_page(
        self, grant: Grant, query: ListQuery, day: dt.date
    ) -> tuple[list[ConsentRequest], int]: ...

    def visible_offer_ids(self, grant: Grant) -> tuple[str, ...]: ...

    def pledged_seen(self, grant: Grant, request_ids: Sequence[str]) -> dict[str, int]:
        """Quantity held against each request counting, but for the viewer's own
        requests, only the allocations of offers the grant admits."""
        ...


# -- the same answers from the repositories (stores without the capability) ----------------

T = TypeVar("T")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def _matches(q: str, fields: Iterable[Any]) -> bool:
    needle = q.lower()
    return any(needle in _text(f).lower() for f in fields)


def _sort_key(value: Any) -> tuple[int, Any]:
    """Nulls first ascending (as the stores order them: see adapters.db.lists)."""
    if value is None:
        return (0, "")
    if isinstance(value, (int, float)):
        return (1, value)
    return (1, _text(value))


def window(
    rows: list[T], query: ListQuery, key: Callable[[T], Any], ident: Callable[[T], str]
) -> tuple[list[T], int]:
    """Sort ``rows`` by ``key`` (then id, always ascending), and cut the page."""
    rows = sorted(rows, key=ident)
    rows.sort(key=lambda r: _sort_key(key(r)), reverse=query.descending)
    return rows[query.offset : query.offset + query.limit], len(rows)


def committed_all(uow: UnitOfWork, by: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in uow.allocations.list():
        if a.status in COMMITTING:
            key = a.offer_id if by == "offer" else a.request_id
            out[key] = out.get(key, 0) + a.quantity
    return out


def pledged_seen_slow(uow: UnitOfWork, v: Viewer, request_ids: Sequence[str]) -> dict[str, int]:
    wanted = set(request_ids)
    requests = {r.id: r for r in uow.requests.list() if r.id in wanted}
    offers = {o.id: o for o in uow.offers.list()}
    out: dict[str, int] = {}
    for a in uow.allocations.list():
        if a.request_id not in wanted or a.status not in PLEDGING:
            continue
        own = bool(v.nation) and requests[a.request_id].recipient == v.nation
        if own or v.sees_record(offers[a.offer_id]):
            out[a.request_id] = out.get(a.request_id, 0) + a.quantity
    return out
