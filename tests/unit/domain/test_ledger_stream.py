"""The fast verification over stored rows (ledger/stream.py) finds what ``chain.verify``
finds, names the same entry with the same reason, on payloads stored as their canonical
text (today) and as ``json.dumps(sort_keys=True)`` (entries stored before)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allied.domain.errors import LedgerIntegrityError
from allied.ledger import kinds, stream
from allied.ledger.chain import GENESIS, LedgerEntry, canonical, entry_from_row, make_entry, verify
from allied.ledger.stream import body, schema_holds, verify_rows
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


def test_the_schema_check_agrees_with_the_usual_one() -> None:
    assert schema_holds("allocation.pledged", PAYLOADS[1][1])
    assert schema_holds("allocation.pledged", {"id": "A1"})
    assert not schema_holds("allocation.pledged", {"v": 2, "id": 7})
    assert not schema_holds("allocation.pledged", {"v": 9, "id": "A1"})
    assert not schema_holds("allocation.pledged", {"v": True, "id": "A1"})
    assert not schema_holds("no.such.kind", {})
    # a nested "v" is not the payload's version
    assert schema_holds("consent.policy", {"x": {"v": 2}})
    assert not schema_holds("offer.created", {**PAYLOADS[0][1], "quantity": "5"})
    for kind, payload in PAYLOADS:
        assert schema_holds(kind, payload)
        kinds.parse(1, kind, payload)


def forged(rows: list[tuple[Any, ...]], index: int, text: str) -> list[tuple[Any, ...]]:
    """``rows`` with row ``index`` storing ``text`` and its hash recomputed over that text
    as it stands (what the fast check hashes), the rows after it chained again."""
    out = list(rows[:index])
    prev = rows[index - 1][7] if index else GENESIS
    for i, row in enumerate(rows[index:], start=index):
        seq, at, user, nation, kind, stored_text, _, _ = row
        if i == index:
            stored_text = text
        digest = hashlib.sha256(
            body(seq, at, user, nation, kind, stored_text, prev).encode()
        ).hexdigest()
        out.append((seq, at, user, nation, kind, stored_text, prev, digest))
        prev = digest
    return out


#: texts whose hash holds over them as stored but which are not the canonical encoding
#: of what they hold: chain.verify hashes the canonical encoding, so they do not verify
NOT_CANONICAL = [
    '{"id": "A1"}', ' {"id":"A1"}', '{"id":"A1"} ', '{"x":1,"id":"A1"}',
    '{"id":"A1","id":"A1"}', '{"id":"\\u0041"}', '{"id":"A\\/"}', '{"id":"A1","n":1e2}',
    '{"id":"A1","n":1.50}', '{"id":"A1","n":-0}', '{"id":"A1","n":1E+2}',
    '{"id":"\\u00e9"}', '{"id":"A1","x":NaN}', '{"id":"A1","x":Infinity}',
    '{"id":"A1","n":1e400}', '{"id":"A1","x":[1, 2]}', '{"id":"A1","x":{"b":1,"a":2}}',
    '{"id":"\\ud800"}', '{"id":"A1","\\ud800":1}', '{"id":"A\\u001F"}',
    '{"id":"A\\u0008"}',
]


@pytest.mark.parametrize("text", NOT_CANONICAL)
@pytest.mark.parametrize("index", [0, 2, 5, 13])
def test_a_text_that_is_not_canonical_fails_though_its_hash_holds_over_it(
    text: str, index: int
) -> None:
    rows = forged(entries(), index, text)
    head = (rows[-1][0], rows[-1][7])
    found = slow(rows, head)
    assert isinstance(found, tuple) and found[0] == index + 1
    assert fast(rows, head) == found


def test_a_canonical_text_forged_the_same_way_verifies() -> None:
    # the same forging with the canonical text is an intact ledger (the test above
    # fails for the text, not for the forging)
    for index in (2, 5, 13):  # allocation.shipped, user.added, consent.policy
        rows = forged(entries(), index, '{"id":"A1"}')
        head = (rows[-1][0], rows[-1][7])
        assert fast(rows, head) == slow(rows, head) == len(rows)


def test_the_first_bad_entry_is_named_across_settled_groups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # settling every 3 rows: a non-canonical text held before a row that fails at once
    # (a broken link) is still the one named
    monkeypatch.setattr(stream, "SETTLE_EVERY", 3)
    rows = forged(entries(), 4, '{"id": "A1"}')
    row = list(rows[6])
    row[6] = "0" * 64
    rows[6] = tuple(row)
    head = (rows[-1][0], rows[-1][7])
    assert fast(rows, head) == slow(rows, head)
    assert fast(rows, head)[0] == 5  # type: ignore[index]
    for index in range(len(rows)):
        damaged = forged(entries(), index, '{"id":"A1","n":1.50}')
        head = (damaged[-1][0], damaged[-1][7])
        assert fast(damaged, head) == slow(damaged, head) == (index + 1, slow(damaged, head)[1])  # type: ignore[index]


def test_a_lone_surrogate_in_a_payload_is_a_finding_not_a_crash() -> None:
    entry = make_entry(1, GENESIS, user="u", nation="USA", kind="user.added",
                       payload={"id": "u1"})
    bad = LedgerEntry(entry.seq, entry.at, entry.user, entry.nation, entry.kind,
                      {"id": "\ud800"}, entry.prev_hash, entry.hash)
    with pytest.raises(LedgerIntegrityError) as found:
        verify([bad])
    assert found.value.seq == 1
    assert "payload" in found.value.reason and "\\ud800" in found.value.reason
    # stored as the JSON escape (the only way a stored text can hold one)
    rows = forged(entries(), 3, '{"id":"\\ud800"}')
    head = (rows[-1][0], rows[-1][7])
    assert fast(rows, head) == slow(rows, head)
    assert "UTF-8" in fast(rows, head)[1]  # type: ignore[index]


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
        | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3),
        max_leaves=8,
    ),
    st.sampled_from(["canonical", "spaced", "unsorted", "ascii", "plain"]),
)
def test_any_stored_form_of_any_payload_is_judged_as_chain_verify_judges_it(
    extra: Any, form: str
) -> None:
    payload = {"id": "A1", "x": extra}
    if form == "canonical":
        text = canonical(payload)
    elif form == "spaced":
        text = json.dumps(payload, sort_keys=True)
    elif form == "unsorted":
        text = json.dumps({"x": extra, "id": "A1"}, separators=(",", ":"),
                          ensure_ascii=False)
    elif form == "ascii":
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    else:
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    rows = forged(entries(), 6, text)
    head = (rows[-1][0], rows[-1][7])
    assert fast(rows, head) == slow(rows, head)
