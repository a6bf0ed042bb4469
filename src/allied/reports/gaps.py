"""Gaps: what the recipient asked for, against what donors pledged and delivered.

Per capability (compatibility) family, from the clearinghouse's own records:
requested (requests not withdrawn), offered (offers not withdrawn), pledged
(allocations pledged or beyond: consent-pending, approved, shipped, delivered, in
repair, returned, lost), delivered (delivered, in repair, returned), and the gaps
``requested - pledged`` and ``requested - delivered`` (never below zero). An
allocation counts for the family of the request it fills. The period selects
requests by their needed-by date and offers by their available-from date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from allied.domain.assistance import DELIVERED_STATES, AllocationStatus, RecordStatus
from allied.domain.catalogue import FAMILIES
from allied.reports.model import Period, Report, pct
from allied.reports.predictability import (
    PLEDGED_STATES,
    AllocationLike,
    OfferLike,
    RequestLike,
)

COLUMNS = [
    "family",
    "description",
    "requests",
    "requested",
    "offered",
    "pledged",
    "delivered",
    "gap_pledged",
    "gap_delivered",
    "pledged_pct",
    "delivered_pct",
]


#: the sums per family
GAP_SUMS = ("requests", "requested", "offered", "pledged", "delivered")


def gap_sums(
    requests: Sequence[RequestLike],
    offers: Sequence[OfferLike],
    allocations: Sequence[AllocationLike],
    period: Period,
) -> dict[str, dict[str, int]]:
    """Per family: the requests not withdrawn needed in the period (count, quantity),
    the offers not withdrawn available in it, and the allocations pledged and delivered
    that fill those requests."""
    wanted = {
        r.id: r
        for r in requests
        if r.status is not RecordStatus.WITHDRAWN and period.has_day(r.needed_by)
    }
    acc: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(GAP_SUMS, 0))
    for r in wanted.values():
        acc[r.family]["requests"] += 1
        acc[r.family]["requested"] += r.quantity
    for o in offers:
        if o.status is not RecordStatus.WITHDRAWN and period.has_day(o.available_from):
            acc[o.family]["offered"] += o.quantity
    for a in allocations:
        request = wanted.get(a.request_id)
        if request is None:
            continue
        add_allocation_sums(acc[request.family], a.status, a.quantity)
    return dict(acc)


def add_allocation_sums(into: dict[str, int], status: AllocationStatus, quantity: int) -> None:
    """Add allocations in ``status`` to the pledged and delivered sums."""
    if status in PLEDGED_STATES:
        into["pledged"] += quantity
    if status in DELIVERED_STATES:
        into["delivered"] += quantity


def gaps(
    requests: Sequence[RequestLike] = (),
    offers: Sequence[OfferLike] = (),
    allocations: Sequence[AllocationLike] = (),
    *,
    period: Period | None = None,
    sums: Mapping[str, Mapping[str, int]] | None = None,
) -> Report:
    """``sums``: the sums per family as :func:`gap_sums` makes them (a store that sums
    in SQL gives them instead of the records, which are then not read)."""
    period = period or Period()
    acc = gap_sums(requests, offers, allocations, period) if sums is None else sums
    rows: list[dict[str, Any]] = []
    for family, fam in acc.items():
        rows.append(
            {
                "family": family,
                "description": FAMILIES.get(family, (None, family))[1],
                **fam,
                "gap_pledged": max(fam["requested"] - fam["pledged"], 0),
                "gap_delivered": max(fam["requested"] - fam["delivered"], 0),
                "pledged_pct": pct(fam["pledged"], fam["requested"]),
                "delivered_pct": pct(fam["delivered"], fam["requested"]),
            }
        )
    rows.sort(key=lambda r: (-r["gap_pledged"], -r["requested"], r["family"]))
    return Report(
        name="gaps",
        title="Gaps: requested, pledged and delivered by capability family",
        tables={"families": rows},
        columns={"families": COLUMNS},
        brief={
            "families": [
                "family",
                "requested",
                "offered",
                "pledged",
                "delivered",
                "gap_pledged",
                "delivered_pct",
            ]
        },
        period=period,
        sources=["allied clearinghouse (requests, offers, allocations)"],
        notes=[
            "Quantities in units of each family (rounds, systems, vehicles...); families "
            "are not comparable with each other.",
            "pledged: allocations pledged or beyond (lost included); delivered: delivered, "
            "in repair or returned. Gaps never go below zero.",
            "Quantities marked ILLUSTRATIVE in the reference scenario are modelled, not "
            "reported figures.",
        ],
    )
