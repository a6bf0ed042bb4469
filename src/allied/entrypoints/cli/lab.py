"""``allied simulate``, ``allied sweep`` and ``allied lab ...``: the alliance lab."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from allied.domain.errors import InvalidInput
from allied.entrypoints.cli.common import (
    Format,
    WideOption,
    emit,
    err_console,
    errors_to_exit,
)

lab_app = typer.Typer(help="The alliance lab: scenarios, actors, backtests.", no_args_is_help=True)


class OutFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class Backend(StrEnum):
    LOCAL = "local"
    RAY = "ray"


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar on stderr (hidden when stderr is not a terminal)."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _write_plot(result: Any, plot: Path) -> None:
    from allied.lab import charts

    suffix = plot.suffix.lower()
    if suffix not in (".png", ".html"):
        raise InvalidInput("a plot is written as .png or .html", field="--plot")
    try:
        if suffix == ".png":
            plot.write_bytes(charts.png(result))
        else:
            plot.write_text(charts.html_page(result), encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {plot}: {exc.strerror}", field="--plot") from None


def _warn_unread_issues(parsed: Any, rows: list[Any]) -> None:
    """Say so when the positions set issues this scenario never reads."""
    from allied.lab import scenario as sc

    read = sc.issues_read(parsed)
    given = {row.issue for row in rows}
    unread = sorted(given - read)
    if unread:
        # the rename hint only when it would help: the monitor's name is still there and
        # the lab's is read but not given (after the rename it would say what was done)
        hint = (
            "; the monitor's 'military-aid' is the lab's 'support': "
            "`allied monitor positions --rename military-aid=support`"
            if "military-aid" in unread and "support" in read and "support" not in given
            else ""
        )
        typer.echo(
            f"warning: the positions set {', '.join(unread)}, which this "
            f"scenario does not read (it reads {', '.join(sorted(read))}){hint}",
            err=True,
        )


def simulate(
    scenario: str = typer.Argument(..., help="a built-in scenario name or a YAML file"),
    runs: int = typer.Option(10_000, "--runs", "-n", help="Monte Carlo replications"),
    seed: int = typer.Option(0, "--seed", "-s", help="seed of the one SeedSequence"),
    set_: list[str] = typer.Option(
        [], "--set", help="override a parameter: key.sub=value (value read as YAML)"
    ),
    fmt: OutFormat = typer.Option(OutFormat.TABLE, "--format", "-f"),
    plot: Path | None = typer.Option(None, "--plot", help="write charts to out.png or out.html"),
    workers: int = typer.Option(1, "--workers", "-w", help="worker processes (same result)"),
    positions: Path | None = typer.Option(
        None, "--positions", help="initial positions CSV/JSON (actor,issue,position,salience)"
    ),
) -> None:
    """Run a scenario RUNS times and print its metrics (identical for the same seed)."""
    from allied.lab import engine
    from allied.lab import scenario as sc
    from allied.lab.summary import headline

    with errors_to_exit():
        parsed, raw = sc.load(scenario, set_)
        rows = engine.positions_for(raw, positions)
        _warn_unread_issues(parsed, rows)
        with progress_bar("simulating") as update:
            result = engine.run(
                raw, runs=runs, seed=seed, workers=workers, position_rows=rows, progress=update
            )
        if plot is not None:
            _write_plot(result, plot)
        if fmt is OutFormat.JSON:
            sys.stdout.write(result.to_json() + "\n")
        else:
            emit(
                headline(result.summary),
                Format.TABLE,
                title=f"{result.scenario}: {runs} runs, seed {seed}",
                caption=result.summary.get("question"),
            )


def sweep(
    scenario: str = typer.Argument(..., help="a built-in scenario name or a YAML file"),
    grid: list[str] = typer.Option([], "--grid", help="key=a,b,c (repeat for a product)"),
    lhs: int = typer.Option(0, "--lhs", help="N points of a Latin hypercube over --range"),
    range_: list[str] = typer.Option([], "--range", help="key=low:high for --lhs"),
    runs: int = typer.Option(5_000, "--runs", "-n"),
    seed: int = typer.Option(0, "--seed", "-s"),
    set_: list[str] = typer.Option([], "--set", help="fixed overrides key=value"),
    backend: Backend = typer.Option(Backend.LOCAL, "--backend"),
    workers: int = typer.Option(
        0, "--workers", "-w", help="local worker processes (0: one per core)"
    ),
    ray_address: str | None = typer.Option(
        None, "--ray-address", help="an existing Ray cluster (default: start a local one)"
    ),
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f"),
    wide: bool = WideOption,
) -> None:
    """Run a scenario over a grid or a Latin hypercube of parameters."""
    from allied.lab import scenario as sc
    from allied.lab import sweep as sw

    with errors_to_exit():
        if bool(grid) == bool(lhs):
            raise InvalidInput("give either --grid or --lhs", field="--grid")
        _, raw = sc.load(scenario, set_)
        points = sw.parse_grid(grid) if grid else sw.lhs_points(sw.parse_ranges(range_), lhs, seed)
        with progress_bar("sweeping") as update:
            rows = sw.sweep(
                raw,
                points,
                runs=runs,
                seed=seed,
                backend=backend.value,
                workers=workers or (os.cpu_count() or 1),
                ray_address=ray_address,
                progress=update,
            )
        title = f"sweep of {scenario}: {len(rows)} points x {runs} runs"
        if fmt is not Format.TABLE:
            emit(rows, fmt, title=title)
            return
        # for people: one line per point and metric (the wide form is --format csv/json)
        keys = list(points[0])
        long = [
            {
                "point": i + 1,
                "parameters": ", ".join(f"{k}={row[k]}" for k in keys),
                "metric": metric,
                "value": f"{value:.4g}",
            }
            for i, row in enumerate(rows)
            for metric, value in row.items()
            if metric not in keys
        ]
        emit(long, fmt, title=title)


@lab_app.command("scenarios")
def scenarios_cmd(
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f"), wide: bool = WideOption
) -> None:
    """List the built-in scenarios."""
    from allied.lab import scenario as sc

    with errors_to_exit():
        rows = []
        for name in sc.builtin_names():
            s, _ = sc.load(name)
            rows.append({"name": name, "title": s.title, "variants": ",".join(s.variants)})
        emit(rows, fmt)


@lab_app.command("validate")
def validate_cmd(path: str = typer.Argument(..., help="a scenario YAML file or name")) -> None:
    """Check a scenario against the schema; a bad field is named (exit 2)."""
    from allied.lab import scenario as sc

    with errors_to_exit():
        s, _ = sc.load(path)
        typer.echo(f"ok: {s.name} ({', '.join(s.variants) or 'no variants'})")


@lab_app.command("schema")
def schema_cmd() -> None:
    """Print the scenario schema (JSON Schema)."""
    from allied.lab.scenario import Scenario

    typer.echo(json.dumps(Scenario.model_json_schema(), indent=2, sort_keys=True))


@lab_app.command("actors")
def actors_cmd(
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f"), wide: bool = WideOption
) -> None:
    """The modelled actors and their parameters (imputed values flagged)."""
    from allied.lab.actors import load_actors

    with errors_to_exit():
        a = load_actors()
        s, w = a.default_support(), a.default_salience()
        rows = [
            {
                "actor": c,
                "gdp_usd_bn_2021": round(float(a.gdp_usd[i]) / 1e9, 1),
                "milex_pct": round(float(a.milex_pct[i]), 2)
                if not a.milex_imputed[i]
                else f"{a.milex_pct[i]:.2f} (imputed)",
                "kiel_pct_gdp": None
                if a.kiel_pct_gdp[i] != a.kiel_pct_gdp[i]
                else round(float(a.kiel_pct_gdp[i]), 3),
                "borders_rus_blr": bool(a.borders_russia_belarus[i]),
                "dist_moscow_km": int(a.dist_moscow_km[i]),
                "gas_russia_pct": float(a.gas_russia_pct[i])
                if not a.gas_imputed[i]
                else "0 (no figure)",
                "transactionalism": float(a.transactionalism[i]),
                "origin_policy": a.origin_policy[i].value,
                "support": round(float(s[i]), 3),
                "salience": round(float(w[i]), 3),
            }
            for i, c in enumerate(a.codes)
        ]
        emit(rows, fmt)


@lab_app.command("positions")
def positions_cmd(
    path: Path | None = typer.Argument(
        None, help="a positions file to check (else: print defaults)"
    ),
) -> None:
    """Check a positions file, or print the default positions in the file format."""
    from allied.lab.actors import load_actors
    from allied.lab.positions import PositionRow, read_positions, to_csv

    with errors_to_exit():
        a = load_actors()
        if path is not None:
            rows = read_positions(path, known=set(a.codes))
            typer.echo(f"ok: {len(rows)} positions on {len({r.issue for r in rows})} issue(s)")
            return
        s, w = a.default_support(), a.default_salience()
        sys.stdout.write(
            to_csv(
                [
                    PositionRow(c, "support", float(s[i]), float(w[i]), "allied lab default")
                    for i, c in enumerate(a.codes)
                ]
            )
        )


@lab_app.command("backtest")
def backtest_cmd(
    runs: int = typer.Option(20_000, "--runs", "-n", help="simulated runs per forecast"),
    seed: int = typer.Option(2022, "--seed", "-s"),
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f"),
    wide: bool = WideOption,
) -> None:
    """Rolling-origin backtests: each test episode forecast from the record before it,
    scored (CRPS, Brier, 80% interval) against persistence and the base rate."""
    from allied.lab import backtest as bt

    with errors_to_exit():
        if runs < 100:
            raise InvalidInput("at least 100 runs per forecast", field="--runs")
        if seed < 0:
            raise InvalidInput("a seed is a non-negative integer", field="--seed")
        result = bt.run(runs=runs, seed=seed)
        if fmt is Format.JSON:
            sys.stdout.write(
                json.dumps({"episodes": result.rows, "reliability": result.reliability}, indent=2)
                + "\n"
            )
            return
        emit(result.rows, fmt, title="lab backtests: rolling origin (docs/lab.md)")
        if fmt is Format.TABLE:
            emit(result.reliability, fmt, title="reliability over all test outcomes")


@lab_app.command("fit")
def fit_cmd(
    seed: int = typer.Option(2022, "--seed", "-s", help="seed of the bootstrap"),
    reps: int = typer.Option(200, "--reps", help="bootstrap replicates (uncertainty)"),
    out: Path | None = typer.Option(None, "--out", help="also write the fit as JSON here"),
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f"),
) -> None:
    """Estimate the hold-up, ratification and aid coefficients from the record, with
    bootstrap intervals (the same seed gives the same numbers)."""
    from allied.lab import fit as ft

    with errors_to_exit():
        if not 2 <= reps <= 5000:
            raise InvalidInput("reps must be between 2 and 5000", field="--reps")
        if seed < 0:
            raise InvalidInput("a seed is a non-negative integer", field="--seed")
        result = ft.fit(seed=seed, reps=reps)
        body = result.to_dict() | {"assumptions": list(ft.ASSUMPTIONS)}
        if out is not None:
            try:
                out.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", "utf-8")
            except OSError as exc:
                raise InvalidInput(f"cannot write {out}: {exc.strerror}", field="--out") from None
        if fmt is Format.JSON:
            sys.stdout.write(json.dumps(body, indent=2, sort_keys=True) + "\n")
            return
        rows = result.rows()
        if fmt is Format.TABLE:  # the method and meaning are in the JSON and docs/lab.md
            rows = [{k: r[k] for k in ("coefficient", "estimate", "p10", "p90")} for r in rows]
        emit(rows, fmt, title=f"lab fit: seed {seed}, {reps} bootstrap replicates (10-90%)")
        if fmt is Format.TABLE:
            emit(
                [{"assumption": a} for a in ft.ASSUMPTIONS],
                fmt,
                title="remaining assumptions (not estimated)",
            )


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
    app.command("sweep")(sweep)
    app.add_typer(lab_app, name="lab")
