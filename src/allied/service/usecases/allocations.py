"""Allocations (pledges): those the caller sees, pledges, lifecycle moves, optimiser runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from allied.allocation.engine import DEFAULT_MAX_PAIRS
from allied.allocation.model import Options, ProgressCallback, no_progress
from allied.domain.actors import Membership
from allied.domain.assistance import Allocation, Offer, Request
from allied.domain.errors import AlliedError, InvalidInput, NotFound, PermissionDenied
from allied.domain.users import (
    Action,
    UserRole,
    may_move_allocation,
    require,
    require_own_nation,
    sees_all,
)
from allied.domain.values import check_text
from allied.domain.visibility import Viewer, grant_of
from allied.service import allocations as allocation_service
from allied.service import governance, listing
from allied.service.allocations import AllocationRun, PledgeOrder, PledgeOutcome
from allied.service.caller import Caller
from allied.service.consent_reads import consents_of
from allied.service.ports import UnitOfWork
from allied.service.usecases.common import (
    Page,
    viewer,
    viewer_of,
)


def asked_offers(uow: UnitOfWork, nation: str) -> set[str]:
    """The offers whose allocations ``nation`` was asked to consent to, as origin state."""
    if not nation:
        return set()
    found: set[str] = set()
    for c in uow.consents.list(origin=nation):
        if c.offer_id is not None:
            found.add(c.offer_id)
        else:  # a standing request for the holder's items of a family
            found.update(
                o.id
                for o in uow.offers.list(donor=c.holder, family=c.family)
                if nation in o.consent_from
            )
    return found


def _sees(v: Viewer, offer: Offer, request: Request, asked: set[str]) -> bool:
    return v.sees_allocation(offer, request, offer.id in asked)


def allocation_row(
    alloc: Allocation, offer: Offer, request: Request
) -> dict[str, Any]:
    """An allocation as its parties see it: with what receiving it needs to know of the
    offer (:data:`~allied.domain.visibility.DELIVERY_FIELDS`) and of the request."""
    row = governance.allocation_view(alloc)
    row.update(
        {
            "donor": offer.donor,
            "family": offer.family,
            "item_type": offer.item_type,
            "available_from": offer.available_from.isoformat(),
            "recipient": request.recipient,
            "needed_by": request.needed_by.isoformat(),
        }
    )
    return row


def _visible_allocation(
    uow: UnitOfWork, v: Viewer, allocation_id: str
) -> tuple[Allocation, Offer, Request]:
    alloc = uow.allocations.get(allocation_id)
    if alloc is not None:
        offer = uow.offers.get(alloc.offer_id)
        request = uow.requests.get(alloc.request_id)
        if offer is not None and request is not None:
            return _seen(uow, v, alloc, offer, request)
    raise NotFound(f"no allocation {allocation_id!r}")


def _seen(
    uow: UnitOfWork, v: Viewer, alloc: Allocation, offer: Offer, request: Request
) -> tuple[Allocation, Offer, Request]:
    """The allocation with its offer and request, read already, if the viewer sees it
    (what it was asked as an origin state read now), else ``NotFound``. What the viewer
    was asked is read only when nothing else lets it see the allocation, and only about
    this offer (not every consent asked of the nation: a long read for a large donor)."""
    if not v.sees_allocation(offer, request) and not v.sees_allocation(
        offer, request, _asked_about_offer(uow, v.nation, offer)
    ):
        raise NotFound(f"no allocation {alloc.id!r}")
    return alloc, offer, request


def _asked_about_offer(uow: UnitOfWork, nation: str, offer: Offer) -> bool:
    """``offer.id in asked_offers(uow, nation)``, reading only the consent requests that
    could name it: those asked of ``nation`` about the offer, or standing ones about its
    holder's items of its family (which reach it when it was made in ``nation``)."""
    if not nation or nation not in offer.consent_from:
        # an origin state's being asked shows it only an offer made in it
        return False
    if uow.consents.list(origin=nation, offer_id=offer.id):
        return True
    return bool(uow.consents.list(
        origin=nation, offer_id=None, holder=offer.donor, family=offer.family
    ))


