"""Use-cases on the audit ledger: verify and export."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from typing import Any

from allied.ledger import kinds
from allied.ledger.chain import LedgerEntry, verify
from allied.service.ports import UnitOfWork


def verify_ledger(uow: UnitOfWork) -> int:
    """Number of entries in an intact ledger; raises ``LedgerIntegrityError`` otherwise."""
    with uow:
        head = uow.ledger.head()
        with closing(uow.ledger.entries()) as entries:
            return verify(entries, head, check_payload)


def check_payload(entry: LedgerEntry) -> None:
    """The entry's payload against its kind's schema (``LedgerIntegrityError`` naming it)."""
    kinds.parse(entry.seq, entry.kind, entry.payload)


def export_ledger(uow: UnitOfWork) -> Iterator[dict[str, Any]]:
    with uow, closing(uow.ledger.entries()) as entries:
        for entry in entries:
            yield entry_dict(entry)


def entry_dict(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "user": entry.user,
        "nation": entry.nation,
        "kind": entry.kind,
        "payload": entry.payload,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
