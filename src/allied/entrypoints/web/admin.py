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

from allied.domain.errors import InvalidInput
from allied.domain.users import NATIONAL_ROLES, Action, UserRole, may, require
from allied.entrypoints.web.forms import Typed, confirmed_reason, form_page
from allied.entrypoints.web.pages import _ctx, _done, render
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
    users, versions = access.users_with_versions(ctx.read_uow(), caller)
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
        versions=versions,
        roles=[r.value for r in UserRole],
        national=sorted(r.value for r in NATIONAL_ROLES),
        states=states,
        error=error,
        form=form or {"role": "", "nation": "", "name": ""},
        edit=edit,
        new_token=new_token,
    )


@router.get(PATH, response_class=HTMLResponse)
def users_page(request: Request) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _page(request, caller, token)


def _add_refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    """The users page again, the add form as typed."""
    form = {"name": typed.get("name", ""), "role": typed.get("role", ""),
            "nation": typed.get("nation", "").strip().upper()}
    return _page(request, caller, token, error=error, form=form)


def _user_refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    """The users page again, the user's disable form open as typed (a refused reset: the
    page with the refusal)."""
    name = str(request.path_params.get("name", ""))
    action = "disable" if request.url.path.endswith("/disable") else "reset"
    edit = {"id": name, "action": action, "error": error,
            "form": {"reason": typed.get("reason", "")}}
    return _page(request, caller, token, error=error, edit=edit)


@router.post(PATH, response_class=HTMLResponse)
@form_page(_add_refused, prefix="u-", fields=("name", "role", "nation"))
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
    made = access.add_user(
        ctx.uow(), caller, name=name.strip(), role=role, nation=nation.strip().upper() or None
    )
    return _page(
        request, caller, token, new_token={"name": made.user.name, "token": made.token}
    )


@router.post(PATH + "/{name}/reset", response_class=HTMLResponse)
@form_page(_user_refused, prefix="rst-{name}-", fields=("confirm",))
def reset_token(
    request: Request,
    name: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
    version: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """A new token, once: the form is confirmed and carries the version of the token it
    replaces, so the result page reloaded (the post sent again) resets nothing."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    require(caller.role, Action.MANAGE_USERS)  # a role that may not reset is told so first
    if confirm != "yes":
        raise InvalidInput(
            f"tick the box to confirm: {name}'s current token stops working", field="confirm"
        )
    made = access.reset_user_token(ctx.uow(), caller, name, expected=version)
    return _page(
        request, caller, token, new_token={"name": made.user.name, "token": made.token}
    )


@router.post(PATH + "/{name}/disable", response_class=HTMLResponse)
@form_page(_user_refused, prefix="dis-{name}-", fields=("reason", "confirm"))
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
    if name == caller.user:
        raise InvalidInput("you cannot disable the user you are signed in as")
    why = confirmed_reason(confirm, reason)
    access.revoke_user(ctx.uow(), caller, name, reason=why)
    return _done(PATH, "disabled", name)
