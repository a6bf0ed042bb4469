"""Proposals put to a forum under a decision rule, with a deadline.

A proposal circulates on a date among the forum's participants on that date (the
members of the organisation, or the state itself for a national decision) with a
deadline, the last day on which participants may speak. Participants break silence
(``no``), vote ``yes``, ``no`` or ``abstain``, each with a reason. A revision makes a
new version, restarts the clock with a new deadline and clears the positions taken on
the old text. The proposer may withdraw it while open. Once the deadline has passed,
the outcome is fixed (positions are frozen at the deadline): a read on any later day
shows it (:meth:`Proposal.status_on`) without changing the proposal, and closing
records it (:meth:`Proposal.close_if_due`), by an explicit command on the real date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from allied.domain.errors import IllegalTransition, InvalidInput
from allied.domain.rules import Outcome, Position, Rule, evaluate

#: The latest deadline a proposal may have: a year after it circulates (or is revised).
MAX_DEADLINE_DAYS = 365


def check_deadline(on: dt.date, deadline: dt.date, what: str = "circulation") -> None:
    """A deadline on or after ``on`` and at most :data:`MAX_DEADLINE_DAYS` later."""
    if deadline < on:
        raise InvalidInput(f"deadline {deadline} is before {what} {on}", field="deadline")
    latest = on + dt.timedelta(days=MAX_DEADLINE_DAYS)
    if deadline > latest:
        raise InvalidInput(
            f"deadline {deadline} is more than a year after {what} {on}; "
            f"choose a day up to {latest}",
            field="deadline",
        )


def reason_required(rule: Rule, position: Position) -> str:
    """What a position is called when it must give a reason (breaking silence under
    consensus, a veto under unanimity), else ``""``: an objection is explained."""
    if position is not Position.NO:
        return ""
    if rule is Rule.CONSENSUS_SILENCE:
        return "breaking silence"
    if rule is Rule.UNANIMITY:
        return "a vote against (a veto)"
    return ""


class ProposalStatus(StrEnum):
    OPEN = "open"
    ADOPTED = "adopted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


@dataclass(eq=False)
class Stance:
    proposal_id: str
    seq: int  # order within the proposal, from 1
    version: int
    actor: str
    position: Position
    on: dt.date
    reason: str = ""


@dataclass(frozen=True)
class ProposalHead:
    """What a list of proposals waiting shows of one, without its positions: a store may
    read these alone (no stance is read), :meth:`Proposal.head` takes one from a proposal.
    """

    id: str
    forum: str
    rule: Rule
    title: str
    circulated_on: dt.date
    deadline: dt.date
    participants: tuple[str, ...]
    version: int
    status: ProposalStatus

    def due_on(self, day: dt.date) -> bool:
        """As :meth:`Proposal.due_on`."""
        return _due(self.status, self.deadline, day)

    def provisional(
        self, positions: Mapping[str, Position], population: Mapping[str, int] | None = None
    ) -> Outcome:
        """As :meth:`Proposal.provisional`, given the positions taken on the current
        version (``Proposal.positions``)."""
        return evaluate(self.rule, self.participants, positions, population=population)


def _due(status: ProposalStatus, deadline: dt.date, day: dt.date) -> bool:
    return status is ProposalStatus.OPEN and day > deadline


@dataclass(eq=False)
class Proposal:
    id: str
    forum: str
    rule: Rule
    title: str
    circulated_on: dt.date
    deadline: dt.date
    participants: tuple[str, ...]
    proposer: str = ""
    text: str = ""
    version: int = 1
    status: ProposalStatus = ProposalStatus.OPEN
    closed_on: dt.date | None = None
    outcome: str = ""
    stances: list[Stance] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_deadline(self.circulated_on, self.deadline)
        if not self.participants:
            raise InvalidInput(f"{self.forum} has no participants on that date", field="forum")

    def _require_open(self, action: str) -> None:
        if self.status is not ProposalStatus.OPEN:
            raise IllegalTransition(f"proposal {self.id}", self.status.value, action)

    def current_stances(self) -> dict[str, Stance]:
        """The latest stance of each participant on the current version."""
        latest: dict[str, Stance] = {}
        for s in self.stances:
            if s.version == self.version:
                latest[s.actor] = s
        return latest

    def take_position(
        self, actor: str, position: Position | str, on: dt.date, reason: str = ""
    ) -> Stance:
        self._require_open("vote")
        try:
            pos = Position(position)
        except ValueError:
            raise InvalidInput(
                f"unknown position {position!r}; expected yes, no or abstain", field="position"
            ) from None
        if pos is Position.SILENT:
            raise InvalidInput("silence is not a position one takes", field="position")
        if actor not in self.participants:
            raise InvalidInput(
                f"{actor} is not a participant in {self.forum} for proposal {self.id} "
                f"(participants are the members on {self.circulated_on})",
                field="actor",
            )
        if on > self.deadline:
            raise InvalidInput(
                f"the deadline of proposal {self.id} (version {self.version}) was "
                f"{self.deadline}; {on} is too late",
                field="on",
            )
        if on < self.circulated_on:
            raise InvalidInput(
                f"{on} is before the proposal circulated ({self.circulated_on})", field="on"
            )
        if self.rule is Rule.CONSENSUS_SILENCE and pos is Position.ABSTAIN:
            raise InvalidInput(
                "under consensus-silence one keeps silence or breaks it; there is no abstention",
                field="position",
            )
        needs = reason_required(self.rule, pos)
        if needs and not reason.strip():
            raise InvalidInput(f"give a reason for {needs}", field="reason")
        stance = Stance(self.id, len(self.stances) + 1, self.version, actor, pos, on, reason)
        self.stances.append(stance)
        return stance

    def revise(self, text: str, on: dt.date, deadline: dt.date) -> None:
        self._require_open("revise")
        if on > self.deadline:
            raise InvalidInput(
                f"proposal {self.id} passed its deadline {self.deadline}; close it instead",
                field="on",
            )
        check_deadline(on, deadline, "the revision")
        self.version += 1
        self.text = text
        self.circulated_on = on
        self.deadline = deadline

    def withdraw(self, on: dt.date) -> None:
        self._require_open("withdrawn")
        self.status = ProposalStatus.WITHDRAWN
        self.closed_on = on
        self.outcome = "withdrawn by the proposer"

    def positions(self) -> dict[str, Position]:
        return {a: s.position for a, s in self.current_stances().items()}

    def provisional(self, population: Mapping[str, int] | None = None) -> Outcome:
        """What the rule says on the positions taken so far."""
        return evaluate(self.rule, self.participants, self.positions(), population=population)

    def due_on(self, day: dt.date) -> bool:
        """Open, and its deadline has passed on ``day``: the outcome is fixed but not
        yet recorded."""
        return _due(self.status, self.deadline, day)

    def head(self) -> ProposalHead:
        """What a list of proposals waiting shows of this one (:class:`ProposalHead`)."""
        return ProposalHead(self.id, self.forum, self.rule, self.title, self.circulated_on,
                            self.deadline, tuple(self.participants), self.version,
                            self.status)

    def status_on(
        self, day: dt.date, population: Mapping[str, int] | None = None
    ) -> ProposalStatus:
        """The status as it stands on ``day``, without recording anything: an open
        proposal past its deadline stands adopted or rejected as its rule decides."""
        if not self.due_on(day):
            return self.status
        adopted = self.provisional(population).adopted
        return ProposalStatus.ADOPTED if adopted else ProposalStatus.REJECTED

    def close_if_due(
        self, today: dt.date, population: Mapping[str, int] | None = None
    ) -> Outcome | None:
        """Close at the deadline: evaluate and record the outcome. None if not yet due."""
        if self.status is not ProposalStatus.OPEN or today <= self.deadline:
            return None
        result = self.provisional(population)
        self.status = ProposalStatus.ADOPTED if result.adopted else ProposalStatus.REJECTED
        self.closed_on = self.deadline
        self.outcome = result.reason
        return result


def participants_for(rule: Rule, forum: str, members: Sequence[str]) -> tuple[str, ...]:
    """A national decision's only participant is the state itself."""
    if rule is Rule.NATIONAL:
        return (forum,)
    return tuple(sorted(members))
