"""Each role's to-do list: what waits on the caller now.

* recipient: deliveries to confirm (shipped to it), its open requests with nothing
  allocated, items back from repair;
* donor: proposed allocations of its offers to pledge, its pledges of items made elsewhere
  to ask consent for, pledges to ship (approved), consents holding its pledges (with the
  origin asked and since when);
* origin: consent requests to answer, each with item, quantity, holder, recipient, the
  allocations it unlocks and how long it has waited;
* coordinator: proposed allocations to accept, pledges needing no consent to approve,
  unfilled requests and the reasons the last optimiser run gave, decisions blocked and by
  whom (proposals; allocations waiting on consent), overdue deliveries (not delivered by
  the request's needed-by date).

A read: nothing changes. Everything listed is visible to the caller (its own records and
the allocations it is party to; the coordinator sees all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from allied.domain.actors import Membership
from allied.domain.assistance import IN_FLIGHT, AllocationStatus, RecordStatus, Request
from allied.domain.consent import ConsentRequest
from allied.domain.users import Action, UserRole, require
from allied.ledger.chain import LedgerEntry
from allied.service.allocations import sum_committed
from allied.service.bulk import get_many
from allied.service.caller import Caller
from allied.service.consent_reads import consent_of, consents_about
from allied.service.ports import UnitOfWork
from allied.service.usecases.allocations import list_allocations
from allied.service.usecases.common import memberships_of, viewer
from allied.service.usecases.consents import waiting_consents
from allied.service.usecases.proposals import awaiting_position, recorded_open
from allied.service.usecases.requests import list_requests

S = AllocationStatus


#: Most rows one list query of the to-do list reads (a section is every item waiting).
_ALL = 1_000_000


def todo(
    uow: UnitOfWork, caller: Caller, day: dt.date, *, limit: int | None = None
) -> dict[str, Any]:
    """``{"on", "role", "nation", "sections": [{"name", "title", "items"}]}``.

    Each section is one filtered list query (the store filters and sums); every item is
    an allocation the caller is party to, or its own record, or (the coordinator) any.
    ``limit``: the allocation sections keep their first ``limit`` items (by id) and say
    how many there are in ``total`` (a page that shows a few reads no more)."""
    require(caller.role, Action.READ)
    sections: list[dict[str, Any]] = []
    totals: dict[int, int] = {}

    nation = caller.nation
    role = caller.role
    # the viewer's memberships, read once for every section (each reads in its own unit
    # of work)
    memberships = memberships_of(uow, caller)

    def _allocations(
        uow: UnitOfWork, caller: Caller, day: dt.date, **where: Any
    ) -> list[dict[str, Any]]:
        found = list_allocations(uow, caller, day, limit=limit or _ALL,
                                 memberships=memberships, **where)
        totals[id(found.items)] = found.total
        return found.items

    def section(
        name: str, title: str, items: list[dict[str, Any]], total: int | None = None
    ) -> None:
        made: dict[str, Any] = {"name": name, "title": title, "items": items}
        if limit is not None:
            made["total"] = total if total is not None else totals.get(id(items), len(items))
            if made["total"] == len(items) and len(items) > limit:
                made["items"] = items[:limit]
        sections.append(made)

    if role == UserRole.RECIPIENT:
        section("deliveries_to_confirm", "Deliveries to confirm",
                _allocations(uow, caller, day, status=S.SHIPPED.value, recipient=nation))
        bare, bare_total = _nothing_allocated(uow, caller, day, limit, memberships)
        section("requests_with_nothing_allocated", "Open requests with nothing allocated",
                bare, bare_total)
        section("back_from_repair", "Items back from repair",
                _allocations(uow, caller, day, status=S.RETURNED.value, recipient=nation))
        _consents_waiting(section, uow, caller, day, limit,
                          "Re-export consent requests for items to you, waiting", memberships)
    elif role == UserRole.DONOR:
        section("proposed_to_pledge", "Proposed allocations of your offers to pledge",
                _allocations(uow, caller, day, status=S.PROPOSED.value, donor=nation))
        section("pledges_to_ask_consent",
                "Pledges of items made elsewhere: ask the origin states' consent",
                _allocations(uow, caller, day, status=S.PLEDGED.value, donor=nation,
                             needs_consent=True))
        section("pledges_to_ship", "Pledges approved, to ship",
                _allocations(uow, caller, day, status=S.APPROVED.value, donor=nation))
        held = _allocations(uow, caller, day, status=S.CONSENT_PENDING.value, donor=nation)
        with uow:
            waiting = _waiting_on_consent(uow, held, day)
        section("consents_holding_pledges", "Pledges waiting on re-export consent", waiting,
                totals.get(id(held)))
        _consents_waiting(section, uow, caller, day, limit,
                          "Re-export consent requests asked for your items, waiting", memberships)
    elif role == UserRole.ORIGIN:
        # the caller's queue (the requests asking it): the first ``limit`` by id with
        # their facts, and how many there are
        asked = waiting_consents(uow, caller, day, limit=limit or _ALL,
                                 memberships=memberships)
        section("consents_to_answer", "Re-export consent requests to answer", asked.items,
                asked.total)
    elif role == UserRole.COORDINATOR:
        section("proposed_to_accept", "Proposed allocations to accept",
                _allocations(uow, caller, day, status=S.PROPOSED.value))
        # a pledge needing consent waits on its donor asking, then on the origins (their
        # answers approve it); one needing none waits on the coordinator
        section("pledges_to_approve", "Pledges to approve",
                _allocations(uow, caller, day, status=S.PLEDGED.value, needs_consent=False))
        pending = _allocations(uow, caller, day, status=S.CONSENT_PENDING.value)
        with uow:
            last_run = _last_run(uow)
            proposals = _blocked(uow, day)
            blocked = proposals + _waiting_on_consent(uow, pending, day)
        unfilled, unfilled_total = _unfilled(uow, caller, day, last_run, limit, memberships)
        section("unfilled_requests", "Unfilled requests and why", unfilled, unfilled_total)
        section("blocked_decisions", "Decisions blocked, and by whom", blocked,
                len(proposals) + totals.get(id(pending), len(pending)))
        # on their way (IN_FLIGHT, which the store counts per request), in the order of
        # the lifecycle: pledged, consent-pending, approved, shipped
        order = [s.value for s in AllocationStatus if s in IN_FLIGHT]
        overdue = _allocations(uow, caller, day, needed_before=day, statuses=order)
        overdue.sort(key=lambda r: order.index(r["status"]))  # by status, then id
        section(
            "overdue_deliveries",
            "Deliveries overdue (not delivered by the request's needed-by date)",
            overdue,
        )
        _consents_waiting(section, uow, caller, day, limit,
                          "Re-export consent requests waiting for an answer, to chase", memberships)
    elif role == UserRole.AUDITOR:
        _consents_waiting(section, uow, caller, day, limit,
                          "Re-export consent requests waiting for an answer", memberships)
    if role in (UserRole.RECIPIENT, UserRole.DONOR, UserRole.ORIGIN):
        _positions_awaited(section, uow, caller, day, memberships)
    return {"on": day.isoformat(), "role": str(role), "nation": nation, "sections": sections}


def _consents_waiting(
    section: Any, uow: UnitOfWork, caller: Caller, day: dt.date, limit: int | None,
    title: str, memberships: Sequence[Membership],
) -> None:
    """The section of the consent requests in the caller's queue (``consents_waiting``):
    the set the overview's "consents waiting" counts and the consents page lists."""
    found = waiting_consents(uow, caller, day, limit=limit or _ALL, memberships=memberships)
    section("consents_waiting", title, found.items, found.total)


