"""What the ledger says the records are: the state a replay builds and the tables are
compared with.

A record is compared on the fields below (payload key names, plain JSON values). The
same fields are taken from a payload (:func:`pick`) and from a stored record (through
the payload builder of its kind, ``allied.ledger.kinds``), so a replayed record and a
stored one compare equal exactly when the ledger accounts for the row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: record type -> the fields compared
FIELDS: dict[str, tuple[str, ...]] = {
    "requests": ("recipient", "family", "quantity", "priority", "needed_by", "status"),
    "offers": ("donor", "family", "quantity", "available_from", "channel", "status"),
    "allocations": ("offer", "request", "quantity", "status", "needs_consent"),
    "consents": ("origin", "holder", "family", "recipient", "offer", "status"),
    "proposals": ("forum", "rule", "title", "version", "status", "deadline", "circulated_on"),
}

#: the singular name of a record type, for messages
SINGULAR = {
    "requests": "request",
    "offers": "offer",
    "allocations": "allocation",
    "consents": "consent",
    "proposals": "proposal",
}


def pick(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The compared fields of a record of type ``kind`` from a payload that has them."""
    return {f: payload.get(f) for f in FIELDS[kind]}


class ReplayError(Exception):
    """An entry that cannot be applied (e.g. it names a record the ledger never made)."""


@dataclass
class Records:
    """Records by type and id, each its compared fields; ``made_at``: the entry that
    last changed each record (to name it in a difference)."""

    by_kind: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {k: {} for k in FIELDS}
    )
    made_at: dict[tuple[str, str], int] = field(default_factory=dict)
    seq: int = 0  # the entry being applied

    def add(self, kind: str, record_id: str, payload: Mapping[str, Any]) -> None:
        self.by_kind[kind][record_id] = pick(kind, payload)
        self.made_at[(kind, record_id)] = self.seq

    def update(self, kind: str, record_id: str, **values: Any) -> None:
        found = self.by_kind[kind].get(record_id)
        if found is None:
            raise ReplayError(f"changes {SINGULAR[kind]} {record_id}, which no entry made")
        found.update(values)
        self.made_at[(kind, record_id)] = self.seq

    def reset(self, content: Mapping[str, Mapping[str, Mapping[str, Any]]],
              *, more: bool = False) -> None:
        """Start again from a baseline: ``content`` is records by type and id. ``more``:
        a further part of the same baseline (the records are added, nothing is reset)."""
        if not more:
            self.by_kind = {k: {} for k in FIELDS}
            self.made_at = {}
        for kind in FIELDS:
            for record_id, fields in content.get(kind, {}).items():
                self.add(kind, record_id, fields)

    def items(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for kind, records in self.by_kind.items():
            for record_id, fields in records.items():
                yield kind, record_id, fields
