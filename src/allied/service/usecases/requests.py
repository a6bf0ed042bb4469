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
from allied.domain.visibility import Viewer
from allied.ledger import kinds
from allied.service import allocations as allocation_service
from allied.service.assistance import RawRow, add_requests, record_payload
from allied.service.caller import Caller
from allied.service.holdings import Holdings
from allied.service.ports import UnitOfWork
from allied.service.usecases.common import (
    Page,
    RecordPage,
    check_window,
    filters_given,
    national_id,
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
    """Quantity pledged against each request, counting only allocations the viewer sees."""
    ids = [r.id for r in requests]
    return allocation_service.sum_committed(uow, "request", ids, _counted_offers(uow, v))


def request_records(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    *,
    recipient: str | None = None,
    family: str | None = None,
    status: RecordStatus | None = None,
    priority: int | None = None,
    limit: int = 50,
    offset: int = 0,
    memberships: Sequence[Membership] | None = None,
) -> RecordPage:
    """A page of the requests released to the caller, by id, without pledged quantities."""
    check_window(limit, offset)
    with uow:
        v = viewer(uow, caller, day, memberships)
        where = filters_given(
            {"recipient": recipient, "family": family, "status": status, "priority": priority}
        )
        found = sorted(
            (r for r in uow.requests.list(**where) if v.sees_record(r)), key=lambda r: r.id
        )
        rows = [record_payload(r) for r in found[offset : offset + limit]]
        counted = _counted_offers(uow, v)
    return RecordPage(rows, len(found), limit, offset, counted)


def with_pledged(uow: UnitOfWork, page: RecordPage) -> Page:
    """The requests of ``page`` with what is pledged against them now (counting only the
    allocations of offers the viewer sees) and what is outstanding."""
    ids = [r["id"] for r in page.items]
    with uow:
        pledged = allocation_service.sum_committed(uow, "request", ids, page.counted_offers)
    return _requests_page(page, pledged)


def with_pledged_held(page: RecordPage, holdings: Holdings) -> Page:
    """:func:`with_pledged` from holdings kept along the ledger (no store read)."""
    ids = [r["id"] for r in page.items]
    return _requests_page(page, holdings.by_request(ids, page.counted_offers))


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
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """A page of the requests released to the caller, by id, with pledged quantities."""
    records = request_records(
        uow, caller, day, recipient=recipient, family=family, status=status,
        priority=priority, limit=limit, offset=offset,
    )
    return with_pledged(uow, records)


def get_request(uow: UnitOfWork, caller: Caller, day: dt.date, request_id: str) -> dict[str, Any]:
    with uow:
        v = viewer(uow, caller, day)
        request = uow.requests.get(request_id)
        if request is None or not v.sees_record(request):
            raise NotFound(f"no request {request_id!r}")
        return _request_view(request, _visible_pledged(uow, v, [request]).get(request.id, 0))


def create_request(uow: UnitOfWork, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
    require(caller.role, Action.CREATE_REQUEST)
    recipient = str(data.get("recipient") or "").strip().upper()
    require_own_nation(caller.role, caller.nation, recipient, "request")
    body = national_id(uow, caller, data, "REQ", recipient)
    made = add_requests(uow, caller, [(None, "body", body)], source="request body")
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
    uow: UnitOfWork, caller: Caller, rows: Sequence[RawRow], *, source: str
) -> list[Request]:
    """Requests from a file or options: every row checked first, all or nothing. A
    recipient registers requests of its own nation only."""
    require(caller.role, Action.CREATE_REQUEST)
    for line, _, data in rows:
        own_record(caller, data, "recipient", line)
    return add_requests(uow, caller, rows, source=source)
