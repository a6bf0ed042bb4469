"""The dashboard's pages: server-rendered HTML over the access service.

This module holds what every page shares (templates, rendering, messages, the security
headers), signing in and out, and the overview; the pages of each area live beside it,
as the API's routes do: :mod:`.records` (requests, offers, pledges; amend, withdraw,
close), :mod:`.workflow` (allocation, consents, decisions), :mod:`.audit` (the ledger),
:mod:`.analysis` (reports, the lab) and :mod:`.monitor` (the monitor).

Every page resolves the signed-in user from the session cookie with the API's own
``authenticate`` and reads through :mod:`allied.service.access` with the app's clock,
so it shows exactly what the API would answer that user. Forms post back here with a
CSRF token, are handled in one service call (one transaction) and redirect (303) to the
page they came from with a fixed confirmation message; a refused form is shown again
with the error, naming the field, and the status the API would give.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from allied import __version__
from allied.domain.errors import AlliedError
from allied.domain.users import Action, may
from allied.entrypoints.api.context import AppContext
from allied.entrypoints.web import chartcache, views
from allied.entrypoints.web.forms import carried, refusal
from allied.entrypoints.web.session import (
    SignInThrottle,
    check_csrf,
    check_login_csrf,
    client_of,
    csrf_for,
    current,
    end_session,
    new_login_csrf,
    safe_next,
    set_login_cookie,
    start_session,
)
from allied.service.caller import Caller
from allied.service.users import authenticate

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["version"] = __version__

_compiled = threading.Lock()
_compiled_all: list[bool] = []


def compile_templates() -> None:
    """Compile every page's template once per process (an app starts this in the
    background): the first view of a page after the server starts does not compile it,
    0.3-1 s for the larger ones (``decisions.html`` and what it imports)."""
    with _compiled:
        if _compiled_all:
            return
        for name in templates.env.list_templates(extensions=["html"]):
            templates.env.get_template(name)
        _compiled_all.append(True)

router = APIRouter(include_in_schema=False)

CHANNELS = ("bilateral", "udcg", "nato-cap", "nsatu", "eu-epf", "g7")
SOLVERS = ("auto", "flow", "lp", "greedy")
_REF = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

#: Confirmation messages a redirect may ask for (never free text from the URL).
MESSAGES = {
    "request-posted": "Request {ref} posted.",
    "priority-set": "Priority of request {ref} changed.",
    "offer-posted": "Offer {ref} posted.",
    "pledged": "Pledge {ref} recorded.",
    "moved": "Allocation {ref} moved.",
    "answered": "Consent request {ref} answered.",
    "position": "Position recorded on proposal {ref}.",
    "circulated": "Proposal {ref} circulated.",
    "amended": "{ref} amended.",
    "unchanged": "{ref} left as it was: no field changed.",
    "withdrawn": "{ref} withdrawn.",
    "closed": "Request {ref} closed.",
    "disabled": "User {ref} disabled: its token is refused from now on.",
    "revised": "Proposal {ref} revised: the clock restarts, positions are cleared.",
    "proposal-withdrawn": "Proposal {ref} withdrawn.",
    "accession": "Accession {ref}: step recorded.",
    "policy-set": "Standing consent policy of {ref} set.",
    "reviewed": "Monitor event {ref} reviewed.",
    "extracted": "Proposed events recorded for review ({ref} new).",
    "imported": "Imported: {ref}.",
    "accepted": "Plan recorded and {ref} line(s) accepted.",
    "closed-due": "{ref} proposal(s) past their deadline closed.",
    "expired": "Expiry job done: {ref}.",
}

#: (path, label, action needed to see the link or None)
NAV: tuple[tuple[str, str, Action | None], ...] = (
    ("/", "Overview", None),
    ("/requests", "Requests", None),
    ("/offers", "Offers", None),
    ("/allocation", "Allocation", None),
    ("/consents", "Consents", Action.READ_CONSENTS),
    ("/decisions", "Decisions", None),
    ("/ledger", "Ledger", Action.READ_LEDGER),
    ("/reports", "Reports", None),
    ("/lab", "Lab", None),
    ("/monitor", "Monitor", None),
    ("/data", "Data", None),
    ("/admin/users", "Users", Action.MANAGE_USERS),
)


#: Headers on every dashboard page: only this origin's scripts, styles and images (charts
#: are inline SVG, the lab's PNG a data: URL), no framing, no referrer to other sites.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def harden(response: Response) -> Response:
    response.headers.update(PAGE_HEADERS)
    return response


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def _nav(caller: Caller) -> list[tuple[str, str]]:
    return [(p, label) for p, label, need in NAV if need is None or may(caller.role, need)]


def _flash(request: Request) -> str | None:
    key = request.query_params.get("ok")
    ref = request.query_params.get("ref", "")
    if key not in MESSAGES or not _REF.match(ref or "-"):
        return None
    return MESSAGES[key].format(ref=ref).replace("  ", " ")


def render(
    request: Request,
    template: str,
    caller: Caller,
    token: str,
    *,
    active: str,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    page = {
        "me": caller,
        "csrf": csrf_for(token),
        "nav": _nav(caller),
        "active": active,
        "flash": _flash(request),
        "today": _ctx(request).today(),
        "may": lambda action: may(caller.role, Action(action)),
        **context,
    }
    response = templates.TemplateResponse(request, template, page, status_code=status)
    harden(response)
    return response


def _error(exc: AlliedError, lead: str = "Not saved") -> dict[str, Any]:
    """A refusal as a page shows it (:func:`allied.entrypoints.web.forms.refusal`)."""
    return refusal(exc, lead=lead)


def _done(path: str, key: str, ref: str) -> RedirectResponse:
    ref = ref if _REF.match(ref) else ""
    return RedirectResponse(f"{path}?ok={key}&ref={ref}", status_code=303)


def _opt(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# -- sign in and out ---------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    value = new_login_csrf()
    response = templates.TemplateResponse(
        request, "login.html", {"login_csrf": value, "next": safe_next(next), "login_error": None}
    )
    set_login_cookie(response, request, value)
    harden(response)
    return response


def login_page_carrying(
    request: Request, next_url: str, carry: list[tuple[str, str]], error: str | None = None
) -> HTMLResponse:
    """The sign-in page holding a form's fields posted after the session ended (401)."""
    value = new_login_csrf()
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"login_csrf": value, "next": safe_next(next_url), "login_error": error, "carry": carry},
        status_code=401,
    )
    set_login_cookie(response, request, value)
    harden(response)
    return response


