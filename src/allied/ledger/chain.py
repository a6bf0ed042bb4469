"""Hash chain of ledger entries.

Each entry's hash is SHA-256 over the canonical encoding of its sequence number,
time, user, nation, kind, payload and the previous entry's hash. The canonical
encoding is JSON with sorted keys, no whitespace, UTF-8, with dates, decimals and
other non-JSON values written as strings. The first entry's previous hash is
``GENESIS`` (64 zeros).

Verification walks the entries in sequence order and names the first bad sequence
number: a changed field breaks that entry's own hash; a deleted entry leaves a gap;
reordered entries break the chain of previous hashes; a deleted tail disagrees with
the head record kept beside the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple

from allied.domain.errors import InvalidInput, LedgerIntegrityError

GENESIS = "0" * 64


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"cannot encode {type(value).__name__} in a ledger payload")


def canonical(value: Any) -> str:
    """The canonical JSON text of ``value``."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def normalise_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as stored: plain JSON values only."""
    result: dict[str, Any] = json.loads(canonical(dict(payload)))
    return result


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    at: str  # ISO 8601 UTC timestamp, stored as text so every store round-trips it exactly
    user: str
    nation: str
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


_HEX = frozenset("0123456789abcdef")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def entry_from_row(
    seq: Any,
    at: Any,
    user: Any,
    nation: Any,
    kind: Any,
    payload: Any,
    prev_hash: Any,
    hash: Any,
) -> LedgerEntry:
    """A stored entry, checked for shape: the payload must be a JSON object, every other
    field of its type (a hash: 64 lowercase hex digits). Anything else is a finding,
    ``LedgerIntegrityError`` naming the entry, never a crash of the reader."""
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise LedgerIntegrityError(0, f"a sequence number is not an integer: {seq!r}")
    for name, value in (("at", at), ("user", user), ("nation", nation), ("kind", kind)):
        if not isinstance(value, str):
            raise LedgerIntegrityError(seq, f"field {name} is not text")
    for name, value in (("prev_hash", prev_hash), ("hash", hash)):
        if not (isinstance(value, str) and len(value) == 64 and _HEX.issuperset(value)):
            raise LedgerIntegrityError(seq, f"field {name} is not a SHA-256 hex digest")
    return LedgerEntry(seq, at, user, nation, kind, decode_payload(seq, payload), prev_hash, hash)


def decode_payload(seq: int, payload: Any) -> dict[str, Any]:
    """A stored payload (JSON text) as a dictionary, or ``LedgerIntegrityError`` naming
    entry ``seq`` when it is not a JSON object."""
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload, parse_constant=_no_constant)
        except ValueError as exc:  # JSONDecodeError, bad UTF-8, NaN/Infinity
            raise LedgerIntegrityError(seq, f"payload is not JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise LedgerIntegrityError(
            seq, f"payload is not a JSON object (found {type(payload).__name__})"
        )
    return payload


class EntryDraft(NamedTuple):
    """An entry to append: the ledger gives it its sequence number, time and hashes."""

    user: str
    nation: str
    kind: str
    payload: Mapping[str, Any]


