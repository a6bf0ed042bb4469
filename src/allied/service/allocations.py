"""Use-cases that create allocations: a donor's pledge, and an optimiser run on stored data.

Capacity: the allocations that hold quantity of an offer (every status but ``rejected``
and ``withdrawn``) never sum to more than the offer's quantity, nor those against a
request to more than the request's. The offer and request rows are locked for the
transaction (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's writers are serialised
by ``BEGIN IMMEDIATE``), so concurrent pledges cannot overshoot.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from allied.allocation import (
    ChannelRule,
    OfferSpec,
    Options,
    Plan,
    Problem,
    RequestSpec,
    allocate,
    plan_to_dict,
)
from allied.allocation import ConsentStatus as SpecConsent
from allied.allocation.model import ProgressCallback, no_progress
from allied.domain.assistance import (
    COMMITTING,
    Allocation,
    AllocationStatus,
    Offer,
    RecordStatus,
    Request,
)
from allied.domain.consent import ConsentRequest, ConsentStatus
from allied.domain.errors import InvalidInput, NotFound, RuleViolation
from allied.service.caller import Caller
from allied.service.governance import allocation_view
from allied.service.ids import free_ids
from allied.service.ports import UnitOfWork

#: Channel rules that hold unless a problem says otherwise: NATO's Comprehensive
#: Assistance Package gives non-lethal aid only.
DEFAULT_CHANNEL_RULES = {"nato-cap": ChannelRule(lethal=False)}


@runtime_checkable
class CommittedQuery(Protocol):
    """An optional read model: quantities held per offer or request, summed by the store."""

    def committed(
        self, by: str, ids: Collection[str], *, offer_ids: Collection[str] | None = None
    ) -> dict[str, int]: ...

    def committed_pair(self, offer_id: str, request_id: str) -> tuple[int, int]:
        """Quantity held by the offer and by the request, in one query."""
        ...


def sum_committed(
    uow: UnitOfWork, by: str, ids: Collection[str], offer_ids: Collection[str] | None = None
) -> dict[str, int]:
    """Quantity held per offer (``by="offer"``) or request, counting only allocations of
    ``offer_ids`` when given; summed by the store when it can, else from the repository."""
    if not ids:
        return {}
    if isinstance(uow, CommittedQuery):
        return uow.committed(by, ids, offer_ids=offer_ids)
    column = "offer_id" if by == "offer" else "request_id"
    out: dict[str, int] = defaultdict(int)
    for key in set(ids):
        for a in uow.allocations.list(**{column: key}):
            if a.status in COMMITTING and (offer_ids is None or a.offer_id in offer_ids):
                out[key] += a.quantity
    return out


def _committed(
    uow: UnitOfWork, *, offer_id: str | None = None, request_id: str | None = None
) -> int:
    by, key = ("offer", offer_id) if offer_id is not None else ("request", request_id)
    assert key is not None
    return sum_committed(uow, by, [key]).get(key, 0)


def _committed_pair(uow: UnitOfWork, offer_id: str, request_id: str) -> tuple[int, int]:
    if isinstance(uow, CommittedQuery):
        return uow.committed_pair(offer_id, request_id)
    return _committed(uow, offer_id=offer_id), _committed(uow, request_id=request_id)


def _new_ids(uow: UnitOfWork) -> Iterator[str]:
    """Free allocation ids ``AL-000001``..., from one past the number stored."""
    return free_ids(uow.allocations, "AL", 6, uow)


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
    reveal_need: bool = True,
    check_offer: Callable[[Offer], None] | None = None,
    check_request: Callable[[Offer, Request], None] | None = None,
) -> dict[str, Any]:
    """A donor pledges part of an offer against a request (status ``pledged``).

    ``reveal_need=False`` leaves the request's remaining need out of the refusal: it
    counts pledges of offers the caller may not see (the API passes it for nations).
    ``check_offer`` runs on the offer, then ``check_request`` on the offer and request
    (the API's visibility and ownership checks, in that order, so that a hidden offer
    answers exactly as a missing one), before anything is locked."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidInput(f"must be a positive integer, got {quantity!r}", field="quantity")
    with uow:
        if check_offer is not None or check_request is not None:
            # checked on plain reads first: they never wait for another writer's row
            # locks, so how long a refusal takes does not tell a hidden row from a
            # missing one
            seen_offer = uow.offers.get(offer_id)
            if seen_offer is None:
                raise NotFound(f"no offer {offer_id!r}")
            if check_offer is not None:
                check_offer(seen_offer)
            seen_request = uow.requests.get(request_id)
            if seen_request is None:
                raise NotFound(f"no request {request_id!r}")
            if check_request is not None:
                check_request(seen_offer, seen_request)
        offer = uow.offers.lock(offer_id)
        if offer is None:
            raise NotFound(f"no offer {offer_id!r}")
        request = uow.requests.lock(request_id)
        if request is None:
            raise NotFound(f"no request {request_id!r}")
        if offer.status is not RecordStatus.OPEN or request.status is not RecordStatus.OPEN:
            raise RuleViolation("offer and request must both be open")
        _check_pair(offer, request)
        held_offer, held_request = _committed_pair(uow, offer.id, request.id)
        free_offer = offer.quantity - held_offer
        free_request = request.quantity - held_request
        if quantity > free_offer:
            raise InvalidInput(
                f"offer {offer.id} has {free_offer} left, not {quantity}", field="quantity"
            )
        if quantity > free_request:
            raise InvalidInput(
                f"request {request.id} needs {free_request} more, not {quantity}"
                if reveal_need
                else f"request {request.id} does not need {quantity} more",
                field="quantity",
            )
        alloc = Allocation(
            next(_new_ids(uow)), offer.id, request.id, quantity,
            needs_consent=offer.needs_consent,
        )
        alloc.advance(AllocationStatus.PLEDGED, by=caller.user)
        uow.allocations.add(alloc)
        view = allocation_view(alloc)
        uow.ledger.append(
            user=caller.user, nation=caller.nation, kind="allocation.pledged", payload=view
        )
        uow.commit()
    return view


