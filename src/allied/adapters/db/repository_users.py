"""The service's unit of work: the core repositories plus users, with commit hooks.

:class:`SqlServiceUnitOfWork` adds a ``users`` repository and runs ``before_commit``
hooks inside the transaction (used to record an ``Idempotency-Key`` atomically with the
change it guards). :class:`SqlIdempotencyStore` reads and completes those records.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy import (
    bindparam,
    case,
    create_engine,
    event,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from allied.adapters.db.repository import SqlRepository, SqlUnitOfWork, session_factory
from allied.adapters.db.tables import allocations, ledger_entries, ledger_head
from allied.adapters.db.tables_users import idempotency_keys, start_user_mappers, web_sessions
from allied.domain.assistance import COMMITTING, AllocationStatus
from allied.domain.users import User
from allied.ledger.chain import decode_payload
from allied.service.holdings import HeldSnapshot, TailEntry
from allied.service.ports import Repository

CommitHook = Callable[[Session], None]

_HELD_PAIRS = (
    select(
        allocations.c.offer_id,
        allocations.c.request_id,
        func.sum(allocations.c.quantity).label("held"),
        func.sum(
            case((allocations.c.status == AllocationStatus.PROPOSED.value,
                  allocations.c.quantity), else_=0)
        ).label("proposed"),
    )
    .where(allocations.c.status.in_(sorted(s.value for s in COMMITTING)))
    .group_by(allocations.c.offer_id, allocations.c.request_id)
    .subquery()
)
#: The held quantity per (offer, request) pair beside the ledger head, in one statement
#: (so in one snapshot, whatever the isolation level): a row of the head alone when
#: nothing is held, none when the ledger is empty.
_HELD_SNAPSHOT = (
    select(
        ledger_head.c.seq,
        ledger_head.c.records_seq,
        _HELD_PAIRS.c.offer_id,
        _HELD_PAIRS.c.request_id,
        _HELD_PAIRS.c.held,
        _HELD_PAIRS.c.proposed,
    )
    .select_from(ledger_head.outerjoin(_HELD_PAIRS, true()))
    .where(ledger_head.c.id == 1)
)
_LEDGER_TAIL = (
    select(ledger_entries.c.seq, ledger_entries.c.kind, ledger_entries.c.payload)
    .where(ledger_entries.c.seq > bindparam("after"))
    .order_by(ledger_entries.c.seq)
    .limit(bindparam("limit"))
)


class SqlServiceUnitOfWork(SqlUnitOfWork):
    """The core unit of work plus ``users``; ``before_commit`` hooks run in the transaction."""

    users: Repository[User]

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        writer_lock: threading.RLock | None = None,
        lock_ledger: bool = False,
    ) -> None:
        super().__init__(sessions, lock_ledger=lock_ledger)
        self.before_commit: list[CommitHook] = []
        self.writer_lock = writer_lock

    def __enter__(self) -> SqlServiceUnitOfWork:
        if self.writer_lock is not None:
            # SQLite has one writer at a time: threads of this process queue here, handed
            # over at once, rather than in SQLite's busy handler, which sleeps and retries.
            self.writer_lock.acquire()
        try:
            super().__enter__()
        except BaseException:
            if self.writer_lock is not None:
                self.writer_lock.release()
            raise
        self.users = SqlRepository(self.session, User)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        finally:
            if self.writer_lock is not None:
                self.writer_lock.release()

    def held_snapshot(self) -> HeldSnapshot:
        """Held quantity per (offer, request) pair and the ledger head, in one statement."""
        seq = records = 0
        pairs = []
        proposed = []
        for row in self.session.execute(_HELD_SNAPSHOT):
            seq, records = int(row.seq), int(row.records_seq)
            if row.offer_id is not None:
                pairs.append((str(row.offer_id), str(row.request_id), int(row.held)))
                if row.proposed:
                    proposed.append((str(row.offer_id), str(row.request_id), int(row.proposed)))
        return HeldSnapshot(seq, pairs, records, proposed)

    def ledger_tail(self, after: int, limit: int) -> list[TailEntry]:
        """The first ``limit`` ledger entries after ``after`` (one statement)."""
        rows = self.session.execute(_LEDGER_TAIL, {"after": after, "limit": limit})
        return [
            TailEntry(int(r.seq), str(r.kind), decode_payload(int(r.seq), r.payload))
            for r in rows
        ]

    def commit(self) -> None:
        for hook in self.before_commit:
            hook(self.session)
        super().commit()


def service_sessions(engine: Engine) -> sessionmaker[Session]:
    start_user_mappers()
    return session_factory(engine)


# -- idempotency keys (plain SQL; the service layer sees them through IdempotencyStore) ----


class SqlIdempotencyStore:
    """Stored outcomes of POST requests made with an ``Idempotency-Key``."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        read_sessions: sessionmaker[Session] | None = None,
        writer_lock: threading.RLock | None = None,
    ) -> None:
        self.sessions = sessions
        self.read_sessions = read_sessions or sessions
        self.writer_lock = writer_lock or threading.RLock()

    def find(self, user_id: str, key: str) -> tuple[str, int | None, Any] | None:
        """(fingerprint, status code, response body) or ``None``."""
        with self.read_sessions() as s:
            row = s.execute(
                select(
                    idempotency_keys.c.fingerprint,
                    idempotency_keys.c.status_code,
                    idempotency_keys.c.response,
                ).where(idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)
            ).first()
        if row is None:
            return None
        body = json.loads(row.response) if row.response is not None else None
        return str(row.fingerprint), row.status_code, body

    @staticmethod
    def claim_hook(user_id: str, key: str, fingerprint: str, at: Any) -> CommitHook:
        """A commit hook inserting the key in the same transaction as the change."""

        def hook(session: Session) -> None:
            session.execute(
                idempotency_keys.insert().values(
                    user_id=user_id, key=key, fingerprint=fingerprint, created_at=at
                )
            )

        return hook

    def record(
        self,
        user_id: str,
        key: str,
        status_code: int,
        body: Any,
        *,
        forget_before: dt.datetime | None = None,
    ) -> None:
        """Store the response for the key; keys made before ``forget_before`` are dropped
        (a retry that late is a new request)."""
        with self.writer_lock, self.sessions() as s, s.begin():
            s.execute(
                idempotency_keys.update()
                .where(idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)
                .values(status_code=status_code, response=json.dumps(body, sort_keys=True))
            )
            if forget_before is not None:
                s.execute(
                    idempotency_keys.delete().where(
                        idempotency_keys.c.created_at < forget_before,
                        idempotency_keys.c.status_code.is_not(None),
                    )
                )


