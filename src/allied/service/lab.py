"""The alliance lab as a use case the web dashboard (or any caller) can run.

No database and no settings: a scenario (a built-in name, or a parsed YAML mapping),
parameters, an optional progress callback; back come plain data (JSON-ready) and chart
bytes. See ``docs/lab.md`` ("Calling the lab from code").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from allied.domain.errors import InvalidInput
from allied.lab import charts, engine
from allied.lab import scenario as sc
from allied.lab.actors import load_actors
from allied.lab.positions import parse_positions
from allied.lab.summary import headline


def list_scenarios() -> list[dict[str, Any]]:
    """The built-in scenarios: name, title, question, variants."""
    out = []
    for name in sc.builtin_names():
        s, _ = sc.load(name)
        out.append(
            {"name": name, "title": s.title, "question": s.question, "variants": list(s.variants)}
        )
    return out


def run_scenario(
    scenario: str | Mapping[str, Any],
    *,
    runs: int = 10_000,
    seed: int = 0,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    positions: Sequence[Mapping[str, Any]] | None = None,
    chart: Literal["png", "html"] | None = "png",
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run a scenario and return ``{"summary", "table", "chart", "chart_type"}``.

    ``overrides`` are dotted keys (``{"decision.escalation": 0.5}`` or
    ``["decision.escalation=0.5"]``); ``positions`` are rows in the monitor's format
    (``actor``, ``issue``, ``position``, ``salience``). ``progress(done, total)`` is
    called after each chunk of runs. Bad input raises ``InvalidInput`` naming the field.
    """
    if isinstance(scenario, str):
        raw, _ = sc.load_raw(scenario)
    elif isinstance(scenario, Mapping):
        raw = dict(scenario)
    else:
        raise InvalidInput("a scenario is a name or a mapping", field="scenario")
    if overrides:
        raw = sc.apply_overrides(
            raw, dict(overrides) if isinstance(overrides, Mapping) else list(overrides)
        )
    sc.validate(raw)
    rows = (
        parse_positions(
            json.dumps(list(positions)), source="positions", known=set(load_actors().codes)
        )
        if positions is not None
        else None
    )
    result = engine.run(
        raw, runs=runs, seed=seed, workers=workers, position_rows=rows, progress=progress
    )
    picture: bytes | None
    if chart == "png":
        picture = charts.png(result)
    elif chart == "html":
        picture = charts.html_page(result).encode("utf-8")
    elif chart is None:
        picture = None
    else:
        raise InvalidInput("chart is png, html or None", field="chart")
    return {
        "summary": result.summary,
        "table": headline(result.summary),
        "chart": picture,
        "chart_type": chart,
    }
