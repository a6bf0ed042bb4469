"""The reports and lab pages of the dashboard (the monitor page is in :mod:`.monitor`).

**Reports** come from :mod:`allied.service.reports`. ``burden`` and ``deliveries`` read
only public data (the Kiel tracker, the SIPRI register) and are shown to everyone.
``gaps`` and ``predictability`` read the clearinghouse's requests, offers and pledges
unfiltered, so they are offered only to the roles that see every record (coordinator,
auditor); the overview shows every user its own, filtered gaps.

**The lab** runs through :func:`allied.service.lab.run_scenario` (modelled, public
data: no releasability). A run streams its page: the layout and a progress list first,
one line per chunk of runs as the engine reports it, then the headline table and the
chart, so progress shows without JavaScript and in any worker. Input errors (a bad
override, too many runs) are found before the page starts and answered 422: an override
sets one parameter (not ``variants``, ``positions``, ``name`` or ``date``) and the whole
work (runs x variants x months x actors) is bounded (:data:`allied.service.lab.MAX_WORK`).
At most :data:`LAB_RUNS_AT_ONCE` runs go at once in a server process, one per user;
another is answered 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import datetime as dt
import queue
import threading
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from allied.domain.errors import AlliedError, Busy, InvalidInput, MissingData
from allied.domain.users import sees_all
from allied.entrypoints.web.forms import Typed, form_page, refusal
from allied.entrypoints.web.pages import _ctx, _error, harden, render, templates
from allied.entrypoints.web.session import check_csrf, csrf_for, current
from allied.service.caller import Caller

router = APIRouter(include_in_schema=False)

PUBLIC_REPORTS = ("burden", "deliveries")
RECORD_REPORTS = ("gaps", "predictability")
MAX_RUNS = 200_000
#: runs a point of a sweep at most (the whole sweep is bounded by the lab's work limit)
MAX_SWEEP_RUNS = 50_000
#: lab runs at once in one server process (each takes a core), and for one user
LAB_RUNS_AT_ONCE = 2
LAB_RUNS_PER_USER = 1
MARK = "<!--progress-->"


def reports_for(caller: Caller) -> tuple[str, ...]:
    """The reports a caller may open (record-based ones need a role that sees all)."""
    return PUBLIC_REPORTS + (RECORD_REPORTS if sees_all(caller.role) else ())


def _date(value: str | None, field: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"expected a date YYYY-MM-DD, got {value!r}", field=field) from None


def build_for(
    request: Request, caller: Caller, name: str, start: str | None, end: str | None
) -> Any:
    """Report ``name`` over a period for ``caller`` (who must be allowed it), kept per
    data version (:mod:`.chartcache`): a page view does not rebuild it."""
    from allied.entrypoints.web.chartcache import cache_of, report_key
    from allied.service.reports import ReportOptions, build_report

    allowed = reports_for(caller)
    if name not in allowed:
        raise InvalidInput(
            f"choose one of {', '.join(allowed)}"
            + ("" if sees_all(caller.role) else " (gaps: see the overview)"),
            field="name",
        )
    options = ReportOptions(start=_date(start, "from"), end=_date(end, "to"))
    return cache_of(request).get(
        (*report_key(request, name, start, end), "report"),
        lambda: build_report(_ctx(request).report_uow(), name, options),
    )


def _numeric(values: list[str]) -> bool:
    filled = [v for v in values if v and v not in ("—", "-", "n/a")]
    return bool(filled) and all(v[:1] in "-0123456789" for v in filled)


def waiting_for_data(request: Request, reports: tuple[str, ...]) -> dict[str, Any]:
    """Of ``reports``, those that wait for public data not imported yet (kept per data
    version, as the reports are): ``names`` (report -> its error) and ``datasets``, one
    entry per missing data set: its label, the reports that need it and the command."""
    from allied.entrypoints.web.chartcache import cache_of, version
    from allied.service.reports import DATASETS, unavailable

    missing = cache_of(request).get(
        ("report-data", reports, version(request, reports=True)),
        lambda: unavailable(_ctx(request).report_uow(), reports),
    )
    datasets = [
        {
            "dataset": dataset,
            "label": label,
            "command": command,
            "reports": [n for n in reports if n in missing and missing[n].dataset == dataset],
        }
        for dataset, (label, command) in DATASETS.items()
        if any(e.dataset == dataset for e in missing.values())
    ]
    return {"names": missing, "datasets": datasets}


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    name: Annotated[str | None, Query(max_length=20)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
) -> HTMLResponse:
    """A report, chosen from those the caller may open. A report whose public data is
    not imported yet is not an error of the caller's: the page says which data each such
    report needs and the command that imports it, and offers the others (without a
    ``name``, the first report that can be shown)."""
    from urllib.parse import urlencode

    from allied.entrypoints.web import figures
    from allied.entrypoints.web.chartcache import cache_of, report_key
    from allied.reports.render import display_rows

    ctx = _ctx(request)
    caller, token = current(request, ctx)
    allowed = reports_for(caller)
    waiting = waiting_for_data(request, allowed)
    available = [r for r in allowed if r not in waiting["names"]]
    if name is None:
        name = available[0] if available else allowed[0]
    context: dict[str, Any] = {
        "reports": allowed,
        "available": available,
        "waiting": waiting,
        "name": name,
        "filters": {"from": start or "", "to": end or ""},
        "report": None,
        "figure": None,
        "columns": [],
        "numeric": set(),
        "rows": [],
        "error": None,
    }
    status = 200
    try:
        if name not in waiting["names"]:
            report = build_for(request, caller, name, start, end)
            key = report_key(request, name, start, end)
            figure = cache_of(request).get(
                (*key, "figure"), lambda: figures.report(name, report.tables, report.options)
            )
            columns, rows = display_rows(report, report.main)
            query = urlencode({"from": start or "", "to": end or "", "v": key[-1]})
            context.update(
                report=report,
                figure=figure,
                image=f"/charts/reports/{name}.svg?{query}",
                png=f"/charts/reports/{name}.png?{query}",
                columns=columns,
                numeric={c for c in columns if _numeric([str(r[c]) for r in rows])},
                rows=rows[:200],
            )
    except MissingData as exc:  # its data removed since the check: said, not refused
        context["error"] = _error(exc, lead="Not shown")
    except AlliedError as exc:
        context["error"] = _error(exc, lead="Not shown")
        status = context["error"]["status"]
    return render(
        request, "reports.html", caller, token, active="/reports", status=status, **context
    )


# -- the lab -----------------------------------------------------------------------------


def _lab_form(**given: str) -> dict[str, str]:
    form = {"scenario": "", "runs": "10000", "seed": "0", "overrides": "", "grid": ""}
    form.update(given)
    return form


def _lab(
    request: Request,
    caller: Caller,
    token: str,
    *,
    form: dict[str, str],
    error: dict[str, Any] | None = None,
    status: int = 200,
    mode: str = "run",
) -> HTMLResponse:
    from allied.service.lab import MAX_SWEEP_POINTS, list_scenarios, scenario_parameters

    scenarios = list_scenarios()
    return render(
        request,
        "lab.html",
        caller,
        token,
        active="/lab",
        status=status,
        scenarios=scenarios,
        parameters={s["name"]: scenario_parameters(s["name"]) for s in scenarios},
        form=form,
        max_runs=MAX_RUNS,
        max_points=MAX_SWEEP_POINTS,
        error=error,
        mode=mode,
    )


def _lab_refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    """The lab again with the refused run's or sweep's form as typed."""
    mode = "sweep" if request.url.path.endswith("/sweep") else "run"
    fields = ("scenario", "runs", "seed", "overrides", "grid")
    form = _lab_form(**{k: typed[k] for k in fields if k in typed})
    return _lab(request, caller, token, form=form, error={**error, "lead": "Not run"},
                status=error["status"], mode=mode)


@router.get("/lab", response_class=HTMLResponse)
def lab_page(request: Request) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _lab(request, caller, token, form=_lab_form())


def _int(value: str, field: str, low: int, high: int) -> int:
    from allied.domain.values import int_in_range

    return int_in_range(value, field, low, high)


def side_by_side(table: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """The headline table (variant, metric, value rows) turned so that the variants stand
    side by side: one row per metric, one column per variant (in their order)."""
    variants: list[str] = []
    rows: dict[str, dict[str, Any]] = {}
    for row in table:
        variant, metric = str(row["variant"]), str(row["metric"])
        if variant not in variants:
            variants.append(variant)
        rows.setdefault(metric, {"metric": metric})[variant] = row["value"]
    return variants, list(rows.values())


def _stream_lab(
    request: Request,
    caller: Caller,
    token: str,
    *,
    heading: dict[str, Any],
    job: Any,
    refuse: Any,
    finish: Any,
) -> Response:
    """Run ``job(progress)`` in a thread (one of the server's lab slots) and stream the
    page: its head, one progress bar per chunk of runs as the engine reports it (the page's
    style stacks them in one place, the latest on top, so it reads as one bar filling up
    while the page streams, without script), then
    ``finish(result)`` (the results) or the error, then the page's end."""
    ctx = _ctx(request)
    slots = request.app.state.lab_slots
    try:
        slots.take(caller.user)
    except Busy as exc:
        busy: Response = refuse(exc)
        busy.headers["Retry-After"] = "10"
        return busy

    events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def work() -> None:
        try:
            out = job(lambda done, total: events.put(("progress", (done, total))))
            events.put(("done", out))
        except AlliedError as exc:
            events.put(("error", exc))
        except Exception as exc:  # reported on the page, never a bare 500 mid-stream
            events.put(("crash", exc))
        finally:
            slots.give_back(caller.user)

    threading.Thread(target=work, name="allied-lab-run", daemon=True).start()
    first = events.get()
    if first[0] == "error":
        refused: Response = refuse(first[1])
        return refused

    page = templates.get_template("lab_run.html").render(
        request=request,
        me=caller,
        csrf=csrf_for(token),
        nav=_nav_for(caller),
        active="/lab",
        today=ctx.today(),
        flash=None,
        error=None,
        **heading,
    )
    head, tail = page.split(MARK, 1)
    results = templates.get_template("_lab_results.html")

    def stream() -> Iterator[str]:
        yield head
        event = first
        while True:
            kind, value = event
            if kind == "progress":
                done, total = value
                pct = 100 * done // max(total, 1)
                yield (
                    f'<div class="tick"><progress value="{done}" max="{total}" '
                    f'aria-label="Runs done">{pct}%</progress>'
                    f"<span>{done:,} of {total:,} runs ({pct}%)</span></div>\n"
                )
            elif kind == "done":
                yield '</div><p class="sr" role="status">Finished.</p>\n'
                yield results.render(ok=True, **finish(value))
                break
            else:
                yield "</div>\n"
                yield results.render(ok=False, message=str(value))
                break
            event = events.get()
        yield tail

    response = StreamingResponse(stream(), media_type="text/html; charset=utf-8")
    harden(response)
    response.headers["X-Accel-Buffering"] = "no"
    return response


#: the ids of the lab's forms' fields (an override's key is the overrides' field)
RUN_IDS = {"scenario": "lab-scenario", "runs": "lab-runs", "seed": "lab-seed",
           "overrides": "lab-over"}
SWEEP_IDS = {"scenario": "sweep-scenario", "grid": "sweep-grid", "runs": "sweep-runs",
             "seed": "sweep-seed"}


@router.post("/lab/run", response_class=HTMLResponse)
@form_page(_lab_refused, RUN_IDS)
def lab_run(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    scenario: Annotated[str, Form(max_length=60)] = "",
    runs: Annotated[str, Form(max_length=8)] = "10000",
    seed: Annotated[str, Form(max_length=12)] = "0",
    overrides: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    from allied.entrypoints.web import figures
    from allied.service.lab import check_parameter_lines, list_scenarios, run_scenario

    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    scenarios = list_scenarios()
    form = _lab_form(scenario=scenario, runs=runs, seed=seed, overrides=overrides)
    lines = [line.strip() for line in overrides.splitlines() if line.strip()]

    def refuse(exc: AlliedError) -> HTMLResponse:
        err = refusal(exc, RUN_IDS, lead="Not run")
        return _lab(request, caller, token, form=form, error=err, status=err["status"])

    try:
        if scenario not in {s["name"] for s in scenarios}:
            raise InvalidInput(f"unknown scenario {scenario!r}", field="scenario")
        n_runs = _int(runs, "runs", 100, MAX_RUNS)
        n_seed = _int(seed, "seed", 0, 2**32 - 1)
        check_parameter_lines(scenario, lines, field="overrides", shape="key=value")
    except AlliedError as exc:
        return refuse(exc)

    def job(progress: Any) -> dict[str, Any]:
        try:
            return run_scenario(
                scenario,
                runs=n_runs,
                seed=n_seed,
                overrides=lines or None,
                chart="png",
                progress=progress,
            )
        except InvalidInput as exc:  # a value the parameter refuses: the form's box, by key
            if exc.field in (None, "runs", "scenario", "seed", "overrides"):
                raise
            raise InvalidInput(f"{exc.field}: {exc.message}", field="overrides") from None

    def finish(out: dict[str, Any]) -> dict[str, Any]:
        variants, metrics = side_by_side(out["table"])
        return {
            "kind": "run",
            "variants": variants,
            "metrics": metrics,
            "panels": [figures.lab_panel(p) for p in out["panels"]],
            "picture": base64.b64encode(out["chart"]).decode("ascii"),
        }

    title = next(s["title"] for s in scenarios if s["name"] == scenario)
    heading = {
        "title": title,
        "scenario": scenario,
        "subtitle": f"{n_runs:,} runs, seed {n_seed}",
        "overrides": lines,
    }
    return _stream_lab(
        request, caller, token, heading=heading, job=job, refuse=refuse, finish=finish
    )


@router.post("/lab/sweep", response_class=HTMLResponse)
@form_page(_lab_refused, SWEEP_IDS)
def lab_sweep(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    scenario: Annotated[str, Form(max_length=60)] = "",
    grid: Annotated[str, Form(max_length=2000)] = "",
    runs: Annotated[str, Form(max_length=8)] = "5000",
    seed: Annotated[str, Form(max_length=12)] = "0",
) -> Response:
    """A parameter sweep (``allied sweep --grid``) in the browser: the grid's points run
    one after the other with the same seed, progress counted over every run of every
    variant of every point (only up, ending at 100 %)."""
    from allied.entrypoints.web import figures
    from allied.service.lab import check_parameter_lines, list_scenarios, run_sweep

    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    scenarios = list_scenarios()
    form = _lab_form(scenario=scenario, runs=runs, seed=seed, grid=grid)
    lines = [line.strip() for line in grid.splitlines() if line.strip()]

    def refuse(exc: AlliedError) -> HTMLResponse:
        err = refusal(exc, SWEEP_IDS, lead="Not run")
        return _lab(
            request, caller, token, form=form, error=err, status=err["status"], mode="sweep"
        )

    try:
        if scenario not in {s["name"] for s in scenarios}:
            raise InvalidInput(f"unknown scenario {scenario!r}", field="sweep-scenario")
        n_runs = _int(runs, "sweep-runs", 100, MAX_SWEEP_RUNS)
        n_seed = _int(seed, "sweep-seed", 0, 2**32 - 1)
        if not lines:
            raise InvalidInput("give at least one line key=a,b,c", field="grid")
        check_parameter_lines(scenario, lines, field="grid", shape="key=a,b,c")
    except AlliedError as exc:
        return refuse(exc)

    def job(progress: Any) -> dict[str, Any]:
        try:
            return run_sweep(scenario, lines, runs=n_runs, seed=n_seed, progress=progress)
        except InvalidInput as exc:
            if exc.field == "runs":
                raise InvalidInput(exc.message, field="sweep-runs") from None
            raise

    def finish(out: dict[str, Any]) -> dict[str, Any]:
        keys = out["keys"]
        metrics = [m for m in out["rows"][0] if m not in keys] if out["rows"] else []
        return {
            "kind": "sweep",
            "keys": keys,
            "sweep_metrics": metrics,
            "sweep_rows": out["rows"],
            "panels": [figures.sweep(keys, out["rows"], metrics)],
        }

    title = next(s["title"] for s in scenarios if s["name"] == scenario)
    heading = {
        "title": f"Sweep: {title}",
        "scenario": scenario,
        "subtitle": f"{n_runs:,} runs a point, seed {n_seed}",
        "overrides": lines,
    }
    return _stream_lab(
        request, caller, token, heading=heading, job=job, refuse=refuse, finish=finish
    )


def _nav_for(caller: Caller) -> list[tuple[str, str]]:
    from allied.entrypoints.web.pages import _nav

    return _nav(caller)
