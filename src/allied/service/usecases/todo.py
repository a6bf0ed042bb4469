"""Each role's to-do list: what waits on the caller now.

* recipient: deliveries to confirm (shipped to it), its open requests with nothing
  allocated, items back from repair;
* donor: proposed allocations of its offers to pledge, pledges to ship (approved),
  consents holding its pledges (with the origin asked and since when);
* origin: consent requests to answer, each with item, quantity, holder, recipient, the
  allocations it unlocks and how long it has waited;
* coordinator: proposed allocations to accept, unfilled requests and the reasons the last
  optimiser run gave, decisions blocked and by whom (proposals; allocations waiting on
  consent), overdue deliveries (not delivered by the request's needed-by date).

A read: nothing changes. Everything listed is visible to the caller (its own records and
the allocations it is party to; the coordinator sees all).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from allied.domain.assistance import AllocationStatus, RecordStatus
from allied.domain.consent import ConsentStatus
from allied.domain.proposals import ProposalStatus
from allied.domain.users import Action, UserRole, require
from allied.service import allocations as allocation_service
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork
from allied.service.usecases.allocations import allocation_row
from allied.service.usecases.common import viewer
from allied.service.usecases.consents import consent_facts

S = AllocationStatus


def todo(uow: UnitOfWork, caller: Caller, day: dt.date) -> dict[str, Any]:
    """``{"on", "role", "nation", "sections": [{"name", "title", "items"}]}``."""
    require(caller.role, Action.READ)
    sections: list[dict[str, Any]] = []

    def section(name: str, title: str, items: list[dict[str, Any]]) -> None:
        sections.append({"name": name, "title": title, "items": items})

    with uow:
        viewer(uow, caller, day)
        offers = {o.id: o for o in uow.offers.list()}
        requests = {r.id: r for r in uow.requests.list()}
        allocs = sorted(uow.allocations.list(), key=lambda a: a.id)

        def rows(status: AllocationStatus, mine: Any) -> list[dict[str, Any]]:
            return [
                allocation_row(a, offers[a.offer_id], requests[a.request_id])
                for a in allocs
                if a.status is status and mine(a)
            ]

        nation = caller.nation
        role = caller.role
        if role == UserRole.RECIPIENT:
            ours = {r.id for r in requests.values() if r.recipient == nation}

            def to_us(a: Any) -> bool:
                return a.request_id in ours

            section("deliveries_to_confirm", "Deliveries to confirm", rows(S.SHIPPED, to_us))
            held = allocation_service.sum_committed(uow, "request", sorted(ours))
            section(
                "requests_with_nothing_allocated",
                "Open requests with nothing allocated",
                [
                    _request_item(requests[i], day)
                    for i in sorted(ours)
                    if requests[i].status is RecordStatus.OPEN and not held.get(i)
                ],
            )
            section("back_from_repair", "Items back from repair", rows(S.RETURNED, to_us))
        elif role == UserRole.DONOR:

            def from_us(a: Any) -> bool:
                return offers[a.offer_id].donor == nation

            section("proposed_to_pledge", "Proposed allocations of your offers to pledge",
                    rows(S.PROPOSED, from_us))
            section("pledges_to_ship", "Pledges approved, to ship", rows(S.APPROVED, from_us))
            section(
                "consents_holding_pledges",
                "Pledges waiting on re-export consent",
                _waiting_on_consent(uow, rows(S.CONSENT_PENDING, from_us), day),
            )
        elif role == UserRole.ORIGIN:
            pending = [
                c
                for c in uow.consents.list(origin=nation)
                if c.effective_status(day) is ConsentStatus.PENDING
            ]
            section(
                "consents_to_answer",
                "Re-export consent requests to answer",
                [consent_facts(uow, c, day) for c in sorted(pending, key=lambda c: c.id)],
            )
        elif role == UserRole.COORDINATOR:

            def anyone(a: Any) -> bool:
                return True

            section("proposed_to_accept", "Proposed allocations to accept",
                    rows(S.PROPOSED, anyone))
            section("unfilled_requests", "Unfilled requests and why",
                    _unfilled(uow, requests, day))
            section("blocked_decisions", "Decisions blocked, and by whom",
                    _blocked(uow, day)
                    + _waiting_on_consent(uow, rows(S.CONSENT_PENDING, anyone), day))
            section(
                "overdue_deliveries",
                "Deliveries overdue (not delivered by the request's needed-by date)",
                [
                    r
                    for status in (S.PLEDGED, S.CONSENT_PENDING, S.APPROVED, S.SHIPPED)
                    for r in rows(status, anyone)
                    if dt.date.fromisoformat(r["needed_by"]) < day
                ],
            )
    return {"on": day.isoformat(), "role": str(role), "nation": nation, "sections": sections}


def _request_item(request: Any, day: dt.date) -> dict[str, Any]:
    return {
        "id": request.id,
        "family": request.family,
        "quantity": request.quantity,
        "priority": request.priority,
        "needed_by": request.needed_by.isoformat(),
        "days_left": (request.needed_by - day).days,
    }


def _waiting_on_consent(
    uow: UnitOfWork, rows: list[dict[str, Any]], day: dt.date
) -> list[dict[str, Any]]:
    """Allocations in consent-pending, each with the origin states yet to answer."""
    out = []
    for row in rows:
        offer = uow.offers.get(row["offer"])
        assert offer is not None
        waiting: list[dict[str, Any]] = []
        for c in uow.consents.list(holder=offer.donor, family=offer.family):
            if (
                c.origin in offer.consent_from
                and c.offer_id in (None, offer.id)
                and c.effective_status(day) is ConsentStatus.PENDING
            ):
                waiting.append(
                    {"consent": c.id, "origin": c.origin, "since": c.requested_on.isoformat(),
                     "days_waited": (day - c.requested_on).days}
                )
        blocked_by = sorted({str(w["origin"]) for w in waiting})
        out.append({**row, "kind": "allocation", "blocked_by": blocked_by, "waiting_on": waiting})
    return out


def _unfilled(uow: UnitOfWork, requests: dict[str, Any], day: dt.date) -> list[dict[str, Any]]:
    """Open requests still short, with the reasons the last optimiser run recorded."""
    reasons: dict[str, list[str]] = {}
    last_run = None
    entries = uow.ledger.entries()
    try:
        for e in entries:
            if e.kind == "allocation.run":
                last_run = e
    finally:
        entries.close()
    if last_run is not None:
        for u in last_run.payload.get("unfilled", []):
            reasons[str(u.get("request"))] = [str(x) for x in u.get("reasons", [])]
    open_ids = sorted(r.id for r in requests.values() if r.status is RecordStatus.OPEN)
    held = allocation_service.sum_committed(uow, "request", open_ids)
    out = []
    for rid in open_ids:
        short = requests[rid].quantity - held.get(rid, 0)
        if short > 0:
            out.append(
                {
                    **_request_item(requests[rid], day),
                    "recipient": requests[rid].recipient,
                    "outstanding": short,
                    "reasons": reasons.get(rid, ["no optimiser run has considered it"]
                                           if last_run is None else []),
                }
            )
    return out


def _blocked(uow: UnitOfWork, day: dt.date) -> list[dict[str, Any]]:
    """Open proposals whose rule, as the positions stand, blocks them, and who blocks."""
    from allied.domain.rules import Rule
    from allied.service.governance import population

    out = []
    for p in sorted(uow.proposals.list(status=ProposalStatus.OPEN), key=lambda p: p.id):
        pop = None
        if p.rule is Rule.QMV:
            pop, _ = population(uow, p.participants, p.deadline.year - 1)
        outcome = p.provisional(pop)
        if outcome.blocking:
            out.append({"kind": "proposal", "id": p.id, "forum": p.forum, "title": p.title,
                        "deadline": p.deadline.isoformat(), "blocked_by": list(outcome.blocking)})
    return out
