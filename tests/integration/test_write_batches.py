"""Amendments, lifecycle moves and pledges in one transaction on the database (SQLite and
PostgreSQL): ``write_many`` answers each as if made alone in turn, each in its savepoint,
with its own ledger entries; a refusal undoes only its own change and answers only its
own caller; a failure of the store undoes the batch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from allied.bootstrap import Store
from allied.domain.errors import (
    AlliedError,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
    UnknownActor,
)
from allied.service import access
from allied.service.allocations import PledgeOrder
from allied.service.assistance import add_offers, add_requests
from allied.service.caller import Caller
from allied.service.ledger import ledger_rows, verify_chain
from allied.service.parts import each_alone
from allied.service.ports import UnitOfWork
from callers import CALLER
from units import service_uow

DAY = dt.date(2024, 6, 1)
COORD = Caller("coord-user", "", "coordinator")
EST = Caller("est-user", "EST", "donor")
GBR = Caller("gbr-user", "GBR", "donor")


def _records(store: Store) -> list[str]:
    """Two offers (EST's, GBR's), a request, and three pledges of EST's offer (their ids)."""
    add_offers(store.uow(), CALLER, [(None, "t", {
        "id": oid, "donor": donor, "family": "other", "quantity": 10,
        "available_from": "2024-01-01", "releasability": "public"})
        for oid, donor in (("W-EST", "EST"), ("W-GBR", "GBR"))])
    add_requests(store.uow(), CALLER, [(None, "t", {
        "id": "W-REQ", "recipient": "UKR", "family": "other", "quantity": 100,
        "priority": 3, "needed_by": "2024-12-31", "releasability": "public"})])
    made = access.pledge_many(
        service_uow(store), [PledgeOrder(COORD, "W-EST", "W-REQ", 1) for _ in range(3)]
    )
    return [m["id"] for m in made if isinstance(m, dict)]


def _offer(store: Store, oid: str) -> dict[str, Any]:
    return access.get_offer(store.uow(), COORD, DAY, oid)


def _kinds_after(store: Store, seq: int) -> list[str]:
    return [r["kind"] for r in ledger_rows(store.uow()) if r["seq"] > seq]


def _last_seq(store: Store) -> int:
    return max(int(r["seq"]) for r in ledger_rows(store.uow()))


def _amend(caller: Caller, oid: str, **changes: Any) -> access.AmendOrder:
    return access.AmendOrder(caller, DAY, "offer", oid, changes, memberships=None)


def _move(caller: Caller, aid: str, to: str) -> access.MoveOrder:
    return access.MoveOrder(caller, DAY, aid, to, memberships=None)


def test_a_mixed_batch_answers_each_as_if_alone(store: Store) -> None:
    a0, a1, a2 = _records(store)
    seq = _last_seq(store)
    orders: list[access.WriteOrder] = [
        _amend(EST, "W-EST", caveats="first"),  # 0: made
        # 1: refused after the record was changed in memory (an unknown nation)
        _amend(EST, "W-EST", caveats="not kept", releasability="nations:XXX"),
        _amend(EST, "W-EST", quantity=2),  # 2: below the 3 allocated
        _move(COORD, a0, "approved"),  # 3: made
        _move(COORD, a1, "shipped"),  # 4: skips a step
        _move(COORD, "AL-NONE", "approved"),  # 5: no such allocation
        _amend(GBR, "W-EST", caveats="GBR's"),  # 6: not GBR's offer
        PledgeOrder(COORD, "W-EST", "W-REQ", 4),  # 7: made (3 + 4 of 10)
        PledgeOrder(COORD, "W-EST", "W-REQ", 4),  # 8: 3 left
        _move(COORD, a0, "shipped"),  # 9: made (after 3)
        access.AmendOrder(COORD, DAY, "request", "W-REQ", {"priority": 1}),  # 10: made
        _amend(EST, "W-EST", quantity=7),  # 11: made: exactly what is allocated
        _move(EST, a2, "approved"),  # 12: a donor may not approve
    ]
    out = access.write_many(service_uow(store), orders)
    assert len(out) == len(orders)

    def err(i: int, kind: type[AlliedError], text: str) -> None:
        assert type(out[i]) is kind and text in str(out[i]), (i, out[i])

    err(1, UnknownActor, "field 'releasability': unknown actor code 'XXX'")
    err(2, RuleViolation, "offer W-EST: quantity 2 is below the 3 already allocated")
    err(4, IllegalTransition, "illegal transition from 'pledged' to 'shipped'")
    err(5, NotFound, "no allocation 'AL-NONE'")
    err(6, PermissionDenied, "a donor of GBR may not act for EST")
    err(8, InvalidInput, "offer W-EST has 3 left, not 4")
    err(12, PermissionDenied, "may not move an allocation to 'approved'")
    made = {i: o for i, o in enumerate(out) if isinstance(o, dict)}
    assert sorted(made) == [0, 3, 7, 9, 10, 11]
    assert made[0]["caveats"] == "first" and made[0]["committed"] == 3
    assert made[3]["status"] == "approved" and made[9]["status"] == "shipped"
    assert made[7]["quantity"] == 4 and made[7]["status"] == "pledged"
    assert made[10]["priority"] == 1
    assert made[11]["quantity"] == 7 and made[11]["caveats"] == "first"
    # one entry per change made, in order; the refusals left none
    assert _kinds_after(store, seq) == [
        "offer.amended", "allocation.approved", "allocation.pledged",
        "allocation.shipped", "request.amended", "offer.amended",
    ]
    assert verify_chain(store.uow()) > 0
    offer = _offer(store, "W-EST")
    # the refused amendment 1 changed the record in memory: undone with its savepoint
    assert offer["caveats"] == "first" and offer["releasability"] == "public"
    assert offer["quantity"] == 7 and offer["committed"] == 7


