"""Collective decision rules: pure functions of the participants and their positions.

The same rulebook serves the clearinghouse (one case at a time) and the lab (in bulk).

* ``consensus-silence`` (NATO's North Atlantic Council): a text circulates with a
  deadline and is adopted unless a participant breaks silence (``no``) before it.
  Participants not named stay silent.
* ``unanimity`` (EU common foreign and security policy): adopted unless a participant
  votes against; abstention does not block ("constructive abstention"); participants
  not named count as silent, which does not block either.
* ``qmv`` (EU qualified majority): adopted when at least 55% of the member states vote
  in favour and they represent at least 65% of the EU population. A blocking minority
  needs at least four states, so when fewer than four states do not vote in favour
  (against, abstaining or not voting: under QMV an abstention weighs as a no) the
  population condition counts as met. Both thresholds are compared exactly (integer
  arithmetic). The Council uses its own yearly population figures; ``allied`` uses the
  World Bank's for the year before the vote, which differ slightly. (The 72% threshold
  for acts not proposed by the Commission is not modelled.)
* ``coalition`` (contact group): no veto; those who opt in (``yes``) act, and the
  outcome names them; adopted when at least one participant opts in.
* ``national``: one state decides alone; adopted when it says yes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from allied.domain.errors import InvalidInput


class Rule(StrEnum):
    CONSENSUS_SILENCE = "consensus-silence"
    UNANIMITY = "unanimity"
    QMV = "qmv"
    COALITION = "coalition"
    NATIONAL = "national"


class Position(StrEnum):
    YES = "yes"
    NO = "no"  # a vote against; under consensus-silence, breaking silence
    ABSTAIN = "abstain"
    SILENT = "silent"  # not named


RULES = frozenset(r.value for r in Rule)

QMV_STATES_PCT = 55
QMV_POPULATION_PCT = 65
QMV_BLOCKING_MINORITY = 4


@dataclass(frozen=True)
class Outcome:
    rule: Rule
    adopted: bool
    participants: tuple[str, ...]
    yes: tuple[str, ...]
    no: tuple[str, ...]
    abstain: tuple[str, ...]
    silent: tuple[str, ...]
    blocking: tuple[str, ...]
    reason: str
    detail: dict[str, float | int | bool] = field(default_factory=dict)

    @property
    def against(self) -> tuple[str, ...]:
        """The blocking participants who said so: voted against or broke silence (and,
        under QMV, where an abstention weighs as a no, abstained)."""
        silent = set(self.silent)
        return tuple(a for a in self.blocking if a not in silent)

    @property
    def not_heard(self) -> tuple[str, ...]:
        """The blocking participants who have not spoken: under QMV (or a national
        decision) a state that has not voted is not in favour, so while the proposal is
        open the outcome waits for their votes; they block nothing by a stated position."""
        silent = set(self.silent)
        return tuple(a for a in self.blocking if a in silent)

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule.value,
            "adopted": self.adopted,
            "participants": len(self.participants),
            "yes": list(self.yes),
            "no": list(self.no),
            "abstain": list(self.abstain),
            "silent": list(self.silent),
            "blocking": list(self.blocking),
            "reason": self.reason,
            **self.detail,
        }


#: The rules each organisation decides by: the North Atlantic Council by consensus (the
#: silence procedure), the EU Council by unanimity or by qualified majority (the EU's
#: thresholds and population), the contact group and the G7 by whoever opts in (the G7
#: also by consensus). A state decides alone (``national``); another organisation by any
#: rule but QMV (its thresholds are the EU's) and ``national``.
FORUM_RULES: dict[str, tuple[Rule, ...]] = {
    "NATO": (Rule.CONSENSUS_SILENCE,),
    "EU": (Rule.UNANIMITY, Rule.QMV),
    "UDCG": (Rule.COALITION,),
    "G7": (Rule.CONSENSUS_SILENCE, Rule.COALITION),
}
OTHER_ORGANISATION_RULES = (Rule.CONSENSUS_SILENCE, Rule.UNANIMITY, Rule.COALITION)


def rules_for(forum: str, *, state: bool) -> tuple[Rule, ...]:
    """The rules ``forum`` decides by (``state``: the forum is a state)."""
    if state:
        return (Rule.NATIONAL,)
    return FORUM_RULES.get(forum, OTHER_ORGANISATION_RULES)


def forums_deciding_by(rule: Rule) -> str:
    """Who decides by ``rule``, in words (what a form offering the rule says beside it)."""
    if rule is Rule.NATIONAL:
        return "a state alone"
    named = [f for f, rules in FORUM_RULES.items() if rule in rules]
    if rule in OTHER_ORGANISATION_RULES:
        named.append("other organisations")
    return ", ".join(named)


def check_forum_rule(forum: str, rule: Rule, *, state: bool) -> None:
    """Refuse a rule the forum does not decide by, naming the field ``rule``."""
    allowed = rules_for(forum, state=state)
    if rule not in allowed:
        who = f"{forum} (a state) decides" if state else f"{forum} decides"
        raise InvalidInput(
            f"{who} by {' or '.join(r.value for r in allowed)}, not {rule.value}",
            field="rule",
        )


def parse_rule(value: object, field: str = "rule") -> Rule:
    if not isinstance(value, str) or value.strip() not in RULES:
        raise InvalidInput(
            f"unknown decision rule {value!r}; expected one of {', '.join(sorted(RULES))}",
            field=field,
        )
    return Rule(value.strip())


def evaluate(
    rule: Rule,
    participants: Sequence[str],
    positions: Mapping[str, Position],
    *,
    population: Mapping[str, int] | None = None,
) -> Outcome:
    """Apply ``rule`` to the ``positions`` of ``participants``.

    Raises ``InvalidInput`` when a position is given for someone who is not a
    participant (the field named is the position: ``yes``, ``no`` or ``abstain``), when
    ``national`` has other than one participant, or when ``qmv`` lacks a population.
    """
    parts = tuple(sorted(set(participants)))
    if not parts:
        raise InvalidInput("no participants on that date", field="participants")
    for actor, pos in positions.items():
        if actor not in parts:
            raise InvalidInput(
                f"{actor} is not a participant on that date", field=Position(pos).value
            )
    # the positions given (a few) made Positions once; everyone else is silent
    given = {actor: Position(pos) for actor, pos in positions.items()}
    by = {p: given.get(p, Position.SILENT) for p in parts}
    yes = tuple(p for p in parts if by[p] is Position.YES)
    no = tuple(p for p in parts if by[p] is Position.NO)
    abstain = tuple(p for p in parts if by[p] is Position.ABSTAIN)
    silent = tuple(p for p in parts if by[p] is Position.SILENT)

    def outcome(
        adopted: bool, blocking: tuple[str, ...], reason: str, **detail: float | int | bool
    ) -> Outcome:
        return Outcome(rule, adopted, parts, yes, no, abstain, silent, blocking, reason, detail)

    if rule in (Rule.CONSENSUS_SILENCE, Rule.UNANIMITY):
        if no:
            verb = "broke silence" if rule is Rule.CONSENSUS_SILENCE else "voted against"
            return outcome(False, no, f"{', '.join(no)} {verb}")
        return outcome(True, (), "no participant objected")
    if rule is Rule.COALITION:
        if yes:
            return outcome(True, (), f"{len(yes)} opted in and act")
        return outcome(False, (), "nobody opted in")
    if rule is Rule.NATIONAL:
        if len(parts) != 1:
            raise InvalidInput("a national decision has exactly one participant", field="org")
        return outcome(bool(yes), () if yes else parts, "decided yes" if yes else "did not agree")
    # QMV
    if population is None:
        raise InvalidInput("qualified majority needs population figures", field="population")
    missing = [p for p in parts if p not in population]
    if missing:
        raise InvalidInput(f"no population figure for {', '.join(missing)}", field="population")
    n = len(parts)
    pop_total = sum(population[p] for p in parts)
    pop_yes = sum(population[p] for p in yes)
    not_in_favour = n - len(yes)
    states_ok = len(yes) * 100 >= QMV_STATES_PCT * n
    pop_ok = pop_total > 0 and pop_yes * 100 >= QMV_POPULATION_PCT * pop_total
    minority_too_small = not_in_favour < QMV_BLOCKING_MINORITY
    adopted = states_ok and (pop_ok or minority_too_small)
    against = tuple(p for p in parts if by[p] is not Position.YES)
    if adopted:
        reason = (
            "qualified majority reached"
            if pop_ok
            else f"population short but only {not_in_favour} states not in favour "
            f"(a blocking minority needs {QMV_BLOCKING_MINORITY})"
        )
    elif not states_ok:
        reason = f"{len(yes)} of {n} states in favour, below {QMV_STATES_PCT}%"
    else:
        reason = f"states in favour hold under {QMV_POPULATION_PCT}% of the population"
    return outcome(
        adopted,
        () if adopted else against,
        reason,
        share_states=round(len(yes) / n, 6),
        share_population=round(pop_yes / pop_total, 6) if pop_total else 0.0,
        states_condition=states_ok,
        population_condition=pop_ok or minority_too_small,
    )
