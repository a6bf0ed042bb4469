"""What each caller may see and do: releasability filtering and role checks per use-case.

Every read goes through a :class:`Viewer` (the caller, today's date and the dated
memberships needed to evaluate ``org:`` releasability). A record not released to the
caller raises :class:`NotFound`, exactly like one that does not exist, so its existence
is not revealed. Lists, pages, counts and aggregates are computed over visible records
only. Actions the role may not take raise :class:`PermissionDenied`.

Visibility of derived records:

* an allocation (pledge) is visible when its offer is;
* a consent request to its origin state and to the holder (the donor that asks);
* a proposal to the states taking part in it;
* actors, memberships, item types and accessions are public reference data.

The coordinator and the auditor see every record.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from allied.allocation.model import Options
from allied.domain.actors import ActorKind, Membership, Role
from allied.domain.assistance import (
    Allocation,
    Offer,
    RecordStatus,
    Request,
)
from allied.domain.consent import ConsentRequest, ConsentStatus
from allied.domain.errors import AlliedError, InvalidInput, NotFound, PermissionDenied
from allied.domain.proposals import Proposal
from allied.domain.rules import Position
from allied.domain.users import (
    Action,
    UserRole,
    may_move_allocation,
    require,
    require_own_nation,
    sees_all,
)
from allied.domain.values import int_in_range
from allied.service import allocations as allocation_service
from allied.service import governance
from allied.service.allocations import PledgeOrder, PledgeOutcome
from allied.service.assistance import add_offers, add_requests, record_payload
from allied.service.caller import Caller
from allied.service.holdings import Holdings
from allied.service.ledger import entry_dict
from allied.service.ports import UnitOfWork

T = TypeVar("T")
UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class Viewer:
    """A caller looking at records on a day."""

    caller: Caller
    day: dt.date
    memberships: tuple[Membership, ...] = ()

    @property
    def nation(self) -> str:
        return self.caller.nation

    @property
    def all(self) -> bool:
        return sees_all(self.caller.role)

    def sees_record(self, record: Request | Offer) -> bool:
        if self.all:
            return True
        if not self.nation:
            # a user with no nation sees only what is public
            return record.releasability.visible_to("", "\0", self.day, ())
        return record.releasability.visible_to(
            self.nation, record.owner, self.day, self.memberships
        )

    def sees_consent(self, consent: ConsentRequest) -> bool:
        return self.all or (bool(self.nation) and self.nation in (consent.origin, consent.holder))

    def sees_proposal(self, proposal: Proposal) -> bool:
        return self.all or (bool(self.nation) and self.nation in proposal.participants)


def viewer(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    memberships: Sequence[Membership] | None = None,
) -> Viewer:
    """The viewer for ``caller`` on ``day`` (call inside ``with uow``); ``memberships``,
    when given, are the caller's nation's (from :func:`memberships_of`) and are not read
    again."""
    require(caller.role, Action.READ)
    if memberships is None and caller.nation and not sees_all(caller.role):
        memberships = uow.memberships.list(actor=caller.nation, role=Role.MEMBER)
    return _viewer_of(caller, day, memberships or ())


def _viewer_of(caller: Caller, day: dt.date, memberships: Sequence[Membership]) -> Viewer:
    """The viewer for ``caller`` on ``day``, given its nation's memberships."""
    require(caller.role, Action.READ)
    if sees_all(caller.role) or not caller.nation:
        return Viewer(caller, day)
    return Viewer(caller, day, tuple(m for m in memberships if m.active_on(day)))


