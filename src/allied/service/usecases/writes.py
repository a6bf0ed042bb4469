"""The API's hot writes made together: pledges, amendments and lifecycle moves.

Each order is the arguments of one use-case (:func:`~allied.service.usecases.allocations.
pledge_order`, :func:`~allied.service.usecases.lifecycle.amend_offer` or ``amend_request``,
:func:`~allied.service.usecases.allocations.advance_allocation`); :func:`write_many` makes
several in one transaction, each checked, refused or made as if alone in turn, with its own
ledger entries: the amendments and moves each in its savepoint (:mod:`allied.service.parts`),
the pledges that come one after another together (:func:`allied.service.allocations.
make_pledges`, which answers each on its own). A refusal is that order's answer and never
another's; a failure of the store raises, undoing them all (make each alone then).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from allied.domain.actors import Membership
from allied.domain.errors import AlliedError
from allied.service import allocations as allocation_service
from allied.service.allocations import PledgeOrder, PledgeOutcome
from allied.service.caller import Caller
from allied.service.parts import each_alone
from allied.service.ports import PartedUnitOfWork, UnitOfWork
from allied.service.usecases.allocations import advance_allocation
from allied.service.usecases.lifecycle import amend_offer, amend_request


@dataclass(frozen=True)
class AmendOrder:
    """An amendment of an open offer (``kind="offer"``) or request (``"request"``), as
    :func:`amend_offer` / :func:`amend_request` take it."""

    caller: Caller
    day: dt.date
    kind: str
    record_id: str
    changes: Mapping[str, Any]
    memberships: Sequence[Membership] | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("offer", "request"):
            raise ValueError(f"an amendment is of an offer or a request, not {self.kind!r}")


@dataclass(frozen=True)
class MoveOrder:
    """A move of an allocation along its lifecycle, as :func:`advance_allocation` takes it."""

    caller: Caller
    day: dt.date
    allocation_id: str
    to: str
    memberships: Sequence[Membership] | None = None


#: One write of :func:`write_many`.
WriteOrder = PledgeOrder | AmendOrder | MoveOrder
#: What it answers each: the view the use-case returns, or why it is refused.
WriteOutcome = PledgeOutcome


def amend_many(uow: PartedUnitOfWork, orders: Sequence[AmendOrder]) -> list[WriteOutcome]:
    """Amendments in one transaction, each answered as if made alone in turn."""
    return write_many(uow, orders)


def advance_allocation_many(
    uow: PartedUnitOfWork, orders: Sequence[MoveOrder]
) -> list[WriteOutcome]:
    """Lifecycle moves in one transaction, each answered as if made alone in turn."""
    return write_many(uow, orders)


def write_many(uow: PartedUnitOfWork, orders: Sequence[WriteOrder]) -> list[WriteOutcome]:
    """Pledges, amendments and moves in one transaction, in order, each answered as if
    made alone in turn (see the module); one answer per order, in its position."""
    works: list[Callable[[UnitOfWork], list[WriteOutcome]]] = []
    runs: list[int] = []  # how many orders each work answers
    i = 0
    while i < len(orders):
        order = orders[i]
        if isinstance(order, PledgeOrder):
            j = i
            while j < len(orders) and isinstance(orders[j], PledgeOrder):
                j += 1
            pledges = [o for o in orders[i:j] if isinstance(o, PledgeOrder)]
            works.append(_pledging(pledges))
            runs.append(j - i)
            i = j
            continue
        works.append(_making(order))
        runs.append(1)
        i += 1
    out: list[WriteOutcome] = []
    for answered, count in zip(each_alone(uow, works), runs, strict=True):
        if isinstance(answered, AlliedError):  # raised before any order was answered
            out.extend([answered] * count)
        else:
            out.extend(answered)
    return out


def _pledging(orders: list[PledgeOrder]) -> Callable[[UnitOfWork], list[WriteOutcome]]:
    return lambda uow: allocation_service.make_pledges(uow, orders)


def _making(order: AmendOrder | MoveOrder) -> Callable[[UnitOfWork], list[WriteOutcome]]:
    return lambda uow: [_one(uow, order)]


def _one(uow: UnitOfWork, order: AmendOrder | MoveOrder) -> dict[str, Any]:
    if isinstance(order, MoveOrder):
        return advance_allocation(
            uow, order.caller, order.day, order.allocation_id, order.to,
            memberships=order.memberships,
        )
    amend = amend_offer if order.kind == "offer" else amend_request
    return amend(
        uow, order.caller, order.day, order.record_id, order.changes,
        memberships=order.memberships,
    )
