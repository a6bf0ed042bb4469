"""The coordinator's governance jobs in the dashboard, beside the decisions page: revise
or withdraw a proposal (withdrawal confirmed, with a reason recorded in the ledger) and
the steps of an accession (apply, invite, sign, ratify, join). Circulating a proposal
and recording positions (vote, object: break silence) stay on the decisions page
(:mod:`.workflow`). Each form is one checked use-case (``access.revise_proposal``,
``access.withdraw_proposal``, ``access.accession_step``) in one transaction; a refused
form shows the decisions page again with the error beside the field and what was typed.

The forms post to the record's own address (``/proposals/{id}/...``,
``/accessions/{id}/...``) so a record's page can offer the same actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from allied.domain.errors import InvalidInput
from allied.domain.values import identifier, parse_date
from allied.entrypoints.web.forms import Show, Typed, confirmed_reason, form_page
from allied.entrypoints.web.pages import _ctx, _done
from allied.entrypoints.web.session import check_csrf, current
from allied.entrypoints.web.workflow import _decisions_page
from allied.service import access
from allied.service.caller import Caller

router = APIRouter(include_in_schema=False)

BACK = "/decisions"
STEPS = ("invite", "sign", "ratify", "join")


def _refused(action: str, fields: tuple[str, ...]) -> Show:
    """A refused governance form: the decisions page again, the form (``action``: revise,
    withdraw, step, apply) open with what was typed and the error beside its field."""

    def show(
        request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
    ) -> Response:
        record_id = str(next(iter(request.path_params.values()), ""))
        form = {name: typed.get(name, "") for name in fields}
        edit = {"id": record_id, "action": action, "error": error, "form": form}
        return _decisions_page(request, caller, token, error=error, edit=edit)

    return show


def _page_refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    return _decisions_page(request, caller, token, error=error)


@router.post("/proposals/close-due")
@form_page(_page_refused)
def close_due(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Record the closing of every open proposal whose deadline has passed (today's date:
    ``allied decide close``)."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    closed = access.close_proposals(ctx.uow(), caller, ctx.today())
    return _done(BACK, "closed-due", str(len(closed)))


@router.post("/proposals/{proposal_id}/revise")
@form_page(_refused("revise", ("text", "deadline")), prefix="rv-{proposal_id}-",
           fields=("text", "deadline"))
def revise_proposal(
    request: Request,
    proposal_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    text: Annotated[str, Form(max_length=2000)] = "",
    deadline: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A new version of an open proposal: the clock restarts and positions clear."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    if not text.strip():
        raise InvalidInput("give the revised text", field="text")
    due = parse_date(deadline, "deadline")
    access.revise_proposal(
        ctx.uow(), caller, proposal_id, text=text.strip(), on=ctx.today(), deadline=due
    )
    return _done(BACK, "revised", proposal_id)


@router.post("/proposals/{proposal_id}/withdraw")
@form_page(_refused("withdraw", ("reason",)), prefix="wd-{proposal_id}-",
           fields=("reason", "confirm"))
def withdraw_proposal(
    request: Request,
    proposal_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Withdraw an open proposal (irreversible: confirmed, with a reason)."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    why = confirmed_reason(confirm, reason)
    access.withdraw_proposal(ctx.uow(), caller, proposal_id, on=ctx.today(), reason=why)
    return _done(BACK, "proposal-withdrawn", proposal_id)


@router.post("/accessions")
@form_page(_refused("apply", ("id", "candidate", "org", "on")), prefix="ap-",
           fields=("id", "candidate", "org", "on"))
def apply_accession(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    id: Annotated[str, Form(max_length=64)] = "",
    candidate: Annotated[str, Form(max_length=16)] = "",
    org: Annotated[str, Form(max_length=16)] = "",
    on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A candidate applies to join an organisation (the accession's first step)."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    acc_id = identifier(id.strip(), "id")
    day = parse_date(on, "on") if on.strip() else ctx.today()
    access.accession_step(
        ctx.uow(), caller, acc_id, "apply", on=day, today=ctx.today(),
        candidate=candidate.strip().upper() or None, org=org.strip().upper() or None,
    )
    return _done(BACK, "accession", acc_id)


@router.post("/accessions/{accession_id}/step")
@form_page(_refused("step", ("step", "state", "on")), prefix="ac-{accession_id}-",
           fields=("state", "on"))
def accession_step(
    request: Request,
    accession_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    step: Annotated[str, Form(max_length=10)] = "",
    state: Annotated[str, Form(max_length=16)] = "",
    on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """invite, sign, ratify (by a state), join (when every member has ratified)."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    if step not in STEPS:
        raise InvalidInput(f"choose one of {', '.join(STEPS)}", field="step")
    day = parse_date(on, "on") if on.strip() else ctx.today()
    access.accession_step(
        ctx.uow(), caller, accession_id, step, on=day, today=ctx.today(),
        state=state.strip().upper() or None,
    )
    return _done(BACK, "accession", accession_id)
