"""Pledges in one transaction on the database (SQLite and PostgreSQL): the bulk reads and
locks, the block of ids, the one insert of ledger entries, and the data version that
pledges leave alone."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm.attributes import set_committed_value

from allied.adapters.db.loop_units import EventLoopUnits
from allied.adapters.db.repository import SqlRepository, SqlUnitOfWork
from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.adapters.db.tables import RECORDS_UNCHANGED, ledger_head
from allied.bootstrap import Store
from allied.domain.assistance import Allocation, AllocationStatus, Offer, Request
from allied.domain.errors import AlliedError, InvalidInput, NotFound, PermissionDenied
from allied.ledger.chain import EntryDraft
from allied.service import access
from allied.service.allocations import PledgeOrder, PledgeOutcome, sum_committed
from allied.service.assistance import add_offers, add_requests
from allied.service.caller import Caller
from allied.service.ids import IdCounter, free_id_block
from allied.service.ledger import ledger_rows, verify_chain
from callers import CALLER
from units import pledged_entry, service_uow

DAY = dt.date(2024, 6, 1)
COORD = Caller("coord-user", "", "coordinator")
EST = Caller("est-user", "EST", "donor")


def _offer(oid: str, donor: str, qty: int, releasability: str) -> dict[str, Any]:
    return {"id": oid, "donor": donor, "family": "other", "quantity": qty,
            "available_from": "2024-01-01", "releasability": releasability}


def _request(rid: str, qty: int, releasability: str) -> dict[str, Any]:
    return {"id": rid, "recipient": "UKR", "family": "other", "quantity": qty, "priority": 3,
            "needed_by": "2024-12-31", "releasability": releasability}


def _records(store: Store) -> None:
    add_offers(store.uow(), CALLER, [(None, "t", row) for row in (
        _offer("B-EST-PUB", "EST", 5, "public"),
        _offer("B-EST-OWN", "EST", 9, "owner"),
        _offer("B-GBR-HID", "GBR", 9, "owner"),
        _offer("B-GBR-PUB", "GBR", 9, "public"),
    )])
    add_requests(store.uow(), CALLER, [(None, "t", row) for row in (
        _request("B-REQ-PUB", 100, "public"),
        _request("B-REQ-HID", 100, "owner"),
        _request("B-REQ-SMALL", 3, "nations:EST"),
    )])


def _head(store: Store) -> tuple[int, int]:
    """(seq, records_seq) of the ledger head."""
    with store.engine.connect() as conn:
        row = conn.execute(select(ledger_head.c.seq, ledger_head.c.records_seq)).one()
    return int(row.seq), int(row.records_seq)


def _allocations_stored(store: Store) -> int:
    uow = store.uow()
    with uow:
        return uow.allocations.count()


def _orders(uow: SqlServiceUnitOfWork) -> list[PledgeOrder]:
    def est(offer: str, request: str, qty: int) -> PledgeOrder:
        return access.pledge_order(EST, DAY, offer_id=offer, request_id=request,
                                   quantity=qty, uow=uow)

    return [
        est("B-EST-PUB", "B-REQ-PUB", 3),  # 0: accepted
        est("B-GBR-HID", "B-REQ-PUB", 1),  # 1: hidden offer -> as missing
        est("B-NONE", "B-REQ-PUB", 1),  # 2: missing offer
        est("B-GBR-PUB", "B-REQ-PUB", 1),  # 3: seen, not EST's -> PermissionDenied
        est("B-EST-PUB", "B-REQ-HID", 1),  # 4: hidden request -> as missing
        est("B-EST-PUB", "B-REQ-NONE", 1),  # 5: missing request
        est("B-EST-PUB", "B-REQ-PUB", 3),  # 6: 2 left after order 0
        est("B-EST-PUB", "B-REQ-PUB", 2),  # 7: accepted: exactly what is left
        est("B-EST-OWN", "B-REQ-SMALL", 4),  # 8: the request needs 3 (a donor is not told)
        est("B-EST-OWN", "B-REQ-SMALL", 3),  # 9: accepted
        est("B-EST-OWN", "B-REQ-PUB", 0),  # 10: bad quantity
        # 11: the coordinator sees every record and may pledge any offer
        access.pledge_order(COORD, DAY, offer_id="B-GBR-HID", request_id="B-REQ-HID",
                            quantity=9, memberships=()),
    ]


def _check_outcomes(out: list[PledgeOutcome]) -> list[dict[str, Any]]:
    def err(i: int, kind: type[AlliedError], text: str) -> None:
        assert type(out[i]) is kind and str(out[i]) == text, (i, out[i])

    err(1, NotFound, "no offer 'B-GBR-HID'")
    err(2, NotFound, "no offer 'B-NONE'")
    err(3, PermissionDenied, "a donor of EST may not act for GBR (pledge)")
    err(4, NotFound, "no request 'B-REQ-HID'")
    err(5, NotFound, "no request 'B-REQ-NONE'")
    err(6, InvalidInput, "field 'quantity': offer B-EST-PUB has 2 left, not 3")
    err(8, InvalidInput, "field 'quantity': request B-REQ-SMALL does not need 4 more")
    err(10, InvalidInput, "field 'quantity': must be a positive integer, got 0")
    views = [o for o in out if isinstance(o, dict)]
    assert [i for i, o in enumerate(out) if isinstance(o, dict)] == [0, 7, 9, 11]
    assert [(v["offer"], v["request"], v["quantity"], v["status"]) for v in views] == [
        ("B-EST-PUB", "B-REQ-PUB", 3, "pledged"),
        ("B-EST-PUB", "B-REQ-PUB", 2, "pledged"),
        ("B-EST-OWN", "B-REQ-SMALL", 3, "pledged"),
        ("B-GBR-HID", "B-REQ-HID", 9, "pledged"),
    ]
    return views


def test_a_mixed_batch_on_the_database(store: Store) -> None:
    _records(store)
    stored = _allocations_stored(store)
    seq, records_seq = _head(store)
    assert records_seq == seq  # the last change made records
    entries_before = len(list(ledger_rows(store.uow())))

    uow = service_uow(store)
    views = _check_outcomes(access.pledge_many(uow, _orders(uow)))

    # ids: one block, random (not a count of every nation's pledges), distinct
    assert all(re.fullmatch(r"AL-[0-9A-F]{10}", v["id"]) for v in views)
    assert len({v["id"] for v in views}) == 4
    assert _allocations_stored(store) == stored + 4
    # the ledger: one entry per accepted pledge, in order, payload = view; still intact
    entries = list(ledger_rows(store.uow()))
    assert len(entries) == entries_before + 4
    assert [e["payload"] for e in entries[-4:]] == [pledged_entry(v) for v in views]
    assert {e["kind"] for e in entries[-4:]} == {"allocation.pledged"}
    assert [(e["user"], e["nation"]) for e in entries[-4:]] == [("est-user", "EST")] * 3 + [
        ("coord-user", "")]
    assert verify_chain(store.uow()) == len(entries)
    # pledges move the head but not the records version (read caches of records stay)
    assert "allocation.pledged" in RECORDS_UNCHANGED
    assert _head(store) == (seq + 4, records_seq)
    # stored as answered, and counted by the store's sums
    check = service_uow(store)
    with check:
        for v in views:
            a = check.allocations.get(v["id"])
            assert a is not None and a.status is AllocationStatus.PLEDGED
            assert (a.offer_id, a.request_id, a.quantity) == (v["offer"], v["request"],
                                                              v["quantity"])
        ids = ["B-EST-PUB", "B-EST-OWN", "B-GBR-HID", "B-GBR-PUB"]
        by_offer, by_request = check.committed_both(ids, ["B-REQ-PUB", "B-REQ-SMALL"])
        assert by_offer == {"B-EST-PUB": 5, "B-EST-OWN": 3, "B-GBR-HID": 9}
        assert by_request == {"B-REQ-PUB": 5, "B-REQ-SMALL": 3}
        assert sum_committed(check, "offer", ids) == by_offer
    # the fallback sums (a unit of work without the read model) agree
    plain = store.uow()
    with plain:
        assert sum_committed(plain, "offer", ids) == by_offer


def test_a_batch_on_the_event_loop_answers_the_same(store: Store) -> None:
    """On PostgreSQL the API makes its batches on the event loop (``EventLoopUnits``):
    the same batch gives the same answers, ledger and data version there."""
    units = EventLoopUnits(store.engine)
    if not units.available:
        pytest.skip("PostgreSQL only: SQLite batches run in a worker thread")
    _records(store)
    seq, records_seq = _head(store)
    memberships = access.memberships_of(store.uow(), EST)
    orders = [
        access.pledge_order(EST, DAY, offer_id=o.offer_id, request_id=o.request_id,
                            quantity=o.quantity, memberships=memberships)
        if o.caller == EST else o
        for o in _orders(service_uow(store))
    ]

    async def main() -> list[PledgeOutcome]:
        return await units.run(lambda uow: access.pledge_many(uow, orders))

    try:
        views = _check_outcomes(asyncio.run(main()))
    finally:
        units.close()
    entries = list(ledger_rows(store.uow()))
    assert [e["payload"] for e in entries[-4:]] == [pledged_entry(v) for v in views]
    assert verify_chain(store.uow()) == len(entries)
    assert _head(store) == (seq + 4, records_seq)


def test_a_later_batch_counts_what_is_stored(store: Store) -> None:
    """Allocations stored before (any status that holds quantity) count; rejected and
    withdrawn ones do not; pledges of another request count against the offer."""
    _records(store)
    uow = store.uow()
    with uow:
        uow.allocations.add(Allocation("AL-X-1", "B-EST-PUB", "B-REQ-HID", 1,
                                       status=AllocationStatus.SHIPPED))
        uow.allocations.add(Allocation("AL-X-2", "B-EST-PUB", "B-REQ-PUB", 4,
                                       status=AllocationStatus.REJECTED))
        uow.allocations.add(Allocation("AL-X-3", "B-EST-OWN", "B-REQ-SMALL", 2,
                                       status=AllocationStatus.WITHDRAWN))
        uow.allocations.add(Allocation("AL-X-4", "B-GBR-PUB", "B-REQ-SMALL", 1,
                                       status=AllocationStatus.PROPOSED))
        uow.commit()
    u = service_uow(store)
    orders = [
        PledgeOrder(COORD, "B-EST-PUB", "B-REQ-PUB", 5),  # 4 left (1 shipped)
        PledgeOrder(COORD, "B-EST-PUB", "B-REQ-PUB", 4),
        PledgeOrder(COORD, "B-EST-OWN", "B-REQ-SMALL", 3),  # 2 needed (1 proposed)
        PledgeOrder(COORD, "B-EST-OWN", "B-REQ-SMALL", 2),
    ]
    out = access.pledge_many(u, orders)
    assert [str(o) if isinstance(o, AlliedError) else o["quantity"] for o in out] == [
        "field 'quantity': offer B-EST-PUB has 4 left, not 5",
        4,
        "field 'quantity': request B-REQ-SMALL needs 2 more, not 3",
        2,
    ]
    assert verify_chain(store.uow()) > 0


def test_a_batch_that_accepts_nothing_writes_nothing(store: Store) -> None:
    _records(store)
    before = (_allocations_stored(store), _head(store), len(list(ledger_rows(store.uow()))))
    uow = service_uow(store)
    orders = [o for i, o in enumerate(_orders(uow)) if i in (1, 2, 3, 4, 5, 8, 10)]
    out = access.pledge_many(uow, orders)
    assert all(isinstance(o, AlliedError) for o in out)
    assert (_allocations_stored(store), _head(store),
            len(list(ledger_rows(store.uow())))) == before
    assert access.pledge_many(service_uow(store), []) == []


def test_the_memberships_given_answer_as_those_read(store: Store) -> None:
    """An order built with the caller's memberships (as the API passes them, cached)
    answers as one that reads them in the pledge's transaction."""
    _records(store)
    memberships = access.memberships_of(store.uow(), EST)
    uow = service_uow(store)
    given = [
        access.pledge_order(EST, DAY, offer_id=o.offer_id, request_id=o.request_id,
                            quantity=o.quantity, memberships=memberships)
        if o.caller == EST else o
        for o in _orders(uow)
    ]
    _check_outcomes(access.pledge_many(uow, given))
    with pytest.raises(ValueError, match="memberships or a unit of work"):
        access.pledge_order(EST, DAY, offer_id="x", request_id="y", quantity=1)


