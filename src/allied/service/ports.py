"""Ports: what the service layer needs from storage, as ``typing.Protocol``s.

``adapters/db`` implements them with SQLAlchemy; ``tests/fakes.py`` with dicts.
"""

from __future__ import annotations

import builtins
from collections.abc import Generator, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from allied.domain.accession import Accession
from allied.domain.actors import Actor, Membership
from allied.domain.assistance import Allocation, Offer, Request
from allied.domain.catalogue import ItemType
from allied.domain.consent import ConsentPolicy, ConsentRequest
from allied.domain.economy import Indicator
from allied.domain.funds import Contribution, PooledFund
from allied.domain.proposals import Proposal
from allied.ledger.chain import LedgerEntry

T = TypeVar("T")


class Repository(Protocol[T]):
    def get(self, key: Any) -> T | None: ...

    def lock(self, key: Any) -> T | None:
        """Get and lock the record for the rest of the transaction."""
        ...

    def add(self, obj: T) -> None: ...

    def list(self, **where: Any) -> builtins.list[T]: ...

    def count(self) -> int: ...


class LedgerPort(Protocol):
    def append(
        self, *, user: str, nation: str, kind: str, payload: Mapping[str, Any]
    ) -> LedgerEntry:
        """Append an entry in the current transaction."""
        ...

    def entries(self, *, after: int = 0) -> Generator[LedgerEntry, None, None]:
        """Entries in ascending sequence order."""
        ...

    def about(self, subjects: Sequence[str], *, limit: int = 200) -> list[LedgerEntry]:
        """The last ``limit`` entries whose payload's ``id`` is one of ``subjects``, in
        ascending sequence order."""
        ...

    def window(
        self,
        *,
        after: int = 0,
        before: int | None = None,
        kind: str | None = None,
        subject: str | None = None,
        limit: int = 50,
        newest: bool = False,
    ) -> list[LedgerEntry]:
        """Entries with ``after < seq < before`` of ``kind`` about ``subject`` (each when
        given), in ascending order: the first ``limit`` of them, or with ``newest`` the
        last ``limit``. A page of the ledger, read by an index whatever its length."""
        ...

    def run_that_made(self, allocation_id: str) -> LedgerEntry | None:
        """The ``allocation.run`` entry whose plan made ``allocation_id`` (it lists the
        allocations it made), or ``None`` when a run did not make it (a pledge did)."""
        ...

    def head(self) -> tuple[int, str] | None: ...


class UnitOfWork(Protocol):
    actors: Repository[Actor]
    memberships: Repository[Membership]
    indicators: Repository[Indicator]
    item_types: Repository[ItemType]
    requests: Repository[Request]
    offers: Repository[Offer]
    allocations: Repository[Allocation]
    consent_policies: Repository[ConsentPolicy]
    consents: Repository[ConsentRequest]
    funds: Repository[PooledFund]
    contributions: Repository[Contribution]
    proposals: Repository[Proposal]
    accessions: Repository[Accession]
    ledger: LedgerPort

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class Savepoint(Protocol):
    """A part of a transaction that is kept or undone on its own (``SAVEPOINT``)."""

    def release(self) -> None:
        """Keep the part's changes (in the transaction, still to be committed)."""
        ...

    def rollback(self) -> None:
        """Undo the part's changes, and only them."""
        ...


class PartedUnitOfWork(UnitOfWork, Protocol):
    """A unit of work whose transaction can be cut into parts, each undone alone (to make
    several changes in one transaction, each as if alone: :mod:`allied.service.parts`)."""

    def savepoint(self) -> Savepoint: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