def _positions_awaited(
    section: Any, uow: UnitOfWork, caller: Caller, day: dt.date,
    memberships: Sequence[Membership],
) -> None:
    """The open proposals the caller's nation takes part in and has taken no position
    on (this version): a vote to cast, or a silence to keep or break, by the deadline."""
    nation = str(caller.nation)
    with uow:
        found = awaiting_position(uow, viewer(uow, caller, day, memberships), day)
        items = [
            {"kind": "proposal", "id": p.id, "forum": p.forum, "title": p.title,
             "rule": p.rule.value, "deadline": p.deadline.isoformat(),
             "days_left": (p.deadline - day).days}
            for p in found
        ]
    section("positions_awaited", f"Proposals awaiting {nation}'s position", items, len(items))


def _request_row_item(row: dict[str, Any], day: dt.date) -> dict[str, Any]:
    needed = dt.date.fromisoformat(str(row["needed_by"]))
    return {
        "id": row["id"],
        "family": row["family"],
        "quantity": row["quantity"],
        "priority": row["priority"],
        "needed_by": needed.isoformat(),
        "days_left": (needed - day).days,
    }


def _request_item(request: Any, day: dt.date) -> dict[str, Any]:
    return {
        "id": request.id,
        "family": request.family,
        "quantity": request.quantity,
        "priority": request.priority,
        "needed_by": request.needed_by.isoformat(),
        "days_left": (request.needed_by - day).days,
    }


@runtime_checkable
class TodoReads(Protocol):
    """A store that reads the to-do list's sections itself (the SQL unit of work)."""

    def unallocated_requests(self, recipient: str, limit: int) -> tuple[list[Request], int]:
        """The recipient's open requests with no allocation holding quantity (proposed,
        pledged or further), the first ``limit`` by id, and how many there are."""
        ...

    def consents_about_offers(
        self, offer_ids: Sequence[str]
    ) -> dict[str, list[ConsentRequest]]:
        """Per offer: its holder's consent requests of its family naming the offer or no
        offer, by id."""
        ...


