"""Holdings on the database (SQLite and PostgreSQL): the one-statement snapshot and ledger
tail of the service unit of work agree with the generic reads through the repositories,
and holdings moved along pledges equal holdings read whole, until an entry other than a
pledge (here a withdrawal) makes the reader read them again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from allied.bootstrap import Store
from allied.domain.assistance import COMMITTING
from allied.service import access
from allied.service.assistance import add_offers, add_requests
from allied.service.caller import Caller
from allied.service.governance import move_allocation
from allied.service.holdings import (
    PLEDGED,
    HeldSnapshot,
    Holdings,
    HoldingsQuery,
    caught_up,
    read_snapshot,
    read_tail,
)
from callers import CALLER
from units import pledged_entry, service_uow

DAY = dt.date(2024, 6, 1)
EST = Caller("est-user", "EST", "donor")


def _records(store: Store) -> None:
    def offer(oid: str, qty: int) -> dict[str, Any]:
        return {"id": oid, "donor": "EST", "family": "other", "quantity": qty,
                "available_from": "2024-01-01", "releasability": "public"}

    def request(rid: str) -> dict[str, Any]:
        return {"id": rid, "recipient": "UKR", "family": "other", "quantity": 100,
                "priority": 3, "needed_by": "2024-12-31", "releasability": "public"}

    add_offers(store.uow(), CALLER, [(None, "t", offer(o, 10)) for o in ("H-O1", "H-O2")])
    add_requests(store.uow(), CALLER, [(None, "t", request(r)) for r in ("H-R1", "H-R2")])


def _pledge(store: Store, offer: str, request: str, qty: int) -> dict[str, Any]:
    uow = service_uow(store)
    return access.pledge(uow, EST, DAY, offer_id=offer, request_id=request, quantity=qty)


def _both(store: Store) -> tuple[HeldSnapshot, HeldSnapshot]:
    """The snapshot in one statement, and the one the repositories give."""
    sql = service_uow(store)
    plain = store.uow()
    assert isinstance(sql, HoldingsQuery) and not isinstance(plain, HoldingsQuery)
    with sql:
        one = read_snapshot(sql)
    with plain:
        generic = read_snapshot(plain)
    return one, generic


def _same(a: HeldSnapshot, b: HeldSnapshot) -> None:
    assert a.seq == b.seq
    assert sorted(a.pairs) == sorted(b.pairs)


def test_the_snapshot_and_the_tail_agree_with_the_repositories(store: Store) -> None:
    one, generic = _both(store)
    _same(one, generic)  # the reference data, with whatever it holds already
    _records(store)
    start = Holdings.from_snapshot(_both(store)[0])
    first = _pledge(store, "H-O1", "H-R1", 3)
    _pledge(store, "H-O1", "H-R2", 2)
    _pledge(store, "H-O2", "H-R1", 4)
    one, generic = _both(store)
    _same(one, generic)
    assert one.seq == start.seq + 3
    # the records version beside the head: pledges leave it (the repositories' read does
    # not know it, and takes the position for it)
    assert one.records == start.records == start.seq < one.seq
    assert generic.records is None and Holdings.from_snapshot(generic).records == one.seq
    held = {(o, r): q for o, r, q in one.pairs if o.startswith("H-")}
    assert held == {("H-O1", "H-R1"): 3, ("H-O1", "H-R2"): 2, ("H-O2", "H-R1"): 4}

    # the tail: the same entries both ways, in order, payloads as written
    sql, plain = service_uow(store), store.uow()
    with sql:
        tail = read_tail(sql, start.seq, 10)
        assert read_tail(sql, start.seq, 2) == tail[:2]
    with plain:
        assert read_tail(plain, start.seq, 10) == tail
    assert [e.seq for e in tail] == [start.seq + 1, start.seq + 2, start.seq + 3]
    assert {e.kind for e in tail} == {PLEDGED}
    assert tail[0].payload == pledged_entry(first)

    # moved along the tail, the holdings are those read whole
    assert caught_up(start, tail, 10)
    whole = Holdings.from_snapshot(one)
    ids = ["H-O1", "H-O2"]
    assert start.seq == whole.seq
    assert start.by_offer(ids) == whole.by_offer(ids) == {"H-O1": 5, "H-O2": 4}
    assert start.by_request(["H-R1", "H-R2"]) == whole.by_request(["H-R1", "H-R2"])
    assert whole.by_request(["H-R1", "H-R2"]) == {"H-R1": 7, "H-R2": 2}

    # a withdrawal frees what the pledge held: not a pledge, so the sums are read again
    gone = move_allocation(service_uow(store), EST, first["id"], "withdrawn", today=DAY)
    assert gone["status"] == "withdrawn" and "withdrawn" not in COMMITTING
    with service_uow(store) as sql:
        later = read_tail(sql, start.seq, 10)
    assert [e.kind for e in later] == ["allocation.withdrawn"]
    assert not caught_up(start, later, 10) and start.seq == whole.seq
    one, generic = _both(store)
    _same(one, generic)
    again = Holdings.from_snapshot(one)
    # a withdrawal is an allocation's change only: it moves the head, not the records
    assert (again.seq, again.records) == (start.seq + 1, start.records)
    assert again.by_offer(ids) == {"H-O1": 2, "H-O2": 4}
    assert again.by_request(["H-R1", "H-R2"]) == {"H-R1": 4, "H-R2": 2}


def test_an_empty_ledger_is_at_zero(empty_store: Store) -> None:
    one, generic = _both(empty_store)
    assert (one.seq, one.pairs, generic.seq, generic.pairs) == (0, [], 0, [])
    with service_uow(empty_store) as sql:
        assert read_tail(sql, 0, 10) == []
