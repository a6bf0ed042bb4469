"""The alliance lab as a use case the web dashboard (or any caller) can run.

No database and no settings: a scenario (a built-in name, or a parsed YAML mapping),
parameters, an optional progress callback; back come plain data (JSON-ready) and chart
bytes. See ``docs/lab.md`` ("Calling the lab from code").
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from allied.domain.errors import Busy, InvalidInput
from allied.lab import charts, engine
from allied.lab import scenario as sc
from allied.lab.actors import load_actors
from allied.lab.positions import parse_positions
from allied.lab.summary import headline

#: The most work one run of the lab may ask for through :func:`run_scenario`, in
#: run-actor-months (runs x variants x months x actors, see :func:`lab_work`): a little
#: above the largest built-in scenarios at the dashboard's 200,000 runs (natoization-2024
#: and escalation-ladder: 200,000 runs x 2 variants x 36 months x 54 actors = 7.8e8).
MAX_WORK = 800_000_000

#: Top-level keys an override may not set: they change the shape of the work (its
#: variants), what is read (a positions file on the server) or which scenario it is.
STRUCTURAL_KEYS = frozenset({"variants", "positions", "name", "date"})


def _months(scenario: sc.Scenario) -> int:
    """The months one run of a scenario simulates (at least one)."""
    spans = [1]
    if scenario.aid is not None:
        spans.append(scenario.aid.months)
    if scenario.escalation is not None:
        spans.append(scenario.escalation.months)
    if scenario.cohesion is not None:
        spans.append(12 * len(scenario.cohesion.years))
    return max(spans)


def lab_work(raw: Mapping[str, Any], runs: int) -> int:
    """The work of running ``raw`` ``runs`` times: runs x actors x the months of each
    variant, summed over the variants (the base alone when there are none)."""
    base = sc.validate(dict(raw))
    variants = [sc.variant(dict(raw), name) for name in base.variants] or [base]
    months = sum(_months(scenario) for scenario in variants)
    return runs * len(load_actors().codes) * months


def check_overrides(overrides: Mapping[str, Any] | Sequence[str]) -> dict[str, Any]:
    """Overrides as ``{dotted key: value}``, refusing structural keys and values that are
    not single values (a list or mapping would add cases, steps or whole blocks)."""
    items = (
        dict(overrides)
        if isinstance(overrides, Mapping)
        else dict(sc.split_set(text) for text in overrides)
    )
    for key, value in items.items():
        parts = str(key).split(".")
        if parts[0] in STRUCTURAL_KEYS:
            raise InvalidInput(
                f"{parts[0]!r} cannot be overridden here (it changes the scenario's shape); "
                "set a parameter such as decision.escalation=0.5",
                field=str(key),
            )
        if len(parts) < 2:
            raise InvalidInput(
                "an override sets one parameter of a block, e.g. decision.escalation=0.5",
                field=str(key),
            )
        if isinstance(value, list | tuple | dict):
            raise InvalidInput(
                "an override is a single value, not a list or mapping", field=str(key)
            )
    return items


class LabSlots:
    """How many lab runs may go at once: in all, and for one user (thread-safe)."""

    def __init__(self, total: int = 2, per_user: int = 1) -> None:
        self.total = total
        self.per_user = per_user
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    def running(self) -> int:
        with self._lock:
            return sum(self._running.values())

    def take(self, user: str) -> None:
        """Take a slot for ``user``, or :class:`~allied.domain.errors.Busy` naming why."""
        with self._lock:
            if self._running.get(user, 0) >= self.per_user:
                raise Busy("a lab run of yours is still going; wait for it to finish")
            if sum(self._running.values()) >= self.total:
                raise Busy(f"the lab is running {self.total} scenarios; try again shortly")
            self._running[user] = self._running.get(user, 0) + 1

    def give_back(self, user: str) -> None:
        with self._lock:
            left = self._running.get(user, 0) - 1
            if left > 0:
                self._running[user] = left
            else:
                self._running.pop(user, None)


def list_scenarios() -> list[dict[str, Any]]:
    """The built-in scenarios: name, title, question, variants."""
    out = []
    for name in sc.builtin_names():
        s, _ = sc.load(name)
        out.append(
            {"name": name, "title": s.title, "question": s.question, "variants": list(s.variants)}
        )
    return out


def scenario_parameters(scenario: str) -> list[dict[str, Any]]:
    """The parameters an override may set in the built-in ``scenario``: ``key``, ``value``
    (in the scenario), ``default``, ``meaning``, ``accepts`` (:func:`allied.lab.scenario.
    parameters`)."""
    raw, _ = sc.load_raw(scenario)
    return sc.parameters(raw)


def check_parameter_lines(scenario: str, lines: Sequence[str], *, field: str, shape: str) -> None:
    """Each line of a form's box (``key=value`` for a run, ``key=a,b,c`` for a sweep's grid,
    ``shape`` naming which) sets a parameter of ``scenario``; else ``InvalidInput`` on the
    form's ``field``, naming the line or the key and listing the scenario's parameters."""
    known = [p["key"] for p in scenario_parameters(scenario)]
    for line in lines:
        key, sep, _ = line.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInput(
                f"{line!r} is not {shape} (one a line, e.g. decision.escalation="
                f"{'0.2,0.5' if ',' in shape else '0.5'})",
                field=field,
            )
        top = key.split(".")[0]
        if top in STRUCTURAL_KEYS:
            raise InvalidInput(
                f"{top!r} cannot be set here (it changes the scenario's shape); "
                f"this scenario's parameters are: {', '.join(known)}",
                field=field,
            )
        if key not in known:
            raise InvalidInput(
                f"unknown parameter {key}; this scenario's parameters are: {', '.join(known)}",
                field=field,
            )


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
    max_work: int = MAX_WORK,
) -> dict[str, Any]:
    """Run a scenario and return ``{"summary", "table", "chart", "chart_type", "panels"}``
    (``panels``: the charts as data, :func:`allied.lab.charts.panel_data`).

    ``overrides`` are dotted keys (``{"decision.escalation": 0.5}`` or
    ``["decision.escalation=0.5"]``), each one parameter set to a single value
    (:func:`check_overrides`: not ``variants``, ``positions``, ``name`` or ``date``);
    ``positions`` are rows in the monitor's format (``actor``, ``issue``, ``position``,
    ``salience``). The whole work (:func:`lab_work`) must be at most ``max_work``
    (checked before anything runs). ``progress(done, total)`` is called after each
    chunk of runs. Bad input raises ``InvalidInput`` naming the field.
    """
    if isinstance(scenario, str):
        raw, _ = sc.load_raw(scenario)
    elif isinstance(scenario, Mapping):
        raw = dict(scenario)
    else:
        raise InvalidInput("a scenario is a name or a mapping", field="scenario")
    if overrides:
        raw = sc.apply_overrides(raw, check_overrides(overrides))
    sc.validate(raw)
    work = lab_work(raw, runs)
    if work > max_work:
        raise InvalidInput(
            f"asks for {work:,} run-actor-months (runs x variants x months x actors); "
            f"at most {max_work:,}: fewer runs or fewer months",
            field="runs",
        )
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
        "panels": charts.panel_data(result),
    }


#: The most points one sweep through :func:`run_sweep` may ask for.
MAX_SWEEP_POINTS = 24


def run_sweep(
    scenario: str,
    grid: Sequence[str],
    *,
    runs: int = 5_000,
    seed: int = 0,
    overrides: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    max_work: int = MAX_WORK,
) -> dict[str, Any]:
    """Run a built-in scenario over a grid (``key=a,b,c`` lines, their product), as
    ``allied sweep SCENARIO --grid ...`` does on one process: every point with the same
    seed (common random numbers), so points differ by their parameters only.

    Returns ``{"keys", "points", "rows"}``: the grid's keys, its points, and per point its
    flattened metrics (:func:`allied.lab.sweep.flatten`). Every point is checked (and the
    whole work bounded by ``max_work``) before anything runs; ``progress(done, total)``
    counts runs over all points and their variants (points x variants x ``runs``), only
    ever up, ending at ``total``."""
    from allied.lab import sweep as sw

    raw, _ = sc.load_raw(scenario)
    if overrides:
        raw = sc.apply_overrides(raw, check_overrides(overrides))
    specs = [g.strip() for g in grid if g.strip()]
    if not specs:
        raise InvalidInput("give at least one line key=a,b,c", field="grid")
    try:
        points = sw.parse_grid(specs)
        check_overrides({k: v for point in points for k, v in point.items()})
    except InvalidInput as exc:
        where = "" if exc.field in (None, "--grid") else f"{exc.field}: "
        raise InvalidInput(where + exc.message, field="grid") from None
    if len(points) > MAX_SWEEP_POINTS:
        raise InvalidInput(
            f"{len(points)} points; at most {MAX_SWEEP_POINTS} (fewer values)", field="grid"
        )
    work = 0
    for point in points:
        try:
            work += lab_work(sc.apply_overrides(raw, point), runs)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="grid") from None
    if work > max_work:
        raise InvalidInput(
            f"asks for {work:,} run-actor-months over {len(points)} points; at most "
            f"{max_work:,}: fewer runs or fewer points",
            field="runs",
        )
    scenarios = [sc.apply_overrides(raw, point) for point in points]
    # a point runs every variant `runs` times (the engine counts them so): the sweep's
    # total is the sum of the points' totals, and a point's count starts where the
    # previous point's ended, so the count only goes up and ends at the total
    sizes = [runs * max(1, len(sc.validate(each).variants)) for each in scenarios]
    total = sum(sizes)
    rows = []
    before = 0
    for point, each, size in zip(points, scenarios, sizes, strict=True):

        def step(done: int, of: int, before: int = before, size: int = size) -> None:
            if of != size:  # the engine runs other work than counted: never report past 100 %
                raise RuntimeError(f"a sweep point reported {of} runs, counted {size}")
            if progress is not None:
                progress(before + done, total)

        result = engine.run(each, runs=runs, seed=seed, progress=step)
        rows.append({**point, **sw.flatten(result.summary)})
        before += size
    return {"keys": list(points[0]), "points": points, "rows": rows}
