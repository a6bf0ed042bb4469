"""Reading record files (CSV or JSON) into numbered rows."""

from __future__ import annotations

import csv
import io
import json
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
    try:
        body = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", source=name
        ) from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _json_rows(body, name, kind)
    if suffix == ".csv":
        return _csv_rows(body, name)
    raise InvalidInput(
        f"expected a .csv or .json file, got {path.suffix or 'no extension'!r}", source=name
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


def _csv_rows(body: str, name: str) -> list[tuple[int | None, str, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(body, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("empty file: expected a header row", source=name) from None
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        raise InvalidInput("duplicate column in the header", line=1, source=name)
    rows: list[tuple[int | None, str, dict[str, Any]]] = []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise InvalidInput(
                f"expected {len(header)} columns, found {len(cells)}", line=line, source=name
            )
        record = {h: c for h, c in zip(header, cells, strict=True) if c.strip() != ""}
        rows.append((line, f"line {line}", record))
    return rows
