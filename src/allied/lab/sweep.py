"""Parameter sweeps: a grid or a Latin hypercube of overrides, on local processes or Ray.

Every point runs the scenario with the same seed (common random numbers), so two
points differ by their parameters only, and the backend or the batching never changes
a result. Points are batched so that each task runs for well over 10 ms.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import yaml

from allied.domain.errors import InvalidInput
from allied.lab import engine
from allied.lab import scenario as sc

Point = dict[str, Any]
BACKENDS = ("local", "ray")


def parse_grid(specs: Sequence[str]) -> list[Point]:
    """``key=a,b,c`` options to the cartesian product of their values."""
    axes: list[tuple[str, list[Any]]] = []
    for spec in specs:
        if "=" not in spec:
            raise InvalidInput(f"expected key=a,b,c, got {spec!r}", field="--grid")
        key, values = spec.split("=", 1)
        vals = [yaml.safe_load(v) for v in values.split(",") if v.strip()]
        if not key.strip() or not vals:
            raise InvalidInput(f"expected key=a,b,c, got {spec!r}", field="--grid")
        axes.append((key.strip(), vals))
    keys = [k for k, _ in axes]
    return [
        dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(v for _, v in axes))
    ]


def parse_ranges(specs: Sequence[str]) -> list[tuple[str, float, float]]:
    out = []
    for spec in specs:
        try:
            key, rng = spec.split("=", 1)
            lo, hi = (float(x) for x in rng.split(":", 1))
        except ValueError:
            raise InvalidInput(f"expected key=low:high, got {spec!r}", field="--range") from None
        if not lo < hi:
            raise InvalidInput(f"low must be below high in {spec!r}", field="--range")
        out.append((key.strip(), lo, hi))
    return out


def lhs_points(ranges: Sequence[tuple[str, float, float]], n: int, seed: int) -> list[Point]:
    """``n`` points of a Latin hypercube over ``ranges`` (scipy.stats.qmc), seeded."""
    from scipy.stats import qmc  # type: ignore[import-untyped]

    if not ranges:
        raise InvalidInput(
            "a Latin hypercube needs at least one --range key=low:high", field="--range"
        )
    if n < 1:
        raise InvalidInput("--lhs needs at least one point", field="--lhs")
    sampler = qmc.LatinHypercube(d=len(ranges), rng=np.random.default_rng(seed))
    unit = sampler.random(n)
    lo = np.array([r[1] for r in ranges])
    hi = np.array([r[2] for r in ranges])
    values = qmc.scale(unit, lo, hi)
    return [
        {key: float(f"{v:.6g}") for (key, _, _), v in zip(ranges, row, strict=True)}
        for row in values
    ]


def flatten(summary: dict[str, Any]) -> dict[str, float]:
    """Scalar metrics of a summary: probabilities and the means of distributions."""
    out: dict[str, float] = {}
    for variant, blocks in summary["variants"].items():
        for block, metrics in blocks.items():
            for key, value in metrics.items():
                name = f"{variant}.{block}.{key}"
                if isinstance(value, bool):
                    continue
                if isinstance(value, int | float):
                    out[name] = float(value)
                elif isinstance(value, dict) and "mean" in value:
                    out[f"{name}.mean"] = float(value["mean"])
    return out


def _run_batch(
    raw: dict[str, Any], points: list[Point], runs: int, seed: int
) -> list[dict[str, Any]]:
    rows = []
    for point in points:
        result = engine.run(sc.apply_overrides(raw, point), runs=runs, seed=seed)
        rows.append({**point, **flatten(result.summary)})
    return rows


def batches(points: list[Point], runs: int, min_runs_per_task: int = 20_000) -> list[list[Point]]:
    """Group points so that each task does at least ``min_runs_per_task`` runs (well
    over 10 ms of work: a chunk of 5,000 runs of the lightest scenario takes about 10 ms)."""
    per = max(1, -(-min_runs_per_task // max(runs, 1)))
    return [points[i : i + per] for i in range(0, len(points), per)]


def sweep(
    raw: dict[str, Any],
    points: list[Point],
    *,
    runs: int,
    seed: int,
    backend: str = "local",
    workers: int = 1,
    ray_address: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Run every point; rows come back in the order of ``points``."""
    if backend not in BACKENDS:
        raise InvalidInput(f"unknown backend {backend!r}; expected local or ray", field="--backend")
    if not points:
        raise InvalidInput("no sweep points: give --grid or --lhs", field="--grid")
    for point in points:  # validate every point before any work
        sc.validate(sc.apply_overrides(raw, point))
    groups = batches(points, runs)
    results: list[list[dict[str, Any]]] = []
    done = 0
    if backend == "ray":
        results = _ray(raw, groups, runs, seed, ray_address, progress)
    elif workers <= 1:
        for g in groups:
            results.append(_run_batch(raw, g, runs, seed))
            done += len(g)
            if progress:
                progress(done, len(points))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_run_batch, raw, g, runs, seed) for g in groups]
            for g, fut in zip(groups, futures, strict=True):
                results.append(fut.result())
                done += len(g)
                if progress:
                    progress(done, len(points))
    return [row for batch in results for row in batch]


def _ray(
    raw: dict[str, Any],
    groups: list[list[Point]],
    runs: int,
    seed: int,
    address: str | None,
    progress: Callable[[int, int], None] | None,
) -> list[list[dict[str, Any]]]:
    try:
        import ray
    except ImportError:
        raise InvalidInput(
            "the ray backend needs the 'ray' package (pip install ray)", field="--backend"
        ) from None
    started = False
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
        started = True
    try:
        task = ray.remote(_run_batch)
        refs = [task.remote(raw, g, runs, seed) for g in groups]
        out: list[list[dict[str, Any]]] = []
        total = sum(len(g) for g in groups)
        done = 0
        for g, ref in zip(groups, refs, strict=True):
            out.append(ray.get(ref))
            done += len(g)
            if progress:
                progress(done, total)
        return out
    finally:
        if started:
            ray.shutdown()
