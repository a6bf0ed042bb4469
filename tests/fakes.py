"""In-memory fakes of the service ports, for fast service-layer tests."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable, Generator, Mapping, Sequence
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from allied.domain.accession import Accession
from allied.domain.actors import Actor, Membership
from allied.domain.assistance import Allocation, Offer, Request
from allied.domain.catalogue import ItemType
from allied.domain.consent import ConsentPolicy, ConsentRequest
from allied.domain.economy import Indicator
from allied.domain.funds import Contribution, PooledFund
from allied.domain.proposals import Proposal
from allied.ledger.chain import GENESIS, LedgerEntry, make_entry
from allied.service.ports import LedgerPort, Repository

T = TypeVar("T")

KEYS: dict[str, Callable[[Any], Any]] = {
    "actors": lambda o: o.code,
    "memberships": lambda o: (o.actor, o.org, str(o.role), o.start),
    "indicators": lambda o: (o.actor, o.name, o.year),
    "item_types": lambda o: o.code,
    "requests": lambda o: o.id,
    "offers": lambda o: o.id,
    "allocations": lambda o: o.id,
    "consent_policies": lambda o: o.origin,
    "consents": lambda o: o.id,
    "funds": lambda o: o.code,
    "contributions": lambda o: o.id,
    "proposals": lambda o: o.id,
    "accessions": lambda o: o.id,
}


class FakeRepository(Generic[T]):
    def __init__(self, key: Callable[[T], Any]) -> None:
        self.key = key
        self.items: dict[Any, T] = {}

    def get(self, key: Any) -> T | None:
        return self.items.get(key)

    def lock(self, key: Any) -> T | None:
        return self.items.get(key)

    def add(self, obj: T) -> None:
        self.items[self.key(obj)] = obj

    def list(self, **where: Any) -> list[T]:
        return [o for o in self.items.values()
                if all(getattr(o, k) == v for k, v in where.items())]

    def count(self) -> int:
        return len(self.items)


class FakeLedger:
    def __init__(self) -> None:
        self.log: list[LedgerEntry] = []

    def head(self) -> tuple[int, str] | None:
        return (self.log[-1].seq, self.log[-1].hash) if self.log else None

    def append(self, *, user: str, nation: str, kind: str,
               payload: Mapping[str, Any]) -> LedgerEntry:
        prev = self.log[-1].hash if self.log else GENESIS
        entry = make_entry(len(self.log) + 1, prev, user=user, nation=nation, kind=kind,
                           payload=payload)
        self.log.append(entry)
        return entry

    def entries(self, *, after: int = 0) -> Generator[LedgerEntry, None, None]:
        yield from (e for e in self.log if e.seq > after)

    def about(self, subjects: Sequence[str], *, limit: int = 200) -> list[LedgerEntry]:
        wanted = set(subjects)
        return [e for e in self.log if e.payload.get("id") in wanted][-limit:]

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
        found = [
            e for e in self.log
            if e.seq > after and (before is None or e.seq < before)
            and (kind is None or e.kind == kind)
            and (subject is None or e.payload.get("id") == subject)
        ]
        return found[-limit:] if newest else found[:limit]

    def run_that_made(self, allocation_id: str) -> LedgerEntry | None:
        for e in reversed(self.log):
            if e.kind == "allocation.run" and allocation_id in e.payload.get("allocations", ()):
                return e
        return None


class FakeUnitOfWork:
    """Commits by keeping the state; leaving without commit restores the last commit.

    Typed as the ``UnitOfWork`` port (``tests/unit/service/test_fakes_typed.py`` runs
    mypy on it)."""

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

    def __init__(self) -> None:
        for name, key in KEYS.items():
            setattr(self, name, FakeRepository(key))
        self.ledger = FakeLedger()
        self.committed = 0
        self._snapshot: tuple[dict[str, Any], bytes] | None = None

    def _state(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in [*KEYS, "ledger"]}

    # The snapshot a unit of work restores on leaving without a commit: the data of each
    # repository and of the ledger pickled, the same independent copy ``copy.deepcopy``
    # made (both go through ``__reduce_ex__``; one ``dumps`` keeps shared references
    # shared, as deepcopy's memo did), several times faster. The repository objects
    # themselves are not data (their key functions do not pickle): a restored one is a
    # shallow copy of the one there at the start (same class, same key) holding the
    # unpickled data.
    def _dump(self) -> tuple[dict[str, Any], bytes]:
        holders = self._state()
        data = {name: (h.log if isinstance(h, FakeLedger) else h.items)
                for name, h in holders.items()}
        return holders, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)

    def _restore(self, snapshot: tuple[dict[str, Any], bytes]) -> None:
        holders, dumped = snapshot
        for name, data in pickle.loads(dumped).items():
            holder = copy.copy(holders[name])
            if isinstance(holder, FakeLedger):
                holder.log = data
            else:
                holder.items = data
            setattr(self, name, holder)

    def __enter__(self) -> Self:
        self._snapshot = self._dump()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._snapshot is not None:
            self._restore(self._snapshot)
            self._snapshot = None

    def commit(self) -> None:
        self.committed += 1
        self._snapshot = None

    def rollback(self) -> None:
        if self._snapshot is not None:
            self._restore(self._snapshot)

    def savepoint(self) -> FakeSavepoint:
        """A part of the open transaction, undone alone (the ``Savepoint`` port)."""
        return FakeSavepoint(self)


class FakeSavepoint:
    """Keeps the state it was taken in, to put back on :meth:`rollback`."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow
        self._snapshot = uow._dump()

    def release(self) -> None:
        pass  # the part's changes are the transaction's now

    def rollback(self) -> None:
        self._uow._restore(self._snapshot)
