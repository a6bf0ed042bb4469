"""Requests: pages of those released to the caller, one request, a new request, its priority."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from allied.domain.actors import Membership
from allied.domain.assistance import RecordStatus, Request
from allied.domain.errors import InvalidInput, NotFound, PermissionDenied
from allied.domain.users import (
    Action,
    UserRole,
    require,
    require_own_nation,
)
from allied.domain.values import int_in_range
from allied.domain.visibility import Grant, Viewer, grant_of
from allied.ledger import kinds
from allied.service import listing
from allied.service.assistance import RawRow, add_requests, record_payload
from allied.service.caller import Caller
from allied.service.holdings import Holdings
from allied.service.ports import UnitOfWork
from allied.service.totals import sum_pledged
from allied.service.usecases.common import (
    Page,
    RecordPage,
    national_id,
    national_ids,
    own_record,
    viewer,
)


def _request_row(payload: Mapping[str, Any], pledged: int) -> dict[str, Any]:
    """A request's record payload with what is pledged and what is still outstanding."""
    return {**payload, "pledged": pledged, "outstanding": max(payload["quantity"] - pledged, 0)}


def _request_view(request: Request, pledged: int) -> dict[str, Any]:
    return _request_row(record_payload(request), pledged)


def _counted_offers(uow: UnitOfWork, v: Viewer) -> tuple[str, ...] | None:
    """The offers whose pledges the viewer may count against a request (``None``: all)."""
    return None if v.all else tuple(o.id for o in uow.offers.list() if v.sees_record(o))


def _visible_pledged(uow: UnitOfWork, v: Viewer, requests: Sequence[Request]) -> dict[str, int]:
    """Quantity pledged against each request: every allocation against the viewer's own
    requests, and against others those of the offers the viewer sees."""
    own = tuple(r.id for r in requests if v.nation and r.recipient == v.nation)
    others = [r.id for r in requests if r.id not in own]
    counted = sum_pledged(uow, others, _counted_offers(uow, v))
    return {**counted, **sum_pledged(uow, own)}


def request_records(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    *,
    recipient: str | None = None,
    family: str | None = None,
    status: RecordStatus | None = None,
    priority: int | None = None,
    q: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    memberships: Sequence[Membership] | None = None,
    counted: bool = True,
    ids: Sequence[str] | None = None,
    short: bool = False,
) -> RecordPage:
    """A page of the requests released to the caller, without pledged quantities:
    filtered, searched (``q``: id, item type, notes, family), sorted (``sort``, see
    :data:`~allied.service.listing.SORTS`; id by default). ``counted``: name the offers
    whose pledges the viewer counts (for :func:`with_pledged_held`); without it,
    :func:`with_pledged` counts them in the store."""
    query = listing.list_query(
        "requests",
        filters={"recipient": recipient, "family": family, "status": status,
                 "priority": priority, "ids": frozenset(ids) if ids is not None else None,
                 "short": short or None},
        q=q, sort=sort, limit=limit, offset=offset,
    )
    with uow:
        v = viewer(uow, caller, day, memberships)
        grant = grant_of(v)
        if isinstance(uow, listing.RecordLists):
            shown, total = uow.request_page(grant, query)
            counted_offers = _counted_offer_ids(uow, grant) if counted else None
        else:
            shown, total = _request_page_slow(uow, v, query)
            counted_offers = _counted_offers(uow, v)
        rows = [record_payload(r) for r in shown]
        own = tuple(r.id for r in shown if v.nation and r.recipient == v.nation)
    return RecordPage(rows, total, limit, offset, counted_offers, own, grant)


def _counted_offer_ids(uow: UnitOfWork, grant: Grant) -> tuple[str, ...] | None:
    if grant.everything:
        return None
    assert isinstance(uow, listing.RecordLists)
    return uow.visible_offer_ids(grant)


def _request_page_slow(
    uow: UnitOfWork, v: Viewer, query: listing.ListQuery
) -> tuple[list[Request], int]:
    """:meth:`RecordLists.request_page` from the repositories (stores without it)."""
    where = {k: val for k, val in query.filters.items() if k not in ("ids", "short")}
    found = [r for r in uow.requests.list(**where) if v.sees_record(r)]
    if "ids" in query.filters:
        found = [r for r in found if r.id in query.filters["ids"]]
    if query.q:
        found = [r for r in found if listing._matches(
            query.q, (r.id, r.item_type, r.notes, r.family))]
    pledged: dict[str, int] = {}
    if query.column in ("pledged", "outstanding") or query.filters.get("short"):
        pledged = listing.pledged_seen_slow(uow, v, [r.id for r in found])
    if query.filters.get("short"):
        found = [r for r in found if r.quantity > pledged.get(r.id, 0)]

    def key(r: Request) -> Any:
        if query.column == "pledged":
            return pledged.get(r.id, 0)
        if query.column == "outstanding":
            return max(r.quantity - pledged.get(r.id, 0), 0)
        return getattr(r, query.column)

    return listing.window(found, query, key, lambda r: r.id)


