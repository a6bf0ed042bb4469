"""Ways through the allocation lifecycle, for tests that walk an allocation along it. A
plain module, not a conftest (see ``callers.py``)."""

from __future__ import annotations

from allied.domain.assistance import TRANSITIONS, AllocationStatus


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
