"""The admin's page: users of the clearinghouse. Add a user with a role (and the nation a
national role acts for), reset a user's token, disable a user (confirmed, with a reason
recorded in the ledger). Through the checked use-cases (``access.add_user`` ...), which
refuse every role but the admin's.

A new or reset token is shown once, on the page the form's post answers (never in a URL,
never stored: only its digest is kept)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from allied.domain.errors import AlliedError, InvalidInput
from allied.domain.users import NATIONAL_ROLES, Action, UserRole, may
from allied.entrypoints.web.forms import confirmed_reason
from allied.entrypoints.web.pages import _ctx, _done, _error, render
from allied.entrypoints.web.session import check_csrf, current
from allied.service import access
from allied.service.caller import Caller

router = APIRouter(include_in_schema=False)

PATH = "/admin/users"


def _page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    edit: dict[str, Any] | None = None,
    new_token: dict[str, str] | None = None,
) -> HTMLResponse:
    if not may(caller.role, Action.MANAGE_USERS):
        return render(
            request, "denied.html", caller, token, active=PATH, status=403, what="the users"
        )
    ctx = _ctx(request)
    users = access.list_users(ctx.read_uow(), caller)
    states = [
        a for a in access.list_actors(ctx.read_uow(), caller, limit=10_000).items
        if a["kind"] == "state"
    ]
    return render(
        request,
        "admin_users.html",
        caller,
        token,
        active=PATH,
        status=error["status"] if error else 200,
        users=users,
        roles=[r.value for r in UserRole],
        national=sorted(r.value for r in NATIONAL_ROLES),
        states=states,
        error=error if not edit else None,
        form=form or {"role": "", "nation": "", "name": ""},
        edit=edit,
        new_token=new_token,
    )


@router.get(PATH, response_class=HTMLResponse)
def users_page(request: Request) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _page(request, caller, token)


@router.post(PATH, response_class=HTMLResponse)
def add_user(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    nation: Annotated[str, Form(max_length=16)] = "",
) -> HTMLResponse:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {"name": name.strip(), "role": role, "nation": nation.strip().upper()}
    try:
        made = access.add_user(
            ctx.uow(), caller, name=form["name"], role=role, nation=form["nation"] or None
        )
    except AlliedError as exc:
        return _page(request, caller, token, error=_error(exc), form=form)
    return _page(
        request, caller, token, new_token={"name": made.user.name, "token": made.token}
    )


@router.post(PATH + "/{name}/reset", response_class=HTMLResponse)
def reset_token(
    request: Request, name: str, csrf: Annotated[str, Form(max_length=200)] = ""
) -> HTMLResponse:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    try:
        made = access.reset_user_token(ctx.uow(), caller, name)
    except AlliedError as exc:
        return _page(request, caller, token, error=_error(exc))
    return _page(
        request, caller, token, new_token={"name": made.user.name, "token": made.token}
    )


@router.post(PATH + "/{name}/disable", response_class=HTMLResponse)
def disable_user(
    request: Request,
    name: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    try:
        if name == caller.user:
            raise InvalidInput("you cannot disable the user you are signed in as", field="name")
        why = confirmed_reason(confirm, reason)
        access.revoke_user(ctx.uow(), caller, name, reason=why)
    except AlliedError as exc:
        edit = {"id": name, "error": _error(exc), "form": {"reason": reason}}
        return _page(request, caller, token, error=_error(exc), edit=edit)
    return _done(PATH, "disabled", name)
