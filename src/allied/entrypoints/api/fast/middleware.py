"""Answer repeated reads from the cache before the framework runs (pure ASGI middleware).

A cached read (a list page, a set of totals) costs well under a tenth of a millisecond of
our own code, but about 0.75 ms of FastAPI's routing, dependency solving and validation
around it. On the hot routes that is most of a worker's CPU. This middleware keeps the
exact answer a route gave a caller and gives it again while nothing it depends on has
changed, without entering the application:

* Only ``GET`` under ``/api/v1/`` with a bearer token, and only answers the application
  itself marked as cached results (:class:`~allied.entrypoints.api.fast.responses.CachedJSON`:
  a pure function of the route, its query, the caller, the day and the data versions).
* They are kept in a store of their own (``AppContext.answers``, bounded in entries and
  bytes like the read cache), so that many of them (one per token and query) never push
  out the results shared by all callers. The key is the path, the raw query string,
  the SHA-256 digest of the token and the day; the entry holds the data versions
  (ledger head and records version) it was computed at and is used only while both
  are unchanged. Revoking or adding a user moves
  the records version, so a revoked token is refused at once by the full path.
* The versions are read for each request (shared with requests arriving meanwhile, as
  every request reads them) before the lookup, so an answer is never older than the
  changes acknowledged before the request.
* Requests that miss while another request for the same key and versions is in the
  application wait for its answer rather than each computing it (for keys that held an
  answer before, so that routes never kept are not made to queue).
* A list page the application marked as completable
  (:class:`~allied.entrypoints.api.fast.responses.CompletableJSON`) is, after pledges, completed
  here with the new sums instead of computed by the application again: a pledge changes
  only the committed and pledged sums, so while the records version is the one the page
  was computed at (same records, same releasability, same users and tokens), the page at
  the new ledger head is its records completed from the process's holdings
  (:mod:`allied.entrypoints.api.fast.holdings`), the same bytes the application would give.
  With readers of many nations, every pledge made each of their pages go through the
  framework again; this is most of what they cost.
* An entry is stored only when the token the application authenticated and the day it
  answered for are those of the key. Errors, other statuses and uncached routes are
  never stored, nor an answer with headers other than its type and length; anything
  unusual falls through to the application.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from allied.domain.users import hash_token
from allied.entrypoints.api.fast.flight import SingleFlight
from allied.entrypoints.api.fast.keys import answer_key
from allied.entrypoints.api.fast.responses import (
    CACHED_MARK,
    COMPLETER_KEY,
    DIGEST_KEY,
    VERSIONS_KEY,
    Completer,
)
from allied.entrypoints.api.fast.store import Versions

if TYPE_CHECKING:
    from allied.entrypoints.api.context import AppContext

PREFIX = "/api/v1/"


@dataclass(frozen=True, slots=True)
class Answer:
    """A kept answer: its headers and body, and how to complete it at newer holdings
    (list pages) or ``None``."""

    headers: list[tuple[bytes, bytes]]
    body: bytes
    complete: Completer | None = None

    def completed(self, body: bytes) -> Answer:
        """The same answer with another body (its length updated)."""
        length = str(len(body)).encode()
        headers = [(n, length if n.lower() == b"content-length" else v) for n, v in self.headers]
        return Answer(headers, body, self.complete)

#: An answer is kept only when these are all its headers: one carrying another (a
#: cookie, a request id) is never given to another request.
KEPT_HEADERS = frozenset({b"content-type", b"content-length"})


def bearer_token(scope: Scope) -> str | None:
    """The token of the first ``Authorization: Bearer <token>`` header, as FastAPI's
    ``HTTPBearer`` reads it (``None`` when there is none)."""
    name: bytes
    value: bytes
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            if scheme.lower() == "bearer" and token:
                return token
            return None
    return None


def _weight(scope: Scope, answer: Answer) -> int:
    """The bytes a kept answer counts for: its body and key, and what its completer keeps."""
    size = len(answer.body) + len(scope["query_string"]) + len(scope["path"]) + 64
    return size + (answer.complete.retained if answer.complete is not None else 0)


class CachedReads:
    def __init__(self, app: ASGIApp, ctx: AppContext) -> None:
        self.app = app
        self.ctx = ctx
        self._flights: SingleFlight[Answer | None] = SingleFlight()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(PREFIX)
            or self.ctx.options.cache_size <= 0
        ):
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        if token is None:
            await self.app(scope, receive, send)
            return
        try:
            versions = await self.ctx.cache.aversions()
        except Exception:
            # the application reads them again and answers the failure (503)
            await self.app(scope, receive, send)
            return
        digest = hash_token(token)
        day = self.ctx.today()
        key = answer_key(scope["path"], scope["query_string"], digest, day)
        hit, found = self.ctx.answers.lookup(key, versions)
        if hit:
            await self._answer(found, send)
            return
        completed = await self._completed(scope, key, versions, day)
        if completed is not None:
            await self._answer(completed, send)
            return
        # One request per key and versions goes through the application; those that miss
        # while it runs (after each pledge every reader misses at once) take its answer.
        # Only for keys that held an answer before: the others (first reads, routes whose
        # answers are never kept) each go their own way, not one after another.
        flight = (key, versions)
        running = self._flights.running(flight)
        if running is not None:
            found = await asyncio.shield(running)
            if found is not None:
                self.ctx.answers.hits += 1
                await self._answer(found, send)
                return
            # not kept (an error, another status, a cancelled request): its own way
        if running is not None or key not in self.ctx.answers:
            await self._through(scope, receive, send, key, versions, digest, day)
            return
        with self._flights.lead(flight, otherwise=None) as future:
            await self._through(scope, receive, send, key, versions, digest, day, future)

    async def _completed(
        self, scope: Scope, key: Hashable, versions: Versions, day: dt.date
    ) -> Answer | None:
        """A kept list page completed at the holdings of ``versions``, when only changes
        of allocations came since it was computed (same records version, so the same
        records, the same releasability and the same users), or amendments its completer
        shows do not concern it; ``None`` to go through the application."""
        entry = self.ctx.answers.peek(key)
        if entry is None:
            return None
        at, kept = entry
        if (
            not isinstance(at, Versions)
            or not isinstance(kept, Answer)
            or kept.complete is None
            or at.seq >= versions.seq
        ):
            return None
        try:
            holdings = await self.ctx.holdings.at(versions)
            if holdings.records != at.records:
                # records changed since the page was read: only amendments the holdings
                # moved past (anything else made them be read whole, and they no longer
                # know what came before), each shown not to concern this page
                changes = holdings.changes_since(at.records)
                if changes is None or not kept.complete.unchanged(changes):
                    return None
            answer = kept.completed(kept.complete(holdings))
        except Exception:
            return None  # the application answers it (and any failure) its own way
        if self.ctx.today() != day:
            return None
        self.ctx.answers.store(key, versions, answer, weight=_weight(scope, answer),
                               replacing=at)
        self.ctx.answers.completed += 1
        return answer

    async def _through(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: Hashable,
        versions: Versions,
        digest: str,
        day: dt.date,
        waiting: asyncio.Future[Answer | None] | None = None,
    ) -> None:
        """Pass the request to the application; keep its answer when it may be given
        again, and hand it to those ``waiting`` for it as soon as it is known (before it
        is sent: this request's client may be slow to take it)."""
        scope[VERSIONS_KEY] = versions
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                start.update(message)
            elif kind == "http.response.body" and start.get("status") == 200:
                chunks.append(message.get("body", b""))
                headers = start["headers"]
                if (
                    not message.get("more_body", False)
                    and scope.get(CACHED_MARK)
                    and scope.get(DIGEST_KEY) == digest
                    and self.ctx.today() == day
                    and all(name.lower() in KEPT_HEADERS for name, _ in headers)
                ):
                    answer = Answer(list(headers), b"".join(chunks), scope.get(COMPLETER_KEY))
                    self.ctx.answers.store(key, versions, answer, weight=_weight(scope, answer))
                    if waiting is not None and not waiting.done():
                        waiting.set_result(answer)
            await send(message)

        await self.app(scope, receive, keep)

    async def _answer(self, answer: Answer, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
        await send({"type": "http.response.body", "body": answer.body})
