"""The composition root: wires adapters to the service layer from settings.

Nothing here runs at import time; entry points call :func:`build`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from allied.adapters.db.engine import ensure_schema, make_engine
from allied.adapters.db.repository import SqlUnitOfWork, session_factory
from allied.adapters.db.tables import start_mappers
from allied.config import Settings
from allied.service.ports import UnitOfWork


@dataclass
class Store:
    """A database and a factory of units of work on it."""

    engine: Engine
    settings: Settings
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
        PostgreSQL; SQLite's read transactions are snapshots)."""
        return SqlUnitOfWork(self._read_sessions)

    def __post_init__(self) -> None:
        self._sessions = session_factory(self.engine)
        self._read_sessions = (
            self._sessions
            if self.engine.dialect.name == "sqlite"
            else session_factory(self.engine.execution_options(isolation_level="REPEATABLE READ"))
        )

    def close(self) -> None:
        self.engine.dispose()


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
    refuse = settings.changes_refused() if cli else ""
    return Store(engine=engine, settings=settings, refuse_changes=refuse, created=created)
