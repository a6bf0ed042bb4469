"""Engines, sessions and migrations for the SQLAlchemy store."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from allied.domain.errors import InvalidInput, StorageError

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL mode, foreign keys and a busy timeout."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            _configure_sqlite(engine)
        else:
            # a server runs up to 40 requests at once per process (the thread pool): keep
            # 20 connections open and allow 20 more in bursts, rather than SQLAlchemy's
            # 5 + 10 (which closed and reopened connections all the time under load)
            engine = create_engine(url, pool_pre_ping=True, pool_size=20, max_overflow=20)
    except (ArgumentError, ModuleNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"cannot use database URL {url!r}: {exc}", field="ALLIED_DATABASE_URL"
        ) from None
    return engine


def make_read_only_engine(url: str) -> Engine:
    """An engine on a read-only copy of the database (``ALLIED_READ_DATABASE_URL``):
    every transaction is read-only (PostgreSQL's ``default_transaction_read_only``,
    SQLite's ``query_only``), so a write through it fails instead of reaching a copy
    (a streaming replica refuses writes anyway)."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.isolation_level = None
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA busy_timeout=30000")
                cur.execute("PRAGMA query_only=ON")
                cur.close()

            @event.listens_for(engine, "begin")
            def _on_begin(conn: Any) -> None:
                conn.exec_driver_sql("BEGIN")

        else:
            engine = create_engine(
                url,
                pool_pre_ping=True,
                pool_size=10,
                max_overflow=10,
                connect_args={"options": "-c default_transaction_read_only=on"},
            )
    except (ArgumentError, ModuleNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"cannot use database URL {url!r}: {exc}", field="ALLIED_READ_DATABASE_URL"
        ) from None
    return engine


def libpq_conninfo(url: URL) -> str:
    """The libpq connection string of a PostgreSQL URL, for a psycopg connection of
    one's own (outside the engine's pool)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def close_connections(held: list[Any]) -> None:
    """Close and forget psycopg connections, from any thread or event loop: the socket is
    closed directly (an async connection's own ``close`` is a coroutine of the loop
    that opened it)."""
    while held:
        conn = held.pop()
        with contextlib.suppress(Exception):  # already broken
            conn.pgconn.finish()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock at once, so two writers queue instead of
        # failing on a lock upgrade half-way through a transaction.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revisions() -> frozenset[str]:
    """Every head of the migration graph (feature branches may add their own head)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(str(h) for h in ScriptDirectory.from_config(cfg).get_heads())


def head_revision() -> str:
    """The heads as one label (``a+b`` when the graph has several)."""
    return "+".join(sorted(head_revisions()))


def current_revisions(engine: Engine) -> frozenset[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return frozenset()
        return frozenset(str(h) for h in MigrationContext.configure(conn).get_current_heads())


def current_revision(engine: Engine) -> str | None:
    """The database's revision as one label, ``None`` before the first migration."""
    revs = current_revisions(engine)
    return "+".join(sorted(revs)) if revs else None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Upgrade the schema to the newest revisions. Returns (before, after)."""
    from alembic import command

    try:
        before = current_revision(engine)
        if current_revisions(engine) != head_revisions():
            command.upgrade(_alembic_config(engine), "heads")
        return before, head_revision()
    except OperationalError as exc:
        raise StorageError(f"cannot reach or migrate the database: {exc.orig}") from None
    except SQLAlchemyError as exc:
        raise StorageError(f"migration failed: {exc}") from None


def ensure_schema(engine: Engine) -> bool:
    """Upgrade the schema when it is behind (the first command that needs it does this).
    Returns whether the database was empty (no schema at all): a new database."""
    try:
        current = current_revisions(engine)
        if current != head_revisions():
            upgrade(engine)
    except OperationalError as exc:
        raise StorageError(f"cannot reach the database: {exc.orig}") from None
    return not current
