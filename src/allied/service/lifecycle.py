"""Many allocation lifecycle moves in one transaction (the bulk path of
:func:`allied.service.governance.move_allocation`).

Each move does what ``move_allocation`` does for one allocation: the state machine's
check, a ledger entry ``allocation.<to>`` with ``id``/``from``/``to``, and on a move to
``consent-pending`` a consent request to each origin state that has no pending or
granted one (answered at once by a standing policy) and the move on to ``approved`` or
``rejected`` once every origin has answered. Consents past their deadline expire once,
at the start. The allocations are locked together (ascending ids, the order every
writer takes), the consents of the origin/holder pairs concerned are read once, and the
ledger entries are appended at once, in the order of the moves, in one hash-chained
batch. All moves are made or none: the first refused raises (the error names the
allocation) and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from allied.domain.assistance import Allocation, AllocationStatus, Offer
from allied.domain.consent import ConsentRequest, ConsentStatus, combined, standing_answer
from allied.domain.errors import NotFound
from allied.ledger import kinds
from allied.ledger.chain import EntryDraft
from allied.service.bulk import append_many, get_many, lock_many
from allied.service.caller import Caller
from allied.service.governance import (
    DEFAULT_CONSENT_EXPIRY_DAYS,
    allocation_view,
    check_move_dates,
    expire_consents,
)
from allied.service.ids import free_ids
from allied.service.ports import UnitOfWork


@dataclass(frozen=True)
class Move:
    """Move allocation ``allocation_id`` to status ``to``."""

    allocation_id: str
    to: str


class _Consents:
    """The consent requests of the origin/holder pairs of a batch, read once, with the
    ones the batch makes added as it goes."""

    def __init__(self, uow: UnitOfWork, offers: Sequence[Offer]) -> None:
        self.by_pair: dict[tuple[str, str], list[ConsentRequest]] = defaultdict(list)
        for origin, holder in sorted({(o, f.donor) for f in offers for o in f.consent_from}):
            self.by_pair[(origin, holder)] = uow.consents.list(origin=origin, holder=holder)

    def latest(self, offer: Offer) -> list[ConsentRequest]:
        """Per origin of the offer, its latest consent request covering it (as
        ``governance._consents_for``)."""
        found = []
        for origin in offer.consent_from:
            matches = [
                c
                for c in self.by_pair[(origin, offer.donor)]
                if c.offer_id in (None, offer.id) and c.family == offer.family
            ]
            if matches:
                found.append(max(matches, key=lambda c: (c.requested_on, c.id)))
        return found

    def add(self, c: ConsentRequest) -> None:
        self.by_pair[(c.origin, c.holder)].append(c)


def advance_many(
    uow: UnitOfWork,
    caller: Caller,
    moves: Sequence[Move],
    *,
    today: dt.date,
    expiry_days: int = DEFAULT_CONSENT_EXPIRY_DAYS,
) -> list[dict[str, Any]]:
    """Make the moves in order, in one transaction; returns each allocation's view after
    its move. Raises the first refusal (nothing written)."""
    if not moves:
        return []
    with uow:
        expire_consents(uow, caller, today)
        allocs = lock_many(uow.allocations, {m.allocation_id for m in moves})
        offers = get_many(uow.offers, {a.offer_id for a in allocs.values()})
        requests = get_many(uow.requests, {a.request_id for a in allocs.values()})
        consents = _Consents(uow, list(offers.values()))
        new_ids: Iterator[str] | None = None
        drafts: list[EntryDraft] = []
        views = []

        def entry(kind: str, payload: dict[str, Any]) -> None:
            drafts.append(EntryDraft(caller.user, caller.nation, kind, payload))

        for move in moves:
            alloc = allocs.get(move.allocation_id)
            if alloc is None:
                raise NotFound(f"no allocation {move.allocation_id!r}")
            offer = offers[alloc.offer_id]
            check_move_dates(uow, alloc, move.to, today, offer)
            granted = False
            if move.to == AllocationStatus.APPROVED.value and alloc.needs_consent:
                granted = (
                    combined([c.effective_status(today) for c in consents.latest(offer)])
                    is ConsentStatus.GRANTED
                )
            before = alloc.status
            alloc.advance(move.to, consent_granted=granted, by=caller.user)
            entry(kinds.allocation_kind(move.to), kinds.allocation_moved(alloc, before))
            if alloc.status is AllocationStatus.CONSENT_PENDING:
                have = {
                    c.origin
                    for c in consents.latest(offer)
                    if c.effective_status(today) in (ConsentStatus.PENDING, ConsentStatus.GRANTED)
                }
                for origin in offer.consent_from:
                    if origin in have:
                        continue
                    if new_ids is None:
                        new_ids = free_ids(uow.consents, "C")
                    c = ConsentRequest(
                        next(new_ids),
                        origin,
                        offer.donor,
                        offer.family,
                        requests[alloc.request_id].recipient,
                        today,
                        offer_id=offer.id,
                        expires_on=today + dt.timedelta(days=expiry_days),
                    )
                    policy = uow.consent_policies.get(origin)
                    answer = standing_answer(policy.policy if policy else None)
                    if policy is not None and answer is not ConsentStatus.PENDING:
                        why = f"standing policy of {origin}: {policy.policy.value}"
                        c.answer(answer, today, why)
                    uow.consents.add(c)
                    consents.add(c)
                    entry(kinds.CONSENT_REQUESTED, kinds.consent_requested(c))
                _settle(alloc, offer, consents, today, caller, entry)
            views.append(allocation_view(alloc))
        append_many(uow.ledger, drafts)
        uow.commit()
    return views


def _settle(
    alloc: Allocation,
    offer: Offer,
    consents: _Consents,
    today: dt.date,
    caller: Caller,
    entry: Any,
) -> None:
    """Move a consent-pending allocation on once every origin has answered (as
    ``governance._settle``)."""
    latest = consents.latest(offer)
    answered = {c.origin for c in latest}
    statuses = [c.effective_status(today) for c in latest]
    if any(o not in answered for o in offer.consent_from):
        statuses.append(ConsentStatus.PENDING)
    overall = combined(statuses)
    if overall is ConsentStatus.PENDING:
        return
    target = (
        AllocationStatus.APPROVED if overall is ConsentStatus.GRANTED else AllocationStatus.REJECTED
    )
    reason = f"re-export consent {overall.value}"
    alloc.advance(
        target, consent_granted=overall is ConsentStatus.GRANTED, by=caller.user, note=reason
    )
    entry(kinds.allocation_kind(target), {"id": alloc.id, "reason": reason})
