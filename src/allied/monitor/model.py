"""The monitor's vocabulary: event types, mentions, documents and proposed events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from allied.domain.errors import InvalidInput


class EventType(StrEnum):
    PROVIDE = "provide"
    BLOCK = "block"
    AUTHORISE = "authorise"
    CALL_FOR = "call-for"
    SUPPORT_MEMBERSHIP = "support-membership"
    OPPOSE_MEMBERSHIP = "oppose-membership"
    DEPLOY = "deploy"
    WITHDRAW = "withdraw"
    MEET = "meet"
    SANCTION = "sanction"
    ACCUSE = "accuse"
    JOIN = "join"
    RATIFY = "ratify"


def parse_event_type(value: str, field_name: str = "type") -> EventType:
    try:
        return EventType(value.strip().lower())
    except ValueError:
        known = ", ".join(t.value for t in EventType)
        raise InvalidInput(
            f"unknown event type {value!r} (one of: {known})", field=field_name
        ) from None


@dataclass(frozen=True)
class Document:
    """A text to read: its name (file name), the plain text, and a date if known."""

    name: str
    text: str
    date: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD
    source: str = ""  # path or URL


@dataclass(frozen=True)
class ProposedEvent:
    """An event the extractor proposes, with the sentence that supports it."""

    actor: str
    type: EventType
    target: str | None
    evidence: str
    start: int  # character offsets of the evidence sentence in the document text
    end: int
    document: str
    date: str | None
    confidence: float
    trigger: str = ""
    cues: tuple[str, ...] = field(default_factory=tuple)

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.actor, self.type.value, self.target)

    def as_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "type": self.type.value,
            "target": self.target,
            "evidence": self.evidence,
            "start": self.start,
            "end": self.end,
            "document": self.document,
            "date": self.date,
            "confidence": self.confidence,
            "trigger": self.trigger,
            "cues": list(self.cues),
        }


def partial_date(value: str, field_name: str = "date") -> str:
    """Validate a date given as YYYY, YYYY-MM or YYYY-MM-DD; return it normalised."""
    text = value.strip()
    parts = text.split("-")
    try:
        if len(parts) == 1 and len(parts[0]) == 4:
            return f"{int(parts[0]):04d}"
        if len(parts) == 2 and len(parts[0]) == 4:
            year, month = int(parts[0]), int(parts[1])
            dt.date(year, month, 1)
            return f"{year:04d}-{month:02d}"
        if len(parts) == 3:
            return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise InvalidInput(f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {value!r}", field=field_name)


def date_floor(value: str | None) -> dt.date | None:
    """The first day a partial date covers (``2022-01`` -> 2022-01-01)."""
    if not value:
        return None
    parts = value.split("-")
    year = int(parts[0])
    month = int(parts[1]) if len(parts) > 1 else 1
    day = int(parts[2]) if len(parts) > 2 else 1
    return dt.date(year, month, day)


def date_ceiling(value: str | None) -> dt.date | None:
    """The last day a partial date covers (``2022-02`` -> 2022-02-28)."""
    if not value:
        return None
    parts = value.split("-")
    year = int(parts[0])
    if len(parts) == 1:
        return dt.date(year, 12, 31)
    month = int(parts[1])
    if len(parts) == 3:
        return dt.date(year, month, int(parts[2]))
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)
