"""Initial positions: the file format the monitor writes and the lab reads.

CSV with a header ``actor,issue,position,salience`` (an optional ``source`` column is
kept for the record), or JSON: a list of objects with the same keys (or an object with
a ``positions`` list). ``actor`` is an ISO3 code of a modelled actor; ``issue`` a free
name that a scenario refers to (``support`` is the default issue: support for Ukraine);
``position`` in [0, 1] (1 = fully in favour of the issue's proposal); ``salience`` in
[0, 1] (how much the issue matters to the actor). Actors not listed keep the defaults
of ``docs/lab.md``. A bad row is refused naming its line and field.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allied.domain.errors import InvalidInput

FIELDS = ("actor", "issue", "position", "salience")


@dataclass(frozen=True)
class PositionRow:
    actor: str
    issue: str
    position: float
    salience: float
    source: str = ""


def _unit(value: Any, field: str, line: int, source: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"not a number: {value!r}", field=field, line=line, source=source
        ) from None
    if math.isnan(x) or not 0.0 <= x <= 1.0:
        raise InvalidInput(
            f"must be in [0, 1], got {value!r}", field=field, line=line, source=source
        )
    return x


def parse_positions(
    text: str, *, source: str = "positions", known: set[str] | None = None
) -> list[PositionRow]:
    """Parse a positions file (CSV or JSON, told apart by the first character)."""
    stripped = text.lstrip()
    records: list[tuple[int, dict[str, Any]]] = []
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"not JSON: {exc.msg}", line=exc.lineno, source=source) from None
        if isinstance(data, dict):
            data = data.get("positions")
        if not isinstance(data, list):
            raise InvalidInput("expected a list of positions", field="positions", source=source)
        for i, obj in enumerate(data, start=1):
            if not isinstance(obj, dict):
                raise InvalidInput("expected an object", field="positions", line=i, source=source)
            records.append((i, obj))
    else:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = [f for f in FIELDS if f not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput(
                f"missing column(s) {', '.join(missing)}", field=missing[0], line=1, source=source
            )
        records.extend((reader.line_num, dict(row)) for row in reader)
    out: list[PositionRow] = []
    seen: set[tuple[str, str]] = set()
    for line, rec in records:
        actor = str(rec.get("actor") or "").strip().upper()
        issue = str(rec.get("issue") or "").strip()
        if not actor:
            raise InvalidInput("an actor code is required", field="actor", line=line, source=source)
        if known is not None and actor not in known:
            raise InvalidInput(
                f"{actor} is not a modelled actor (see `allied lab actors`)",
                field="actor",
                line=line,
                source=source,
            )
        if not issue:
            raise InvalidInput("an issue name is required", field="issue", line=line, source=source)
        if (actor, issue) in seen:
            raise InvalidInput(
                f"{actor} has two positions on {issue!r}", field="actor", line=line, source=source
            )
        seen.add((actor, issue))
        out.append(
            PositionRow(
                actor,
                issue,
                _unit(rec.get("position"), "position", line, source),
                _unit(rec.get("salience"), "salience", line, source),
                str(rec.get("source") or ""),
            )
        )
    return out


def read_positions(path: Path, *, known: set[str] | None = None) -> list[PositionRow]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="positions") from None
    return parse_positions(text, source=str(path), known=known)


def to_csv(rows: list[PositionRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*FIELDS, "source"])
    for r in rows:
        w.writerow([r.actor, r.issue, f"{r.position:.4f}", f"{r.salience:.4f}", r.source])
    return buf.getvalue()
