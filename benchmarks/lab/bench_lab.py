"""Benchmarks of the alliance lab (figures written down in README.md beside this file).

    .venv/bin/python benchmarks/lab/bench_lab.py            # everything (about a minute)
    .venv/bin/python benchmarks/lab/bench_lab.py --quick    # smaller sizes

1. 100,000 replications of a 36-month scenario over the modelled actors
   (natoization-2024, NATO-consensus channel: monthly pledges, pauses, stocks,
   production and a consensus decision per month), 1 and 2 worker processes; peak memory.
2. The same model in Mesa, side by side, per replication; the ratio.
3. The vectorised rule kernel against a plain-Python loop over domain.rules.evaluate.
4. How time grows with runs and with actors (the actor table tiled 1x, 2x, 4x).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from allied.domain.rules import Position, Rule, evaluate
from allied.lab import engine
from allied.lab import rules as vr
from allied.lab import scenario as sc
from allied.lab.actors import ActorTable, load_actors
from allied.lab.model import aid, build_world


def scenario_raw() -> dict[str, object]:
    raw, _ = sc.load_raw("natoization-2024")
    base = {k: v for k, v in raw.items() if k != "variants"}
    return sc.apply_overrides(base, {"aid.channel": "consensus"})


def timed(fn, repeat: int = 1, clock=time.process_time) -> float:  # type: ignore[no-untyped-def]
    """Best of ``repeat``. Single-process figures use the process's CPU time, which other
    engineers' jobs on this shared machine disturb far less than wall time."""
    best = float("inf")
    for _ in range(repeat):
        t = clock()
        fn()
        best = min(best, clock() - t)
    return best


def bench_engine(runs: int) -> None:
    raw = scenario_raw()
    engine.run(raw, runs=engine.CHUNK, seed=0)  # warm up (imports, data)
    for workers in (1, 2):
        t = timed(
            lambda w=workers: engine.run(raw, runs=runs, seed=1, workers=w),
            clock=time.perf_counter,
        )
        print(
            f"engine  runs={runs:>7} workers={workers} actors={load_actors().n}  wall "
            f"{t:6.2f} s  {runs / t:10.0f} replications/s"
        )
    tracemalloc.start()
    engine.run(raw, runs=runs, seed=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"engine  runs={runs:>7} peak traced memory {peak / 2**20:.0f} MiB "
        f"(chunks of {engine.CHUNK})"
    )


def bench_mesa(replications: int) -> None:
    import mesa_model

    raw = scenario_raw()
    # best of three for both, interleaved, so that load from other processes on a
    # shared machine weighs on both alike
    runs = 20_000
    t_mesa = t_np = float("inf")
    for _ in range(3):
        t_mesa = min(t_mesa, timed(lambda: mesa_model.run(raw, replications, seed=1)))
        t_np = min(t_np, timed(lambda: engine.run(raw, runs=runs, seed=1)))
    per_mesa = t_mesa / replications
    per_np = t_np / runs
    res = mesa_model.run(raw, 200, seed=1)
    mean_mesa = np.mean([r["delivered_usd_bn"] for r in res])
    ours = engine.run(raw, runs=200, seed=1).summary["variants"]["base"]["aid"]
    print(
        f"mesa    (CPU time) {replications} replications {t_mesa:6.2f} s  "
        f"{per_mesa * 1e3:8.2f} ms/replication"
    )
    print(
        f"numpy   (CPU time) {runs} replications {t_np:6.2f} s  "
        f"{per_np * 1e3:8.4f} ms/replication (1 process)"
    )
    print(f"ratio   numpy is {per_mesa / per_np:,.0f} times faster per replication")
    print(
        f"check   mean delivered (USD bn, 200 runs): mesa {mean_mesa:.1f}  numpy "
        f"{ours['delivered_usd_bn']['mean']:.1f}"
    )


def bench_rules(n: int) -> None:
    rng = np.random.default_rng(0)
    actors = [f"S{i:02d}" for i in range(27)]
    pop = {a: int(p) for a, p in zip(actors, rng.integers(400_000, 84_000_000, 27), strict=True)}
    pop_arr = np.array([pop[a] for a in actors], dtype=np.int64)
    pos = rng.choice(np.array([0, 1, 1, 1, 2, 3], dtype=np.int8), size=(n, 27))
    part = np.ones(27, dtype=bool)
    codes = {0: Position.SILENT, 1: Position.YES, 2: Position.NO, 3: Position.ABSTAIN}
    for rule in (Rule.QMV, Rule.UNANIMITY):
        t_vec = timed(lambda r=rule: vr.adopted(r, pos, part, pop_arr), repeat=3)
        m = max(n // 20, 1)
        rows = [dict(zip(actors, (codes[int(x)] for x in pos[i]), strict=True)) for i in range(m)]
        t_py = timed(
            lambda r=rule, rs=rows: [evaluate(r, actors, row, population=pop) for row in rs]
        )
        per_vec, per_py = t_vec / n, t_py / m
        print(
            f"rules   {rule.value:<10} vectorised {1 / per_vec:12,.0f} decisions/s   "
            f"python loop {1 / per_py:10,.0f} decisions/s   ratio {per_py / per_vec:,.0f}x"
        )


def tiled(actors: ActorTable, k: int) -> ActorTable:
    """The actor table repeated k times (copies named USA1, USA2, ... with the same
    parameters and memberships), to see how time grows with the number of actors."""

    def name(code: str, j: int) -> str:
        return code if j == 0 else f"{code}{j}"

    fields = {f.name: getattr(actors, f.name) for f in dataclasses.fields(actors)}
    out = {n: (np.tile(v, k) if isinstance(v, np.ndarray) else v) for n, v in fields.items()}
    out["codes"] = tuple(name(c, j) for j in range(k) for c in actors.codes)
    out["names"] = out["codes"]
    out["origin_policy"] = actors.origin_policy * k
    out["kiel_by_year"] = {y: np.tile(v, k) for y, v in actors.kiel_by_year.items()}
    out["memberships"] = tuple(
        dataclasses.replace(m, actor=name(m.actor, j)) for j in range(k) for m in actors.memberships
    )
    return ActorTable(**out)


def bench_scaling(quick: bool) -> None:
    raw = scenario_raw()
    for runs in (10_000, 20_000, 50_000) if quick else (10_000, 25_000, 50_000, 100_000):
        t = timed(lambda r=runs: engine.run(raw, runs=r, seed=2))
        print(
            f"scale   runs={runs:>7} actors={load_actors().n:>3}  {t:6.2f} s  "
            f"{t / runs * 1e6:6.1f} us/run"
        )
    scn = sc.validate(raw)
    assert scn.aid is not None
    base = load_actors()
    for k in (1, 2, 4):
        table = tiled(base, k)
        world = build_world(table, scn, [])
        t = timed(lambda w=world: aid(w, scn.aid, np.random.default_rng(0), 5_000), repeat=3)  # type: ignore[arg-type]
        print(f"scale   runs=   5000 actors={table.n:>3}  {t:6.3f} s  {t / 5000 * 1e6:6.1f} us/run")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["engine", "mesa", "rules", "scaling"], default=None)
    args = ap.parse_args()
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, numpy {np.__version__}"
    )
    if args.only in (None, "engine"):
        bench_engine(20_000 if args.quick else 100_000)
    if args.only in (None, "mesa"):
        bench_mesa(20 if args.quick else 100)
    if args.only in (None, "rules"):
        bench_rules(20_000 if args.quick else 200_000)
    if args.only in (None, "scaling"):
        bench_scaling(args.quick)


if __name__ == "__main__":
    main()
