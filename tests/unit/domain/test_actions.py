"""Only possible actions are offered (:mod:`allied.domain.actions`)."""

from __future__ import annotations

from allied.domain.actions import (
    IRREVERSIBLE_MOVES,
    MOVE_VERBS,
    allocation_actions,
    consent_actions,
    proposal_actions,
    record_actions,
)
from allied.domain.assistance import AllocationStatus
from allied.domain.consent import ConsentStatus


def _moves(role: str, nation: str = "", status: str = "pledged", **kw: object) -> list[str]:
    args: dict[str, object] = {"needs_consent": False, "donor": "EST", "recipient": "UKR"}
    args.update(kw)
    return [a.name for a in allocation_actions(role, nation, status=status, **args)]  # type: ignore[arg-type]


def test_every_status_has_a_verb_and_the_ends_are_irreversible() -> None:
    assert set(MOVE_VERBS) == set(AllocationStatus)
    assert {s.value for s in IRREVERSIBLE_MOVES} == {"rejected", "withdrawn", "lost"}
    assert MOVE_VERBS[AllocationStatus.SHIPPED] == "Mark shipped"
    assert MOVE_VERBS[AllocationStatus.DELIVERED] == "Confirm receipt"


def test_the_lifecycle_moves_each_role_may_make() -> None:
    assert _moves("coordinator", status="proposed") == ["pledged", "rejected", "withdrawn"]
    assert _moves("donor", "EST") == ["withdrawn"]
    assert _moves("donor", "EST", needs_consent=True) == ["consent-pending", "withdrawn"]
    assert _moves("recipient", "UKR", status="shipped") == ["delivered", "lost"]
    assert _moves("origin", "DEU") == []
    assert _moves("auditor") == []
    assert _moves("donor", "EST", status="nonsense") == []


def test_a_nation_is_offered_no_move_on_another_nations_allocation() -> None:
    assert _moves("donor", "GBR", status="approved") == []
    assert _moves("donor", "EST", status="approved") == ["shipped", "withdrawn"]
    assert _moves("recipient", "POL", status="shipped") == []


def test_approval_waits_for_every_origins_consent() -> None:
    assert "approved" not in _moves("coordinator", status="pledged", needs_consent=True)
    for state in (ConsentStatus.PENDING, ConsentStatus.DENIED, ConsentStatus.EXPIRED, None):
        assert "approved" not in _moves(
            "coordinator", status="consent-pending", needs_consent=True, consent=state
        )
    assert _moves(
        "coordinator", status="consent-pending", needs_consent=True, consent=ConsentStatus.GRANTED
    )[0] == "approved"
    assert _moves("coordinator", status="pledged")[0] == "approved"  # no consent needed


def test_only_the_origin_answers_while_pending_and_denial_is_irreversible() -> None:
    offered = consent_actions("origin", "DEU", origin="DEU", status="pending")
    assert [(a.name, a.verb, a.irreversible) for a in offered] == [
        ("granted", "Grant consent", False),
        ("denied", "Deny consent", True),
    ]
    assert consent_actions("origin", "USA", origin="DEU", status="pending") == []
    assert consent_actions("origin", "DEU", origin="DEU", status="granted") == []
    assert consent_actions("coordinator", "", origin="DEU", status="pending") == []


def test_records_are_ended_by_their_owner_or_the_coordinator_while_open() -> None:
    mine = record_actions("recipient", "UKR", kind="request", owner="UKR", status="open")
    assert [a.verb for a in mine] == ["Amend", "Withdraw", "Close"]
    assert [a.irreversible for a in mine] == [False, True, True]
    assert record_actions("recipient", "POL", kind="request", owner="UKR", status="open") == []
    assert record_actions("donor", "EST", kind="request", owner="EST", status="open") == []
    assert record_actions("coordinator", "", kind="request", owner="UKR", status="closed") == []
    offer = record_actions("donor", "EST", kind="offer", owner="EST", status="open")
    assert [a.verb for a in offer] == ["Amend", "Pledge", "Withdraw"]
    assert record_actions("auditor", "", kind="offer", owner="EST", status="open") == []


def test_positions_on_open_proposals_only() -> None:
    assert proposal_actions("donor", "EST", status="open", participant=True)
    assert not proposal_actions("donor", "EST", status="open", participant=False)
    assert not proposal_actions("auditor", "", status="open", participant=False)
    assert not proposal_actions("coordinator", "", status="adopted", participant=False)
    assert proposal_actions("coordinator", "", status="open", participant=False)
