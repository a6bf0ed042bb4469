"""Bulk lifecycle moves (service.lifecycle.advance_many) against the one-at-a-time path."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from allied.bootstrap import Store
from allied.domain.consent import OriginPolicy
from allied.domain.errors import IllegalTransition
from allied.service import governance as gov
from allied.service.allocations import make_pledge
from allied.service.assistance import add_offers, add_requests
from allied.service.caller import Caller
from allied.service.ledger import verify_chain as verify_ledger
from allied.service.lifecycle import Move, advance_many

TODAY = dt.date(2024, 6, 1)
DONOR = Caller(user="donor-pol", nation="POL", role="donor")
COORD = Caller(user="coord", nation="", role="coordinator")


def _setup(store: Store, suffix: str) -> list[str]:
    """Offers made by the donor, by USA (permissive), DEU (case-by-case) and CHE
    (restrictive), one allocation of each pledged."""
    gov.set_policy(store.uow(), COORD, "USA", OriginPolicy.PERMISSIVE, since=TODAY)
    gov.set_policy(store.uow(), COORD, "DEU", OriginPolicy.CASE_BY_CASE, since=TODAY)
    gov.set_policy(store.uow(), COORD, "CHE", OriginPolicy.RESTRICTIVE, since=TODAY)
    add_requests(store.uow(), COORD, [(None, "r", {
        "id": f"R{suffix}", "recipient": "UKR", "family": "155mm-nato", "quantity": 100,
        "priority": 1, "needed_by": "2024-12-01"})])
    rows = []
    for n, origin in enumerate(["", "USA", "DEU", "CHE"]):
        row = {"id": f"O{suffix}{n}", "donor": "POL", "family": "155mm-nato", "quantity": 10,
               "available_from": "2024-01-01"}
        if origin:
            row["origin"] = origin
        rows.append((None, f"o{n}", row))
    add_offers(store.uow(), DONOR, rows)
    return [
        make_pledge(store.uow(), DONOR, offer_id=f"O{suffix}{n}", request_id=f"R{suffix}",
               quantity=5)["id"]
        for n in range(4)
    ]


def _entries(store: Store, after: int) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, payload FROM ledger_entries WHERE seq > :a ORDER BY seq"),
            {"a": after},
        )
        return [(str(k), str(p)) for k, p in rows]


def _head(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT max(seq) FROM ledger_entries")).scalar_one())


def test_bulk_moves_match_one_at_a_time(store: Store) -> None:
    one = _setup(store, "A")
    many = _setup(store, "B")
    paths = [["approved", "shipped", "delivered"], ["consent-pending", "shipped"],
             ["consent-pending"], ["consent-pending"]]
    start = _head(store)
    for alloc, path in zip(one, paths, strict=True):
        for to in path:
            gov.move_allocation(store.uow(), COORD, alloc, to, today=TODAY)
    single = _entries(store, start)
    start = _head(store)
    moves = [Move(a, to) for a, path in zip(many, paths, strict=True) for to in path]
    views = advance_many(store.uow(), COORD, moves, today=TODAY)
    bulk = _entries(store, start)
    final = {v["id"]: v["status"] for v in views}
    assert [final[a] for a in many] == ["delivered", "shipped", "consent-pending", "rejected"]
    # the same entries in kind, ledger order aside (the single path moves one at a time)
    assert sorted(k for k, _ in single) == sorted(k for k, _ in bulk)
    with store.uow() as uow:
        for a, b in zip(one, many, strict=True):
            x, y = uow.allocations.get(a), uow.allocations.get(b)
            assert x is not None and y is not None
            assert x.status == y.status
    assert verify_ledger(store.uow()) == _head(store)


def test_bulk_refusal_writes_nothing(store: Store) -> None:
    allocs = _setup(store, "C")
    start = _head(store)
    with pytest.raises(IllegalTransition, match=allocs[0]):
        advance_many(store.uow(), COORD,
                     [Move(allocs[1], "consent-pending"), Move(allocs[0], "delivered")],
                     today=TODAY)
    assert _head(store) == start
    with store.uow() as uow:
        moved = uow.allocations.get(allocs[1])
        assert moved is not None and moved.status.value == "pledged"
