"""Records that live: amend, withdraw and close requests and offers; the expiry job.

Each route is one use-case of :mod:`allied.service.usecases.lifecycle` (one transaction,
one ledger entry per change, naming who and the before and after)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from allied.entrypoints.api import idempotency
from allied.entrypoints.api.deps import Ctx, CurrentCaller, DataVersions, acaller_memberships
from allied.entrypoints.api.routes.common import WRITE_ERRORS, IdempotencyKey
from allied.entrypoints.api.schemas import (
    EndIn,
    ExpiryIn,
    ExpiryOut,
    OfferOut,
    OfferPatch,
    RequestOut,
    RequestPatch,
)
from allied.service import access
from allied.service.ports import UnitOfWork

router = APIRouter(prefix="/api/v1")


@router.patch(
    "/requests/{request_id}",
    response_model=RequestOut,
    responses=WRITE_ERRORS,
    tags=["requests"],
)
async def amend_request(
    request_id: str,
    body: RequestPatch,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    versions: DataVersions,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Amend an open request (recipient: its own; coordinator): quantity (never below what
    is allocated), priority, needed_by, notes, releasability.

    Amendments without an ``Idempotency-Key`` that arrive together are made in one
    transaction with the other writes waiting (group commit), each as if alone."""
    return await _amend("request", request_id, body.model_dump(mode="json", exclude_unset=True),
                        request, ctx, caller, versions, key)


@router.post(
    "/requests/{request_id}/withdraw",
    response_model=RequestOut,
    responses=WRITE_ERRORS,
    tags=["requests"],
)
def withdraw_request(
    request_id: str,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    body: EndIn | None = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Withdraw an open request: it takes no new allocations; its proposed ones fall away."""
    reason = body.reason if body else ""
    return idempotency.run(
        ctx, caller, key=key, method="POST", path=request.url.path, body={"reason": reason},
        status_code=200,
        action=lambda uow: access.withdraw_request(
            uow, caller, ctx.today(), request_id, reason
        ),
    )


@router.post(
    "/requests/{request_id}/close",
    response_model=RequestOut,
    responses=WRITE_ERRORS,
    tags=["requests"],
)
def close_request(
    request_id: str,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    body: EndIn | None = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Close an open request (filled, or no longer needed)."""
    reason = body.reason if body else ""
    return idempotency.run(
        ctx, caller, key=key, method="POST", path=request.url.path, body={"reason": reason},
        status_code=200,
        action=lambda uow: access.close_request(uow, caller, ctx.today(), request_id, reason),
    )


@router.patch(
    "/offers/{offer_id}", response_model=OfferOut, responses=WRITE_ERRORS, tags=["offers"]
)
async def amend_offer(
    offer_id: str,
    body: OfferPatch,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    versions: DataVersions,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Amend an open offer (donor: its own; coordinator): quantity (never below what is
    allocated), available_from, caveats, releasability.

    Amendments without an ``Idempotency-Key`` that arrive together are made in one
    transaction with the other writes waiting (group commit), each as if alone."""
    return await _amend("offer", offer_id, body.model_dump(mode="json", exclude_unset=True),
                        request, ctx, caller, versions, key)


@router.post(
    "/offers/{offer_id}/withdraw",
    response_model=OfferOut,
    responses=WRITE_ERRORS,
    tags=["offers"],
)
def withdraw_offer(
    offer_id: str,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    body: EndIn | None = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Withdraw an open offer: it takes no new allocations; its proposed ones fall away."""
    reason = body.reason if body else ""
    return idempotency.run(
        ctx, caller, key=key, method="POST", path=request.url.path, body={"reason": reason},
        status_code=200,
        action=lambda uow: access.withdraw_offer(uow, caller, ctx.today(), offer_id, reason),
    )


@router.post("/expiry", response_model=ExpiryOut, responses=WRITE_ERRORS, tags=["requests"])
def run_expiry(
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    body: ExpiryIn | None = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """The system's expiry job on today's date (coordinator): open requests past their
    needed-by date by more than ``grace_days`` expire, and consent requests left
    unanswered past their date; each a ledger entry."""
    grace = body.grace_days if body else 90
    day = ctx.today()

    def action(uow: UnitOfWork) -> dict[str, object]:
        return {"on": day.isoformat(), **access.expire_all(uow, caller, day, grace)}

    return idempotency.run(
        ctx, caller, key=key, method="POST", path=request.url.path,
        body={"grace_days": grace}, status_code=200, action=action,
    )


async def _amend(
    kind: str,
    record_id: str,
    data: dict[str, Any],
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    versions: DataVersions,
    key: str | None,
) -> JSONResponse:
    """Amend the open offer or request (``kind``) ``record_id`` by ``data``: without an
    ``Idempotency-Key`` with the other writes waiting (group commit); with one, alone in
    its transaction, in a worker thread (measured against the event loop, one change per
    transaction there cost more CPU and waited longer)."""
    memberships = await acaller_memberships(ctx, caller, versions)
    if key is None:
        order = access.AmendOrder(caller, ctx.today(), kind, record_id, data, memberships)
        return JSONResponse(await ctx.writes.submit(order))
    amend = access.amend_offer if kind == "offer" else access.amend_request

    def action(uow: UnitOfWork) -> dict[str, object]:
        return amend(uow, caller, ctx.today(), record_id, data, memberships=memberships)

    return await run_in_threadpool(
        idempotency.run, ctx, caller, key=key, method="PATCH", path=request.url.path,
        body=data, status_code=200, action=action,
    )