# -- dashboard sessions (plain SQL; the web entry point uses them) -------------------------


class SqlWebSessions:
    """The dashboard's sign-in sessions: a row per session, keyed by the digest of its
    random id (a stolen database yields no usable cookie)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        read_sessions: sessionmaker[Session] | None = None,
        writer_lock: threading.RLock | None = None,
    ) -> None:
        self.sessions = sessions
        self.read_sessions = read_sessions or sessions
        self.writer_lock = writer_lock or threading.RLock()

    def start(
        self, id_hash: str, user_id: str, token_hash: str, now: dt.datetime, expires: dt.datetime
    ) -> None:
        """Record a new session; sessions that expired or ended before ``now`` are dropped."""
        with self.writer_lock, self.sessions() as s, s.begin():
            s.execute(
                web_sessions.delete().where(
                    or_(web_sessions.c.expires_at < now, web_sessions.c.ended_at.is_not(None))
                )
            )
            s.execute(
                web_sessions.insert().values(
                    id_hash=id_hash,
                    user_id=user_id,
                    token_hash=token_hash,
                    created_at=now,
                    expires_at=expires,
                )
            )

    def token_hash(self, id_hash: str, now: dt.datetime) -> str | None:
        """The digest of the token a live session (not ended, not expired) is bound to."""
        with self.read_sessions() as s:
            row = s.execute(
                select(web_sessions.c.token_hash).where(
                    web_sessions.c.id_hash == id_hash,
                    web_sessions.c.ended_at.is_(None),
                    web_sessions.c.expires_at > now,
                )
            ).first()
        return None if row is None else str(row.token_hash)

    def end(self, id_hash: str, now: dt.datetime) -> None:
        with self.writer_lock, self.sessions() as s, s.begin():
            s.execute(
                web_sessions.update()
                .where(web_sessions.c.id_hash == id_hash, web_sessions.c.ended_at.is_(None))
                .values(ended_at=now)
            )


def read_engine(engine: Engine) -> Engine:
    """An engine for read-only units of work.

    On SQLite the main engine starts every transaction with ``BEGIN IMMEDIATE`` (writers
    queue instead of failing half-way), which would queue readers too; readers get their
    own engine with a plain (deferred) ``BEGIN``: under WAL they read a consistent
    snapshot and never wait for a writer. Other databases share the engine's pool, with
    their read transactions in ``REPEATABLE READ``: every statement of one sees the same
    snapshot (on PostgreSQL a read-only transaction of that level never fails and never
    waits), so a unit of work that reads the ledger head, then the entries, sees them
    as they were together.
    """
    if engine.dialect.name != "sqlite":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    reader = create_engine(engine.url, connect_args={"timeout": 30})

    @event.listens_for(reader, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA query_only=ON")
        cur.close()

    @event.listens_for(reader, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return reader
