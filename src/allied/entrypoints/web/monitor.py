"""The dashboard's monitor page: positions per state and issue drawn from the events the
analysts confirmed, the fissures between states, and (for the roles that read the record)
the timeline of events and how many proposals wait for review."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from allied.domain.errors import AlliedError
from allied.entrypoints.web.pages import _ctx, render
from allied.entrypoints.web.session import current

router = APIRouter(include_in_schema=False)


# -- the monitor -------------------------------------------------------------------------


@router.get("/monitor", response_class=HTMLResponse)
def monitor_page(
    request: Request,
    groups: Annotated[int, Query(ge=2, le=6)] = 2,
) -> HTMLResponse:
    """Positions per state and issue from the analysts' confirmed events, the fissures
    between states, the timeline of events and how many proposals wait for review.

    The monitor reads public news and analysis (no releasability applies); reviewing
    proposals stays with ``allied monitor review|confirm|correct|reject``.
    """
    from allied.adapters.db.tables_monitor import sql_monitor_events
    from allied.domain.users import Action, may
    from allied.monitor.positions import ISSUE_HELP, Issue, fissures, timeline
    from allied.monitor.record import Status
    from allied.service.access import list_monitor_events, monitor_stances

    ctx = _ctx(request)
    caller, token = current(request, ctx)
    found = monitor_stances(ctx.read_uow(), sql_monitor_events, caller)
    issues = [i for i in Issue if any(p.issue is i for p in found)]
    actors = sorted({p.actor for p in found})
    cell = {(p.actor, p.issue): p for p in found}
    split = None
    try:
        if len({p.actor for p in found}) > groups:
            split = fissures(found, groups=groups)
    except AlliedError:
        split = None
    # the record of events (proposals and the analysts' decisions) is the coordinator's
    # and the auditor's, as in the API; every role sees the positions drawn from it
    waiting: int | None = None
    rows: list[Any] | None = None
    if may(caller.role, Action.READ_EVENTS):
        events = list_monitor_events(ctx.read_uow(), sql_monitor_events, caller)
        waiting = sum(1 for e in events if e.status is Status.PROPOSED)
        rows = timeline(events)
    return render(
        request,
        "monitor.html",
        caller,
        token,
        active="/monitor",
        issues=issues,
        help=ISSUE_HELP,
        actors=actors,
        cell=cell,
        split=split,
        groups=groups,
        waiting=waiting,
        timeline=None if rows is None else list(reversed(rows))[:100],
        total_events=0 if rows is None else len(rows),
    )
