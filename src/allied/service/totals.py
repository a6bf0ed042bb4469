"""Allocation quantities summed by the store, for reads that only add them up.

Reports and the optimiser's problem need, per offer or per request and status, the
quantity of its allocations, not the allocations themselves. A store that can
(:class:`AllocationTotals`) sums them in one grouped query: a row per offer (or request)
and status instead of an object per allocation, which at ten years' volume (a million
allocations) is the difference between seconds and minutes, and megabytes and
gigabytes. The test fakes have no such capability: the sums then come from the
repository, allocation by allocation, with the same result.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import NamedTuple, Protocol, runtime_checkable

from allied.domain.assistance import PLEDGING, AllocationStatus
from allied.service.ports import UnitOfWork


class AllocationTotal(NamedTuple):
    """The summed quantity of the allocations of one offer (``request_id`` empty) or one
    request (``offer_id`` empty) in one status. Reports read it as they read an
    allocation (``offer_id``, ``request_id``, ``status``, ``quantity``)."""

    offer_id: str
    request_id: str
    status: AllocationStatus
    quantity: int


@runtime_checkable
class AllocationTotals(Protocol):
    def allocation_totals(self, by: str) -> list[AllocationTotal]:
        """Quantity per offer (``by="offer"``) or per request, and status, summed by the
        store."""
        ...


@runtime_checkable
class HeldTotals(Protocol):
    def held_totals(self, by: str, statuses: Collection[AllocationStatus]) -> dict[str, int]:
        """Quantity per offer (``by="offer"``) or request of the allocations in
        ``statuses``, summed by the store."""
        ...


@runtime_checkable
class PledgedQuery(Protocol):
    def pledged(
        self, ids: Collection[str], *, offer_ids: Collection[str] | None = None
    ) -> dict[str, int]:
        """Quantity pledged per request of ``ids``, summed by the store."""
        ...


def sum_pledged(
    uow: UnitOfWork, ids: Collection[str], offer_ids: Collection[str] | None = None
) -> dict[str, int]:
    """Quantity pledged per request of ``ids``: its allocations past ``proposed`` (plan
    lines not yet accepted are no pledge) and still counted
    (:data:`~allied.domain.assistance.PLEDGING`), only those of ``offer_ids`` when given;
    call inside the unit of work."""
    if not ids:
        return {}
    if isinstance(uow, PledgedQuery):
        return uow.pledged(ids, offer_ids=offer_ids)
    out: dict[str, int] = defaultdict(int)
    for key in set(ids):
        for a in uow.allocations.list(request_id=key):
            if a.status in PLEDGING and (offer_ids is None or a.offer_id in offer_ids):
                out[key] += a.quantity
    return dict(out)


def allocation_totals(uow: UnitOfWork, by: str) -> list[AllocationTotal]:
    """Allocation quantities per offer (``by="offer"``) or request, and status; call
    inside the unit of work."""
    if by not in ("offer", "request"):
        raise ValueError(f"by must be offer or request, not {by!r}")
    if isinstance(uow, AllocationTotals):
        return uow.allocation_totals(by)
    sums: dict[tuple[str, AllocationStatus], int] = defaultdict(int)
    for a in uow.allocations.list():
        sums[(a.offer_id if by == "offer" else a.request_id, a.status)] += a.quantity
    return [
        AllocationTotal(key, "", status, q) if by == "offer" else
        AllocationTotal("", key, status, q)
        for (key, status), q in sorted(sums.items())
    ]


def held_by(
    uow: UnitOfWork, by: str, statuses: Collection[AllocationStatus]
) -> dict[str, int]:
    """Quantity per offer or request of the allocations in ``statuses``."""
    if by in ("offer", "request") and isinstance(uow, HeldTotals):
        return uow.held_totals(by, statuses)
    out: dict[str, int] = defaultdict(int)
    for t in allocation_totals(uow, by):
        if t.status in statuses:
            out[t.offer_id if by == "offer" else t.request_id] += t.quantity
    return dict(out)
