"""Table-driven edge cases of every decision rule."""

from __future__ import annotations

import pytest

from allied.domain.errors import InvalidInput
from allied.domain.rules import Position, Rule, evaluate, parse_rule

Y, N, A = Position.YES, Position.NO, Position.ABSTAIN
STATES27 = [f"S{i:02d}" for i in range(27)]


def _pos(yes: int = 0, no: int = 0, abstain: int = 0) -> dict[str, Position]:
    out: dict[str, Position] = {}
    for i in range(yes):
        out[STATES27[i]] = Y
    for i in range(yes, yes + no):
        out[STATES27[i]] = N
    for i in range(yes + no, yes + no + abstain):
        out[STATES27[i]] = A
    return out


@pytest.mark.parametrize(
    ("rule", "positions", "adopted", "blocking"),
    [
        (Rule.CONSENSUS_SILENCE, {}, True, ()),
        (Rule.CONSENSUS_SILENCE, {"B": N}, False, ("B",)),
        (Rule.CONSENSUS_SILENCE, {"A": Y, "C": N, "B": N}, False, ("B", "C")),
        (Rule.UNANIMITY, {"A": A, "B": A, "C": A}, True, ()),
        (Rule.UNANIMITY, {"A": Y, "B": A}, True, ()),
        (Rule.UNANIMITY, {"A": Y, "B": Y, "C": N}, False, ("C",)),
        (Rule.COALITION, {"A": Y, "B": N}, True, ()),
        (Rule.COALITION, {"A": N, "B": N}, False, ()),
        (Rule.COALITION, {}, False, ()),
    ],
)
def test_veto_and_coalition_rules(
    rule: Rule, positions: dict[str, Position], adopted: bool, blocking: tuple[str, ...]
) -> None:
    out = evaluate(rule, ["A", "B", "C"], positions)
    assert out.adopted is adopted
    assert out.blocking == blocking
    assert len(out.participants) == 3
    assert set(out.yes) | set(out.no) | set(out.abstain) | set(out.silent) == {"A", "B", "C"}


def test_coalition_names_who_acts() -> None:
    out = evaluate(Rule.COALITION, ["A", "B", "C"], {"C": Y, "A": Y})
    assert out.yes == ("A", "C") and "2 opted in" in out.reason


@pytest.mark.parametrize(
    ("positions", "adopted"),
    [({"DEU": Y}, True), ({"DEU": N}, False), ({}, False), ({"DEU": A}, False)],
)
def test_national(positions: dict[str, Position], adopted: bool) -> None:
    assert evaluate(Rule.NATIONAL, ["DEU"], positions).adopted is adopted


def test_national_needs_one_participant() -> None:
    with pytest.raises(InvalidInput, match="exactly one"):
        evaluate(Rule.NATIONAL, ["DEU", "FRA"], {})


EQUAL = {s: 100 for s in STATES27}


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "population", "adopted", "why"),
    [
        # 15 of 27 = 55.6% >= 55%: states condition met; 14 = 51.9% is not
        (15, 0, 0, EQUAL, False, "population"),  # 15/27 of population = 55.6% < 65%
        (18, 0, 0, EQUAL, True, "reached"),  # 66.7% of states and of population
        (17, 0, 0, EQUAL, False, "population"),  # 63.0% of population
        (14, 0, 0, EQUAL, False, "below 55%"),
        # fewer than 4 states not in favour: the population condition counts as met
        (24, 3, 0, {**EQUAL, "S00": 1}, True, "reached"),
        (24, 0, 3, {s: (1 if i < 24 else 1000) for i, s in enumerate(STATES27)}, True,
         "only 3 states not in favour"),
        (23, 4, 0, {s: (1 if i < 23 else 1000) for i, s in enumerate(STATES27)}, False,
         "population"),
        # abstention weighs as a no under QMV
        (14, 0, 13, EQUAL, False, "below 55%"),
    ],
)
def test_qmv_thresholds(
    yes: int, no: int, abstain: int, population: dict[str, int], adopted: bool, why: str
) -> None:
    out = evaluate(Rule.QMV, STATES27, _pos(yes, no, abstain), population=population)
    assert out.adopted is adopted
    assert why in out.reason
    if not adopted:
        assert len(out.blocking) == 27 - yes


def test_qmv_population_threshold_is_exact() -> None:
    # 20 states in favour holding exactly 65% of the population: adopted; one person less: not
    pop = {s: 0 for s in STATES27}
    for i, s in enumerate(STATES27):
        pop[s] = 65 if i == 0 else 0
    pop[STATES27[26]] = 35
    exact = evaluate(Rule.QMV, STATES27, _pos(20), population=pop)
    assert exact.adopted is True
    pop[STATES27[0]] = 64
    pop[STATES27[26]] = 36
    assert evaluate(Rule.QMV, STATES27, _pos(20), population=pop).adopted is False


def test_qmv_needs_population_for_every_participant() -> None:
    with pytest.raises(InvalidInput, match="no population figure for S26"):
        evaluate(Rule.QMV, STATES27, {}, population={s: 1 for s in STATES27[:26]})


def test_positions_of_non_participants_are_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        evaluate(Rule.UNANIMITY, ["A", "B"], {"Z": N})
    assert info.value.field == "no" and "Z is not a participant" in str(info.value)


def test_unknown_rule_is_named() -> None:
    with pytest.raises(InvalidInput, match="unknown decision rule 'majority'"):
        parse_rule("majority")
