"""The composition root: wires adapters to the service layer from settings.

Nothing here runs at import time; entry points call :func:`build`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from allied.adapters.db.engine import ensure_schema, make_engine, make_read_only_engine
from allied.adapters.db.repository import SqlUnitOfWork, session_factory
from allied.adapters.db.tables import start_mappers
from allied.config import Settings
from allied.service.ports import UnitOfWork


@dataclass
class Store:
    """A database and a factory of units of work on it."""

    engine: Engine
    settings: Settings
    #: the read-only copy read units of work use (``ALLIED_READ_DATABASE_URL``), if any
    replica: Engine | None = None
    #: Why changes are refused (the CLI with an operating-system identity where the
    #: deployment requires an explicit one; see ``Settings.changes_refused``), or "".
    refuse_changes: str = ""
    #: The database had no schema when opened: this store created it (a new database).
    created: bool = False

    def uow(self) -> UnitOfWork:
        """A unit of work for a change. On PostgreSQL it takes the ledger head first, as
        the API's writers do, so the CLI's changes and the API's take turns from their
        start (no lost update, no deadlock between them)."""
        return SqlUnitOfWork(
            self._sessions,
            lock_ledger=self.engine.dialect.name == "postgresql",
            refuse_changes=self.refuse_changes,
        )

    def read_uow(self) -> UnitOfWork:
        """A unit of work that only reads: it never waits for (or holds up) a writer's
        turn, and all its statements see one snapshot (``REPEATABLE READ`` on
        PostgreSQL; SQLite's read transactions are snapshots). With a read replica
        configured it reads the replica (a little behind the primary) and cannot write."""
        return SqlUnitOfWork(self._read_sessions)

    def __post_init__(self) -> None:
        self._sessions = session_factory(self.engine)
        reader = self.replica or self.engine
        self._read_sessions = (
            session_factory(reader)
            if reader.dialect.name == "sqlite"
            else session_factory(reader.execution_options(isolation_level="REPEATABLE READ"))
        )

    def close(self) -> None:
        self.engine.dispose()
        if self.replica is not None:
            self.replica.dispose()


def build(settings: Settings | None = None, *, migrate: bool = True, cli: bool = False) -> Store:
    """Open the store named by ``settings`` (from the environment by default).

    With ``migrate`` (the default) the schema is upgraded first when it is behind.
    ``cli``: the store of a command-line user, who acts as ``settings.user`` (the API's
    callers are identified by their tokens instead): its changes are refused when the
    deployment requires an explicit identity and none was given.
    """
    settings = settings or Settings.from_env()
    start_mappers()
    engine = make_engine(settings.database_url)
    created = ensure_schema(engine) if migrate else False
    if settings.ledger_key_file:
        from pathlib import Path

        from allied.adapters.db.repository import CheckpointPolicy, sign_checkpoints
        from allied.ledger.checkpoint import load_signer

        signer = load_signer(Path(settings.ledger_key_file))
        sign_checkpoints(engine, CheckpointPolicy(signer, settings.checkpoint_every))
    replica = (
        make_read_only_engine(settings.read_database_url) if settings.read_database_url else None
    )
    refuse = settings.changes_refused() if cli else ""
    return Store(
        engine=engine, settings=settings, replica=replica, refuse_changes=refuse, created=created
    )


#: (settings, process id) -> the store ``ReadUowOpener`` opened in that process
_OPENED: dict[tuple[Settings, int], Store] = {}


@dataclass(frozen=True)
class ReadUowOpener:
    """A picklable factory of read units of work on the database ``settings`` name: what
    a worker process (``allied ledger verify --jobs``) opens its own store with. Each
    process opens the store once (never one inherited from its parent)."""

    settings: Settings

    def __call__(self) -> UnitOfWork:
        key = (self.settings, os.getpid())
        store = _OPENED.get(key)
        if store is None:
            store = _OPENED[key] = build(self.settings, migrate=False)
        return store.read_uow()
