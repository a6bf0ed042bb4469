"""Use-cases on the audit ledger: verify and export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from allied.ledger.chain import LedgerEntry, verify
from allied.service.ports import UnitOfWork


def verify_ledger(uow: UnitOfWork) -> int:
    """Number of entries in an intact ledger; raises ``LedgerIntegrityError`` otherwise."""
    with uow:
        return verify(uow.ledger.entries(), uow.ledger.head())


def export_ledger(uow: UnitOfWork) -> Iterator[dict[str, Any]]:
    with uow:
        for entry in uow.ledger.entries():
            yield entry_dict(entry)


def entry_dict(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq, "at": entry.at, "user": entry.user, "nation": entry.nation,
        "kind": entry.kind, "payload": entry.payload, "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
