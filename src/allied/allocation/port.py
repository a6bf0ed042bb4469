"""The solver port: every solver takes a :class:`Problem` and returns a :class:`Plan`.

Adapters (HiGHS LP, OR-Tools min-cost flow, greedy) derive from :class:`NetworkSolver`,
which builds the feasible pairs once (:mod:`allied.allocation.network`), asks the
subclass for one integer quantity per pair, and turns that into a plan with reasons
(:mod:`allied.allocation.plan`). A solver whose library is missing says so through
``available()``; asking it to solve anyway raises :class:`InvalidInput` naming it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np

from allied.allocation.merge import Members, merge_offers
from allied.allocation.model import Plan, PlanStatus, Problem, ProgressCallback, no_progress
from allied.allocation.network import (
    Block,
    IntArray,
    Network,
    blocks,
    build_network,
    compatible_pairs,
    family_groups,
    window_for,
)
from allied.allocation.plan import PlanPart, make_plan, merge_parts, plan_part
from allied.domain.errors import InvalidInput


@runtime_checkable
class Solver(Protocol):
    """What the rest of ``allied`` relies on."""

    name: str
    exact: bool  # True when the plan is proved optimal (status "optimal")

    def available(self) -> bool:
        """Whether the solver's library can be used in this process."""
        ...

    def solve(
        self, problem: Problem, *, progress: ProgressCallback = no_progress,
        max_pairs: int | None = None,
    ) -> Plan:
        """Make a feasible plan (optimal when ``exact``), with reasons for what stays
        unfilled; ``max_pairs`` bounds what is solved at once (see :class:`NetworkSolver`)."""
        ...


class NetworkSolver(ABC):
    """Shared machinery: build the pairs, assign quantities, make the plan."""

    name: ClassVar[str]
    exact: ClassVar[bool]
    requirement: ClassVar[str] = ""  # what to install when not available

    def available(self) -> bool:
        return True

    def solve(
        self, problem: Problem, *, progress: ProgressCallback = no_progress,
        max_pairs: int | None = None,
    ) -> Plan:
        """The plan of ``problem``. ``max_pairs`` bounds how many pairs are built and
        solved at once (and so the memory a run takes): a problem with at most that many
        compatible pairs is solved whole, exactly as without it. A larger one is solved
        family part by family part (:func:`family_groups`), one part's arrays alive at a
        time; a part with at most ``max_pairs`` compatible pairs is solved whole, a larger
        one is cut: each of its requests considers only its ``K`` nearest feasible offers
        of each family it accepts (``build_network(window=K)``), ``K`` the largest that
        keeps the part within ``max_pairs`` (:func:`window_for`; at least 1). A plan with
        a cut part is ``heuristic``: optimal within its candidates, not proved optimal;
        by parts without a cut it is optimal (the parts share no offer or request), though
        among equally good plans it may pick other offers than the whole solve.

        Offers that every request sees alike are solved as one and the plan split back
        over them (:func:`allied.allocation.merge.merge_offers`): exact. The pairs counted
        against ``max_pairs`` are those of the merged problem (or part); a part still over
        the bound once merged is cut as before, without merging (the cut's windows are
        chosen among offers, and on a decade's stand-in the cut of the merged part kept
        less of the optimum: benchmarks/scale/ALLOCATE.md)."""
        self._check_available()
        if max_pairs is not None and max_pairs < 1:
            raise InvalidInput(f"must be at least 1, got {max_pairs}", field="max_pairs")
        merged, members = merge_offers(problem)
        if max_pairs is None or compatible_pairs(merged) <= max_pairs:
            net = build_network(merged, progress)
            return self.solve_network(net, progress=progress, members=members)
        del merged, members
        return self._solve_in_parts(problem, max_pairs, progress)

    def _solve_in_parts(self, problem: Problem, max_pairs: int, progress: ProgressCallback) -> Plan:
        parts = family_groups(problem)
        plans: list[PlanPart] = []
        cut = False
        progress("solve", 0, len(parts))
        for done, whole in enumerate(parts, start=1):
            part, members = merge_offers(whole)
            window = None
            if compatible_pairs(part) > max_pairs:
                part, members = whole, None  # cut among the offers themselves
                window = window_for(part, max_pairs)
                cut = True
            net = build_network(part, window=window)
            plans.append(plan_part(net, self.assign(net), members=members))
            del net, part, members
            progress("solve", done, len(parts))
        status = PlanStatus.OPTIMAL if self.exact and not cut else PlanStatus.HEURISTIC
        return merge_parts(plans, status=status, solver=self.name)

    def solve_network(
        self, net: Network, *, progress: ProgressCallback = no_progress,
        members: Members | None = None,
    ) -> Plan:
        """Solve an already built network (lets a caller compare solvers on one build);
        ``members``: the offers each merged offer of ``net`` stands for
        (:func:`allied.allocation.merge.merge_offers`), its lines split back over them."""
        self._check_available()
        x = self.assign(net, progress)
        status = PlanStatus.OPTIMAL if self.exact else PlanStatus.HEURISTIC
        return make_plan(net, x, status=status, solver=self.name, progress=progress,
                         members=members)

    @abstractmethod
    def assign(self, net: Network, progress: ProgressCallback = no_progress) -> IntArray:
        """One non-negative integer quantity per feasible pair of ``net``.

        Reports ``progress("solve", done, total)``, ending with ``done == total``.
        """

    def _check_available(self) -> None:
        if not self.available():
            raise InvalidInput(
                f"solver {self.name!r} is not available here ({self.requirement})",
                field="solver",
            )


class BlockSolver(NetworkSolver):
    """An exact solver that solves each independent block (connected components,
    small ones batched) on its own: exact, since blocks share no offer or request."""

    def assign(self, net: Network, progress: ProgressCallback = no_progress) -> IntArray:
        x = np.zeros(net.n_pairs, dtype=np.int64)
        total = max(net.n_pairs, 1)
        progress("solve", 0, total)
        done = 0
        solve_block = self.block_solver(net)
        for block in blocks(net):
            x[block.pairs] = solve_block(block)
            done += int(block.pairs.size)
            progress("solve", done, total)
        progress("solve", total, total)
        return x

    @abstractmethod
    def block_solver(self, net: Network) -> Callable[[Block], IntArray]:
        """A function giving integer quantities for ``block.pairs``, optimal within it."""
