"""Core commands: database, reference data, actors, requests, offers, imports, ledger."""

from __future__ import annotations

import typer

from allied.entrypoints.cli.common import console, errors_to_exit

db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the newest revision."""
    from allied.adapters.db.engine import make_engine, upgrade
    from allied.config import Settings

    with errors_to_exit():
        settings = Settings.from_env()
        engine = make_engine(settings.database_url)
        try:
            before, after = upgrade(engine)
        finally:
            engine.dispose()
    if before == after:
        console().print(f"database already at revision {after}")
    else:
        console().print(f"database upgraded from {before or 'empty'} to {after}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
