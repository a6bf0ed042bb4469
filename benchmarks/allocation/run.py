"""Allocation benchmark: ``allied allocate`` against the same model in PuLP with CBC.

    .venv/bin/pip install -e ".[bench]"                                  # PuLP (bundles CBC)
    .venv/bin/python benchmarks/allocation/run.py --sizes s m l --repeat 3   # about a minute
    .venv/bin/python benchmarks/allocation/run.py --sizes xl                 # 1-2 minutes
    .venv/bin/python benchmarks/allocation/run.py --phases FILE --whole-lp   # where time goes

For each size it generates the seeded problem file (``generate.py``), then runs, one
after the other, each in a fresh process (so that times include start-up, imports,
parsing, building, solving and writing the plan file, and peak memory is per run):

- ``allied allocate --problem FILE --out PLAN --solver flow`` (the default solver),
  then ``--solver lp`` and ``--solver greedy``;
- the same model in PuLP (``--pulp FILE PLAN``, below): the file parsed by allied's own
  parser and the feasible pairs and weights computed by allied's network builder (both
  fast, and the same for every run), then one PuLP variable per feasible pair, one
  constraint per offer and per request, CBC, and the plan file written.

It prints one Markdown table row per run: wall seconds, peak resident memory, the
objective, the time as a multiple of the flow solver's, and the objective as a fraction
of the flow optimum (the greedy baseline's is the interesting one). PuLP gets continuous
variables, the fastest correct form of this model (the LP optimum is integral,
docs/allocation.md); its plan's objective is checked against the flow optimum.

Peak memory is ``ru_maxrss`` of the measured process; for PuLP, the Python process and
the CBC process it starts are measured separately and added (the model stays in Python
while CBC runs), which slightly overstates their simultaneous peak.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import SIZES, generate  # noqa: E402

ALLIED_SOLVERS = ("flow", "lp", "greedy")


def measure(cmd: list[str], timeout: float | None) -> tuple[float, int, str]:
    """Run ``cmd``; return wall seconds, its peak RSS in KiB, and its stdout."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
        deadline = None if timeout is None else started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise TimeoutError(f"{' '.join(cmd)} took more than {timeout} s")
            time.sleep(0.01)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err}")
        out.seek(0)
        return seconds, int(usage.ru_maxrss), out.read().decode()


def allied_run(problem: Path, plan: Path, solver: str, timeout: float | None) -> dict[str, Any]:
    allied = Path(sys.executable).with_name("allied")
    cmd = [str(allied), "allocate", "--problem", str(problem), "--out", str(plan),
           "--solver", solver, "--format", "json"]
    seconds, peak_kb, stdout = measure(cmd, timeout)
    summary = json.loads(stdout)[0]
    return {"run": f"allied {solver}", "seconds": seconds, "peak_mb": peak_kb / 1024,
            "objective": summary["objective"], "status": summary["status"],
            "command": " ".join(["allied", *cmd[1:-2]])}


def pulp_run(problem: Path, plan: Path, timeout: float | None) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--pulp", str(problem), str(plan)]
    seconds, peak_kb, stdout = measure(cmd, timeout)
    child = json.loads(stdout)
    return {"run": "PuLP + CBC", "seconds": seconds,
            "peak_mb": (max(peak_kb, child["python_kb"]) + child["cbc_kb"]) / 1024,
            "objective": child["objective"], "status": child["status"],
            "command": f"python benchmarks/allocation/run.py --pulp {problem} {plan}"}


