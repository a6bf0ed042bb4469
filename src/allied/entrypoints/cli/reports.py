"""Public data and reports: ``allied import kiel|sipri`` and ``allied report NAME``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from allied.entrypoints.cli.common import (
    Format,
    console,
    emit,
    err_console,
    errors_to_exit,
    fail,
    parse_day,
)
from allied.entrypoints.cli.common import operator_caller as _caller


class ReportName(StrEnum):
    BURDEN = "burden"
    PREDICTABILITY = "predictability"
    GAPS = "gaps"
    DELIVERIES = "deliveries"


class ReportFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    PNG = "png"
    HTML = "html"


def _store() -> Any:
    from allied.entrypoints.cli.common import open_store

    return open_store()



def _show_import(report: Any) -> None:
    rows = [
        {
            "dataset": report.dataset,
            "rows": report.rows,
            "inserted": report.inserted,
            "updated": report.updated,
            "deleted": report.deleted,
            "unchanged": report.unchanged,
            "uncertain": report.uncertain,
        }
    ]
    emit(rows, Format.TABLE, title=f"Imported {report.source}")
    out = console()
    out.print(f"release: {report.release}", highlight=False)
    if report.unmapped:
        out.print(
            "names without a known code (given derived codes X-...): " + ", ".join(report.unmapped),
            highlight=False,
        )
    if not report.changed:
        out.print("nothing to change: this file was already imported")


def import_kiel_command(
    path: Path | None = typer.Argument(
        None, help="a Kiel data explorer CSV (default: the release shipped with allied)"
    ),
    release: str | None = typer.Option(
        None, help="release label (default: from release_info.csv beside the file)"
    ),
) -> None:
    """Import Kiel Ukraine Support Tracker allocations; re-importing changes nothing."""
    from allied.ingest.kiel import builtin_kiel_path, read_kiel
    from allied.service.public_data import import_kiel

    with errors_to_exit():
        dataset = read_kiel(path or builtin_kiel_path(), release=release)
        store = _store()
        try:
            report = import_kiel(store.uow(), _caller(), dataset)
        finally:
            store.close()
    _show_import(report)


def import_sipri_command(
    path: Path | None = typer.Argument(
        None, help="a SIPRI trade register CSV (default: the extract shipped with allied)"
    ),
) -> None:
    """Import SIPRI trade register deals ("?" kept and flagged); re-importing changes nothing.

    The export as published reads as is: a record split over lines by a line break
    without quotes is joined, a Windows-1252 file decoded, each repair a warning on
    stderr naming its line; what cannot be repaired is refused, naming the line."""
    from allied.ingest.sipri import builtin_sipri_path, read_sipri_report
    from allied.service.public_data import import_sipri

    with errors_to_exit():
        source = path or builtin_sipri_path()
        read = read_sipri_report(source)
        warn = err_console()
        for warning in read.warnings:
            warn.print(f"warning: {warning}", highlight=False, markup=False)
        store = _store()
        try:
            report = import_sipri(store.uow(), _caller(), read.transfers, source=source.name)
        finally:
            store.close()
    _show_import(report)


def stdout_is_terminal() -> bool:
    """Whether standard output is a terminal (where binary output does not belong)."""
    return sys.stdout.isatty()


def report_command(
    name: ReportName = typer.Argument(..., help="burden, predictability, gaps or deliveries"),
    start: str | None = typer.Option(None, "--from", help="first day YYYY-MM-DD (its month)"),
    end: str | None = typer.Option(None, "--to", help="last day YYYY-MM-DD (its month)"),
    fmt: ReportFormat = typer.Option(
        ReportFormat.TABLE, "--format", "-f", help="table, csv, json, png or html"
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="write to FILE, not stdout"),
    table: str | None = typer.Option(
        None, "--table", help="which table for table/csv (default: all for table, main for csv)"
    ),
    gdp_year: str | None = typer.Option(
        None, "--gdp-year", help="burden: GDP year for shares (default: Kiel's 2021 basis)"
    ),
    attribute_eu: bool = typer.Option(
        False, "--attribute-eu", help="burden: attribute EU-institution aid to member states"
    ),
    recipient: str | None = typer.Option(None, help="deliveries: one recipient, ISO3"),
) -> None:
    """A report as a table, CSV, JSON, PNG chart or self-contained HTML page."""
    from allied.reports.burden import parse_gdp_year
    from allied.service.reports import ReportOptions, build_report, render

    first = parse_day(start, "--from") if start else None
    last = parse_day(end, "--to") if end else None
    if fmt is ReportFormat.PNG and out is None and stdout_is_terminal():
        fail(
            "option '--format png': a PNG is binary and would be written to the terminal; "
            "add --out FILE.png (or redirect stdout to a file)"
        )
    with errors_to_exit():
        options = ReportOptions(
            start=first,
            end=last,
            gdp_year=parse_gdp_year(gdp_year),
            attribute_eu=attribute_eu,
            recipient=recipient.strip().upper() if recipient else None,
        )
        store = _store()
        try:
            report = build_report(store.read_uow(), name.value, options)
        finally:
            store.close()
        if fmt is ReportFormat.TABLE:
            if out is not None:
                fail("option '--out': the table format prints to the terminal; use csv or json")
            _print_tables(report, table)
            return
        body = render(report, fmt.value, table=table)
    if out is not None:
        try:
            if isinstance(body, bytes):
                out.write_bytes(body)
            else:
                out.write_text(body, encoding="utf-8")
        except OSError as exc:
            fail(f"option '--out': cannot write {out}: {exc}")
        err_console().print(f"wrote {report.name} ({fmt.value}) to {out}", highlight=False)
    elif isinstance(body, bytes):
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        sys.stdout.write(body)


def _print_tables(report: Any, only: str | None) -> None:
    from allied.reports.render import display_rows

    names = [only] if only else list(report.tables)
    for name in names:
        columns, rows = display_rows(report, name)
        emit(rows, Format.TABLE, columns=columns, title=f"{report.title}: {name}")
    out = console()
    for note in report.notes:
        out.print(f"- {note}", highlight=False)
    out.print("Sources: " + "; ".join(report.sources), highlight=False)


def register(app: typer.Typer) -> None:
    from allied.entrypoints.cli.core import import_app

    import_app.command("kiel")(import_kiel_command)
    import_app.command("sipri")(import_sipri_command)
    app.command("report")(report_command)