def list_allocations(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    *,
    offer: str | None = None,
    request: str | None = None,
    status: str | None = None,
    family: str | None = None,
    donor: str | None = None,
    recipient: str | None = None,
    statuses: Sequence[str] | None = None,
    needed_before: dt.date | None = None,
    needs_consent: bool | None = None,
    q: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    consent: bool = False,
    memberships: Sequence[Membership] | None = None,
) -> Page:
    """The allocations the caller sees (:meth:`Viewer.sees_allocation`): filtered
    (``statuses``: any of them; ``needed_before``: the request's needed-by date before it;
    ``needs_consent``: whether re-export consent is needed),
    searched (``q``: its id, its offer's and request's, item type, family), sorted
    (``sort``, see :data:`~allied.service.listing.SORTS`; id by default).

    ``consent``: each row also says where it stands on re-export consent (``consent``:
    :meth:`~allied.domain.consent.AllocationConsent.as_dict`), the page's consent
    requests read in one query. ``memberships``: the caller's (:func:`memberships_of`),
    not read again when given."""
    query = listing.list_query(
        "allocations",
        filters={"offer": offer, "request": request, "status": status, "family": family,
                 "donor": donor, "recipient": recipient,
                 "statuses": frozenset(statuses) if statuses is not None else None,
                 "needed_before": needed_before, "needs_consent": needs_consent},
        q=q, sort=sort, limit=limit, offset=offset,
    )
    with uow:
        v = viewer(uow, caller, day, memberships)
        if isinstance(uow, listing.RecordLists):
            found, total = uow.allocation_page(grant_of(v), query)
        else:
            found, total = _allocation_page_slow(uow, v, query)
        rows = [allocation_row(a, o, r) for a, o, r in found]
        if consent:
            states = consents_of(uow, [(a, o) for a, o, _ in found], day)
            for row in rows:
                row["consent"] = states[row["id"]].as_dict()
    return Page(rows, total, limit, offset)


def _allocation_page_slow(
    uow: UnitOfWork, v: Viewer, query: listing.ListQuery
) -> tuple[list[tuple[Allocation, Offer, Request]], int]:
    """:meth:`RecordLists.allocation_page` from the repositories (stores without it)."""
    where = {
        {"offer": "offer_id", "request": "request_id"}.get(k, k): val
        for k, val in query.filters.items()
        if k in ("offer", "request", "status")
    }
    offers = {o.id: o for o in uow.offers.list()}
    requests = {r.id: r for r in uow.requests.list()}
    asked = asked_offers(uow, v.nation) if not v.all else set()
    found = []
    for a in uow.allocations.list(**where):
        o, r = offers[a.offer_id], requests[a.request_id]
        if not _sees(v, o, r, asked):
            continue
        f = query.filters
        if ("statuses" in f and a.status.value not in f["statuses"]) or (
            "needed_before" in f and not r.needed_by < f["needed_before"]
        ) or ("needs_consent" in f and a.needs_consent != f["needs_consent"]):
            continue
        if ("family" in f and o.family != f["family"]) or (
            "donor" in f and o.donor != f["donor"]) or (
            "recipient" in f and r.recipient != f["recipient"]
        ):
            continue
        if query.q and not listing._matches(
            query.q, (a.id, a.offer_id, a.request_id, o.item_type, o.family)
        ):
            continue
        found.append((a, o, r))
    columns = {
        "offer": lambda t: t[0].offer_id, "request": lambda t: t[0].request_id,
        "donor": lambda t: t[1].donor, "recipient": lambda t: t[2].recipient,
        "family": lambda t: t[1].family, "item_type": lambda t: t[1].item_type,
        "needed_by": lambda t: t[2].needed_by,
    }
    key = columns.get(query.column, lambda t: getattr(t[0], query.column))
    return listing.window(found, query, key, lambda t: t[0].id)


def get_allocation(
    uow: UnitOfWork, caller: Caller, day: dt.date, allocation_id: str
) -> dict[str, Any]:
    with uow:
        v = viewer(uow, caller, day)
        return allocation_row(*_visible_allocation(uow, v, allocation_id))


