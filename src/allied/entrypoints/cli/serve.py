"""``allied serve`` (the HTTP API under uvicorn) and ``allied user add|revoke|list``."""

from __future__ import annotations

from typing import Any

import typer

from allied.entrypoints.cli.common import (
    Format,
    FormatOption,
    WideOption,
    console,
    emit,
    err_console,
    errors_to_exit,
    fail,
)

user_app = typer.Typer(help="Users of the API and their bearer tokens.", no_args_is_help=True)

USER_COLUMNS = ["name", "nation", "role", "active", "created_at", "revoked_at"]


def _user_uow() -> tuple[Any, Any]:
    from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
    from allied.entrypoints.cli.common import open_store

    store = open_store()
    # a change: on PostgreSQL it takes the ledger head first, as every writer does
    postgres = store.engine.dialect.name == "postgresql"
    return store, SqlServiceUnitOfWork(service_sessions(store.engine), lock_ledger=postgres)


def _caller() -> Any:
    from allied.config import Settings
    from allied.service.caller import Caller

    settings = Settings.from_env()
    return Caller(user=settings.user, nation=settings.nation, role="admin")


@user_app.command("add")
def user_add(
    name: str = typer.Option(..., help="user name (letters, digits, . _ @ -)"),
    role: str = typer.Option(..., help="coordinator, donor, origin, recipient, auditor or admin"),
    nation: str | None = typer.Option(
        None, help="ISO3 of the nation the user acts for (required for donor, origin, recipient)"
    ),
) -> None:
    """Add a user and print its bearer token ONCE (only a hash of it is stored)."""
    from allied.service.users import add_user

    with errors_to_exit():
        store, uow = _user_uow()
        try:
            made = add_user(uow, _caller(), name=name, role=role, nation=nation)
        finally:
            store.close()
    err = err_console()
    err.print(
        f"user {made.user.name} ({made.user.role.value}"
        f"{', ' + made.user.nation if made.user.nation else ''}) added; "
        "its token is shown once, keep it now:",
        highlight=False,
    )
    typer.echo(made.token)


@user_app.command("revoke")
def user_revoke(name: str = typer.Argument(..., help="the user to revoke")) -> None:
    """Revoke a user's token: the API refuses it from now on (401)."""
    from allied.service.users import revoke_user

    with errors_to_exit():
        store, uow = _user_uow()
        try:
            revoke_user(uow, _caller(), name)
        finally:
            store.close()
    console().print(f"user {name} revoked")


@user_app.command("list")
def user_list(fmt: Format = FormatOption, wide: bool = WideOption) -> None:
    """List users (never their tokens)."""
    from allied.service.users import list_users

    with errors_to_exit():
        store, uow = _user_uow()
        try:
            rows = list_users(uow)
        finally:
            store.close()
    emit(rows, fmt, columns=USER_COLUMNS, title=f"Users ({len(rows)})")


def port_problem(host: str, port: int) -> str:
    """Why the server could not listen on ``host:port`` now ("" when it can): tried with
    a socket bound and closed at once, as uvicorn binds (SO_REUSEADDR)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        return f"cannot resolve {host!r}: {exc}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return ""


def run_server(host: str, port: int, workers: int, *, log_level: str = "info") -> None:
    """Upgrade the schema once, then run uvicorn (SIGINT/SIGTERM: finish requests, then stop)."""
    import uvicorn

    from allied.adapters.db.engine import make_engine, upgrade
    from allied.config import Settings

    problem = port_problem(host, port)
    if problem:
        fail(f"option '--port': {problem}; choose another port, e.g. --port {port + 1}")
    with errors_to_exit():
        engine = make_engine(Settings.from_env().database_url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
    uvicorn.run(
        "allied.entrypoints.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        timeout_graceful_shutdown=20,
        access_log=False,
    )


def serve_command(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, min=0, max=65535, help="TCP port"),
    workers: int = typer.Option(1, min=1, max=64, help="worker processes"),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level"),
) -> None:
    """Serve the HTTP API (OpenAPI at /api/v1/openapi.json, health at /healthz)."""
    console().print(
        f"allied API on http://{host}:{port}/api/v1/ (docs /api/v1/docs), {workers} worker(s)",
        highlight=False,
    )
    run_server(host, port, workers, log_level=log_level)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
    app.add_typer(user_app, name="user")
