"""Reading record files (CSV or JSON) into numbered rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from allied.domain.errors import InvalidInput

Row = tuple[str, dict[str, Any]]  # (where: "line 3" / "entry 2", record)


def read_records(path: Path, kind: str) -> list[tuple[int | None, str, dict[str, Any]]]:
    """Rows of a CSV (header + one record a line) or JSON file (a list of objects, or an
    object with a ``kind`` list). Returns (line or None, where, record)."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read file: {exc.strerror}", source=name) from None
    return parse_records(raw, name, kind)


def parse_records(raw: bytes, name: str, kind: str) -> list[tuple[int | None, str, dict[str, Any]]]:
    """Rows of the bytes of a CSV or JSON file called ``name`` (an upload, say), as
    :func:`read_records` reads them from a path."""
    try:
        body = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", source=name
        ) from None
    suffix = Path(name).suffix.lower()
    if suffix == ".json":
        return _json_rows(body, name, kind)
    if suffix == ".csv":
        return _csv_rows(body, name)
    raise InvalidInput(
        f"expected a .csv or .json file, got {suffix or 'no extension'!r}", source=name
    )


def _json_rows(body: str, name: str, kind: str) -> list[tuple[int | None, str, dict[str, Any]]]:
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON: {exc.msg}", line=exc.lineno, source=name) from None
    if isinstance(data, dict) and kind in data:
        data = data[kind]
    if not isinstance(data, list):
        raise InvalidInput(
            f"expected a list of {kind} (or an object with a {kind!r} list)", source=name
        )
    rows: list[tuple[int | None, str, dict[str, Any]]] = []
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise InvalidInput(f"entry {i}: expected an object", source=name)
        rows.append((None, f"entry {i}", item))
    return rows


def csv_records(lines: Iterable[str], source: str) -> Iterator[tuple[int, list[str]]]:
    """The records of a CSV text, each with the line it starts on.

    Strict quoting: a quoted field opened and never closed (it would otherwise swallow
    every following line into one field, silently) or a stray quote is an error naming
    the line where the record starts, not the last line read.
    """
    reader = csv.reader(lines, strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = f"not valid CSV: {exc}"
            if "end of data" in str(exc) or reader.line_num > start:
                message = (
                    f"not valid CSV: a quoted field opened on line {start} is not closed "
                    f"(read on to line {reader.line_num}): {exc}"
                )
            raise InvalidInput(message, line=start, source=source) from None
        yield start, cells
        start = reader.line_num + 1


def _csv_rows(body: str, name: str) -> list[tuple[int | None, str, dict[str, Any]]]:
    records = csv_records(io.StringIO(body, newline=""), name)
    try:
        _, header = next(records)
    except StopIteration:
        raise InvalidInput("empty file: expected a header row", source=name) from None
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        raise InvalidInput("duplicate column in the header", line=1, source=name)
    rows: list[tuple[int | None, str, dict[str, Any]]] = []
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise InvalidInput(
                f"expected {len(header)} columns, found {len(cells)}", line=line, source=name
            )
        record = {h: c for h, c in zip(header, cells, strict=True) if c.strip() != ""}
        rows.append((line, f"line {line}", record))
    return rows
