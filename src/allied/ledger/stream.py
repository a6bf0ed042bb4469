"""Verifying the chain from stored rows, fast, with the same findings as ``chain.verify``.

A stored row is ``(seq, at, user, nation, kind, payload, prev_hash, hash)`` with the
payload as JSON text. Entries are written with the payload stored as its canonical text
(the exact characters the hash covers), so the hash can be checked over the stored text
as it is, without decoding and re-encoding it, and the payload checked against its
kind's schema straight from the text (``pydantic``'s JSON parser):

1. the row's hash over the stored text (the canonical body is put together around it,
   byte for byte what ``chain.entry_hash`` hashes);
2. if that does not hold (an entry stored before the payload was kept canonical: its
   text is ``json.dumps(sort_keys=True)`` with spaces), the payload decoded and
   re-encoded canonically, then hashed;
3. if that does not hold either, or the row is odd in any way (a field of the wrong
   type, a payload the schema check from text cannot settle), the row goes through
   ``chain.verify`` itself, which names the finding exactly as it always has.

Whether an entry is accepted does not depend on the path: a hash over the stored text
that holds proves the text is what was hashed, and the text is checked against the
schema; anything else is decided by the original code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from json.encoder import encode_basestring
from typing import Any

from pydantic import ValidationError

from allied.domain.errors import LedgerIntegrityError
from allied.ledger import kinds
from allied.ledger.chain import GENESIS, LedgerEntry, _default, entry_from_row, verify

#: ``chain.canonical`` as one reusable encoder (``json.dumps`` builds this same encoder
#: on every call): the same bytes
_canonical = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
).encode


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_decode = json.JSONDecoder(parse_constant=_no_constant).decode
_sha256 = hashlib.sha256


def body(seq: int, at: str, user: str, nation: str, kind: str, payload_text: str,
         prev: str) -> str:
    """The canonical body ``chain.entry_hash`` hashes, around a payload already in its
    canonical text (the keys in sorted order: at, kind, nation, payload, prev, seq,
    user)."""
    return (
        '{"at":' + encode_basestring(at)
        + ',"kind":' + encode_basestring(kind)
        + ',"nation":' + encode_basestring(nation)
        + ',"payload":' + payload_text
        + ',"prev":' + encode_basestring(prev)
        + ',"seq":' + str(seq)
        + ',"user":' + encode_basestring(user)
        + "}"
    )


#: kind -> the validators of its payload versions (1, 2, ...)
_VALIDATORS: dict[str, tuple[Any, ...]] = {
    name: tuple(v.schema.__pydantic_validator__ for v in spec.versions)
    for name, spec in kinds.KINDS.items()
}


def schema_holds_text(kind: str, text: str) -> bool:
    """True when the payload text is a JSON object valid for its kind's schema (at the
    version it names). False means "not settled here": the caller decodes the payload
    and checks it the usual way, which names the problem if there is one."""
    validators = _VALIDATORS.get(kind)
    if validators is None or "NaN" in text or "Infinity" in text:
        return False
    version = 1
    at = text.find('"v":')
    if at >= 0:  # the version the payload names (checked below to be the top level's)
        end = at + 4
        while end < len(text) and text[end].isdigit():
            end += 1
        if end == at + 4:
            return False
        version = int(text[at + 4:end])
    if not 1 <= version <= len(validators):
        return False
    try:
        model = validators[version - 1].validate_json(text)
    except ValidationError:
        return False
    named = (model.__pydantic_extra__ or {}).get("v", 1)
    return type(named) is int and named == version


def verify_rows(
    rows: Iterable[tuple[Any, ...]],
    head: tuple[int, str] | None = None,
    check: Callable[[LedgerEntry], object] | None = None,
    *,
    start: tuple[int, str] = (0, GENESIS),
    anchors: Mapping[int, tuple[str, str]] | None = None,
    schema: bool = True,
) -> int:
    """``chain.verify`` over stored rows (same arguments, same result, same findings).
    ``check`` is the per-entry check of the slow path (the kind's schema); ``schema``
    says whether the fast path checks the schema from the text (it must say the same as
    ``check``)."""
    anchors = anchors or {}
    count, last = walk_rows(rows, check, start=start, anchors=anchors, schema=schema)
    # the tail checks of chain.verify (anchors beyond the end, the head record)
    return verify((), head, check, start=(count, last), anchors={
        s: a for s, a in anchors.items() if s > count
    })


def walk_rows(
    rows: Iterable[tuple[Any, ...]],
    check: Callable[[LedgerEntry], object] | None,
    *,
    start: tuple[int, str],
    anchors: Mapping[int, tuple[str, str]],
    schema: bool = True,
) -> tuple[int, str]:
    """Check each row in turn from ``start``: (the last sequence number, its hash), or
    ``LedgerIntegrityError`` naming the first bad row. The end of the ledger (its head,
    anchors beyond it) is the caller's to check."""
    expected = start[0] + 1
    prev = start[1]
    sha = _sha256
    quote = encode_basestring
    for row in rows:
        seq, at, user, nation, kind, text, prev_hash, stored = row
        ok = False
        if type(seq) is int and seq == expected and prev_hash == prev and type(text) is str:
            try:
                head_part = (
                    '{"at":' + quote(at) + ',"kind":' + quote(kind)
                    + ',"nation":' + quote(nation) + ',"payload":'
                )
                tail = (
                    ',"prev":"' + prev + '","seq":' + str(seq)
                    + ',"user":' + quote(user) + "}"
                )
            except TypeError:  # a field that is not text
                head_part = tail = ""
            if tail:
                if sha((head_part + text + tail).encode()).hexdigest() == stored:
                    ok = not schema or schema_holds_text(kind, text)
                else:  # stored before payloads were kept canonical
                    try:
                        payload = _decode(text)
                    except ValueError:
                        payload = None
                    if type(payload) is dict:
                        try:
                            again = _canonical(payload)
                        except (TypeError, ValueError):
                            again = ""
                        if again and sha((head_part + again + tail).encode()).hexdigest() == stored:
                            if not schema:
                                ok = True
                            else:
                                try:
                                    kinds.parse(seq, kind, payload)
                                    ok = True
                                except LedgerIntegrityError:
                                    ok = False
            if ok:
                anchor = anchors.get(seq)
                if anchor is not None and anchor[0] != stored:
                    ok = False
        if not ok:  # the original code decides, and names the finding
            anchor = anchors.get(expected)
            verify(
                [entry_from_row(*row)], None, check, start=(expected - 1, prev),
                anchors={expected: anchor} if anchor is not None else None,
            )
        prev = stored
        expected += 1
    return expected - 1, prev
