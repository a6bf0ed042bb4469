"""Alembic environment: runs against the engine handed in by ``allied`` (never a URL in a file)."""

from __future__ import annotations

from alembic import context

from allied.adapters.db.tables import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when alembic is run by hand
    from allied.adapters.db.engine import make_engine
    from allied.config import Settings

    engine = make_engine(Settings.from_env().database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