def test_batches_whose_offers_or_requests_are_all_missing(store: Store) -> None:
    """What is locked and summed may be empty on one side (every live order names a
    missing offer, or a missing request): those orders are refused, nothing is written."""
    _records(store)
    before = _head(store)
    for orders, text in (
        ([PledgeOrder(COORD, "B-NONE", "B-REQ-PUB", 1),
          PledgeOrder(COORD, "B-NONE-2", "B-REQ-SMALL", 1)], "no offer"),
        ([PledgeOrder(COORD, "B-EST-PUB", "B-REQ-NONE", 1),
          PledgeOrder(COORD, "B-GBR-PUB", "B-REQ-NONE", 1)], "no request"),
        ([PledgeOrder(COORD, "B-NONE", "B-REQ-NONE", 1)], "no offer"),
    ):
        out = access.pledge_many(service_uow(store), orders)
        assert all(type(o) is NotFound and str(o).startswith(text) for o in out), out
    assert _head(store) == before
    # and a missing one beside a found one does not disturb it
    out = access.pledge_many(service_uow(store), [
        PledgeOrder(COORD, "B-NONE", "B-REQ-NONE", 1),
        PledgeOrder(COORD, "B-EST-PUB", "B-REQ-PUB", 5),
    ])
    assert type(out[0]) is NotFound and isinstance(out[1], dict)


