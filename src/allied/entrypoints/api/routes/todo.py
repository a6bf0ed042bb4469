"""Each role's to-do list (:mod:`allied.service.usecases.todo`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from allied.entrypoints.api.deps import Ctx, CurrentCaller
from allied.entrypoints.api.routes.common import READ_ERRORS
from allied.entrypoints.api.schemas import TodoOut
from allied.service import access

router = APIRouter(prefix="/api/v1")


@router.get("/todo", response_model=TodoOut, responses=READ_ERRORS, tags=["todo"])
def todo(ctx: Ctx, caller: CurrentCaller) -> dict[str, Any]:
    """What waits on the caller now, by role: the recipient's deliveries to confirm,
    requests with nothing allocated and items back from repair; the donor's pledges to
    ship and consents holding them; the origin's consent requests to answer (item,
    quantity, holder, recipient, days waited); the coordinator's proposed allocations,
    unfilled requests with reasons, blocked decisions and overdue deliveries."""
    return access.todo(ctx.read_uow(), caller, ctx.today())
