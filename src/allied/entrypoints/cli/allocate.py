"""``allied allocate``: match requests with offers, and say why anything stays unfilled.

File mode (``--problem FILE.json``) reads a problem file and touches no database.
Database mode (no ``--problem``) builds the problem from the open requests and offers
(``service.allocations.allocate_stored``) and records the plan as proposed allocations,
in one transaction with one ledger entry; ``--dry-run`` records nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
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
    DEFAULT_MAX_PAIRS,
    SOLVER_NAMES,
    Options,
    Plan,
    get_solver,
    load_problem,
    plan_to_dict,
    plan_to_json,
    write_plan,
)
from allied.entrypoints.cli.common import (
    Format,
    FormatOption,
    WideOption,
    console,
    emit,
    err_console,
    errors_to_exit,
    fail,
    parse_day,
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
    as_of: str | None = typer.Option(
        None, "--as-of",
        help="database mode: the day whose consents count (default today)",
    ),
    allow_pending_consent: bool = typer.Option(
        False, "--allow-pending-consent",
        help="database mode: let offers whose re-export consent is pending (or not yet "
        "asked) be allocated",
    ),
    half_life: float | None = typer.Option(
        None, "--half-life", help="database mode: lateness half-life in days (default 30)",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="database mode: show the plan but record nothing",
    ),
    grace_days: int | None = typer.Option(
        None, "--grace-days",
        help="database mode: leave out requests past their needed-by date by more than "
        "this many days on the as-of day (those `allied request expire --grace-days` "
        "would expire that day; default: every open request counts)",
    ),
    max_pairs: int = typer.Option(
        DEFAULT_MAX_PAIRS, "--max-pairs",
        help="database mode: solve at most this many compatible (request, offer) pairs at "
        "once; a larger problem is solved family by family, and a family larger still is "
        "cut to each request's nearest offers (plan status heuristic; docs/allocation.md)",
    ),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Match requests with offers optimally; explain every unit left unfilled.

    With --problem, read a problem file and touch no database. Without it, build the
    problem from the open requests and offers in the database (net of allocations that
    already hold capacity) and record the plan as proposed allocations, in one
    transaction with one ledger entry. A store of many years is solved in bounded
    memory: see --max-pairs and --grace-days.
    """
    if solver not in SOLVER_NAMES:
        fail(f"option '--solver': expected one of {', '.join(SOLVER_NAMES)}; got {solver!r}")
    if problem is not None:
        given = [name for name, on in (
            ("--as-of", as_of is not None),
            ("--allow-pending-consent", allow_pending_consent),
            ("--half-life", half_life is not None),
            ("--dry-run", dry_run),
            ("--grace-days", grace_days is not None),
            ("--max-pairs", max_pairs != DEFAULT_MAX_PAIRS),
        ) if on]
        if given:
            fail(f"option '{given[0]}' is for database mode; with --problem, the problem "
                 "file's as_of and options apply and nothing is recorded")
    elif half_life is not None and not (math.isfinite(half_life) and half_life > 0):
        fail(f"option '--half-life': must be a positive number of days, got {half_life}")
    elif grace_days is not None and not 0 <= grace_days <= 36500:
        fail(f"option '--grace-days': must be a whole number of days from 0 to 36500, "
             f"got {grace_days}")
    elif max_pairs < 1:
        fail(f"option '--max-pairs': must be at least 1, got {max_pairs}")
    with errors_to_exit():
        started = time.perf_counter()
        chosen = get_solver(solver)
        if not chosen.available():
            fail(f"option '--solver': solver {chosen.name!r} is not available "
                 f"({chosen.requirement})")
        if problem is not None:
            spec = load_problem(problem)
            big = len(spec.requests) + len(spec.offers) >= PROGRESS_THRESHOLD
            with _ProgressBar(big and err_console().is_terminal) as bar:
                plan = chosen.solve(spec, progress=bar)
            ids: tuple[str, ...] | None = None
        else:
            day = parse_day(as_of, "--as-of")
            options = Options(allow_pending_consent=allow_pending_consent)
            if half_life is not None:
                options = Options(allow_pending_consent, half_life)
            run = _run_on_database(day, chosen.name, options, record=not dry_run,
                                   max_pairs=max_pairs, grace_days=grace_days)
            plan = run.plan
            ids = run.allocation_ids if run.recorded else None
        if out is not None:
            write_plan(plan, out)
        elapsed = time.perf_counter() - started
    _report(plan, fmt, out, elapsed, ids)


