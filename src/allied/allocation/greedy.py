"""The greedy baseline: pairs by weight, highest first, each filled as far as it goes.

Ties break by request id, then offer id, so the plan is deterministic. It is fast and
simple, and it is what a spreadsheet does; the benchmark reports its objective as a
fraction of the optimum. It is not optimal: a high-weight request can take the only
offer that a slightly lower-weight request could use, while it had other offers.
"""

from __future__ import annotations

import numpy as np

from allied.allocation.model import ProgressCallback, no_progress
from allied.allocation.network import IntArray, Network
from allied.allocation.plan import greedy_fill
from allied.allocation.port import NetworkSolver


class GreedySolver(NetworkSolver):
    name = "greedy"
    exact = False

    def assign(self, net: Network, progress: ProgressCallback = no_progress) -> IntArray:
        progress("solve", 0, 1)
        x = greedy_fill(net, np.zeros(net.n_pairs, dtype=np.int64))
        progress("solve", 1, 1)
        return x