def memberships_of(uow: UnitOfWork, caller: Caller) -> tuple[Membership, ...]:
    """The memberships a viewer of ``caller``'s nation needs (for :func:`viewer`; a cache
    may keep them while the records do not change)."""
    if sees_all(caller.role) or not caller.nation:
        return ()
    with uow:
        # plain copies: they outlive the unit of work that read them
        return tuple(
            Membership(m.actor, m.org, m.role, m.start, m.end, m.source)
            for m in uow.memberships.list(actor=caller.nation, role=Role.MEMBER)
        )


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class RecordPage:
    """A page of offers or requests without the quantities pledges change (committed,
    pledged). It stays right while the records do not change, so a cache may keep it
    across pledges; :func:`with_committed` and :func:`with_pledged` complete it."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    #: for requests: the offers whose pledges the viewer may count (``None``: all)
    counted_offers: tuple[str, ...] | None = None


def _check_window(limit: int, offset: int) -> None:
    if limit < 1:
        raise InvalidInput("must be at least 1", field="limit")
    if offset < 0:
        raise InvalidInput("must not be negative", field="offset")


def _page(rows: Sequence[dict[str, Any]], limit: int, offset: int) -> Page:
    _check_window(limit, offset)
    return Page(list(rows[offset : offset + limit]), len(rows), limit, offset)


def _where(filters: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in filters.items() if v is not None}


# -- offers ------------------------------------------------------------------------------


def _offer_row(payload: Mapping[str, Any], committed: int) -> dict[str, Any]:
    """An offer's record payload with what is committed and what is still available."""
    return {**payload, "committed": committed, "available": max(payload["quantity"] - committed, 0)}


def _offer_view(offer: Offer, committed: int) -> dict[str, Any]:
    return _offer_row(record_payload(offer), committed)


def _visible_offers(uow: UnitOfWork, v: Viewer, **where: Any) -> list[Offer]:
    return [o for o in uow.offers.list(**_where(where)) if v.sees_record(o)]


def offer_records(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    *,
    donor: str | None = None,
    family: str | None = None,
    channel: str | None = None,
    status: RecordStatus | None = None,
    limit: int = 50,
    offset: int = 0,
    memberships: Sequence[Membership] | None = None,
) -> RecordPage:
    """A page of the offers released to the caller, by id, without committed quantities."""
    _check_window(limit, offset)
    with uow:
        v = viewer(uow, caller, day, memberships)
        offers = sorted(
            _visible_offers(uow, v, donor=donor, family=family, channel=channel, status=status),
            key=lambda o: o.id,
        )
        rows = [record_payload(o) for o in offers[offset : offset + limit]]
    return RecordPage(rows, len(offers), limit, offset)


def with_committed(uow: UnitOfWork, page: RecordPage) -> Page:
    """The offers of ``page`` with their committed and available quantities now."""
    with uow:
        committed = allocation_service.sum_committed(uow, "offer", [r["id"] for r in page.items])
    return _offers_page(page, committed)


def with_committed_held(page: RecordPage, holdings: Holdings) -> Page:
    """:func:`with_committed` from holdings kept along the ledger (no store read)."""
    return _offers_page(page, holdings.by_offer(r["id"] for r in page.items))


def _offers_page(page: RecordPage, committed: Mapping[str, int]) -> Page:
    rows = [_offer_row(row, committed.get(row["id"], 0)) for row in page.items]
    return Page(rows, page.total, page.limit, page.offset)


