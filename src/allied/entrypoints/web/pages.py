"""The dashboard's pages: server-rendered HTML over the access service.

Every page resolves the signed-in user from the session cookie with the API's own
``authenticate`` and reads through :mod:`allied.service.access` with the app's clock,
so it shows exactly what the API would answer that user. Forms post back here with a
CSRF token, are handled in one service call (one transaction) and redirect (303) to the
page they came from with a fixed confirmation message; a refused form is shown again
with the error, naming the field, and the status the API would give.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from allied import __version__
from allied.allocation.model import Options
from allied.domain.assistance import AllocationStatus, RecordStatus
from allied.domain.errors import AlliedError, InvalidInput, RuleViolation
from allied.domain.rules import Rule
from allied.domain.users import Action, UserRole, may
from allied.domain.values import choice, int_in_range, parse_date
from allied.entrypoints.api.context import AppContext
from allied.entrypoints.api.errors import status_for
from allied.entrypoints.web import charts, views
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
from allied.service import access
from allied.service.caller import Caller
from allied.service.users import authenticate

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["version"] = __version__

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


def _error(exc: AlliedError) -> dict[str, Any]:
    status, _ = status_for(exc)
    field = exc.field if isinstance(exc, InvalidInput) else None
    message = exc.message if isinstance(exc, InvalidInput) else str(exc)
    return {"status": status, "message": message, "field": field}


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


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
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
        return _login_refused(request, next, "That token is unknown or revoked.", 401)
    throttle.succeeded(client)
    redirect = RedirectResponse(safe_next(next), status_code=303)
    start_session(redirect, request, caller, token.strip())
    return redirect


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
    data = views.overview(ctx.read_uow, caller, ctx.today())
    todo = access.todo(ctx.read_uow(), caller, ctx.today())
    gap_chart = charts.share_bars(
        [g.family for g in data.gaps],
        [
            ("delivered", [g.delivered_share for g in data.gaps]),
            ("pledged", [max(g.fill - g.delivered_share, 0.0) for g in data.gaps]),
            ("proposed", [g.proposed_share for g in data.gaps]),
            ("gap", [g.open_share for g in data.gaps]),
        ],
        xlabel="share of the quantity requested (%)",
    )
    donors = sorted(data.offer_totals, key=lambda t: (-t["committed"], -t["quantity"], t["key"]))
    burden_chart = charts.grouped_bars(
        [t["key"] for t in donors],
        [
            ("offered", [t["quantity"] for t in donors]),
            ("committed", [t["committed"] for t in donors]),
        ],
        xlabel="quantity offered and committed (units)",
    )
    return render(
        request,
        "overview.html",
        caller,
        token,
        active="/",
        data=data,
        todo=todo,
        donors=donors,
        gap_chart=gap_chart,
        burden_chart=burden_chart,
    )


# -- requests ----------------------------------------------------------------------------


def _requests_page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    family: str | None = None,
    priority: int | None = None,
    status: str | None = None,
    offset: int = 0,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    edit: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx = _ctx(request)
    page = access.list_requests(
        ctx.read_uow(),
        caller,
        ctx.today(),
        family=family,
        priority=priority,
        status=RecordStatus(status) if status else None,
        limit=views.PAGE_SIZE,
        offset=offset,
    )
    families = sorted(
        {
            r["family"]
            for r in views.all_rows(access.list_requests, ctx.read_uow(), caller, ctx.today())
        }
    )
    editable = may(caller.role, Action.CREATE_REQUEST)
    changeable = {r["id"] for r in page.items if editable and _may_change(caller, r, "recipient")}
    return render(
        request,
        "requests.html",
        caller,
        token,
        active="/requests",
        status=error["status"] if error else 200,
        page=page,
        families=families,
        filters={"family": family or "", "priority": priority or "", "status": status or ""},
        editable=editable,
        changeable=changeable,
        edit=edit,
        error=error,
        form=form or {},
    )


@router.get("/requests", response_class=HTMLResponse)
def requests_page(
    request: Request,
    family: Annotated[str | None, Query(max_length=40)] = None,
    priority: Annotated[str | None, Query(max_length=2)] = None,
    status: Annotated[str | None, Query(pattern="^(|open|closed|withdrawn)$")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    prio = int(priority) if priority and priority.isdigit() and 1 <= int(priority) <= 5 else None
    return _requests_page(
        request,
        caller,
        token,
        family=_opt(family),
        priority=prio,
        status=_opt(status),
        offset=offset,
    )


@router.post("/requests", response_class=HTMLResponse)
def post_request(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    recipient: Annotated[str, Form(max_length=16)] = "",
    family: Annotated[str, Form(max_length=64)] = "",
    quantity: Annotated[str, Form(max_length=12)] = "",
    priority: Annotated[str, Form(max_length=2)] = "3",
    needed_by: Annotated[str, Form(max_length=10)] = "",
    notes: Annotated[str, Form(max_length=2000)] = "",
    releasability: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {
        "recipient": (recipient or caller.nation).strip().upper(),
        "family": family.strip(),
        "quantity": quantity.strip(),
        "priority": priority.strip(),
        "needed_by": needed_by.strip(),
        "notes": notes.strip(),
        "releasability": releasability.strip(),
    }
    data = {k: v for k, v in form.items() if v != ""}
    try:
        made = access.create_request(ctx.uow(), caller, data)
    except AlliedError as exc:
        return _requests_page(request, caller, token, error=_error(exc), form=form)
    return _done("/requests", "request-posted", str(made["id"]))


@router.post("/requests/{request_id}/priority", response_class=HTMLResponse)
def post_priority(
    request: Request,
    request_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    priority: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    try:
        access.set_request_priority(ctx.uow(), caller, ctx.today(), request_id, priority)
    except AlliedError as exc:
        return _requests_page(request, caller, token, error=_error(exc))
    return _done("/requests", "priority-set", request_id)


# -- offers and pledges ----------------------------------------------------------------


def _offers_page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    family: str | None = None,
    status: str | None = None,
    donor: str | None = None,
    offset: int = 0,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    edit: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx = _ctx(request)
    day = ctx.today()
    page = access.list_offers(
        ctx.read_uow(),
        caller,
        day,
        donor=donor,
        family=family,
        status=RecordStatus(status) if status else None,
        limit=views.PAGE_SIZE,
        offset=offset,
    )
    offers = views.all_rows(access.list_offers, ctx.read_uow(), caller, day)
    coordinator = caller.role == UserRole.COORDINATOR
    own = {o["id"] for o in offers if coordinator or o["donor"] == caller.nation}
    mine = caller.role == UserRole.DONOR
    allocations = [
        a
        for a in views.all_rows(access.list_allocations, ctx.read_uow(), caller, day)
        if not mine or a["offer"] in own
    ]
    open_requests = views.all_rows(access.list_requests, ctx.read_uow(), caller, day, status=None)
    open_requests = [r for r in open_requests if r["status"] == "open"]
    return render(
        request,
        "offers.html",
        caller,
        token,
        active="/offers",
        status=error["status"] if error else 200,
        page=page,
        families=sorted({o["family"] for o in offers}),
        donors=sorted({o["donor"] for o in offers}),
        filters={"family": family or "", "status": status or "", "donor": donor or ""},
        allocations=allocations,
        moves={
            a["id"]: views.next_moves(caller.role, a["status"], a["needs_consent"])
            for a in allocations
        },
        own_offers=[o for o in offers if o["id"] in own and o["available"] > 0],
        open_requests=open_requests,
        channels=CHANNELS,
        may_offer=may(caller.role, Action.CREATE_OFFER),
        may_pledge=may(caller.role, Action.PLEDGE),
        changeable={
            o["id"]
            for o in page.items
            if may(caller.role, Action.CREATE_OFFER) and _may_change(caller, o, "donor")
        },
        edit=edit,
        error=error,
        form=form or {},
    )


@router.get("/offers", response_class=HTMLResponse)
def offers_page(
    request: Request,
    family: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(pattern="^(|open|closed|withdrawn)$")] = None,
    donor: Annotated[str | None, Query(max_length=16)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _offers_page(
        request,
        caller,
        token,
        family=_opt(family),
        status=_opt(status),
        donor=(_opt(donor) or "").upper() or None,
        offset=offset,
    )


@router.post("/offers", response_class=HTMLResponse)
def post_offer(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    donor: Annotated[str, Form(max_length=16)] = "",
    family: Annotated[str, Form(max_length=64)] = "",
    quantity: Annotated[str, Form(max_length=12)] = "",
    available_from: Annotated[str, Form(max_length=10)] = "",
    channel: Annotated[str, Form(max_length=16)] = "bilateral",
    origin: Annotated[str, Form(max_length=200)] = "",
    item_type: Annotated[str, Form(max_length=64)] = "",
    lethal: Annotated[str, Form(max_length=5)] = "",
    caveats: Annotated[str, Form(max_length=2000)] = "",
    releasability: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {
        "donor": (donor or caller.nation).strip().upper(),
        "family": family.strip(),
        "quantity": quantity.strip(),
        "available_from": available_from.strip(),
        "channel": channel.strip(),
        "origin": origin.strip().upper(),
        "item_type": item_type.strip(),
        "caveats": caveats.strip(),
        "releasability": releasability.strip(),
    }
    data: dict[str, Any] = {k: v for k, v in form.items() if v != ""}
    data["lethal"] = lethal == "on"
    form["lethal"] = data["lethal"]
    try:
        made = access.create_offer(ctx.uow(), caller, data)
    except AlliedError as exc:
        return _offers_page(request, caller, token, error=_error(exc), form=form)
    return _done("/offers", "offer-posted", str(made["id"]))


@router.post("/pledges", response_class=HTMLResponse)
def post_pledge(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    offer: Annotated[str, Form(max_length=64)] = "",
    request_id: Annotated[str, Form(alias="request", max_length=64)] = "",
    quantity: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    try:
        qty = int_in_range(quantity, "quantity", 1, 1_000_000_000)
        made = access.pledge(
            ctx.uow(), caller, ctx.today(), offer_id=offer, request_id=request_id, quantity=qty
        )
    except AlliedError as exc:
        return _offers_page(request, caller, token, error=_error(exc))
    return _done("/offers", "pledged", str(made["id"]))


# -- allocation ----------------------------------------------------------------------------


def _allocation_page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    status: str | None = None,
    offset: int = 0,
    plan: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx = _ctx(request)
    day = ctx.today()
    page = access.list_allocations(
        ctx.read_uow(), caller, day, status=status, limit=views.PAGE_SIZE, offset=offset
    )
    allocations = page.items
    offers = {o["id"]: o for o in views.all_rows(access.list_offers, ctx.read_uow(), caller, day)}
    requests = {
        r["id"]: r for r in views.all_rows(access.list_requests, ctx.read_uow(), caller, day)
    }
    return render(
        request,
        "allocation.html",
        caller,
        token,
        active="/allocation",
        status=error["status"] if error else 200,
        allocations=allocations,
        page=page,
        offers=offers,
        requests=requests,
        moves={
            a["id"]: views.next_moves(caller.role, a["status"], a["needs_consent"])
            for a in allocations
        },
        statuses=[s for s in AllocationStatus],
        selected=status or "",
        plan=plan,
        last=None if plan else views.last_run(ctx.read_uow, caller),
        solvers=SOLVERS,
        may_run=may(caller.role, Action.RUN_ALLOCATION),
        error=error,
        form=form or {"as_of": day.isoformat(), "solver": "auto"},
    )


@router.get("/allocation", response_class=HTMLResponse)
def allocation_page(
    request: Request,
    status: Annotated[str | None, Query(max_length=20)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    valid = {s.value for s in AllocationStatus}
    return _allocation_page(
        request, caller, token, status=status if status in valid else None, offset=offset
    )


@router.post("/allocation/run", response_class=HTMLResponse)
def run_allocation(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    as_of: Annotated[str, Form(max_length=10)] = "",
    solver: Annotated[str, Form(max_length=10)] = "auto",
    pending: Annotated[str, Form(max_length=3)] = "",
) -> HTMLResponse:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {"as_of": as_of.strip(), "solver": solver, "pending": pending == "on"}
    try:
        choice(solver, "solver", SOLVERS)
        day = parse_date(as_of, "as_of")
        plan = access.run_allocation(
            ctx.uow(),
            caller,
            as_of=day,
            solver=solver,
            options=Options(allow_pending_consent=form["pending"] is True),
        )
    except AlliedError as exc:
        return _allocation_page(request, caller, token, error=_error(exc), form=form)
    return _allocation_page(request, caller, token, plan=plan, form=form)


@router.post("/allocation/plan", response_class=HTMLResponse)
def decide_plan(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    to: Annotated[str, Form(max_length=20)] = "",
    ids: Annotated[list[str] | None, Form(max_length=1000)] = None,
) -> Response:
    """Accept (pledge) or reject a whole recorded plan, or the lines ticked, in one
    transaction: all or nothing (``access.advance_allocations``)."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    moves = [{"allocation": i[:64], "to": to} for i in (ids or [])]
    try:
        if to not in ("pledged", "rejected"):
            raise InvalidInput("expected pledged or rejected", field="to")
        done = access.advance_allocations(ctx.uow(), caller, ctx.today(), moves)
    except AlliedError as exc:
        return _allocation_page(request, caller, token, error=_error(exc))
    return _done("/allocation", "moved", f"{len(done)}")


