"""SQLAlchemy repositories, ledger and unit of work."""

from __future__ import annotations

import builtins
import datetime as dt
import json
import weakref
from collections.abc import Callable, Collection, Generator, Mapping, Sequence
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Mapper, Session, sessionmaker

from allied.adapters.db import record_rows, report_sums
from allied.adapters.db.held_queries import HeldQueries
from allied.adapters.db.lists import ConsentFacts, ListQueries
from allied.adapters.db.proposal_queries import ProposalQueries
from allied.adapters.db.tables import (
    RECORDS_UNCHANGED,
    allocations,
    consent_requests,
    id_counters,
    ledger_checkpoints,
    ledger_entries,
    ledger_head,
)
from allied.adapters.db.todo_queries import TodoQueries
from allied.domain.accession import Accession
from allied.domain.actors import Actor, Membership
from allied.domain.assistance import Allocation, AllocationStatus, Offer, RecordStatus, Request
from allied.domain.catalogue import ItemType
from allied.domain.consent import ConsentPolicy, ConsentRequest, ConsentStatus
from allied.domain.economy import Indicator
from allied.domain.errors import Conflict, PermissionDenied, StorageError
from allied.domain.funds import Contribution, PooledFund
from allied.domain.proposals import Proposal
from allied.ledger import kinds
from allied.ledger.chain import (
    GENESIS,
    EntryDraft,
    LedgerEntry,
    canonical,
    entry_from_row,
    make_entry,
)
from allied.ledger.checkpoint import Checkpoint, Signer
from allied.service.ports import LedgerPort, Repository
from allied.service.rows import OfferRow, RequestRow
from allied.service.totals import AllocationTotal

T = TypeVar("T")

# Each generated id (or block of ids) runs this: plain SQL, no per-call work in the
# expression compiler.
_NEXT_NUMBERS = text(
    "UPDATE id_counters SET value = value + :count WHERE prefix = :prefix RETURNING value"
)


#: On PostgreSQL, the entries (one array per column, any number of them) and the head in
#: one statement whose text never changes: compiled once per process, prepared by the
#: driver after a few uses. (An insert of a VALUES list in a CTE cannot be cached by
#: SQLAlchemy: it was compiled again for every change, most of the CPU of the append.)
_APPEND_WITH_HEAD = text(
    "WITH new_entries AS (INSERT INTO ledger_entries"
    ' (seq, at, "user", nation, kind, payload, prev_hash, hash, subject)'
    " SELECT * FROM unnest(CAST(:seq AS integer[]), CAST(:at AS varchar[]),"
    " CAST(:user AS varchar[]), CAST(:nation AS varchar[]), CAST(:kind AS varchar[]),"
    " CAST(:payload AS text[]), CAST(:prev_hash AS varchar[]), CAST(:hash AS varchar[]),"
    " CAST(:subject AS varchar[])))"
    " UPDATE ledger_head SET seq = :head_seq, hash = :head_hash,"
    " records_seq = COALESCE(CAST(:records_seq AS integer), records_seq) WHERE id = 1"
)
_APPEND_COLUMNS = ("seq", "at", "user", "nation", "kind", "payload", "prev_hash", "hash",
                   "subject")

#: per mapped class: its one primary-key column and the attribute that holds it
_PRIMARY_KEYS: dict[type, tuple[Any, str]] = {}


def _primary_key(cls: type) -> tuple[Any, str]:
    found = _PRIMARY_KEYS.get(cls)
    if found is None:
        mapper: Mapper[Any] = sa_inspect(cls)
        (column,) = mapper.primary_key
        found = _PRIMARY_KEYS[cls] = (column, mapper.get_property_by_column(column).key)
    return found


