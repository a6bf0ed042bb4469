"""Plans accepted as plans: a dry-run preview of the optimiser's plan, and many
allocation moves in one transaction (all or nothing)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from allied.allocation.model import Options
from allied.entrypoints.api import idempotency
from allied.entrypoints.api.deps import Ctx, CurrentCaller
from allied.entrypoints.api.routes.common import WRITE_ERRORS, IdempotencyKey
from allied.entrypoints.api.schemas import AllocationOut, MovesIn, RunIn, RunOut
from allied.service import access

router = APIRouter(prefix="/api/v1")


@router.post(
    "/allocations/transitions",
    response_model=list[AllocationOut],
    responses=WRITE_ERRORS,
    tags=["allocations"],
)
def advance_allocations(
    body: MovesIn, request: Request, ctx: Ctx, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """Move many allocations in one transaction, in order, all or nothing (each checked as
    a single move would be); the error names the item that failed (``item 3 (allocation
    AL-000012): ...``, field ``3.to`` for an input error). Accepting a plan of proposed
    allocations is one call: ``[{"allocation": ID, "to": "pledged"}, ...]``."""
    moves = [m.model_dump(mode="json") for m in body.root]
    return idempotency.run(
        ctx, caller, key=key, method="POST", path=request.url.path, body=moves,
        status_code=200,
        action=lambda uow: access.advance_allocations(uow, caller, ctx.today(), moves),
    )


@router.post(
    "/allocation-runs/preview",
    response_model=RunOut,
    responses=WRITE_ERRORS,
    tags=["allocations"],
)
async def preview_allocation(body: RunIn, ctx: Ctx, caller: CurrentCaller) -> JSONResponse:
    """The optimiser's plan on stored data as a dry run (coordinator): nothing is written
    (``recorded: false``, no ``allocation_ids``). ``POST /allocation-runs`` records it."""
    options = Options(
        allow_pending_consent=body.allow_pending_consent,
        lateness_half_life_days=body.lateness_half_life_days,
    )
    out = await run_in_threadpool(
        access.run_allocation, ctx.read_uow(), caller, as_of=body.as_of, solver=body.solver,
        options=options, record=False,
    )
    return JSONResponse(out)
