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

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from allied.domain.errors import AlliedError, InvalidInput
from allied.domain.values import identifier, parse_date
from allied.entrypoints.web.forms import confirmed_reason
from allied.entrypoints.web.pages import _ctx, _done, _error
from allied.entrypoints.web.session import check_csrf, current
from allied.entrypoints.web.workflow import _decisions_page
from allied.service import access

router = APIRouter(include_in_schema=False)

BACK = "/decisions"
STEPS = ("invite", "sign", "ratify", "join")


@router.post("/proposals/close-due")
def close_due(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Record the closing of every open proposal whose deadline has passed (today's date:
    ``allied decide close``)."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    try:
        closed = access.close_proposals(ctx.uow(), caller, ctx.today())
    except AlliedError as exc:
        return _decisions_page(request, caller, token, error=_error(exc))
    return _done(BACK, "closed-due", str(len(closed)))


@router.post("/proposals/{proposal_id}/revise")
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
    form = {"text": text, "deadline": deadline}
    try:
        if not text.strip():
            raise InvalidInput("give the revised text", field="text")
        due = parse_date(deadline, "deadline")
        access.revise_proposal(
            ctx.uow(), caller, proposal_id, text=text.strip(), on=ctx.today(), deadline=due
        )
    except AlliedError as exc:
        edit = {"id": proposal_id, "action": "revise", "error": _error(exc), "form": form}
        return _decisions_page(request, caller, token, error=_error(exc), edit=edit)
    return _done(BACK, "revised", proposal_id)


@router.post("/proposals/{proposal_id}/withdraw")
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
    try:
        why = confirmed_reason(confirm, reason)
        access.withdraw_proposal(ctx.uow(), caller, proposal_id, on=ctx.today(), reason=why)
    except AlliedError as exc:
        edit = {
            "id": proposal_id, "action": "withdraw", "error": _error(exc),
            "form": {"reason": reason},
        }
        return _decisions_page(request, caller, token, error=_error(exc), edit=edit)
    return _done(BACK, "proposal-withdrawn", proposal_id)


@router.post("/accessions")
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
    form = {"id": id, "candidate": candidate, "org": org, "on": on}
    try:
        acc_id = identifier(id.strip(), "id")
        day = parse_date(on, "on") if on.strip() else ctx.today()
        access.accession_step(
            ctx.uow(), caller, acc_id, "apply", on=day, today=ctx.today(),
            candidate=candidate.strip().upper() or None, org=org.strip().upper() or None,
        )
    except AlliedError as exc:
        edit = {"id": "", "action": "apply", "error": _error(exc), "form": form}
        return _decisions_page(request, caller, token, error=_error(exc), edit=edit)
    return _done(BACK, "accession", acc_id)


@router.post("/accessions/{accession_id}/step")
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
    form = {"step": step, "state": state, "on": on}
    try:
        if step not in STEPS:
            raise InvalidInput(f"choose one of {', '.join(STEPS)}", field="step")
        day = parse_date(on, "on") if on.strip() else ctx.today()
        access.accession_step(
            ctx.uow(), caller, accession_id, step, on=day, today=ctx.today(),
            state=state.strip().upper() or None,
        )
    except AlliedError as exc:
        edit = {"id": accession_id, "action": "step", "error": _error(exc), "form": form}
        return _decisions_page(request, caller, token, error=_error(exc), edit=edit)
    return _done(BACK, "accession", accession_id)
