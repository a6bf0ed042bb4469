"""Predictability: do commitments turn into allocations, and pledges into deliveries?

Three views, each by donor and channel:

- ``donors`` (Kiel): per donor, aid committed, allocated and still to be allocated in
  the period, the share of committed aid still to be allocated, and how lumpy the
  monthly allocations are (coefficient of variation over the months of the period);
- ``series`` (Kiel): month by month, the cumulative committed and allocated aid per
  channel (``bilateral`` for states, ``eu-institutions`` for EU bodies, ``all``);
- ``clearinghouse``: per donor and channel of the clearinghouse's own offers,
  quantities offered, pledged, shipped and delivered;
- ``sipri``: per supplier, SIPRI TIV ordered and delivered (deals ordered in the period);
- ``sipri_by_year``: the same per year of order: how much of each year's orders arrived.

"Still to be allocated" is Kiel's ``to_be_allocated`` (commitments less allocations);
a negative value means more was allocated than committed in the period.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from allied.domain.assistance import (
    DELIVERED_STATES,
    AllocationStatus,
    Channel,
    RecordStatus,
)
from allied.reports.data import KIEL_SOURCE, SIPRI_SOURCE
from allied.reports.donors import EU_INSTITUTIONS
from allied.reports.model import Period, Report, pct
from allied.reports.records import KielMonth, SipriTransfer

S = AllocationStatus


class AllocationLike(Protocol):
    """What the reports read of an allocation: an allocation itself, or the summed
    quantity of several of one offer or request in one status (the store's totals)."""

    @property
    def offer_id(self) -> str: ...

    @property
    def request_id(self) -> str: ...

    @property
    def status(self) -> AllocationStatus: ...

    @property
    def quantity(self) -> int: ...

class OfferLike(Protocol):
    """What the reports read of an offer: an offer itself, or its row
    (``allied.service.rows.OfferRow``)."""

    @property
    def id(self) -> str: ...

    @property
    def donor(self) -> str: ...

    @property
    def family(self) -> str: ...

    @property
    def quantity(self) -> int: ...

    @property
    def available_from(self) -> dt.date: ...

    @property
    def channel(self) -> Channel: ...

    @property
    def status(self) -> RecordStatus: ...


class RequestLike(Protocol):
    """What the reports read of a request: a request itself, or its row."""

    @property
    def id(self) -> str: ...

    @property
    def family(self) -> str: ...

    @property
    def quantity(self) -> int: ...

    @property
    def needed_by(self) -> dt.date: ...

    @property
    def status(self) -> RecordStatus: ...


PLEDGED_STATES = frozenset(
    {
        S.PLEDGED,
        S.CONSENT_PENDING,
        S.APPROVED,
        S.SHIPPED,
        S.DELIVERED,
        S.IN_REPAIR,
        S.RETURNED,
        S.LOST,
    }
)
SHIPPED_STATES = frozenset({S.SHIPPED, S.DELIVERED, S.IN_REPAIR, S.RETURNED, S.LOST})

DONOR_COLUMNS = [
    "code",
    "name",
    "channel",
    "committed_eur_bn",
    "allocated_eur_bn",
    "to_be_allocated_eur_bn",
    "to_be_allocated_pct",
    "months",
    "months_with_allocations",
    "monthly_cv",
    "first_month",
    "last_month",
]
SERIES_COLUMNS = [
    "month",
    "channel",
    "committed_eur_bn",
    "allocated_eur_bn",
    "committed_cum_eur_bn",
    "allocated_cum_eur_bn",
    "to_be_allocated_cum_eur_bn",
    "to_be_allocated_pct",
]
SIPRI_YEAR_COLUMNS = [
    "year",
    "deals",
    "tiv_order",
    "tiv_delivered",
    "delivered_tiv_pct",
    "deals_nothing_delivered",
    "uncertain_deals",
]
CLEARING_COLUMNS = [
    "donor",
    "channel",
    "offers",
    "offered",
    "pledged",
    "shipped",
    "delivered",
    "delivered_of_pledged_pct",
]
SIPRI_COLUMNS = [
    "supplier",
    "name",
    "deals",
    "tiv_order",
    "tiv_delivered",
    "delivered_tiv_pct",
    "deals_nothing_delivered",
    "uncertain_deals",
]


def channel_of(m: KielMonth) -> str:
    return "eu-institutions" if m.donor_group == EU_INSTITUTIONS else "bilateral"


def _month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _tba(m: KielMonth) -> float:
    if m.to_be_allocated is not None:
        return float(m.to_be_allocated)
    return float(m.commitments or 0) - float(m.total)


def predictability(
    months: Sequence[KielMonth],
    offers: Sequence[OfferLike] = (),
    allocations: Sequence[AllocationLike] = (),
    transfers: Sequence[SipriTransfer] = (),
    *,
    period: Period | None = None,
    release: str | None = None,
    clearing_sums: Mapping[tuple[str, str], Mapping[str, int]] | None = None,
) -> Report:
    """``clearing_sums``: the clearinghouse's sums per (donor, channel), as
    :func:`clearinghouse_sums` makes them from ``offers`` and ``allocations`` (a store
    that sums in SQL gives them instead, and the two are not read)."""
    period = period or Period()
    chosen = [m for m in months if period.has_month(m.year, m.month)]
    all_months = sorted({m.period for m in chosen})

    by_donor: dict[str, list[KielMonth]] = defaultdict(list)
    for m in chosen:
        by_donor[m.donor].append(m)
    donors: list[dict[str, Any]] = []
    for code, rows in by_donor.items():
        committed = sum(float(m.commitments or 0) for m in rows)
        allocated = sum(float(m.total) for m in rows)
        tba = sum(_tba(m) for m in rows)
        present = {m.period: float(m.total) for m in rows}
        span = [p for p in all_months if min(present) <= p]
        series = [present.get(p, 0.0) for p in span]
        mean = statistics.fmean(series) if series else 0.0
        cv = statistics.pstdev(series) / mean if len(series) > 1 and mean > 0 else None
        donors.append(
            {
                "code": code,
                "name": rows[0].donor_name,
                "channel": channel_of(rows[0]),
                "committed_eur_bn": committed,
                "allocated_eur_bn": allocated,
                "to_be_allocated_eur_bn": tba,
                "to_be_allocated_pct": pct(tba, committed),
                "months": len(span),
                "months_with_allocations": sum(1 for v in series if v),
                "monthly_cv": cv,
                "first_month": _month_label(*min(present)),
                "last_month": _month_label(*max(present)),
            }
        )
    donors.sort(key=lambda r: (-r["committed_eur_bn"], r["code"]))

    series_rows: list[dict[str, Any]] = []
    for channel in ("bilateral", "eu-institutions", "all"):
        per_month: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for m in chosen:
            if channel != "all" and channel_of(m) != channel:
                continue
            acc = per_month[m.period]
            acc[0] += float(m.commitments or 0)
            acc[1] += float(m.total)
            acc[2] += _tba(m)
        cum = [0.0, 0.0, 0.0]
        for p in all_months:
            acc = per_month.get(p, [0.0, 0.0, 0.0])
            cum = [cum[i] + acc[i] for i in range(3)]
            series_rows.append(
                {
                    "month": _month_label(*p),
                    "channel": channel,
                    "committed_eur_bn": acc[0],
                    "allocated_eur_bn": acc[1],
                    "committed_cum_eur_bn": cum[0],
                    "allocated_cum_eur_bn": cum[1],
                    "to_be_allocated_cum_eur_bn": cum[2],
                    "to_be_allocated_pct": pct(cum[2], cum[0]),
                }
            )

    clearing = _clearinghouse(
        clearinghouse_sums(offers, allocations, period) if clearing_sums is None
        else clearing_sums
    )
    sipri = _sipri(transfers, period)
    sipri_years = _sipri_by_year(transfers, period)
    totals = next((r for r in reversed(series_rows) if r["channel"] == "all"), None)
    notes = [
        "Committed, allocated and to-be-allocated aid are Kiel's, EUR billion; "
        "to_be_allocated_pct = still to be allocated / committed x 100.",
        "monthly_cv: standard deviation / mean of a donor's monthly allocations from its "
        "first month in the period on (0 = perfectly steady; higher = lumpier).",
        "clearinghouse: quantities of the clearinghouse's offers and allocations "
        "(pledged = pledged or beyond, lost included; delivered = delivered, in repair or "
        "returned).",
        "sipri: SIPRI TIV is a volume index of military capability, not money.",
    ]
    if totals and totals["to_be_allocated_pct"] is not None:
        notes.insert(
            0,
            f"Of {totals['committed_cum_eur_bn']:.1f} bn EUR committed in the period, "
            f"{totals['to_be_allocated_pct']:.1f}% is still to be allocated.",
        )
    return Report(
        name="predictability",
        title="Predictability: commitments, allocations and deliveries",
        tables={
            "donors": donors,
            "series": series_rows,
            "clearinghouse": clearing,
            "sipri": sipri,
            "sipri_by_year": sipri_years,
        },
        columns={
            "donors": DONOR_COLUMNS,
            "series": SERIES_COLUMNS,
            "clearinghouse": CLEARING_COLUMNS,
            "sipri": SIPRI_COLUMNS,
            "sipri_by_year": SIPRI_YEAR_COLUMNS,
        },
        period=period,
        sources=[
            release or KIEL_SOURCE,
            SIPRI_SOURCE,
            "allied clearinghouse (offers, allocations)",
        ],
        notes=notes,
        brief={
            "donors": [
                "code",
                "channel",
                "committed_eur_bn",
                "allocated_eur_bn",
                "to_be_allocated_eur_bn",
                "to_be_allocated_pct",
                "monthly_cv",
            ],
            "series": [
                "month",
                "channel",
                "committed_cum_eur_bn",
                "allocated_cum_eur_bn",
                "to_be_allocated_pct",
            ],
            "sipri": ["supplier", "deals", "tiv_order", "tiv_delivered", "delivered_tiv_pct"],
        },
    )


def _sipri_by_year(transfers: Sequence[SipriTransfer], period: Period) -> list[dict[str, Any]]:
    acc: dict[int, dict[str, Any]] = {}
    for t in transfers:
        if not period.has_year(t.order_year):
            continue
        a = acc.setdefault(
            t.order_year,
            {
                "year": t.order_year,
                "deals": 0,
                "tiv_order": 0.0,
                "tiv_delivered": 0.0,
                "deals_nothing_delivered": 0,
                "uncertain_deals": 0,
            },
        )
        a["deals"] += 1
        a["tiv_order"] += float(t.tiv_order or 0)
        a["tiv_delivered"] += float(t.tiv_delivered or 0)
        a["deals_nothing_delivered"] += int(not t.delivered)
        a["uncertain_deals"] += int(t.uncertain)
    rows = [acc[y] for y in sorted(acc)]
    for r in rows:
        r["delivered_tiv_pct"] = pct(r["tiv_delivered"], r["tiv_order"])
    return rows


#: the sums of the clearinghouse table, per (donor, channel)
CLEARING_SUMS = ("offers", "offered", "pledged", "shipped", "delivered")


def add_allocation_sums(into: dict[str, int], status: AllocationStatus, quantity: int) -> None:
    """Add allocations in ``status`` to the pledged / shipped / delivered sums."""
    if status in PLEDGED_STATES:
        into["pledged"] += quantity
    if status in SHIPPED_STATES:
        into["shipped"] += quantity
    if status in DELIVERED_STATES:
        into["delivered"] += quantity


def clearinghouse_sums(
    offers: Sequence[OfferLike], allocations: Sequence[AllocationLike], period: Period
) -> dict[tuple[str, str], dict[str, int]]:
    """Per (donor, channel) of the offers available in the period: the offers, their
    quantity, and the quantity of their allocations pledged, shipped and delivered."""
    by_id = {o.id: o for o in offers if period.has_day(o.available_from)}
    acc: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(CLEARING_SUMS, 0)
    )
    for o in by_id.values():
        a = acc[(o.donor, o.channel.value)]
        a["offers"] += 1
        a["offered"] += o.quantity
    for al in allocations:
        offer = by_id.get(al.offer_id)
        if offer is None:
            continue
        add_allocation_sums(acc[(offer.donor, offer.channel.value)], al.status, al.quantity)
    return dict(acc)


