"""Each role's to-do list (:mod:`allied.service.usecases.todo`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from allied.domain.errors import InvalidInput
from allied.entrypoints.api.context import HARD_MAX_PAGE
from allied.entrypoints.api.deps import Ctx, CurrentCaller
from allied.entrypoints.api.routes.common import READ_ERRORS
from allied.entrypoints.api.schemas import TodoOut
from allied.service import access

router = APIRouter(prefix="/api/v1")

#: Items a section answers unless asked otherwise (as many as the home page shows); at
#: most the app's page size (``ALLIED_API_MAX_PAGE_SIZE``, 200 by default). Every section
#: says in ``total`` how many there are.
TODO_LIMIT = 20


@router.get("/todo", response_model=TodoOut, responses=READ_ERRORS, tags=["todo"])
def todo(
    ctx: Ctx,
    caller: CurrentCaller,
    limit: Annotated[
        int,
        Query(ge=1, le=HARD_MAX_PAGE,
              description="items per section (its first); `total` says how many"),
    ] = TODO_LIMIT,
) -> dict[str, Any]:
    """What waits on the caller now, by role: the recipient's deliveries to confirm,
    requests with nothing allocated and items back from repair; the donor's pledges to
    ship and consents holding them; the origin's consent requests to answer (item,
    quantity, holder, recipient, days waited); the coordinator's proposed allocations,
    unfilled requests with reasons, blocked decisions and overdue deliveries. Each section
    answers its first ``limit`` items and how many there are (``total``)."""
    most = ctx.options.max_page_size
    # the default is the home page's 20, or the app's page size where that is smaller
    if limit > most and limit != TODO_LIMIT:
        raise InvalidInput(f"at most {most} items a section; got {limit}", field="limit")
    return access.todo(ctx.read_uow(), caller, ctx.today(), limit=min(limit, most))