class SqlRepository(Generic[T]):
    def __init__(self, session: Session, cls: type[T]) -> None:
        self.session = session
        self.cls = cls

    def get(self, key: Any) -> T | None:
        return self.session.get(self.cls, key)

    def lock(self, key: Any) -> T | None:
        return self.session.get(self.cls, key, with_for_update=True, populate_existing=True)

    def get_many(self, keys: Collection[Any]) -> dict[Any, T]:
        """The records found among ``keys`` (one query), by key."""
        return self._many(keys, lock=False)

    def lock_many(self, keys: Collection[Any]) -> dict[Any, T]:
        """As :meth:`get_many`, locking the rows in ascending key order."""
        return self._many(keys, lock=True)

    def _many(self, keys: Collection[Any], *, lock: bool) -> dict[Any, T]:
        if not keys:
            return {}
        column, attr = _primary_key(self.cls)
        stmt = select(self.cls).where(column.in_(sorted(set(keys))))
        if lock:
            stmt = (
                stmt.order_by(column)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        return {getattr(o, attr): o for o in self.session.scalars(stmt)}

    def add(self, obj: T) -> None:
        self.session.add(obj)

    def list(self, **where: Any) -> builtins.list[T]:
        stmt = select(self.cls).filter_by(**where)
        return list(self.session.scalars(stmt))

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(self.cls)) or 0)


class CheckpointPolicy:
    """Writers sign a checkpoint of the head when an append crosses a multiple of
    ``every`` entries, and at the first append of a UTC day without one (the day of the
    last checkpoint is read once per process, then remembered)."""

    def __init__(self, signer: Signer, every: int = 1000) -> None:
        if every < 1:
            raise ValueError("every must be positive")
        self.signer = signer
        self.every = every
        self._last_day: dt.date | None = None

    def due(self, session: Session, before: int, after: int) -> bool:
        if after // self.every > before // self.every:
            return True
        if self._last_day is None:
            at = session.execute(select(func.max(ledger_checkpoints.c.at))).scalar()
            self._last_day = dt.date.fromisoformat(str(at)[:10]) if at else dt.date.min
        return dt.datetime.now(dt.UTC).date() > self._last_day

    def signed(self, cp: Checkpoint) -> None:
        self._last_day = dt.date.fromisoformat(cp.at[:10])


#: engine -> its writers' checkpoint policy (set by the composition root)
_POLICIES: weakref.WeakKeyDictionary[Engine, CheckpointPolicy] = weakref.WeakKeyDictionary()


def sign_checkpoints(engine: Engine, policy: CheckpointPolicy | None) -> None:
    """Writers on ``engine`` (through :func:`session_factory`) sign by ``policy``."""
    if policy is None:
        _POLICIES.pop(engine, None)
    else:
        _POLICIES[engine] = policy


def session_info(engine: Engine) -> dict[str, Any] | None:
    """What a session of a writer on ``engine`` carries (its checkpoint policy), for a
    session made other than by :func:`session_factory` (the event loop's)."""
    policy = _POLICIES.get(engine)
    return {"checkpoints": policy} if policy is not None else None


def checkpoint_signer(engine: Engine) -> Signer | None:
    """The key writers on ``engine`` sign with (``None``: no key configured)."""
    policy = _POLICIES.get(engine)
    return None if policy is None else policy.signer


def save_checkpoint(session: Session, cp: Checkpoint) -> None:
    session.execute(
        ledger_checkpoints.insert().values(
            seq=cp.seq, key_id=cp.key_id, hash=cp.hash, at=cp.at, signature=cp.signature
        )
    )


