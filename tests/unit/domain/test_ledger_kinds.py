"""Ledger kinds are defined once, each payload a versioned schema of its own."""

from __future__ import annotations

import datetime as dt

import pytest

from allied.domain.assistance import Allocation, AllocationStatus
from allied.domain.errors import LedgerIntegrityError
from allied.ledger import kinds
from allied.ledger.chain import GENESIS, LedgerEntry, make_entry, normalise_payload


def _pledged() -> dict[str, object]:
    alloc = Allocation("AL-1", "O-1", "R-1", 5, needs_consent=True)
    alloc.advance(AllocationStatus.PLEDGED)
    return normalise_payload(kinds.allocation_pledged(alloc))


def test_a_pledge_payload_is_its_own_schema_not_the_view() -> None:
    payload = _pledged()
    assert payload == {
        "v": 2, "id": "AL-1", "offer": "O-1", "request": "R-1", "quantity": 5,
        "status": "pledged", "needs_consent": True,
    }
    version, parsed = kinds.parse(7, kinds.ALLOCATION_PLEDGED, payload)
    assert version is kinds.KINDS[kinds.ALLOCATION_PLEDGED].versions[1]
    assert parsed.model_dump()["quantity"] == 5


def test_a_payload_without_v_is_version_1() -> None:
    version, _ = kinds.parse(1, kinds.ALLOCATION_PLEDGED, {"id": "AL-1", "from": "proposed",
                                                           "to": "pledged"})
    assert version is kinds.KINDS[kinds.ALLOCATION_PLEDGED].versions[0]


@pytest.mark.parametrize(
    ("kind", "payload", "reason"),
    [
        ("allocation.pledged", {"v": 2, "id": "AL-1", "offer": "O", "quantity": "5"},
         "field quantity"),
        ("allocation.pledged", {"v": 9, "id": "AL-1"}, "unknown payload version 9"),
        ("allocation.pledged", {"v": True, "id": "AL-1"}, "unknown payload version"),
        ("request.priority", {"id": "R-1"}, "field to: Field required"),
        ("allocation.run", {"v": 2, "allocations": ["AL-1"], "made": [{"id": "AL-1"}]},
         "field made.0.offer"),
        ("request.created", {"id": "R", "recipient": "UKR", "family": "fuel", "quantity": 1,
                             "priority": 2, "needed_by": "2024-01-01", "status": "gone"},
         "field status"),
        ("note.made", {}, "unknown kind 'note.made'"),
    ],
)
def test_a_payload_of_the_wrong_shape_is_named(
    kind: str, payload: dict[str, object], reason: str
) -> None:
    with pytest.raises(LedgerIntegrityError, match=reason) as info:
        kinds.parse(42, kind, payload)
    assert info.value.seq == 42


def test_dynamic_kinds_are_checked_names() -> None:
    assert kinds.allocation_kind("shipped") == "allocation.shipped" in kinds.KINDS
    assert kinds.consent_kind("granted") == "consent.granted" in kinds.KINDS
    assert kinds.accession_kind("ratify") == "accession.ratify" in kinds.KINDS
    with pytest.raises(ValueError):
        kinds.allocation_kind("teleported")
    with pytest.raises(ValueError):
        kinds.accession_kind("annex")


def test_only_pledges_and_moves_leave_the_records_version() -> None:
    moves = {kinds.allocation_kind(s) for s in AllocationStatus}
    assert kinds.ALLOCATION_PLEDGED in moves
    assert moves == kinds.ALLOCATIONS_ONLY


def test_stored_fields_come_through_the_creation_payload() -> None:
    alloc = Allocation("AL-1", "O-1", "R-1", 5)
    alloc.updated_at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert kinds.stored_fields("allocations", alloc) == {
        "offer": "O-1", "request": "R-1", "quantity": 5, "status": "proposed",
        "needs_consent": False,
    }


def _entries(*changes: tuple[str, dict[str, object]]) -> list[LedgerEntry]:
    out: list[LedgerEntry] = []
    prev = GENESIS
    for i, (kind, payload) in enumerate(changes, start=1):
        out.append(make_entry(i, prev, user="u", nation="", kind=kind, payload=payload))
        prev = out[-1].hash
    return out


def test_replay_follows_consents_and_allocation_moves() -> None:
    from allied.service.ledger import replay

    consent = {"v": 2, "id": "C-1", "origin": "DEU", "holder": "EST", "family": "122mm-tube",
               "recipient": "UKR", "offer": "O-1", "status": "pending",
               "requested_on": "2024-01-01", "decided_on": None, "expires_on": "2024-02-01",
               "reason": ""}
    entries = _entries(
        ("consent.requested", consent),
        ("consent.requested", consent | {"id": "C-2"}),
        ("consent.denied", {"id": "C-1", "origin": "DEU", "holder": "EST", "on": "2024-01-05",
                            "reason": "no"}),
        ("consent.expired", {"id": "C-2", "expired_on": "2024-02-01"}),
        ("allocation.run", {"v": 2, "allocations": ["AL-1"], "as_of": "2024-01-01",
                            "made": [{"id": "AL-1", "offer": "O-1", "request": "R-1",
                                      "quantity": 4, "needs_consent": True}]}),
        ("allocation.pledged", {"id": "AL-1", "from": "proposed", "to": "pledged"}),
        ("allocation.consent-pending", {"id": "AL-1", "from": "pledged",
                                        "to": "consent-pending"}),
        ("allocation.rejected", {"id": "AL-1", "reason": "re-export consent denied"}),
    )
    records, count, start, problems = replay(iter(entries))
    assert (count, start, problems) == (8, 0, [])
    assert records.by_kind["consents"]["C-1"]["status"] == "denied"
    assert records.by_kind["consents"]["C-2"]["status"] == "expired"
    assert records.by_kind["allocations"]["AL-1"] == {
        "offer": "O-1", "request": "R-1", "quantity": 4, "status": "rejected",
        "needs_consent": True}
    assert records.made_at[("allocations", "AL-1")] == 8


def test_replay_names_a_change_to_a_record_no_entry_made() -> None:
    from allied.service.ledger import replay

    _, _, _, problems = replay(iter(_entries(("request.priority", {"id": "R-9", "to": 2}))))
    assert problems == [(1, "request.priority: changes request R-9, which no entry made")]
    # a later baseline starts again: what came before it no longer counts
    _, _, start, problems = replay(iter(_entries(
        ("request.priority", {"id": "R-9", "to": 2}),
        ("ledger.baseline", {"records": {"requests": {}}}),
    )))
    assert (start, problems) == (2, [])


def test_a_baseline_in_parts_starts_again_at_its_first_part_and_adds_the_others() -> None:
    from allied.service.ledger import replay

    req = {"recipient": "UKR", "family": "f", "quantity": 1, "priority": 1,
           "needed_by": "2024-01-01", "status": "open"}
    records, count, start, problems = replay(iter(_entries(
        ("request.priority", {"id": "R-9", "to": 2}),  # before the baseline: forgotten
        ("ledger.baseline", {"v": 2, "part": 1, "parts": 2,
                             "records": {"requests": {"R-1": req}}}),
        ("ledger.baseline", {"v": 2, "part": 2, "parts": 2,
                             "records": {"requests": {"R-2": req}}}),
        ("request.priority", {"id": "R-1", "to": 5}),
    )))
    assert (count, start, problems) == (4, 2, [])
    assert sorted(records.by_kind["requests"]) == ["R-1", "R-2"]
    assert records.by_kind["requests"]["R-1"]["priority"] == 5
