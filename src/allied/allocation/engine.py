"""The Python API: pick a solver by name and make a plan.

::

    from allied.allocation import allocate, load_problem
    plan = allocate(load_problem("problem.json"))            # best available exact solver
    plan = allocate(problem, solver="lp", progress=callback)  # a named one
"""

from __future__ import annotations

from collections.abc import Callable

from allied.allocation.flow import FlowSolver
from allied.allocation.greedy import GreedySolver
from allied.allocation.lp import LpSolver
from allied.allocation.model import Plan, Problem, ProgressCallback, no_progress
from allied.allocation.port import NetworkSolver
from allied.domain.errors import InvalidInput

#: Every solver, by name. ``auto`` picks the first available of ``AUTO_ORDER``.
SOLVERS: dict[str, Callable[[], NetworkSolver]] = {
    "flow": FlowSolver,
    "lp": LpSolver,
    "greedy": GreedySolver,
}
AUTO_ORDER = ("flow", "lp", "greedy")
#: What an optimiser run on stored data solves at once, in compatible (request, offer)
#: pairs: up to this many, the whole problem in one solve (as always); beyond, family
#: part by family part, a part larger than this cut to each request's nearest offers
#: (:meth:`allied.allocation.port.NetworkSolver.solve`). It bounds the run's memory
#: (benchmarks/scale/ALLOCATE.md). A problem file is solved whole unless told otherwise.
DEFAULT_MAX_PAIRS = 2_000_000
SOLVER_NAMES = ("auto", *SOLVERS)


def get_solver(name: str = "auto") -> NetworkSolver:
    """The solver called ``name`` (``auto``: network flow, else LP, else greedy)."""
    if name == "auto":
        for candidate in AUTO_ORDER:
            solver = SOLVERS[candidate]()
            if solver.available():
                return solver
    if name not in SOLVERS:
        raise InvalidInput(
            f"unknown solver {name!r}; expected one of {', '.join(SOLVER_NAMES)}", field="solver"
        )
    return SOLVERS[name]()


def available_solvers() -> list[NetworkSolver]:
    """One instance of each solver whose library is installed."""
    return [s for s in (factory() for factory in SOLVERS.values()) if s.available()]


def allocate(
    problem: Problem, *, solver: str = "auto", progress: ProgressCallback = no_progress,
    max_pairs: int | None = None,
) -> Plan:
    """Make a plan for ``problem`` with the named solver; ``max_pairs`` bounds what is
    solved at once (:meth:`NetworkSolver.solve`; ``None``: the whole problem at once)."""
    return get_solver(solver).solve(problem, progress=progress, max_pairs=max_pairs)
