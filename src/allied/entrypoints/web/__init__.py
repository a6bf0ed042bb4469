"""The web dashboard: server-rendered pages (Jinja2) and static assets on the API's app.

``mount_web(app, ctx)`` adds the pages, ``/static`` (with ``nosniff``), the sign-in
sessions store and throttle (:mod:`allied.entrypoints.web.session`) and the handlers
that send a visitor who is not signed in to ``/login`` and refuse a form without its
CSRF token (403), and that answer a refused form with its page again (not the API's
JSON; see :mod:`allied.entrypoints.web.forms`). The pages read through
:mod:`allied.service.access` with the app's context (``ctx``), so the dashboard shows
each nation exactly what the API shows it.
Works without JavaScript.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from allied.adapters.db.repository_users import SqlWebSessions
from allied.domain.errors import AlliedError
from allied.entrypoints.web.forms import refused_form, resume_fields
from allied.entrypoints.web.session import CsrfFailed, SignInRequired, SignInThrottle
from allied.service.lab import LabSlots

STATIC = Path(__file__).parent / "static"

if TYPE_CHECKING:
    from allied.entrypoints.api.context import AppContext


async def _sign_in(request: Request, exc: Exception) -> Response:
    """Send a visitor who is not signed in to the sign-in page; a form posted after the
    session ended is carried there (see :mod:`allied.entrypoints.web.forms`)."""
    assert isinstance(exc, SignInRequired)
    fields = await resume_fields(request)
    if fields:
        from allied.entrypoints.web.pages import login_page_carrying

        return login_page_carrying(request, exc.next_url, fields)
    target = "/login" if exc.next_url == "/" else f"/login?next={quote(exc.next_url, safe='/')}"
    return RedirectResponse(target, status_code=303)


def _csrf(request: Request, exc: Exception) -> Response:
    from allied.entrypoints.web.pages import harden, templates

    page = templates.TemplateResponse(request, "csrf.html", {"message": str(exc)}, status_code=403)
    return harden(page)


class HardenedStaticFiles(StaticFiles):
    """Static assets served with ``X-Content-Type-Options: nosniff`` (a browser takes a
    file only as the type it is served as)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


#: the dashboard's forms that take a file, and the largest body each takes: the imports
#: (Kiel, SIPRI, requests, offers) and the monitor's text (see data.py and monitor.py)
UPLOADS = {"/data/import": 20 * 2**20, "/monitor/extract": 2 * 2**20}


def upload_limits(max_body_bytes: int) -> dict[str, int]:
    """Path -> body size for the upload forms (a file plus the form's other fields),
    never below the API's own limit."""
    return {path: max(size + 64 * 1024, max_body_bytes) for path, size in UPLOADS.items()}


def mount_web(app: FastAPI, ctx: AppContext) -> None:
    """Serve the dashboard from ``app`` (whose ``app.state.ctx`` is ``ctx``)."""
    from allied.entrypoints.web import (
        admin,
        analysis,
        audit,
        chartcache,
        data,
        detail,
        governance,
        monitor,
        pages,
        plans,
        policies,
        records,
        workflow,
    )

    assert app.state.ctx is ctx
    app.include_router(pages.router)
    app.include_router(records.router)
    app.include_router(workflow.router)
    app.include_router(audit.router)
    app.include_router(analysis.router)
    app.include_router(chartcache.router)
    app.include_router(monitor.router)
    app.include_router(admin.router)
    app.include_router(governance.router)
    app.include_router(policies.router)
    app.include_router(data.router)
    app.include_router(plans.router)
    # last: its /consents/{id}, /offers/{id}... must not catch /consents/policies and the like
    app.include_router(detail.router)
    app.state.web_sessions = SqlWebSessions(
        ctx.sessions, read_sessions=ctx.read_sessions, writer_lock=ctx.writer_lock
    )
    app.state.sign_in_throttle = SignInThrottle()
    app.state.chart_cache = chartcache.ChartCache()
    app.state.lab_slots = LabSlots(analysis.LAB_RUNS_AT_ONCE, analysis.LAB_RUNS_PER_USER)
    app.mount("/static", HardenedStaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(CsrfFailed, _csrf)
    # a dashboard form refused (by FastAPI's validation or by the service) comes back as
    # its page; everything else keeps the API's JSON answer (forms.refused_form)
    for kind in (RequestValidationError, AlliedError):
        app.add_exception_handler(kind, refused_form(app.exception_handlers.get(kind)))


__all__ = ["UPLOADS", "mount_web", "upload_limits"]