def _login_refused(request: Request, next_url: str, message: str, status: int) -> Response:
    value = new_login_csrf()
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"login_csrf": value, "next": safe_next(next_url), "login_error": message},
        status_code=status,
    )
    set_login_cookie(response, request, value)
    harden(response)
    return response


def _throttle(request: Request) -> SignInThrottle:
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    return throttle


async def _carried(request: Request) -> list[tuple[str, str]]:
    """The fields of a form carried through the sign-in page (``carry.<name>``)."""
    return carried(await request.form())


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    carry: Annotated[list[tuple[str, str]], Depends(_carried)],
    token: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    check_login_csrf(request, csrf)
    throttle, client = _throttle(request), client_of(request)
    wait = throttle.wait(client)
    if wait:
        response = _login_refused(
            request, next, f"Too many wrong tokens; try again in {wait} s.", 429
        )
        response.headers["Retry-After"] = str(wait)
        return response
    caller = authenticate(_ctx(request).read_uow(), token.strip()) if token.strip() else None
    if caller is None:
        throttle.failed(client)
        if carry:
            return login_page_carrying(
                request, next, carry, "That token is unknown or revoked."
            )
        return _login_refused(request, next, "That token is unknown or revoked.", 401)
    throttle.succeeded(client)
    if carry:
        return _resume(request, caller, token.strip(), safe_next(next), carry)
    redirect = RedirectResponse(safe_next(next), status_code=303)
    start_session(redirect, request, caller, token.strip())
    return redirect


#: fields of a carried form kept out of sight on the page that gives it back
_HIDDEN = frozenset({"back", "ids", "lines", "plan_signature", "to", "step", "action", "answer"})
#: the page a form's address belongs to (its first path segment), to go back to
_PAGE_OF = {
    "allocations": "/allocation",
    "allocation": "/allocation",
    "proposals": "/decisions",
    "accessions": "/decisions",
    "decisions": "/decisions",
    "requests": "/requests",
    "offers": "/offers",
    "consents": "/consents",
    "monitor": "/monitor/review",
    "admin": "/admin/users",
    "data": "/data",
    "lab": "/lab",
}


def _resume(
    request: Request, caller: Caller, token: str, action: str, carry: list[tuple[str, str]]
) -> HTMLResponse:
    """Signed in again with a carried form: the form back, filled, to check and send (it
    is never sent for the user)."""
    holder = Response()
    sid = start_session(holder, request, caller, token)
    first = action.strip("/").split("/", 1)[0]
    page = render(
        request,
        "resume.html",
        caller,
        sid,
        active=_PAGE_OF.get(first, "/"),
        fields=carry,
        action=action,
        page=_PAGE_OF.get(first),
        hidden=_HIDDEN,
    )
    for key, value in holder.raw_headers:
        if key == b"set-cookie":
            page.raw_headers.append((key, value))
    return page


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    _, sid = current(request, _ctx(request))
    check_csrf(request, sid, csrf)
    response = RedirectResponse("/login", status_code=303)
    end_session(response, request, sid)
    return response


# -- overview ----------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request) -> HTMLResponse:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    # the data version is read before the data: a change landing in between files the
    # newer figures under the older version (the next view builds them again), never
    # older figures under a newer version
    key = chartcache.overview_key(request, caller, "figures")
    # the picture and the to-do list are kept per data version too: a view after no change
    # reads the version only
    data, todo = chartcache.overview_page_data(request, caller, key)
    donors = chartcache.sorted_donors(data.offer_totals)
    chart_version, figs = chartcache.overview_figures(request, key, data, donors)
    return render(
        request,
        "overview.html",
        caller,
        token,
        active="/",
        data=data,
        todo=todo,
        todo_sections=views.todo_sections(todo, caller.nation),
        donors=donors,
        figs=figs,
        chart_version=chart_version,
    )
