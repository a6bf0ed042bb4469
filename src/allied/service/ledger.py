"""Use-cases on the audit ledger: verify (the chain, against signed checkpoints, and the
records against a replay of the ledger), sign checkpoints, export."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from allied.domain.errors import InvalidInput, LedgerIntegrityError
from allied.ledger import kinds
from allied.ledger.chain import GENESIS, LedgerEntry, verify
from allied.ledger.checkpoint import Checkpoint, CheckpointError, Signer, check_signature
from allied.ledger.state import FIELDS, SINGULAR, Records, ReplayError
from allied.ledger.stream import verify_rows, walk_rows
from allied.service.ports import UnitOfWork


@runtime_checkable
class CheckpointStore(Protocol):
    """The store's copy of the signed checkpoints (a capability of a unit of work)."""

    def checkpoints(self, *, after: int = -1) -> list[Checkpoint]: ...

    def latest_checkpoint(self) -> Checkpoint | None: ...

    def save_checkpoint(self, cp: Checkpoint) -> None: ...


@runtime_checkable
class RowLedger(Protocol):
    """A ledger that streams its stored rows (``SqlLedger.rows``): verified by
    ``ledger.stream.verify_rows``."""

    def rows(
        self, *, after: int = 0, upto: int | None = None, batch: int = 5000
    ) -> Generator[tuple[Any, ...], None, None]: ...


def _store(uow: UnitOfWork) -> CheckpointStore:
    if not isinstance(uow, CheckpointStore):
        raise InvalidInput("this store keeps no checkpoints", field="store")
    return uow


def check_payload(entry: LedgerEntry) -> None:
    """The entry's payload against its kind's schema (``LedgerIntegrityError`` naming it)."""
    kinds.parse(entry.seq, entry.kind, entry.payload)


def _anchors(
    checkpoints: Sequence[tuple[str, Checkpoint]], keys: dict[str, Ed25519PublicKey]
) -> dict[int, tuple[str, str]]:
    """seq -> (hash, name) of checkpoints whose signatures hold; the first that does not
    (by sequence number) is named."""
    out: dict[int, tuple[str, str]] = {}
    for name, cp in sorted(checkpoints, key=lambda nc: (nc[1].seq, nc[0])):
        try:
            check_signature(cp, keys)
        except CheckpointError as exc:
            raise LedgerIntegrityError(cp.seq, f"checkpoint {name}: {exc}") from None
        seen = out.get(cp.seq)
        if seen is not None and seen[0] != cp.hash:
            raise LedgerIntegrityError(
                cp.seq, f"checkpoints {seen[1]} and {name} are both signed and disagree"
            )
        out[cp.seq] = (cp.hash, name)
    return out


