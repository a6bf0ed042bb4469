"""The Alembic migrations build exactly the schema the tables describe."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from allied.adapters.db.engine import current_revision, head_revision
from allied.adapters.db.tables import metadata
from allied.bootstrap import Store
from backends import BACKENDS, POSTGRES_URL, reset_postgres


def test_migrations_match_the_tables(empty_store: Store) -> None:
    assert current_revision(empty_store.engine) == head_revision()
    with empty_store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_the_migration_graph_has_one_head() -> None:
    from allied.adapters.db.engine import head_revisions

    assert len(head_revisions()) == 1, head_revisions()


@pytest.mark.parametrize("backend", BACKENDS)
def test_db_upgrade_adds_the_consent_request_lookup_indexes(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``allied db upgrade`` takes a database at 0019 to the head, through
    0020_consent_lookups: the consent requests get their indexes by offer and by holder
    and family, the allocations theirs by status, needs_consent and request (0021;
    SQLite and PostgreSQL)."""
    from alembic import command
    from sqlalchemy import inspect
    from typer.testing import CliRunner

    from allied.adapters.db.engine import _alembic_config, make_engine
    from allied.entrypoints.cli.app import app

    if backend == "postgres":
        assert POSTGRES_URL
        reset_postgres(POSTGRES_URL)
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    try:
        command.upgrade(_alembic_config(engine), "0019_picture_parts")

        def indexes() -> dict[str, list[str | None]]:
            with engine.connect() as conn:
                found = inspect(conn).get_indexes("consent_requests")
            return {str(i["name"]): list(i["column_names"]) for i in found}

        assert "ix_consent_requests_offer_id" not in indexes()
        monkeypatch.setenv("ALLIED_DATABASE_URL", url)
        done = CliRunner().invoke(app, ["db", "upgrade"])
        assert done.exit_code == 0, done.output
        assert f"from 0019_picture_parts to {head_revision()}" in done.output
        assert current_revision(engine) == head_revision()
        found = indexes()
        assert found["ix_consent_requests_offer_id"] == ["offer_id"]
        assert found["ix_consent_requests_holder_family"] == ["holder", "family"]
        # and 0021: the allocations counted by status read from an index alone
        with engine.connect() as conn:
            on_allocations = {
                str(i["name"]): list(i["column_names"])
                for i in inspect(conn).get_indexes("allocations")
            }
        assert on_allocations["ix_allocations_status_parts"] == [
            "status", "needs_consent", "request_id"
        ]
    finally:
        engine.dispose()
