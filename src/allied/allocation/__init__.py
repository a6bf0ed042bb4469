"""The allocation engine: requests x offers -> a plan, with reasons for what stays unfilled.

The problem is a transportation problem (docs/allocation.md). Solvers sit behind one
port (:class:`Solver`): OR-Tools min-cost flow (``flow``, the default), HiGHS LP
(``lp``, the exact reference) and a greedy baseline (``greedy``). This package imports
no database, CLI or settings code and never prints: progress goes through a callback.
"""

from allied.allocation.engine import (
    DEFAULT_MAX_PAIRS,
    SOLVER_NAMES,
    SOLVERS,
    allocate,
    available_solvers,
    get_solver,
)
from allied.allocation.model import (
    AllocationLine,
    ChannelRule,
    ConsentSpec,
    ConsentStatus,
    OfferSpec,
    Options,
    Plan,
    PlanStatus,
    Problem,
    ProgressCallback,
    RequestSpec,
    Unfilled,
)
from allied.allocation.network import Network, build_network
from allied.allocation.parse import load_problem, loads_problem, parse_problem, problem_to_dict
from allied.allocation.plan import plan_to_dict, plan_to_json, write_plan
from allied.allocation.port import NetworkSolver, Solver

__all__ = [
    "DEFAULT_MAX_PAIRS",
    "SOLVERS",
    "SOLVER_NAMES",
    "AllocationLine",
    "ChannelRule",
    "ConsentSpec",
    "ConsentStatus",
    "Network",
    "NetworkSolver",
    "OfferSpec",
    "Options",
    "Plan",
    "PlanStatus",
    "Problem",
    "ProgressCallback",
    "RequestSpec",
    "Solver",
    "Unfilled",
    "allocate",
    "available_solvers",
    "build_network",
    "get_solver",
    "load_problem",
    "loads_problem",
    "parse_problem",
    "plan_to_dict",
    "plan_to_json",
    "problem_to_dict",
    "write_plan",
]
