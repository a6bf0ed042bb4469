"""Shared pieces of the CLI: output formats, error translation, dates."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from allied.domain.errors import (
    AlliedError,
    InvalidInput,
    LedgerIntegrityError,
    StorageError,
)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def console() -> Console:
    return Console(soft_wrap=True)


def err_console() -> Console:
    return Console(stderr=True, soft_wrap=True)


def describe_database(environ: Any = None) -> str:
    """Which database the CLI uses, in words: a SQLite file as its absolute path (saying
    when it is the default in the current folder), another URL without its password."""
    import os

    from sqlalchemy.engine import make_url

    from allied.config import DEFAULT_DATABASE_URL, Settings

    env = os.environ if environ is None else environ
    url = Settings.from_env(env).database_url
    default = not env.get("ALLIED_DATABASE_URL")
    try:
        parsed = make_url(url)
    except Exception:  # an unparsable URL: the command itself will say why
        return url
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        where = os.path.abspath(parsed.database or "")
        if default:
            return (
                f"{where} (the default {DEFAULT_DATABASE_URL}: allied.db in the current "
                "folder; set ALLIED_DATABASE_URL to choose)"
            )
        return f"{where} (ALLIED_DATABASE_URL)"
    return parsed.render_as_string(hide_password=True) + (" (default)" if default else "")


def open_store() -> Any:
    """The store of a CLI command (from the environment). When opening it created a new,
    empty database, say so on stderr, with where: a command run from another folder
    would otherwise silently start from nothing, which looks like lost data."""
    from allied.bootstrap import build

    store = build(cli=True)
    if store.created:
        err_console().print(
            f"note: created a new, empty database: {describe_database()}", highlight=False
        )
    return store


def exit_code_for(exc: AlliedError) -> int:
    if isinstance(exc, LedgerIntegrityError):
        return 3
    if isinstance(exc, StorageError):
        return 4
    return 2


def operator_caller() -> Any:
    """The operator at the command line (``ALLIED_USER`` as ``ALLIED_NATION``), in the
    coordinator's role: the caller the CLI's use-cases check."""
    from allied.config import Settings
    from allied.service.caller import Caller

    settings = Settings.from_env()
    return Caller(user=settings.user, nation=settings.nation)


def fail(message: str, code: int = 2) -> NoReturn:
    err_console().print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """Translate the error tree into a message on stderr and an exit code."""
    try:
        yield
    except AlliedError as exc:
        fail(str(exc), exit_code_for(exc))


def parse_day(value: str | None, field: str) -> dt.date:
    """A CLI date option (``today`` when ``None``); a bad one exits 2 naming the option."""
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"option '{field}': not a date (YYYY-MM-DD): {value!r}")


def _cell(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return value


def emit(
    rows: Sequence[dict[str, Any]],
    fmt: Format,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    caption: str | None = None,
    hide_first: Sequence[str] = (),
) -> None:
    """Print rows as a Rich table, JSON (a list of objects) or CSV.

    A table fits the terminal: ids, codes, dates and numbers are shown whole, text wraps;
    when they do not fit, columns are hidden, those named in ``hide_first`` first (in
    that order), then from the right, never the first, and the caption names them
    (``--wide`` shows them all)."""
    cols = list(columns) if columns else (list(rows[0].keys()) if rows else [])
    if fmt is Format.JSON:
        sys.stdout.write(json.dumps([{c: _json(r.get(c)) for c in cols} for r in rows], indent=2))
        sys.stdout.write("\n")
        return
    if fmt is Format.CSV:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        for r in rows:
            writer.writerow(["" if r.get(c) is None else _cell(r.get(c)) for c in cols])
        sys.stdout.write(buf.getvalue())
        return
    cells = [["" if r.get(c) is None else str(_cell(r.get(c))) for c in cols] for r in rows]
    wide = _WIDE.get()
    out = Console(soft_wrap=True, width=100_000) if wide else console()
    shown, hidden = fit_columns(cols, cells, out.width, wide=wide, hide_first=hide_first)
    if hidden:
        import textwrap

        note = "\n".join(
            textwrap.wrap(
                f"{len(hidden)} more column(s) at {out.width} characters: "
                f"{', '.join(hidden)}; --wide shows every column (or --format csv|json)",
                width=max(out.width - 2, 20),
            )
        )
        caption = f"{caption}\n{note}" if caption else note
    table = Table(title=title, caption=caption, show_lines=False)
    for i in shown:
        whole = _is_token_column(cells, i)
        longest = max([len(cols[i]), *(len(row[i]) for row in cells)])
        if whole or wide:
            # ids, codes, dates, numbers: never cut nor wrapped
            table.add_column(cols[i], no_wrap=True, min_width=longest)
        else:
            # free text: wrapped, and it gives way first
            table.add_column(cols[i], overflow="fold", ratio=1, min_width=min(longest, TEXT_MIN))
    for row in cells:
        table.add_row(*(row[i] for i in shown))
    out.print(table)


#: The narrowest a wrapped text column becomes before lower-priority columns are hidden.
TEXT_MIN = 16
_WIDE: ContextVar[bool] = ContextVar("allied_wide_tables", default=False)


def _set_wide(value: bool) -> bool:
    _WIDE.set(bool(value))
    return value


WideOption = typer.Option(
    False,
    "--wide",
    help="tables: every column, none wrapped or hidden (wider than the terminal if need be)",
    callback=_set_wide,
)


def _is_token_column(cells: Sequence[Sequence[str]], i: int) -> bool:
    """A column of single tokens (ids, codes, dates, numbers, statuses): no value holds a
    space. Such columns are shown whole; the others are text and wrap."""
    return all(" " not in row[i] and "\n" not in row[i] for row in cells)


def fit_columns(
    cols: Sequence[str],
    cells: Sequence[Sequence[str]],
    width: int,
    *,
    wide: bool = False,
    hide_first: Sequence[str] = (),
) -> tuple[list[int], list[str]]:
    """Which columns a table of ``width`` characters shows, by priority (the order given,
    first most important), and the names of those it hides: token columns (ids, dates,
    numbers) are never cut, so when they and the text columns at their narrowest do not
    fit, the lowest-priority columns go, never the first. ``wide`` keeps them all."""
    shown = list(range(len(cols)))
    if wide:
        return shown, []

    def need(chosen: list[int]) -> int:
        total = 1  # the left border
        for i in chosen:
            longest = max([len(cols[i]), *(len(row[i]) for row in cells)])
            body = longest if _is_token_column(cells, i) else min(longest, TEXT_MIN)
            total += body + 3  # padding either side and a border
        return total

    order = [cols.index(c) for c in hide_first if c in cols[1:]]
    order += [i for i in reversed(range(1, len(cols))) if i not in order]
    for i in order:
        if need(shown) <= width:
            break
        shown.remove(i)
    return shown, [cols[i] for i in range(len(cols)) if i not in shown]


def _json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


FormatOption = typer.Option(
    Format.TABLE, "--format", "-f", help="table for people; json or csv for programs"
)


def invalid(message: str, field: str) -> NoReturn:
    """Raise a CLI input error naming the option."""
    raise InvalidInput(message, field=field)


Handler = Callable[..., Any]
