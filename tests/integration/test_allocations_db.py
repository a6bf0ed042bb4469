"""Pledges and optimiser runs on stored data, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from allied.bootstrap import Store
from allied.domain.errors import InvalidInput, NotFound, RuleViolation
from allied.service.allocations import build_problem, pledge, run_allocation
from allied.service.governance import list_allocations
from allied.service.ledger import export_ledger, verify_ledger
from conftest import CALLER


def test_run_records_proposed_allocations(store: Store) -> None:
    out = run_allocation(store.uow(), CALLER, as_of=dt.date(2023, 6, 1))
    assert out["status"] == "optimal"
    assert len(out["allocation_ids"]) == len(out["allocations"]) > 0
    unfilled = {u["request"]: u["reasons"] for u in out["unfilled"]}
    assert unfilled["R-2022-122T"] == ["consent-denied:DEU"]  # Germany refused Estonia
    stored = list_allocations(store.uow())
    assert {a["status"] for a in stored} == {"proposed"}
    assert sum(a["quantity"] for a in stored) == sum(a["quantity"] for a in out["allocations"])
    last = list(export_ledger(store.uow()))[-1]
    assert last["kind"] == "allocation.run" and last["payload"]["allocations"] == (
        out["allocation_ids"])
    verify_ledger(store.uow())
    # a second run sees the capacity already used and proposes nothing more for it
    uow = store.uow()
    with uow:
        again = build_problem(uow, dt.date(2023, 6, 1))
    assert all(o.id != "O-USA-155" for o in again.offers)


def test_pledge_respects_capacity(store: Store) -> None:
    made = pledge(store.uow(), CALLER, offer_id="O-USA-GMLRS", request_id="R-2023-GMLRS",
                  quantity=3000)
    assert made["status"] == "pledged"
    with pytest.raises(InvalidInput, match="has 1000 left") as info:
        pledge(store.uow(), CALLER, offer_id="O-USA-GMLRS", request_id="R-2023-GMLRS",
               quantity=1001)
    assert info.value.field == "quantity"
    with pytest.raises(RuleViolation, match="does not fit"):
        pledge(store.uow(), CALLER, offer_id="O-USA-GMLRS", request_id="R-2023-155",
               quantity=1)
    with pytest.raises(NotFound):
        pledge(store.uow(), CALLER, offer_id="nope", request_id="R-2023-155", quantity=1)
    with pytest.raises(RuleViolation, match="forbids lethal"):
        from allied.service.assistance import add_offers

        add_offers(store.uow(), CALLER, [(None, "x", {
            "id": "O-CAP-L", "donor": "NATO", "family": "155mm-nato", "quantity": "5",
            "available_from": "2023-01-01", "channel": "nato-cap"})])
        pledge(store.uow(), CALLER, offer_id="O-CAP-L", request_id="R-2023-155", quantity=1)