def _nothing_allocated(
    uow: UnitOfWork, caller: Caller, day: dt.date, limit: int | None,
    memberships: Sequence[Membership],
) -> tuple[list[dict[str, Any]], int]:
    """The caller's open requests with nothing allocated (nothing held against them: for
    its own requests every allocation counts), the first ``limit`` by id, and how many."""
    nation = str(caller.nation)
    if isinstance(uow, TodoReads):
        with uow:
            found, total = uow.unallocated_requests(nation, limit or _ALL)
            return [_request_item(r, day) for r in found], total
    ours = list_requests(uow, caller, day, recipient=nation, status=RecordStatus.OPEN,
                         limit=_ALL, memberships=memberships).items
    # held: a proposed line counts here (it holds quantity), though it is no pledge
    with uow:
        held = sum_committed(uow, "request", [r["id"] for r in ours])
    bare = [_request_row_item(r, day) for r in ours if not held.get(r["id"])]
    return bare, len(bare)


def _waiting_on_consent(
    uow: UnitOfWork, rows: list[dict[str, Any]], day: dt.date
) -> list[dict[str, Any]]:
    """Allocations in consent-pending, each with the origin states asked that have not
    answered (their allocation's consent: :mod:`allied.service.consent_reads`)."""
    # each offer read once, and the consent requests of all the offers in one query
    offers = get_many(uow.offers, {str(r["offer"]) for r in rows})
    about = consents_about(uow, offers.values())
    out = []
    for row in rows:
        offer = offers.get(str(row["offer"]))
        assert offer is not None
        consent = consent_of(offer, about, day)
        waiting: list[dict[str, Any]] = [
            {"consent": o.consent.id, "origin": o.origin,
             "since": o.consent.requested_on.isoformat(),
             "days_waited": (day - o.consent.requested_on).days}
            for o in consent.waiting_on if o.consent is not None
        ]
        blocked_by = sorted({str(w["origin"]) for w in waiting} | set(consent.not_asked))
        out.append({**row, "kind": "allocation", "blocked_by": blocked_by, "waiting_on": waiting,
                    "consent": consent.as_dict()})
    return out


def last_allocation_run(uow: UnitOfWork, caller: Caller) -> dict[str, Any] | None:
    """The latest ``allocation.run`` ledger entry (its plan's unfilled requests and their
    reasons), for the roles that read the ledger; ``None`` when there is none."""
    require(caller.role, Action.READ_LEDGER)
    with uow:
        entry = _last_run(uow)
    if entry is None:
        return None
    return {"seq": entry.seq, "at": entry.at, "user": entry.user, **entry.payload}


def _last_run(uow: UnitOfWork) -> LedgerEntry | None:
    if isinstance(uow, LastEntry):
        return uow.last_entry_of("allocation.run")
    last_run = None
    entries = uow.ledger.entries()
    try:
        for e in entries:
            if e.kind == "allocation.run":
                last_run = e
    finally:
        entries.close()
    return last_run


@runtime_checkable
class LastEntry(Protocol):
    def last_entry_of(self, kind: str) -> LedgerEntry | None: ...


def _unfilled(
    uow: UnitOfWork, caller: Caller, day: dt.date, last_run: LedgerEntry | None,
    limit: int | None, memberships: Sequence[Membership],
) -> tuple[list[dict[str, Any]], int]:
    """Open requests still short, with the reasons the last optimiser run recorded."""
    reasons: dict[str, list[str]] = {}
    if last_run is not None:
        for u in last_run.payload.get("unfilled", []):
            reasons[str(u.get("request"))] = [str(x) for x in u.get("reasons", [])]
    short = list_requests(uow, caller, day, status=RecordStatus.OPEN, short=True,
                          limit=limit or _ALL, memberships=memberships)
    out = []
    for row in short.items:
        out.append(
            {
                **_request_row_item(row, day),
                "recipient": row["recipient"],
                "outstanding": row["outstanding"],
                "reasons": reasons.get(row["id"], ["no optimiser run has considered it"]
                                       if last_run is None else []),
            }
        )
    return out, short.total


def _blocked(uow: UnitOfWork, day: dt.date) -> list[dict[str, Any]]:
    """Open proposals whose rule, as the positions stand, blocks them: who blocks by a
    stated position (``blocked_by``) and whose votes it still waits for (``waiting_for``:
    under QMV a state that has not voted is not in favour, but it blocks nothing yet)."""
    from allied.service.governance import Populations, population_for

    out = []
    populations = Populations(uow)  # read once for every QMV proposal
    heads, positions = recorded_open(uow)
    for p in heads:
        outcome = p.provisional(positions.get(p.id, {}), population_for(uow, p, populations))
        if outcome.blocking:
            out.append({"kind": "proposal", "id": p.id, "forum": p.forum, "title": p.title,
                        "deadline": p.deadline.isoformat(), "blocked_by": list(outcome.against),
                        "waiting_for": list(outcome.not_heard)})
    return out
