"""``Idempotency-Key`` on POST routes: a retried request with the same key has no second effect.

Keys are remembered for :data:`RETENTION` (7 days). The key is recorded *in the same
transaction* as the change (a commit hook of the unit of work inserts it under a unique
key), so two concurrent requests with one key cannot both take effect: the second fails
on the key and is answered with the first one's stored response. The same key with a
different body is refused (422).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import time
from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse

from allied.adapters.db.repository_users import SqlIdempotencyStore, SqlServiceUnitOfWork
from allied.domain.errors import Conflict, InvalidInput
from allied.entrypoints.api.context import AppContext
from allied.service.caller import Caller

HEADER = "Idempotency-Key"
#: A change that lost a race on a generated id (or on the key) is rolled back whole, so
#: it is safe to try again this many times before answering 409.
ATTEMPTS = 3
#: How long a key is remembered.
RETENTION = dt.timedelta(days=7)
#: The key's format, declared in the OpenAPI document (1 to 200 printable ASCII
#: characters, no space) and checked on every POST that takes a key.
KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"
_KEY = re.compile(KEY_PATTERN)

Action = Callable[[SqlServiceUnitOfWork], Any]


def fingerprint(method: str, path: str, body: Any) -> str:
    raw = json.dumps([method, path, body], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(found: tuple[str, int | None, Any], expected: str) -> JSONResponse:
    stored_fp, status, body = found
    if stored_fp != expected:
        raise InvalidInput("was already used for a different request", field=HEADER)
    if status is None:
        raise Conflict(
            "a request with this Idempotency-Key took effect; its response is not stored"
        )
    return JSONResponse(body, status_code=status, headers={"Idempotent-Replayed": "true"})


def run(
    ctx: AppContext,
    caller: Caller,
    *,
    key: str | None,
    method: str,
    path: str,
    body: Any,
    status_code: int,
    action: Action,
) -> JSONResponse:
    """Run ``action`` in a unit of work, at most once per (user, key)."""
    if key is None:
        for attempt in range(ATTEMPTS):
            try:
                return JSONResponse(action(ctx.uow()), status_code=status_code)
            except Conflict:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")
    if not _KEY.match(key):
        raise InvalidInput("expected 1 to 200 printable ASCII characters", field=HEADER)
    # On SQLite the writers of this process take turns: hold the turn from the look-up to
    # the stored response, so a concurrent retry in this process finds the answer ready.
    with ctx.writer_lock or contextlib.nullcontext():
        return _run_keyed(ctx, caller, key, method, path, body, status_code, action)


def _run_keyed(
    ctx: AppContext,
    caller: Caller,
    key: str,
    method: str,
    path: str,
    body: Any,
    status_code: int,
    action: Action,
) -> JSONResponse:
    store: SqlIdempotencyStore = ctx.idempotency
    expected = fingerprint(method, path, body)
    found = store.find(caller.user_id, key)
    if found is not None:
        if found[1] is None:
            # the first request committed its change and is storing its answer
            found = _wait_for(store, caller.user_id, key) or found
        return _replay(found, expected)
    claim = store.claim_hook(caller.user_id, key, expected, dt.datetime.now(dt.UTC))
    for attempt in range(ATTEMPTS):
        uow = ctx.uow()
        done = False

        def once(session: Any) -> None:
            nonlocal done
            if not done:
                done = True
                claim(session)

        uow.before_commit.append(once)
        try:
            result = action(uow)
        except Conflict:
            found = _wait_for(store, caller.user_id, key)
            if found is not None:
                return _replay(found, expected)
            if attempt == ATTEMPTS - 1:
                raise
            continue
        now = dt.datetime.now(dt.UTC)
        store.record(caller.user_id, key, status_code, result, forget_before=now - RETENTION)
        return JSONResponse(result, status_code=status_code)
    raise AssertionError("unreachable")


def _wait_for(
    store: SqlIdempotencyStore, user_id: str, key: str
) -> tuple[str, int | None, Any] | None:
    """The key's record, waiting briefly for the response of a request that won a race."""
    found = store.find(user_id, key)
    for _ in range(1500):  # up to 30 s: the winner may queue behind other writers
        if found is None or found[1] is not None:
            return found
        time.sleep(0.02)
        found = store.find(user_id, key)
    return found
