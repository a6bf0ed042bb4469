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
from allied.ledger.kinds import KINDS
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
    with uow:
        rows = [entry_dict(e) for e in uow.ledger.window(after=after, limit=limit)]
        head = uow.ledger.head()
    return Page(rows, head[0] if head else 0, limit, after)


def ledger_window(
    uow: UnitOfWork,
    caller: Caller,
    *,
    after: int | None = None,
    before: int | None = None,
    kind: str = "",
    record: str = "",
    limit: int = 50,
) -> dict[str, Any]:
    """A page of the ledger as its readers browse it: the latest entries unless ``after``
    (entries after that number) or ``before`` (the page before that number) is given,
    only of ``kind`` and about ``record`` (the payload's ``id``) when given.

    ``{"entries", "total" (the last entry's number), "first", "last", "earlier", "later"}``:
    ``earlier``/``later`` say whether entries matching lie before/after the page."""
    require(caller.role, Action.READ_LEDGER)
    for name, value in (("after", after), ("before", before)):
        if value is not None and value < 0:
            raise InvalidInput("must not be negative", field=name)
    if after is not None and before is not None:
        raise InvalidInput("give after or before, not both", field="before")
    kind = kind.strip()
    if kind and kind not in KINDS:
        raise InvalidInput(f"no entry kind {kind!r}", field="kind")
    record = record.strip()
    if len(record) > 64:
        raise InvalidInput("a record id has at most 64 characters", field="record")
    where: dict[str, Any] = {"kind": kind or None, "subject": record or None}
    with uow:
        if after is not None:
            found = uow.ledger.window(after=after, limit=limit, **where)
        else:
            found = uow.ledger.window(before=before, limit=limit, newest=True, **where)
        head = uow.ledger.head()
        first = found[0].seq if found else None
        last = found[-1].seq if found else None
        earlier = bool(first and uow.ledger.window(before=first, limit=1, newest=True, **where))
        later = bool(last and uow.ledger.window(after=last, limit=1, **where))
    return {
        "entries": [entry_dict(e) for e in found],
        "total": head[0] if head else 0,
        "first": first, "last": last, "earlier": earlier, "later": later,
        "kind": kind, "record": record,
    }


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
