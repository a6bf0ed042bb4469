"""The dashboard's ledger page: the audit ledger's entries and its verification."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from allied.domain.errors import AlliedError
from allied.domain.users import Action, may
from allied.entrypoints.web import views
from allied.entrypoints.web.pages import (
    _ctx,
    render,
)
from allied.entrypoints.web.session import (
    current,
)
from allied.service import access
from allied.service.caller import Caller

router = APIRouter(include_in_schema=False)


# -- ledger ------------------------------------------------------------------------------


def _ledger_page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    after: int = 0,
    verified: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx = _ctx(request)
    if not may(caller.role, Action.READ_LEDGER):
        return render(
            request, "denied.html", caller, token, active="/ledger", status=403, what="the ledger"
        )
    page = access.ledger_entries(ctx.read_uow(), caller, after=after, limit=views.PAGE_SIZE)
    return render(
        request,
        "ledger.html",
        caller,
        token,
        active="/ledger",
        page=page,
        after=after,
        verified=verified,
        page_size=views.PAGE_SIZE,
    )


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(
    request: Request, after: Annotated[int, Query(ge=0, le=10**12)] = 0
) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _ledger_page(request, caller, token, after=after)


@router.get("/ledger/verify", response_class=HTMLResponse)
def verify_ledger(request: Request) -> HTMLResponse:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    if not may(caller.role, Action.READ_LEDGER):
        return _ledger_page(request, caller, token)
    try:
        count = access.verify_ledger(ctx.read_uow(), caller)
        verified: dict[str, Any] = {"ok": True, "count": count}
    except AlliedError as exc:
        verified = {"ok": False, "message": str(exc)}
    return _ledger_page(request, caller, token, verified=verified)
