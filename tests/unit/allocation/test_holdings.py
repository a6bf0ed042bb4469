"""Holdings kept along the ledger (:mod:`allied.service.holdings`), on the in-memory fakes.

Holdings read at one ledger entry and moved along the pledges that follow must equal the
holdings read whole at the last of them; anything else in the ledger (a gap, an entry
other than a pledge, a tail that may go on) must make the reader read them whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from allied.domain.assistance import Allocation, AllocationStatus, Offer, Request
from allied.domain.errors import AlliedError
from allied.service import allocations
from allied.service.caller import Caller
from allied.service.holdings import (
    PLEDGED,
    HeldSnapshot,
    Holdings,
    TailEntry,
    caught_up,
    read_snapshot,
    read_tail,
)
from allied.service.ports import UnitOfWork
from fakes import FakeLedger, FakeRepository, FakeUnitOfWork

DAY = dt.date(2024, 1, 1)
EST = Caller("est-user", "EST", "donor")


class Fake(FakeUnitOfWork):
    offers: FakeRepository[Offer]
    requests: FakeRepository[Request]
    allocations: FakeRepository[Allocation]
    ledger: FakeLedger


def _uow(fake: Fake) -> UnitOfWork:
    return cast(UnitOfWork, fake)


def pledged(seq: int, offer: str, request: str, quantity: int) -> TailEntry:
    return TailEntry(seq, PLEDGED, {"offer": offer, "request": request, "quantity": quantity})


def _store() -> Fake:
    uow = Fake()
    for oid, qty in (("O-1", 10), ("O-2", 10), ("O-3", 10)):
        uow.offers.add(Offer(oid, "EST", "atgm", qty, DAY))
    for rid in ("R-1", "R-2"):
        uow.requests.add(Request(rid, "UKR", "atgm", 20, 1, dt.date(2024, 12, 31)))
    return uow


def _pledge(uow: Fake, offer: str, request: str, quantity: int) -> dict[str, Any]:
    return allocations.make_pledge(
        _uow(uow), EST, offer_id=offer, request_id=request, quantity=quantity
    )


# -- the sums -------------------------------------------------------------------------


def test_sums_per_offer_and_per_request_leave_out_what_holds_nothing() -> None:
    h = Holdings(7, [("O-1", "R-1", 3), ("O-1", "R-2", 2), ("O-2", "R-1", 4), ("O-3", "R-2", 0)])
    assert h.seq == 7
    assert h.by_offer(["O-1", "O-2", "O-3", "O-NONE"]) == {"O-1": 5, "O-2": 4}
    assert h.by_request(["R-1", "R-2", "R-NONE"]) == {"R-1": 7, "R-2": 2}
    # counting only the offers a viewer sees
    assert h.by_request(["R-1", "R-2"], offer_ids=["O-2"]) == {"R-1": 4}
    assert h.by_request(["R-1", "R-2"], offer_ids=[]) == {}
    # asking does not make entries that later count
    assert h.by_offer(["O-NONE"]) == {} and h.by_request(["R-NONE"], ["O-NONE"]) == {}


def test_a_pair_seen_twice_adds_up() -> None:
    h = Holdings.from_snapshot(HeldSnapshot(3, [("O-1", "R-1", 3), ("O-1", "R-1", 4)]))
    assert h.seq == 3
    assert h.by_offer(["O-1"]) == {"O-1": 7} and h.by_request(["R-1"]) == {"R-1": 7}


# -- moving along the ledger ----------------------------------------------------------


def test_pledges_that_follow_on_move_the_sums_and_the_position() -> None:
    h = Holdings(2, [("O-1", "R-1", 1)])
    assert h.advance([pledged(3, "O-1", "R-1", 2), pledged(4, "O-2", "R-1", 5)]) is True
    assert h.seq == 4
    assert h.by_offer(["O-1", "O-2"]) == {"O-1": 3, "O-2": 5}
    assert h.by_request(["R-1"]) == {"R-1": 8}
    assert h.advance([]) is True and h.seq == 4


def test_an_entry_other_than_a_pledge_stops_before_it() -> None:
    h = Holdings(2, [("O-1", "R-1", 1)])
    tail = [
        pledged(3, "O-1", "R-1", 2),
        TailEntry(4, "allocation.run", {"proposed": 9}),
        pledged(5, "O-1", "R-1", 100),
    ]
    assert h.advance(tail) is False
    assert h.seq == 3  # moved up to the entry before, and no further
    assert h.by_offer(["O-1"]) == {"O-1": 3}


def test_a_move_from_proposed_to_pledged_is_read_whole() -> None:
    """The lifecycle move ``proposed -> pledged`` is also an ``allocation.pledged`` entry,
    with the allocation's id and statuses for payload: both statuses hold, but the line
    becomes a pledge (a request's ``pledged`` counts what is held less what is only
    proposed) and the entry names no pair, so the sums are read whole; a new pledge moves
    them along; a payload of neither kind is read whole."""
    h = Holdings(2, [("O-1", "R-1", 5), ("O-2", "R-1", 3)], records=1,
                 proposed=[("O-1", "R-1", 5)])
    assert h.by_request(["R-1"]) == {"R-1": 8}
    assert h.pledged_by_request(["R-1"]) == {"R-1": 3}
    assert h.pledged_by_request(["R-1"], offer_ids=["O-1"]) == {}
    moved = TailEntry(3, PLEDGED, {"id": "AL-000001", "from": "proposed", "to": "pledged"})
    assert h.advance([moved]) is False and h.seq == 2
    assert h.advance([pledged(3, "O-1", "R-1", 1)]) is True
    assert (h.seq, h.records) == (3, 1)  # pledges leave the records version
    assert h.by_offer(["O-1"]) == {"O-1": 6}
    assert h.pledged_by_request(["R-1"]) == {"R-1": 4}
    odd = TailEntry(4, PLEDGED, {"id": "AL-000002", "from": "withdrawn", "to": "pledged"})
    assert h.advance([odd]) is False and h.seq == 3
    assert h.advance([TailEntry(4, PLEDGED, {"id": "AL-000003"})]) is False and h.seq == 3


def test_moves_between_holding_statuses_hold_the_same_and_others_stop() -> None:
    """A move along the lifecycle (``allocation.approved``, ``.shipped``, ``.delivered``:
    payload the id and statuses) between statuses that both hold changes no sum; a move
    out of them (withdrawn, rejected) names no pair, so the sums are read whole."""
    h = Holdings(2, [("O-1", "R-1", 5)], records=2)
    tail = [
        TailEntry(3, "allocation.approved", {"id": "AL-1", "from": "pledged", "to": "approved"}),
        TailEntry(4, "allocation.shipped", {"id": "AL-1", "from": "approved", "to": "shipped"}),
        pledged(5, "O-1", "R-1", 1),
        TailEntry(6, "allocation.delivered",
                  {"id": "AL-1", "from": "shipped", "to": "delivered"}),
    ]
    assert h.advance(tail) is True
    assert (h.seq, h.records) == (6, 2) and h.by_offer(["O-1"]) == {"O-1": 6}
    out = TailEntry(7, "allocation.withdrawn", {"id": "AL-2", "from": "pledged",
                                                "to": "withdrawn"})
    assert h.advance([out]) is False and h.seq == 6
    rejected = TailEntry(7, "allocation.rejected", {"id": "AL-2", "from": "consent-pending",
                                                    "to": "rejected"})
    assert h.advance([rejected]) is False and h.seq == 6
    # a kind that is not a move, with a payload that looks like one, is read whole
    odd = TailEntry(7, "consent.granted", {"id": "C-1", "from": "pledged", "to": "approved"})
    assert h.advance([odd]) is False and h.seq == 6


def test_the_records_version_is_kept_or_taken_as_the_position() -> None:
    assert Holdings.from_snapshot(HeldSnapshot(9, [], records=4)).records == 4
    assert Holdings.from_snapshot(HeldSnapshot(9, [])).records == 9
    assert Holdings(3).records == 3


def test_a_gap_or_a_step_back_stops_before_it() -> None:
    h = Holdings(2)
    assert h.advance([pledged(3, "O-1", "R-1", 1), pledged(5, "O-1", "R-1", 9)]) is False
    assert h.seq == 3 and h.by_offer(["O-1"]) == {"O-1": 1}
    assert h.advance([pledged(3, "O-1", "R-1", 9)]) is False  # already counted
    assert h.seq == 3 and h.by_offer(["O-1"]) == {"O-1": 1}


def test_a_tail_as_long_as_its_limit_may_go_on() -> None:
    tail = [pledged(s, "O-1", "R-1", 1) for s in (1, 2, 3)]
    assert caught_up(Holdings(0), tail, limit=4) is True
    assert caught_up(Holdings(0), tail, limit=3) is False
    assert caught_up(Holdings(0), [*tail[:1], TailEntry(2, "offer.added", {})], 4) is False


# -- reading a store without the one-statement capability ----------------------------


def test_the_generic_reads_count_what_holds_and_give_the_ledger_in_order() -> None:
    uow = _store()
    assert read_snapshot(_uow(uow)) == HeldSnapshot(0, [])
    _pledge(uow, "O-1", "R-1", 3)
    _pledge(uow, "O-1", "R-1", 2)
    withdrawn = _pledge(uow, "O-2", "R-2", 4)
    stored = uow.allocations.get(withdrawn["id"])
    assert stored is not None
    stored.status = AllocationStatus.WITHDRAWN  # holds nothing any more
    with uow:
        snap = read_snapshot(_uow(uow))
    assert snap.seq == 3
    assert sorted(snap.pairs) == [("O-1", "R-1", 5)]
    tail = read_tail(_uow(uow), after=1, limit=1)
    assert [(e.seq, e.kind) for e in tail] == [(2, PLEDGED)]
    assert tail[0].payload["offer"] == "O-1" and tail[0].payload["quantity"] == 2
    assert [e.seq for e in read_tail(_uow(uow), after=0)] == [1, 2, 3]


ORDERS = st.lists(
    st.tuples(
        st.sampled_from(["O-1", "O-2", "O-3"]),
        st.sampled_from(["R-1", "R-2"]),
        st.integers(1, 4),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(before=ORDERS, after=ORDERS)
def test_moved_along_the_pledges_equals_read_whole(
    before: list[tuple[str, str, int]], after: list[tuple[str, str, int]]
) -> None:
    """Read at some entry, moved along the pledges made since (some refused, for want of
    quantity), the sums are those read whole at the end, for every offer and request."""
    uow = _store()

    def pledge_all(orders: list[tuple[str, str, int]]) -> None:
        for offer, request, qty in orders:
            with contextlib.suppress(AlliedError):  # refused: takes nothing, no entry
                _pledge(uow, offer, request, qty)

    pledge_all(before)
    h = Holdings.from_snapshot(read_snapshot(_uow(uow)))
    pledge_all(after)
    assert caught_up(h, read_tail(_uow(uow), h.seq, 100), 100)
    whole = Holdings.from_snapshot(read_snapshot(_uow(uow)))
    assert h.seq == whole.seq == len(uow.ledger.log)
    offers, requests = ["O-1", "O-2", "O-3"], ["R-1", "R-2"]
    assert h.by_offer(offers) == whole.by_offer(offers)
    assert h.by_request(requests) == whole.by_request(requests)
    assert h.by_request(requests, ["O-2"]) == whole.by_request(requests, ["O-2"])
    # and both are what the service itself sums
    assert h.by_offer(offers) == allocations.sum_committed(_uow(uow), "offer", offers)
