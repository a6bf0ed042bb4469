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
from starlette.concurrency import run_in_threadpool

from allied.domain.actors import Membership
from allied.domain.errors import InvalidInput
from allied.domain.users import hash_token
from allied.entrypoints.api.context import HARD_MAX_PAGE, AppContext
from allied.entrypoints.api.errors import Unauthorized
from allied.entrypoints.api.fast.keys import auth_key, memberships_key
from allied.entrypoints.api.fast.responses import DIGEST_KEY, VERSIONS_KEY
from allied.entrypoints.api.fast.store import Versions
from allied.entrypoints.api.plain import CONTROL, control_message
from allied.service import access
from allied.service.caller import Caller
from allied.service.users import authenticate

bearer = HTTPBearer(
    auto_error=False,
    description="A token from `allied user add` (or POST /api/v1/users by an admin).",
)


async def plain_params(request: Request) -> None:
    """Refuse a path or query parameter holding a control character, naming it (422).

    Runs first on every route of the API and the dashboard (an app-wide dependency), so
    such input is the caller's mistake, answered before authentication or any read, and
    never reaches the store (where a NUL made PostgreSQL fail: 503 and a logged ERROR)."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and CONTROL.search(value):
            raise InvalidInput(control_message(value), field=name)
    for name, value in request.query_params.multi_items():
        if CONTROL.search(name):
            raise InvalidInput(
                "a query parameter's name holds a control character", field="query"
            )
        if CONTROL.search(value):
            raise InvalidInput(control_message(value), field=name)


async def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_context)]


async def current_caller(
    request: Request,
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The caller, and the data versions of this request (``request.state.versions``).

    A token's user is cached under the records version: adding, revoking or rotating a
    user moves it, so a revoked token is refused at once. Unknown tokens are not cached.
    Async: a cached caller costs no worker thread; a lookup runs in one.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token (Authorization: Bearer <token>)")
    # read by CachedReads when it passed the request on, else read here
    versions = request.scope.get(VERSIONS_KEY) or await ctx.cache.aversions()
    request.state.versions = versions
    token = credentials.credentials
    digest = hash_token(token)
    key = auth_key(digest)
    hit, found = ctx.cache.lookup(key, versions.records)
    caller: Caller | None = found
    if not hit:
        caller = await run_in_threadpool(authenticate, ctx.read_uow(), token)
        if caller is not None:  # unknown tokens are not kept
            ctx.cache.store(key, versions.records, caller)
    if caller is None:
        raise Unauthorized("unknown or revoked token")
    request.scope[DIGEST_KEY] = digest
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def request_versions(request: Request, _: CurrentCaller) -> Versions:
    """The data versions read when the caller was authenticated."""
    versions: Versions = request.state.versions
    return versions


DataVersions = Annotated[Versions, Depends(request_versions)]


def caller_memberships(
    ctx: AppContext, caller: Caller, versions: Versions
) -> tuple[Membership, ...]:
    """The caller's nation's memberships, cached while the records do not change."""
    return ctx.cache.get(
        memberships_key(caller),
        lambda: access.memberships_of(ctx.read_uow(), caller),
        versions.records,
    )


async def acaller_memberships(
    ctx: AppContext, caller: Caller, versions: Versions
) -> tuple[Membership, ...]:
    """:func:`caller_memberships` for async routes (a miss is read in a worker thread)."""
    return await ctx.cache.aget(
        memberships_key(caller),
        lambda: access.memberships_of(ctx.read_uow(), caller),
        versions.records,
    )



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
