"""The open proposals as lists of them show them, read in SQL without their positions
(see :class:`allied.service.usecases.proposals.OpenProposalReads`): a home page lists
every open proposal and asks which await a nation's position, where loading each
proposal with all its stances as records cost more than the rest of the list.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from allied.adapters.db.tables import proposals, stances
from allied.domain.proposals import ProposalHead, ProposalStatus
from allied.domain.rules import Position


class ProposalQueries:
    """:class:`~allied.service.usecases.proposals.OpenProposalReads` for the SQL unit of
    work (its ``session`` is open inside ``with uow``)."""

    session: Session

    def open_proposal_heads(self) -> list[ProposalHead]:
        """Every proposal recorded open, by id (whatever its deadline; in the order of
        the ids' characters, as the records are sorted, whatever the database's
        collation)."""
        p = proposals.c
        rows = self.session.execute(
            select(p.id, p.forum, p.rule, p.title, p.circulated_on, p.deadline,
                   p.participants, p.version, p.status)
            .where(p.status == ProposalStatus.OPEN)
        )
        return sorted((ProposalHead(*row) for row in rows), key=lambda h: h.id)

    def positions_taken(self, actor: str) -> set[str]:
        """The ids of the proposals recorded open on whose current version ``actor`` has
        taken a position (a stance of that version, as ``Proposal.current_stances``)."""
        s = stances.c
        return set(self.session.scalars(
            _current(select(s.proposal_id).distinct()).where(s.actor == actor)))

    def current_positions(self) -> dict[str, dict[str, Position]]:
        """Per proposal recorded open, the position of each participant that has taken
        one on its current version: the latest (``Proposal.positions``)."""
        s = stances.c
        out: dict[str, dict[str, Position]] = {}
        for proposal, actor, position in self.session.execute(
            _current(select(s.proposal_id, s.actor, s.position))
            .order_by(s.proposal_id, s.seq)
        ):
            out.setdefault(proposal, {})[actor] = position
        return out


def _current(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` over the stances of the proposals recorded open taken on their current
    version (``Proposal.current_stances``)."""
    p, s = proposals.c, stances.c
    return (stmt.select_from(stances.join(proposals, and_(p.id == s.proposal_id,
                                                          p.version == s.version)))
            .where(p.status == ProposalStatus.OPEN))