class SqlLedger:
    """Appends in the session's transaction; the head row serialises concurrent writers.

    Once this transaction holds the head row (:meth:`lock_head` or a first append), the
    head is known until the transaction ends, so later appends need not read it again.
    The unit of work calls :meth:`forget` whenever the transaction ends."""

    def __init__(self, session: Session, *, refuse: str = "") -> None:
        """``refuse``: when set, every append raises :class:`PermissionDenied` with it (a
        deployment that refuses changes from this caller; every change appends)."""
        self.session = session
        self.refuse = refuse
        self._locked: tuple[int, str] | None = None
        self._row_exists = False

    def head(self) -> tuple[int, str] | None:
        if self._locked is not None:
            return self._locked if self._row_exists else None
        row = self.session.execute(
            select(ledger_head.c.seq, ledger_head.c.hash).where(ledger_head.c.id == 1)
        ).first()
        return None if row is None else (int(row.seq), str(row.hash))

    def lock_head(self) -> tuple[int, str] | None:
        """Take the head row for this transaction (the turn of every writer) and return it."""
        if self._locked is None:
            row = self.session.execute(
                select(ledger_head.c.seq, ledger_head.c.hash)
                .where(ledger_head.c.id == 1)
                .with_for_update()
            ).first()
            self._row_exists = row is not None
            self._locked = (0, GENESIS) if row is None else (int(row.seq), str(row.hash))
        return self._locked if self._row_exists else None

    def forget(self) -> None:
        """The transaction ended: the head must be read (and locked) again."""
        self._locked = None
        self._row_exists = False

    def mark(self) -> tuple[tuple[int, str] | None, bool]:
        """What this ledger knows of the head now, to :meth:`restore` when a savepoint
        taken now is rolled back (its appends undone)."""
        return self._locked, self._row_exists

    def restore(self, mark: tuple[tuple[int, str] | None, bool]) -> None:
        self._locked, self._row_exists = mark

    def append(
        self, *, user: str, nation: str, kind: str, payload: Mapping[str, Any]
    ) -> LedgerEntry:
        return self.append_many([EntryDraft(user, nation, kind, payload)])[0]

    def append_many(self, drafts: Sequence[EntryDraft]) -> list[LedgerEntry]:
        """Append the entries in order: one insert for all and one update of the head."""
        if not drafts:
            return []
        if self.refuse:
            raise PermissionDenied(self.refuse)
        self.session.flush()
        self.lock_head()
        assert self._locked is not None
        seq, prev = self._locked
        made: list[LedgerEntry] = []
        records_seq: int | None = None
        for d in drafts:
            entry = make_entry(
                seq + 1, prev, user=d.user, nation=d.nation, kind=d.kind, payload=d.payload
            )
            made.append(entry)
            seq, prev = entry.seq, entry.hash
            if d.kind not in RECORDS_UNCHANGED:
                records_seq = entry.seq
        rows = [
            {
                "seq": e.seq,
                "at": e.at,
                "user": e.user,
                "nation": e.nation,
                "kind": e.kind,
                # the canonical text: exactly what the hash covers (ledger/stream.py)
                "payload": canonical(e.payload),
                "prev_hash": e.prev_hash,
                "hash": e.hash,
                "subject": subject_of(e.payload),
            }
            for e in made
        ]
        if not self._row_exists:
            self.session.execute(ledger_entries.insert(), rows)
            self.session.execute(
                ledger_head.insert().values(
                    id=1, records_seq=records_seq or seq, seq=seq, hash=prev
                )
            )
            self._row_exists = True
        elif self.session.get_bind().dialect.name == "postgresql":
            # the entries and the head in one statement (one round trip fewer for every
            # change, while it holds every writer's turn)
            params: dict[str, Any] = {c: [r[c] for r in rows] for c in _APPEND_COLUMNS}
            params.update(head_seq=seq, head_hash=prev, records_seq=records_seq)
            self.session.execute(_APPEND_WITH_HEAD, params)
        else:
            values: dict[str, Any] = {"seq": seq, "hash": prev}
            if records_seq is not None:
                values["records_seq"] = records_seq
            move_head = ledger_head.update().where(ledger_head.c.id == 1).values(**values)
            # SQLite has no INSERT inside WITH
            self.session.execute(ledger_entries.insert(), rows)
            self.session.execute(move_head)
        policy = self.session.info.get("checkpoints")
        if isinstance(policy, CheckpointPolicy) and policy.due(self.session, made[0].seq - 1, seq):
            cp = policy.signer.sign(seq, prev)
            save_checkpoint(self.session, cp)
            policy.signed(cp)
        self._locked = (seq, prev)
        return made

    def entries(self, *, after: int = 0) -> Generator[LedgerEntry, None, None]:
        stmt = (
            select(*_ENTRY_COLUMNS)
            .where(ledger_entries.c.seq > after)
            .order_by(ledger_entries.c.seq)
        )
        result = self.session.execute(stmt.execution_options(yield_per=1000))
        try:
            for row in result:
                yield entry_from_row(*row_fields(row))
        finally:
            result.close()

    def about(self, subjects: Sequence[str], *, limit: int = 200) -> list[LedgerEntry]:
        """The last ``limit`` entries about any of ``subjects`` (their payload's ``id``),
        in ascending order (the ``subject`` index: migration 0016)."""
        if not subjects:
            return []
        stmt = (
            select(*_ENTRY_COLUMNS)
            .where(ledger_entries.c.subject.in_(list(subjects)))
            .order_by(ledger_entries.c.seq.desc())
            .limit(limit)
        )
        rows = self.session.execute(stmt).all()
        return [entry_from_row(*row_fields(row)) for row in reversed(rows)]

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
        """A page of entries by the primary key, ``ix_ledger_entries_kind`` or the
        ``subject`` index (one range scan of at most ``limit`` rows)."""
        t = ledger_entries.c
        stmt = select(*_ENTRY_COLUMNS).where(t.seq > after)
        if before is not None:
            stmt = stmt.where(t.seq < before)
        if kind is not None:
            stmt = stmt.where(t.kind == kind)
        if subject is not None:
            stmt = stmt.where(t.subject == subject)
        stmt = stmt.order_by(t.seq.desc() if newest else t.seq).limit(limit)
        rows = [entry_from_row(*row_fields(row)) for row in self.session.execute(stmt)]
        return rows[::-1] if newest else rows

    def run_that_made(self, allocation_id: str) -> LedgerEntry | None:
        """The latest ``allocation.run`` entry listing ``allocation_id`` among the
        allocations it made: the runs (``ix_ledger_entries_kind``) whose stored payload
        holds the id as a JSON string, each candidate then checked on its parsed payload."""
        quoted = json.dumps(allocation_id)
        pattern = "%" + quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        t = ledger_entries.c
        stmt = (
            select(*_ENTRY_COLUMNS)
            .where(t.kind == kinds.ALLOCATION_RUN, t.payload.like(pattern, escape="\\"))
            .order_by(t.seq.desc())
        )
        for row in self.session.execute(stmt):
            entry = entry_from_row(*row_fields(row))
            if allocation_id in entry.payload.get("allocations", ()):
                return entry
        return None

    def rows(
        self, *, after: int = 0, upto: int | None = None, batch: int = 5000
    ) -> Generator[tuple[Any, ...], None, None]:
        """Stored rows ``(seq, at, user, nation, kind, payload, prev_hash, hash)`` with
        ``after < seq <= upto`` in ascending order, as plain tuples with the payload as
        its stored text, streamed (``batch`` rows in memory at a time): what
        ``ledger.stream.verify_rows`` reads."""
        conn = self.session.connection()
        driver: Any = conn.connection.driver_connection
        if conn.dialect.name == "postgresql" and hasattr(driver, "cursor"):
            # a server-side cursor of the driver: no row objects in between
            sql = (
                'SELECT seq, at, "user", nation, kind, payload, prev_hash, hash '
                "FROM ledger_entries WHERE seq > %s"
                + ("" if upto is None else " AND seq <= %s")
                + " ORDER BY seq"
            )
            args = (after,) if upto is None else (after, upto)
            cursor = driver.cursor(name=f"allied_ledger_rows_{id(self)}")
            try:
                cursor.execute(sql, args)
                # a page at a time (the cursor's own iteration is a Python call per row)
                while page := cursor.fetchmany(batch):
                    yield from page
            finally:
                cursor.close()
            return
        t = ledger_entries.c
        stmt = select(t.seq, t.at, t.user, t.nation, t.kind, t.payload, t.prev_hash, t.hash)
        stmt = stmt.where(t.seq > after)
        if upto is not None:
            stmt = stmt.where(t.seq <= upto)
        result = conn.execute(stmt.order_by(t.seq).execution_options(yield_per=batch))
        try:
            for row in result:
                yield tuple(row)
        finally:
            result.close()


