"""Requests and offers that live: amend, withdraw, close, expire.

Each change is one transaction with one ledger entry naming who, as which nation, and the
before and after (``request.amended``, ``request.withdrawn``, ``request.closed``,
``request.expired``, ``offer.amended``, ``offer.withdrawn``). A withdrawn or expired
record takes no new allocations, and the ``proposed`` allocations against it (a plan not
yet accepted) fall away with it (each an ``allocation.withdrawn`` entry). Expiry is a
command (the system's, run by the coordinator or a scheduled job on the real date): a
read never changes anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from allied.domain.actors import Membership
from allied.domain.assistance import AllocationStatus, Offer, RecordStatus, Request
from allied.domain.codes import check_releasability
from allied.domain.consent import ConsentStatus
from allied.domain.errors import NotFound
from allied.domain.lifecycle import DEFAULT_GRACE_DAYS, amend, end, overdue
from allied.domain.users import Action, require, require_own_nation
from allied.domain.values import int_in_range
from allied.domain.visibility import Viewer
from allied.ledger import kinds
from allied.service import allocations as allocation_service
from allied.service import governance
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork
from allied.service.usecases.common import viewer
from allied.service.usecases.offers import get_offer, offer_view
from allied.service.usecases.requests import get_request


def _request(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    request_id: str,
    memberships: Sequence[Membership] | None = None,
) -> Request:
    """The request, locked, if the caller sees it and may act for its recipient
    (``memberships``: the caller's, not read again when given)."""
    require(caller.role, Action.CREATE_REQUEST)
    v = viewer(uow, caller, day, memberships)
    request = uow.requests.lock(request_id)
    if request is None or not v.sees_record(request):
        raise NotFound(f"no request {request_id!r}")
    require_own_nation(caller.role, caller.nation, request.recipient, "request")
    return request


def _offer(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    offer_id: str,
    memberships: Sequence[Membership] | None = None,
) -> tuple[Offer, Viewer]:
    """The offer, locked, if the caller sees it and may act for its donor; and the
    caller's viewer (``memberships``: the caller's, not read again when given)."""
    require(caller.role, Action.CREATE_OFFER)
    v = viewer(uow, caller, day, memberships)
    offer = uow.offers.lock(offer_id)
    if offer is None or not v.sees_record(offer):
        raise NotFound(f"no offer {offer_id!r}")
    require_own_nation(caller.role, caller.nation, offer.donor, "offer")
    return offer, v


def _committed(uow: UnitOfWork, by: str, record_id: str) -> int:
    return allocation_service.sum_committed(uow, by, [record_id]).get(record_id, 0)


def _drop_proposed(
    uow: UnitOfWork, caller: Caller, *, request_id: str | None = None, offer_id: str | None = None
) -> list[str]:
    """Withdraw the ``proposed`` allocations against a record that ends; their ids."""
    where: dict[str, Any] = {"status": AllocationStatus.PROPOSED}
    if request_id is not None:
        where["request_id"] = request_id
    if offer_id is not None:
        where["offer_id"] = offer_id
    dropped = []
    for alloc in sorted(uow.allocations.list(**where), key=lambda a: a.id):
        alloc.advance(AllocationStatus.WITHDRAWN, by=caller.user, note="its record ended")
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kinds.allocation_kind(AllocationStatus.WITHDRAWN),
            payload={"id": alloc.id, "from": "proposed", "to": "withdrawn",
                     "reason": "its request or offer ended"},
        )
        dropped.append(alloc.id)
    return dropped


def _entry(uow: UnitOfWork, caller: Caller, kind: str, record_id: str,
           change: Mapping[str, Any], **extra: Any) -> None:
    uow.ledger.append(
        user=caller.user,
        nation=caller.nation,
        kind=kind,
        payload={"id": record_id, **change, **extra},
    )


def amend_request(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    request_id: str,
    changes: Mapping[str, Any],
    *,
    memberships: Sequence[Membership] | None = None,
) -> dict[str, Any]:
    """The recipient (its own) or the coordinator changes an open request's quantity (never
    below what is allocated), priority, needed-by date (not before ``day``: how a
    recipient confirms a need that has passed), notes or releasability
    (``memberships``: the caller's, not read again when given)."""
    with uow:
        request = _request(uow, caller, day, request_id, memberships)
        change = amend(request, changes, _committed(uow, "request", request.id), today=day)
        if "releasability" in change["after"]:
            _check_release(uow, request)
        if change["after"]:
            _entry(uow, caller, kinds.REQUEST_AMENDED, request.id, change)
            uow.commit()
    return get_request(uow, caller, day, request_id)


def _check_release(uow: UnitOfWork, record: Request | Offer) -> None:
    """An amended releasability names known states, or an organisation whose members are
    recorded (as when the record was made)."""
    check_releasability(record.releasability, {a.code: a.kind for a in uow.actors.list()})


def withdraw_request(
    uow: UnitOfWork, caller: Caller, day: dt.date, request_id: str, reason: str = ""
) -> dict[str, Any]:
    """Withdraw an open request: it takes no new allocations, and its ``proposed``
    allocations fall away."""
    return _end_request(uow, caller, day, request_id, RecordStatus.WITHDRAWN, reason)