def best_of(repeat: int, run: Any, *args: Any) -> dict[str, Any]:
    """Run ``repeat`` times, one after the other; keep the median time and the largest peak
    memory (the machine is shared, so single timings are noisy)."""
    results = [run(*args) for _ in range(max(repeat, 1))]
    results.sort(key=lambda r: r["seconds"])
    chosen = dict(results[len(results) // 2])
    chosen["peak_mb"] = max(r["peak_mb"] for r in results)
    return chosen


def pulp_child(problem_path: Path, plan_path: Path) -> None:
    """The same model in PuLP: parse and build with allied, model and solve with PuLP/CBC."""
    import numpy as np
    import pulp

    from allied.allocation import build_network, load_problem

    net = build_network(load_problem(problem_path))
    model = pulp.LpProblem("allocation", pulp.LpMaximize)
    upper = np.minimum(net.off_qty[net.pair_off], net.req_qty[net.pair_req]).tolist()
    # PuLP >= 3.3 creates variables through the model (the older way is deprecated)
    new_var = getattr(model, "add_variable", None) or pulp.LpVariable
    xs = [new_var(f"x{e}", lowBound=0, upBound=u) for e, u in enumerate(upper)]
    model += pulp.LpAffineExpression(zip(xs, net.weight.tolist(), strict=True))
    for owner, qty, name in ((net.pair_off, net.off_qty, "o"), (net.pair_req, net.req_qty, "r")):
        order = np.argsort(owner, kind="stable")
        bounds = np.flatnonzero(np.diff(owner[order])) + 1
        for group in np.split(order, bounds):
            if group.size:
                idx = int(owner[group[0]])
                model += (
                    pulp.LpAffineExpression([(xs[e], 1) for e in group.tolist()])
                    <= int(qty[idx]),
                    f"{name}{idx}",
                )
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    status = pulp.LpStatus[model.status]
    values = np.rint([x.varValue or 0.0 for x in xs]).astype(np.int64)
    nz = np.flatnonzero(values)
    requests, offers = net.problem.requests, net.problem.offers
    allocations = sorted(
        (requests[r].id, offers[o].id, int(q))
        for r, o, q in zip(net.pair_req[nz].tolist(), net.pair_off[nz].tolist(),
                           values[nz].tolist(), strict=True)
    )
    objective = float(np.dot(net.weight[nz], values[nz]))
    plan_path.write_text(json.dumps({
        "status": status.lower(), "objective": objective,
        "allocations": [{"offer": o, "request": r, "quantity": q} for r, o, q in allocations],
    }, indent=2) + "\n", encoding="utf-8")
    json.dump({
        "status": status.lower(), "objective": objective,
        "python_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "cbc_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }, sys.stdout)


def phases(problem: Path, whole_lp: bool) -> None:
    """In one process: seconds per phase, each exact solver on the same network, and
    (``whole_lp``) HiGHS on the whole LP at once, without splitting into components."""
    from allied.allocation import build_network, load_problem, plan_to_json
    from allied.allocation.flow import FlowSolver
    from allied.allocation.lp import LpSolver, relaxation
    from allied.allocation.network import blocks

    def timed(label: str, fn: Any, *args: Any) -> Any:
        started = time.perf_counter()
        out = fn(*args)
        print(f"| {problem.stem} | {label} | {time.perf_counter() - started:.2f} |", flush=True)
        return out

    print("| problem | phase | seconds |\n|---|---|---:|")
    spec = timed("parse", load_problem, problem)
    net = timed("build feasible pairs and weights", build_network, spec)
    parts = timed("split into components", blocks, net)
    largest = max((b.pairs.size for b in parts), default=0)
    print(f"| {problem.stem} | {net.n_pairs:,} pairs in {len(parts)} blocks, "
          f"largest {largest:,} | |")
    plans = [timed(f"solve + explain: {s.name}", s.solve_network, net)
             for s in (FlowSolver(), LpSolver())]
    timed("write plan JSON", plan_to_json, plans[0])
    if whole_lp:
        timed("HiGHS on the whole LP, no components", relaxation, net)


def pairs_of(problem: Path) -> tuple[int, int, int]:
    from allied.allocation import build_network, load_problem

    net = build_network(load_problem(problem))
    return net.n_requests, net.n_offers, net.n_pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["s", "m"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-pulp", action="store_true", help="skip PuLP/CBC")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each measurement; the median time is reported")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for problem and plan files (default: a temporary one)")
    parser.add_argument("--phases", type=Path, metavar="PROBLEM",
                        help="instead: time each phase in one process on a problem file")
    parser.add_argument("--whole-lp", action="store_true",
                        help="with --phases: also solve the whole LP at once with HiGHS")
    parser.add_argument("--pulp", nargs=2, type=Path, metavar=("PROBLEM", "PLAN"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pulp:
        pulp_child(*args.pulp)
        return 0
    if args.phases:
        phases(args.phases, args.whole_lp)
        return 0

    work = args.work or Path(tempfile.mkdtemp(prefix="allied-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, seed {args.seed}, median of {args.repeat}, "
          f"files in {work}")
    print("| size | requests | offers | feasible pairs | run | seconds | peak MB | "
          "objective | time / flow | objective / optimum |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        problem = work / f"{size}-seed{args.seed}.json"
        problem.write_text(json.dumps(generate(SIZES[size], args.seed), indent=1) + "\n",
                           encoding="utf-8")
        n_req, n_off, n_pairs = pairs_of(problem)
        runs = [
            best_of(args.repeat, allied_run, problem, work / f"{size}.{s}.plan.json", s,
                    args.timeout)
            for s in ALLIED_SOLVERS
        ]
        if not args.no_pulp:
            runs.append(best_of(args.repeat, pulp_run, problem, work / f"{size}.pulp.plan.json",
                                args.timeout))
        flow = runs[0]
        for run in runs:
            print(f"| {size} | {n_req:,} | {n_off:,} | {n_pairs:,} | {run['run']} | "
                  f"{run['seconds']:.2f} | {run['peak_mb']:.0f} | {run['objective']:.6f} | "
                  f"{run['seconds'] / flow['seconds']:.1f} | "
                  f"{run['objective'] / flow['objective']:.6f} |", flush=True)
        for run in runs:
            print(f"  {size} {run['run']}: {run['status']}; {run['command']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