def subject_of(payload: Mapping[str, Any]) -> str | None:
    """The record an entry is about: its payload's ``id``, when that is a short string."""
    value = payload.get("id")
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


#: The columns an entry is read from (not ``subject``: an index, read by no entry, and
#: absent from a schema older than migration 0016, which a migration's replay may read).
_ENTRY_COLUMNS = tuple(
    ledger_entries.c[name]
    for name in ("seq", "at", "user", "nation", "kind", "payload", "prev_hash", "hash")
)


def row_fields(row: Any) -> tuple[Any, ...]:
    """A row of ``ledger_entries`` as the arguments of ``entry_from_row``."""
    return (row.seq, row.at, row.user, row.nation, row.kind, row.payload, row.prev_hash, row.hash)


class SqlUnitOfWork(ListQueries, ConsentFacts, TodoQueries, HeldQueries, ProposalQueries):
    """One transaction: ``with uow: ...; uow.commit()``. Leaving without commit rolls back."""

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
    sql_ledger: SqlLedger

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        lock_ledger: bool = False,
        refuse_changes: str = "",
    ) -> None:
        """``lock_ledger``: take the ledger head row first (PostgreSQL writers; see
        :meth:`__enter__`). ``refuse_changes``: why no change may be made (see
        :class:`SqlLedger`)."""
        self.session_factory = session_factory
        self.lock_ledger = lock_ledger
        self.refuse_changes = refuse_changes

    def pending_past(self, day: dt.date) -> builtins.list[ConsentRequest]:
        """:class:`~allied.service.governance.DueConsents`: the pending consent requests
        whose ``expires_on`` is before ``day`` (those ``effective_status(day)`` expires)."""
        stmt = (
            select(ConsentRequest)
            .filter_by(status=ConsentStatus.PENDING)
            .where(consent_requests.c.expires_on.is_not(None), consent_requests.c.expires_on < day)
        )
        return builtins.list(self.session.scalars(stmt))

    def __enter__(self) -> Self:
        self.session = self.session_factory()
        s = self.session
        self.actors = SqlRepository(s, Actor)
        self.memberships = SqlRepository(s, Membership)
        self.indicators = SqlRepository(s, Indicator)
        self.item_types = SqlRepository(s, ItemType)
        self.requests = SqlRepository(s, Request)
        self.offers = SqlRepository(s, Offer)
        self.allocations = SqlRepository(s, Allocation)
        self.consent_policies = SqlRepository(s, ConsentPolicy)
        self.consents = SqlRepository(s, ConsentRequest)
        self.funds = SqlRepository(s, PooledFund)
        self.contributions = SqlRepository(s, Contribution)
        self.proposals = SqlRepository(s, Proposal)
        self.accessions = SqlRepository(s, Accession)
        self.sql_ledger = SqlLedger(s, refuse=self.refuse_changes)
        self.ledger = self.sql_ledger
        if self.lock_ledger:
            # Every change ends by appending to the hash-chained ledger, which serialises
            # writers at its head row anyway; taking that row first makes each change run
            # alone from its start: a change that reads a row and writes it back cannot
            # lose another's update, and locks are always taken in one order (no
            # deadlock between writers, the API's and the CLI's). The head stays known
            # to the ledger, so appending does not read it again.
            try:
                self.sql_ledger.lock_head()
            except BaseException as exc:
                # as if it failed inside the block: rolled back, closed, translated
                SqlUnitOfWork.__exit__(self, type(exc), exc, exc.__traceback__)
                raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.sql_ledger.forget()
            self.session.close()
        if isinstance(exc, IntegrityError):
            raise Conflict(f"the change conflicts with stored data: {exc.orig}") from None
        if isinstance(exc, OperationalError):
            raise StorageError(f"database error: {exc.orig}") from None
        if isinstance(exc, SQLAlchemyError):
            # The driver's own message, without the SQL statement and its parameters.
            cause = getattr(exc, "orig", None) or exc
            first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(exc).__name__
            raise StorageError(f"database error: {first}") from None

    def next_number(self, prefix: str) -> int:
        """The next number for ids with ``prefix``; the counter row stays locked until the
        transaction ends, so concurrent writers (other processes too) never share one."""
        return self.next_numbers(prefix, 1)[0]

    def next_numbers(self, prefix: str, count: int) -> range:
        """The next ``count`` numbers for ids with ``prefix``, in one statement."""
        if count < 1:
            raise ValueError("count must be positive")
        found = self.session.execute(_NEXT_NUMBERS, {"prefix": prefix, "count": count}).scalar()
        if found is None:
            self.session.execute(id_counters.insert().values(prefix=prefix, value=count))
            return range(1, count + 1)
        return range(int(found) - count + 1, int(found) + 1)

    def checkpoints(self, *, after: int = -1) -> list[Checkpoint]:
        """The stored checkpoints past sequence number ``after``, oldest first."""
        rows = self.session.execute(
            select(ledger_checkpoints)
            .where(ledger_checkpoints.c.seq > after)
            .order_by(ledger_checkpoints.c.seq, ledger_checkpoints.c.key_id)
        )
        return [Checkpoint(r.seq, r.hash, r.at, r.key_id, r.signature) for r in rows]

    def latest_checkpoint(self) -> Checkpoint | None:
        row = self.session.execute(
            select(ledger_checkpoints)
            .order_by(ledger_checkpoints.c.seq.desc(), ledger_checkpoints.c.at.desc())
            .limit(1)
        ).first()
        return None if row is None else Checkpoint(row.seq, row.hash, row.at, row.key_id,
                                                   row.signature)

    def save_checkpoint(self, cp: Checkpoint) -> None:
        save_checkpoint(self.session, cp)

    def request_rows(
        self, status: RecordStatus | None = None, *, lock: bool = False
    ) -> list[RequestRow]:
        """Requests as plain rows (``allied.service.rows``; ``record_rows``)."""
        return record_rows.request_rows(self.session, status, lock=lock)

    def offer_rows(
        self, status: RecordStatus | None = None, *, lock: bool = False
    ) -> list[OfferRow]:
        """Offers as plain rows (``allied.service.rows``; ``record_rows``)."""
        return record_rows.offer_rows(self.session, status, lock=lock)

    def consent_requests_until(self, day: dt.date) -> list[ConsentRequest]:
        """The consent requests made on or before ``day``, for reading (``record_rows``)."""
        return record_rows.consent_requests_until(self.session, day)

    def gap_sums(self, start: dt.date | None, end: dt.date | None) -> dict[str, dict[str, int]]:
        """The gaps report's sums per family, by the database (``report_sums``)."""
        return report_sums.gap_sums(self.session, start, end)

    def clearinghouse_sums(
        self, start: dt.date | None, end: dt.date | None
    ) -> dict[tuple[str, str], dict[str, int]]:
        """The predictability report's clearinghouse sums, by the database."""
        return report_sums.clearinghouse_sums(self.session, start, end)

    def held_totals(self, by: str, statuses: Collection[AllocationStatus]) -> dict[str, int]:
        """Quantity per offer (``by="offer"``) or request of the allocations in
        ``statuses``: one grouped query (see :mod:`allied.service.totals`)."""
        key = allocations.c.offer_id if by == "offer" else allocations.c.request_id
        rows = self.session.execute(
            select(key, func.sum(allocations.c.quantity))
            .where(allocations.c.status.in_(sorted(statuses)))
            .group_by(key)
        )
        return {str(k): int(q) for k, q in rows}

    def allocation_totals(self, by: str) -> list[AllocationTotal]:
        """Quantity of the allocations per offer (``by="offer"``) or request, and status:
        one grouped query (see :mod:`allied.service.totals`)."""
        key = allocations.c.offer_id if by == "offer" else allocations.c.request_id
        rows = self.session.execute(
            select(key, allocations.c.status, func.sum(allocations.c.quantity))
            .group_by(key, allocations.c.status)
            .order_by(key, allocations.c.status)
        )
        if by == "offer":
            return [AllocationTotal(str(k), "", AllocationStatus(s), int(q)) for k, s, q in rows]
        return [AllocationTotal("", str(k), AllocationStatus(s), int(q)) for k, s, q in rows]

    def savepoint(self) -> SqlSavepoint:
        """A part of this transaction, kept or undone alone (:class:`SqlSavepoint`)."""
        return SqlSavepoint(self.session, self.sql_ledger)

    def commit(self) -> None:
        try:
            self.session.commit()
        finally:
            self.sql_ledger.forget()

    def flush(self) -> None:
        self.session.flush()

    def rollback(self) -> None:
        try:
            self.session.rollback()
        finally:
            self.sql_ledger.forget()


class SqlSavepoint:
    """A ``SAVEPOINT`` of the session's transaction (the ``Savepoint`` port).

    Rolled back, it undoes the changes made since it was taken, the records the session
    holds among them (expired, read again on use), and what the ledger knew of its head
    then (the appends undone). A failure of the store while releasing it (a flush) rolls
    it back and raises as it came: the transaction goes on without the part."""

    def __init__(self, session: Session, ledger: SqlLedger) -> None:
        self._ledger = ledger
        self._mark = ledger.mark()
        self._nested = session.begin_nested()

    def release(self) -> None:
        try:
            self._nested.commit()
        except BaseException:
            self.rollback()
            raise

    def rollback(self) -> None:
        try:
            if self._nested.is_active:
                self._nested.rollback()
        finally:
            self._ledger.restore(self._mark)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(
        bind=engine, expire_on_commit=False, autoflush=True, info=session_info(engine)
    )
