"""``allocate`` from the database in bounded memory: pairs, time, peak memory and plan
quality for one setting of ``max_pairs`` / ``grace_days`` (benchmarks/scale/ALLOCATE.md).

One run per process (the peak memory is the process's)::

    ALLIED_DATABASE_URL=URL python benchmarks/scale/allocate_bounded.py --as-of 2031-12-31 \\
        [--max-pairs N | --whole] [--grace-days D] [--plan-out FILE] [--copies C]

``--copies C`` solves a stand-in for a larger store: C copies of the problem read from
the store (ids suffixed, each date moved by up to 15 days either way, seeded), so that
C = 7 on the scale-0.15 store is about the decade's 20,000 requests and 200,000 offers.

It prints one JSON object: the problem's open requests and offers, its compatible pairs
(in all and in its largest family part), the same once interchangeable offers are merged
(``allied.allocation.merge``: what the solver counts against ``--max-pairs``), the
plan's status, objective, units allocated and unfilled (and of those allocated, the units
on time), a digest of the plan file (to compare plans), seconds (building the problem
from the store, solving), the process's CPU seconds and its peak resident memory. Nothing
is written to the store (a dry run).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import resource
import time
from collections.abc import Sequence

import numpy as np

from allied.allocation import DEFAULT_MAX_PAIRS, Problem, allocate, plan_to_json
from allied.allocation.merge import merge_offers
from allied.allocation.network import compatible_pairs, family_groups
from allied.bootstrap import build
from allied.service.allocations import build_problem


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _copies(problem: Problem, copies: int) -> Problem:
    rng = np.random.default_rng(7)
    day = dt.timedelta(days=1)
    reqs, offs = [], []
    for c in range(copies):
        for r in problem.requests:
            reqs.append(dataclasses.replace(
                r, id=f"{r.id}-{c}", needed_by=r.needed_by + int(rng.integers(-15, 16)) * day))
        for o in problem.offers:
            offs.append(dataclasses.replace(
                o, id=f"{o.id}-{c}",
                available_from=o.available_from + int(rng.integers(-15, 16)) * day))
    return dataclasses.replace(
        problem, requests=tuple(sorted(reqs, key=lambda r: r.id)),
        offers=tuple(sorted(offs, key=lambda o: o.id)),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--as-of", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--max-pairs", type=int, default=DEFAULT_MAX_PAIRS)
    parser.add_argument("--whole", action="store_true", help="no bound (today's solve)")
    parser.add_argument("--grace-days", type=int, default=None)
    parser.add_argument("--solver", default="auto")
    parser.add_argument("--plan-out", default=None, help="write the plan file here")
    parser.add_argument("--copies", type=int, default=1, help="solve C jittered copies")
    args = parser.parse_args(argv)
    store = build(migrate=False)
    try:
        began = time.perf_counter()
        uow = store.read_uow()
        with uow:
            problem = build_problem(uow, args.as_of, grace_days=args.grace_days)
        if args.copies > 1:
            problem = _copies(problem, args.copies)
        built = time.perf_counter() - began
        parts = family_groups(problem)
        pairs = compatible_pairs(problem)
        largest = max((compatible_pairs(p) for p in parts), default=0)
        del parts
        merged, _ = merge_offers(problem)  # what the solver counts against the bound
        merged_parts = family_groups(merged)
        merged_pairs = compatible_pairs(merged)
        merged_largest = max((compatible_pairs(p) for p in merged_parts), default=0)
        n_merged = len(merged.offers)
        del merged, merged_parts
        began = time.perf_counter()
        plan = allocate(problem, solver=args.solver,
                        max_pairs=None if args.whole else args.max_pairs)
        solved = time.perf_counter() - began
    finally:
        store.close()
    text = plan_to_json(plan)
    if args.plan_out:
        with open(args.plan_out, "w", encoding="utf-8") as fh:
            fh.write(text)
    print(json.dumps({
        "as_of": args.as_of.isoformat(), "grace_days": args.grace_days, "copies": args.copies,
        "max_pairs": None if args.whole else args.max_pairs,
        "requests": len(problem.requests), "offers": len(problem.offers),
        "compatible_pairs": pairs, "largest_part_pairs": largest,
        "merged_offers": n_merged, "merged_pairs": merged_pairs,
        "merged_largest_part_pairs": merged_largest,
        "status": plan.status.value, "objective": plan.objective,
        "allocations": len(plan.allocations), "allocated_units": plan.allocated_units,
        "on_time_units": sum(a.quantity for a in plan.allocations if a.late_days == 0),
        "unfilled_units": plan.unfilled_units,
        "plan_sha256": hashlib.sha256(text.encode()).hexdigest()[:16],
        "seconds_problem": round(built, 2), "seconds_solve": round(solved, 2),
        "cpu_seconds": round(time.process_time(), 1), "peak_mib": _peak_mib(),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