@router.post("/allocations/{allocation_id}/move", response_class=HTMLResponse)
def move_allocation(
    request: Request,
    allocation_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    to: Annotated[str, Form(max_length=20)] = "",
    back: Annotated[str, Form(max_length=100)] = "/allocation",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    back = back if back in ("/allocation", "/offers", "/requests") else "/allocation"
    try:
        access.advance_allocation(ctx.uow(), caller, ctx.today(), allocation_id, to)
    except AlliedError as exc:
        if back == "/offers":
            return _offers_page(request, caller, token, error=_error(exc))
        return _allocation_page(request, caller, token, error=_error(exc))
    return _done(back, "moved", allocation_id)


# -- consents ----------------------------------------------------------------------------


def _consents_page(
    request: Request, caller: Caller, token: str, *, error: dict[str, Any] | None = None
) -> HTMLResponse:
    ctx = _ctx(request)
    access_denied = not may(caller.role, Action.READ_CONSENTS)
    rows = (
        []
        if access_denied
        else views.all_rows(access.list_consents, ctx.read_uow(), caller, ctx.today())
    )
    waiting = [c for c in rows if c["effective_status"] == "pending"]
    answered = [c for c in rows if c["effective_status"] != "pending"]
    return render(
        request,
        "consents.html",
        caller,
        token,
        active="/consents",
        status=error["status"] if error else (403 if access_denied else 200),
        waiting=waiting,
        answered=answered,
        may_answer=may(caller.role, Action.ANSWER_CONSENT),
        denied=access_denied,
        error=error,
    )


@router.get("/consents", response_class=HTMLResponse)
def consents_page(request: Request) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _consents_page(request, caller, token)


@router.post("/consents/{consent_id}/answer", response_class=HTMLResponse)
def answer_consent(
    request: Request,
    consent_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    answer: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    try:
        if answer not in ("granted", "denied"):
            raise InvalidInput("choose grant or deny", field="answer")
        access.answer_consent(ctx.uow(), caller, ctx.today(), consent_id, answer, reason.strip())
    except AlliedError as exc:
        return _consents_page(request, caller, token, error=_error(exc))
    return _done("/consents", "answered", consent_id)


# -- decisions ---------------------------------------------------------------------------


def _decisions_page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx = _ctx(request)
    day = ctx.today()
    listed = views.all_rows(access.list_proposals, ctx.read_uow(), caller, day)
    proposals = [access.get_proposal(ctx.read_uow(), caller, day, p["id"]) for p in listed]
    accessions = views.all_rows(access.list_accessions, ctx.read_uow(), caller, day)
    return render(
        request,
        "decisions.html",
        caller,
        token,
        active="/decisions",
        status=error["status"] if error else 200,
        open_proposals=[p for p in proposals if p["status"] == "open"],
        closed_proposals=[p for p in proposals if p["status"] != "open"],
        accessions=accessions,
        may_state=caller.role in access.STATES_POSITIONS
        and (caller.role == UserRole.COORDINATOR or bool(caller.nation)),
        may_propose=may(caller.role, Action.DECIDE),
        rules=[r.value for r in Rule],
        form=form or {"forum": "NATO", "rule": "consensus-silence"},
        error=error,
    )


@router.get("/decisions", response_class=HTMLResponse)
def decisions_page(request: Request) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _decisions_page(request, caller, token)


@router.post("/decisions", response_class=HTMLResponse)
def post_proposal(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    forum: Annotated[str, Form(max_length=16)] = "",
    rule: Annotated[str, Form(max_length=20)] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    deadline: Annotated[str, Form(max_length=10)] = "",
    text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The coordinator circulates a proposal to a forum under a decision rule."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {"forum": forum, "rule": rule, "title": title, "deadline": deadline, "text": text}
    try:
        choice(rule, "rule", tuple(r.value for r in Rule))
        due = parse_date(deadline, "deadline")
        made = access.propose(
            ctx.uow(),
            caller,
            forum=forum.strip().upper(),
            rule=Rule(rule),
            title=title,
            on=ctx.today(),
            deadline=due,
            text=text.strip(),
        )
    except AlliedError as exc:
        return _decisions_page(request, caller, token, error=_error(exc), form=form)
    return _done("/decisions", "circulated", str(made["id"]))


@router.post("/decisions/{proposal_id}/position", response_class=HTMLResponse)
def post_position(
    request: Request,
    proposal_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    position: Annotated[str, Form(max_length=10)] = "",
    actor: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    try:
        access.take_position(
            ctx.uow(),
            caller,
            ctx.today(),
            proposal_id,
            actor=(actor or caller.nation).strip().upper(),
            position=position,
            reason=reason.strip(),
        )
    except AlliedError as exc:
        return _decisions_page(request, caller, token, error=_error(exc))
    return _done("/decisions", "position", proposal_id)


# -- ledger ------------------------------------------------------------------------------


def _ledger_page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    after: int = 0,
    verified: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx = _ctx(request)
    if not may(caller.role, Action.READ_LEDGER):
        return render(
            request, "denied.html", caller, token, active="/ledger", status=403, what="the ledger"
        )
    page = access.ledger_entries(ctx.read_uow(), caller, after=after, limit=views.PAGE_SIZE)
    return render(
        request,
        "ledger.html",
        caller,
        token,
        active="/ledger",
        page=page,
        after=after,
        verified=verified,
        page_size=views.PAGE_SIZE,
    )


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(
    request: Request, after: Annotated[int, Query(ge=0, le=10**12)] = 0
) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _ledger_page(request, caller, token, after=after)


@router.get("/ledger/verify", response_class=HTMLResponse)
def verify_ledger(request: Request) -> HTMLResponse:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    if not may(caller.role, Action.READ_LEDGER):
        return _ledger_page(request, caller, token)
    try:
        count = access.verify_ledger(ctx.read_uow(), caller)
        verified: dict[str, Any] = {"ok": True, "count": count}
    except AlliedError as exc:
        verified = {"ok": False, "message": str(exc)}
    return _ledger_page(request, caller, token, verified=verified)


# -- records that live: amend, withdraw, close -------------------------------------------
#
# The forms of the requests board and the offers page over the lifecycle use-cases
# (``access.amend_request`` and the rest, the same the API and the CLI call). A form is
# only shown to who may take its action: an open record of the caller's own nation (as
# its recipient or donor), or any open record for the coordinator. A refused form shows
# the page again with the record's form open, what was typed kept and the error beside
# the field it names.

#: The fields an amendment may change, in the order of the forms.
AMENDABLE = {
    "request": ("quantity", "priority", "needed_by", "notes", "releasability"),
    "offer": ("quantity", "available_from", "caveats", "releasability"),
}


def _may_change(caller: Caller, record: dict[str, Any], owner: str) -> bool:
    """Whether the caller may amend or end this record (what the use-cases check)."""
    if record["status"] != RecordStatus.OPEN.value:
        return False
    return caller.role == UserRole.COORDINATOR or record[owner] == caller.nation


def _changes(current: dict[str, Any], form: dict[str, str]) -> dict[str, str]:
    """The fields whose typed value differs from the record's current one."""
    return {k: v for k, v in form.items() if v != str(current.get(k) or "")}


def _amend_error(exc: AlliedError) -> dict[str, Any]:
    error = _error(exc)
    if isinstance(exc, RuleViolation) and error["field"] is None:
        # the one rule an amendment can break: a quantity below what is allocated
        error["field"] = "quantity"
    return error


def _end_form(confirm: str, reason: str) -> str:
    """The reason of a confirmed irreversible action; raises naming the field otherwise."""
    if confirm != "yes":
        raise InvalidInput("tick the box to confirm: this cannot be undone", field="confirm")
    if not reason.strip():
        raise InvalidInput("give a reason; it is recorded in the ledger", field="reason")
    return reason.strip()


def _offset_of(rows: list[dict[str, Any]], record_id: str) -> int:
    """The offset of the page (unfiltered) that shows a record, so its form is on it."""
    for i, row in enumerate(rows):
        if row["id"] == record_id:
            return i - i % views.PAGE_SIZE
    return 0


def _request_refused(
    request: Request, caller: Caller, token: str, edit: dict[str, Any]
) -> HTMLResponse:
    ctx = _ctx(request)
    rows = views.all_rows(access.list_requests, ctx.read_uow(), caller, ctx.today())
    return _requests_page(
        request, caller, token, offset=_offset_of(rows, edit["id"]), error=edit["error"],
        edit=edit,
    )


def _offer_refused(
    request: Request, caller: Caller, token: str, edit: dict[str, Any]
) -> HTMLResponse:
    ctx = _ctx(request)
    rows = views.all_rows(access.list_offers, ctx.read_uow(), caller, ctx.today())
    return _offers_page(
        request, caller, token, offset=_offset_of(rows, edit["id"]), error=edit["error"],
        edit=edit,
    )


@router.post("/requests/{request_id}/amend", response_class=HTMLResponse)
def amend_request(
    request: Request,
    request_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    quantity: Annotated[str, Form(max_length=12)] = "",
    priority: Annotated[str, Form(max_length=2)] = "",
    needed_by: Annotated[str, Form(max_length=10)] = "",
    notes: Annotated[str, Form(max_length=2000)] = "",
    releasability: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The recipient (its own) or the coordinator changes an open request's fields."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {
        "quantity": quantity.strip(),
        "priority": priority.strip(),
        "needed_by": needed_by.strip(),
        "notes": notes.strip(),
        "releasability": releasability.strip(),
    }
    try:
        now = access.get_request(ctx.read_uow(), caller, ctx.today(), request_id)
        changes = _changes(now, form)
        if changes:
            access.amend_request(ctx.uow(), caller, ctx.today(), request_id, changes)
    except AlliedError as exc:
        edit = {"id": request_id, "action": "amend", "form": form, "error": _amend_error(exc)}
        return _request_refused(request, caller, token, edit)
    return _done("/requests", "amended" if changes else "unchanged", request_id)


def _end_record(
    request: Request, kind: str, record_id: str, csrf: str, confirm: str, reason: str, to: str
) -> Response:
    """Withdraw or close a request or offer (``kind``: requests, offers), confirmed and
    with a reason; a refusal comes back on its page, beside the form."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    ends = {
        ("requests", "withdrawn"): access.withdraw_request,
        ("requests", "closed"): access.close_request,
        ("offers", "withdrawn"): access.withdraw_offer,
    }
    try:
        why = _end_form(confirm, reason)
        ends[(kind, to)](ctx.uow(), caller, ctx.today(), record_id, why)
    except AlliedError as exc:
        action = "withdraw" if to == "withdrawn" else "close"
        edit = {"id": record_id, "action": action, "form": {"reason": reason.strip()},
                "error": _error(exc)}
        refused = _request_refused if kind == "requests" else _offer_refused
        return refused(request, caller, token, edit)
    return _done(f"/{kind}", to, record_id)


@router.post("/requests/{request_id}/withdraw", response_class=HTMLResponse)
def withdraw_request(
    request: Request,
    request_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Withdraw an open request (confirmed, with a reason): its proposed allocations fall
    away."""
    return _end_record(request, "requests", request_id, csrf, confirm, reason, "withdrawn")


@router.post("/requests/{request_id}/close", response_class=HTMLResponse)
def close_request(
    request: Request,
    request_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Close an open request (confirmed, with a reason)."""
    return _end_record(request, "requests", request_id, csrf, confirm, reason, "closed")


@router.post("/offers/{offer_id}/amend", response_class=HTMLResponse)
def amend_offer(
    request: Request,
    offer_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    quantity: Annotated[str, Form(max_length=12)] = "",
    available_from: Annotated[str, Form(max_length=10)] = "",
    caveats: Annotated[str, Form(max_length=2000)] = "",
    releasability: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The donor (its own) or the coordinator changes an open offer's fields."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {
        "quantity": quantity.strip(),
        "available_from": available_from.strip(),
        "caveats": caveats.strip(),
        "releasability": releasability.strip(),
    }
    try:
        now = access.get_offer(ctx.read_uow(), caller, ctx.today(), offer_id)
        changes = _changes(now, form)
        if changes:
            access.amend_offer(ctx.uow(), caller, ctx.today(), offer_id, changes)
    except AlliedError as exc:
        edit = {"id": offer_id, "action": "amend", "form": form, "error": _amend_error(exc)}
        return _offer_refused(request, caller, token, edit)
    return _done("/offers", "amended" if changes else "unchanged", offer_id)


@router.post("/offers/{offer_id}/withdraw", response_class=HTMLResponse)
def withdraw_offer(
    request: Request,
    offer_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Withdraw an open offer (confirmed, with a reason): its proposed allocations fall
    away; pledges already made stay."""
    return _end_record(request, "offers", offer_id, csrf, confirm, reason, "withdrawn")