def verify_chain(
    uow: UnitOfWork,
    *,
    checkpoints: Sequence[tuple[str, Checkpoint]] = (),
    keys: dict[str, Ed25519PublicKey] | None = None,
    resume: Checkpoint | None = None,
    jobs: int = 1,
    open_uow: Callable[[], UnitOfWork] | None = None,
) -> int:
    """Number of entries in an intact ledger; raises ``LedgerIntegrityError`` naming the
    first bad entry otherwise.

    ``checkpoints`` (name, checkpoint): each must be signed by one of ``keys`` (key id ->
    public key) and the chain must pass through it. ``resume``: a trusted checkpoint
    (its signature is checked too); only the entries from it on are read.

    ``jobs`` > 1 with ``open_uow`` (a picklable factory of read units of work on the same
    database, e.g. ``bootstrap.ReadUowOpener``): the entries are verified in that many
    ranges by as many processes (see :func:`verify_in_ranges`). ``jobs`` = 0
    (:data:`AUTO`): one process per core this process may run on, as many as the chain
    has :data:`AUTO_PER_JOB` entries for (a short chain stays in this process)."""
    keys = keys or {}
    anchors = _anchors(checkpoints, keys)
    if jobs < 0:
        raise InvalidInput("must be at least 1, or 0 for one per core", field="jobs")
    if resume is None and jobs != 1 and open_uow is not None:
        with uow:
            head = uow.ledger.head()
            ranges = isinstance(uow.ledger, RowLedger)
        if jobs == AUTO:
            jobs = auto_jobs(head[0] if head is not None else 0)
        if ranges and jobs > 1:  # (this transaction ended: the processes open their own)
            return verify_in_ranges(open_uow, head, jobs, anchors)
    with uow:
        head = uow.ledger.head()
        rows = uow.ledger if isinstance(uow.ledger, RowLedger) else None
        if resume is None:
            if rows is not None:
                with closing(rows.rows()) as stored:
                    return verify_rows(stored, head, check_payload, anchors=anchors)
            with closing(uow.ledger.entries()) as entries:
                return verify(entries, head, check_payload, anchors=anchors)
        _anchors([("resumed from", resume)], keys)
        if resume.seq < 1:
            raise InvalidInput("a checkpoint of an empty ledger is nothing to resume from",
                               field="from")
        anchors.setdefault(resume.seq, (resume.hash, f"at entry {resume.seq} (resumed from)"))
        if rows is not None:
            with closing(rows.rows(after=resume.seq - 1)) as stored:
                first_row = next(stored, None)
                if first_row is None or first_row[0] != resume.seq:
                    raise LedgerIntegrityError(
                        resume.seq, "the entry the checkpoint resumed from is missing"
                    )
                prev = first_row[6]

                def chained_rows() -> Iterator[tuple[Any, ...]]:
                    yield first_row
                    yield from stored

                return verify_rows(
                    chained_rows(), head, check_payload,
                    start=(resume.seq - 1, prev if isinstance(prev, str) else ""),
                    anchors=anchors,
                )
        with closing(uow.ledger.entries(after=resume.seq - 1)) as entries:
            first = next(entries, None)
            if first is None or first.seq != resume.seq:
                raise LedgerIntegrityError(
                    resume.seq, "the entry the checkpoint resumed from is missing"
                )

            def chained() -> Iterator[LedgerEntry]:
                yield first
                yield from entries

            return verify(
                chained(), head, check_payload, start=(resume.seq - 1, first.prev_hash),
                anchors=anchors,
            )


#: fewer entries than this per process are verified in this one
MIN_PER_JOB = 1000

#: ``jobs`` asking for one process per core (:func:`auto_jobs`)
AUTO = 0

#: entries per process below which :data:`AUTO` starts no further process: starting one
#: and its connection costs about what verifying this many entries does (~0.3 s)
AUTO_PER_JOB = 50_000


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not every system has affinities
        return os.cpu_count() or 1


