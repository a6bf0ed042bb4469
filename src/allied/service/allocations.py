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
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
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
from allied.allocation.engine import DEFAULT_MAX_PAIRS
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
from allied.domain.dates import check_takes_pledge, takes_pledge
from allied.domain.errors import AlliedError, InvalidInput, NotFound, RuleViolation
from allied.domain.lifecycle import DEFAULT_GRACE_DAYS
from allied.domain.values import int_in_range
from allied.ledger import kinds
from allied.ledger.chain import EntryDraft
from allied.service.bulk import append_many, get_many, lock_many
from allied.service.caller import Caller
from allied.service.governance import allocation_view
from allied.service.ids import free_id_block, free_ids
from allied.service.ports import UnitOfWork
from allied.service.rows import OfferRow, offer_rows, request_rows
from allied.service.totals import held_by

#: Channel rules that hold unless a problem says otherwise: NATO's Comprehensive
#: Assistance Package gives non-lethal aid only.
DEFAULT_CHANNEL_RULES = {"nato-cap": ChannelRule(lethal=False)}


@runtime_checkable
class CommittedQuery(Protocol):
    """An optional read model: quantities held per offer or request, summed by the store."""

    def committed(
        self, by: str, ids: Collection[str], *, offer_ids: Collection[str] | None = None
    ) -> dict[str, int]: ...

    def committed_both(
        self, offer_ids: Collection[str], request_ids: Collection[str]
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Quantity held per offer of ``offer_ids`` and per request of ``request_ids``,
        in one query."""
        ...


@runtime_checkable
class HeldInStatus(Protocol):
    """An optional read model: quantity held per offer or request of one status, kept by
    the store beside each record."""

    def held_in_status(self, by: str, status: RecordStatus) -> dict[str, int]: ...


@runtime_checkable
class ConsentRequestsUntil(Protocol):
    """An optional read: the consent requests made on or before a day, built from their
    columns for reading (not tracked by the unit of work)."""

    def consent_requests_until(self, day: dt.date) -> list[ConsentRequest]: ...


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


def _committed_both(
    uow: UnitOfWork, offer_ids: Collection[str], request_ids: Collection[str]
) -> tuple[dict[str, int], dict[str, int]]:
    if isinstance(uow, CommittedQuery):
        return uow.committed_both(offer_ids, request_ids)
    return sum_committed(uow, "offer", offer_ids), sum_committed(uow, "request", request_ids)


def _new_ids(uow: UnitOfWork) -> Iterator[str]:
    """Free allocation ids ``AL-<random hex>`` (:mod:`allied.service.ids`)."""
    return free_ids(uow.allocations, "AL")


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


@dataclass(frozen=True)
class PledgeOrder:
    """One pledge to make: a donor pledges part of an offer against a request.

    ``reveal_need=False`` leaves the request's remaining need out of a refusal: it counts
    pledges of offers the caller may not see (the API passes it for nations).
    ``check_offer`` runs on the offer, then ``check_request`` on the offer and request
    (the API's visibility and ownership checks, in that order, so that a hidden offer
    answers exactly as a missing one), on plain reads before anything is locked.
    ``day``: the day a person pledges, on which the request must not be overdue beyond
    the grace period (:func:`allied.domain.dates.check_takes_pledge`); without it (the
    volume generator writing pledges of other days) that rule is not applied."""

    caller: Caller
    offer_id: str
    request_id: str
    quantity: int
    reveal_need: bool = True
    check_offer: Callable[[Offer], None] | None = None
    check_request: Callable[[Offer, Request], None] | None = None
    day: dt.date | None = None


#: What a batch of pledges answers each order: its allocation's view, or why not.
PledgeOutcome = dict[str, Any] | AlliedError


def make_pledge(
    uow: UnitOfWork,
    caller: Caller,
    *,
    offer_id: str,
    request_id: str,
    quantity: int,
    reveal_need: bool = True,
    check_offer: Callable[[Offer], None] | None = None,
    check_request: Callable[[Offer, Request], None] | None = None,
    day: dt.date | None = None,
) -> dict[str, Any]:
    """A donor pledges part of an offer against a request (status ``pledged``); see
    :class:`PledgeOrder` for the options. Raises why it is refused."""
    (outcome,) = make_pledges(
        uow,
        [
            PledgeOrder(
                caller, offer_id, request_id, quantity, reveal_need, check_offer, check_request,
                day,
            )
        ],
    )
    if isinstance(outcome, AlliedError):
        raise outcome
    return outcome


def make_pledges(uow: UnitOfWork, orders: Sequence[PledgeOrder]) -> list[PledgeOutcome]:
    """Make the pledges in one transaction, as if each were made alone in turn.

    Each order is answered in order: the view of its new allocation, or the error that
    refuses it (bad quantity, offer or request missing or hidden, a check failing, not
    open, not fitting, not enough left), which leaves the others unaffected: a later
    order sees the quantity the earlier accepted ones took. One ledger entry per accepted
    pledge, in order. A failure of the store (an exception, not an outcome) undoes them
    all. The statements do not grow with the number of orders: offers and requests are
    read, locked and summed together (offers, then requests, each in ascending id order,
    as every writer locks them), ids are taken as a block and the entries appended at once.
    """
    outcomes: list[PledgeOutcome | None] = [None] * len(orders)
    live: list[int] = []
    for i, o in enumerate(orders):
        q = o.quantity
        if isinstance(q, bool) or not isinstance(q, int) or q <= 0:
            outcomes[i] = InvalidInput(f"must be a positive integer, got {q!r}", field="quantity")
        else:
            live.append(i)
    checks = any(
        orders[i].check_offer is not None or orders[i].check_request is not None for i in live
    )
    with uow:
        # A row lock may make a refusal wait for another writer, and how long a refusal
        # takes must not tell a hidden row from a missing one. So the orders' checks run
        # on plain reads first, unless the unit of work already holds every writer's turn
        # (the ledger head, taken first by every writer): then no writer holds a row
        # lock, locking waits for nobody, and the checks run on the locked rows, two
        # round trips fewer.
        alone = bool(getattr(uow, "lock_ledger", False))
        if live and checks and not alone:
            seen_offers = get_many(uow.offers, {orders[i].offer_id for i in live})
            seen_requests = get_many(uow.requests, {orders[i].request_id for i in live})
            live = _passing(orders, live, seen_offers, seen_requests, outcomes)
        offers = lock_many(uow.offers, {orders[i].offer_id for i in live})
        requests = lock_many(uow.requests, {orders[i].request_id for i in live})
        if live and checks and alone:
            live = _passing(orders, live, offers, requests, outcomes)
        held_offer: dict[str, int] = defaultdict(int)
        held_request: dict[str, int] = defaultdict(int)
        if live:
            by_offer, by_request = _committed_both(uow, offers, requests)
            held_offer.update(by_offer)
            held_request.update(by_request)
        accepted: list[int] = []
        for i in live:
            o = orders[i]
            try:
                offer = offers.get(o.offer_id)
                if offer is None:
                    raise NotFound(f"no offer {o.offer_id!r}")
                request = requests.get(o.request_id)
                if request is None:
                    raise NotFound(f"no request {o.request_id!r}")
                if offer.status is not RecordStatus.OPEN or request.status is not RecordStatus.OPEN:
                    raise RuleViolation("offer and request must both be open")
                if o.day is not None:
                    check_takes_pledge(request, o.day, DEFAULT_GRACE_DAYS)
                _check_pair(offer, request)
                _check_free(o, offer.quantity - held_offer[offer.id],
                            request.quantity - held_request[request.id])
            except AlliedError as error:
                outcomes[i] = error
                continue
            held_offer[offer.id] += o.quantity
            held_request[request.id] += o.quantity
            accepted.append(i)
        if accepted:
            drafts = []
            for i, new_id in zip(
                accepted, free_id_block(uow.allocations, "AL", len(accepted)), strict=True
            ):
                o = orders[i]
                alloc = Allocation(
                    new_id, o.offer_id, o.request_id, o.quantity,
                    needs_consent=offers[o.offer_id].needs_consent,
                )
                alloc.advance(AllocationStatus.PLEDGED, by=o.caller.user)
                uow.allocations.add(alloc)
                outcomes[i] = allocation_view(alloc)
                pledged = kinds.allocation_pledged(alloc)
                drafts.append(
                    EntryDraft(o.caller.user, o.caller.nation, kinds.ALLOCATION_PLEDGED, pledged)
                )
            append_many(uow.ledger, drafts)
            uow.commit()
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def _passing(
    orders: Sequence[PledgeOrder],
    live: list[int],
    offers: Mapping[str, Offer],
    requests: Mapping[str, Request],
    outcomes: list[PledgeOutcome | None],
) -> list[int]:
    """The orders of ``live`` whose own checks pass; the others get their error."""
    passed = []
    for i in live:
        error = _checked(orders[i], offers, requests)
        if error is None:
            passed.append(i)
        else:
            outcomes[i] = error
    return passed


def _checked(
    order: PledgeOrder, offers: Mapping[str, Offer], requests: Mapping[str, Request]
) -> AlliedError | None:
    """Why the order's own checks refuse it, on the plain reads (``None``: they pass)."""
    try:
        offer = offers.get(order.offer_id)
        if offer is None:
            raise NotFound(f"no offer {order.offer_id!r}")
        if order.check_offer is not None:
            order.check_offer(offer)
        request = requests.get(order.request_id)
        if request is None:
            raise NotFound(f"no request {order.request_id!r}")
        if order.check_request is not None:
            order.check_request(offer, request)
    except AlliedError as error:
        return error
    return None


def _check_free(order: PledgeOrder, free_offer: int, free_request: int) -> None:
    if order.quantity > free_offer:
        raise InvalidInput(
            f"offer {order.offer_id} has {free_offer} left, not {order.quantity}",
            field="quantity",
        )
    if order.quantity > free_request:
        raise InvalidInput(
            f"request {order.request_id} needs {free_request} more, not {order.quantity}"
            if order.reveal_need
            else f"request {order.request_id} does not need {order.quantity} more",
            field="quantity",
        )


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


_ConsentKey = tuple[str, str, str, str | None]  # origin, holder, family, offer id (or None)


def _consent_index(
    consents: Iterable[ConsentRequest], as_of: dt.date
) -> dict[_ConsentKey, list[ConsentRequest]]:
    """The consent requests made on or before ``as_of``, by origin, holder, family and
    offer (``None``: asked for every offer), each list by (request date, id)."""
    index: dict[_ConsentKey, list[ConsentRequest]] = defaultdict(list)
    for c in consents:
        if c.requested_on <= as_of:
            index[(c.origin, c.holder, c.family, c.offer_id)].append(c)
    for found in index.values():
        found.sort(key=lambda c: (c.requested_on, c.id))
    return index


def _latest(found: list[ConsentRequest], recipient: str | None) -> ConsentRequest | None:
    """The last of ``found`` (sorted) that covers ``recipient`` (any, when ``None``)."""
    for c in reversed(found):
        if recipient is None or c.recipient == recipient:
            return c
    return None


def _consent_status(
    consents: Mapping[_ConsentKey, list[ConsentRequest]], offer: Offer | OfferRow,
    as_of: dt.date,
) -> _OfferConsent | None:
    """For an offer, the origin the optimiser should see and that origin's answer on
    ``as_of`` (``None`` when the offer needs no consent).

    ``consents`` is :func:`_consent_index`'s (same ``as_of``). Consent is asked per
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
        # the latest of those asked for every offer and those asked for this one
        candidates = [
            c for c in (
                _latest(consents.get((origin, offer.donor, offer.family, None), []),
                        offer.recipient),
                _latest(consents.get((origin, offer.donor, offer.family, offer.id), []),
                        offer.recipient),
            ) if c is not None
        ]
        last = max(candidates, key=lambda c: (c.requested_on, c.id), default=None)
        status = last.effective_status(as_of) if last is not None else ConsentStatus.PENDING
        if status is ConsentStatus.GRANTED and offer.recipient is None and last is not None:
            covered.add(last.recipient)
        if worst is None or _WORST_FIRST[status] < _WORST_FIRST[worst.status]:
            worst = _OfferConsent(origin, status, None)
    if worst is None or worst.status is not ConsentStatus.GRANTED:
        return worst
    if len(covered) > 1:  # no recipient is covered by every origin's grant
        return _OfferConsent(worst.origin, ConsentStatus.PENDING, None)
    return _OfferConsent(worst.origin, worst.status, next(iter(covered), None))


def _committed_open(uow: UnitOfWork) -> tuple[Counter[str], Counter[str]]:
    """Quantity held by allocations, per open offer id and per open request id (the
    store's kept ``held`` of the open records when it has it, else summed by the store
    over every allocation: two grouped queries, no allocation loaded)."""
    if isinstance(uow, HeldInStatus):
        return (Counter(uow.held_in_status("offer", RecordStatus.OPEN)),
                Counter(uow.held_in_status("request", RecordStatus.OPEN)))
    return Counter(held_by(uow, "offer", COMMITTING)), Counter(held_by(uow, "request", COMMITTING))


def build_problem(
    uow: UnitOfWork, as_of: dt.date, options: Options | None = None,
    grace_days: int | None = None,
) -> Problem:
    """The optimiser's problem from open requests and offers, net of existing allocations.

    Requests fully held by allocations are left out; offers fully held stay in with
    quantity 0 (the file format refuses 0; the engine takes it as an offer used up).
    With ``grace_days``, so are requests past their needed-by date by more than that
    on ``as_of``: those the expiry job (``allied request expire --grace-days``) would
    expire that day, and that a pledge made that day is refused
    (:func:`allied.domain.dates.takes_pledge`); without it every open request counts,
    an overdue one leaving the plans when the job expires it.

    Each offer that needs re-export consent carries its own answer (``OfferSpec.consent``),
    since one origin can answer one holder differently per family. Channel rules are
    :data:`DEFAULT_CHANNEL_RULES`. Call inside the unit of work (``with uow:``)."""
    by_offer, by_request = _committed_open(uow)
    requests = []
    for r in request_rows(uow, RecordStatus.OPEN):  # plain rows, ordered by id
        if grace_days is not None and not takes_pledge(r.needed_by, as_of, grace_days):
            continue
        left = r.quantity - by_request[r.id]
        if left > 0:
            requests.append(
                RequestSpec(r.id, r.recipient, r.accepts, left, r.priority, r.needed_by)
            )
    consents = _consent_index(
        uow.consent_requests_until(as_of) if isinstance(uow, ConsentRequestsUntil)
        else uow.consents.list(),
        as_of,
    )
    offers: list[OfferSpec] = []
    for o in offer_rows(uow, RecordStatus.OPEN):
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
    max_pairs: int | None = DEFAULT_MAX_PAIRS,
    grace_days: int | None = None,
) -> AllocationRun:
    """Solve on stored data; with ``record``, store the plan as ``proposed`` allocations
    and one ``allocation.run`` ledger entry, all in one transaction.

    The open offers and requests are locked first (as for a pledge), so a concurrent
    pledge cannot take capacity the plan counts on. Without ``record`` nothing is written.
    ``max_pairs`` bounds what is solved at once (:data:`DEFAULT_MAX_PAIRS`; ``None``:
    everything at once, whatever its size); ``grace_days`` leaves out the requests the
    expiry job would expire on ``as_of`` (:func:`build_problem`).
    """
    if grace_days is not None:
        grace_days = int_in_range(grace_days, "grace_days", 0, 36500)
    with uow:
        if record:
            # the order every writer takes row locks in (after the ledger head, on
            # PostgreSQL): offers, then requests, each by id; one statement each, no
            # domain object built (a decade's store has 200,000 open offers)
            offer_rows(uow, RecordStatus.OPEN, lock=True)
            request_rows(uow, RecordStatus.OPEN, lock=True)
        problem = build_problem(uow, as_of, options, grace_days)
        plan = allocate(problem, solver=solver, progress=progress, max_pairs=max_pairs)
        if not record:
            return AllocationRun(as_of, problem, plan, (), recorded=False)
        needs_consent = {o.id: o.needs_consent for o in problem.offers}
        ids = _new_ids(uow)
        made = []
        held = []
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
            held.append(kinds.allocation_made(alloc))
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kinds.ALLOCATION_RUN,
            payload=kinds.versioned(kinds.ALLOCATION_RUN, {
                "as_of": as_of,
                "solver": plan.solver,
                "status": plan.status.value,
                "objective": plan.objective,
                "allocations": made,
                "unfilled": plan_to_dict(plan)["unfilled"],
                "made": held,
            }),
        )
        uow.commit()
    return AllocationRun(as_of, problem, plan, tuple(made), recorded=True)
