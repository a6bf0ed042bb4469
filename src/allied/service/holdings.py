"""Quantities held by allocations, kept at a position in the ledger and moved along it.

A list page of offers shows what is committed of each, a page of requests what is
pledged against each. Every pledge changes those sums, and only them, so after each
pledge every reader's page had to sum the allocations again (one query per reader and
page). :class:`Holdings` keeps the held quantity per (offer, request) pair as of one
ledger entry, and moves forward by reading the entries after it: an
``allocation.pledged`` entry says which pair took how much; any other entry may change
allocations in other ways (a run proposes some, a move releases some), so the sums are
read again whole. A reader's sums then cost a few dictionary look-ups, and the ledger is
read once per change for all readers.

The kind ``allocation.pledged`` is also written by a move along the lifecycle from
``proposed`` to ``pledged`` (payload: the allocation's id, ``from`` and ``to``): both
statuses hold, but the line becomes a pledge (a request's ``pledged`` counts the held
quantity less what is only proposed, kept here per pair too), and the entry names only
the allocation, so the sums are read whole. Every other move between two holding
statuses (``pledged -> approved -> shipped -> delivered``, each an ``allocation.<to>``
entry) leaves the sums as they are. A move out of them (rejected, withdrawn) names only
the allocation, so the sums are read whole.

Holdings also know the records version (``records_seq`` of the ledger head: the last
change other than an allocation's, a pledge or a move) they were read at; moving along
pledges and moves leaves it. A list
page's records and releasability are those of a records version, and are completed
from holdings of the same records version only (see :attr:`Holdings.records`).

The ledger is append-only and its entries commit in sequence order, each change in one
transaction with the rows it changed, so the sums read in one snapshot with the ledger
head, moved by the entries that follow, are exactly the sums at the last entry read.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from allied.domain.assistance import COMMITTING, AllocationStatus
from allied.ledger import kinds
from allied.service.ports import UnitOfWork

#: The ledger kind of a pledge: its payload is the new allocation's view (offer, request,
#: quantity), and it changes nothing but that allocation.
PLEDGED = kinds.ALLOCATION_PLEDGED

#: The kinds of an allocation's moves along its lifecycle (``allocation.approved``, ...;
#: the move to ``pledged`` shares its kind with a new pledge): a move between two
#: statuses that both hold leaves every sum as it is.
MOVES = frozenset(kinds.allocation_kind(s) for s in AllocationStatus)

#: The kinds of an amendment of a request or an offer (payload: the record's id and the
#: fields that changed, ``before`` and ``after``): it changes that record and no
#: allocation, so the sums stay; the holdings move past it and note it
#: (:class:`RecordChange`), for the pages that can show they do not depend on it.
AMENDED = frozenset({kinds.OFFER_AMENDED, kinds.REQUEST_AMENDED})

#: Past this many entries to catch up, the sums are read whole instead.
MAX_TAIL = 2000

#: The amendments the holdings remember (the oldest are forgotten first).
MAX_CHANGES = 2000

#: The statuses that hold quantity, as the ledger's payloads name them.
HOLDING = frozenset(s.value for s in COMMITTING)


@dataclass(frozen=True)
class TailEntry:
    """What the holdings need of a ledger entry."""

    seq: int
    kind: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class RecordChange:
    """An amendment the holdings moved past: the ledger entry, its kind
    (:data:`AMENDED`), the record and the names of the fields that changed."""

    seq: int
    kind: str
    id: str
    fields: frozenset[str]


@dataclass(frozen=True)
class HeldSnapshot:
    """The held quantity per (offer, request) pair, read in one snapshot with the ledger
    head's sequence number (0: an empty ledger) and records version (``None``: not
    known, taken as ``seq``); ``proposed``: of it, the quantity of the pairs' ``proposed``
    allocations (plan lines not yet accepted), for the pairs that have any."""

    seq: int
    pairs: list[tuple[str, str, int]]
    records: int | None = None
    proposed: list[tuple[str, str, int]] = field(default_factory=list)


@runtime_checkable
class HoldingsQuery(Protocol):
    """An optional capability of a unit of work: the snapshot in one statement, and the
    tail of the ledger as plain rows."""

    def held_snapshot(self) -> HeldSnapshot: ...

    def ledger_tail(self, after: int, limit: int) -> list[TailEntry]:
        """The first ``limit`` entries after ``after``, in order."""
        ...


class Holdings:
    """Held quantity per (offer, request) pair as of ledger entry :attr:`seq`."""

    def __init__(
        self,
        seq: int,
        pairs: Iterable[tuple[str, str, int]] = (),
        records: int | None = None,
        proposed: Iterable[tuple[str, str, int]] = (),
    ) -> None:
        self.seq = seq
        #: the records version the holdings were read at (the head's ``records_seq``);
        #: pledges leave it, any other entry makes the holdings be read again
        self.records = seq if records is None else records
        #: the amendments moved past since :attr:`changes_from`, in order
        self.changes: list[RecordChange] = []
        #: the records version from which :attr:`changes` holds every change of records
        self.changes_from = self.records
        self._offer: dict[str, int] = defaultdict(int)
        self._request: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        #: of what is held per request and offer, the quantity still only proposed
        self._proposed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for offer, request, quantity in pairs:
            self._add(offer, request, quantity)
        for offer, request, quantity in proposed:
            self._proposed[request][offer] += quantity

    @classmethod
    def from_snapshot(cls, snapshot: HeldSnapshot) -> Holdings:
        return cls(snapshot.seq, snapshot.pairs, snapshot.records, snapshot.proposed)

    def _add(self, offer: str, request: str, quantity: int) -> None:
        self._offer[offer] += quantity
        self._request[request][offer] += quantity

    def advance(self, entries: Iterable[TailEntry]) -> bool:
        """Move along the entries that follow :attr:`seq`, in order. ``False`` (and
        nothing moved past the entry before it) at the first entry that is not a pledge,
        a move between holding statuses or an amendment, or that does not follow on: the
        sums must be read whole."""
        for e in entries:
            if e.seq != self.seq + 1:
                return False
            p = e.payload
            if e.kind in AMENDED:
                after = p.get("after")
                if not isinstance(after, Mapping) or not after or not p.get("id"):
                    return False
                self._changed(RecordChange(e.seq, e.kind, str(p["id"]), frozenset(after)))
            elif e.kind not in MOVES:
                return False
            elif e.kind == PLEDGED and "offer" in p:  # a new allocation, pledged
                self._add(str(p["offer"]), str(p["request"]), int(p["quantity"]))
            elif not (p.get("from") in HOLDING and p.get("to") in HOLDING):
                return False  # not a move between holding statuses: read them whole
            elif p.get("from") == AllocationStatus.PROPOSED.value:
                return False  # a plan line accepted: what is pledged changed, read whole
            self.seq = e.seq
        return True

    def _changed(self, change: RecordChange) -> None:
        self.changes.append(change)
        self.records = change.seq
        if len(self.changes) > MAX_CHANGES:
            self.changes_from = self.changes.pop(0).seq

    def changes_since(self, records: int) -> list[RecordChange] | None:
        """Every change of records after records version ``records`` up to
        :attr:`records` (amendments only), or ``None`` when they are not all known (read
        whole since, or forgotten)."""
        last = self.changes[-1].seq if self.changes else self.changes_from
        if records < self.changes_from or records > self.records or last != self.records:
            return None  # (the last: the records version moved by other means than these)
        return [c for c in self.changes if c.seq > records]

    def by_offer(self, ids: Iterable[str]) -> dict[str, int]:
        """Quantity held per offer of ``ids`` (those holding none left out)."""
        return {i: self._offer[i] for i in ids if self._offer.get(i)}

    def by_request(
        self, ids: Iterable[str], offer_ids: Collection[str] | None = None
    ) -> dict[str, int]:
        """Quantity held per request of ``ids``, counting only the allocations of
        ``offer_ids`` when given (those holding none left out)."""
        out: dict[str, int] = {}
        counted = None if offer_ids is None else set(offer_ids)
        for i in ids:
            held = self._request.get(i)
            if not held:
                continue
            total = sum(
                q for offer, q in held.items() if counted is None or offer in counted
            )
            if total:
                out[i] = total
        return out

    def pledged_by_request(
        self, ids: Iterable[str], offer_ids: Collection[str] | None = None
    ) -> dict[str, int]:
        """Quantity pledged per request of ``ids`` (held past ``proposed``: see
        :data:`allied.domain.assistance.PLEDGING`), counting only the allocations of
        ``offer_ids`` when given (those with none left out)."""
        ids = list(ids)
        held = self.by_request(ids, offer_ids)
        counted = None if offer_ids is None else set(offer_ids)
        out: dict[str, int] = {}
        for i, total in held.items():
            proposed = self._proposed.get(i) or {}
            total -= sum(
                q for offer, q in proposed.items() if counted is None or offer in counted
            )
            if total:
                out[i] = total
        return out


def read_snapshot(uow: UnitOfWork) -> HeldSnapshot:
    """The held pairs and the ledger head, in one snapshot (call inside ``with uow``
    unless the store reads it in one statement)."""
    if isinstance(uow, HoldingsQuery):
        return uow.held_snapshot()
    head = uow.ledger.head()
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    proposed: dict[tuple[str, str], int] = defaultdict(int)
    for a in uow.allocations.list():
        if a.status in COMMITTING:
            pairs[(a.offer_id, a.request_id)] += a.quantity
        if a.status is AllocationStatus.PROPOSED:
            proposed[(a.offer_id, a.request_id)] += a.quantity
    return HeldSnapshot(
        0 if head is None else head[0],
        [(o, r, q) for (o, r), q in pairs.items()],
        proposed=[(o, r, q) for (o, r), q in proposed.items()],
    )


def read_tail(uow: UnitOfWork, after: int, limit: int = MAX_TAIL) -> list[TailEntry]:
    """The first ``limit`` ledger entries after ``after``."""
    if isinstance(uow, HoldingsQuery):
        return uow.ledger_tail(after, limit)
    return [
        TailEntry(e.seq, e.kind, e.payload)
        for e in itertools.islice(uow.ledger.entries(after=after), limit)
    ]


def caught_up(holdings: Holdings, tail: list[TailEntry], limit: int = MAX_TAIL) -> bool:
    """Move ``holdings`` along ``tail`` (read with ``limit``); ``False`` when the sums must
    be read whole instead (an entry other than a pledge, or a tail of ``limit`` entries
    that may go on)."""
    return len(tail) < limit and holdings.advance(tail)
