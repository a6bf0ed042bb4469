"""The exact LP path: the transportation problem solved by HiGHS (``highspy``) simplex.

Variables are the feasible pairs' quantities ``x_e`` in ``[0, min(q_o, q_r)]``; one row
per offer (sum over its pairs <= its quantity) and one per request (likewise). The
constraint matrix is the incidence matrix of a bipartite graph, which is totally
unimodular, and the right-hand sides are integers, so every vertex of the polytope is
integral and the simplex optimum (a vertex) needs no integer variables: see
docs/allocation.md. :func:`relaxation` returns the raw LP values so that a test can check
exactly that; :class:`LpSolver` rounds them after checking they are integral.

This is the reference solver, and the place for side constraints to come (hub capacity
per period, package completeness), which would break the pure network structure.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from allied.allocation.network import Block, IntArray, Network, max_total_flow
from allied.allocation.port import BlockSolver

#: A value counts as integral when within this of an integer (plus 1e-9 of its size).
INTEGRALITY_TOLERANCE = 1e-6
#: HiGHS' dual feasibility tolerance, on costs scaled so that each block's largest is 1
#: (the smallest HiGHS accepts; its default, 1e-7, would ignore a pair 23 half-lives late).
DUAL_TOLERANCE = 1e-10


def _highspy() -> Any:
    return importlib.import_module("highspy")


def _quiet_highs(highspy: Any) -> Any:
    """A HiGHS instance that prints nothing on the console.

    Since highspy 1.16 the Python class ``Highs`` enables its callbacks in its
    constructor, and that first call writes HiGHS' banner ("Running HiGHS ...") to the
    process's standard output before any option can be set, which broke
    ``allied allocate --format json``. The compiled base class (``_Highs``, exported by
    the package; it has every method used here) is built without that call, so
    ``output_flag`` is off before HiGHS writes anything. Older highspy versions, whose
    ``Highs`` prints nothing at construction, have no ``_Highs`` and use ``Highs``.
    """
    h = getattr(highspy, "_Highs", highspy.Highs)()
    h.setOptionValue("output_flag", False)
    return h


def relaxation(net: Network, block: Block | None = None) -> NDArray[np.float64]:
    """Solve the LP relaxation with HiGHS' simplex: the raw (floating) optimal values
    of ``block.pairs`` (default: of every pair, as one LP)."""
    if block is None:
        pairs = np.arange(net.n_pairs, dtype=np.int64)
        offers, local_off = np.unique(net.pair_off, return_inverse=True)
        requests, local_req = np.unique(net.pair_req, return_inverse=True)
        block = Block(
            pairs, offers, requests, local_off.astype(np.int64), local_req.astype(np.int64)
        )
    n_pairs, n_off = int(block.pairs.size), int(block.offers.size)
    if n_pairs == 0:
        return np.zeros(0, dtype=np.float64)
    off_qty = net.off_qty[block.offers]
    req_qty = net.req_qty[block.requests]
    highspy = _highspy()
    h = _quiet_highs(highspy)
    h.setOptionValue("solver", "simplex")
    # Serial dual simplex (the default strategy) is deterministic. The thread count is
    # deliberately left alone: since HiGHS 1.16 the scheduler is shared by the process and
    # setting "threads" after it started makes run() fail with status "Not Set".
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("dual_feasibility_tolerance", DUAL_TOLERANCE)
    lp = highspy.HighsLp()
    lp.num_col_ = n_pairs
    lp.num_row_ = n_off + int(block.requests.size)
    lp.sense_ = highspy.ObjSense.kMaximize
    cost = net.weight[block.pairs]
    lp.col_cost_ = cost / max(float(cost.max()), 1e-300)  # scale: the largest cost is 1
    lp.col_lower_ = np.zeros(n_pairs, dtype=np.float64)
    lp.col_upper_ = np.minimum(off_qty[block.local_off], req_qty[block.local_req]).astype(
        np.float64
    )
    lp.row_lower_ = np.zeros(lp.num_row_, dtype=np.float64)
    lp.row_upper_ = np.concatenate((off_qty, req_qty)).astype(np.float64)
    rows = np.empty(2 * n_pairs, dtype=np.int32)
    rows[0::2] = block.local_off
    rows[1::2] = n_off + block.local_req
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * n_pairs + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = rows
    lp.a_matrix_.value_ = np.ones(2 * n_pairs, dtype=np.float64)
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(
            f"HiGHS did not solve the allocation LP: {h.modelStatusToString(status)}"
        )
    return np.asarray(h.getSolution().col_value, dtype=np.float64)


def error_bound(net: Network) -> float:
    """How far below the true optimum the LP solver's objective can be: ``2 tol w_max U``.

    At the end of the simplex every reduced cost is within ``tol`` (:data:`DUAL_TOLERANCE`,
    on costs divided by the largest weight ``w_max``) of dual feasibility, so the plan is
    optimal for costs perturbed by at most ``tol w_max`` each; over at most ``U`` units
    in the plan and ``U`` in the optimum (:func:`~allied.allocation.network.max_total_flow`)
    that loses at most ``2 tol w_max U``. For the benchmark's largest size, about 2e-4.
    """
    if net.n_pairs == 0:
        return 0.0
    return 2.0 * DUAL_TOLERANCE * float(net.weight.max()) * max_total_flow(net)


def integral(values: NDArray[np.float64]) -> IntArray:
    """Round LP values that are integral (within tolerance); raise if any is not."""
    rounded = np.rint(values)
    off = np.abs(values - rounded) > INTEGRALITY_TOLERANCE + 1e-9 * np.abs(values)
    if off.any():
        bad = int(np.flatnonzero(off)[0])
        raise RuntimeError(f"LP optimum is not integral at pair {bad}: {values[bad]!r}")
    return np.maximum(rounded, 0).astype(np.int64)


class LpSolver(BlockSolver):
    name = "lp"
    exact = True
    requirement = "install highspy"

    def available(self) -> bool:
        try:
            _highspy()
        except ImportError:
            return False
        return True

    def block_solver(self, net: Network) -> Callable[[Block], IntArray]:
        return lambda block: integral(relaxation(net, block))