@dataclass(frozen=True)
class _OfferConsent:
    """What the optimiser sees of an offer's re-export consent."""

    origin: str
    status: ConsentStatus
    recipient: str | None  # the recipient the grant covers, for an offer that names none


_WORST_FIRST = {
    ConsentStatus.DENIED: 0,
    ConsentStatus.EXPIRED: 1,
    ConsentStatus.PENDING: 2,
    ConsentStatus.GRANTED: 3,
}


def _consent_status(
    consents: dict[tuple[str, str], list[ConsentRequest]], offer: Offer, as_of: dt.date
) -> _OfferConsent | None:
    """For an offer, the origin the optimiser should see and that origin's answer on
    ``as_of`` (``None`` when the offer needs no consent).

    ``consents`` holds every consent request by (origin, holder). Consent is asked per
    origin, holder, family and recipient (and sometimes per offer): the latest request
    made on or before ``as_of`` counts (for an offer reserved for a recipient, the latest
    for that recipient), with its effective status (a pending one past its answer deadline
    has expired); none counts as pending. A grant covers only its recipient, so an offer
    that names none is restricted to it. An item with several origins needs every one:
    the optimiser sees the origin whose answer is worst (denied, then expired, then
    pending); if all granted, the first origin, and pending if the grants name different
    recipients.
    """
    worst: _OfferConsent | None = None
    covered: set[str] = set()
    for origin in offer.consent_from:
        found = [
            c
            for c in consents.get((origin, offer.donor), ())
            if c.offer_id in (None, offer.id)
            and c.family == offer.family
            and c.requested_on <= as_of
            and offer.recipient in (None, c.recipient)
        ]
        found.sort(key=lambda c: (c.requested_on, c.id))
        status = found[-1].effective_status(as_of) if found else ConsentStatus.PENDING
        if status is ConsentStatus.GRANTED and offer.recipient is None:
            covered.add(found[-1].recipient)
        if worst is None or _WORST_FIRST[status] < _WORST_FIRST[worst.status]:
            worst = _OfferConsent(origin, status, None)
    if worst is None or worst.status is not ConsentStatus.GRANTED:
        return worst
    if len(covered) > 1:  # no recipient is covered by every origin's grant
        return _OfferConsent(worst.origin, ConsentStatus.PENDING, None)
    return _OfferConsent(worst.origin, worst.status, next(iter(covered), None))


def _committed_all(uow: UnitOfWork) -> tuple[Counter[str], Counter[str]]:
    """Quantity held by allocations, per offer id and per request id (one query)."""
    by_offer: Counter[str] = Counter()
    by_request: Counter[str] = Counter()
    for a in uow.allocations.list():
        if a.status in COMMITTING:
            by_offer[a.offer_id] += a.quantity
            by_request[a.request_id] += a.quantity
    return by_offer, by_request


