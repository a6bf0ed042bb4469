"""The dashboard's allocation, consents and decisions pages: running and accepting plans,
moving allocations, answering consent requests, circulating proposals and positions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from allied.allocation.model import Options
from allied.domain.actions import IRREVERSIBLE_MOVES, MOVE_VERBS
from allied.domain.assistance import AllocationStatus
from allied.domain.consent import queue_filter
from allied.domain.errors import InvalidInput
from allied.domain.proposals import MAX_DEADLINE_DAYS
from allied.domain.rules import Rule, forums_deciding_by
from allied.domain.users import Action, UserRole, may
from allied.domain.values import choice, parse_date
from allied.entrypoints.web import tables, views
from allied.entrypoints.web.forms import Typed, confirmed_reason, form_page
from allied.entrypoints.web.pages import (
    SOLVERS,
    _ctx,
    _done,
    render,
)
from allied.entrypoints.web.records import _offers_page
from allied.entrypoints.web.session import (
    check_csrf,
    current,
)
from allied.service import access
from allied.service.caller import Caller

router = APIRouter(include_in_schema=False)


# -- allocation ----------------------------------------------------------------------------


ALLOCATION_COLUMNS = ("id", "donor", "offer", "recipient", "request", "family", "item_type",
                      "quantity", "needs_consent", "status", "needed_by", "updated_at")


def _allocation_page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    status: str | None = None,
    donor: str | None = None,
    q: str | None = None,
    sort: str | None = None,
    page_no: int | None = None,
    offset: int = 0,
    as_csv: bool = False,
    plan: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    ctx = _ctx(request)
    day = ctx.today()
    t = tables.table_state(
        "/allocation", "allocations", q=q, sort=sort, page=page_no, offset=offset,
        filters={"status": status, "donor": donor},
    )
    page = access.list_allocations(
        ctx.read_uow(), caller, day, status=status, donor=donor, q=t.q, sort=t.sort,
        limit=t.size, offset=t.offset, consent=not as_csv,
    )
    if as_csv:
        return tables.csv_response(page.items, ALLOCATION_COLUMNS, "allocations.csv")
    allocations = page.items
    last = None if plan else views.last_run(ctx.read_uow, caller)
    # the offers and requests named on the page, a plan or the last run (not all of them)
    lines = (plan or {}).get("allocations", [])
    unfilled = [*(plan or {}).get("unfilled", []), *(last or {}).get("unfilled", [])]
    offer_ids = {str(x["offer"]) for x in [*allocations, *lines]}
    request_ids = {str(x["request"]) for x in [*allocations, *lines, *unfilled]}
    offers = {o["id"]: o for o in access.list_offers(
        ctx.read_uow(), caller, day, ids=sorted(offer_ids), limit=max(len(offer_ids), 1)).items}
    requests = {r["id"]: r for r in access.list_requests(
        ctx.read_uow(), caller, day, ids=sorted(request_ids),
        limit=max(len(request_ids), 1)).items}
    return render(
        request,
        "allocation.html",
        caller,
        token,
        active="/allocation",
        status=error["status"] if error else 200,
        allocations=allocations,
        page=page,
        t=t,
        offers=offers,
        requests=requests,
        moves=access.allocation_moves(
            ctx.read_uow(), caller, day, [a["id"] for a in allocations]
        ),
        statuses=[s for s in AllocationStatus],
        selected=status or "",
        plan=plan,
        last=last,
        solvers=SOLVERS,
        may_run=may(caller.role, Action.RUN_ALLOCATION),
        error=error,
        form=form or {"as_of": day.isoformat(), "solver": "auto"},
    )


@router.get("/allocation", response_class=HTMLResponse)
def allocation_page(
    request: Request,
    status: Annotated[str | None, Query(max_length=20)] = None,
    donor: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    format: Annotated[str | None, Query(pattern="^(|html|csv)$")] = None,
) -> Response:
    caller, token = current(request, _ctx(request))
    valid = {s.value for s in AllocationStatus}
    return _allocation_page(
        request, caller, token, status=status if status in valid else None,
        donor=(donor or "").strip().upper() or None, q=q, sort=sort, page_no=page,
        offset=offset, as_csv=format == "csv",
    )


def _run_refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    """The allocation page again with the run form as typed (also the preview's and the
    acceptance's: web/plans.py)."""
    form = {"as_of": typed.get("as_of", ""), "solver": typed.get("solver", "auto"),
            "pending": typed.get("pending") == "on"}
    return _allocation_page(request, caller, token, error=error, form=form)


#: the ids of the run form's fields on the allocation page
RUN_FORM = {"as_of": "a-asof", "solver": "a-solver", "pending": "a-pending"}


@router.post("/allocation/run", response_class=HTMLResponse)
@form_page(_run_refused, RUN_FORM)
def run_allocation(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    as_of: Annotated[str, Form(max_length=10)] = "",
    solver: Annotated[str, Form(max_length=10)] = "auto",
    pending: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {"as_of": as_of.strip(), "solver": solver, "pending": pending == "on"}
    choice(solver, "solver", SOLVERS)
    day = parse_date(as_of, "as_of")
    plan = access.run_allocation(
        ctx.uow(),
        caller,
        as_of=day,
        solver=solver,
        options=Options(allow_pending_consent=form["pending"] is True),
    )
    return _allocation_page(request, caller, token, plan=plan, form=form)


def _plan_refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    """A refused confirmation step of an irreversible move comes back with its lines and
    the reason typed; another refusal shows the allocation page."""
    to, ids = typed.get("to", ""), [i[:64] for i in typed.every("ids")]
    if to in IRREVERSIBLE_MOVES and ids and typed.get("step") == "confirm":
        return _bulk_confirm_page(
            request, caller, token, to, ids, reason=typed.get("reason", ""), error=error
        )
    return _allocation_page(request, caller, token, error=error)


@router.post("/allocation/plan", response_class=HTMLResponse)
@form_page(_plan_refused, {"reason": "c-reason", "confirm": "c-confirm"})
def decide_plan(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    to: Annotated[str, Form(max_length=20)] = "",
    ids: Annotated[list[str] | None, Form(max_length=1000)] = None,
    step: Annotated[str, Form(max_length=20)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Accept (pledge) or reject a whole recorded plan, or the lines ticked, in one
    transaction: all or nothing (``access.advance_allocations``). Rejecting cannot be
    undone: it first asks for a confirmation and a reason (recorded in each allocation's
    ledger entry), on a page of its own that lists the lines."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    chosen = [i[:64] for i in (ids or [])]
    if to in IRREVERSIBLE_MOVES and chosen:
        if step != "confirm":
            return _bulk_confirm_page(request, caller, token, to, chosen)
        reason = confirmed_reason(confirm, reason)
    moves = [{"allocation": i, "to": to, "reason": reason.strip()} for i in chosen]
    if to not in ("pledged", "rejected"):
        raise InvalidInput("choose to accept or to reject the lines", field="to")
    done = access.advance_allocations(ctx.uow(), caller, ctx.today(), moves)
    return _done("/allocation", "moved", f"{len(done)}")


def _bulk_confirm_page(
    request: Request,
    caller: Caller,
    token: str,
    to: str,
    ids: list[str],
    *,
    reason: str = "",
    error: dict[str, Any] | None = None,
) -> Response:
    """The confirmation step of an irreversible move of several allocations: the lines,
    a reason and a box to tick."""
    return render(
        request,
        "allocation_confirm.html",
        caller,
        token,
        active="/allocation",
        status=error["status"] if error else 200,
        to=to,
        verb=MOVE_VERBS[AllocationStatus(to)],
        ids=ids,
        form={"reason": reason},
        error=error,
    )


def _move_refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    """A refused move shows the page its button was on again, with the refusal."""
    if typed.get("back") == "/offers":
        return _offers_page(request, caller, token, error=error)
    return _allocation_page(request, caller, token, error=error)


@router.post("/allocations/{allocation_id}/move", response_class=HTMLResponse)
@form_page(_move_refused)
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
    if to in IRREVERSIBLE_MOVES:
        # an irreversible move is confirmed, with a reason, on the allocation's page
        return RedirectResponse(f"/allocations/{allocation_id}?do={to}#act", status_code=303)
    access.advance_allocation(ctx.uow(), caller, ctx.today(), allocation_id, to)
    return _done(back, "moved", allocation_id)


# -- consents ----------------------------------------------------------------------------


CONSENT_COLUMNS = ("id", "origin", "holder", "family", "item_type", "recipient", "offer",
                   "quantity", "requested_on", "expires_on", "days_waited",
                   "effective_status", "decided_on", "reason")
#: A consent request waiting longer than this many days is flagged.
WAITING_TOO_LONG = 14


def _consents_page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    q: str | None = None,
    sort: str | None = None,
    page_no: int | None = None,
    as_csv: bool = False,
    error: dict[str, Any] | None = None,
    answering: dict[str, str] | None = None,
) -> Response:
    ctx = _ctx(request)
    day = ctx.today()
    access_denied = not may(caller.role, Action.READ_CONSENTS)
    t = tables.table_state("/consents", "consents", q=q, sort=sort, page=page_no)
    empty = access.Page([], 0, t.size, 0)
    waiting = answered = empty
    party = queue_filter(caller.role, caller.nation)
    if not access_denied:
        # the caller's queue (an origin state: the requests asking it, not those it holds)
        waiting = access.waiting_consents(
            ctx.read_uow(), caller, day, q=t.q, sort=t.sort, limit=t.size, offset=t.offset,
        )
        if as_csv:
            return tables.csv_response(waiting.items, CONSENT_COLUMNS, "consents-waiting.csv")
        answered = access.list_consents(
            ctx.read_uow(), caller, day, answered=True, q=t.q, sort="-requested_on",
            limit=t.size, origin=party.get("origin"), holder=party.get("holder"),
            recipient=party.get("recipient"),
        )
    return render(
        request,
        "consents.html",
        caller,
        token,
        active="/consents",
        status=error["status"] if error else (403 if access_denied else 200),
        t=t,
        page=waiting,
        waiting=waiting.items,
        answered=answered.items,
        answered_total=answered.total,
        too_long=WAITING_TOO_LONG,
        party=next(iter(party), None),
        may_answer=may(caller.role, Action.ANSWER_CONSENT),
        denied=access_denied,
        error=error,
        answering=answering or {},
    )


@router.get("/consents", response_class=HTMLResponse)
def consents_page(
    request: Request,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    format: Annotated[str | None, Query(pattern="^(|html|csv)$")] = None,
) -> Response:
    caller, token = current(request, _ctx(request))
    return _consents_page(request, caller, token, q=q, sort=sort, page_no=page,
                          as_csv=format == "csv")


def _answer_refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    """The consents page again, the refused answer's reason as typed beside its error."""
    answering = {"id": str(request.path_params.get("consent_id", "")),
                 "reason": typed.get("reason", "")}
    return _consents_page(request, caller, token, error=error, answering=answering)


@router.post("/consents/{consent_id}/answer", response_class=HTMLResponse)
@form_page(_answer_refused, {"reason": "why-{consent_id}", "answer": "why-{consent_id}"})
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
    if answer not in ("granted", "denied"):
        raise InvalidInput("choose to grant or to deny", field="answer")
    if answer == "denied":
        # a denial is confirmed, with a reason, on the consent request's page
        return RedirectResponse(f"/consents/{consent_id}?do=denied#act", status_code=303)
    access.answer_consent(ctx.uow(), caller, ctx.today(), consent_id, answer, reason.strip())
    return _done("/consents", "answered", consent_id)


# -- decisions ---------------------------------------------------------------------------


def _decisions_page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    edit: dict[str, Any] | None = None,
    position: dict[str, str] | None = None,
) -> HTMLResponse:
    ctx = _ctx(request)
    day = ctx.today()
    # the list's rows are the proposals as get_proposal shows them (read once, not twice)
    proposals = views.all_rows(access.list_proposals, ctx.read_uow(), caller, day)
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
        rules=[(r.value, forums_deciding_by(r)) for r in Rule],
        latest_deadline=(day + dt.timedelta(days=MAX_DEADLINE_DAYS)).isoformat(),
        form=form or {"forum": "NATO", "rule": "consensus-silence"},
        error=error,
        edit=edit,
        position=position or {},
        may_accede=may(caller.role, Action.ACCESSION),
        actors=access.list_actors(ctx.read_uow(), caller, limit=10_000).items
        if may(caller.role, Action.ACCESSION)
        else [],
    )


@router.get("/decisions", response_class=HTMLResponse)
def decisions_page(request: Request) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _decisions_page(request, caller, token)


def _proposal_refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    """The decisions page again, the proposal form open as typed."""
    return _decisions_page(request, caller, token, error=error, form=dict(typed))


#: the ids of the proposal form's fields on the decisions page (an organisation refused
#: is the forum's)
PROPOSAL_FORM = {"forum": "pr-forum", "org": "pr-forum", "rule": "pr-rule",
                 "title": "pr-title", "deadline": "pr-deadline", "text": "pr-text"}


@router.post("/decisions", response_class=HTMLResponse)
@form_page(_proposal_refused, PROPOSAL_FORM)
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
    return _done("/decisions", "circulated", str(made["id"]))


def _position_refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    """The page the position form was sent from again (the decisions page, or the
    proposal's own page with ``back=record``), the form as typed."""
    proposal_id = str(request.path_params.get("proposal_id", ""))
    if typed.get("back") == "record":
        from allied.entrypoints.web.detail import proposal_record

        return proposal_record(request, caller, token, proposal_id, error=error, form=typed)
    position = {"id": proposal_id, **typed}
    return _decisions_page(request, caller, token, error=error, position=position)


@router.post("/decisions/{proposal_id}/position", response_class=HTMLResponse)
@form_page(_position_refused, {"actor": "{proposal_id}-actor", "position": "{proposal_id}-pos",
                               "reason": "{proposal_id}-why"})
def post_position(
    request: Request,
    proposal_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    position: Annotated[str, Form(max_length=10)] = "",
    actor: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A participant's position (the coordinator's for any participant). Breaking silence
    or vetoing needs a reason (the domain refuses it without). ``back=record``: the form
    is the proposal's page's, so a refusal shows that page again, the error beside the
    field, and a success returns to it."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    access.take_position(
        ctx.uow(),
        caller,
        ctx.today(),
        proposal_id,
        actor=(actor or caller.nation).strip().upper(),
        position=position,
        reason=reason.strip(),
    )
    if back == "record":
        return _done(f"/proposals/{proposal_id}", "position", proposal_id)
    return _done("/decisions", "position", proposal_id)
