"""The Alembic migrations build exactly the schema the tables describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from allied.adapters.db.engine import current_revision, head_revision
from allied.adapters.db.tables import metadata
from allied.bootstrap import Store


def test_migrations_match_the_tables(empty_store: Store) -> None:
    assert current_revision(empty_store.engine) == head_revision()
    with empty_store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_the_migration_graph_has_one_head() -> None:
    from allied.adapters.db.engine import head_revisions

    assert len(head_revisions()) == 1, head_revisions()