def close_request(
    uow: UnitOfWork, caller: Caller, day: dt.date, request_id: str, reason: str = ""
) -> dict[str, Any]:
    """Close an open request (filled, or no longer needed as such)."""
    return _end_request(uow, caller, day, request_id, RecordStatus.CLOSED, reason)


def _end_request(
    uow: UnitOfWork, caller: Caller, day: dt.date, request_id: str, to: RecordStatus,
    reason: str,
) -> dict[str, Any]:
    with uow:
        request = _request(uow, caller, day, request_id)
        change = end(request, to)
        dropped = _drop_proposed(uow, caller, request_id=request.id)
        _entry(uow, caller, kinds.record_ended_kind("request", to), request.id, change,
               reason=reason, dropped=dropped)
        uow.commit()
    return get_request(uow, caller, day, request_id)


def amend_offer(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    offer_id: str,
    changes: Mapping[str, Any],
    *,
    memberships: Sequence[Membership] | None = None,
) -> dict[str, Any]:
    """The donor (its own) or the coordinator changes an open offer's quantity (never below
    what is allocated), available-from date, caveats or releasability. Answers the offer
    as the amendment left it, as :func:`get_offer` shows it (``NotFound`` if the caller no
    longer sees it), from the records of the amendment's own transaction: no second
    transaction reads them again (an amendment leaves the committed quantity as it was).
    ``memberships``: the caller's (:func:`memberships_of`), not read again when given."""
    with uow:
        offer, v = _offer(uow, caller, day, offer_id, memberships)
        committed = _committed(uow, "offer", offer.id)
        change = amend(offer, changes, committed, today=day)
        if "releasability" in change["after"]:
            _check_release(uow, offer)
        visible = v.sees_record(offer)
        view = offer_view(offer, committed)
        if change["after"]:
            _entry(uow, caller, kinds.OFFER_AMENDED, offer.id, change)
            uow.commit()
    if not visible:
        raise NotFound(f"no offer {offer_id!r}")
    return view


def withdraw_offer(
    uow: UnitOfWork, caller: Caller, day: dt.date, offer_id: str, reason: str = ""
) -> dict[str, Any]:
    """Withdraw an open offer: it takes no new allocations, and its ``proposed``
    allocations fall away (pledges already made stay, to be withdrawn one by one)."""
    with uow:
        offer, _ = _offer(uow, caller, day, offer_id)
        change = end(offer, RecordStatus.WITHDRAWN)
        dropped = _drop_proposed(uow, caller, offer_id=offer.id)
        _entry(uow, caller, kinds.OFFER_WITHDRAWN, offer.id, change, reason=reason,
               dropped=dropped)
        uow.commit()
    return get_offer(uow, caller, day, offer_id)


def expire_requests(
    uow: UnitOfWork, caller: Caller, day: dt.date, grace_days: object = DEFAULT_GRACE_DAYS
) -> list[dict[str, Any]]:
    """Expire every open request past its needed-by date by more than ``grace_days`` on
    ``day`` (the real date, for the system's job): one transaction, a ledger entry per
    request, its ``proposed`` allocations withdrawn. Returns what was expired."""
    require(caller.role, Action.EXPIRE)
    grace = int_in_range(grace_days, "grace_days", 0, 36500)
    with uow:
        out = _expire_requests(uow, caller, day, grace)
        uow.commit()
    return out


def expire_all(
    uow: UnitOfWork, caller: Caller, day: dt.date, grace_days: object = DEFAULT_GRACE_DAYS
) -> dict[str, Any]:
    """The system's expiry job on ``day``: overdue requests (:func:`expire_requests`) and
    consent requests left unanswered past their date (settling the allocations waiting on
    them), in one transaction."""
    require(caller.role, Action.EXPIRE)
    grace = int_in_range(grace_days, "grace_days", 0, 36500)
    with uow:
        requests = _expire_requests(uow, caller, day, grace)
        pending = {c.id for c in uow.consents.list(status=ConsentStatus.PENDING)}
        governance.expire_consents(uow, caller, day)
        left = {c.id for c in uow.consents.list(status=ConsentStatus.PENDING)}
        uow.commit()
    return {"requests": requests, "consents": sorted(pending - left)}


def _expire_requests(
    uow: UnitOfWork, caller: Caller, day: dt.date, grace: int
) -> list[dict[str, Any]]:
    out = []
    due = [r for r in uow.requests.list(status=RecordStatus.OPEN) if overdue(r, day, grace)]
    for request in sorted(due, key=lambda r: r.id):
        uow.requests.lock(request.id)
        change = end(request, RecordStatus.EXPIRED)
        dropped = _drop_proposed(uow, caller, request_id=request.id)
        _entry(uow, caller, kinds.record_ended_kind("request", RecordStatus.EXPIRED), request.id,
               change, on=day.isoformat(),
               needed_by=request.needed_by.isoformat(), grace_days=grace, dropped=dropped)
        out.append({"id": request.id, "needed_by": request.needed_by.isoformat(),
                    "dropped": dropped})
    return out