def auto_jobs(entries: int) -> int:
    """How many processes :data:`AUTO` verifies ``entries`` in: one per core, as many as
    there are :data:`AUTO_PER_JOB` entries for, at least one."""
    return max(1, min(cores(), entries // AUTO_PER_JOB))


def _verify_range(
    open_uow: Callable[[], UnitOfWork], lo: int, hi: int,
    anchors: dict[int, tuple[str, str]],
) -> tuple[int, str, str] | tuple[int, str]:
    """One process's range ``lo..hi``: (last sequence number, the first entry's stored
    previous hash, the last entry's hash), or (sequence number, reason) of its first
    finding. The first entry's link to the range before is the caller's to check."""
    uow = open_uow()
    try:
        with uow:
            ledger = uow.ledger
            assert isinstance(ledger, RowLedger)
            with closing(ledger.rows(after=lo - 1, upto=hi)) as stored:
                first = next(stored, None)
                if first is None:
                    return lo, "missing or out of order (no entry from here on)"
                link = first[6] if lo > 1 and isinstance(first[6], str) else GENESIS

                def chained() -> Iterator[tuple[Any, ...]]:
                    yield first
                    yield from stored

                last, last_hash = walk_rows(
                    chained(), check_payload, start=(lo - 1, link), anchors=anchors
                )
                return last, link, last_hash
    except LedgerIntegrityError as exc:
        return exc.seq, exc.reason


def verify_in_ranges(
    open_uow: Callable[[], UnitOfWork],
    head: tuple[int, str] | None,
    jobs: int,
    anchors: dict[int, tuple[str, str]],
) -> int:
    """The chain up to the recorded head verified in ``jobs`` ranges at once, each by a
    process of its own (an entry's hash depends on its own row only), then the links
    between the ranges, the entries past the head and the head itself; the first finding
    by sequence number is raised, as the sequential verification would name it."""
    end = head[0] if head is not None else 0
    if end < jobs * MIN_PER_JOB:  # not worth the processes
        with open_uow() as uow:
            ledger = uow.ledger
            assert isinstance(ledger, RowLedger)
            with closing(ledger.rows()) as stored:
                return verify_rows(stored, head, check_payload, anchors=anchors)
    step = -(-end // jobs)
    ranges = [(lo, min(lo + step - 1, end)) for lo in range(1, end + 1, step)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=len(ranges), mp_context=context) as pool:
        futures = [
            pool.submit(
                _verify_range, open_uow, lo, hi,
                {s: a for s, a in anchors.items() if lo <= s <= hi},
            )
            for lo, hi in ranges
        ]
        results = [f.result() for f in futures]
    findings: list[tuple[int, int, str]] = []  # (seq, order, reason)
    last_hash = GENESIS
    for (lo, hi), result in zip(ranges, results, strict=True):
        if len(result) == 2:
            findings.append((result[0], 1, result[1]))
            break  # what follows cannot be linked to it
        last, link, tail_hash = result
        if link != last_hash:
            findings.append((lo, 0, "previous-hash link broken"))
        if last < hi:
            findings.append((last + 1, 1, "missing or out of order"))
            break
        last_hash = tail_hash
    if findings:
        seq, _, reason = min(findings)
        raise LedgerIntegrityError(seq, reason)
    # the entries past the head read at the start (appended since, or not covered by
    # it), anchors beyond the end, and the head as this last snapshot records it
    with open_uow() as uow:
        ledger = uow.ledger
        assert isinstance(ledger, RowLedger)
        now = uow.ledger.head()
        with closing(ledger.rows(after=end)) as stored:
            return verify_rows(
                stored, now, check_payload, start=(end, last_hash),
                anchors={s: a for s, a in anchors.items() if s > end},
            )


def verify_stored_checkpoints(uow: UnitOfWork, signer: Signer) -> tuple[int, int]:
    """The chain against every checkpoint the store keeps signed by the server's key
    (checked with its public half): (entries, checkpoints). Checkpoints of an earlier
    key are for the witnesses that hold it (docs/ledger.md, rotating the key)."""
    with uow:
        kept = [cp for cp in _store(uow).checkpoints() if cp.key_id == signer.key_id]
    named = [(f"{cp.seq} ({cp.at})", cp) for cp in kept]
    count = verify_chain(uow, checkpoints=named, keys={signer.key_id: signer.public})
    return count, len(kept)


def sign_checkpoint(uow: UnitOfWork, signer: Signer) -> Checkpoint:
    """Sign the ledger head now and keep the checkpoint (one transaction)."""
    with uow:
        head = uow.ledger.head()
        if head is None:
            raise InvalidInput("the ledger is empty: nothing to sign", field="ledger")
        store = _store(uow)
        latest = store.latest_checkpoint()
        if latest is not None and latest.seq == head[0] and latest.key_id == signer.key_id:
            return latest
        cp = signer.sign(*head)
        store.save_checkpoint(cp)
        uow.commit()
    return cp


def latest_checkpoint(uow: UnitOfWork) -> Checkpoint | None:
    with uow:
        return _store(uow).latest_checkpoint()


# -- records proven by the ledger ----------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """A record whose table row is not what the ledger implies."""

    kind: str  # requests, offers, ...
    id: str
    field: str | None  # None: the whole record is missing on one side
    table: Any
    ledger: Any
    entry: int | None  # the entry that last made or changed it (None: no entry did)

    def __str__(self) -> str:
        what = f"{SINGULAR[self.kind]} {self.id}"
        by = f"entry {self.entry}" if self.entry else "no entry"
        if self.field is None and self.table is None:
            return f"{what}: made by {by}, missing from the table"
        if self.field is None:
            return f"{what}: in the table, but no ledger entry made it"
        return (
            f"{what}: {self.field} is {self.table!r} in the table, "
            f"{self.ledger!r} by the ledger ({by})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {"record": SINGULAR[self.kind], "id": self.id, "field": self.field,
                "table": self.table, "ledger": self.ledger, "entry": self.entry,
                "message": str(self)}


@dataclass(frozen=True)
class Replay:
    entries: int
    start: int  # the baseline replay began at (0: the first entry)
    records: int
    differences: list[Difference]


def replay(entries: Iterator[LedgerEntry]) -> tuple[Records, int, int, list[tuple[int, str]]]:
    """Apply every entry; a baseline starts again. Returns the records, the number of
    entries, the baseline's sequence number and the entries that could not be applied
    after the last baseline."""
    records = Records()
    problems: list[tuple[int, str]] = []
    count = start = 0
    for entry in entries:
        count += 1
        version, payload = kinds.parse(entry.seq, entry.kind, entry.payload)
        if entry.kind == kinds.LEDGER_BASELINE and entry.payload.get("part", 1) == 1:
            problems.clear()  # a baseline (its first part, when in parts) starts again
            start = entry.seq
        if version.replay is None:
            continue
        records.seq = entry.seq
        try:
            version.replay(records, payload)
        except ReplayError as exc:
            problems.append((entry.seq, f"{entry.kind}: {exc}"))
    return records, count, start, problems


def _stored(uow: UnitOfWork) -> dict[str, dict[str, dict[str, Any]]]:
    repos: dict[str, Any] = {
        "requests": uow.requests, "offers": uow.offers, "allocations": uow.allocations,
        "consents": uow.consents, "proposals": uow.proposals,
    }
    return {
        kind: {r.id: kinds.stored_fields(kind, r) for r in repo.list()}
        for kind, repo in repos.items()
    }


def verify_records(uow: UnitOfWork) -> Replay:
    """Replay the ledger and compare the records it implies with the tables (one
    snapshot); every difference is listed. Raises ``LedgerIntegrityError`` for an entry
    that cannot be replayed."""
    with uow:
        with closing(uow.ledger.entries()) as entries:
            records, count, start, problems = replay(entries)
        if problems:
            seq, reason = problems[0]
            raise LedgerIntegrityError(seq, f"cannot be replayed: {reason}")
        stored = _stored(uow)
    diffs: list[Difference] = []
    for kind in FIELDS:
        implied, table = records.by_kind[kind], stored[kind]
        for rid in sorted(implied.keys() | table.keys()):
            entry = records.made_at.get((kind, rid))
            if rid not in table:
                diffs.append(Difference(kind, rid, None, None, implied[rid], entry))
            elif rid not in implied:
                diffs.append(Difference(kind, rid, None, table[rid], None, None))
            else:
                for f in FIELDS[kind]:
                    if table[rid][f] != implied[rid][f]:
                        diffs.append(
                            Difference(kind, rid, f, table[rid][f], implied[rid][f], entry)
                        )
    total = sum(len(v) for v in stored.values())
    return Replay(count, start, total, diffs)


def records_error(result: Replay) -> LedgerIntegrityError:
    """The first differences as one integrity error (for the API and exit codes)."""
    first = result.differences[0]
    shown = "; ".join(str(d) for d in result.differences[:5])
    more = len(result.differences) - 5
    return LedgerIntegrityError(
        first.entry or result.entries,
        f"{len(result.differences)} record(s) differ from the ledger: {shown}"
        + (f"; and {more} more" if more > 0 else ""),
    )


def ledger_rows(uow: UnitOfWork) -> Iterator[dict[str, Any]]:
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