def build_problem(uow: UnitOfWork, as_of: dt.date, options: Options | None = None) -> Problem:
    """The optimiser's problem from open requests and offers, net of existing allocations.

    Requests fully held by allocations are left out; offers fully held stay in with
    quantity 0 (the file format refuses 0; the engine takes it as an offer used up).

    Each offer that needs re-export consent carries its own answer (``OfferSpec.consent``),
    since one origin can answer one holder differently per family. Channel rules are
    :data:`DEFAULT_CHANNEL_RULES`. Call inside the unit of work (``with uow:``)."""
    by_offer, by_request = _committed_all(uow)
    requests = []
    for r in sorted(uow.requests.list(status=RecordStatus.OPEN), key=lambda r: r.id):
        left = r.quantity - by_request[r.id]
        if left > 0:
            requests.append(
                RequestSpec(r.id, r.recipient, r.accepts, left, r.priority, r.needed_by)
            )
    consents: dict[tuple[str, str], list[ConsentRequest]] = defaultdict(list)
    for c in uow.consents.list():
        consents[(c.origin, c.holder)].append(c)
    offers: list[OfferSpec] = []
    for o in sorted(uow.offers.list(status=RecordStatus.OPEN), key=lambda o: o.id):
        # an offer all held by earlier allocations stays in, with quantity 0, so that a
        # request it could have served reads "insufficient-supply", not "no-compatible-offer"
        left = max(o.quantity - by_offer[o.id], 0)
        consent = _consent_status(consents, o, as_of)
        offers.append(
            OfferSpec(
                o.id,
                o.donor,
                o.family,
                left,
                o.available_from,
                o.channel.value,
                o.lethal,
                origin=None if consent is None else consent.origin,
                recipient=o.recipient or (None if consent is None else consent.recipient),
                consent=None if consent is None else SpecConsent(consent.status.value),
            )
        )
    return Problem(
        as_of=as_of,
        requests=tuple(requests),
        offers=tuple(offers),
        channel_rules=dict(DEFAULT_CHANNEL_RULES),
        options=options or Options(),
    )


@dataclass(frozen=True)
class AllocationRun:
    """An optimiser run on stored data: the problem it saw, the plan, and the ids of the
    ``proposed`` allocations recorded for it (empty when not recorded)."""

    as_of: dt.date
    problem: Problem
    plan: Plan
    allocation_ids: tuple[str, ...]
    recorded: bool

    def to_dict(self) -> dict[str, Any]:
        """The plan file's content, plus ``allocation_ids`` and ``as_of``."""
        out = plan_to_dict(self.plan)
        out["allocation_ids"] = list(self.allocation_ids)
        out["as_of"] = self.as_of.isoformat()
        return out


def allocate_stored(
    uow: UnitOfWork,
    caller: Caller,
    *,
    as_of: dt.date,
    solver: str = "auto",
    options: Options | None = None,
    progress: ProgressCallback = no_progress,
    record: bool = True,
) -> AllocationRun:
    """Solve on stored data; with ``record``, store the plan as ``proposed`` allocations
    and one ``allocation.run`` ledger entry, all in one transaction.

    The open offers and requests are locked first (as for a pledge), so a concurrent
    pledge cannot take capacity the plan counts on. Without ``record`` nothing is written.
    """
    with uow:
        if record:
            # the order every writer takes row locks in: offers, then requests, each by id
            # (a pledge takes its offer, then its request); the ledger head comes last
            for oid in sorted(o.id for o in uow.offers.list(status=RecordStatus.OPEN)):
                uow.offers.lock(oid)
            for rid in sorted(r.id for r in uow.requests.list(status=RecordStatus.OPEN)):
                uow.requests.lock(rid)
        problem = build_problem(uow, as_of, options)
        plan = allocate(problem, solver=solver, progress=progress)
        if not record:
            return AllocationRun(as_of, problem, plan, (), recorded=False)
        needs_consent = {o.id: o.needs_consent for o in problem.offers}
        ids = _new_ids(uow)
        made = []
        for line in plan.allocations:
            alloc = Allocation(
                next(ids),
                line.offer,
                line.request,
                line.quantity,
                needs_consent=needs_consent[line.offer],
            )
            uow.allocations.add(alloc)
            made.append(alloc.id)
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind="allocation.run",
            payload={
                "as_of": as_of,
                "solver": plan.solver,
                "status": plan.status.value,
                "objective": plan.objective,
                "allocations": made,
                "unfilled": plan_to_dict(plan)["unfilled"],
            },
        )
        uow.commit()
    return AllocationRun(as_of, problem, plan, tuple(made), recorded=True)


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
    one ledger entry). Returns the plan file's content plus ``allocation_ids`` and ``as_of``."""
    return allocate_stored(
        uow, caller, as_of=as_of, solver=solver, options=options,
        progress=progress or no_progress,
    ).to_dict()
