"""Which actions a caller may take on a record now, named as verbs (pure rules).

The dashboard offers only these: a button that would answer 403 or an illegal move is
never shown. The service re-checks every action when it is taken; these rules say the
same thing beforehand, from the role's moves (:data:`~allied.domain.users.DONOR_MOVES`,
:data:`~allied.domain.users.RECIPIENT_MOVES`), the lifecycle
(:data:`~allied.domain.assistance.TRANSITIONS`), ownership (a national role acts for its
own nation) and, for an approval that needs re-export consent, the consent's state.

Irreversible actions (withdraw, reject, report lost, deny consent, withdraw or close a
record) are marked: they ask for a confirmation and a reason, which the ledger records.
"""

from __future__ import annotations

from dataclasses import dataclass

from allied.domain.assistance import TRANSITIONS, AllocationStatus, RecordStatus
from allied.domain.consent import ConsentStatus
from allied.domain.users import Action, UserRole, may, may_move_allocation

S = AllocationStatus

#: An allocation's move to a status, as a verb.
MOVE_VERBS: dict[AllocationStatus, str] = {
    S.PROPOSED: "Propose",
    S.PLEDGED: "Pledge",
    S.CONSENT_PENDING: "Ask for consent",
    S.APPROVED: "Approve",
    S.SHIPPED: "Mark shipped",
    S.DELIVERED: "Confirm receipt",
    S.IN_REPAIR: "Send for repair",
    S.RETURNED: "Mark returned",
    S.LOST: "Report lost",
    S.REJECTED: "Reject",
    S.WITHDRAWN: "Withdraw",
}

#: Moves that cannot be undone (no move leads out of them).
IRREVERSIBLE_MOVES = frozenset(s for s, after in TRANSITIONS.items() if not after)


@dataclass(frozen=True)
class Offered:
    """An action offered on a record: ``name`` is what the service is asked (a status, an
    answer, ``withdraw``...), ``verb`` its label; ``irreversible`` ones ask for a
    confirmation and a reason."""

    name: str
    verb: str
    irreversible: bool = False


def allocation_actions(
    role: str,
    nation: str,
    *,
    status: str,
    needs_consent: bool,
    donor: str,
    recipient: str,
    consent: ConsentStatus | None = None,
) -> list[Offered]:
    """The moves ``role`` (of ``nation``) may make on an allocation of ``donor``'s offer to
    ``recipient``'s request, in lifecycle order. ``consent`` is the combined answer of
    its origin states (for one that needs consent): approval is offered only once the
    allocation is consent-pending and every origin has granted."""
    if not may(role, Action.ADVANCE_ALLOCATION):
        return []
    if role == UserRole.DONOR and donor != nation:
        return []
    if role == UserRole.RECIPIENT and recipient != nation:
        return []
    try:
        now = AllocationStatus(status)
    except ValueError:
        return []
    order = list(AllocationStatus)
    out = []
    for to in sorted(TRANSITIONS[now], key=order.index):
        if not may_move_allocation(role, to.value):
            continue
        if to is S.CONSENT_PENDING and not needs_consent:
            continue
        if to is S.APPROVED and needs_consent and (
            now is not S.CONSENT_PENDING or consent is not ConsentStatus.GRANTED
        ):
            continue
        out.append(Offered(to.value, MOVE_VERBS[to], to in IRREVERSIBLE_MOVES))
    return out


def consent_actions(role: str, nation: str, *, origin: str, status: str) -> list[Offered]:
    """An origin state answers a consent request naming it while it is pending."""
    if not may(role, Action.ANSWER_CONSENT) or not nation or origin != nation:
        return []
    if status != ConsentStatus.PENDING.value:
        return []
    return [
        Offered(ConsentStatus.GRANTED.value, "Grant consent"),
        Offered(ConsentStatus.DENIED.value, "Deny consent", irreversible=True),
    ]


def record_actions(role: str, nation: str, *, kind: str, owner: str, status: str) -> list[Offered]:
    """Amend, withdraw (and for a request, close) an open request or offer: its owner's
    nation or the coordinator; and pledge an open offer (its donor or the coordinator)."""
    create = Action.CREATE_REQUEST if kind == "request" else Action.CREATE_OFFER
    if status != RecordStatus.OPEN.value or not may(role, create):
        return []
    if role != UserRole.COORDINATOR and (not nation or owner != nation):
        return []
    out = [Offered("amend", "Amend")]
    if kind == "offer" and may(role, Action.PLEDGE):
        out.append(Offered("pledge", "Pledge"))
    out.append(Offered("withdraw", "Withdraw", irreversible=True))
    if kind == "request":
        out.append(Offered("close", "Close", irreversible=True))
    return out


def proposal_actions(role: str, nation: str, *, status: str, participant: bool) -> list[Offered]:
    """A position on an open proposal: the coordinator for any participant, a national
    role for its own nation when it takes part."""
    if status != "open":
        return []
    national = role in (UserRole.DONOR, UserRole.ORIGIN, UserRole.RECIPIENT)
    if role == UserRole.COORDINATOR or (national and nation and participant):
        return [Offered("position", "Record a position")]
    return []


__all__ = [
    "IRREVERSIBLE_MOVES",
    "MOVE_VERBS",
    "Offered",
    "allocation_actions",
    "consent_actions",
    "proposal_actions",
    "record_actions",
]
