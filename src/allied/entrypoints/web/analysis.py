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

from allied.domain.errors import AlliedError, Busy, InvalidInput
from allied.domain.users import sees_all
from allied.entrypoints.web.pages import _ctx, _error, harden, render, templates
from allied.entrypoints.web.session import check_csrf, csrf_for, current
from allied.service.caller import Caller

router = APIRouter(include_in_schema=False)

PUBLIC_REPORTS = ("burden", "deliveries")
RECORD_REPORTS = ("gaps", "predictability")
MAX_RUNS = 200_000
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


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    name: Annotated[str, Query(max_length=20)] = "burden",
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
) -> HTMLResponse:
    from allied.reports.charts import render_svg
    from allied.reports.render import display_rows
    from allied.service.reports import ReportOptions, build_report

    ctx = _ctx(request)
    caller, token = current(request, ctx)
    allowed = reports_for(caller)
    context: dict[str, Any] = {
        "reports": allowed,
        "name": name,
        "filters": {"from": start or "", "to": end or ""},
        "report": None,
        "chart": None,
        "columns": [],
        "rows": [],
        "error": None,
    }
    status = 200
    try:
        if name not in allowed:
            raise InvalidInput(
                f"choose one of {', '.join(allowed)}"
                + ("" if sees_all(caller.role) else " (gaps: see the overview)"),
                field="name",
            )
        options = ReportOptions(start=_date(start, "from"), end=_date(end, "to"))
        report = build_report(ctx.report_uow(), name, options)
        svg, _ = render_svg(report)
        columns, rows = display_rows(report, report.main)
        context.update(
            report=report, chart=svg[svg.find("<svg") :], columns=columns, rows=rows[:200]
        )
    except AlliedError as exc:
        context["error"] = _error(exc)
        status = context["error"]["status"]
    return render(
        request, "reports.html", caller, token, active="/reports", status=status, **context
    )


# -- the lab -----------------------------------------------------------------------------


@router.get("/lab", response_class=HTMLResponse)
def lab_page(request: Request) -> HTMLResponse:
    from allied.service.lab import list_scenarios

    caller, token = current(request, _ctx(request))
    return render(
        request,
        "lab.html",
        caller,
        token,
        active="/lab",
        scenarios=list_scenarios(),
        form={"scenario": "", "runs": "10000", "seed": "0", "overrides": ""},
        max_runs=MAX_RUNS,
        error=None,
    )


def _int(value: str, field: str, low: int, high: int) -> int:
    from allied.domain.values import int_in_range

    return int_in_range(value, field, low, high)


@router.post("/lab/run", response_class=HTMLResponse)
def lab_run(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    scenario: Annotated[str, Form(max_length=60)] = "",
    runs: Annotated[str, Form(max_length=8)] = "10000",
    seed: Annotated[str, Form(max_length=12)] = "0",
    overrides: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    from allied.service.lab import list_scenarios, run_scenario

    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    scenarios = list_scenarios()
    form = {"scenario": scenario, "runs": runs, "seed": seed, "overrides": overrides}
    lines = [line.strip() for line in overrides.splitlines() if line.strip()]

    def refuse(exc: AlliedError) -> HTMLResponse:
        return render(
            request,
            "lab.html",
            caller,
            token,
            active="/lab",
            status=_error(exc)["status"],
            scenarios=scenarios,
            form=form,
            max_runs=MAX_RUNS,
            error=_error(exc),
        )

    try:
        if scenario not in {s["name"] for s in scenarios}:
            raise InvalidInput(f"unknown scenario {scenario!r}", field="scenario")
        n_runs = _int(runs, "runs", 100, MAX_RUNS)
        n_seed = _int(seed, "seed", 0, 2**32 - 1)
    except AlliedError as exc:
        return refuse(exc)
    slots = request.app.state.lab_slots
    try:
        slots.take(caller.user)
    except Busy as exc:
        busy = refuse(exc)
        busy.headers["Retry-After"] = "10"
        return busy

    events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def work() -> None:
        try:
            out = run_scenario(
                scenario,
                runs=n_runs,
                seed=n_seed,
                overrides=lines or None,
                chart="png",
                progress=lambda done, total: events.put(("progress", (done, total))),
            )
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
        return refuse(first[1])

    title = next(s["title"] for s in scenarios if s["name"] == scenario)
    page = templates.get_template("lab_run.html").render(
        request=request,
        me=caller,
        csrf=csrf_for(token),
        nav=_nav_for(caller),
        active="/lab",
        today=ctx.today(),
        flash=None,
        error=None,
        title=title,
        scenario=scenario,
        runs=n_runs,
        seed=n_seed,
        overrides=lines,
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
                yield f"<li>{done:,} of {total:,} runs ({100 * done // max(total, 1)}%)</li>\n"
            elif kind == "done":
                picture = base64.b64encode(value["chart"]).decode("ascii")
                yield results.render(out=value, picture=picture, ok=True)
                break
            else:
                yield results.render(ok=False, message=str(value))
                break
            event = events.get()
        yield tail

    response = StreamingResponse(stream(), media_type="text/html; charset=utf-8")
    harden(response)
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _nav_for(caller: Caller) -> list[tuple[str, str]]:
    from allied.entrypoints.web.pages import _nav

    return _nav(caller)
