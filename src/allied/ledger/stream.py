"""Verifying the chain from stored rows, fast, with the same findings as ``chain.verify``.

A stored row is ``(seq, at, user, nation, kind, payload, prev_hash, hash)`` with the
payload as JSON text. Entries are written with the payload stored as its canonical text
(the exact characters the hash covers), so for each row:

1. the hash is checked over the stored text as it is (the canonical body is put
   together around it, byte for byte what ``chain.entry_hash`` hashes), with the link to
   the previous entry;
2. the text is decoded (``pydantic_core.from_json``) and the payload checked against its
   kind's schema, the check ``kinds.parse`` makes;
3. every few thousand rows, the decoded payloads of the rows accepted so far are
   encoded canonically in one call and compared with their stored texts joined the same
   way: equal means every text is the canonical encoding of its payload (each text
   decodes whole, alone, to one JSON object, so the joins can only agree text by text),
   hence the hash ``chain.entry_hash`` computes is the one checked in 1. A text that is
   not canonical (spaces, keys out of order, ``\\u0041``, ``1e2``...) fails here even
   when its hash holds over it, as it fails ``chain.verify``.

A row that fails any step is decided one at a time by the definition: the payload
decoded as ``chain.decode_payload`` does, encoded canonically, hashed (entries stored
before payloads were kept canonical pass here), checked by ``kinds.parse``; and if that
does not hold either, ``chain.verify`` itself names the finding. Rows before it that
were accepted in step 1-2 are settled (step 3) first, so the first bad entry is the one
named. Whether an entry is accepted does not depend on the path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from json.encoder import encode_basestring
from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json

from allied.domain.errors import LedgerIntegrityError
from allied.ledger import kinds
from allied.ledger.chain import GENESIS, LedgerEntry, _default, entry_from_row, verify

#: ``chain.canonical`` as one reusable encoder (``json.dumps`` builds this same encoder
#: on every call): the same bytes
_canonical = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
).encode
#: the canonical encoding of decoded JSON values only: NaN and the infinities (which no
#: stored payload may hold, ``chain.decode_payload``) and any other type are errors
_canonical_json = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_decode = json.JSONDecoder(parse_constant=_no_constant).decode
_sha256 = hashlib.sha256

#: rows accepted by steps 1-2 before their texts are compared with their canonical
#: encoding (step 3): the memory verification holds, whatever the ledger's length
SETTLE_EVERY = 2000

#: the canonical body around a payload text (keys sorted: at, kind, nation, payload,
#: prev, seq, user); the four texts are given JSON-quoted
_BODY = '{"at":%s,"kind":%s,"nation":%s,"payload":%s,"prev":"%s","seq":%d,"user":%s}'


def body(seq: int, at: str, user: str, nation: str, kind: str, payload_text: str,
         prev: str) -> str:
    """The canonical body ``chain.entry_hash`` hashes, around a payload already in its
    canonical text."""
    q = encode_basestring
    return _BODY % (q(at), q(kind), q(nation), payload_text, prev, seq, q(user))


#: kind -> the validators of its payload versions (1, 2, ...): ``kinds.parse``'s check
_VALIDATORS: dict[str, tuple[Callable[[Any], Any], ...]] = {
    name: tuple(v.schema.__pydantic_validator__.validate_python for v in spec.versions)
    for name, spec in kinds.KINDS.items()
}


def schema_holds(kind: str, payload: Mapping[str, Any]) -> bool:
    """True when ``kinds.parse`` accepts the payload for its kind (at the version it
    names); False means "not settled here" (the definition names the problem)."""
    validators = _VALIDATORS.get(kind)
    if validators is None:
        return False
    version = payload.get("v", 1)
    if type(version) is not int or not 1 <= version <= len(validators):
        return False
    try:
        validators[version - 1](payload)
    except ValidationError:
        return False
    return True


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
    ``check`` is the per-entry check of the definition (the kind's schema); ``schema``
    says whether the fast path checks the schema (it must say the same as ``check``)."""
    anchors = anchors or {}
    count, last = walk_rows(rows, check, start=start, anchors=anchors, schema=schema)
    # the tail checks of chain.verify (anchors beyond the end, the head record)
    return verify((), head, check, start=(count, last), anchors={
        s: a for s, a in anchors.items() if s > count
    })


def _one_row(
    row: tuple[Any, ...],
    check: Callable[[LedgerEntry], object] | None,
    expected: int,
    prev: str,
    anchors: Mapping[int, tuple[str, str]],
    schema: bool,
) -> None:
    """One row decided by the definition: returns when ``chain.verify`` would accept it
    as entry ``expected`` after ``prev``, else raises its finding."""
    seq, at, user, nation, kind, text, prev_hash, stored = row
    ok = False
    if type(seq) is int and seq == expected and prev_hash == prev and type(text) is str:
        try:
            payload = _decode(text)
        except ValueError:
            payload = None
        if type(payload) is dict:
            try:
                digest = _sha256(
                    body(seq, at, user, nation, kind, _canonical(payload), prev).encode()
                ).hexdigest()
            except (TypeError, ValueError):  # a field not text; text UTF-8 cannot encode
                digest = ""
            if digest == stored:
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
    form = _BODY
    parse = from_json
    validators = _VALIDATORS
    # rows accepted by steps 1-2, their payloads and texts, until step 3 settles them
    held: list[tuple[Any, ...]] = []
    payloads: list[Any] = []

    def settle() -> None:
        """Step 3 for the rows held: each text the canonical encoding of its payload,
        else the definition decides them one by one (and names the first bad one)."""
        try:
            same = _canonical_json(payloads) == "[" + ",".join([r[5] for r in held]) + "]"
        except (TypeError, ValueError, RecursionError):
            same = False
        if not same:
            for r in held:
                _one_row(r, check, r[0], r[6], anchors, schema)
        held.clear()
        payloads.clear()

    for row in rows:
        seq, at, user, nation, kind, text, prev_hash, stored = row
        ok = False
        if type(seq) is int and seq == expected and prev_hash == prev and type(text) is str:
            try:
                digest = sha(
                    (form % (quote(at), quote(kind), quote(nation), text, prev, seq,
                             quote(user))).encode()
                ).hexdigest()
            except (TypeError, ValueError):  # a field not text; text UTF-8 cannot encode
                digest = ""
            if digest == stored:
                try:
                    payload = parse(text)
                except ValueError:
                    payload = None
                if type(payload) is dict:
                    if not schema:
                        ok = True
                    else:
                        versions = validators.get(kind)
                        version = payload.get("v", 1)
                        if (versions is not None and type(version) is int
                                and 1 <= version <= len(versions)):
                            try:
                                versions[version - 1](payload)
                                ok = True
                            except ValidationError:
                                ok = False
                    if ok and anchors:
                        anchor = anchors.get(seq)
                        if anchor is not None and anchor[0] != stored:
                            ok = False
        if ok:
            held.append(row)
            payloads.append(payload)
            if len(held) >= SETTLE_EVERY:
                settle()
        else:
            if held:
                settle()
            _one_row(row, check, expected, prev, anchors, schema)
        prev = stored
        expected += 1
    if held:
        settle()
    return expected - 1, prev
