"""The allocation plan in the dashboard: previewed, then accepted as a plan.

``POST /allocation/preview`` runs the optimiser as a dry run (nothing is written) and
shows its lines, each with a box. ``POST /allocation/accept`` records that plan and
pledges the lines ticked (all of them, or a selection) in one action: the optimiser is
run again on the data as it stands, and if its plan is no longer the one previewed
(someone changed a request or an offer meanwhile) nothing is written and the new plan
is shown to be previewed again. Otherwise the plan is recorded as ``proposed``
allocations and the ticked lines move to ``pledged`` in one transaction, all or none
(``access.advance_allocations``); the lines left unticked stay ``proposed``, to accept
or reject later on the allocation page.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from allied.allocation.model import Options
from allied.domain.errors import AlliedError, InvalidInput
from allied.domain.values import choice, parse_date
from allied.entrypoints.web.forms import form_page, refusal
from allied.entrypoints.web.pages import SOLVERS, _ctx, _done, _error
from allied.entrypoints.web.session import check_csrf, current
from allied.entrypoints.web.workflow import RUN_FORM, _allocation_page, _run_refused
from allied.service import access

router = APIRouter(include_in_schema=False)


def line_key(line: dict[str, Any]) -> str:
    """One line of a plan as text: ``offer|request|quantity``."""
    return f"{line['offer']}|{line['request']}|{line['quantity']}"


def signature(plan: dict[str, Any]) -> str:
    """A digest of a plan's lines (the same plan, the same digest)."""
    keys = sorted(line_key(line) for line in plan["allocations"])
    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:32]


def _shown(plan: dict[str, Any]) -> dict[str, Any]:
    """A previewed plan with what the accept form posts back (its lines' keys, digest)."""
    keys = [line_key(x) for x in plan["allocations"]]
    return {**plan, "signature": signature(plan), "line_keys": keys}


def _inputs(as_of: str, solver: str, pending: str) -> tuple[Any, str, Options]:
    choice(solver, "solver", SOLVERS)
    day = parse_date(as_of, "as_of")
    return day, solver, Options(allow_pending_consent=pending == "on")


def _field_of(exc: AlliedError) -> str | None:
    return exc.field if isinstance(exc, InvalidInput) else None


@router.post("/allocation/preview", response_class=HTMLResponse)
@form_page(_run_refused, RUN_FORM)
def preview(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    as_of: Annotated[str, Form(max_length=10)] = "",
    solver: Annotated[str, Form(max_length=10)] = "auto",
    pending: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """The optimiser's plan as a dry run: nothing is recorded."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {"as_of": as_of.strip(), "solver": solver, "pending": pending == "on"}
    day, name, options = _inputs(as_of, solver, pending)
    plan = access.run_allocation(
        ctx.read_uow(), caller, as_of=day, solver=name, options=options, record=False
    )
    return _allocation_page(request, caller, token, plan=_shown(plan), form=form)


@router.post("/allocation/accept", response_class=HTMLResponse)
@form_page(_run_refused, RUN_FORM)
def accept(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    as_of: Annotated[str, Form(max_length=10)] = "",
    solver: Annotated[str, Form(max_length=10)] = "auto",
    pending: Annotated[str, Form(max_length=3)] = "",
    plan_signature: Annotated[str, Form(max_length=64)] = "",
    lines: Annotated[list[str] | None, Form(max_length=200)] = None,
    record_only: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Record the previewed plan and pledge the lines ticked (see the module)."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {"as_of": as_of.strip(), "solver": solver, "pending": pending == "on"}
    ticked = set(lines or [])
    again: dict[str, Any] | None = None
    try:
        day, name, options = _inputs(as_of, solver, pending)
        if not ticked and record_only != "yes":
            raise InvalidInput("tick at least one line to accept", field="lines")
        again = access.run_allocation(
            ctx.read_uow(), caller, as_of=day, solver=name, options=options, record=False
        )
        if signature(again) != plan_signature:
            raise InvalidInput(
                "the requests or offers changed since the preview: this is the plan now; "
                "check it and accept again",
                field="plan",
            )
        keys = {line_key(x) for x in again["allocations"]}
        unknown = sorted(ticked - keys)
        if unknown:
            raise InvalidInput(f"not a line of the plan: {unknown[0]}", field="lines")
    except AlliedError as exc:
        plan = _shown(again) if again is not None and _field_of(exc) == "plan" else None
        return _allocation_page(
            request, caller, token, error=refusal(exc, RUN_FORM), form=form, plan=plan
        )
    try:
        recorded = access.run_allocation(
            ctx.uow(), caller, as_of=day, solver=name, options=options, record=True
        )
        ids = [
            aid
            for line, aid in zip(recorded["allocations"], recorded["allocation_ids"], strict=True)
            if line_key(line) in ticked
        ]
        if ids:
            access.advance_allocations(
                ctx.uow(), caller, ctx.today(), [{"allocation": i, "to": "pledged"} for i in ids]
            )
    except AlliedError as exc:
        error = _error(exc)
        error["message"] = error["text"] = (
            f"The plan was recorded as proposed allocations, but accepting them was refused: "
            f"{error['text'].rstrip('.')}. Accept or reject them below."
        )
        return _allocation_page(request, caller, token, error=error, form=form)
    return _done("/allocation", "accepted", str(len(ids)))
