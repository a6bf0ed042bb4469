"""Records that live: amend, withdraw and close requests and offers; the expiry job.

Thin over :mod:`allied.service.usecases.lifecycle`: the operator acts as the coordinator
(as ``ALLIED_NATION``), one transaction and one ledger entry per change."""

from __future__ import annotations

from typing import Any

import typer

from allied.entrypoints.cli.common import Format, FormatOption, emit, errors_to_exit, parse_day
from allied.entrypoints.cli.core import OFFER_COLUMNS, REQUEST_COLUMNS, offer_app, request_app
from allied.entrypoints.cli.governance import allocation_app

RECORD_ON = typer.Option(None, "--on", help="the day the change is made (default today)")


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from allied.bootstrap import build
    from allied.config import Settings
    from allied.service.caller import Caller

    settings = Settings.from_env()
    caller = Caller(user=settings.user, nation=settings.nation)
    with errors_to_exit():
        store = build(settings)
        try:
            return fn(store.uow(), caller, *args, **kwargs)
        finally:
            store.close()


def _changes(**given: Any) -> dict[str, Any]:
    return {k: v for k, v in given.items() if v is not None}


@request_app.command("amend")
def request_amend(
    request_id: str = typer.Argument(...),
    quantity: str | None = typer.Option(None, help="never below what is allocated"),
    priority: str | None = typer.Option(None, help="1 (low) to 5 (urgent)"),
    needed_by: str | None = typer.Option(None, "--needed-by", help="YYYY-MM-DD"),
    notes: str | None = typer.Option(None),
    releasability: str | None = typer.Option(
        None, help="support | owner | nations:A,B | org:ORG | public"
    ),
    on: str | None = RECORD_ON,
    fmt: Format = FormatOption,
) -> None:
    """Amend an open request (one ledger entry with the before and after)."""
    from allied.service.access import amend_request

    day = parse_day(on, "--on")
    changes = _changes(
        quantity=quantity, priority=priority, needed_by=needed_by, notes=notes,
        releasability=releasability,
    )
    view = _run(amend_request, day, request_id, changes)
    emit([view], fmt, columns=[*REQUEST_COLUMNS, "pledged"], title="Request amended")


@request_app.command("withdraw")
def request_withdraw(
    request_id: str = typer.Argument(...),
    reason: str = typer.Option("", help="why"),
    on: str | None = RECORD_ON,
    fmt: Format = FormatOption,
) -> None:
    """Withdraw an open request: it takes no new allocations; its proposed ones fall away."""
    from allied.service.access import withdraw_request

    view = _run(withdraw_request, parse_day(on, "--on"), request_id, reason)
    emit([view], fmt, columns=REQUEST_COLUMNS, title="Request withdrawn")


@request_app.command("close")
def request_close(
    request_id: str = typer.Argument(...),
    reason: str = typer.Option("", help="why"),
    on: str | None = RECORD_ON,
    fmt: Format = FormatOption,
) -> None:
    """Close an open request (filled, or no longer needed)."""
    from allied.service.access import close_request

    view = _run(close_request, parse_day(on, "--on"), request_id, reason)
    emit([view], fmt, columns=REQUEST_COLUMNS, title="Request closed")


@request_app.command("expire")
def request_expire(
    grace_days: int = typer.Option(
        90, "--grace-days", help="days past needed-by after which an open request expires"
    ),
    on: str | None = typer.Option(None, "--on", help="the date to expire as of (default today)"),
    fmt: Format = FormatOption,
) -> None:
    """The system's expiry job: expire open requests past their needed-by date by more
    than the grace (their proposed allocations fall away), and consent requests left
    unanswered past their date. Run it daily (cron); it is a command, not a side effect
    of reading."""
    from allied.service.access import expire_all

    day = parse_day(on, "--on")
    out = _run(expire_all, day, grace_days)
    rows = [{**r, "dropped": ",".join(r["dropped"])} for r in out["requests"]]
    emit(rows, fmt, columns=["id", "needed_by", "dropped"],
         title=f"Requests expired on {day.isoformat()} ({len(rows)})")
    if out["consents"]:
        emit([{"consent": c} for c in out["consents"]], fmt,
             title=f"Consent requests expired ({len(out['consents'])})")


@offer_app.command("amend")
def offer_amend(
    offer_id: str = typer.Argument(...),
    quantity: str | None = typer.Option(None, help="never below what is allocated"),
    available_from: str | None = typer.Option(None, "--available-from", help="YYYY-MM-DD"),
    caveats: str | None = typer.Option(None),
    releasability: str | None = typer.Option(
        None, help="owner | nations:A,B | org:ORG | support | public"
    ),
    on: str | None = RECORD_ON,
    fmt: Format = FormatOption,
) -> None:
    """Amend an open offer (one ledger entry with the before and after)."""
    from allied.service.access import amend_offer

    changes = _changes(
        quantity=quantity, available_from=available_from, caveats=caveats,
        releasability=releasability,
    )
    view = _run(amend_offer, parse_day(on, "--on"), offer_id, changes)
    emit([view], fmt, columns=[*OFFER_COLUMNS, "committed"], title="Offer amended")


@offer_app.command("withdraw")
def offer_withdraw(
    offer_id: str = typer.Argument(...),
    reason: str = typer.Option("", help="why"),
    on: str | None = RECORD_ON,
    fmt: Format = FormatOption,
) -> None:
    """Withdraw an open offer: it takes no new allocations; its proposed ones fall away."""
    from allied.service.access import withdraw_offer

    view = _run(withdraw_offer, parse_day(on, "--on"), offer_id, reason)
    emit([view], fmt, columns=OFFER_COLUMNS, title="Offer withdrawn")


@allocation_app.command("bulk")
def allocation_bulk(
    moves: list[str] = typer.Argument(..., help="ID=STATUS, e.g. AL-000012=pledged"),
    on: str | None = typer.Option(None, help="date (default today)"),
    fmt: Format = FormatOption,
) -> None:
    """Move many allocations in one transaction, all or nothing (accept a previewed plan:
    `allied allocate --as-of D --dry-run`, then `allied allocate --as-of D` records it as
    proposed, then `allied allocation bulk AL-1=pledged AL-2=pledged ...`)."""
    from allied.domain.errors import InvalidInput
    from allied.service.access import advance_allocations

    items = []
    with errors_to_exit():
        for index, text in enumerate(moves):
            allocation, sep, to = text.partition("=")
            if not sep or not allocation.strip() or not to.strip():
                raise InvalidInput(f"expected ID=STATUS, got {text!r}", field=f"{index}")
            items.append({"allocation": allocation.strip(), "to": to.strip()})
    rows = _run(advance_allocations, parse_day(on, "--on"), items)
    emit(rows, fmt, title=f"Allocations moved ({len(rows)})",
         columns=["id", "offer", "request", "quantity", "status", "donor", "recipient"])


def register(app: typer.Typer) -> None:
    """The commands attach to ``allied request`` and ``allied offer`` (registered by
    :mod:`allied.entrypoints.cli.core`); nothing more to add to ``app``."""
    del app
