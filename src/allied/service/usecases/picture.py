"""The coordination cell's picture: gaps per capability family, each in the family's own
unit (never summed across families), and in EUR where the requests' item types carry a
money valuation (SIPRI trend-indicator values are not money and do not count).

Summed by the store where it can (:class:`FamilyPicture`: per family, the quantities
proposed, pledged (held past proposed) with its EUR value, and delivered, from what the
database keeps per request where the viewer sees every allocation of the request, and
from the allocations only for the others' requests a nation sees), else from the
repositories through the visibility policy, with the same result. Only open requests
the caller sees count, and against them only the allocations the caller sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from allied.domain.assistance import (
    COMMITTING,
    DELIVERED_STATES,
    AllocationStatus,
    RecordStatus,
)
from allied.domain.catalogue import ValuationBasis
from allied.domain.users import Action, require
from allied.domain.visibility import Grant, Viewer, grant_of
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork
from allied.service.usecases.allocations import asked_offers
from allied.service.usecases.common import viewer


@runtime_checkable
class FamilyPicture(Protocol):
    def family_picture(self, grant: Grant) -> list[dict[str, Any]]: ...


def family_gaps(uow: UnitOfWork, caller: Caller, day: dt.date) -> list[dict[str, Any]]:
    """Per family (most outstanding first): ``family``, ``requests``, ``requested``,
    ``proposed``, ``pledged`` (past proposed, still held), ``delivered``, ``outstanding``;
    and in EUR ``requested_eur``, ``pledged_eur``, ``outstanding_eur`` with ``valued``
    (the quantity requested whose item type has a money valuation; 0: no EUR figure)."""
    require(caller.role, Action.READ)
    with uow:
        v = viewer(uow, caller, day)
        if isinstance(uow, FamilyPicture):
            raw = uow.family_picture(grant_of(v))
        else:
            raw = _picture_slow(uow, v)
    rows = [_gap(r) for r in raw]
    return sorted(rows, key=lambda g: (-g["outstanding"], g["family"]))


def _gap(raw: Mapping[str, Any]) -> dict[str, Any]:
    pledged, pledged_eur = int(raw["pledged"]), float(raw["pledged_eur"])
    requested = int(raw["requested"])
    return {
        "family": raw["family"],
        "requests": int(raw["requests"]),
        "requested": requested,
        "proposed": int(raw["proposed"]),
        "pledged": pledged,
        "delivered": int(raw["delivered"]),
        "outstanding": max(requested - pledged, 0),
        "valued": int(raw["valued"]),
        "requested_eur": round(raw["requested_eur"], 2),
        "pledged_eur": round(pledged_eur, 2),
        "outstanding_eur": round(max(raw["requested_eur"] - pledged_eur, 0.0), 2),
    }


def _picture_slow(uow: UnitOfWork, v: Viewer) -> list[dict[str, Any]]:
    values = {
        t.code: float(t.unit_value)
        for t in uow.item_types.list()
        if t.unit_value is not None and t.valuation_basis is not ValuationBasis.SIPRI_TIV
    }
    requests = {
        r.id: r for r in uow.requests.list(status=RecordStatus.OPEN) if v.sees_record(r)
    }
    out: dict[str, dict[str, Any]] = {}
    for r in requests.values():
        g = out.setdefault(r.family, {"family": r.family, "requests": 0, "requested": 0,
                                      "requested_eur": 0.0, "valued": 0, "proposed": 0,
                                      "pledged": 0, "pledged_eur": 0.0, "delivered": 0})
        g["requests"] += 1
        g["requested"] += r.quantity
        if r.item_type in values:
            g["requested_eur"] += r.quantity * values[r.item_type]
            g["valued"] += r.quantity
    offers = {o.id: o for o in uow.offers.list()}
    asked = asked_offers(uow, v.nation) if not v.all else set()
    for a in uow.allocations.list():
        against = requests.get(a.request_id)
        if against is None:
            continue
        o = offers[a.offer_id]
        if not v.sees_allocation(o, against, o.id in asked):
            continue
        g = out[against.family]
        if a.status is AllocationStatus.PROPOSED:
            g["proposed"] += a.quantity
        elif a.status in COMMITTING:  # held past proposed
            g["pledged"] += a.quantity
            g["pledged_eur"] += a.quantity * values.get(against.item_type or "", 0)
        if a.status in DELIVERED_STATES:
            g["delivered"] += a.quantity
    return [out[k] for k in sorted(out)]