def pledge_order(
    caller: Caller,
    day: dt.date,
    *,
    offer_id: str,
    request_id: str,
    quantity: int,
    memberships: Sequence[Membership] | None = None,
    uow: UnitOfWork | None = None,
) -> PledgeOrder:
    """A pledge by a donor (its own offers only) or the coordinator, with the checks that
    the caller sees the offer and the request (a hidden one answers as a missing one).

    ``memberships`` are the caller's (:func:`memberships_of`); without them, they are read
    through ``uow`` in the pledge's transaction."""
    require(caller.role, Action.PLEDGE)
    if memberships is None and uow is None:
        raise ValueError("a pledge order needs the caller's memberships or a unit of work")
    seen: list[Viewer] = []

    def check_offer(offer: Offer) -> None:
        if not seen:
            if memberships is None:
                assert uow is not None
                seen.append(viewer(uow, caller, day))
            else:
                seen.append(viewer_of(caller, day, memberships))
        if not seen[0].sees_record(offer):
            raise NotFound(f"no offer {offer_id!r}")

    def check_request(offer: Offer, request: Request) -> None:
        if not seen[0].sees_record(request):
            raise NotFound(f"no request {request_id!r}")
        require_own_nation(caller.role, caller.nation, offer.donor, "pledge")

    return PledgeOrder(
        caller,
        offer_id,
        request_id,
        quantity,
        reveal_need=sees_all(caller.role),
        check_offer=check_offer,
        check_request=check_request,
        day=day,
    )


def pledge(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    *,
    offer_id: str,
    request_id: str,
    quantity: int,
    memberships: Sequence[Membership] | None = None,
) -> dict[str, Any]:
    """One pledge (see :func:`pledge_order`); raises why it is refused."""
    order = pledge_order(
        caller, day, offer_id=offer_id, request_id=request_id, quantity=quantity,
        memberships=memberships, uow=uow,
    )
    (outcome,) = allocation_service.make_pledges(uow, [order])
    if isinstance(outcome, AlliedError):
        raise outcome
    return outcome


def pledge_many(uow: UnitOfWork, orders: Sequence[PledgeOrder]) -> list[PledgeOutcome]:
    """Orders from :func:`pledge_order` made together in one transaction, each answered as
    if made alone in turn (:func:`allied.service.allocations.pledge_many`)."""
    return allocation_service.make_pledges(uow, orders)


def _check_move(
    uow: UnitOfWork, v: Viewer, caller: Caller, allocation_id: str, to: str
) -> tuple[Allocation, Offer, Request]:
    """The caller sees the allocation and its role may move it to ``to``, for its nation;
    the allocation, its offer and its request as read (hold them while the transaction
    runs: the session keeps only records referenced, so reading one again after it was
    dropped is another query)."""
    found = _visible_allocation(uow, v, allocation_id)
    _, offer, request = found
    if not may_move_allocation(caller.role, to):
        raise PermissionDenied(f"a {caller.role} may not move an allocation to {to!r}")
    if caller.role == UserRole.DONOR:
        require_own_nation(caller.role, caller.nation, offer.donor, "allocation")
    elif caller.role == UserRole.RECIPIENT:
        require_own_nation(caller.role, caller.nation, request.recipient, "allocation")
    return found


def advance_allocation(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    allocation_id: str,
    to: str,
    *,
    expiry_days: int = governance.DEFAULT_CONSENT_EXPIRY_DAYS,
    reason: str = "",
    memberships: Sequence[Membership] | None = None,
) -> dict[str, Any]:
    """Move one allocation along its lifecycle (one transaction, a ledger entry, which
    records ``reason`` when one is given). ``memberships``: the caller's
    (:func:`memberships_of`), not read again when given."""
    require(caller.role, Action.ADVANCE_ALLOCATION)
    check_text(reason, "reason")
    with uow:
        v = viewer(uow, caller, day, memberships)
        alloc, offer, request = _check_move(uow, v, caller, allocation_id, to)
        made = governance.move_in(
            uow, caller, allocation_id, to, today=day, expiry_days=expiry_days,
            reason=reason.strip(),
        )
        # the allocation as this move left it (in the move's transaction: a later
        # writer's change is not this move's answer), as the caller sees it now (the
        # move may have asked consents, which count for an origin state's view): the
        # records read above, held, so not read again
        view = allocation_row(*_seen(uow, v, alloc, offer, request))
        # what the move did, in words (the CLI prints it): this allocation's moves and
        # the consents answering for it, and moves expired consents caused, of
        # allocations the caller may see
        expired = []
        for m in made["expired_moves"]:
            try:
                _visible_allocation(uow, v, m["id"])
            except NotFound:
                continue
            expired.append(m)
        uow.commit()
    return {**view, "moves": made["moves"], "consents": made["consents"],
            "expired_moves": expired}


