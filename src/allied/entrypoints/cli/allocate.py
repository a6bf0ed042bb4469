"""``allied allocate``: match requests with offers, and say why anything stays unfilled.

File mode (``--problem FILE.json``) reads a problem file and touches no database.
Database mode (no ``--problem``) will build the problem from open requests and offers
and record the plan as proposed allocations; it is not wired yet (it needs the service
layer) and says so.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from allied.allocation import (
    SOLVER_NAMES,
    Plan,
    get_solver,
    load_problem,
    plan_to_json,
    write_plan,
)
from allied.entrypoints.cli.common import (
    Format,
    FormatOption,
    console,
    emit,
    err_console,
    errors_to_exit,
    fail,
)

#: Problems with at least this many requests + offers show a progress bar (on a terminal).
PROGRESS_THRESHOLD = 2_000
#: Rows shown per table in the table format; the plan file or --format json has them all.
TABLE_ROWS = 50

_PHASES = {"build": "building feasible pairs", "solve": "solving", "explain": "explaining"}


class _ProgressBar:
    """Turns the library's ``progress(phase, done, total)`` calls into a Rich bar."""

    def __init__(self, enabled: bool) -> None:
        self._progress = (
            Progress(
                TextColumn("{task.description:<24}"), BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                console=err_console(), transient=True,
            )
            if enabled
            else None
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _ProgressBar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self._progress is None:
            return
        task = self._tasks.get(phase)
        if task is None:
            task = self._progress.add_task(_PHASES.get(phase, phase), total=max(total, 1))
            self._tasks[phase] = task
        self._progress.update(task, completed=done, total=max(total, 1))


def allocate(
    problem: Path | None = typer.Option(
        None, "--problem", help="problem file (JSON, see docs/allocation.md); no database used",
        dir_okay=False,
    ),
    out: Path | None = typer.Option(
        None, "--out", help="write the plan file here (atomically)", dir_okay=False
    ),
    solver: str = typer.Option(
        "auto", "--solver",
        help="flow (OR-Tools min-cost flow), lp (HiGHS), greedy (baseline); auto picks flow",
    ),
    fmt: Format = FormatOption,
) -> None:
    """Match requests with offers optimally; explain every unit left unfilled."""
    if solver not in SOLVER_NAMES:
        fail(f"option '--solver': expected one of {', '.join(SOLVER_NAMES)}; got {solver!r}")
    if problem is None:
        fail(
            "database mode (allocating open requests and offers from the database) is not "
            "available yet; pass --problem FILE.json to allocate from a problem file"
        )
    with errors_to_exit():
        started = time.perf_counter()
        chosen = get_solver(solver)
        if not chosen.available():
            fail(f"option '--solver': solver {chosen.name!r} is not available "
                 f"({chosen.requirement})")
        spec = load_problem(problem)
        big = len(spec.requests) + len(spec.offers) >= PROGRESS_THRESHOLD
        with _ProgressBar(big and err_console().is_terminal) as bar:
            plan = chosen.solve(spec, progress=bar)
        if out is not None:
            write_plan(plan, out)
        elapsed = time.perf_counter() - started
    _report(plan, fmt, out, elapsed)


def _summary(plan: Plan, out: Path | None, elapsed: float) -> dict[str, Any]:
    return {
        "status": plan.status.value,
        "solver": plan.solver,
        "objective": plan.objective,
        "allocations": len(plan.allocations),
        "allocated_units": plan.allocated_units,
        "unfilled_requests": len(plan.unfilled),
        "unfilled_units": plan.unfilled_units,
        "plan_file": str(out) if out is not None else None,
        "seconds": round(elapsed, 3),
    }


def _report(plan: Plan, fmt: Format, out: Path | None, elapsed: float) -> None:
    summary = _summary(plan, out, elapsed)
    if out is not None and fmt is not Format.TABLE:
        emit([summary], fmt)
        return
    if fmt is Format.JSON:
        sys.stdout.write(plan_to_json(plan))
        return
    rows: list[dict[str, Any]] = [
        {"kind": "allocation", "request": a.request, "offer": a.offer, "quantity": a.quantity,
         "reasons": ""}
        for a in plan.allocations
    ] + [
        {"kind": "unfilled", "request": u.request, "offer": "", "quantity": u.quantity,
         "reasons": " ".join(u.reasons)}
        for u in plan.unfilled
    ]
    if fmt is Format.CSV:
        emit(rows, fmt, columns=["kind", "request", "offer", "quantity", "reasons"])
        return
    console().print(
        f"[bold]{summary['status']}[/] plan by {summary['solver']}: objective "
        f"{summary['objective']}, {summary['allocated_units']} units in "
        f"{summary['allocations']} allocations, {summary['unfilled_units']} units unfilled "
        f"in {summary['unfilled_requests']} requests ({summary['seconds']} s)",
        highlight=False,
    )
    if out is not None:
        console().print(f"plan written to {out}", highlight=False)
        return
    for kind, columns, title in (
        ("allocation", ["request", "offer", "quantity"], "allocations"),
        ("unfilled", ["request", "quantity", "reasons"], "unfilled"),
    ):
        chosen = [r for r in rows if r["kind"] == kind]
        if not chosen:
            continue
        caption = (
            f"first {TABLE_ROWS} of {len(chosen)}; use --out or --format json for all"
            if len(chosen) > TABLE_ROWS else None
        )
        emit(chosen[:TABLE_ROWS], fmt, columns=columns, title=title, caption=caption)


def register(app: typer.Typer) -> None:
    app.command("allocate")(allocate)
