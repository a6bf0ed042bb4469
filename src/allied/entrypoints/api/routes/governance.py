"""Re-export consents, proposals (decisions) and accessions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from allied.domain.rules import Rule
from allied.entrypoints.api import idempotency
from allied.entrypoints.api.deps import Ctx, CurrentCaller, Page
from allied.entrypoints.api.routes.common import READ_ERRORS, WRITE_ERRORS, IdempotencyKey
from allied.entrypoints.api.routes.records import SearchQ, sort_query
from allied.entrypoints.api.schemas import (
    AccessionOut,
    AccessionStepIn,
    AnswerIn,
    ConsentOut,
    PageOut,
    PositionIn,
    ProposalIn,
    ProposalOut,
)
from allied.service import access

router = APIRouter(prefix="/api/v1")

ConsentSortQ = Annotated[str | None, sort_query("consents")]


@router.get(
    "/consents", response_model=PageOut[ConsentOut], responses=READ_ERRORS, tags=["consents"]
)
def list_consents(
    ctx: Ctx,
    caller: CurrentCaller,
    page: Page,
    origin: Annotated[str | None, Query(max_length=16)] = None,
    status: Annotated[Literal["pending", "granted", "denied", "expired"] | None, Query()] = None,
    q: SearchQ = None,
    sort: ConsentSortQ = None,
) -> access.Page:
    """Re-export consent requests naming the caller's nation (as origin, holder or
    recipient); search with ``q``, order by ``sort`` (id by default)."""
    return access.list_consents(
        ctx.read_uow(),
        caller,
        ctx.today(),
        origin=origin.upper() if origin else None,
        status=status,
        q=q,
        sort=sort,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/consents/{consent_id}", response_model=ConsentOut, responses=READ_ERRORS, tags=["consents"]
)
def get_consent(consent_id: str, ctx: Ctx, caller: CurrentCaller) -> dict[str, object]:
    return access.get_consent(ctx.read_uow(), caller, ctx.today(), consent_id)


@router.post(
    "/consents/{consent_id}/answer",
    response_model=ConsentOut,
    responses=WRITE_ERRORS,
    tags=["consents"],
)
def answer_consent(
    consent_id: str,
    body: AnswerIn,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """The origin state grants, denies or expires a re-export consent request."""
    data = body.model_dump(mode="json")
    return idempotency.run(
        ctx,
        caller,
        key=key,
        method="POST",
        path=request.url.path,
        body=data,
        status_code=200,
        action=lambda uow: access.answer_consent(
            uow, caller, ctx.today(), consent_id, body.answer, body.reason
        ),
    )


@router.get(
    "/proposals", response_model=PageOut[ProposalOut], responses=READ_ERRORS, tags=["proposals"]
)
def list_proposals(ctx: Ctx, caller: CurrentCaller, page: Page) -> access.Page:
    """Proposals in which the caller's nation takes part."""
    return access.list_proposals(
        ctx.read_uow(), caller, ctx.today(), limit=page.limit, offset=page.offset
    )


@router.get(
    "/proposals/{proposal_id}",
    response_model=ProposalOut,
    responses=READ_ERRORS,
    tags=["proposals"],
)
def get_proposal(proposal_id: str, ctx: Ctx, caller: CurrentCaller) -> dict[str, object]:
    return access.get_proposal(ctx.read_uow(), caller, ctx.today(), proposal_id)


@router.post(
    "/proposals",
    status_code=201,
    response_model=ProposalOut,
    responses=WRITE_ERRORS,
    tags=["proposals"],
)
def propose(
    body: ProposalIn, request: Request, ctx: Ctx, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """Circulate a proposal to a forum under a decision rule (coordinator)."""
    data = body.model_dump(mode="json")
    return idempotency.run(
        ctx,
        caller,
        key=key,
        method="POST",
        path=request.url.path,
        body=data,
        status_code=201,
        action=lambda uow: access.propose(
            uow,
            caller,
            forum=body.forum.upper(),
            rule=Rule(body.rule),
            title=body.title,
            on=ctx.today(),
            deadline=body.deadline,
            text=body.text,
            proposal_id=body.id,
        ),
    )


@router.post(
    "/proposals/{proposal_id}/positions",
    response_model=ProposalOut,
    responses=WRITE_ERRORS,
    tags=["proposals"],
)
def take_position(
    proposal_id: str,
    body: PositionIn,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a participant's position (yes, no = breaking silence, abstain)."""
    data = body.model_dump(mode="json")
    return idempotency.run(
        ctx,
        caller,
        key=key,
        method="POST",
        path=request.url.path,
        body=data,
        status_code=200,
        action=lambda uow: access.take_position(
            uow,
            caller,
            ctx.today(),
            proposal_id,
            actor=body.actor.upper(),
            position=body.position,
            reason=body.reason,
        ),
    )


@router.get(
    "/accessions",
    response_model=PageOut[AccessionOut],
    responses=READ_ERRORS,
    tags=["accessions"],
)
def list_accessions(ctx: Ctx, caller: CurrentCaller, page: Page) -> access.Page:
    return access.list_accessions(
        ctx.read_uow(), caller, ctx.today(), limit=page.limit, offset=page.offset
    )


@router.post(
    "/accessions/{accession_id}/steps",
    response_model=AccessionOut,
    responses=WRITE_ERRORS,
    tags=["accessions"],
)
def accession_step(
    accession_id: str,
    body: AccessionStepIn,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """apply (candidate, org), invite, sign, ratify (state), join (coordinator)."""
    data = body.model_dump(mode="json")
    return idempotency.run(
        ctx,
        caller,
        key=key,
        method="POST",
        path=request.url.path,
        body=data,
        status_code=200,
        action=lambda uow: access.accession_step(
            uow,
            caller,
            accession_id,
            body.step,
            on=body.on,
            today=ctx.today(),
            candidate=body.candidate.upper() if body.candidate else None,
            org=body.org.upper() if body.org else None,
            state=body.state.upper() if body.state else None,
        ),
    )