def test_the_batch_equals_each_made_alone_in_turn(store: Store) -> None:
    """The same orders made one per transaction (the routes' way before) answer the same."""
    a0, a1, _ = _records(store)
    orders: list[access.WriteOrder] = [
        _amend(EST, "W-EST", caveats="x"),
        _amend(EST, "W-EST", quantity=1),
        _move(COORD, a0, "approved"),
        _move(COORD, a0, "approved"),
        _move(COORD, a1, "delivered"),
    ]
    together = access.write_many(service_uow(store), orders[:2] + orders[2:3])
    alone = [access.write_many(service_uow(store), [o]) for o in orders[3:]]
    answers = [*together, *(a for (a,) in alone)]
    kinds = [type(a).__name__ if isinstance(a, AlliedError) else "made" for a in answers]
    assert kinds == ["made", "RuleViolation", "made", "IllegalTransition",
                     "IllegalTransition"]
    # the second approval is refused exactly as alone: the first one stands
    assert "approved" in str(answers[3])


def test_a_refusal_after_its_ledger_entry_leaves_the_chain_whole(store: Store) -> None:
    """A change refused after it appended its entry: the savepoint undoes the entry and
    the head the ledger knew, so the next change's entry follows the last kept one."""
    _records(store)
    seq = _last_seq(store)

    def note(text: str, refuse: bool) -> Any:
        def work(uow: UnitOfWork) -> str:
            with uow:
                uow.ledger.append(user="t", nation="", kind="offer.amended",
                                  payload={"id": "W-EST", "before": {}, "after": {"caveats": text}})
                if refuse:
                    raise RuleViolation(f"refused {text}")
                uow.commit()
            return text
        return work

    uow = service_uow(store)
    out = each_alone(uow, [note("a", False), note("b", True), note("c", False)])
    assert out[0] == "a" and out[2] == "c"
    assert isinstance(out[1], RuleViolation) and str(out[1]) == "refused b"
    notes = [r["payload"]["after"]["caveats"] for r in ledger_rows(store.uow())
             if r["seq"] > seq]
    assert notes == ["a", "c"]
    assert verify_chain(store.uow()) == seq + 2


def test_a_failure_of_the_store_undoes_the_whole_batch(store: Store) -> None:
    a0, _, _ = _records(store)
    seq = _last_seq(store)

    def broken(uow: UnitOfWork) -> None:
        raise RuntimeError("the connection dropped")

    def move(uow: UnitOfWork) -> dict[str, Any]:
        return access.advance_allocation(uow, COORD, DAY, a0, "approved")

    with pytest.raises(RuntimeError):
        each_alone(service_uow(store), [move, broken])
    assert _last_seq(store) == seq
    assert access.get_allocation(store.uow(), COORD, DAY, a0)["status"] == "pledged"
    assert each_alone(service_uow(store), []) == []
