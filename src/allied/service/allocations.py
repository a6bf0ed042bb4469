"""Use-cases that create allocations: a donor's pledge, and an optimiser run on stored data.

Capacity: the allocations that hold quantity of an offer (every status but ``rejected``
and ``withdrawn``) never sum to more than the offer's quantity, nor those against a
request to more than the request's. The offer and request rows are locked for the
transaction (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's writers are serialised
by ``BEGIN IMMEDIATE``), so concurrent pledges cannot overshoot.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from allied.allocation import (
    ChannelRule,
    ConsentSpec,
    OfferSpec,
    Options,
    Plan,
    Problem,
    RequestSpec,
    allocate,
    plan_to_dict,
)
from allied.allocation import ConsentStatus as SpecConsent
from allied.allocation.model import ProgressCallback
from allied.domain.assistance import (
    COMMITTING,
    Allocation,
    AllocationStatus,
    Offer,
    RecordStatus,
    Request,
)
from allied.domain.consent import ConsentStatus
from allied.domain.errors import InvalidInput, NotFound, RuleViolation
from allied.service.caller import Caller
from allied.service.governance import allocation_view
from allied.service.ports import UnitOfWork

#: Channel rules that hold unless a problem says otherwise: NATO's Comprehensive
#: Assistance Package gives non-lethal aid only.
DEFAULT_CHANNEL_RULES = {"nato-cap": ChannelRule(lethal=False)}


def _committed(
    uow: UnitOfWork, *, offer_id: str | None = None, request_id: str | None = None
) -> int:
    where = {"offer_id": offer_id} if offer_id is not None else {"request_id": request_id}
    return sum(a.quantity for a in uow.allocations.list(**where) if a.status in COMMITTING)


def _next_id(uow: UnitOfWork) -> str:
    n = uow.allocations.count() + 1
    while uow.allocations.get(f"AL-{n:06d}") is not None:
        n += 1
    return f"AL-{n:06d}"


def _check_pair(offer: Offer, request: Request) -> None:
    if offer.family not in request.accepts:
        raise RuleViolation(
            f"offer {offer.id} ({offer.family}) does not fit request {request.id}, which "
            f"accepts {', '.join(request.accepts)}"
        )
    if offer.recipient is not None and offer.recipient != request.recipient:
        raise RuleViolation(f"offer {offer.id} is reserved for {offer.recipient}")
    rule = DEFAULT_CHANNEL_RULES.get(offer.channel.value)
    if rule is not None and not rule.lethal and offer.lethal:
        raise RuleViolation(f"channel {offer.channel.value} forbids lethal aid")


def pledge(
    uow: UnitOfWork,
    caller: Caller,
    *,
    offer_id: str,
    request_id: str,
    quantity: int,
) -> dict[str, Any]:
    """A donor pledges part of an offer against a request (status ``pledged``)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidInput(f"must be a positive integer, got {quantity!r}", field="quantity")
    with uow:
        offer = uow.offers.lock(offer_id)
        if offer is None:
            raise NotFound(f"no offer {offer_id!r}")
        request = uow.requests.lock(request_id)
        if request is None:
            raise NotFound(f"no request {request_id!r}")
        if offer.status is not RecordStatus.OPEN or request.status is not RecordStatus.OPEN:
            raise RuleViolation("offer and request must both be open")
        _check_pair(offer, request)
        free_offer = offer.quantity - _committed(uow, offer_id=offer.id)
        free_request = request.quantity - _committed(uow, request_id=request.id)
        if quantity > free_offer:
            raise InvalidInput(
                f"offer {offer.id} has {free_offer} left, not {quantity}", field="quantity"
            )
        if quantity > free_request:
            raise InvalidInput(
                f"request {request.id} needs {free_request} more, not {quantity}",
                field="quantity",
            )
        alloc = Allocation(
            _next_id(uow), offer.id, request.id, quantity, needs_consent=offer.needs_consent
        )
        alloc.advance(AllocationStatus.PLEDGED, by=caller.user)
        uow.allocations.add(alloc)
        view = allocation_view(alloc)
        uow.ledger.append(
            user=caller.user, nation=caller.nation, kind="allocation.pledged", payload=view
        )
        uow.commit()
    return view


