"""The answers of cached routes: JSON bodies kept by the store, marked for the middleware.

A route whose answer is a pure function of its path, query, the caller, the day and the
data versions answers with :class:`CachedJSON` (through :func:`acached_json`); the
middleware (:mod:`allied.entrypoints.api.fast.middleware`) then keeps the whole answer
and gives it again without entering the application. A list page whose sums a pledge
changes answers with :class:`CompletableJSON`, carrying the :class:`Completer` that
gives the same page at newer holdings.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from allied.entrypoints.api.fast.store import VersionedCache
from allied.service.holdings import Holdings, RecordChange

#: scope keys shared with :mod:`allied.entrypoints.api.fast.middleware`: the versions it
#: read, the digest of the token the application authenticated, and the mark of a cached
#: answer
VERSIONS_KEY = "allied.versions"
DIGEST_KEY = "allied.token_digest"
CACHED_MARK = "allied.cached"
#: scope key of an answer's :data:`Completer`
COMPLETER_KEY = "allied.completer"


def _cannot_tell(changes: Sequence[RecordChange]) -> bool:
    return not changes


@dataclasses.dataclass(frozen=True)
class Completer:
    """The JSON body of an answer at other holdings: a list page whose records are
    unchanged while the records version is (or after amendments that do not concern it),
    with the sums a pledge or a move changes completed from the holdings given."""

    complete: Callable[[Holdings], bytes]
    #: about how many bytes of memory it keeps alive (the page's records), counted with
    #: the answer in the store's byte budget
    retained: int
    #: whether the page's records are still those after these amendments (see
    #: :mod:`allied.service.unchanged`); by default only when there are none
    unchanged: Callable[[Sequence[RecordChange]], bool] = _cannot_tell

    def __call__(self, holdings: Holdings) -> bytes:
        return self.complete(holdings)


def encode(value: Any) -> bytes:
    """JSON bytes of a result (a dataclass page, a list or a dict of JSON values)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_fields).encode()


def _fields(value: Any) -> dict[str, Any]:
    """A dataclass as the dict of its fields, for :func:`json.dumps` (shallow: what it
    holds is encoded in turn, not copied first as ``dataclasses.asdict`` would)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(f"{type(value).__name__} is not JSON")


class CachedJSON(Response):
    """A JSON answer that is a pure function of the route, its query, the caller, the day
    and the data versions: it marks the request so that
    :class:`~allied.entrypoints.api.fast.middleware.CachedReads` may give it again."""

    media_type = "application/json"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[CACHED_MARK] = True
        await super().__call__(scope, receive, send)


async def acached_json(
    cache: VersionedCache, key: Hashable, compute: Callable[[], Any], version: int
) -> Response:
    """The result as a JSON response, its encoded bytes cached under ``key`` (a miss is
    computed in a worker thread)."""
    body = await cache.aget(key, lambda: encode(compute()), version)
    return CachedJSON(content=body)


class CompletableJSON(CachedJSON):
    """A :class:`CachedJSON` answer that ``completer`` gives again at newer holdings, as
    long as the records version is unchanged (a list page after pledges)."""

    def __init__(self, content: bytes, completer: Completer) -> None:
        super().__init__(content=content)
        self.completer = completer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[COMPLETER_KEY] = self.completer
        await super().__call__(scope, receive, send)


async def acached_json_from(
    cache: VersionedCache,
    key: Hashable,
    make: Callable[[], Awaitable[Any]],
    version: int,
    *,
    completer: Completer | None = None,
) -> Response:
    """:func:`acached_json` with a miss computed by awaiting ``make()``; with
    ``completer``, a :class:`CompletableJSON`."""

    async def encoded() -> bytes:
        return encode(await make())

    body = await cache.aget_from(key, encoded, version)
    if completer is not None:
        return CompletableJSON(body, completer)
    return CachedJSON(content=body)


async def afresh_json(cache: VersionedCache, key: Hashable, compute: Callable[[], Any]) -> Response:
    """The result as a JSON response computed after the call (in a worker thread), one
    computation per key at a time shared by the calls that came before it started
    (:class:`~allied.entrypoints.api.fast.flight.NextFlight`): for results that change
    with nearly every write, such as a page of allocations. Marked :class:`CachedJSON`:
    the middleware gives it again while the data versions stay."""
    body = await cache.fresh.get(key, lambda: run_in_threadpool(lambda: encode(compute())))
    return CachedJSON(content=body)
