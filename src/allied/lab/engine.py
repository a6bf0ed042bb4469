"""Run a scenario: chunks of runs, one ``SeedSequence``, optional worker processes.

Runs are cut into chunks of ``CHUNK`` runs; chunk ``i`` draws from child ``i`` of
``numpy.random.SeedSequence(seed)`` (the same child for every variant: common random
numbers). Results are put together in chunk order, so the number of worker processes
never changes them, and the same seed gives byte-identical JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from allied.domain.errors import InvalidInput
from allied.lab import scenario as sc
from allied.lab.actors import load_actors
from allied.lab.model import Arrays, build_world, simulate
from allied.lab.positions import PositionRow, read_positions
from allied.lab.summary import summarise

CHUNK = 5_000
MAX_RUNS = 10_000_000
Progress = Callable[[int, int], None]


@dataclass
class LabResult:
    scenario: str
    seed: int
    runs: int
    summary: dict[str, Any]
    arrays: dict[str, Arrays] = field(repr=False)

    def to_json(self) -> str:
        return json.dumps(self.summary, indent=2, sort_keys=True)


def chunks(runs: int, size: int = CHUNK) -> list[int]:
    full, rest = divmod(runs, size)
    return [size] * full + ([rest] if rest else [])


def _variant_scenarios(raw: dict[str, Any]) -> list[tuple[str, sc.Scenario]]:
    base = sc.validate(raw)
    if not base.variants:
        return [("base", base)]
    return [(name, sc.variant(raw, name)) for name in base.variants]


def _chunk(
    raw: dict[str, Any],
    variant: str,
    seed: int,
    index: int,
    runs: int,
    rows: list[PositionRow],
) -> Arrays:
    scenario = sc.validate(raw) if variant == "base" else sc.variant(raw, variant)
    world = build_world(load_actors(), scenario, rows)
    child = np.random.SeedSequence(seed, spawn_key=(index,))  # = .spawn(n)[index]
    return simulate(world, scenario, np.random.default_rng(child), runs)


def _merge(parts: list[Arrays]) -> Arrays:
    out: Arrays = {}
    for key in parts[0]:
        if key.startswith("actor_"):
            total = np.zeros_like(parts[0][key], dtype=np.float64)
            for p in parts:
                total = total + p[key]
            out[key] = total
        else:
            out[key] = np.concatenate([p[key] for p in parts])
    return out


def positions_for(raw: dict[str, Any], positions: Path | None) -> list[PositionRow]:
    known = set(load_actors().codes)
    path = positions or (Path(raw["positions"]) if raw.get("positions") else None)
    return read_positions(path, known=known) if path else []


def run(
    raw: dict[str, Any],
    *,
    runs: int,
    seed: int,
    workers: int = 1,
    positions: Path | None = None,
    position_rows: list[PositionRow] | None = None,
    progress: Progress | None = None,
) -> LabResult:
    """Run every variant of the scenario ``raw`` (a parsed YAML mapping) ``runs`` times."""
    if not 1 <= runs <= MAX_RUNS:
        raise InvalidInput(f"runs must be between 1 and {MAX_RUNS}", field="runs")
    if seed < 0:
        raise InvalidInput("a seed is a non-negative integer", field="seed")
    if workers < 1:
        raise InvalidInput("workers must be at least 1", field="workers")
    variants = _variant_scenarios(raw)
    rows = position_rows if position_rows is not None else positions_for(raw, positions)
    sizes = chunks(runs)
    tasks = [(name, i, n) for name, _ in variants for i, n in enumerate(sizes)]
    total = runs * len(variants)
    done = 0
    results: dict[tuple[str, int], Arrays] = {}
    if workers == 1 or len(tasks) == 1:
        for name, i, n in tasks:
            results[(name, i)] = _chunk(raw, name, seed, i, n, rows)
            done += n
            if progress:
                progress(done, total)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {
                pool.submit(_chunk, raw, name, seed, i, n, rows): (name, i, n)
                for name, i, n in tasks
            }
            for fut, (name, i, n) in futures.items():
                results[(name, i)] = fut.result()
                done += n
                if progress:
                    progress(done, total)
    merged = {name: _merge([results[(name, i)] for i in range(len(sizes))]) for name, _ in variants}
    base = variants[0][1]
    summary = {
        "scenario": base.name,
        "title": base.title,
        "question": base.question,
        "seed": seed,
        "runs": runs,
        "actors": len(load_actors().codes),
        "variants": {
            name: summarise(load_actors(), scn, merged[name], runs) for name, scn in variants
        },
    }
    return LabResult(base.name, seed, runs, summary, merged)


def per_run(arrays: Arrays, key: str) -> npt.NDArray[np.float64]:
    return np.asarray(arrays[key], dtype=np.float64)
