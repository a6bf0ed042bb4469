"""The error tree translated into HTTP: a JSON body naming the field, never a bare 500.

======================================  ======
error                                   status
======================================  ======
missing, unknown or revoked token       401
InvalidInput (and request validation)   422
NotFound, and any record not released   404
PermissionDenied                        403
Busy (too much of the same work now)    429
Conflict, IllegalTransition,            409
RuleViolation
MissingData (data not imported yet)     409
body over the configured size           413
LedgerIntegrityError                    500
StorageError                            503
======================================  ======
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from allied.domain.errors import (
    AlliedError,
    Busy,
    Conflict,
    IllegalTransition,
    InvalidInput,
    LedgerIntegrityError,
    MissingData,
    NotFound,
    PermissionDenied,
    RuleViolation,
    StorageError,
)
from allied.entrypoints.api.openapi import allowed_methods

log = logging.getLogger("allied.api")


class Unauthorized(AlliedError):
    """No bearer token, or one that is unknown or revoked."""


def status_for(exc: AlliedError) -> tuple[int, str]:
    if isinstance(exc, Unauthorized):
        return 401, "unauthorized"
    if isinstance(exc, InvalidInput):
        return 422, "invalid-input"
    if isinstance(exc, NotFound):
        return 404, "not-found"
    if isinstance(exc, PermissionDenied):
        return 403, "forbidden"
    if isinstance(exc, IllegalTransition):
        return 409, "illegal-transition"
    if isinstance(exc, RuleViolation):
        return 409, "rule-violation"
    if isinstance(exc, Conflict):
        return 409, "conflict"
    if isinstance(exc, MissingData):
        return 409, "missing-data"
    if isinstance(exc, Busy):
        return 429, "busy"
    if isinstance(exc, StorageError):
        return 503, "storage-unavailable"
    if isinstance(exc, LedgerIntegrityError):
        return 500, "ledger-integrity"
    return 500, "error"


def error_body(
    code: str, message: str, field: str | None = None, entry: int | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": code, "message": message, "field": field}
    if entry is not None:  # ledger-integrity: the first entry at fault
        body["entry"] = entry
    return body


def _allied(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AlliedError)
    status, code = status_for(exc)
    field = exc.field if isinstance(exc, InvalidInput) else None
    message = exc.message if isinstance(exc, InvalidInput) else str(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status >= 500:
        log.error("%s: %s", code, exc)
    entry = exc.seq if isinstance(exc, LedgerIntegrityError) else None
    return JSONResponse(
        error_body(code, message, field, entry), status_code=status, headers=headers
    )


def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) if loc and first.get("type") != "json_invalid" else "body"
    message = str(first.get("msg", "invalid request"))
    return JSONResponse(error_body("invalid-input", message, field), status_code=422)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        # every method of every route matching the path, not only the first route's
        headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
    code = {400: "bad-body", 404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(
        exc.status_code, "http-error"
    )
    field = "body" if exc.status_code in (400, 413) else None
    return JSONResponse(
        error_body(code, str(exc.detail), field),
        status_code=exc.status_code,
        headers=headers or None,
    )


def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(error_body("internal", "internal error; see the server log"), 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(AlliedError, _allied)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