#: Most moves one bulk transition takes (a plan of the reference data has about 30).
MAX_MOVES = 1000


def advance_allocations(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    moves: Sequence[Mapping[str, Any]],
    *,
    expiry_days: int = governance.DEFAULT_CONSENT_EXPIRY_DAYS,
) -> list[dict[str, Any]]:
    """Move many allocations in one transaction, all or nothing: ``moves`` is
    ``[{"allocation": ID, "to": STATUS, "reason": TEXT}, ...]`` (the reason optional, and
    recorded in the move's ledger entry), each checked and made in order exactly as
    :func:`advance_allocation` would; the first that fails undoes them all and its error
    names the item (``item 3 (allocation AL-000012): ...``; an input error's field is
    ``3.to``). Returns the allocations as the caller now sees them."""
    require(caller.role, Action.ADVANCE_ALLOCATION)
    if not moves:
        raise InvalidInput("name at least one allocation to move", field="body")
    if len(moves) > MAX_MOVES:
        raise InvalidInput(f"at most {MAX_MOVES} moves in one call", field="body")
    ids: list[str] = []
    # the records each check read, held until the rows below are made (else read again)
    held: list[tuple[Allocation, Offer, Request]] = []
    with uow:
        v = viewer(uow, caller, day)
        for index, move in enumerate(moves):
            allocation_id = str(move.get("allocation") or "")
            try:
                if not allocation_id:
                    raise InvalidInput("is required", field="allocation")
                to = str(move.get("to") or "")
                if not to:
                    raise InvalidInput("is required", field="to")
                if allocation_id in ids:
                    raise InvalidInput("is named twice", field="allocation")
                reason = move.get("reason") or ""
                if not isinstance(reason, str):
                    raise InvalidInput("must be text", field="reason")
                check_text(reason, "reason")
                held.append(_check_move(uow, v, caller, allocation_id, to))
                governance.move_in(
                    uow, caller, allocation_id, to, today=day, expiry_days=expiry_days,
                    reason=reason.strip(),
                )
            except AlliedError as exc:
                raise _for_item(exc, index, allocation_id) from None
            ids.append(allocation_id)
        # as these moves left them (read before the commit: a later writer's change is
        # not this call's answer)
        rows = [allocation_row(*_visible_allocation(uow, v, i)) for i in ids]
        uow.commit()
    return rows


def _for_item(exc: AlliedError, index: int, allocation_id: str) -> AlliedError:
    """The same error, saying which item of a bulk call failed."""
    where = f"item {index} (allocation {allocation_id or '?'})"
    if isinstance(exc, InvalidInput):
        exc.message = f"{where}: {exc.message}"
        exc.field = f"{index}.{exc.field or 'allocation'}"
        exc.args = (str(exc),)
    else:
        exc.args = (f"{where}: {exc}",)
    return exc


def run_allocation(
    uow: UnitOfWork,
    caller: Caller,
    *,
    as_of: dt.date,
    solver: str = "auto",
    options: Options | None = None,
    record: bool = True,
) -> dict[str, Any]:
    """The optimiser's plan on stored data: recorded as ``proposed`` allocations, or with
    ``record=False`` a preview (a dry run: nothing is written). The plan file's content
    plus ``allocation_ids``, ``as_of`` and ``recorded``."""
    run = allocate(uow, caller, as_of=as_of, solver=solver, options=options, record=record)
    return {**run.to_dict(), "recorded": run.recorded}


def allocate(
    uow: UnitOfWork,
    caller: Caller,
    *,
    as_of: dt.date,
    solver: str = "auto",
    options: Options | None = None,
    progress: ProgressCallback = no_progress,
    record: bool = True,
    max_pairs: int | None = DEFAULT_MAX_PAIRS,
    grace_days: int | None = None,
) -> AllocationRun:
    """The optimiser on stored data (it reads every record: the coordinator's); with
    ``record``, the plan is stored as ``proposed`` allocations. ``max_pairs`` and
    ``grace_days``: see :func:`allied.service.allocations.allocate_stored`."""
    require(caller.role, Action.RUN_ALLOCATION)
    return allocation_service.allocate_stored(
        uow, caller, as_of=as_of, solver=solver, options=options, progress=progress,
        record=record, max_pairs=max_pairs, grace_days=grace_days,
    )
