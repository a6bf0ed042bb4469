"""Core commands: database, reference data, actors, requests, offers, imports, ledger."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from allied.entrypoints.cli.common import (
    Format,
    FormatOption,
    WideOption,
    console,
    describe_database,
    emit,
    errors_to_exit,
    fail,
    parse_day,
)
from allied.entrypoints.cli.common import operator_caller as _caller

db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
data_app = typer.Typer(help="The built-in reference dataset.", no_args_is_help=True)
request_app = typer.Typer(help="The recipient's requests.", no_args_is_help=True)
offer_app = typer.Typer(help="Donors' offers.", no_args_is_help=True)
import_app = typer.Typer(help="Import records from CSV or JSON files.", no_args_is_help=True)
ledger_app = typer.Typer(help="The append-only, hash-chained audit ledger.", no_args_is_help=True)

#: The day records are filed: their dates are checked against it (allied.domain.dates).
FILED_ON = typer.Option(
    None,
    "--on",
    help="the day the records are filed, YYYY-MM-DD (default today): a needed-by date "
    "from it to 10 years ahead, an available-from date from a year before it",
)

REQUEST_COLUMNS = [
    "id",
    "recipient",
    "family",
    "accepts",
    "quantity",
    "priority",
    "needed_by",
    "status",
    "releasability",
]
OFFER_COLUMNS = [
    "id",
    "donor",
    "family",
    "quantity",
    "available_from",
    "channel",
    "lethal",
    "origin",
    "recipient",
    "status",
    "releasability",
]


def _store() -> Any:
    from allied.entrypoints.cli.common import open_store

    return open_store()



#: a page as long as any list (the CLI lists every record its caller sees)
_EVERY = 10**9


def _all_requests(store: Any) -> list[dict[str, Any]]:
    import datetime as dt

    from allied.service.access import list_requests

    return list_requests(store.read_uow(), _caller(), dt.date.today(), limit=_EVERY).items


def _all_offers(store: Any) -> list[dict[str, Any]]:
    import datetime as dt

    from allied.service.access import list_offers

    return list_offers(store.read_uow(), _caller(), dt.date.today(), limit=_EVERY).items


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the newest revision."""
    from allied.adapters.db.engine import make_engine, upgrade
    from allied.config import Settings

    with errors_to_exit():
        engine = make_engine(Settings.from_env().database_url)
        try:
            before, after = upgrade(engine)
        finally:
            engine.dispose()
    if before == after:
        console().print(f"database already at revision {after}")
    else:
        console().print(f"database upgraded from {before or 'empty'} to {after}")


@data_app.command("load")
def data_load() -> None:
    """Load the built-in reference dataset (idempotent: a second run changes nothing)."""
    from allied.ingest.reference import load_reference_dataset
    from allied.service.reference import load_reference

    with errors_to_exit():
        store = _store()
        try:
            report = load_reference(store.uow(), _caller(), load_reference_dataset())
        finally:
            store.close()
    rows = [
        {
            "table": name,
            "inserted": report.inserted[name],
            "updated": report.updated[name],
            "unchanged": report.unchanged[name],
        }
        for name in report.inserted
    ]
    emit(rows, Format.TABLE, title="Reference data")
    if not report.changed:
        console().print("nothing to change: the reference data were already loaded")


@db_app.callback()
def _db() -> None:
    """Manage the database schema."""


