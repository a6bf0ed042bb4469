"""Many records in one round trip, when the store can; one at a time when it cannot.

A repository may offer ``get_many``/``lock_many`` (:class:`BulkRepository`), a ledger
``append_many`` (:class:`BulkLedger`). The helpers here use them when present, so the
service works the same against any store (the test fakes have neither).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

from allied.ledger.chain import EntryDraft, LedgerEntry
from allied.service.ports import LedgerPort, Repository

T = TypeVar("T")


@runtime_checkable
class BulkRepository(Protocol[T]):
    def get_many(self, keys: Collection[Any]) -> dict[Any, T]:
        """The records found among ``keys``, by key."""
        ...

    def lock_many(self, keys: Collection[Any]) -> dict[Any, T]:
        """As :meth:`get_many`, locking each record found for the rest of the transaction,
        in ascending key order."""
        ...


@runtime_checkable
class BulkLedger(Protocol):
    def append_many(self, drafts: Sequence[EntryDraft]) -> list[LedgerEntry]:
        """Append the entries in order, in the current transaction."""
        ...


def get_many(repo: Repository[T], keys: Collection[Any]) -> dict[Any, T]:
    if isinstance(repo, BulkRepository):
        found: dict[Any, T] = repo.get_many(keys)
        return found
    out = {}
    for key in keys:
        record = repo.get(key)
        if record is not None:
            out[key] = record
    return out


def lock_many(repo: Repository[T], keys: Collection[Any]) -> dict[Any, T]:
    """Lock the records in ascending key order (the order every writer takes them in)."""
    if isinstance(repo, BulkRepository):
        found: dict[Any, T] = repo.lock_many(keys)
        return found
    out = {}
    for key in sorted(keys):
        record = repo.lock(key)
        if record is not None:
            out[key] = record
    return out


def append_many(ledger: LedgerPort, drafts: Sequence[EntryDraft]) -> list[LedgerEntry]:
    if isinstance(ledger, BulkLedger):
        return ledger.append_many(drafts)
    return [
        ledger.append(user=d.user, nation=d.nation, kind=d.kind, payload=d.payload)
        for d in drafts
    ]
