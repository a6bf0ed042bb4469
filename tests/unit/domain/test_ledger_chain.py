"""The audit ledger's hash chain: any alteration, deletion or reordering is found and
named by sequence number."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allied.domain.errors import LedgerIntegrityError
from allied.ledger.chain import GENESIS, LedgerEntry, canonical, make_entry, verify


def chain(n: int) -> list[LedgerEntry]:
    out: list[LedgerEntry] = []
    prev = GENESIS
    for i in range(1, n + 1):
        entry = make_entry(
            i, prev, user="coord", nation="USA", kind="offer.add",
            payload={"id": f"O{i}", "quantity": i * 10, "when": dt.date(2024, 1, i % 28 + 1)},
            at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=i),
        )
        out.append(entry)
        prev = entry.hash
    return out


def head_of(entries: list[LedgerEntry]) -> tuple[int, str]:
    return entries[-1].seq, entries[-1].hash


def test_an_intact_chain_verifies() -> None:
    entries = chain(10)
    assert verify(entries, head_of(entries)) == 10
    assert verify([], None) == 0


def test_the_encoding_is_canonical() -> None:
    assert canonical({"b": 1, "a": [dt.date(2024, 1, 2)]}) == canonical(
        {"a": [dt.date(2024, 1, 2)], "b": 1}
    )


@given(st.integers(1, 8), st.sampled_from(["user", "nation", "kind", "payload", "at"]))
def test_altering_any_field_of_any_entry_is_named(index: int, field: str) -> None:
    entries = chain(8)
    victim = entries[index - 1]
    changed: object = {**victim.payload, "quantity": -1} if field == "payload" else "x"
    entries[index - 1] = dataclasses.replace(victim, **{field: changed})
    with pytest.raises(LedgerIntegrityError) as err:
        verify(entries, head_of(chain(8)))
    assert err.value.seq == index


@given(st.integers(1, 8))
def test_a_deleted_entry_is_named(index: int) -> None:
    entries = chain(8)
    head = head_of(entries)
    del entries[index - 1]
    with pytest.raises(LedgerIntegrityError) as err:
        verify(entries, head)
    assert err.value.seq == index


def test_a_reordering_is_found() -> None:
    entries = chain(5)
    entries[1], entries[2] = entries[2], entries[1]
    with pytest.raises(LedgerIntegrityError) as err:
        verify(entries, head_of(chain(5)))
    assert err.value.seq == 2


def test_a_rewritten_tail_is_caught_by_the_recorded_head() -> None:
    entries = chain(5)
    head = head_of(entries)
    forged = make_entry(5, entries[3].hash, user="mallory", nation="RUS", kind="offer.add",
                        payload={"id": "O5"})
    # A consistent forged chain passes the link checks but not the recorded head.
    with pytest.raises(LedgerIntegrityError) as err:
        verify([*entries[:4], forged], head)
    assert err.value.seq == 5


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("payload", "{oops", "payload is not JSON"),
        ("payload", b"\xff\xfe", "payload is not JSON"),
        ("payload", '{"q": Infinity}', "payload is not JSON"),
        ("payload", '"text"', "payload is not a JSON object"),
        ("payload", "null", "payload is not a JSON object"),
        ("user", None, "field user is not text"),
        ("kind", 7, "field kind is not text"),
        ("hash", "abc", "field hash is not a SHA-256"),
        ("prev_hash", "Z" * 64, "field prev_hash is not a SHA-256"),
    ],
)
def test_a_damaged_row_is_named_not_crashed_on(field: str, value: object, reason: str) -> None:
    from allied.ledger.chain import entry_from_row

    good = chain(3)[2]
    row = dataclasses.asdict(good) | {"payload": canonical(good.payload)}
    assert entry_from_row(**row) == good
    with pytest.raises(LedgerIntegrityError, match=reason) as info:
        entry_from_row(**(row | {field: value}))
    assert info.value.seq == 3


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"payload": {"note": "a\ud800b"}}, "payload.note"),
        ({"payload": {"made": [{"id": "A1"}, {"reason": "\udc00"}]}}, "payload.made.1.reason"),
        ({"payload": {"k\ud800": 1}}, "payload.k\\ud800"),
        ({"payload": {}, "user": "u\udfff"}, "user"),
    ],
)
def test_text_utf8_cannot_encode_is_refused_naming_the_field(
    fields: dict[str, object], named: str
) -> None:
    """A lone surrogate that no check before caught is refused when the entry is made,
    with the field named, instead of failing inside the hash."""
    from allied.domain.errors import InvalidInput

    kwargs: dict[str, object] = {"user": "coord", "nation": "USA", "kind": "offer.add"}
    kwargs.update(fields)
    with pytest.raises(InvalidInput, match="UTF-8 cannot encode") as err:
        make_entry(1, GENESIS, **kwargs)  # type: ignore[arg-type]
    assert err.value.field == named
