"""The ledger: entries and verification, for the roles that read it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from allied.domain.errors import InvalidInput
from allied.domain.users import (
    Action,
    require,
)
from allied.ledger.checkpoint import Checkpoint, Signer
from allied.service import ledger as _ledger
from allied.service.caller import Caller
from allied.service.ledger import Replay, entry_dict, ledger_rows, records_error
from allied.service.ports import UnitOfWork
from allied.service.usecases.common import (
    Page,
)


def ledger_entries(uow: UnitOfWork, caller: Caller, *, after: int = 0, limit: int = 50) -> Page:
    require(caller.role, Action.READ_LEDGER)
    if after < 0:
        raise InvalidInput("must not be negative", field="after")
    rows: list[dict[str, Any]] = []
    with uow:
        entries = uow.ledger.entries(after=after)
        try:
            for entry in entries:
                rows.append(entry_dict(entry))
                if len(rows) >= limit:
                    break
        finally:
            entries.close()
        head = uow.ledger.head()
    return Page(rows, head[0] if head else 0, limit, after)


def data_version(uow: UnitOfWork) -> int:
    """The store's data version: the sequence number of the ledger's last entry (every
    change appends one in its transaction, so a new number means changed data). It says
    nothing about any record, so it needs no role; caches of derived figures (the
    dashboard's charts) are keyed by it."""
    with uow:
        head = uow.ledger.head()
    return head[0] if head else 0


def verify_ledger(
    uow: UnitOfWork,
    caller: Caller,
    *,
    checkpoints: Sequence[tuple[str, Checkpoint]] = (),
    keys: dict[str, Ed25519PublicKey] | None = None,
    resume: Checkpoint | None = None,
    jobs: int = 1,
    open_uow: Callable[[], UnitOfWork] | None = None,
) -> int:
    """Entries in an intact ledger (through every kept checkpoint, or from a trusted one);
    ``LedgerIntegrityError`` naming the first bad entry or checkpoint otherwise.
    ``jobs``/``open_uow``: verify in that many processes (``service.ledger.verify_chain``)."""
    require(caller.role, Action.READ_LEDGER)
    return _ledger.verify_chain(uow, checkpoints=checkpoints, keys=keys, resume=resume,
                                jobs=jobs, open_uow=open_uow)


def verify_records(uow: UnitOfWork, caller: Caller) -> Replay:
    """Replay the ledger and compare what it implies with the records' tables."""
    require(caller.role, Action.READ_LEDGER)
    return _ledger.verify_records(uow)


def verify_stored_checkpoints(uow: UnitOfWork, caller: Caller, signer: Signer) -> tuple[int, int]:
    """The chain against every checkpoint the store keeps: (entries, checkpoints)."""
    require(caller.role, Action.READ_LEDGER)
    return _ledger.verify_stored_checkpoints(uow, signer)


def latest_checkpoint(uow: UnitOfWork, caller: Caller) -> Checkpoint | None:
    """The latest signed checkpoint of the ledger head, if any was signed."""
    require(caller.role, Action.READ_LEDGER)
    return _ledger.latest_checkpoint(uow)


def sign_checkpoint(uow: UnitOfWork, caller: Caller, signer: Signer) -> Checkpoint:
    """Sign the ledger head now and keep the checkpoint."""
    require(caller.role, Action.READ_LEDGER)
    return _ledger.sign_checkpoint(uow, signer)


__all__ = [
    "export_ledger",
    "latest_checkpoint",
    "ledger_entries",
    "records_error",
    "sign_checkpoint",
    "verify_ledger",
    "verify_records",
    "verify_stored_checkpoints",
]


def export_ledger(uow: UnitOfWork, caller: Caller) -> Iterator[dict[str, Any]]:
    """Every ledger entry, in order (for the roles that read the ledger)."""
    require(caller.role, Action.READ_LEDGER)
    return ledger_rows(uow)
