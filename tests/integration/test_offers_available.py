"""What is left of each offer as the database computes it (``offers.available``,
migration 0019_picture_parts) and the offers list sorted by it, on each backend: the
column equals the quantity less what the allocations hold (never below nothing) after
pledges, lifecycle moves, withdrawals, amended quantities and a quantity set below what is
held; and every page of the list sorted by it, either way, for several viewers, is the
page of the reference order (computed from the records through the visibility policy)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import text

from allied.bootstrap import Store
from allied.domain.assistance import COMMITTING
from allied.domain.errors import AlliedError
from allied.service import access
from allied.service import governance as gov
from allied.service.assistance import add_offers, add_requests
from allied.service.caller import Caller

DAY = dt.date(2024, 6, 1)
COORD = Caller(user="coord", nation="", role="coordinator")
VIEWERS = [
    COORD,
    Caller(user="pol", nation="POL", role="donor"),
    Caller(user="usa", nation="USA", role="donor"),
    Caller(user="ukr", nation="UKR", role="recipient"),
]


def _records(store: Store, rng: random.Random, n: int) -> tuple[list[str], list[str]]:
    requests = [
        (None, f"r{i}", {
            "id": f"AR-{i:03d}", "recipient": "UKR", "family": "155mm-nato",
            "quantity": rng.randint(100, 400), "priority": 3, "needed_by": "2024-12-01",
            "releasability": "support"})
        for i in range(n)
    ]
    offers = [
        (None, f"o{i}", {
            # quantities repeat, so the id decides between equal availabilities
            "id": f"AO-{i:03d}", "donor": rng.choice(["POL", "EST", "USA"]),
            "family": "155mm-nato", "quantity": rng.choice([10, 20, 30, 40]),
            "available_from": "2024-01-01",
            "releasability": rng.choice(["owner", "public", "org:NATO", "nations:POL,EST"])})
        for i in range(n)
    ]
    add_requests(store.uow(), COORD, requests)
    add_offers(store.uow(), COORD, offers)
    return [str(r[2]["id"]) for r in requests], [str(o[2]["id"]) for o in offers]


def _available_recomputed(store: Store) -> dict[str, int]:
    with store.uow() as uow:
        held = {o.id: 0 for o in uow.offers.list()}
        quantity = {o.id: o.quantity for o in uow.offers.list()}
        for a in uow.allocations.list():
            if a.status in COMMITTING:
                held[a.offer_id] += a.quantity
    return {i: max(quantity[i] - held[i], 0) for i in quantity}


def _check(store: Store) -> dict[str, int]:
    want = _available_recomputed(store)
    with store.engine.connect() as conn:
        got = {str(i): int(v) for i, v in conn.execute(text("SELECT id, available FROM offers"))}
        allocated = int(conn.execute(text("SELECT count(*) FROM allocations")).scalar_one())
    assert got == want
    # the offers page's allocations list, for who sees them all: counted from the counts
    # kept per request
    assert access.list_allocations(store.uow(), COORD, DAY, limit=1).total == allocated
    for caller in VIEWERS:
        seen = access.list_offers(store.uow(), caller, DAY, limit=1000).items
        for sort, sign in (("-available", -1), ("available", 1)):
            reference = [o["id"] for o in sorted(seen, key=lambda o: (sign * want[o["id"]],
                                                                      o["id"]))]
            for offset in (0, 5, 10):
                page = access.list_offers(store.uow(), caller, DAY, sort=sort, limit=5,
                                          offset=offset)
                assert [o["id"] for o in page.items] == reference[offset:offset + 5], (
                    caller, sort, offset)
                assert [o["available"] for o in page.items] == [
                    want[i] for i in reference[offset:offset + 5]]
                assert page.total == len(seen)
    return want


@pytest.mark.parametrize("seed", [4])
def test_available_and_its_order_follow_writes(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    requests, offers = _records(store, rng, 16)
    _check(store)
    made: list[str] = []
    for _ in range(30):
        try:
            out = access.pledge(store.uow(), COORD, DAY, offer_id=rng.choice(offers),
                                request_id=rng.choice(requests), quantity=rng.randint(1, 12))
            made.append(str(out["id"]))
        except AlliedError:  # more than is left: refused, nothing written
            continue
    _check(store)
    for i in made[:4]:
        gov.move_allocation(store.uow(), COORD, i, "withdrawn", today=DAY)
    for offer in offers[:3]:
        try:
            access.amend_offer(store.uow(), COORD, DAY, offer,
                               {"quantity": rng.randint(30, 90)})
        except AlliedError:  # not below what is committed
            continue
    access.withdraw_offer(store.uow(), COORD, DAY, offers[5])
    # a quantity below what is held, as no service writes it: nothing left, not less
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE offers SET quantity = 1 WHERE held > 1 AND id = ("
                          "SELECT min(id) FROM offers WHERE held > 1)"))
        # and an allocation deleted as no service does: the counts follow
        conn.execute(text("DELETE FROM allocations WHERE id = :i"), {"i": made[-1]})
    want = _check(store)
    assert 0 in want.values() and len(set(want.values())) > 3
