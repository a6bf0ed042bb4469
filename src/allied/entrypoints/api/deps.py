"""FastAPI dependencies: the app's context, the authenticated caller, paging.

``CurrentCaller`` is the auth dependency: it reads ``Authorization: Bearer <token>``,
looks the token's SHA-256 digest up among active users and yields a
:class:`~allied.service.caller.Caller` (user, nation, role). A missing, unknown or
revoked token is answered 401 before the route runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from allied.domain.errors import InvalidInput
from allied.entrypoints.api.context import HARD_MAX_PAGE, AppContext
from allied.entrypoints.api.errors import Unauthorized
from allied.service.caller import Caller
from allied.service.users import authenticate

bearer = HTTPBearer(
    auto_error=False,
    description="A token from `allied user add` (or POST /api/v1/users by an admin).",
)


async def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_context)]


def current_caller(
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token (Authorization: Bearer <token>)")
    caller = authenticate(ctx.read_uow(), credentials.credentials)
    if caller is None:
        raise Unauthorized("unknown or revoked token")
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


async def paging(
    ctx: Ctx,
    limit: Annotated[
        int | None, Query(ge=1, le=HARD_MAX_PAGE, description="page size (server maximum applies)")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Paging:
    size = ctx.options.default_page_size if limit is None else limit
    if size > ctx.options.max_page_size:
        raise InvalidInput(
            f"at most {ctx.options.max_page_size} records a page; got {size}", field="limit"
        )
    return Paging(size, offset)


Page = Annotated[Paging, Depends(paging)]