def test_statements_do_not_grow_with_the_batch(store: Store) -> None:
    """A batch reads, locks, sums, numbers and appends in the same number of statements
    whatever its size."""
    _records(store)
    add_offers(store.uow(), CALLER, [(None, "t", _offer(f"B-MANY-{i:02d}", "EST", 9, "public"))
                                     for i in range(30)])
    add_requests(store.uow(), CALLER, [(None, "t", _request(f"B-MANYR-{i:02d}", 9, "public"))
                                       for i in range(30)])

    @contextmanager
    def counting() -> Iterator[list[str]]:
        seen: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seen.append(statement.split()[0].upper())

        event.listen(store.engine, "before_cursor_execute", count)
        try:
            yield seen
        finally:
            event.remove(store.engine, "before_cursor_execute", count)

    def batch(n: int, start: int) -> list[str]:
        orders = [PledgeOrder(COORD, f"B-MANY-{i:02d}", f"B-MANYR-{i:02d}", 1)
                  for i in range(start, start + n)]
        with counting() as seen:
            out = access.pledge_many(service_uow(store), orders)
        assert all(isinstance(o, dict) for o in out), out
        return seen

    small, large = batch(2, 0), batch(25, 2)
    assert len(small) == len(large), (small, large)
    assert verify_chain(store.uow()) > 0


