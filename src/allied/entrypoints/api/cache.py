"""A per-process cache of read results, keyed by the data versions.

Every change in ``allied`` appends to the hash-chained ledger in its own transaction, so
the ledger head's sequence number is a version of all the data: a result computed at
version V is still right while the head is at V. The head also keeps ``records_seq``,
the sequence number of the last change other than a pledge: records, memberships and
users are unchanged while it is, so their views (a page of offers without its committed
quantities, a nation's memberships, a token's user) are kept across a burst of pledges.

A key holds everything else a result depends on (route and parameters, the caller's
nation and role, the day), so one caller never gets another's view. The versions are
read once per request, *before* computing, so a cached result is never older than its
key.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.responses import Response

from allied.adapters.db.tables import ledger_head

T = TypeVar("T")

_VERSIONS = select(ledger_head.c.seq, ledger_head.c.records_seq).where(ledger_head.c.id == 1)


@dataclasses.dataclass(frozen=True)
class Versions:
    """The data versions at the start of a request."""

    #: the ledger head: moves with every change
    seq: int
    #: the last change other than a pledge
    records: int


class VersionedCache:
    def __init__(self, engine: Engine, size: int = 2048) -> None:
        self.engine = engine
        self.size = size
        self._items: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def versions(self) -> Versions:
        """Both versions, in one query on a plain connection (no ORM session)."""
        with self.engine.connect() as conn:
            row = conn.execute(_VERSIONS).first()
        return Versions(0, 0) if row is None else Versions(int(row[0]), int(row[1]))

    def version(self) -> int:
        return self.versions().seq

    def get(self, key: Hashable, compute: Callable[[], T], version: int | None = None) -> T:
        """The value for ``key`` computed at ``version`` (default: the head now)."""
        if self.size <= 0:
            return compute()
        if version is None:
            version = self.version()
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] == version:
                self._items.move_to_end(key)
                self.hits += 1
                return found[1]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            self.misses += 1
            self._items[key] = (version, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def encode(value: Any) -> bytes:
    """JSON bytes of a result (a dataclass page, a list or a dict of JSON values)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def cached_json(
    cache: VersionedCache, key: Hashable, compute: Callable[[], Any], version: int | None = None
) -> Response:
    """The result as a JSON response, its encoded bytes cached under ``key``."""
    body = cache.get(key, lambda: encode(compute()), version)
    return Response(content=body, media_type="application/json")
