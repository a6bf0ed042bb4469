"""What the CLI offered and the API lacked: standing consent policies, proposal revision
and withdrawal, imports of requests and offers (the same checked use-cases, the same
validation and errors)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from allied.domain.errors import InvalidInput
from allied.entrypoints.api import idempotency
from allied.entrypoints.api.deps import Ctx, CurrentCaller
from allied.entrypoints.api.routes.common import READ_ERRORS, WRITE_ERRORS, IdempotencyKey
from allied.entrypoints.api.schemas import (
    ImportIn,
    ImportOut,
    PolicyIn,
    PolicyOut,
    ProposalOut,
    ReviseIn,
)
from allied.service import access
from allied.service.ports import UnitOfWork

router = APIRouter(prefix="/api/v1")


@router.get(
    "/consent-policies", response_model=list[PolicyOut], responses=READ_ERRORS,
    tags=["consents"],
)
def list_consent_policies(ctx: Ctx, caller: CurrentCaller) -> list[dict[str, Any]]:
    """Each origin state's standing answer to re-export requests (public)."""
    return access.list_consent_policies(ctx.read_uow(), caller)


@router.put(
    "/consent-policies/{origin}", response_model=PolicyOut, responses=WRITE_ERRORS,
    tags=["consents"],
)
def set_consent_policy(
    origin: str,
    body: PolicyIn,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Set an origin state's standing policy (the origin for itself, or the coordinator):
    ``restrictive`` denies at once, ``permissive`` grants at once, ``case-by-case`` asks."""
    data = body.model_dump(mode="json")
    since = body.since or ctx.today()
    return idempotency.run(
        ctx, caller, key=key, method="PUT", path=request.url.path, body=data, status_code=200,
        action=lambda uow: access.set_consent_policy(
            uow, caller, origin, body.policy, since=since, today=ctx.today(),
            source=body.source,
        ),
    )


@router.post(
    "/proposals/{proposal_id}/revise", response_model=ProposalOut, responses=WRITE_ERRORS,
    tags=["proposals"],
)
def revise_proposal(
    proposal_id: str,
    body: ReviseIn,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """A new version of an open proposal (coordinator): the clock restarts, positions clear."""
    data = body.model_dump(mode="json")
    return idempotency.run(
        ctx, caller, key=key, method="POST", path=request.url.path, body=data, status_code=200,
        action=lambda uow: access.revise_proposal(
            uow, caller, proposal_id, text=body.text, on=ctx.today(), deadline=body.deadline
        ),
    )


@router.post(
    "/proposals/{proposal_id}/withdraw", response_model=ProposalOut, responses=WRITE_ERRORS,
    tags=["proposals"],
)
def withdraw_proposal(
    proposal_id: str,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Withdraw an open proposal (coordinator)."""
    return idempotency.run(
        ctx, caller, key=key, method="POST", path=request.url.path, body={}, status_code=200,
        action=lambda uow: access.withdraw_proposal(uow, caller, proposal_id, on=ctx.today()),
    )


@router.post(
    "/imports/{kind}", status_code=201, response_model=ImportOut, responses=WRITE_ERRORS,
    tags=["imports"],
)
def import_records(
    kind: Literal["requests", "offers"],
    body: ImportIn,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Import many requests or offers in one transaction, as ``allied import`` does:
    every record is checked first (the same parser), and one bad record writes nothing;
    its error names the record and field (``records.3.quantity``). The coordinator imports
    for anyone; a recipient or donor its own nation's records."""
    rows = [(i, f"record {i}", r) for i, r in enumerate(body.records)]
    use_case = access.import_requests if kind == "requests" else access.import_offers

    def action(uow: UnitOfWork) -> dict[str, Any]:
        try:
            made = use_case(uow, caller, ctx.today(), rows, source="request body")
        except InvalidInput as exc:
            if exc.line is not None:
                exc.field = f"records.{exc.line}.{exc.field or ''}".rstrip(".")
                exc.message = f"record {exc.line}: {exc.message}"
            raise
        return {"kind": kind, "imported": len(made), "ids": [m.id for m in made]}

    return idempotency.run(
        ctx, caller, key=key, method="POST", path=request.url.path, body=body.records,
        status_code=201, action=action,
    )
