"""The network-flow solver: OR-Tools' min-cost flow on the transportation network.

Nodes: one per offer (supply = its quantity), one per request, and one sink ``T`` (demand
= total supply). Arcs: offer -> request for each feasible pair (capacity
``min(q_o, q_r)``, cost ``-c_e``), request -> T (capacity ``q_r``, cost 0) and
offer -> T (capacity ``q_o``, cost 0: supply left unused). A minimum-cost flow is a
maximum-weight allocation.

OR-Tools needs integer costs, so weights are scaled: ``c_e = round(S * w_e)`` with ``S``
a power of two. Rounding moves each cost by at most 1/2, so for the flow optimum ``x^``
and the true optimum ``x*``::

    W(x^) >= W(x*) - (sum(x*) + sum(x^)) / (2 S) >= W(x*) - U / S

where ``U = min(total supply, total demand)`` over offers and requests that have a
feasible pair (every feasible allocation moves at most ``U`` units). :func:`error_bound`
gives ``U / S``; the plan is then topped up greedily, which can only add weight. ``S`` is
the largest power of two (at most 2**40) that keeps every cost, the cost range times the
number of nodes and every total within int64; for the benchmark's largest size the bound
is about 1e-4 on an objective of about 10^4. See docs/allocation.md.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from allied.allocation.network import Block, IntArray, Network, max_total_flow
from allied.allocation.port import BlockSolver

#: Largest scale used: beyond it the bound is already negligible and the solver slower.
MAX_SCALE_EXPONENT = 40
_INT64_HEADROOM = 2**62


def _min_cost_flow() -> Any:
    return importlib.import_module("ortools.graph.python.min_cost_flow")


def scale_exponent(net: Network) -> int:
    """``log2(S)``: the largest that keeps OR-Tools' integer arithmetic within int64."""
    n_nodes = net.n_offers + net.n_requests + 1
    w_max = float(net.weight.max()) if net.n_pairs else 1.0
    total_priority = sum(r.priority for r in net.problem.requests)
    u = max_total_flow(net)
    cap = min(
        _INT64_HEADROOM / ((n_nodes + 2) * max(w_max, 1e-300)),  # cost range x nodes
        2.0**52 / max(w_max, 1e-300),  # S * w exact enough in a double
        (_INT64_HEADROOM - u) / (total_priority + 1),  # total cost (sum_o x w <= priority)
    )
    if cap < 1:
        raise RuntimeError("allocation problem too large to scale into integer costs")
    return min(MAX_SCALE_EXPONENT, math.floor(math.log2(cap)))


def error_bound(net: Network, exponent: int | None = None) -> float:
    """``U / S``: how far below the true optimum the flow solver's objective can be."""
    k = scale_exponent(net) if exponent is None else exponent
    return max_total_flow(net) / 2.0**k


def scaled_costs(net: Network, exponent: int) -> IntArray:
    """``round(S * w_e)`` for every pair, with ``S = 2**exponent``."""
    return np.rint(np.ldexp(net.weight, exponent)).astype(np.int64)


class FlowSolver(BlockSolver):
    name = "flow"
    exact = True
    requirement = "install ortools (>=9.10,<9.12 beside highspy)"

    def __init__(self, exponent: int | None = None) -> None:
        self.exponent = exponent

    def available(self) -> bool:
        try:
            _min_cost_flow()
        except ImportError:
            return False
        return True

    def block_solver(self, net: Network) -> Callable[[Block], IntArray]:
        exponent = scale_exponent(net) if self.exponent is None else self.exponent
        costs = scaled_costs(net, exponent)
        return lambda block: _solve_block(net, block, costs)


def _solve_block(net: Network, block: Block, costs: IntArray) -> IntArray:
    mcf = _min_cost_flow()
    n_off, n_req = int(block.offers.size), int(block.requests.size)
    off_qty = net.off_qty[block.offers]
    req_qty = net.req_qty[block.requests]
    sink = n_off + n_req
    smcf = mcf.SimpleMinCostFlow()
    pair_arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        block.local_off.astype(np.int32),
        (n_off + block.local_req).astype(np.int32),
        np.minimum(off_qty[block.local_off], req_qty[block.local_req]),
        -costs[block.pairs],
    )
    smcf.add_arcs_with_capacity_and_unit_cost(
        np.arange(n_off, dtype=np.int32), np.full(n_off, sink, dtype=np.int32), off_qty,
        np.zeros(n_off, dtype=np.int64),
    )
    smcf.add_arcs_with_capacity_and_unit_cost(
        np.arange(n_off, sink, dtype=np.int32), np.full(n_req, sink, dtype=np.int32), req_qty,
        np.zeros(n_req, dtype=np.int64),
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_off] = off_qty
    supplies[sink] = -int(off_qty.sum())
    smcf.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"OR-Tools min-cost flow did not solve the allocation: {status}")
    return np.asarray(smcf.flows(pair_arcs), dtype=np.int64)