def entry_hash(
    seq: int, at: str, user: str, nation: str, kind: str, payload: Mapping[str, Any], prev: str
) -> str:
    body = canonical(
        {
            "seq": seq,
            "at": at,
            "user": user,
            "nation": nation,
            "kind": kind,
            "payload": payload,
            "prev": prev,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def make_entry(
    seq: int,
    prev_hash: str,
    *,
    user: str,
    nation: str,
    kind: str,
    payload: Mapping[str, Any],
    at: dt.datetime | None = None,
) -> LedgerEntry:
    stamp = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="microseconds")
    body = normalise_payload(payload)
    try:
        digest = entry_hash(seq, stamp, user, nation, kind, body, prev_hash)
    except UnicodeEncodeError:
        # text no check before caught (a lone surrogate such as "\ud800"): refused with
        # the field named, before anything is stored
        where = _unencodable_path({"user": user, "nation": nation, "kind": kind,
                                   "payload": body}) or "payload"
        raise InvalidInput(
            "holds text UTF-8 cannot encode (a lone surrogate such as \\ud800), which "
            "cannot be stored or hashed", field=where,
        ) from None
    return LedgerEntry(
        seq=seq,
        at=stamp,
        user=user,
        nation=nation,
        kind=kind,
        payload=body,
        prev_hash=prev_hash,
        hash=digest,
    )


def _unencodable_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first text in ``value`` (plain JSON values) that UTF-8
    cannot encode (a lone surrogate), a key named with that character escaped; ``None``
    when all of it encodes."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, Mapping):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list | tuple):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return None
    for key, item in items:
        name = key.encode("utf-8", "backslashreplace").decode("utf-8")
        here = f"{path}.{name}" if path else name
        if name != key:  # the key itself
            return here
        found = _unencodable_path(item, here)
        if found is not None:
            return found
    return None


def _unencodable(entry: LedgerEntry) -> str:
    """The first field of ``entry`` whose text has no UTF-8 encoding (lone surrogates)."""
    fields = {name: str(getattr(entry, name))
              for name in ("at", "user", "nation", "kind", "prev_hash")}
    return _unencodable_path(fields) or "payload"


def verify(
    entries: Iterable[LedgerEntry],
    head: tuple[int, str] | None = None,
    check: Callable[[LedgerEntry], object] | None = None,
    *,
    start: tuple[int, str] = (0, GENESIS),
    anchors: Mapping[int, tuple[str, str]] | None = None,
) -> int:
    """Check the chain; return the number of entries, or raise naming the first bad one.

    ``entries`` must come in ascending ``seq`` order. ``head`` is the (last seq, last
    hash) the store recorded when it appended, used to detect a deleted tail. ``check``
    is called on each entry whose hash holds (e.g. its payload against its kind's
    schema) and raises ``LedgerIntegrityError`` to reject it.

    ``start``: (sequence number, hash) of a trusted entry to resume after; ``entries``
    then begin with the one that follows it. ``anchors``: sequence number -> (hash, name)
    of signed checkpoints the chain must pass through; the first that does not hold is
    named, and one beyond the last entry means entries were deleted. Memory stays flat
    in the number of entries.
    """
    expected_seq = start[0] + 1
    prev = start[1]
    count = start[0]
    anchors = anchors or {}
    for entry in entries:
        if entry.seq != expected_seq:
            raise LedgerIntegrityError(
                expected_seq,
                f"missing or out of order (found sequence number {entry.seq} next)",
            )
        if entry.prev_hash != prev:
            raise LedgerIntegrityError(entry.seq, "previous-hash link broken")
        try:
            recomputed = entry_hash(
                entry.seq,
                entry.at,
                entry.user,
                entry.nation,
                entry.kind,
                entry.payload,
                entry.prev_hash,
            )
        except UnicodeEncodeError:  # e.g. "\ud800" decoded: no UTF-8 to hash
            raise LedgerIntegrityError(
                entry.seq, f"field {_unencodable(entry)} holds text UTF-8 cannot encode "
                "(a lone surrogate such as \\ud800)"
            ) from None
        if recomputed != entry.hash:
            raise LedgerIntegrityError(entry.seq, "content altered (hash mismatch)")
        anchor = anchors.get(entry.seq)
        if anchor is not None and anchor[0] != entry.hash:
            raise LedgerIntegrityError(
                entry.seq, f"differs from checkpoint {anchor[1]} (history rewritten)"
            )
        if check is not None:
            check(entry)
        prev = entry.hash
        expected_seq += 1
        count += 1
    beyond = [s for s in anchors if s > count]
    if beyond:
        first = min(beyond)
        raise LedgerIntegrityError(
            count + 1,
            f"the ledger ends at entry {count} but checkpoint {anchors[first][1]} was signed "
            f"at entry {first} (entries deleted)",
        )
    if head is not None:
        head_seq, head_hash = head
        if head_seq != count:
            raise LedgerIntegrityError(
                count + 1 if head_seq > count else head_seq + 1,
                f"ledger holds {count} entries but its head records {head_seq}",
            )
        if count and head_hash != prev:
            raise LedgerIntegrityError(count, "last entry differs from the recorded head")
    return count
