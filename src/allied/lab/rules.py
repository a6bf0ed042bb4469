"""The decision rules of ``allied.domain.rules``, vectorised over Monte Carlo runs.

Positions are coded as small integers in an array of shape ``(runs, actors)``:
``SILENT`` 0, ``YES`` 1, ``NO`` 2, ``ABSTAIN`` 3. ``participants`` is a boolean mask of
shape ``(actors,)`` (the same forum in every run) or ``(runs, actors)``. The kernels
apply exactly the scalar rules (``tests/unit/lab/test_rules_consistency.py`` checks
them against :func:`allied.domain.rules.evaluate` on many sampled cases):

* consensus-silence and unanimity: adopted unless a participant says ``NO``;
* qmv: ``yes * 100 >= 55 * n`` and (``pop_yes * 100 >= 65 * pop_total`` or fewer than
  four participants not in favour), in integers;
* coalition: adopted when at least one participant says ``YES``;
* national: exactly one participant, adopted when it says ``YES``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from allied.domain.errors import InvalidInput
from allied.domain.rules import (
    QMV_BLOCKING_MINORITY,
    QMV_POPULATION_PCT,
    QMV_STATES_PCT,
    Position,
    Rule,
)

SILENT = np.int8(0)
YES = np.int8(1)
NO = np.int8(2)
ABSTAIN = np.int8(3)

CODE_OF: dict[Position, np.int8] = {
    Position.SILENT: SILENT,
    Position.YES: YES,
    Position.NO: NO,
    Position.ABSTAIN: ABSTAIN,
}
POSITION_OF: dict[int, Position] = {int(v): k for k, v in CODE_OF.items()}

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def _check(
    rule: Rule,
    positions: npt.NDArray[np.int8],
    participants: BoolArray,
    population: IntArray | None,
) -> BoolArray:
    if positions.ndim != 2:
        raise InvalidInput("positions must be a runs x actors array", field="positions")
    part = np.broadcast_to(participants, positions.shape)
    counts = part.sum(axis=1)
    if (counts == 0).any():
        raise InvalidInput("no participants on that date", field="participants")
    outside = (positions != SILENT) & ~part
    if outside.any():
        code = int(positions[outside][0])
        raise InvalidInput(
            "a position was given for an actor who is not a participant",
            field=POSITION_OF.get(code, Position.SILENT).value,
        )
    if rule is Rule.NATIONAL and (counts != 1).any():
        raise InvalidInput("a national decision has exactly one participant", field="org")
    if rule is Rule.QMV and population is None:
        raise InvalidInput("qualified majority needs population figures", field="population")
    return part


def adopted(
    rule: Rule,
    positions: npt.NDArray[np.int8],
    participants: BoolArray,
    population: IntArray | None = None,
) -> BoolArray:
    """Whether each run's proposal is adopted under ``rule`` (shape ``(runs,)``)."""
    part = _check(rule, positions, participants, population)
    if rule in (Rule.CONSENSUS_SILENCE, Rule.UNANIMITY):
        none_against: BoolArray = ~((positions == NO) & part).any(axis=1)
        return none_against
    yes = (positions == YES) & part
    if rule in (Rule.COALITION, Rule.NATIONAL):
        any_yes: BoolArray = yes.any(axis=1)
        return any_yes
    assert population is not None
    pop = population.astype(np.int64)
    n = part.sum(axis=1).astype(np.int64)
    n_yes = yes.sum(axis=1).astype(np.int64)
    pop_total = np.where(part, pop, 0).sum(axis=1)
    pop_yes = np.where(yes, pop, 0).sum(axis=1)
    states_ok = n_yes * 100 >= QMV_STATES_PCT * n
    pop_ok = (pop_total > 0) & (pop_yes * 100 >= QMV_POPULATION_PCT * pop_total)
    minority_too_small = (n - n_yes) < QMV_BLOCKING_MINORITY
    result: BoolArray = states_ok & (pop_ok | minority_too_small)
    return result


def blocking(
    rule: Rule,
    positions: npt.NDArray[np.int8],
    participants: BoolArray,
    population: IntArray | None = None,
) -> BoolArray:
    """Who blocks in each run (shape ``(runs, actors)``), as ``Outcome.blocking``."""
    ok = adopted(rule, positions, participants, population)
    part = np.broadcast_to(participants, positions.shape)
    if rule in (Rule.CONSENSUS_SILENCE, Rule.UNANIMITY):
        out: BoolArray = (positions == NO) & part
        return out
    if rule is Rule.COALITION:
        return np.zeros(positions.shape, dtype=bool)
    not_yes = part & (positions != YES)
    result: BoolArray = not_yes & ~ok[:, None]
    return result
