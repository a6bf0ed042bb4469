"""The sums the reports read from the columns the database keeps per offer and request
(``offers.proposed``/``shipped``/``delivered``: migration 0022_report_sums, beside
``held``; ``requests.held``/``proposed``/``delivered``) against the reports' pure
functions over the records, and the count of allocations on their way per request
(``requests.in_flight``, migration 0023_request_in_flight) and the coordinator's overdue
deliveries counted from it against the allocations recounted, on each backend: after a
random mix of writes to allocations
(pledges one at a time and in batches, lifecycle moves single and in bulk, amendments
and withdrawals of the records, plain SQL updates of an allocation's quantity, status,
offer or request, and deletes), and after the migration's backfill of a database that
already holds allocations (each of the two)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import text

import allocation_writes as writes
from allied.adapters.db.engine import _alembic_config
from allied.bootstrap import Store
from allied.domain.assistance import (
    COMMITTING,
    DELIVERED_STATES,
    IN_FLIGHT,
    AllocationStatus,
)
from allied.domain.errors import AlliedError
from allied.reports import gaps as gaps_report
from allied.reports import predictability as predictability_report
from allied.reports.model import Period
from allied.service import access
from allied.service import governance as gov
from allied.service.assistance import add_offers, add_requests
from allied.service.caller import Caller
from lifecycle_paths import allocation_statuses, shortest_path
from needs import confirm_needs

DAY = dt.date(2024, 6, 1)
LATER = dt.date(2024, 10, 1)
COORD = Caller(user="coord", nation="", role="coordinator")
FAMILIES = ["155mm-nato", "other"]
DONORS = ["POL", "EST", "USA"]
CHANNELS = ["bilateral", "udcg", "eu-epf"]
#: the days the records fall on, and periods that take some of them
DAYS = ["2024-01-01", "2024-09-01", "2025-03-01"]
PERIODS = (
    Period(),
    Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    Period(start=dt.date(2024, 6, 1)),
    Period(end=dt.date(2024, 8, 31)),
)
KINDS = ["pledge", "batch", "move", "move", "bulk", "record", "sql"]


REQUEST_COLUMNS = ("held", "proposed", "delivered", "in_flight")


def _kept(store: Store) -> None:
    """Each offer's held, proposed, shipped and delivered quantities, and each request's
    held, proposed and delivered, recomputed from the allocations with the reports' and
    the domain's status sets, and how many of each request's allocations are on their
    way (``IN_FLIGHT``), equal the columns."""
    pledged = predictability_report.PLEDGED_STATES
    shipped = predictability_report.SHIPPED_STATES
    sets = {"held": COMMITTING, "proposed": {AllocationStatus.PROPOSED},
            "shipped": shipped, "delivered": DELIVERED_STATES}
    with store.uow() as uow:
        want_o = {o.id: dict.fromkeys(sets, 0) for o in uow.offers.list()}
        want_r = {r.id: dict.fromkeys(REQUEST_COLUMNS, 0) for r in uow.requests.list()}
        for a in uow.allocations.list():
            for column, statuses in sets.items():
                if a.status in statuses:
                    want_o[a.offer_id][column] += a.quantity
                    if column in want_r[a.request_id]:
                        want_r[a.request_id][column] += a.quantity
            want_r[a.request_id]["in_flight"] += a.status in IN_FLIGHT
            # what the reports call pledged is what is held but proposed
            assert (a.status in pledged) == (a.status in COMMITTING
                                             and a.status is not AllocationStatus.PROPOSED)
    with store.engine.connect() as conn:
        got_o = {str(row[0]): dict(zip(sets, map(int, row[1:]), strict=True))
                 for row in conn.execute(text(
                     "SELECT id, held, proposed, shipped, delivered FROM offers"))}
        got_r = {str(row[0]): dict(zip(REQUEST_COLUMNS, map(int, row[1:]), strict=True))
                 for row in conn.execute(text(
                     f"SELECT id, {', '.join(REQUEST_COLUMNS)} FROM requests"))}
    assert got_o == want_o
    assert got_r == want_r


def _reports(store: Store) -> list[tuple[Any, Any]]:
    """The reports' sums as the store gives them and as the pure functions compute them
    from every request, offer and allocation, for each of ``PERIODS``; asserted equal."""
    pairs = []
    with store.read_uow() as uow:
        reqs, offs, allocs = uow.requests.list(), uow.offers.list(), uow.allocations.list()
        for period in PERIODS:
            want_gaps = gaps_report.gap_sums(reqs, offs, allocs, period)
            want_clearing = predictability_report.clearinghouse_sums(offs, allocs, period)
            got_gaps = uow.gap_sums(period.start, period.end)  # type: ignore[attr-defined]
            got_clearing = uow.clearinghouse_sums(  # type: ignore[attr-defined]
                period.start, period.end)
            assert got_gaps == want_gaps, period
            assert got_clearing == want_clearing, period
            pairs.append((want_gaps, want_clearing))
    return pairs


#: days before which the overdue deliveries are counted: before every request's
#: needed-by date, between them (``DAYS[1]`` and ``DAYS[2]``), after them all
OVERDUE_DAYS = (dt.date(2024, 1, 1), dt.date(2025, 1, 1), dt.date(2026, 1, 1))


def _overdue(store: Store) -> list[int]:
    """The coordinator's to-do list counts its overdue deliveries (from the requests'
    ``in_flight``) as the allocations on their way whose request was needed before the
    day, recounted; a list of the allocations filtered by other statuses than exactly
    those counts its allocations. The overdue totals, per ``OVERDUE_DAYS``."""
    with store.read_uow() as uow:
        needed_by = {r.id: r.needed_by for r in uow.requests.list()}
        allocs = [(a.status, needed_by[a.request_id]) for a in uow.allocations.list()]
    totals = []
    for day in OVERDUE_DAYS:
        def recount(statuses: frozenset[AllocationStatus], day: dt.date = day) -> int:
            return sum(status in statuses and by < day for status, by in allocs)

        todo = access.todo(store.uow(), COORD, day, limit=20)
        (overdue,) = [s for s in todo["sections"] if s["name"] == "overdue_deliveries"]
        assert overdue["total"] == recount(IN_FLIGHT), day
        assert len(overdue["items"]) == min(20, overdue["total"])
        totals.append(overdue["total"])
        for statuses in ([AllocationStatus.PLEDGED, AllocationStatus.SHIPPED],
                         [*IN_FLIGHT, AllocationStatus.DELIVERED]):
            got = access.list_allocations(store.uow(), COORD, day, needed_before=day,
                                          statuses=[s.value for s in statuses], limit=5)
            assert got.total == recount(frozenset(statuses)), (day, statuses)
    return totals


def _check(store: Store) -> list[tuple[Any, Any]]:
    _kept(store)
    _overdue(store)
    return _reports(store)


def _records(store: Store, rng: random.Random, n: int) -> tuple[list[str], list[str]]:
    requests = [
        (None, f"r{i}", {
            "id": f"SR-{i:03d}-{i % 2}", "recipient": "UKR", "family": FAMILIES[i % 2],
            "quantity": rng.randint(20, 200), "priority": rng.randint(1, 5),
            "needed_by": rng.choice(DAYS[1:]), "releasability": "public"})
        for i in range(n)
    ]
    offers = [
        (None, f"o{i}", {
            "id": f"SO-{i:03d}-{i % 2}", "donor": rng.choice(DONORS), "family": FAMILIES[i % 2],
            "quantity": rng.randint(10, 100), "available_from": rng.choice(DAYS[:2]),
            "channel": rng.choice(CHANNELS), "releasability": "public"})
        for i in range(n)
    ]
    add_requests(store.uow(), COORD, requests)
    add_offers(store.uow(), COORD, offers)
    return [str(r[2]["id"]) for r in requests], [str(o[2]["id"]) for o in offers]


#: the ways two allocations are walked: to delivered, into repair and back; to lost
WALKS = (
    (AllocationStatus.SHIPPED, AllocationStatus.DELIVERED, AllocationStatus.IN_REPAIR,
     AllocationStatus.RETURNED),
    (AllocationStatus.SHIPPED, AllocationStatus.LOST),
)


def _walk(store: Store) -> set[AllocationStatus]:
    """Move two allocations that can be shipped (and need no consent) along ``WALKS``
    step by step, checking after each move; the statuses passed through."""
    passed: set[AllocationStatus] = set()
    confirm_needs(store.uow, DAY)
    with store.uow() as uow:
        needs = {a.id for a in uow.allocations.list() if a.needs_consent}
    walks = list(WALKS)
    for i, status in sorted(allocation_statuses(store).items()):
        if not walks:
            break
        if i in needs or not shortest_path(status, AllocationStatus.SHIPPED):
            continue
        for goal in walks.pop(0):
            for to in shortest_path(allocation_statuses(store)[i], goal):
                # (after every offer's available-from day: shipped and delivered may be)
                gov.move_allocation(store.uow(), COORD, i, to.value, today=LATER)
                passed.add(to)
                _check(store)
    return passed


@pytest.mark.parametrize("seed", [5])
def test_report_sums_follow_random_writes(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    _check(store)  # the reference data's, as the migrations filled them
    requests, offers = _records(store, rng, 10)
    for _ in range(10):  # pledges first, so the moves have something to move
        offer, request = writes.pair(rng, requests, offers)
        access.pledge(store.uow(), COORD, DAY, offer_id=offer, request_id=request,
                      quantity=rng.randint(1, 9))
    for step in range(70):
        writes.step(store, rng, KINDS, requests, offers, caller=COORD, day=DAY)
        if step % 7 == 6:
            _check(store)
    walked = _walk(store)
    assert {s for walk in WALKS for s in walk} <= walked, walked
    final = _check(store)
    # the mix left something pledged, shipped and delivered in the report
    (_, whole), *_ = final
    assert all(any(s[k] for s in whole.values()) for k in ("pledged", "shipped", "delivered"))
    statuses = set(allocation_statuses(store).values())
    assert AllocationStatus.PROPOSED in statuses or AllocationStatus.WITHDRAWN in statuses


def test_the_overdue_total_counts_the_allocations_on_their_way_per_request(
    store: Store,
) -> None:
    """Allocations pledged and shipped against requests needed on two days count on the
    days after them, one delivered never; the totals equal their recount (``_overdue``)
    and move by exactly these."""
    base = _overdue(store)
    needed = {"SR-A": "2024-09-01", "SR-B": "2024-09-01", "SR-C": "2025-03-01",
              "SR-D": "2024-09-01"}
    add_requests(store.uow(), COORD, [
        (None, rid, {"id": rid, "recipient": "UKR", "family": "155mm-nato", "quantity": 50,
                     "priority": 1, "needed_by": day, "releasability": "public"})
        for rid, day in needed.items()])
    add_offers(store.uow(), COORD, [
        (None, "o", {"id": "SO-A", "donor": "POL", "family": "155mm-nato", "quantity": 100,
                     "available_from": "2024-01-01", "channel": "bilateral",
                     "releasability": "public"})])
    made = {rid: str(access.pledge(store.uow(), COORD, DAY, offer_id="SO-A",
                                   request_id=rid, quantity=5)["id"]) for rid in needed}
    confirm_needs(store.uow, DAY)
    for rid, goal in (("SR-B", AllocationStatus.SHIPPED), ("SR-D", AllocationStatus.DELIVERED)):
        for to in shortest_path(allocation_statuses(store)[made[rid]], goal):
            gov.move_allocation(store.uow(), COORD, made[rid], to.value, today=LATER)
    statuses = allocation_statuses(store)
    assert [statuses[made[r]] for r in needed] == [
        AllocationStatus.PLEDGED, AllocationStatus.SHIPPED, AllocationStatus.PLEDGED,
        AllocationStatus.DELIVERED]
    _kept(store)
    _reports(store)
    # 2024-01-01: none needed yet; 2025-01-01: A and B (D delivered); 2026-01-01: and C
    assert [a - b for a, b in zip(_overdue(store), base, strict=True)] == [0, 2, 3]


#: a revision before a kept column, the table and column it lacks there, and the status of
#: the allocation written under it (which its backfill must count)
BEFORE = (
    ("0021_allocation_status_parts", "offers", "shipped", "delivered"),
    ("0022_report_sums", "requests", "in_flight", "shipped"),
)


@pytest.mark.parametrize(("revision", "table", "column", "status"), BEFORE)
def test_the_migrations_fill_the_kept_columns_from_existing_allocations(
    store: Store, revision: str, table: str, column: str, status: str
) -> None:
    from alembic import command

    rng = random.Random(13)
    requests, offers = _records(store, rng, 6)
    for _ in range(15):
        offer, request = writes.pair(rng, requests, offers)
        try:
            access.pledge(store.uow(), COORD, DAY, offer_id=offer, request_id=request,
                          quantity=rng.randint(1, 9))
        except AlliedError:
            continue
    for i, was in sorted(allocation_statuses(store).items())[:4]:
        for to in shortest_path(was, AllocationStatus.SHIPPED):
            try:
                gov.move_allocation(store.uow(), COORD, i, to.value, today=DAY)
            except AlliedError:
                break
    before = _check(store)
    with store.engine.connect() as conn:
        in_flight = conn.execute(text("SELECT in_flight FROM requests WHERE id = :r"),
                                 {"r": requests[0]}).scalar_one()
    cfg = _alembic_config(store.engine)
    command.downgrade(cfg, revision)
    with store.engine.begin() as conn:
        assert column not in set(conn.execute(text(f"SELECT * FROM {table} LIMIT 1")).keys())
        # written under the older triggers (no such column kept): the backfill counts it
        # all the same
        conn.execute(text(
            "INSERT INTO allocations (id, offer_id, request_id, quantity, needs_consent, "
            "status) VALUES ('AL-OLD', :o, :r, 4, false, :s)"
        ), {"o": offers[0], "r": requests[0], "s": status})
    command.upgrade(cfg, "heads")
    after = _check(store)
    assert after != before  # the allocation shows in the sums
    with store.engine.connect() as conn:
        shipped, delivered = conn.execute(
            text("SELECT shipped, delivered FROM offers WHERE id = :o"), {"o": offers[0]}
        ).one()
        in_flight_after = conn.execute(text("SELECT in_flight FROM requests WHERE id = :r"),
                                       {"r": requests[0]}).scalar_one()
    assert shipped >= 4 and delivered >= (4 if status == "delivered" else 0)
    assert in_flight_after == in_flight + (status == "shipped")


def test_the_in_flight_statuses_of_the_migration_are_the_domains() -> None:
    """0023_request_in_flight keeps its own list of the statuses (a migration does not
    import the application): the domain's ``IN_FLIGHT``, which the store's count of the
    overdue deliveries reads ``requests.in_flight`` for."""
    from pathlib import Path

    from allied.adapters.db import tables
    from script_loader import load_script

    migration = load_script(
        Path(tables.__file__).with_name("migrations") / "versions"
        / "0023_request_in_flight.py", "_allied_migration_0023_request_in_flight")
    assert set(migration.IN_FLIGHT) == {s.value for s in IN_FLIGHT}
    assert len(migration.IN_FLIGHT) == len(IN_FLIGHT)
