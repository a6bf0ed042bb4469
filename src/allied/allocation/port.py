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

from allied.allocation.model import Plan, PlanStatus, Problem, ProgressCallback, no_progress
from allied.allocation.network import Block, IntArray, Network, blocks, build_network
from allied.allocation.plan import make_plan
from allied.domain.errors import InvalidInput


@runtime_checkable
class Solver(Protocol):
    """What the rest of ``allied`` relies on."""

    name: str
    exact: bool  # True when the plan is proved optimal (status "optimal")

    def available(self) -> bool:
        """Whether the solver's library can be used in this process."""
        ...

    def solve(self, problem: Problem, *, progress: ProgressCallback = no_progress) -> Plan:
        """Make a feasible plan (optimal when ``exact``), with reasons for what stays unfilled."""
        ...


class NetworkSolver(ABC):
    """Shared machinery: build the pairs, assign quantities, make the plan."""

    name: ClassVar[str]
    exact: ClassVar[bool]
    requirement: ClassVar[str] = ""  # what to install when not available

    def available(self) -> bool:
        return True

    def solve(self, problem: Problem, *, progress: ProgressCallback = no_progress) -> Plan:
        self._check_available()
        net = build_network(problem, progress)
        return self.solve_network(net, progress=progress)

    def solve_network(self, net: Network, *, progress: ProgressCallback = no_progress) -> Plan:
        """Solve an already built network (lets a caller compare solvers on one build)."""
        self._check_available()
        x = self.assign(net, progress)
        status = PlanStatus.OPTIMAL if self.exact else PlanStatus.HEURISTIC
        return make_plan(net, x, status=status, solver=self.name, progress=progress)

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