def actors_command(
    org: str = typer.Option(..., "--org", help="organisation code: NATO, EU, UDCG, G7"),
    on: str | None = typer.Option(None, "--on", help="date YYYY-MM-DD (default: today)"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """List the members of an organisation on a date."""
    from allied.service.access import members_on

    day = parse_day(on, "--on")
    with errors_to_exit():
        store = _store()
        try:
            rows = members_on(store.read_uow(), _caller(), org.strip().upper(), day)
        finally:
            store.close()
    caption = None
    if org.strip().upper() == "UDCG":
        caption = (
            "UDCG participants known by name only: about 57 states take part; "
            "the list is incomplete"
        )
    emit(
        rows,
        fmt,
        title=f"{org.upper()} members on {day.isoformat()} ({len(rows)})",
        caption=caption,
    )
    if caption and fmt is not Format.TABLE:
        typer.echo(f"note: {caption}", err=True)


@request_app.command("add")
def request_add(
    recipient: str = typer.Option(..., help="recipient state, ISO3"),
    family: str = typer.Option(..., help="compatibility family, e.g. 155mm-nato"),
    quantity: str = typer.Option(..., help="positive integer"),
    priority: str = typer.Option("3", help="1 (low) to 5 (urgent)"),
    needed_by: str = typer.Option(..., "--needed-by", help="YYYY-MM-DD"),
    accepts: str | None = typer.Option(None, help="other families accepted, comma-separated"),
    item_type: str | None = typer.Option(None, "--item-type", help="a catalogue item code"),
    request_id: str | None = typer.Option(None, "--id", help="id (default: generated)"),
    releasability: str | None = typer.Option(None, help="owner | nations:A,B | org:ORG | public"),
    notes: str | None = typer.Option(None),
    on: str | None = FILED_ON,
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Register one request."""
    from allied.service.access import import_requests, record_payload

    day = parse_day(on, "--on")
    data = {
        "id": request_id,
        "recipient": recipient,
        "family": family,
        "quantity": quantity,
        "priority": priority,
        "needed_by": needed_by,
        "accepts": accepts,
        "item_type": item_type,
        "releasability": releasability,
        "notes": notes,
    }
    with errors_to_exit():
        store = _store()
        try:
            made = import_requests(
                store.uow(), _caller(), day, [(None, "options", _clean(data))],
                source="command line",
            )
        finally:
            store.close()
    emit([record_payload(r) for r in made], fmt, columns=REQUEST_COLUMNS, title="Request added")


@request_app.command("list")
def request_list(fmt: Format = FormatOption, wide: bool = WideOption) -> None:
    """List requests."""
    with errors_to_exit():
        store = _store()
        try:
            rows = _all_requests(store)
        finally:
            store.close()
    emit(rows, fmt, columns=REQUEST_COLUMNS, title=f"Requests ({len(rows)})")


@offer_app.command("add")
def offer_add(
    donor: str = typer.Option(..., help="donor state or organisation code"),
    family: str = typer.Option(..., help="compatibility family"),
    quantity: str = typer.Option(..., help="positive integer"),
    available_from: str = typer.Option(..., "--available-from", help="YYYY-MM-DD"),
    channel: str = typer.Option("bilateral", help="bilateral, udcg, nato-cap, nsatu, eu-epf, g7"),
    lethal: bool = typer.Option(True, "--lethal/--non-lethal"),
    origin: str | None = typer.Option(None, help="state that made the item, ISO3"),
    recipient: str | None = typer.Option(None, help="only for this recipient, ISO3"),
    item_type: str | None = typer.Option(None, "--item-type"),
    fund: str | None = typer.Option(None, help="pooled fund that bought it"),
    offer_id: str | None = typer.Option(None, "--id"),
    releasability: str | None = typer.Option(None, help="owner | nations:A,B | org:ORG | public"),
    caveats: str | None = typer.Option(None),
    on: str | None = FILED_ON,
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Register one offer."""
    from allied.service.access import import_offers, record_payload

    day = parse_day(on, "--on")
    data = {
        "id": offer_id,
        "donor": donor,
        "family": family,
        "quantity": quantity,
        "available_from": available_from,
        "channel": channel,
        "lethal": lethal,
        "origin": origin,
        "recipient": recipient,
        "item_type": item_type,
        "fund": fund,
        "releasability": releasability,
        "caveats": caveats,
    }
    with errors_to_exit():
        store = _store()
        try:
            made = import_offers(
                store.uow(), _caller(), day, [(None, "options", _clean(data))],
                source="command line",
            )
        finally:
            store.close()
    emit([record_payload(o) for o in made], fmt, columns=OFFER_COLUMNS, title="Offer added")


@offer_app.command("list")
def offer_list(fmt: Format = FormatOption, wide: bool = WideOption) -> None:
    """List offers."""
    with errors_to_exit():
        store = _store()
        try:
            rows = _all_offers(store)
        finally:
            store.close()
    emit(rows, fmt, columns=OFFER_COLUMNS, title=f"Offers ({len(rows)})")


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _import(kind: str, path: Path, on: str | None) -> None:
    from allied.ingest.files import read_records
    from allied.service.access import import_offers, import_requests

    day = parse_day(on, "--on")
    with errors_to_exit():
        rows = read_records(path, kind)
        store = _store()
        try:
            add = import_requests if kind == "requests" else import_offers
            made = add(store.uow(), _caller(), day, rows, source=str(path))
        finally:
            store.close()
    console().print(f"imported {len(made)} {kind} from {path}")


@import_app.command("requests")
def import_requests(
    path: Path = typer.Argument(..., help="FILE.csv or FILE.json"), on: str | None = FILED_ON
) -> None:
    """Import requests: every row is checked first; one bad row stops it and nothing is
    written. Records filed on an earlier day are imported with that day as --on."""
    _import("requests", path, on)


@import_app.command("offers")
def import_offers(
    path: Path = typer.Argument(..., help="FILE.csv or FILE.json"), on: str | None = FILED_ON
) -> None:
    """Import offers: every row is checked first; one bad row stops it and nothing is
    written. Records filed on an earlier day are imported with that day as --on."""
    _import("offers", path, on)


@ledger_app.command("export")
def ledger_export(
    fmt: str = typer.Option("jsonl", "--format", "-f", help="jsonl (one entry a line)"),
) -> None:
    """Write every ledger entry to standard output."""
    from allied.service.access import export_ledger

    if fmt != "jsonl":
        from allied.entrypoints.cli.common import fail

        fail(f"option '--format': expected jsonl, got {fmt!r}")
    with errors_to_exit():
        store = _store()
        try:
            for entry in export_ledger(store.read_uow(), _caller()):
                sys.stdout.write(json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n")
        finally:
            store.close()


def demo_command(
    serve: bool | None = typer.Option(
        None,
        "--serve/--no-serve",
        help="serve the API after loading (default: only when run in a terminal)",
    ),
    host: str = typer.Option("127.0.0.1", help="address to serve on"),
    port: int = typer.Option(8000, min=0, max=65535, help="TCP port to serve on"),
) -> None:
    """Load the reference data into the embedded database, add a user per role, print the
    address and each token, then serve the API."""
    from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
    from allied.entrypoints.cli.serve import port_problem
    from allied.ingest.kiel import builtin_kiel_path, read_kiel
    from allied.ingest.reference import load_reference_dataset
    from allied.ingest.sipri import builtin_sipri_path, read_sipri
    from allied.service.public_data import import_kiel, import_sipri
    from allied.service.reference import load_reference
    from allied.service.users import ensure_demo_users

    explicit = serve is not None
    if serve is None:
        serve = sys.stdout.isatty()
    if serve:
        # before anything changes: a second demo gives every role a new token, which
        # must not happen for a server that cannot start
        problem = port_problem(host, port)
        if problem:
            fail(
                f"option '--port': {problem} (another server, perhaps an earlier demo, is "
                f"using it); nothing was changed. Choose another port: "
                f"make demo PORT={port + 1}, or allied demo --port {port + 1}"
            )
    with errors_to_exit():
        store = _store()
        try:
            report = load_reference(store.uow(), _caller(), load_reference_dataset())
            # The shipped public data too, so that every report and chart works at once
            # (idempotent: a second demo changes nothing).
            import_kiel(store.uow(), _caller(), read_kiel(builtin_kiel_path()))
            sipri = builtin_sipri_path()
            import_sipri(store.uow(), _caller(), read_sipri(sipri), source=sipri.name)
            requests = _all_requests(store)
            offers = _all_offers(store)
            sessions = service_sessions(store.engine)
            postgres = store.engine.dialect.name == "postgresql"
            users = ensure_demo_users(
                lambda: SqlServiceUnitOfWork(sessions, lock_ledger=postgres), _caller()
            )
        finally:
            store.close()
    out = console()
    total = sum(report.inserted.values())
    out.print(
        f"[bold]allied[/] reference dataset ready ({total} records inserted, "
        f"{sum(report.unchanged.values())} already there)"
    )
    out.print(f"Database: {describe_database()}", highlight=False)
    emit(
        requests,
        Format.TABLE,
        title="Requests",
        columns=["id", "family", "quantity", "priority", "needed_by", "status"],
    )
    emit(
        offers,
        Format.TABLE,
        title="Offers",
        columns=["id", "donor", "family", "quantity", "available_from", "channel", "origin"],
    )
    out.print("Quantities marked ILLUSTRATIVE in the data are modelled, not reported figures.")
    out.print("Public data: the Kiel Support Tracker and SIPRI extracts shipped with allied.")
    out.print(f"\nDashboard: http://{host}:{port}/  (sign in with a token below)")
    out.print(f"API: http://{host}:{port}/api/v1/  (OpenAPI: /api/v1/openapi.json)")
    out.print("Demo users (tokens are shown once; `allied demo` again gives new ones):")
    for u in users:
        typer.echo(
            f"  {u.user.name:<20} {u.user.role.value:<12} {u.user.nation or '-':<4} {u.token}"
        )
    token = users[0].token
    out.print(
        f"try: curl -H 'Authorization: Bearer {token}' http://{host}:{port}/api/v1/offers",
        highlight=False,
        soft_wrap=True,
    )
    if serve:
        from allied.entrypoints.cli.serve import run_server

        out.print(f"Serving on http://{host}:{port}/ (Ctrl-C stops)", highlight=False)
        run_server(host, port, 1)
        return
    why = "--no-serve" if explicit else "standard output is not a terminal"
    out.print(
        f"Not serving ({why}): the addresses above answer only while a server runs. "
        f"Start one with `allied serve --port {port}` (or `allied demo --serve`, "
        f"`make demo PORT={port}` in a terminal).",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(data_app, name="data")
    app.command("actors")(actors_command)
    app.add_typer(request_app, name="request")
    app.add_typer(offer_app, name="offer")
    app.add_typer(import_app, name="import")
    from allied.entrypoints.cli import ledger as ledger_commands

    ledger_commands.register(ledger_app)
    app.add_typer(ledger_app, name="ledger")
    app.command("demo")(demo_command)