def _consent_spec(uow: UnitOfWork, offer: Offer, as_of: dt.date) -> tuple[str | None, Any]:
    """For an offer, the origin the optimiser should see and its consent status.

    An item with several origins needs every one: the optimiser sees the origin whose
    answer is worst (denied, then expired, then pending); if all granted, that grant.
    """
    rank = {
        ConsentStatus.DENIED: 0,
        ConsentStatus.EXPIRED: 1,
        ConsentStatus.PENDING: 2,
        ConsentStatus.GRANTED: 3,
    }
    worst: tuple[int, str, ConsentStatus] | None = None
    for origin in offer.consent_from:
        found = [
            c
            for c in uow.consents.list(origin=origin, holder=offer.donor)
            if c.offer_id in (None, offer.id)
            and c.family == offer.family
            and c.requested_on <= as_of
        ]
        found.sort(key=lambda c: (c.requested_on, c.id))
        status = found[-1].effective_status(as_of) if found else ConsentStatus.PENDING
        if worst is None or rank[status] < worst[0]:
            worst = (rank[status], origin, status)
    if worst is None:
        return None, None
    return worst[1], worst[2]


def build_problem(uow: UnitOfWork, as_of: dt.date, options: Options | None = None) -> Problem:
    """The optimiser's problem from open requests and offers, net of existing allocations.

    Call inside the unit of work (``with uow:``)."""
    requests = []
    for r in sorted(uow.requests.list(status=RecordStatus.OPEN), key=lambda r: r.id):
        left = r.quantity - _committed(uow, request_id=r.id)
        if left > 0:
            requests.append(
                RequestSpec(r.id, r.recipient, r.accepts, left, r.priority, r.needed_by)
            )
    offers: list[OfferSpec] = []
    consents: list[ConsentSpec] = []
    for o in sorted(uow.offers.list(status=RecordStatus.OPEN), key=lambda o: o.id):
        left = o.quantity - _committed(uow, offer_id=o.id)
        if left <= 0:
            continue
        origin, status = _consent_spec(uow, o, as_of)
        offers.append(
            OfferSpec(
                o.id,
                o.donor,
                o.family,
                left,
                o.available_from,
                o.channel.value,
                o.lethal,
                origin=origin,
                recipient=o.recipient,
            )
        )
        if origin is not None and status is not ConsentStatus.PENDING:
            spec = SpecConsent(status.value)
            key = (origin, o.donor)
            if not any((c.origin, c.holder) == key for c in consents):
                consents.append(ConsentSpec(origin, o.donor, spec))
    return Problem(
        as_of=as_of,
        requests=tuple(requests),
        offers=tuple(offers),
        consents=tuple(consents),
        channel_rules=dict(DEFAULT_CHANNEL_RULES),
        options=options or Options(),
    )


def run_allocation(
    uow: UnitOfWork,
    caller: Caller,
    *,
    as_of: dt.date,
    solver: str = "auto",
    options: Options | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Solve on stored data and record the plan as ``proposed`` allocations (one transaction,
    one ledger entry)."""
    with uow:
        problem = build_problem(uow, as_of, options)
        plan: Plan = (
            allocate(problem, solver=solver, progress=progress)
            if progress
            else allocate(problem, solver=solver)
        )
        offers = {o.id: o for o in uow.offers.list()}
        made = []
        for line in plan.allocations:
            alloc = Allocation(
                _next_id(uow),
                line.offer,
                line.request,
                line.quantity,
                needs_consent=offers[line.offer].needs_consent,
            )
            uow.allocations.add(alloc)
            made.append(alloc.id)
        result = plan_to_dict(plan)
        result["allocation_ids"] = made
        result["as_of"] = as_of.isoformat()
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind="allocation.run",
            payload={
                "as_of": as_of,
                "solver": plan.solver,
                "objective": plan.objective,
                "allocations": made,
                "unfilled": result["unfilled"],
            },
        )
        uow.commit()
    return result
