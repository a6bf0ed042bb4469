"""Proposals before a forum and accessions: circulation, positions, steps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from allied.domain.errors import InvalidInput, NotFound, PermissionDenied
from allied.domain.proposals import ProposalHead, ProposalStatus
from allied.domain.rules import Position, Rule
from allied.domain.users import (
    Action,
    UserRole,
    require,
    require_own_nation,
)
from allied.domain.visibility import Viewer
from allied.service import governance
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork
from allied.service.usecases.common import (
    Page,
    page,
    viewer,
)


def list_proposals(
    uow: UnitOfWork, caller: Caller, day: dt.date, *, limit: int = 50, offset: int = 0
) -> Page:
    with uow:
        v = viewer(uow, caller, day)
        rows = governance.proposal_views_on(
            uow, [p for p in sorted(uow.proposals.list(), key=lambda p: p.id)
                  if v.sees_proposal(p)], day
        )
    return page(rows, limit, offset)


def open_proposals(uow: UnitOfWork, caller: Caller, day: dt.date) -> list[dict[str, Any]]:
    """The proposals visible to the caller that are open on ``day`` (the rows
    :func:`list_proposals` shows with status ``open``: recorded open, deadline not passed),
    by id, as recorded and without the positions taken (a list of what waits, not of how
    it stands): ``id``, ``forum``, ``rule``, ``title``, ``version``, ``status``,
    ``circulated_on``, ``deadline`` and ``participants`` (how many) as
    :func:`list_proposals` gives them."""
    with uow:
        return [_head_view(h) for h in open_heads(uow, viewer(uow, caller, day), day)]


def _head_view(head: ProposalHead) -> dict[str, Any]:
    return {"id": head.id, "forum": head.forum, "rule": head.rule.value, "title": head.title,
            "version": head.version, "status": head.status.value,
            "circulated_on": head.circulated_on.isoformat(),
            "deadline": head.deadline.isoformat(), "participants": len(head.participants)}


@runtime_checkable
class OpenProposalReads(Protocol):
    """A store that reads the open proposals without their positions (SQL)."""

    def open_proposal_heads(self) -> list[ProposalHead]:
        """Every proposal recorded open, by id."""
        ...

    def positions_taken(self, actor: str) -> set[str]:
        """The ids of the proposals recorded open on whose current version ``actor`` has
        taken a position."""
        ...

    def current_positions(self) -> dict[str, dict[str, Position]]:
        """Per proposal recorded open, the latest position of each participant on its
        current version."""
        ...


def recorded_open(
    uow: UnitOfWork,
) -> tuple[list[ProposalHead], dict[str, dict[str, Position]]]:
    """Every proposal recorded open, by id, and the positions taken on each one's current
    version (those with any; inside ``with uow``): read as rows where the store can
    (:class:`OpenProposalReads`), else taken from the records."""
    if isinstance(uow, OpenProposalReads):
        return uow.open_proposal_heads(), uow.current_positions()
    records = sorted(uow.proposals.list(status=ProposalStatus.OPEN), key=lambda p: p.id)
    return [p.head() for p in records], {p.id: pos for p in records if (pos := p.positions())}


def _open_on(heads: list[ProposalHead], v: Viewer, day: dt.date) -> list[ProposalHead]:
    """Of ``heads``, those ``v`` sees whose deadline has not passed on ``day``."""
    return [h for h in heads if v.sees_proposal(h) and not h.due_on(day)]


def open_heads(uow: UnitOfWork, v: Viewer, day: dt.date) -> list[ProposalHead]:
    """The proposals open on ``day`` (recorded open, deadline not passed) that ``v`` sees,
    by id, without their positions (inside ``with uow``)."""
    if isinstance(uow, OpenProposalReads):  # no position read
        return _open_on(uow.open_proposal_heads(), v, day)
    return _open_on(recorded_open(uow)[0], v, day)


def awaiting_position(uow: UnitOfWork, v: Viewer, day: dt.date) -> list[ProposalHead]:
    """The proposals open on ``day`` that ``v``'s nation takes part in and has taken no
    position on (their current version), by id (inside ``with uow``)."""
    nation = v.nation
    if not nation:
        return []
    if isinstance(uow, OpenProposalReads):  # only the nation's positions read
        heads, taken = uow.open_proposal_heads(), uow.positions_taken(nation)
    else:
        heads, positions = recorded_open(uow)
        taken = {i for i, given in positions.items() if nation in given}
    return [h for h in _open_on(heads, v, day)
            if nation in h.participants and h.id not in taken]


def get_proposal(uow: UnitOfWork, caller: Caller, day: dt.date, proposal_id: str) -> dict[str, Any]:
    with uow:
        v = viewer(uow, caller, day)
        p = uow.proposals.get(proposal_id)
        if p is None or not v.sees_proposal(p):
            raise NotFound(f"no proposal {proposal_id!r}")
        return governance.proposal_view_on(uow, p, day)


def propose(uow: UnitOfWork, caller: Caller, **kwargs: Any) -> dict[str, Any]:
    require(caller.role, Action.DECIDE)
    return governance.circulate_proposal(uow, caller, **kwargs)


#: Roles that may record a position on a proposal (a national role for its own nation).
STATES_POSITIONS = frozenset(
    {UserRole.COORDINATOR, UserRole.DONOR, UserRole.ORIGIN, UserRole.RECIPIENT}
)


def take_position(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    proposal_id: str,
    *,
    actor: str,
    position: str,
    reason: str = "",
) -> dict[str, Any]:
    """The coordinator records any participant's position; a national user its own.
    Auditors and admins never speak for a nation, even when they have one."""
    if caller.role not in STATES_POSITIONS:
        raise PermissionDenied(f"a {caller.role} may not take a position on a proposal")
    if caller.role != UserRole.COORDINATOR:
        require_own_nation(caller.role, caller.nation, actor, "position")
    with uow:
        v = viewer(uow, caller, day)
        p = uow.proposals.get(proposal_id)
        if p is None or not v.sees_proposal(p):
            raise NotFound(f"no proposal {proposal_id!r}")
    try:
        pos = Position(position)
    except ValueError:
        raise InvalidInput(
            f"expected one of {', '.join(x.value for x in Position)}; got {position!r}",
            field="position",
        ) from None
    return governance.record_position(
        uow, caller, proposal_id, actor=actor, position=pos, on=day, reason=reason
    )


def list_accessions(
    uow: UnitOfWork, caller: Caller, day: dt.date, *, limit: int = 50, offset: int = 0
) -> Page:
    with uow:
        viewer(uow, caller, day)
        rows = [a.summary(day) for a in sorted(uow.accessions.list(), key=lambda a: a.id)]
    return page(rows, limit, offset)


def accession_step(
    uow: UnitOfWork, caller: Caller, accession_id: str, step: str, *, today: dt.date,
    **kwargs: Any,
) -> dict[str, Any]:
    """A step of an accession on ``on`` (``kwargs``), no later than ``today``."""
    require(caller.role, Action.ACCESSION)
    return governance.record_accession_step(
        uow, caller, accession_id, step, today=today, **kwargs
    )


def evaluate_decision(
    uow: UnitOfWork,
    caller: Caller,
    rule: Rule,
    forum: str,
    day: dt.date,
    *,
    yes: Sequence[str] = (),
    no: Sequence[str] = (),
    abstain: Sequence[str] = (),
) -> dict[str, Any]:
    """A decision rule applied to positions on a day (nothing is stored): public rules
    over public memberships, for every reader."""
    require(caller.role, Action.READ)
    return governance.evaluate_decision(uow, rule, forum, day, yes=yes, no=no, abstain=abstain)


def revise_proposal(
    uow: UnitOfWork,
    caller: Caller,
    proposal_id: str,
    *,
    text: str,
    on: dt.date,
    deadline: dt.date,
) -> dict[str, Any]:
    """A new version of an open proposal: the clock restarts and positions clear."""
    require(caller.role, Action.DECIDE)
    return governance.revise(uow, caller, proposal_id, text=text, on=on, deadline=deadline)


def withdraw_proposal(
    uow: UnitOfWork, caller: Caller, proposal_id: str, *, on: dt.date, reason: str = ""
) -> dict[str, Any]:
    """Withdraw an open proposal; the reason, when given, is in the ledger entry."""
    require(caller.role, Action.DECIDE)
    return governance.withdraw(uow, caller, proposal_id, on=on, reason=reason)


def decision_status(uow: UnitOfWork, caller: Caller, day: dt.date) -> dict[str, Any]:
    """Every proposal and every accession as they stand on ``day`` (a query: a proposal
    past its deadline shows the outcome fixed at the deadline and records nothing)."""
    require(caller.role, Action.DECIDE)
    return governance.status(uow, caller, day)


def close_proposals(
    uow: UnitOfWork, caller: Caller, today: dt.date, proposal_id: str | None = None
) -> list[dict[str, Any]]:
    """Record the closing of every open proposal (or the one named) whose deadline has
    passed on ``today``, the real date (``allied decide close``)."""
    require(caller.role, Action.DECIDE)
    return governance.close_due(uow, caller, today, proposal_id)