def _run_on_database(
    day: dt.date, solver: str, options: Options, *, record: bool, max_pairs: int,
    grace_days: int | None,
) -> Any:
    from allied.config import Settings
    from allied.entrypoints.cli.common import open_store
    from allied.service.access import allocate
    from allied.service.caller import Caller

    settings = Settings.from_env()
    caller = Caller(user=settings.user, nation=settings.nation)
    store = open_store()
    try:
        with _ProgressBar(err_console().is_terminal) as bar:
            return allocate(
                store.uow(), caller, as_of=day, solver=solver, options=options,
                progress=bar, record=record, max_pairs=max_pairs, grace_days=grace_days,
            )
    finally:
        store.close()


def _summary(
    plan: Plan, out: Path | None, elapsed: float, ids: tuple[str, ...] | None
) -> dict[str, Any]:
    return {
        "status": plan.status.value,
        "solver": plan.solver,
        "objective": plan.objective,
        "allocations": len(plan.allocations),
        "allocated_units": plan.allocated_units,
        "unfilled_requests": len(plan.unfilled),
        "unfilled_units": plan.unfilled_units,
        "recorded": None if ids is None else len(ids),
        "plan_file": str(out) if out is not None else None,
        "seconds": round(elapsed, 3),
    }


def _report(
    plan: Plan, fmt: Format, out: Path | None, elapsed: float, ids: tuple[str, ...] | None
) -> None:
    """Print the plan. ``ids``: the proposed allocations recorded for it, line by line
    (``None`` when nothing was recorded: file mode or a dry run)."""
    summary = _summary(plan, out, elapsed, ids)
    if out is not None and fmt is not Format.TABLE:
        emit([summary], fmt)
        return
    if fmt is Format.JSON:
        if ids is None:
            sys.stdout.write(plan_to_json(plan))
        else:
            body = plan_to_dict(plan)
            body["allocation_ids"] = list(ids)
            sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return
    recorded = ids if ids is not None else ("",) * len(plan.allocations)
    rows: list[dict[str, Any]] = [
        {"kind": "allocation", "id": ident, "request": a.request, "offer": a.offer,
         "quantity": a.quantity, "reasons": " ".join(a.flags)}
        for a, ident in zip(plan.allocations, recorded, strict=True)
    ] + [
        {"kind": "unfilled", "id": "", "request": u.request, "offer": "",
         "quantity": u.quantity, "reasons": " ".join(u.reasons)}
        for u in plan.unfilled
    ]
    id_column = ["id"] if ids is not None else []
    if fmt is Format.CSV:
        emit(rows, fmt, columns=["kind", *id_column, "request", "offer", "quantity", "reasons"])
        return
    console().print(
        f"[bold]{summary['status']}[/] plan by {summary['solver']}: objective "
        f"{summary['objective']}, {summary['allocated_units']} units in "
        f"{summary['allocations']} allocations, {summary['unfilled_units']} units unfilled "
        f"in {summary['unfilled_requests']} requests ({summary['seconds']} s)",
        highlight=False,
    )
    if ids is not None:
        console().print(
            f"recorded {len(ids)} proposed allocations (see: allied allocation list)",
            highlight=False,
        )
    if out is not None:
        console().print(f"plan written to {out}", highlight=False)
        return
    for kind, columns, title in (
        ("allocation", [*id_column, "request", "offer", "quantity", "reasons"], "allocations"),
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
