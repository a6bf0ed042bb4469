"""The dashboard's ledger page: the audit ledger's entries and its verification."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from allied.domain.errors import AlliedError
from allied.domain.users import Action, may
from allied.entrypoints.web import views
from allied.entrypoints.web.pages import (
    _ctx,
    _error,
    render,
)
from allied.entrypoints.web.session import (
    current,
)
from allied.ledger.kinds import KINDS
from allied.service import access
from allied.service.caller import Caller

router = APIRouter(include_in_schema=False)


# -- ledger ------------------------------------------------------------------------------


def _ledger_page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    after: int | None = None,
    before: int | None = None,
    kind: str = "",
    record: str = "",
    verified: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx = _ctx(request)
    if not may(caller.role, Action.READ_LEDGER):
        return render(
            request, "denied.html", caller, token, active="/ledger", status=403, what="the ledger"
        )
    error = None
    try:
        page = access.ledger_window(
            ctx.read_uow(), caller, after=after, before=before, kind=kind, record=record,
            limit=views.PAGE_SIZE,
        )
    except AlliedError as exc:
        error = _error(exc, "Not shown")
        page = access.ledger_window(ctx.read_uow(), caller, limit=views.PAGE_SIZE)
        page.update(kind=kind, record=record)
    return render(
        request,
        "ledger.html",
        caller,
        token,
        links=_links(page),
        active="/ledger",
        status=error["status"] if error else 200,
        error=error,
        page=page,
        kinds=sorted(KINDS),
        verified=verified,
    )


def _links(page: dict[str, Any]) -> dict[str, str]:
    """The pager's addresses, the filters kept: the oldest and the earlier page when
    entries lie before this one, the later and the latest when entries lie after it."""
    keep = {k: page[k] for k in ("kind", "record") if page[k]}

    def at(**where: int) -> str:
        query = urlencode({**keep, **where})
        return "/ledger" + ("?" + query if query else "")

    links = {"filtered": at()} if keep else {}
    if page["earlier"]:
        links.update(oldest=at(after=0), earlier=at(before=page["first"]))
    if page["later"]:
        links.update(later=at(after=page["last"]), latest=at())
    return links


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(
    request: Request,
    after: Annotated[int | None, Query(ge=0, le=10**12)] = None,
    before: Annotated[int | None, Query(ge=0, le=10**12)] = None,
    kind: Annotated[str, Query(max_length=64)] = "",
    record: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _ledger_page(
        request, caller, token, after=after, before=before, kind=kind, record=record
    )


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
