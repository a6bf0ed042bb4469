"""Ledger kinds are defined once, each payload a versioned schema of its own."""

from __future__ import annotations

import datetime as dt

import pytest

from allied.domain.assistance import Allocation, AllocationStatus
from allied.domain.errors import LedgerIntegrityError
from allied.ledger import kinds
from allied.ledger.chain import normalise_payload


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


def test_only_pledges_leave_the_records_version() -> None:
    assert {kinds.ALLOCATION_PLEDGED} == kinds.ALLOCATIONS_ONLY


def test_stored_fields_come_through_the_creation_payload() -> None:
    alloc = Allocation("AL-1", "O-1", "R-1", 5)
    alloc.updated_at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert kinds.stored_fields("allocations", alloc) == {
        "offer": "O-1", "request": "R-1", "quantity": 5, "status": "proposed",
        "needs_consent": False,
    }
