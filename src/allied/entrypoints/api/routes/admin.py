"""Health, the caller, users (admin) and the ledger (auditor, coordinator)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from allied.domain.errors import Conflict, NotFound, StorageError
from allied.domain.users import Action, require
from allied.entrypoints.api import idempotency
from allied.entrypoints.api.deps import Ctx, CurrentCaller, Page
from allied.entrypoints.api.routes.common import READ_ERRORS, WRITE_ERRORS, IdempotencyKey
from allied.entrypoints.api.schemas import (
    CheckpointOut,
    EndIn,
    ErrorOut,
    HealthOut,
    LedgerPageOut,
    MeOut,
    NewUserOut,
    UserIn,
    UserOut,
    VerifyOut,
)
from allied.ledger.checkpoint import Signer
from allied.service import access
from allied.service import users as user_service

router = APIRouter()


@router.get(
    "/healthz",
    response_model=HealthOut,
    responses={503: {"model": ErrorOut}},
    tags=["health"],
)
def healthz(ctx: Ctx) -> dict[str, str]:
    """Liveness and database reachability (no token needed)."""
    try:
        with ctx.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means the database is unreachable
        raise StorageError(f"database unreachable: {type(exc).__name__}") from None
    return {"status": "ok", "database": ctx.store.engine.dialect.name}


@router.get("/api/v1/me", response_model=MeOut, responses=READ_ERRORS, tags=["users"])
def me(caller: CurrentCaller) -> dict[str, str]:
    """Who the token stands for."""
    return {"user": caller.user, "nation": caller.nation, "role": caller.role}


@router.get("/api/v1/users", response_model=list[UserOut], responses=READ_ERRORS, tags=["users"])
def list_users(ctx: Ctx, caller: CurrentCaller) -> list[dict[str, object]]:
    """Every user, by name (admin); never a token."""
    return access.list_users(ctx.read_uow(), caller)


@router.post(
    "/api/v1/users",
    status_code=201,
    response_model=NewUserOut,
    responses=WRITE_ERRORS,
    tags=["users"],
)
def add_user(body: UserIn, ctx: Ctx, caller: CurrentCaller) -> JSONResponse:
    """Add a user (admin). The response holds the token: it is not stored and not shown again.

    No ``Idempotency-Key`` here: replaying would mean storing the token."""
    made = access.add_user(ctx.uow(), caller, name=body.name, role=body.role, nation=body.nation)
    return JSONResponse({**user_service.user_view(made.user), "token": made.token}, 201)


@router.post(
    "/api/v1/users/{name}/revoke",
    response_model=UserOut,
    responses=WRITE_ERRORS,
    tags=["users"],
)
def revoke_user(
    name: str,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    body: EndIn | None = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Disable a user (admin): its token is refused from now on; the optional reason is
    recorded in the ledger entry."""
    reason = body.reason if body is not None else ""
    return idempotency.run(
        ctx,
        caller,
        key=key,
        method="POST",
        path=request.url.path,
        body={"reason": reason},
        status_code=200,
        action=lambda uow: access.revoke_user(uow, caller, name, reason=reason),
    )


@router.get(
    "/api/v1/ledger/entries", response_model=LedgerPageOut, responses=READ_ERRORS, tags=["ledger"]
)
def ledger_entries(
    ctx: Ctx,
    caller: CurrentCaller,
    page: Page,
    after: Annotated[int, Query(ge=0, le=2**31, description="entries after this sequence")] = 0,
) -> dict[str, object]:
    """Ledger entries in sequence order (auditor, coordinator)."""
    found = access.ledger_entries(ctx.read_uow(), caller, after=after, limit=page.limit)
    return {"items": found.items, "head": found.total, "after": after, "limit": page.limit}


@router.get(
    "/api/v1/ledger/verify", response_model=VerifyOut, responses=READ_ERRORS, tags=["ledger"]
)
def ledger_verify(
    ctx: Ctx,
    caller: CurrentCaller,
    checkpoints: Annotated[
        bool, Query(description="also pass through every stored signed checkpoint")
    ] = False,
    records: Annotated[
        bool, Query(description="also replay the ledger and compare the records' tables")
    ] = False,
) -> dict[str, object]:
    """Check the hash chain and every payload (500 ``ledger-integrity`` naming the first
    bad entry, the first checkpoint that does not hold, or the records that differ)."""
    if not (checkpoints or records):
        return {"intact": True, "entries": access.verify_ledger(ctx.read_uow(), caller)}
    require(caller.role, Action.READ_LEDGER)
    out: dict[str, object] = {"intact": True}
    if checkpoints:
        out["entries"], out["checkpoints"] = access.verify_stored_checkpoints(
            ctx.read_uow(), caller, _signer(ctx)
        )
    else:
        out["entries"] = access.verify_ledger(ctx.read_uow(), caller)
    if records:
        result = access.verify_records(ctx.read_uow(), caller)
        if result.differences:
            raise access.records_error(result)
        out["records"] = result.records
    return out


def _signer(ctx: Ctx) -> Signer:
    from allied.adapters.db.repository import checkpoint_signer

    signer = checkpoint_signer(ctx.store.engine)
    if signer is None:
        raise Conflict("no ledger key on this server (ALLIED_LEDGER_KEY_FILE)")
    return signer


@router.get(
    "/api/v1/ledger/checkpoint",
    response_model=CheckpointOut,
    responses=READ_ERRORS,
    tags=["ledger"],
)
def ledger_checkpoint(ctx: Ctx, caller: CurrentCaller) -> dict[str, object]:
    """The latest signed checkpoint of the ledger head (auditor, coordinator); 404 when
    none was signed yet. Witnesses keep copies (``allied ledger witness``)."""
    cp = access.latest_checkpoint(ctx.read_uow(), caller)
    if cp is None:
        raise NotFound("no checkpoint signed yet")
    return cp.as_dict()


@router.post(
    "/api/v1/ledger/checkpoint",
    response_model=CheckpointOut,
    responses=WRITE_ERRORS,
    tags=["ledger"],
)
def sign_ledger_checkpoint(ctx: Ctx, caller: CurrentCaller) -> dict[str, object]:
    """Sign the ledger head now (auditor, coordinator): the checkpoint, kept and
    answered (the head's latest one when it is signed already). 409 without a key."""
    return access.sign_checkpoint(ctx.uow(), caller, _signer(ctx)).as_dict()
