"""Storage, reference data and ledger against real databases (SQLite; PostgreSQL in CI)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text

from allied.bootstrap import Store
from allied.domain.assistance import Allocation, AllocationStatus
from allied.domain.errors import Conflict, InvalidInput, LedgerIntegrityError, UnknownActor
from allied.ingest.reference import ReferenceDataset, load_reference_dataset
from allied.service import access
from allied.service.assistance import add_offers, add_requests, organisation_members
from allied.service.ledger import ledger_rows, verify_chain
from allied.service.reference import load_reference
from callers import CALLER


def _offers(store: Store) -> list[dict[str, Any]]:
    return access.list_offers(store.uow(), CALLER, dt.date(2024, 1, 1), limit=10**6).items


def _ledger_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one())


def test_reference_load_is_idempotent(empty_store: Store, reference: ReferenceDataset) -> None:
    first = load_reference(empty_store.uow(), CALLER, reference)
    assert first.inserted["actors"] > 250 and first.inserted["memberships"] > 100
    assert _ledger_count(empty_store) == 1
    second = load_reference(empty_store.uow(), CALLER, load_reference_dataset())
    assert not second.changed
    assert sum(second.inserted.values()) == 0 and sum(second.updated.values()) == 0
    assert _ledger_count(empty_store) == 1
    assert verify_chain(empty_store.uow()) == 1


@pytest.mark.parametrize(
    ("org", "day", "count", "present", "absent"),
    [
        ("NATO", "2024-03-06", 31, "FIN", "SWE"),
        ("NATO", "2024-03-07", 32, "SWE", None),
        ("NATO", "2023-04-03", 30, "TUR", "FIN"),
        ("EU", "2020-01-31", 28, "GBR", None),
        ("EU", "2020-02-01", 27, "DEU", "GBR"),
    ],
)
def test_members_on_a_date(
    store: Store, org: str, day: str, count: int, present: str, absent: str | None
) -> None:
    rows = organisation_members(store.uow(), org, dt.date.fromisoformat(day))
    codes = [r["code"] for r in rows]
    assert len(codes) == count
    assert present in codes
    if absent:
        assert absent not in codes


def test_unknown_organisation_is_named(store: Store) -> None:
    with pytest.raises(InvalidInput, match="unknown organisation 'OSCE'") as info:
        organisation_members(store.uow(), "OSCE", dt.date(2024, 1, 1))
    assert info.value.field == "org"


def test_add_and_list_round_trip(store: Store) -> None:
    made = add_offers(
        store.uow(),
        CALLER,
        [
            (
                None,
                "options",
                {
                    "id": "O-T1",
                    "donor": "NOR",
                    "family": "155mm-nato",
                    "quantity": "40",
                    "available_from": "2024-02-01",
                    "origin": "USA",
                    "releasability": "nations:POL,GBR",
                },
            )
        ],
    )
    assert made[0].needs_consent
    rows = {r["id"]: r for r in _offers(store)}
    assert rows["O-T1"]["quantity"] == 40
    assert rows["O-T1"]["releasability"] == "nations:GBR,POL"
    assert rows["O-T1"]["available_from"] == "2024-02-01"


def test_bad_row_writes_nothing(store: Store) -> None:
    before_ledger = _ledger_count(store)
    before = len(_offers(store))
    rows = [
        (
            2,
            "line 2",
            {
                "id": "A1",
                "donor": "NOR",
                "family": "155mm-nato",
                "quantity": "5",
                "available_from": "2024-01-01",
            },
        ),
        (
            3,
            "line 3",
            {
                "id": "A2",
                "donor": "XXY",
                "family": "155mm-nato",
                "quantity": "5",
                "available_from": "2024-01-01",
            },
        ),
    ]
    with pytest.raises(UnknownActor) as info:
        add_offers(store.uow(), CALLER, rows, source="offers.csv")
    assert info.value.line == 3 and info.value.field == "donor"
    assert "offers.csv, line 3, field 'donor'" in str(info.value)
    assert len(_offers(store)) == before
    assert _ledger_count(store) == before_ledger


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quantity", "-4", "positive integer"),
        ("quantity", "2.5", "positive integer"),
        ("needed_by", "2024-13-01", "not a date"),
        ("priority", "9", "from 1 to 5"),
        ("recipient", "ZZZ", "unknown actor"),
        ("family", "155 mm", "compatibility family"),
    ],
)
def test_bad_request_fields_are_named(store: Store, field: str, value: str, message: str) -> None:
    data = {
        "id": "R-X",
        "recipient": "UKR",
        "family": "155mm-nato",
        "quantity": "10",
        "priority": "3",
        "needed_by": "2024-05-01",
        field: value,
    }
    with pytest.raises(InvalidInput, match=message) as info:
        add_requests(store.uow(), CALLER, [(7, "line 7", data)], source="r.csv")
    assert info.value.field == field and info.value.line == 7


def test_duplicate_id_is_refused(store: Store) -> None:
    data = {
        "id": "R-2023-155",
        "recipient": "UKR",
        "family": "155mm-nato",
        "quantity": "1",
        "priority": "3",
        "needed_by": "2024-05-01",
    }
    with pytest.raises(InvalidInput, match="already exists"):
        add_requests(store.uow(), CALLER, [(2, "line 2", data)])


def test_allocation_round_trip_keeps_state(store: Store) -> None:
    uow = store.uow()
    with uow:
        alloc = Allocation("A-1", "O-EST-D30", "R-2022-122T", 100, needs_consent=True)
        alloc.advance(AllocationStatus.PLEDGED)
        uow.allocations.add(alloc)
        uow.ledger.append(user="t", nation="EST", kind="allocation.pledged", payload={"id": "A-1"})
        uow.commit()
    uow = store.uow()
    with uow:
        got = uow.allocations.get("A-1")
        assert got is not None and got.status is AllocationStatus.PLEDGED and got.needs_consent


def test_integrity_error_becomes_conflict(store: Store) -> None:
    uow = store.uow()
    with pytest.raises(Conflict), uow:
        uow.allocations.add(Allocation("A-2", "NO-SUCH-OFFER", "R-2022-122T", 1))
        uow.commit()


def test_ledger_detects_altered_payload(store: Store) -> None:
    add_requests(
        store.uow(),
        CALLER,
        [
            (
                None,
                "x",
                {
                    "id": f"R-L{i}",
                    "recipient": "UKR",
                    "family": "fuel",
                    "quantity": "5",
                    "priority": "2",
                    "needed_by": "2024-05-01",
                },
            )
            for i in range(3)
        ],
    )
    count = verify_chain(store.uow())
    assert count >= 4
    entries = list(ledger_rows(store.uow()))
    assert [e["seq"] for e in entries] == list(range(1, count + 1))
    target = entries[2]["seq"]
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE ledger_entries SET payload = :p WHERE seq = :s"),
            {"p": '{"id": "forged"}', "s": target},
        )
    with pytest.raises(LedgerIntegrityError) as info:
        verify_chain(store.uow())
    assert info.value.seq == target


def test_ledger_detects_deleted_tail(store: Store) -> None:
    add_requests(
        store.uow(),
        CALLER,
        [
            (
                None,
                "x",
                {
                    "id": "R-T1",
                    "recipient": "UKR",
                    "family": "fuel",
                    "quantity": "5",
                    "priority": "2",
                    "needed_by": "2024-05-01",
                },
            )
        ],
    )
    count = verify_chain(store.uow())
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE seq = :s"), {"s": count})
    with pytest.raises(LedgerIntegrityError) as info:
        verify_chain(store.uow())
    assert info.value.seq == count
