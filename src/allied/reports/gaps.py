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
from collections.abc import Sequence
from typing import Any

from allied.domain.assistance import (
    DELIVERED_STATES,
    Offer,
    RecordStatus,
    Request,
)
from allied.domain.catalogue import FAMILIES
from allied.reports.model import Period, Report, pct
from allied.reports.predictability import PLEDGED_STATES, AllocationLike

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


def gaps(
    requests: Sequence[Request],
    offers: Sequence[Offer],
    allocations: Sequence[AllocationLike],
    *,
    period: Period | None = None,
) -> Report:
    period = period or Period()
    wanted = {
        r.id: r
        for r in requests
        if r.status is not RecordStatus.WITHDRAWN and period.has_day(r.needed_by)
    }
    acc: dict[str, dict[str, int]] = defaultdict(
        lambda: {"requests": 0, "requested": 0, "offered": 0, "pledged": 0, "delivered": 0}
    )
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
        if a.status in PLEDGED_STATES:
            acc[request.family]["pledged"] += a.quantity
        if a.status in DELIVERED_STATES:
            acc[request.family]["delivered"] += a.quantity
    rows: list[dict[str, Any]] = []
    for family, sums in acc.items():
        rows.append(
            {
                "family": family,
                "description": FAMILIES.get(family, (None, family))[1],
                **sums,
                "gap_pledged": max(sums["requested"] - sums["pledged"], 0),
                "gap_delivered": max(sums["requested"] - sums["delivered"], 0),
                "pledged_pct": pct(sums["pledged"], sums["requested"]),
                "delivered_pct": pct(sums["delivered"], sums["requested"]),
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