def test_get_many_and_lock_many_return_only_found_keys(store: Store) -> None:
    _records(store)
    uow = store.uow()
    with uow:
        offers = uow.offers
        assert isinstance(offers, SqlRepository)
        keys = ["B-GBR-PUB", "B-NONE", "B-EST-PUB", "B-EST-PUB"]
        found = offers.get_many(keys)
        assert sorted(found) == ["B-EST-PUB", "B-GBR-PUB"]
        assert all(isinstance(o, Offer) and o.id == k for k, o in found.items())
        locked = offers.lock_many(set(keys))
        assert sorted(locked) == ["B-EST-PUB", "B-GBR-PUB"]
        assert locked["B-EST-PUB"].quantity == 5
        assert offers.get_many([]) == {} and offers.lock_many(()) == {}
        assert offers.get_many(["B-NONE"]) == {}
        requests = uow.requests
        assert isinstance(requests, SqlRepository)
        got = requests.get_many(("B-REQ-SMALL", "B-REQ-NONE"))
        assert list(got) == ["B-REQ-SMALL"] and isinstance(got["B-REQ-SMALL"], Request)


def test_lock_many_reads_the_stored_row_again(store: Store) -> None:
    """A record already in the session is read again when locked: what a batch checks
    capacity against is what is stored, not what an earlier plain read left in memory."""
    _records(store)
    uow = store.uow()
    with uow:
        offers = uow.offers
        assert isinstance(offers, SqlRepository)
        before = offers.get_many(["B-EST-PUB"])["B-EST-PUB"]
        set_committed_value(before, "quantity", 99)  # stale in memory, not a change
        assert offers.get_many(["B-EST-PUB"])["B-EST-PUB"].quantity == 99
        assert offers.lock_many(["B-EST-PUB"])["B-EST-PUB"].quantity == 5


