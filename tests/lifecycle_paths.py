"""Allocations and ways through their lifecycle, for the tests of the read models the
database keeps from them (held quantities, the picture's parts). A plain module, not a
conftest (see ``callers.py``)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from allied.bootstrap import Store
from allied.domain.assistance import TRANSITIONS, AllocationStatus
from allied.domain.errors import AlliedError
from allied.service import access
from allied.service import governance as gov
from allied.service.caller import Caller


def allocation_statuses(store: Store) -> dict[str, AllocationStatus]:
    """Every allocation's status, by id."""
    with store.uow() as uow:
        return {a.id: a.status for a in uow.allocations.list()}


def pledge_then_withdraw(
    store: Store, caller: Caller, day: dt.date, rng: random.Random,
    pair: Callable[[], tuple[str, str]], pledges: int, withdrawn: int = 3,
) -> None:
    """``pledges`` pledges of 1-9 between the (offer, request) pairs ``pair`` draws (those
    refused are skipped), then the first ``withdrawn`` allocations by id withdrawn."""
    for _ in range(pledges):
        offer, request = pair()
        try:
            access.pledge(store.uow(), caller, day, offer_id=offer, request_id=request,
                          quantity=rng.randint(1, 9))
        except AlliedError:
            continue
    for i in sorted(allocation_statuses(store))[:withdrawn]:
        gov.move_allocation(store.uow(), caller, i, "withdrawn", today=day)


def shortest_path(start: AllocationStatus, goal: AllocationStatus) -> list[AllocationStatus]:
    """The shortest way from ``start`` to ``goal`` through the lifecycle (empty: none)."""
    ways: dict[AllocationStatus, list[AllocationStatus]] = {start: []}
    frontier = [start]
    while frontier:
        nxt = []
        for s in frontier:
            for t in sorted(TRANSITIONS[s]):
                if t not in ways:
                    ways[t] = [*ways[s], t]
                    nxt.append(t)
        frontier = nxt
    return ways.get(goal, [])
