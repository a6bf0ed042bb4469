"""Deliveries: SIPRI arms transfers by supplier, family and year.

Rows group the deals of the SIPRI trade register by supplier, family and year of
order (SIPRI's own date of a deal; the register gives the years of delivery but not
the numbers delivered in each, so no split by delivery year is invented). The family
is the compatibility family derived from the calibre where the designation has one,
otherwise SIPRI's weapon description (``APC``, ``SAM``...). Uncertain numbers ("?")
are counted as SIPRI gives them, and the deals that carry one are counted too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from allied.reports.data import SIPRI_SOURCE
from allied.reports.model import Period, Report, pct
from allied.reports.records import SipriTransfer

COLUMNS = [
    "supplier",
    "name",
    "family",
    "year",
    "deals",
    "ordered",
    "delivered",
    "tiv_order",
    "tiv_delivered",
    "uncertain_deals",
    "ordered_unknown",
]
SUPPLIER_COLUMNS = [
    "supplier",
    "name",
    "deals",
    "ordered",
    "delivered",
    "tiv_order",
    "tiv_delivered",
    "delivered_tiv_pct",
    "share_of_tiv_delivered_pct",
    "uncertain_deals",
]
FAMILY_COLUMNS = ["family", "deals", "ordered", "delivered", "tiv_delivered", "uncertain_deals"]


def family_label(t: SipriTransfer) -> str:
    return t.family or t.description


def _blank(**keys: Any) -> dict[str, Any]:
    return {
        **keys,
        "deals": 0,
        "ordered": 0,
        "delivered": 0,
        "tiv_order": 0.0,
        "tiv_delivered": 0.0,
        "uncertain_deals": 0,
        "ordered_unknown": 0,
    }


def _add(acc: dict[str, Any], t: SipriTransfer) -> None:
    acc["deals"] += 1
    acc["ordered"] += t.ordered or 0
    acc["delivered"] += t.delivered or 0
    acc["tiv_order"] += float(t.tiv_order or 0)
    acc["tiv_delivered"] += float(t.tiv_delivered or 0)
    acc["uncertain_deals"] += int(t.uncertain)
    acc["ordered_unknown"] += int(t.ordered is None)


def deliveries(
    transfers: Sequence[SipriTransfer],
    *,
    period: Period | None = None,
    recipient: str | None = None,
) -> Report:
    period = period or Period()
    chosen = [
        t
        for t in transfers
        if period.has_year(t.order_year) and (recipient is None or t.recipient == recipient)
    ]
    detail: dict[tuple[str, str, int], dict[str, Any]] = {}
    suppliers: dict[str, dict[str, Any]] = {}
    families: dict[str, dict[str, Any]] = {}
    for t in chosen:
        fam = family_label(t)
        key = (t.supplier, fam, t.order_year)
        _add(
            detail.setdefault(
                key,
                _blank(supplier=t.supplier, name=t.supplier_name, family=fam, year=t.order_year),
            ),
            t,
        )
        _add(suppliers.setdefault(t.supplier, _blank(supplier=t.supplier, name=t.supplier_name)), t)
        _add(families.setdefault(fam, _blank(family=fam)), t)
    whole = sum(s["tiv_delivered"] for s in suppliers.values())
    for s in suppliers.values():
        s["delivered_tiv_pct"] = pct(s["tiv_delivered"], s["tiv_order"])
        s["share_of_tiv_delivered_pct"] = pct(s["tiv_delivered"], whole)
    recipients = sorted({t.recipient_name for t in chosen})
    return Report(
        name="deliveries",
        title="Deliveries: SIPRI arms transfers by supplier, family and year of order",
        tables={
            "deliveries": sorted(
                detail.values(), key=lambda r: (r["supplier"], r["family"], r["year"])
            ),
            "suppliers": sorted(
                suppliers.values(), key=lambda r: (-r["tiv_delivered"], r["supplier"])
            ),
            "families": sorted(families.values(), key=lambda r: (-r["tiv_delivered"], r["family"])),
        },
        columns={
            "deliveries": COLUMNS,
            "suppliers": SUPPLIER_COLUMNS,
            "families": FAMILY_COLUMNS,
        },
        brief={
            "deliveries": [
                "supplier",
                "family",
                "year",
                "deals",
                "ordered",
                "delivered",
                "tiv_delivered",
                "uncertain_deals",
            ],
            "suppliers": [
                "supplier",
                "deals",
                "ordered",
                "delivered",
                "tiv_delivered",
                "share_of_tiv_delivered_pct",
                "uncertain_deals",
            ],
        },
        period=period,
        options={"recipient": recipient, "recipients": recipients},
        sources=[SIPRI_SOURCE],
        notes=[
            "SIPRI TIV (trend-indicator value) measures the volume of military capability "
            "transferred, in millions; it is not money.",
            "year = SIPRI's year of order. Numbers SIPRI marks '?' are counted as given; "
            "uncertain_deals counts the deals with such a mark, ordered_unknown those whose "
            "number ordered SIPRI does not give.",
            "family: calibre-derived compatibility family where the designation has a "
            "calibre, otherwise SIPRI's weapon description.",
        ],
    )
