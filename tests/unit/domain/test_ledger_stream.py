"""The fast verification over stored rows (ledger/stream.py) finds what ``chain.verify``
finds, names the same entry with the same reason, on payloads stored as their canonical
text (today) and as ``json.dumps(sort_keys=True)`` (entries stored before)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allied.domain.errors import LedgerIntegrityError
from allied.ledger import kinds
from allied.ledger.chain import GENESIS, LedgerEntry, canonical, entry_from_row, make_entry, verify
from allied.ledger.stream import body, schema_holds_text, verify_rows
from allied.service.ledger import check_payload

PAYLOADS: list[tuple[str, dict[str, Any]]] = [
    ("offer.created", {"id": "O1", "donor": "USA", "family": "artillery", "quantity": 5,
                       "available_from": "2024-01-02", "channel": "direct",
                       "status": "open", "note": "Zürich, \"quoted\": a\tb"}),
    ("allocation.pledged", kinds.versioned("allocation.pledged", {
        "id": "A1", "offer": "O1", "request": "R1", "quantity": 3, "needs_consent": False,
        "by": "USA"})),
    ("allocation.shipped", {"id": "A1"}),
    ("consent.policy", {"anything": [1, 2.5, None, True, {"v": 9}], "ünï": "ça"}),
    ("ledger.baseline", {"records": {"requests": {"R1": {"quantity": 1}}}}),
    ("user.added", {"id": "u1"}),
    ("consent.policy", {}),
]


def entries(old_format: bool = False) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    prev = GENESIS
    for i, (kind, payload) in enumerate(PAYLOADS * 2, start=1):
        e = make_entry(i, prev, user="coord ü", nation="USA", kind=kind, payload=payload,
                       at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=i))
        text = json.dumps(e.payload, sort_keys=True) if old_format else canonical(e.payload)
        rows.append((e.seq, e.at, e.user, e.nation, e.kind, text, e.prev_hash, e.hash))
        prev = e.hash
    return rows


def slow(rows: list[tuple[Any, ...]], head: tuple[int, str] | None,
         **kw: Any) -> int | tuple[int, str]:
    try:
        return verify((entry_from_row(*r) for r in rows), head, check_payload, **kw)
    except LedgerIntegrityError as exc:
        return exc.seq, str(exc)


def fast(rows: list[tuple[Any, ...]], head: tuple[int, str] | None,
         **kw: Any) -> int | tuple[int, str]:
    try:
        return verify_rows(rows, head, check_payload, **kw)
    except LedgerIntegrityError as exc:
        return exc.seq, str(exc)


def test_the_body_is_the_canonical_encoding_byte_for_byte() -> None:
    for i, (kind, payload) in enumerate(PAYLOADS, start=1):
        e: LedgerEntry = make_entry(i, GENESIS, user='a"b\\ü', nation="USA", kind=kind,
                                    payload=payload)
        assert body(e.seq, e.at, e.user, e.nation, e.kind, canonical(e.payload),
                    e.prev_hash) == canonical({"seq": e.seq, "at": e.at, "user": e.user,
                                               "nation": e.nation, "kind": e.kind,
                                               "payload": e.payload, "prev": e.prev_hash})


@pytest.mark.parametrize("old_format", [False, True])
def test_an_intact_ledger_verifies_in_both_stored_formats(old_format: bool) -> None:
    rows = entries(old_format)
    head = (rows[-1][0], rows[-1][7])
    assert fast(rows, head) == slow(rows, head) == len(rows)
    assert fast(rows[:0], None) == 0


DAMAGE: list[tuple[int, Any]] = [
    (5, "{oops"), (5, b"\xff"), (5, '{"q": Infinity}'), (5, '"text"'), (5, "null"),
    (2, 7), (2, None), (4, "Z" * 64), (7, "abc"), (6, '{"quantity": -1}'),
    (1, '{"id":"O1"}'), (3, '{"id":"A1","x":NaN}'), (8, '{"v":3,"id":"A1"}'),
]


@settings(max_examples=120, deadline=None)
@given(
    st.booleans(),
    st.integers(0, 11),
    st.sampled_from([1, 2, 3, 4, 5, 6, 7]),
    st.sampled_from(DAMAGE),
)
def test_any_damage_is_named_as_chain_verify_names_it(
    old_format: bool, index: int, field: int, damage: tuple[int, Any]
) -> None:
    rows = entries(old_format)
    head = (rows[-1][0], rows[-1][7])
    _, value = damage
    row = list(rows[index])
    row[field] = value
    rows[index] = tuple(row)
    assert fast(rows, head) == slow(rows, head)


def test_deleted_reordered_and_anchored_entries_are_named_alike() -> None:
    rows = entries()
    head = (rows[-1][0], rows[-1][7])
    assert fast(rows[:3] + rows[4:], head) == slow(rows[:3] + rows[4:], head)
    swapped = [rows[0], rows[2], rows[1], *rows[3:]]
    assert fast(swapped, head) == slow(swapped, head)
    assert fast(rows[:-1], head) == slow(rows[:-1], head)
    anchors = {3: (rows[2][7], "cp3"), 9: ("0" * 64, "cp9"), 40: (rows[0][7], "cp40")}
    assert fast(rows, head, anchors=anchors) == slow(rows, head, anchors=anchors)
    anchors = {3: (rows[2][7], "cp3"), 40: (rows[0][7], "cp40")}
    assert fast(rows, head, anchors=anchors) == slow(rows, head, anchors=anchors)
    start = (4, rows[3][7])
    assert fast(rows[4:], head, start=start) == slow(rows[4:], head, start=start) == len(rows)


def test_the_schema_check_from_text_agrees_with_the_usual_one() -> None:
    good = canonical(PAYLOADS[1][1])
    assert schema_holds_text("allocation.pledged", good)
    assert schema_holds_text("allocation.pledged", canonical({"id": "A1"}))
    assert not schema_holds_text("allocation.pledged", canonical({"v": 2, "id": 7}))
    assert not schema_holds_text("allocation.pledged", canonical({"v": 9, "id": "A1"}))
    assert not schema_holds_text("no.such.kind", "{}")
    # a nested "v" is not the payload's version
    assert not schema_holds_text("consent.policy", canonical({"x": {"v": 2}}))
    assert schema_holds_text("consent.policy", canonical({"x": {"v": 1}}))
    assert not schema_holds_text("offer.created", canonical({**PAYLOADS[0][1], "quantity": "5"}))
