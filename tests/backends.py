"""The test backends: SQLite always, PostgreSQL when ``ALLIED_TEST_POSTGRES_URL`` names a
database, and how a PostgreSQL test database is emptied. A plain module, not a conftest
(``from conftest import`` names whichever conftest was imported last; see ``callers.py``)."""

from __future__ import annotations

import os

from sqlalchemy import text

POSTGRES_URL = os.environ.get("ALLIED_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


def reset_postgres(url: str) -> None:
    """Drop every table of the database at ``url`` (its public schema made anew)."""
    from allied.adapters.db.engine import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
