"""Pieces shared by the routers: documented error responses, the Idempotency-Key header."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header

from allied.entrypoints.api.idempotency import KEY_PATTERN
from allied.entrypoints.api.schemas import ErrorOut

_ERR: dict[str, Any] = {"model": ErrorOut}

READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {**_ERR, "description": "missing, unknown or revoked token"},
    403: {**_ERR, "description": "the caller's role may not do this"},
    404: {**_ERR, "description": "no such record, or not released to the caller"},
    422: {**_ERR, "description": "invalid input; `field` names it"},
    503: {**_ERR, "description": "the database is unavailable"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **READ_ERRORS,
    400: {**_ERR, "description": "the body is not JSON (or not UTF-8)"},
    409: {**_ERR, "description": "conflicts with the state of a record"},
    413: {**_ERR, "description": "request body too large"},
}

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        pattern=KEY_PATTERN,
        description="retrying a POST with the same key has no second effect (1 to 200 "
        "printable ASCII characters, no space)",
    ),
]