def test_next_numbers_hands_out_blocks_once(empty_store: Store) -> None:
    uow = empty_store.uow()
    assert isinstance(uow, SqlUnitOfWork) and isinstance(uow, IdCounter)
    with uow:
        assert uow.next_numbers("ZZ", 3) == range(1, 4)  # a prefix without a row starts one
        assert uow.next_numbers("ZZ", 2) == range(4, 6)
        assert uow.next_number("ZZ") == 6
        assert uow.next_numbers("YY", 1) == range(1, 2)
        with pytest.raises(ValueError, match="positive"):
            uow.next_numbers("ZZ", 0)
        uow.commit()
    with uow:
        assert uow.next_numbers("ZZ", 4) == range(7, 11)
        # rolled back: the block is handed out again
    with uow:
        assert uow.next_numbers("ZZ", 5) == range(7, 12)
        uow.commit()
    with uow:
        assert uow.next_number("ZZ") == 12
        assert uow.next_numbers("YY", 2) == range(2, 4)


def test_a_rolled_back_batch_leaves_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that fails as a whole leaves nothing: the next batch is made whole."""
    _records(store)
    stored = _allocations_stored(store)
    seq_before = _head(store)

    def commit() -> None:
        raise RuntimeError("the connection dropped")

    failing = service_uow(store)
    monkeypatch.setattr(failing, "commit", commit)
    orders = [PledgeOrder(COORD, "B-EST-PUB", "B-REQ-PUB", 1) for _ in range(3)]
    with pytest.raises(RuntimeError):
        access.pledge_many(failing, orders)
    assert _head(store) == seq_before and _allocations_stored(store) == stored
    out = access.pledge_many(service_uow(store), orders)
    assert len({o["id"] for o in out if isinstance(o, dict)}) == 3
    assert _allocations_stored(store) == stored + 3


def test_free_id_block_skips_taken_ids(store: Store) -> None:
    _records(store)
    taken = ["AL-00000000B1", "AL-00000000B2"]
    uow = store.uow()
    with uow:
        for id_ in taken:
            uow.allocations.add(Allocation(id_, "B-EST-PUB", "B-REQ-PUB", 1))
        uow.commit()
    drawn = iter(["00000000B1", "00000000A1", "00000000B2", "00000000A1", "00000000A2",
                  "00000000A3"])
    with uow:
        assert free_id_block(uow.allocations, "AL", 0) == []
        got = free_id_block(uow.allocations, "AL", 3, token=lambda: next(drawn))
        assert got == ["AL-00000000A1", "AL-00000000A2", "AL-00000000A3"]


def test_ids_tell_a_nation_nothing_of_others_pledges(store: Store) -> None:
    """Pledges of other nations in between leave no gap a donor could count."""
    _records(store)
    mine = []
    for _ in range(3):
        (made,) = access.pledge_many(
            service_uow(store), [PledgeOrder(COORD, "B-EST-PUB", "B-REQ-PUB", 1)]
        )
        assert isinstance(made, dict)
        mine.append(made["id"])
        access.pledge_many(service_uow(store), [PledgeOrder(COORD, "B-GBR-PUB", "B-REQ-PUB", 1)])
    assert all(re.fullmatch(r"AL-[0-9A-F]{10}", i) for i in mine)  # was AL-000001, -3, -5


def test_append_many_chains_the_entries_and_moves_records_seq_only_for_records(
    store: Store,
) -> None:
    seq, records_seq = _head(store)
    uow = store.uow()
    assert isinstance(uow, SqlUnitOfWork)
    with uow:
        assert uow.sql_ledger.append_many([]) == []
        made = uow.sql_ledger.append_many([
            EntryDraft("u1", "EST", "allocation.pledged", {"id": "AL-X", "n": 1}),
            EntryDraft("u2", "GBR", "allocation.pledged", {"id": "AL-X", "n": 2}),
        ])
        assert [e.seq for e in made] == [seq + 1, seq + 2]
        assert made[1].prev_hash == made[0].hash
        uow.commit()
    assert _head(store) == (seq + 2, records_seq)
    with uow:
        made = uow.sql_ledger.append_many([
            EntryDraft("u1", "EST", "allocation.pledged", {"id": "AL-X", "n": 3}),
            EntryDraft("u1", "EST", "consent.policy", {"n": 4}),
            EntryDraft("u1", "EST", "allocation.pledged", {"id": "AL-X", "n": 5}),
        ])
        uow.commit()
    # records_seq names the last entry that changed more than allocations
    assert _head(store) == (seq + 5, seq + 4)
    assert verify_chain(store.uow()) == seq + 5
    entries = list(ledger_rows(store.uow()))[-5:]
    assert [e["payload"]["n"] for e in entries] == [1, 2, 3, 4, 5]


def test_a_batch_holding_every_writers_turn_checks_on_the_locked_rows(store: Store) -> None:
    """A unit of work that took the ledger head first (every writer's turn, PostgreSQL)
    skips the plain reads: no writer holds a row lock then, so locking waits for nobody
    and the checks run on the locked rows, with the same answers in two statements
    fewer."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers take turns on BEGIN IMMEDIATE; its reads are local")
    _records(store)
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split()[0].upper())

    def run(lock_ledger: bool) -> tuple[list[object], int]:
        uow = SqlServiceUnitOfWork(service_sessions(store.engine), lock_ledger=lock_ledger)
        orders = [
            access.pledge_order(EST, DAY, offer_id=o, request_id="B-REQ-PUB", quantity=1,
                                uow=uow)
            for o in ("B-EST-PUB", "B-GBR-HID", "B-NONE", "B-GBR-PUB")
        ]
        seen.clear()
        event.listen(store.engine, "before_cursor_execute", count)
        try:
            out = access.pledge_many(uow, orders)
        finally:
            event.remove(store.engine, "before_cursor_execute", count)
        return [o["quantity"] if isinstance(o, dict) else (type(o), str(o)) for o in out], len(
            seen
        )

    alone, statements_alone = run(lock_ledger=True)
    checked, statements = run(lock_ledger=False)
    assert alone == checked == [
        1,
        (NotFound, "no offer 'B-GBR-HID'"),
        (NotFound, "no offer 'B-NONE'"),
        (PermissionDenied, "a donor of EST may not act for GBR (pledge)"),
    ]
    assert statements_alone == statements - 2