def list_offers(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    *,
    donor: str | None = None,
    family: str | None = None,
    channel: str | None = None,
    status: RecordStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """A page of the offers released to the caller, by id, with committed quantities."""
    records = offer_records(
        uow, caller, day, donor=donor, family=family, channel=channel, status=status,
        limit=limit, offset=offset,
    )
    return with_committed(uow, records)


def get_offer(uow: UnitOfWork, caller: Caller, day: dt.date, offer_id: str) -> dict[str, Any]:
    with uow:
        v = viewer(uow, caller, day)
        offer = uow.offers.get(offer_id)
        if offer is None or not v.sees_record(offer):
            raise NotFound(f"no offer {offer_id!r}")
        committed = allocation_service.sum_committed(uow, "offer", [offer.id])
        return _offer_view(offer, committed.get(offer.id, 0))


OFFER_GROUPS = ("family", "donor", "channel", "status")


def _check_group(by: str) -> None:
    if by not in OFFER_GROUPS:
        raise InvalidInput(f"expected one of {', '.join(OFFER_GROUPS)}; got {by!r}", field="by")


@dataclass(frozen=True)
class OfferGroups:
    """The offers released to a viewer grouped by one field, without what pledges change
    (the committed sums): right while the records are, so a cache may keep it across
    pledges; :func:`totals_with` completes it."""

    #: per group, in order of its key: (key, quantity offered, the offers' ids)
    groups: list[tuple[str, int, tuple[str, ...]]]


def offer_groups(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    by: str,
    memberships: Sequence[Membership] | None = None,
) -> OfferGroups:
    """The offers visible to the caller grouped by ``by``, without committed quantities."""
    _check_group(by)
    with uow:
        return _groups(_visible_offers(uow, viewer(uow, caller, day, memberships)), by)


def _groups(offers: Sequence[Offer], by: str) -> OfferGroups:
    quantity: dict[str, int] = {}
    ids: dict[str, list[str]] = {}
    for o in offers:
        raw = getattr(o, by)
        key = str(raw.value if hasattr(raw, "value") else raw)
        quantity[key] = quantity.get(key, 0) + o.quantity
        ids.setdefault(key, []).append(o.id)
    return OfferGroups([(k, quantity[k], tuple(ids[k])) for k in sorted(quantity)])


def totals_with(groups: OfferGroups, committed: Mapping[str, int]) -> list[dict[str, Any]]:
    """Offered and committed quantity per group, from the committed quantity per offer."""
    return [
        {
            "key": key,
            "offers": len(ids),
            "quantity": quantity,
            "committed": sum(committed.get(i, 0) for i in ids),
        }
        for key, quantity, ids in groups.groups
    ]


def totals_held(groups: OfferGroups, holdings: Holdings) -> list[dict[str, Any]]:
    """:func:`totals_with` from holdings kept along the ledger (no store read)."""
    return totals_with(groups, holdings.by_offer(i for _, _, ids in groups.groups for i in ids))


def offer_totals(uow: UnitOfWork, caller: Caller, day: dt.date, by: str) -> list[dict[str, Any]]:
    """Offered and committed quantity per ``by`` over the offers visible to the caller
    (read in one transaction)."""
    _check_group(by)
    with uow:
        offers = _visible_offers(uow, viewer(uow, caller, day))
        committed = allocation_service.sum_committed(uow, "offer", [o.id for o in offers])
        return totals_with(_groups(offers, by), committed)


def _keep_national_prefix(uow: UnitOfWork, given: object, owner: str) -> None:
    """An id chosen by a role that sees everything may start with a state's code only for
    that state's record: else that nation's own later choice of it would answer "already
    exists" (telling it of a record it may not see)."""
    if not isinstance(given, str) or "-" not in given:
        return
    head = given.strip().split("-", 1)[0].upper()
    if head == owner:
        return
    with uow:
        actor = uow.actors.get(head)
        is_state = actor is not None and actor.kind is ActorKind.STATE
    if is_state:
        raise InvalidInput(
            f"ids starting with {head}- are kept for {head}'s own records; this one is "
            f"{owner or 'no nation'}'s",
            field="id",
        )


def _national_id(
    uow: UnitOfWork, caller: Caller, data: Mapping[str, Any], prefix: str, owner: str
) -> dict[str, Any]:
    """The record's id as a national user may have it.

    A nation sees only part of the records, so an id must not tell it about the rest: an
    id it chooses starts with its own code (it cannot collide with, and so reveal, another
    nation's hidden record), and an id the server assigns is random rather than a count
    of every record. Roles that see everything choose ids freely, but not in another
    nation's prefix (``EST-...`` only for an Estonian record)."""
    body = dict(data)
    given = body.get("id")
    if sees_all(caller.role):
        _keep_national_prefix(uow, given, owner)
        return body
    if given is None or (isinstance(given, str) and not given.strip()):
        body["id"] = f"{prefix}-{caller.nation}-{secrets.token_hex(4).upper()}"
    elif not (isinstance(given, str) and given.strip().upper().startswith(f"{caller.nation}-")):
        raise InvalidInput(
            f"an id you choose starts with your nation's code ({caller.nation}-...); "
            "leave it out to have one assigned",
            field="id",
        )
    return body


def create_offer(uow: UnitOfWork, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
    require(caller.role, Action.CREATE_OFFER)
    donor = str(data.get("donor") or "").strip().upper()
    require_own_nation(caller.role, caller.nation, donor, "offer")
    body = _national_id(uow, caller, data, "OFF", donor)
    made = add_offers(uow, caller, [(None, "body", body)], source="request body")
    return _offer_view(made[0], 0)


# -- requests ----------------------------------------------------------------------------


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
    _check_window(limit, offset)
    with uow:
        v = viewer(uow, caller, day, memberships)
        where = _where(
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
    body = _national_id(uow, caller, data, "REQ", recipient)
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
            kind="request.priority",
            payload={"id": request.id, "from": before, "to": value},
        )
        view = _request_view(request, _visible_pledged(uow, v, [request]).get(request.id, 0))
        uow.commit()
    return view


# -- allocations -------------------------------------------------------------------------


def _visible_allocation(uow: UnitOfWork, v: Viewer, allocation_id: str) -> Allocation:
    alloc = uow.allocations.get(allocation_id)
    if alloc is not None:
        offer = uow.offers.get(alloc.offer_id)
        if offer is not None and v.sees_record(offer):
            return alloc
    raise NotFound(f"no allocation {allocation_id!r}")


def list_allocations(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    *,
    offer: str | None = None,
    request: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    with uow:
        v = viewer(uow, caller, day)
        where = _where({"offer_id": offer, "request_id": request, "status": status})
        allocs = uow.allocations.list(**where)
        if not v.all:
            offers = {o.id: o for o in uow.offers.list()}
            allocs = [a for a in allocs if v.sees_record(offers[a.offer_id])]
        rows = [governance.allocation_view(a) for a in sorted(allocs, key=lambda a: a.id)]
    return _page(rows, limit, offset)


def get_allocation(
    uow: UnitOfWork, caller: Caller, day: dt.date, allocation_id: str
) -> dict[str, Any]:
    with uow:
        v = viewer(uow, caller, day)
        return governance.allocation_view(_visible_allocation(uow, v, allocation_id))


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
                seen.append(_viewer_of(caller, day, memberships))
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
    (outcome,) = allocation_service.pledge_many(uow, [order])
    if isinstance(outcome, AlliedError):
        raise outcome
    return outcome


def pledge_many(uow: UnitOfWork, orders: Sequence[PledgeOrder]) -> list[PledgeOutcome]:
    """Orders from :func:`pledge_order` made together in one transaction, each answered as
    if made alone in turn (:func:`allied.service.allocations.pledge_many`)."""
    return allocation_service.pledge_many(uow, orders)


def advance_allocation(
    uow: UnitOfWork, caller: Caller, day: dt.date, allocation_id: str, to: str
) -> dict[str, Any]:
    require(caller.role, Action.ADVANCE_ALLOCATION)
    with uow:
        v = viewer(uow, caller, day)
        alloc = _visible_allocation(uow, v, allocation_id)
        if not may_move_allocation(caller.role, to):
            raise PermissionDenied(f"a {caller.role} may not move an allocation to {to!r}")
        if caller.role == UserRole.DONOR:
            offer = uow.offers.get(alloc.offer_id)
            assert offer is not None
            require_own_nation(caller.role, caller.nation, offer.donor, "allocation")
        elif caller.role == UserRole.RECIPIENT:
            request = uow.requests.get(alloc.request_id)
            if request is None or not v.sees_record(request):
                raise NotFound(f"no allocation {allocation_id!r}")
            require_own_nation(caller.role, caller.nation, request.recipient, "allocation")
    return governance.advance_allocation(uow, caller, allocation_id, to, today=day)


def run_allocation(
    uow: UnitOfWork,
    caller: Caller,
    *,
    as_of: dt.date,
    solver: str = "auto",
    options: Options | None = None,
) -> dict[str, Any]:
    require(caller.role, Action.RUN_ALLOCATION)
    return allocation_service.run_allocation(
        uow, caller, as_of=as_of, solver=solver, options=options
    )


# -- consents ----------------------------------------------------------------------------


def list_consents(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    *,
    origin: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    require(caller.role, Action.READ_CONSENTS)
    with uow:
        v = viewer(uow, caller, day)
        found = uow.consents.list(**_where({"origin": origin}))
        rows = [
            governance.consent_view(c, day)
            for c in sorted(found, key=lambda c: c.id)
            if v.sees_consent(c)
        ]
    rows = [r for r in rows if status is None or r["effective_status"] == status]
    return _page(rows, limit, offset)


def get_consent(uow: UnitOfWork, caller: Caller, day: dt.date, consent_id: str) -> dict[str, Any]:
    require(caller.role, Action.READ_CONSENTS)
    with uow:
        v = viewer(uow, caller, day)
        c = uow.consents.get(consent_id)
        if c is None or not v.sees_consent(c):
            raise NotFound(f"no consent request {consent_id!r}")
        return governance.consent_view(c, day)


def answer_consent(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    consent_id: str,
    answer: str,
    reason: str = "",
) -> dict[str, Any]:
    require(caller.role, Action.ANSWER_CONSENT)
    with uow:
        v = viewer(uow, caller, day)
        c = uow.consents.get(consent_id)
        if c is None or not v.sees_consent(c):
            raise NotFound(f"no consent request {consent_id!r}")
        if c.origin != caller.nation:
            raise PermissionDenied(f"only {c.origin} may answer consent request {c.id}")
    try:
        status = ConsentStatus(answer)
    except ValueError:
        raise InvalidInput(
            f"expected granted, denied or expired; got {answer!r}", field="answer"
        ) from None
    return governance.answer_consent(uow, caller, consent_id, status, on=day, reason=reason)


# -- proposals and accessions --------------------------------------------------------------


def list_proposals(
    uow: UnitOfWork, caller: Caller, day: dt.date, *, limit: int = 50, offset: int = 0
) -> Page:
    with uow:
        v = viewer(uow, caller, day)
        rows = [
            governance.proposal_view(p)
            for p in sorted(uow.proposals.list(), key=lambda p: p.id)
            if v.sees_proposal(p)
        ]
    return _page(rows, limit, offset)


def get_proposal(uow: UnitOfWork, caller: Caller, day: dt.date, proposal_id: str) -> dict[str, Any]:
    with uow:
        v = viewer(uow, caller, day)
        p = uow.proposals.get(proposal_id)
        if p is None or not v.sees_proposal(p):
            raise NotFound(f"no proposal {proposal_id!r}")
        return governance.proposal_view(p, p.provisional() if p.rule.value != "qmv" else None)


def propose(uow: UnitOfWork, caller: Caller, **kwargs: Any) -> dict[str, Any]:
    require(caller.role, Action.DECIDE)
    return governance.propose(uow, caller, **kwargs)


#: Roles that may record a position on a proposal (a national role for its own nation).
STATES_POSITIONS = frozenset(
    {UserRole.COORDINATOR, UserRole.DONOR, UserRole.ORIGIN, UserRole.RECIPIENT}
)


def take_position(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    proposal_id: str,
    *,
    actor: str,
    position: str,
    reason: str = "",
) -> dict[str, Any]:
    """The coordinator records any participant's position; a national user its own.
    Auditors and admins never speak for a nation, even when they have one."""
    if caller.role not in STATES_POSITIONS:
        raise PermissionDenied(f"a {caller.role} may not take a position on a proposal")
    if caller.role != UserRole.COORDINATOR:
        require_own_nation(caller.role, caller.nation, actor, "position")
    with uow:
        v = viewer(uow, caller, day)
        p = uow.proposals.get(proposal_id)
        if p is None or not v.sees_proposal(p):
            raise NotFound(f"no proposal {proposal_id!r}")
    try:
        pos = Position(position)
    except ValueError:
        raise InvalidInput(
            f"expected one of {', '.join(x.value for x in Position)}; got {position!r}",
            field="position",
        ) from None
    return governance.take_position(
        uow, caller, proposal_id, actor=actor, position=pos, on=day, reason=reason
    )


def list_accessions(
    uow: UnitOfWork, caller: Caller, day: dt.date, *, limit: int = 50, offset: int = 0
) -> Page:
    with uow:
        viewer(uow, caller, day)
        rows = [a.summary(day) for a in sorted(uow.accessions.list(), key=lambda a: a.id)]
    return _page(rows, limit, offset)


def accession_step(
    uow: UnitOfWork, caller: Caller, accession_id: str, step: str, **kwargs: Any
) -> dict[str, Any]:
    require(caller.role, Action.ACCESSION)
    return governance.accession_step(uow, caller, accession_id, step, **kwargs)


# -- reference data ----------------------------------------------------------------------


def list_actors(
    uow: UnitOfWork, caller: Caller, *, kind: str | None = None, limit: int = 50, offset: int = 0
) -> Page:
    require(caller.role, Action.READ)
    with uow:
        found = uow.actors.list(**_where({"kind": kind}))
        rows = [
            {"code": a.code, "name": a.name, "kind": a.kind.value}
            for a in sorted(found, key=lambda a: a.code)
        ]
    return _page(rows, limit, offset)


def list_memberships(
    uow: UnitOfWork,
    caller: Caller,
    *,
    org: str | None = None,
    actor: str | None = None,
    on: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    require(caller.role, Action.READ)
    with uow:
        found = uow.memberships.list(**_where({"org": org, "actor": actor}))
        rows = [
            {
                "actor": m.actor,
                "org": m.org,
                "role": m.role.value,
                "start": m.start.isoformat(),
                "end": m.end.isoformat() if m.end else None,
            }
            for m in sorted(found, key=lambda m: (m.org, m.actor, m.role.value, m.start))
            if on is None or m.active_on(on)
        ]
    return _page(rows, limit, offset)


def list_item_types(
    uow: UnitOfWork,
    caller: Caller,
    *,
    family: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    require(caller.role, Action.READ)
    with uow:
        found = uow.item_types.list(**_where({"family": family}))
        rows = [
            {
                "code": i.code,
                "name": i.name,
                "category": i.category.value,
                "family": i.family,
                "lethal": i.lethal,
                "unit_value": str(i.unit_value) if i.unit_value is not None else None,
                "valuation_basis": i.valuation_basis.value if i.valuation_basis else None,
            }
            for i in sorted(found, key=lambda i: i.code)
        ]
    return _page(rows, limit, offset)


# -- ledger ------------------------------------------------------------------------------


def ledger_entries(uow: UnitOfWork, caller: Caller, *, after: int = 0, limit: int = 50) -> Page:
    require(caller.role, Action.READ_LEDGER)
    if after < 0:
        raise InvalidInput("must not be negative", field="after")
    rows: list[dict[str, Any]] = []
    with uow:
        entries = uow.ledger.entries(after=after)
        try:
            for entry in entries:
                rows.append(entry_dict(entry))
                if len(rows) >= limit:
                    break
        finally:
            entries.close()
        head = uow.ledger.head()
    return Page(rows, head[0] if head else 0, limit, after)


def verify_ledger(uow: UnitOfWork, caller: Caller) -> int:
    from allied.service.ledger import verify_ledger as verify

    require(caller.role, Action.READ_LEDGER)
    return verify(uow)


# -- reports -----------------------------------------------------------------------------

#: Reports computed from every offer and allocation, whatever their releasability: only
#: for the roles that see everything. The others read public data (Kiel, SIPRI) only.
WHOLE_RECORD_REPORTS = frozenset({"gaps", "predictability"})


def report(uow: UnitOfWork, caller: Caller, name: str, options: Any = None) -> dict[str, Any]:
    """A report as JSON (``allied.service.reports``), for the roles that may see its inputs."""
    from allied.service.reports import REPORTS, report_data

    require(caller.role, Action.READ)
    if name in WHOLE_RECORD_REPORTS and not sees_all(caller.role):
        raise PermissionDenied(
            f"report {name} sums records of every nation: coordinator and auditor only"
        )
    if name not in REPORTS:
        raise NotFound(f"no report {name!r}; expected one of {', '.join(REPORTS)}")
    return report_data(uow, name, options)