def _clearinghouse(
    acc: Mapping[tuple[str, str], Mapping[str, int]],
) -> list[dict[str, Any]]:
    return [
        {
            "donor": donor,
            "channel": channel,
            **a,
            "delivered_of_pledged_pct": pct(a["delivered"], a["pledged"]),
        }
        for (donor, channel), a in sorted(acc.items())
    ]


def _sipri(transfers: Sequence[SipriTransfer], period: Period) -> list[dict[str, Any]]:
    acc: dict[str, dict[str, Any]] = {}
    for t in transfers:
        if not period.has_year(t.order_year):
            continue
        a = acc.setdefault(
            t.supplier,
            {
                "supplier": t.supplier,
                "name": t.supplier_name,
                "deals": 0,
                "tiv_order": 0.0,
                "tiv_delivered": 0.0,
                "deals_nothing_delivered": 0,
                "uncertain_deals": 0,
            },
        )
        a["deals"] += 1
        a["tiv_order"] += float(t.tiv_order or 0)
        a["tiv_delivered"] += float(t.tiv_delivered or 0)
        a["deals_nothing_delivered"] += int(not t.delivered)
        a["uncertain_deals"] += int(t.uncertain)
    rows = sorted(acc.values(), key=lambda r: (-r["tiv_order"], r["supplier"]))
    for r in rows:
        r["delivered_tiv_pct"] = pct(r["tiv_delivered"], r["tiv_order"])
    return rows
