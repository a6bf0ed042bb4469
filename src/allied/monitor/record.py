"""The analyst's record: proposed events and the decisions taken on them."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from allied.domain.errors import IllegalTransition
from allied.monitor.model import EventType


class Status(StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    CORRECTED = "corrected"
    REJECTED = "rejected"


DECIDED = frozenset({Status.CONFIRMED, Status.CORRECTED, Status.REJECTED})
ACCEPTED = frozenset({Status.CONFIRMED, Status.CORRECTED})


@dataclass
class RecordedEvent:
    """A proposed event in the record, and what the analyst decided about it."""

    id: str
    document: str
    source: str  # where the document came from (path or URL)
    actor: str
    type: EventType
    target: str | None
    evidence: str
    start: int
    end: int
    date: str | None
    confidence: float
    status: Status = Status.PROPOSED
    proposed: str = ""  # "actor type target" as first proposed, kept after a correction
    analyst: str = ""
    decided_at: dt.datetime | None = None
    note: str = ""

    def decide(
        self,
        status: Status,
        analyst: str,
        at: dt.datetime,
        note: str = "",
    ) -> None:
        # proposed: any decision; confirmed or corrected: corrected again, or rejected (a
        # retraction: a mis-click or a later reading); rejected: final
        again = {Status.CORRECTED, Status.REJECTED}
        if self.status is not Status.PROPOSED and (
            self.status is Status.REJECTED or status not in again
        ):
            raise IllegalTransition(f"monitor event {self.id}", self.status.value, status.value)
        if status is Status.PROPOSED:
            raise IllegalTransition(f"monitor event {self.id}", self.status.value, status.value)
        self.status = status
        self.analyst = analyst
        self.decided_at = at
        self.note = note

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "document": self.document,
            "source": self.source,
            "actor": self.actor,
            "type": self.type.value,
            "target": self.target,
            "evidence": self.evidence,
            "start": self.start,
            "end": self.end,
            "date": self.date,
            "confidence": self.confidence,
            "status": self.status.value,
            "proposed": self.proposed,
            "analyst": self.analyst,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "note": self.note,
        }


def event_id(document: str, start: int, actor: str, etype: str, target: str | None) -> str:
    """A stable id: the same proposal from the same document gets the same id."""
    key = f"{document}\x1f{start}\x1f{actor}\x1f{etype}\x1f{target or ''}"
    return "ev-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
