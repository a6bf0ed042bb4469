"""Random writes to allocations through every path that makes them, for the tests of the
read models the database keeps by trigger (``test_held_read_model``, ``test_picture_parts``,
``test_report_sums``): pledges one at a time and in batches, single and bulk lifecycle
moves, amendments and withdrawals of the records, the optimiser's proposals and their
acceptance, and plain SQL no service makes. A plain module, not a conftest (tests import
it by name)."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import text

from allied.bootstrap import Store
from allied.domain.assistance import TRANSITIONS, AllocationStatus
from allied.domain.errors import AlliedError
from allied.service import access
from allied.service import governance as gov
from allied.service.allocations import PledgeOrder, make_pledges
from allied.service.caller import Caller
from allied.service.lifecycle import Move, advance_many
from lifecycle_paths import allocation_statuses

#: the kinds :func:`write` makes
KINDS = ("pledge", "batch", "move", "bulk", "record", "sql", "run")

Statement = tuple[str, dict[str, Any]]


def pair(rng: random.Random, requests: list[str], offers: list[str]) -> tuple[str, str]:
    """An offer and a request of its family (ids end in the family's index)."""
    offer = rng.choice(offers)
    return offer, rng.choice([r for r in requests if r[-1] == offer[-1]] or requests)


def allocation_statements(
    rng: random.Random, requests: list[str], offers: list[str], target: str
) -> list[Statement]:
    """Writes no service makes to allocation ``target``, which the triggers follow all
    the same: its quantity, offer, request or status changed in place (alone or
    together), a status set to itself, the row deleted."""
    statuses = [s.value for s in AllocationStatus]
    return [
        ("UPDATE allocations SET quantity = quantity + :n WHERE id = :id",
         {"n": rng.randint(1, 5), "id": target}),
        ("UPDATE allocations SET offer_id = :o WHERE id = :id",
         {"o": rng.choice(offers), "id": target}),
        ("UPDATE allocations SET request_id = :r, quantity = :n WHERE id = :id",
         {"r": rng.choice(requests), "n": rng.randint(1, 9), "id": target}),
        ("UPDATE allocations SET status = :s WHERE id = :id",
         {"s": rng.choice(statuses), "id": target}),
        ("UPDATE allocations SET status = :s, offer_id = :o WHERE id = :id",
         {"s": rng.choice(statuses), "o": rng.choice(offers), "id": target}),
        ("UPDATE allocations SET status = status WHERE id = :id", {"id": target}),
        ("DELETE FROM allocations WHERE id = :id", {"id": target}),
    ]


def plain_sql(
    store: Store, rng: random.Random, requests: list[str], offers: list[str],
    more: Sequence[Statement] = (),
) -> None:
    """One of :func:`allocation_statements` on a random allocation, or of ``more``."""
    ids = sorted(allocation_statuses(store))
    statements = list(more)
    if ids:
        statements += allocation_statements(rng, requests, offers, rng.choice(ids))
    if not statements:
        return
    sql, params = rng.choice(statements)
    with store.engine.begin() as conn:
        conn.execute(text(sql), params)


def write(
    store: Store, rng: random.Random, kind: str, requests: list[str], offers: list[str], *,
    caller: Caller, day: dt.date,
    sql: Callable[[Store, random.Random, list[str], list[str]], None] = plain_sql,
) -> None:
    """One write of ``kind`` (one of :data:`KINDS`) by ``caller`` on ``day``; a refusal
    raises the domain's error and writes nothing."""
    if kind == "pledge":
        offer, request = pair(rng, requests, offers)
        access.pledge(store.uow(), caller, day, offer_id=offer, request_id=request,
                      quantity=rng.randint(1, 15))
    elif kind == "batch":
        make_pledges(store.uow(), [
            PledgeOrder(caller, *pair(rng, requests, offers), rng.randint(1, 15))
            for _ in range(rng.randint(2, 5))
        ])
    elif kind in ("move", "bulk"):
        live = [(i, s) for i, s in sorted(allocation_statuses(store).items()) if TRANSITIONS[s]]
        if not live:
            return
        picked = rng.sample(live, min(len(live), 1 if kind == "move" else 4))
        moves = [(i, rng.choice(sorted(TRANSITIONS[s])).value) for i, s in picked]
        if kind == "move":
            (i, to), = moves
            gov.move_allocation(store.uow(), caller, i, to, today=day)
        else:
            advance_many(store.uow(), caller, [Move(i, to) for i, to in moves], today=day)
    elif kind == "record":
        what = rng.choice(["amend-offer", "amend-request"] * 3
                          + ["withdraw-offer", "withdraw-request"])
        if what == "amend-offer":
            access.amend_offer(store.uow(), caller, day, rng.choice(offers),
                               {"quantity": rng.randint(10, 150)})
        elif what == "amend-request":
            access.amend_request(store.uow(), caller, day, rng.choice(requests),
                                 {"quantity": rng.randint(20, 250)})
        elif what == "withdraw-offer":
            access.withdraw_offer(store.uow(), caller, day, rng.choice(offers))
        else:
            access.withdraw_request(store.uow(), caller, day, rng.choice(requests))
    elif kind == "sql":
        sql(store, rng, requests, offers)
    elif kind == "run":  # the optimiser's proposals, half of them accepted
        run = access.run_allocation(store.uow(), caller, as_of=day, record=True)
        ids = list(run["allocation_ids"])
        accepted = rng.sample(ids, len(ids) // 2)
        if accepted:
            access.advance_allocations(store.uow(), caller, day, [
                {"allocation": i, "to": "pledged"} for i in accepted])
    else:
        raise ValueError(f"no such write: {kind}")


def step(
    store: Store, rng: random.Random, kinds: Sequence[str], requests: list[str],
    offers: list[str], *, caller: Caller, day: dt.date,
) -> str:
    """One random write of one of ``kinds`` (refusals are part of the mix: they write
    nothing); the kind."""
    kind = rng.choice(kinds)
    with contextlib.suppress(AlliedError):
        write(store, rng, kind, requests, offers, caller=caller, day=day)
    return kind
