"""The data versions (ledger head), read cheaply enough to do on the API's event loop.

Every request of the API starts by reading two numbers from ``ledger_head`` (see
:mod:`allied.entrypoints.api.cache`). Handing that to a worker thread costs more CPU
than the query itself, so it is read in the calling thread through one connection kept
for the purpose (outside the pool, in autocommit, taking turns under a lock). The query
is a primary-key lookup that never waits for a row lock (PostgreSQL's readers do not
block on writers, nor do SQLite's under WAL), so it blocks the event loop for one round
trip on loopback.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from allied.domain.errors import StorageError

_VERSIONS_SQL = "SELECT seq, records_seq FROM ledger_head WHERE id = 1"

#: Longest the event loop may wait to connect (s) or for the query (ms); past either the
#: request is answered 503 and the next one tries again.
CONNECT_TIMEOUT_S = 2
STATEMENT_TIMEOUT_MS = 1000

#: ``(seq, records_seq)`` of the ledger head; ``(0, 0)`` before the first change
Versions = tuple[int, int]


def read_versions(engine: Engine) -> Versions:
    """The versions through a pooled connection of ``engine``."""
    with engine.connect() as conn:
        row = conn.execute(text(_VERSIONS_SQL)).first()
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


class VersionReader:
    """Reads the versions on a connection of its own; :meth:`close` it on shutdown."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._held: list[Any] = []  # the connection, when open
        self._lock = threading.Lock()
        # an app dropped without shutting down still closes its connection
        weakref.finalize(self, _close_all, self._held)

    @property
    def blocks_briefly(self) -> bool:
        """True when :meth:`read` may be called on an event loop (its own connection)."""
        return self.engine.dialect.name == "postgresql"

    def read(self) -> Versions:
        with self._lock:
            try:
                return self._query()
            except Exception:  # a broken connection (a server restart...): one new try
                self._discard()
            try:
                return self._query()
            except Exception as exc:
                self._discard()
                raise StorageError(f"cannot read the data version: {type(exc).__name__}") from None

    def _query(self) -> Versions:
        if not self.blocks_briefly:
            # SQLite: a local file read through the (reader) engine's pool
            return read_versions(self.engine)
        if not self._held or self._held[0].closed:
            import psycopg

            url = self.engine.url.set(drivername="postgresql")
            self._discard()
            # bounded: this runs on the event loop, which must not wait long for a lock
            # (a migration's ALTER TABLE), a reconnect or a hung connection
            self._held.append(
                psycopg.connect(
                    url.render_as_string(hide_password=False),
                    autocommit=True,
                    connect_timeout=CONNECT_TIMEOUT_S,
                    options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
                    f" -c lock_timeout={STATEMENT_TIMEOUT_MS}",
                )
            )
        row = self._held[0].execute(_VERSIONS_SQL).fetchone()
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    def _discard(self) -> None:
        _close_all(self._held)

    def close(self) -> None:
        with self._lock:
            self._discard()


def _close_all(held: list[Any]) -> None:
    while held:
        with contextlib.suppress(Exception):  # already broken
            held.pop().close()
