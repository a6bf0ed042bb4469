"""The held quantities and allocation counts the database keeps per offer and per request
(``held``, ``allocation_count``: migration 0017_lists; of a request also the quantity
proposed and delivered, migration 0018_picture) against those recomputed from the
allocations, on
each backend: after a random mix of every kind of write to allocations (pledges one at a
time and in batches, the optimiser's proposals and their acceptance, single and bulk
lifecycle moves, withdrawals and amendments of the records, plain SQL updates and
deletes), and after the migration's backfill of a database that already holds
allocations."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest
from sqlalchemy import text

import allocation_writes as writes
from allied.adapters.db.engine import _alembic_config
from allied.bootstrap import Store
from allied.domain.assistance import (
    COMMITTING,
    DELIVERED_STATES,
    AllocationStatus,
)
from allied.domain.errors import AlliedError
from allied.service import governance as gov
from allied.service.allocations import PledgeOrder, make_pledges
from allied.service.assistance import add_offers, add_requests
from allied.service.caller import Caller
from lifecycle_paths import allocation_statuses, pledge_then_withdraw, shortest_path
from needs import confirm_needs

DAY = dt.date(2024, 6, 1)
COORD = Caller(user="coord", nation="", role="coordinator")
FAMILIES = ["155mm-nato", "other"]
DONORS = ["POL", "EST", "USA"]
KINDS = writes.KINDS


def _sums(store: Store) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """(held, allocation count) per offer and per request, recomputed from the
    allocations (held: the domain's ``COMMITTING``, not the triggers' list), and as the
    columns say."""
    with store.uow() as uow:
        held: dict[tuple[str, str], int] = defaultdict(int)
        count: dict[tuple[str, str], int] = defaultdict(int)
        for a in uow.allocations.list():
            for key in (("o", a.offer_id), ("r", a.request_id)):
                count[key] += 1
                if a.status in COMMITTING:
                    held[key] += a.quantity
        want_o = {o.id: (held[("o", o.id)], count[("o", o.id)]) for o in uow.offers.list()}
        want_r = {r.id: (held[("r", r.id)], count[("r", r.id)]) for r in uow.requests.list()}
    with store.engine.connect() as conn:
        got_o, got_r = (
            {str(i): (int(h), int(n)) for i, h, n in conn.execute(
                text(f"SELECT id, held, allocation_count FROM {table}"))}
            for table in ("offers", "requests")
        )
    assert got_o == want_o
    assert got_r == want_r
    _split(store)
    return want_o, want_r


def _split(store: Store) -> None:
    """Of each request, the quantity proposed and the quantity delivered (migration
    0018_picture), recomputed from the allocations and as the columns say."""
    with store.uow() as uow:
        want: dict[str, list[int]] = {r.id: [0, 0] for r in uow.requests.list()}
        for a in uow.allocations.list():
            if a.status is AllocationStatus.PROPOSED:
                want[a.request_id][0] += a.quantity
            if a.status in DELIVERED_STATES:
                want[a.request_id][1] += a.quantity
    with store.engine.connect() as conn:
        got = {str(i): [int(p), int(d)] for i, p, d in conn.execute(
            text("SELECT id, proposed, delivered FROM requests"))}
    assert got == want


def _records(store: Store, rng: random.Random, n: int) -> tuple[list[str], list[str]]:
    requests = [
        (None, f"r{i}", {
            "id": f"HR-{i:03d}-{i % 2}", "recipient": "UKR", "family": FAMILIES[i % 2],
            "quantity": rng.randint(20, 200), "priority": rng.randint(1, 5),
            "needed_by": "2024-12-01", "releasability": "public"})
        for i in range(n)
    ]
    offers = [
        (None, f"o{i}", {
            "id": f"HO-{i:03d}-{i % 2}", "donor": rng.choice(DONORS), "family": FAMILIES[i % 2],
            "quantity": rng.randint(10, 100), "available_from": "2024-01-01",
            "releasability": "public"})
        for i in range(n)
    ]
    add_requests(store.uow(), COORD, requests)
    add_offers(store.uow(), COORD, offers)
    return [str(r[2]["id"]) for r in requests], [str(o[2]["id"]) for o in offers]


def _walk_to_delivered(store: Store) -> set[AllocationStatus]:
    """Move the first allocation that can reach ``delivered`` there, then on through
    the delivered states, checking the kept quantities after each move; the statuses
    it passed through."""
    passed: set[AllocationStatus] = set()
    confirm_needs(store.uow, DAY)  # a proposed line is accepted on the way: needs not past
    with store.uow() as uow:
        # the shortest path skips consent-pending, which one needing consent must pass
        # through (the reference data's offers of items other states made; allocation
        # ids are random, so which allocation comes first varies from run to run)
        needs = {a.id for a in uow.allocations.list() if a.needs_consent}
    for i, status in sorted(allocation_statuses(store).items()):
        if i in needs or not shortest_path(status, AllocationStatus.DELIVERED):
            continue
        passed.add(status)
        for goal in (AllocationStatus.DELIVERED, AllocationStatus.IN_REPAIR,
                     AllocationStatus.RETURNED):
            for to in shortest_path(allocation_statuses(store)[i], goal):
                gov.move_allocation(store.uow(), COORD, i, to.value, today=DAY)
                passed.add(to)
                _split(store)
        return passed
    return passed


@pytest.mark.parametrize("seed", [7])
def test_held_equals_the_recomputed_sums_after_random_writes(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    _sums(store)  # the reference data's, as the migration filled them
    requests, offers = _records(store, rng, 12)
    for step in range(80):
        writes.step(store, rng, KINDS, requests, offers, caller=COORD, day=DAY)
        if step % 10 == 9:
            _sums(store)
    want_o, want_r = _sums(store)
    # the mix held something and released something
    statuses = set(allocation_statuses(store).values())
    assert any(want_o[o][0] for o in offers) and any(want_r[r][0] for r in requests)
    assert statuses & set(COMMITTING) and statuses - set(COMMITTING)
    # then one allocation walked along to delivered, into repair and back (each step
    # kept), so the delivered quantities move too
    walked = _walk_to_delivered(store)
    assert walked >= set(DELIVERED_STATES), walked
    assert AllocationStatus.PROPOSED in statuses | walked


def test_a_write_rolled_back_leaves_held_as_it_was(store: Store) -> None:
    rng = random.Random(3)
    requests, offers = _records(store, rng, 2)
    before = _sums(store)
    uow = store.uow()
    # the pledge's transaction ends without its commit: rolled back with what it wrote
    uow.commit = lambda: None  # type: ignore[method-assign]
    (outcome,) = make_pledges(uow, [PledgeOrder(COORD, offers[0], requests[0], 1)])
    assert not isinstance(outcome, AlliedError)
    assert _sums(store) == before


def test_the_migration_fills_held_from_existing_allocations(store: Store) -> None:
    from alembic import command

    rng = random.Random(11)
    requests, offers = _records(store, rng, 6)
    pledge_then_withdraw(store, COORD, DAY, rng, lambda: writes.pair(rng, requests, offers), 12)
    want_o, want_r = _sums(store)
    cfg = _alembic_config(store.engine)
    command.downgrade(cfg, "0016")  # (through 0018_picture: its columns go first)
    with store.engine.begin() as conn:
        assert "held" not in set(conn.execute(text("SELECT * FROM offers LIMIT 1")).keys())
        # written while no trigger keeps held: the backfill counts it all the same
        conn.execute(text(
            "INSERT INTO allocations (id, offer_id, request_id, quantity, needs_consent, "
            "status) VALUES ('AL-OLD', :o, :r, 4, false, 'approved')"
        ), {"o": offers[0], "r": requests[0]})
    command.upgrade(cfg, "heads")
    got_o, got_r = _sums(store)
    held, count = want_o[offers[0]]
    assert got_o == {**want_o, offers[0]: (held + 4, count + 1)}
    held, count = want_r[requests[0]]
    assert got_r == {**want_r, requests[0]: (held + 4, count + 1)}


def test_every_sql_unit_of_work_sums_what_is_held_in_the_database(store: Store) -> None:
    """The command line's and the read configuration's units of work sum held quantities
    in SQL too (before, only the API's did, and the others asked once per record)."""
    from allied.service.allocations import CommittedQuery, sum_committed

    for uow in (store.uow(), store.read_uow()):
        assert isinstance(uow, CommittedQuery)
        with uow:
            assert sum_committed(uow, "offer", ["no-such-offer"]) == {}