def with_pledged(uow: UnitOfWork, page: RecordPage) -> Page:
    """The requests of ``page`` with what is pledged against them now (the allocations
    past ``proposed``, :data:`~allied.domain.assistance.PLEDGING`: a plan line not yet
    accepted is no pledge; counting, but for the viewer's own requests, only the
    allocations of offers it sees) and what is outstanding (the quantity less that)."""
    ids = [r["id"] for r in page.items if r["id"] not in page.full]
    with uow:
        if page.grant is not None and isinstance(uow, listing.RecordLists):
            pledged = uow.pledged_seen(page.grant, [r["id"] for r in page.items])
        else:
            pledged = sum_pledged(uow, ids, page.counted_offers)
            pledged.update(sum_pledged(uow, page.full))
    return _requests_page(page, pledged)


def with_pledged_held(page: RecordPage, holdings: Holdings) -> Page:
    """:func:`with_pledged` from holdings kept along the ledger (no store read)."""
    ids = [r["id"] for r in page.items if r["id"] not in page.full]
    pledged = holdings.pledged_by_request(ids, page.counted_offers)
    pledged.update(holdings.pledged_by_request(page.full))
    return _requests_page(page, pledged)


def _requests_page(page: RecordPage, pledged: Mapping[str, int]) -> Page:
    rows = [_request_row(row, pledged.get(row["id"], 0)) for row in page.items]
    return Page(rows, page.total, page.limit, page.offset)


def list_requests(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    *,
    recipient: str | None = None,
    family: str | None = None,
    status: RecordStatus | None = None,
    priority: int | None = None,
    q: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ids: Sequence[str] | None = None,
    short: bool = False,
    memberships: Sequence[Membership] | None = None,
) -> Page:
    """A page of the requests released to the caller (see :func:`request_records`), with
    pledged quantities (``memberships``: the caller's, not read again when given)."""
    records = request_records(
        uow, caller, day, recipient=recipient, family=family, status=status,
        priority=priority, q=q, sort=sort, limit=limit, offset=offset, counted=False, ids=ids,
        short=short, memberships=memberships,
    )
    return with_pledged(uow, records)


def get_request(uow: UnitOfWork, caller: Caller, day: dt.date, request_id: str) -> dict[str, Any]:
    with uow:
        v = viewer(uow, caller, day)
        request = uow.requests.get(request_id)
        if request is None or not v.sees_record(request):
            raise NotFound(f"no request {request_id!r}")
        return _request_view(request, _visible_pledged(uow, v, [request]).get(request.id, 0))


def create_request(
    uow: UnitOfWork, caller: Caller, day: dt.date, data: Mapping[str, Any]
) -> dict[str, Any]:
    """A new request filed on ``day`` (its dates checked against it:
    :mod:`allied.domain.dates`)."""
    require(caller.role, Action.CREATE_REQUEST)
    recipient = str(data.get("recipient") or "").strip().upper()
    require_own_nation(caller.role, caller.nation, recipient, "request")
    body = national_id(uow, caller, data, "REQ", recipient)
    made = add_requests(uow, caller, [(None, "body", body)], source="request body",
                    today=day)
    return _request_view(made[0], 0)


def set_request_priority(
    uow: UnitOfWork, caller: Caller, day: dt.date, request_id: str, priority: object
) -> dict[str, Any]:
    """The recipient (for its own nation) or the coordinator re-prioritises an open
    request: the new priority and a ``request.priority`` ledger entry, one transaction.
    Returns the request as the caller sees it."""
    require(caller.role, Action.CREATE_REQUEST)
    value = int_in_range(priority, "priority", 1, 5)
    with uow:
        v = viewer(uow, caller, day)
        request = uow.requests.lock(request_id)
        if request is None or not v.sees_record(request):
            raise NotFound(f"no request {request_id!r}")
        if caller.role != UserRole.COORDINATOR and request.recipient != caller.nation:
            raise PermissionDenied(
                f"a {caller.role} of {caller.nation or 'no nation'} may not re-prioritise "
                f"{request.recipient}'s request"
            )
        if request.status is not RecordStatus.OPEN:
            raise InvalidInput(f"request {request.id} is {request.status.value}", field="priority")
        before = request.priority
        request.priority = value
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kinds.REQUEST_PRIORITY,
            payload={"id": request.id, "from": before, "to": value},
        )
        view = _request_view(request, _visible_pledged(uow, v, [request]).get(request.id, 0))
        uow.commit()
    return view


def import_requests(
    uow: UnitOfWork, caller: Caller, day: dt.date, rows: Sequence[RawRow], *, source: str
) -> list[Request]:
    """Requests from a file or options: every row checked first, all or nothing, filed
    on ``day`` (their dates checked against it: :mod:`allied.domain.dates`). A recipient
    registers requests of its own nation only."""
    require(caller.role, Action.CREATE_REQUEST)
    for line, _, data in rows:
        own_record(caller, data, "recipient", line)
    # a nation's ids never reveal another's records (see national_id)
    named = national_ids(uow, caller, rows, "REQ", source, "recipient")
    return add_requests(uow, caller, named, source=source, today=day)
