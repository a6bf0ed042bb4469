"""What the dashboard pages show, computed from the access service's filtered reads.

Nothing here reads a repository to *show* a record: every figure is built from
:mod:`allied.service.access`, which filters by the caller's releasability exactly as the
API does; changes go through the same service, with its role and nation checks and a
ledger entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from allied.domain.assistance import (
    COMMITTING,
    DELIVERED_STATES,
    AllocationStatus,
    RecordStatus,
)
from allied.domain.users import Action, may
from allied.service import access
from allied.service.caller import Caller

#: How many records an aggregate reads at most (the page lists are paged separately).
AGGREGATE_LIMIT = 100_000
PAGE_SIZE = 50


def families(uow: Any, caller: Caller) -> list[str]:
    """The capability families of the catalogue (the filters' choices; small and public,
    unlike the records)."""
    rows = access.list_item_types(uow, caller, limit=AGGREGATE_LIMIT).items
    return sorted({str(r["family"]) for r in rows})


def donors(uow: Any, caller: Caller) -> list[str]:
    """The states (the donor filter's choices)."""
    rows = access.list_actors(uow, caller, kind="state", limit=AGGREGATE_LIMIT).items
    return sorted(str(r["code"]) for r in rows)


def all_rows(page_fn: Any, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    page: access.Page = page_fn(*args, limit=AGGREGATE_LIMIT, offset=0, **kwargs)
    return page.items


#: The unit a family's quantities count (one unit of each family is not one of another:
#: quantities are never added across families).
FAMILY_UNITS = {"training": "trainee places", "fuel": "units of fuel"}


def family_unit(family: str) -> str:
    return FAMILY_UNITS.get(family, "items")


@dataclass
class FamilyGap:
    family: str
    requests: int = 0
    requested: int = 0
    proposed: int = 0
    pledged: int = 0
    delivered: int = 0
    #: quantity requested whose item type has a money valuation, and the EUR figures
    valued: int = 0
    requested_eur: float = 0.0
    outstanding_eur: float = 0.0

    @property
    def unit(self) -> str:
        return family_unit(self.family)

    @property
    def outstanding(self) -> int:
        return max(self.requested - self.pledged, 0)

    @property
    def fill(self) -> float:
        return min(self.pledged / self.requested, 1.0) if self.requested else 0.0

    @property
    def delivered_share(self) -> float:
        return min(self.delivered / self.requested, 1.0) if self.requested else 0.0

    @property
    def proposed_share(self) -> float:
        """Share proposed by the optimiser and not yet pledged (within what is still open)."""
        if not self.requested:
            return 0.0
        return min(self.proposed / self.requested, 1.0 - self.fill)

    @property
    def open_share(self) -> float:
        """Share neither pledged nor proposed."""
        return max(1.0 - self.fill - self.proposed_share, 0.0) if self.requested else 0.0


@dataclass
class Overview:
    gaps: list[FamilyGap]
    open_requests: int
    consents_waiting: int
    decisions_open: int
    offer_totals: list[dict[str, Any]]
    proposals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def families_short(self) -> int:
        """Families with quantity still outstanding (counted, not their units summed)."""
        return sum(1 for g in self.gaps if g.outstanding)

    @property
    def outstanding_eur(self) -> float:
        """The outstanding quantity's value in EUR, over the requests with a valuation."""
        return sum(g.outstanding_eur for g in self.gaps)

    @property
    def families_valued(self) -> int:
        """Families with a valuation for some of what is requested (quantities of
        different families are not added: they count different things)."""
        return sum(1 for g in self.gaps if g.valued)


def gaps_by_family(
    requests: list[dict[str, Any]], allocations: list[dict[str, Any]]
) -> list[FamilyGap]:
    """Requested, proposed, pledged and delivered quantity per family of open requests.

    ``pledged`` counts every allocation past ``proposed`` that still holds quantity
    (pledged, consent-pending, approved, shipped, delivered...); ``delivered`` those
    delivered, in repair or returned. Only the rows given (already filtered) count.
    """
    family_of: dict[str, str] = {}
    gaps: dict[str, FamilyGap] = {}
    for r in requests:
        if r["status"] != RecordStatus.OPEN.value:
            continue
        g = gaps.setdefault(r["family"], FamilyGap(r["family"]))
        g.requests += 1
        g.requested += int(r["quantity"])
        family_of[r["id"]] = r["family"]
    for a in allocations:
        fam = family_of.get(a["request"])
        if fam is None:
            continue
        status = AllocationStatus(a["status"])
        g = gaps[fam]
        if status is AllocationStatus.PROPOSED:
            g.proposed += int(a["quantity"])
        elif status in COMMITTING:
            g.pledged += int(a["quantity"])
        if status in DELIVERED_STATES:
            g.delivered += int(a["quantity"])
    return sorted(gaps.values(), key=lambda g: (-g.outstanding, g.family))


#: the items of a to-do section the overview lists (its "see them all" link beyond)
TODO_LISTED = 20
#: the record pages to-do items open, by section (the others: a proposal's page for a
#: proposal, else the allocation's)
TODO_RECORD_PAGES = {
    "requests_with_nothing_allocated": "requests",
    "unfilled_requests": "requests",
    "consents_to_answer": "consents",
    "consents_waiting": "consents",
}
#: where a to-do section's "see them all" leads (``{mine}``: the donor's own, ``&donor=``
#: and the caller's nation); any other section: the allocation page
TODO_ALL = {
    "deliveries_to_confirm": "/allocation?status=shipped",
    "back_from_repair": "/allocation?status=returned",
    "requests_with_nothing_allocated": "/requests?status=open",
    "unfilled_requests": "/requests?status=open",
    "consents_waiting": "/consents",
    "consents_to_answer": "/consents",
    "proposed_to_pledge": "/allocation?status=proposed{mine}",
    "pledges_to_ask_consent": "/allocation?status=pledged{mine}",
    "pledges_to_ship": "/allocation?status=approved{mine}",
    "consents_holding_pledges": "/allocation?status=consent-pending{mine}",
    "proposed_to_accept": "/allocation?status=proposed",
    "pledges_to_approve": "/allocation?status=pledged",
    "blocked_decisions": "/decisions",
    "positions_awaited": "/decisions",
    "overdue_deliveries": "/allocation",
}


def todo_sections(todo: dict[str, Any], nation: str | None) -> list[dict[str, Any]]:
    """The to-do list's sections as the overview shows them: each section's own keys
    (``name``, ``title``, ``items``), ``n`` (how many items there are: its ``total``
    when the list was cut), ``pages`` (the record page each listed item opens, for the
    first :data:`TODO_LISTED`) and ``more`` (the "see them all" link when there are more
    than those, else ``None``)."""
    mine = "&donor=" + (nation or "")
    shaped = []
    for s in todo["sections"]:
        items = s["items"]
        n = s["total"] if "total" in s else len(items)
        pages = [
            TODO_RECORD_PAGES.get(
                s["name"], "proposals" if i.get("kind") == "proposal" else "allocations"
            )
            for i in items[:TODO_LISTED]
        ]
        more = TODO_ALL.get(s["name"], "/allocation").format(mine=mine) if n > TODO_LISTED else None
        shaped.append({**s, "n": n, "pages": pages, "more": more})
    return shaped


def overview_reads(
    uow_factory: Any, caller: Caller, day: dt.date
) -> dict[str, Callable[[], Any]]:
    """The reads the cell's picture is made of, each on its own unit of work and none
    depending on another (a page may run them side by side); :func:`overview_of` puts
    their results together."""
    reads: dict[str, Callable[[], Any]] = {
        "gaps": lambda: access.family_gaps(uow_factory(), caller, day),
    }
    if may(caller.role, Action.READ_CONSENTS):
        # the caller's queue, as its to-do list counts it (one definition)
        reads["consents"] = lambda: access.count_waiting_consents(uow_factory(), caller, day)
    # shown as recorded (id, title, forum, rule, deadline): no outcome worked out
    reads["proposals"] = lambda: access.open_proposals(uow_factory(), caller, day)
    reads["offer_totals"] = lambda: access.offer_totals(uow_factory(), caller, day, "donor")
    return reads


#: The to-do list's section of the caller's consent queue (``waiting_consents``), per role
QUEUE_SECTIONS = ("consents_waiting", "consents_to_answer")


def queue_total(todo: Mapping[str, Any]) -> int | None:
    """How many consent requests wait in the caller's queue, as its to-do list (read with
    a ``limit``) counts them: what :func:`access.count_waiting_consents` counts; ``None``
    when the list has no such section (a role with no queue)."""
    for section in todo["sections"]:
        if section["name"] in QUEUE_SECTIONS and "total" in section:
            return int(section["total"])
    return None


def overview_of(results: Mapping[str, Any]) -> Overview:
    """The cell's picture from the results of :func:`overview_reads` (by their names):
    the store's sums (a page of nothing but aggregates: no list of records is read)."""
    gaps = [
        FamilyGap(
            g["family"], g["requests"], g["requested"], g["proposed"], g["pledged"],
            g["delivered"], g["valued"], g["requested_eur"], g["outstanding_eur"],
        )
        for g in results["gaps"]
    ]
    return Overview(
        gaps=gaps,
        open_requests=sum(g.requests for g in gaps),
        consents_waiting=int(results.get("consents", 0)),
        decisions_open=len(results["proposals"]),
        offer_totals=results["offer_totals"],
        proposals=results["proposals"],
    )


def last_run(uow_factory: Any, caller: Caller) -> dict[str, Any] | None:
    """The latest ``allocation.run`` ledger entry (its unfilled requests and reasons), for
    the roles that read the ledger; ``None`` when there is none or the caller may not read
    the ledger (found by the entries' kind, not by reading the ledger backwards)."""
    if not may(caller.role, Action.READ_LEDGER):
        return None
    return access.last_allocation_run(uow_factory(), caller)
