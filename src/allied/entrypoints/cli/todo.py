"""`allied todo`: what waits on a role now (the API's ``GET /api/v1/todo``)."""

from __future__ import annotations

import json
from typing import Any

import typer

from allied.entrypoints.cli.common import (
    Format,
    FormatOption,
    console,
    emit,
    errors_to_exit,
    parse_day,
)

#: the columns shown per section in a table (JSON has every field)
COLUMNS = {
    "deliveries_to_confirm": ["id", "donor", "family", "quantity", "request", "needed_by"],
    "back_from_repair": ["id", "donor", "family", "quantity", "request"],
    "requests_with_nothing_allocated": ["id", "family", "quantity", "priority", "needed_by"],
    "proposed_to_pledge": ["id", "offer", "request", "recipient", "quantity"],
    "pledges_to_ship": ["id", "offer", "request", "recipient", "quantity", "needed_by"],
    "consents_holding_pledges": ["id", "offer", "quantity", "blocked_by"],
    "consents_to_answer": [
        "id", "family", "item_type", "quantity", "holder", "recipient", "allocations",
        "days_waited",
    ],
    "consents_waiting": [
        "id", "origin", "holder", "family", "recipient", "quantity", "days_waited", "expires_on",
    ],
    "proposed_to_accept": ["id", "donor", "recipient", "family", "quantity"],
    "unfilled_requests": ["id", "recipient", "family", "outstanding", "needed_by", "reasons"],
    "blocked_decisions": ["kind", "id", "blocked_by", "waiting_for"],
    "overdue_deliveries": ["id", "donor", "recipient", "status", "quantity", "needed_by"],
}


def todo_command(
    role: str = typer.Option("coordinator", help="the role to list for"),
    as_nation: str | None = typer.Option(None, "--as", help="the nation, ISO3 (or ALLIED_NATION)"),
    on: str | None = typer.Option(None, "--on", help="date (default today)"),
    fmt: Format = FormatOption,
) -> None:
    """What waits on a role now: deliveries to confirm, consents to answer, pledges to
    ship, proposed allocations to accept, unfilled requests, blocked decisions."""
    from allied.bootstrap import build
    from allied.config import Settings
    from allied.domain.users import check_nation_for_role, parse_role
    from allied.service.access import todo
    from allied.service.caller import Caller

    day = parse_day(on, "--on")
    settings = Settings.from_env()
    with errors_to_exit():
        parsed = parse_role(role, "--role")
        nation = check_nation_for_role(parsed, as_nation or settings.nation or None, "--as")
        caller = Caller(user=settings.user, nation=nation, role=parsed.value)
        store = build(settings)
        try:
            out = todo(store.read_uow(), caller, day)
        finally:
            store.close()
    if fmt is Format.JSON:
        typer.echo(json.dumps(out, indent=2))
        return
    if fmt is Format.CSV:
        # one table: a row per item, its section named first (sections differ in columns)
        flat = [
            {"section": section["name"], **_cells(r)}
            for section in out["sections"]
            for r in section["items"]
        ]
        columns = ["section"]
        for section in out["sections"]:
            for c in COLUMNS.get(section["name"]) or []:
                if c not in columns:
                    columns.append(c)
        for row in flat:
            columns += [k for k in row if k not in columns]
        emit(flat, fmt, columns=columns)
        return
    for section in out["sections"]:
        rows = [_cells(r) for r in section["items"]]
        if fmt is Format.TABLE and not rows:
            console().print(f"[bold]{section['title']}[/]: nothing waits")
            continue
        emit(rows, fmt, title=f"{section['title']} ({len(rows)})",
             columns=COLUMNS.get(section["name"]))


def _cells(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (",".join(map(str, v)) if isinstance(v, list) else v) for k, v in row.items()}


def register(app: typer.Typer) -> None:
    app.command("todo")(todo_command)
