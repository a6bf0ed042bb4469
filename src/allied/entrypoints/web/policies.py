"""Standing consent policies, beside the consents pages: each origin state's declared
answer to re-export requests (``restrictive`` denies at once, ``permissive`` grants at
once, ``case-by-case`` asks). Every role reads them (they are public practice); an origin
state sets its own, the coordinator any state's, through ``access.set_consent_policy``
(one ledger entry). A refused form shows the page again with the error beside its
field and what was typed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from allied.domain.users import Action, UserRole, may
from allied.domain.values import parse_date
from allied.entrypoints.web.forms import Typed, form_page
from allied.entrypoints.web.pages import _ctx, _done, render
from allied.entrypoints.web.session import check_csrf, current
from allied.service import access
from allied.service.caller import Caller

router = APIRouter(include_in_schema=False)

PATH = "/consents/policies"
POLICIES = ("case-by-case", "permissive", "restrictive")


def _page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx = _ctx(request)
    policies = access.list_consent_policies(ctx.read_uow(), caller)
    may_set = may(caller.role, Action.SET_CONSENT_POLICY)
    coordinator = caller.role == UserRole.COORDINATOR
    states = (
        [a["code"] for a in access.list_actors(ctx.read_uow(), caller, kind="state",
                                                limit=10_000).items]
        if may_set and coordinator
        else [caller.nation] if may_set and caller.nation else []
    )
    mine = next((p for p in policies if p["origin"] == caller.nation), None)
    return render(
        request,
        "consent_policies.html",
        caller,
        token,
        active="/consents",
        status=error["status"] if error else 200,
        policies=policies,
        may_set=may_set and bool(states),
        states=states,
        choices=POLICIES,
        error=error,
        form=form
        or {
            "origin": caller.nation,
            "policy": mine["policy"] if mine else "case-by-case",
            "since": ctx.today().isoformat(),
            "source": "",
        },
    )


@router.get(PATH, response_class=HTMLResponse)
def policies_page(request: Request) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _page(request, caller, token)


def _refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    """The policies page again, the form as typed."""
    form = {"origin": (typed.get("origin") or caller.nation).strip().upper(),
            **{k: typed.get(k, "") for k in ("policy", "since", "source")}}
    return _page(request, caller, token, error=error, form=form)


@router.post(PATH, response_class=HTMLResponse)
@form_page(_refused, prefix="cp-", fields=("origin", "policy", "since", "source"))
def set_policy(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    origin: Annotated[str, Form(max_length=16)] = "",
    policy: Annotated[str, Form(max_length=20)] = "",
    since: Annotated[str, Form(max_length=10)] = "",
    source: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    code = (origin or caller.nation).strip().upper()
    day = parse_date(since, "since") if since.strip() else ctx.today()
    # a blank source keeps the one recorded earlier (as the API and the CLI do when it
    # is not given); the table above shows it
    access.set_consent_policy(
        ctx.uow(), caller, code, policy, since=day, today=ctx.today(),
        source=source.strip() or None,
    )
    return _done(PATH, "policy-set", code)
