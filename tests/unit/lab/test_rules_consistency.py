"""The vectorised rule kernels agree with the scalar domain rules on sampled cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allied.domain.errors import InvalidInput
from allied.domain.rules import Position, Rule, evaluate
from allied.lab import rules as vr

CODES = [f"S{i:02d}" for i in range(30)]
POSITIONS = list(Position)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Rule, list[str], list[list[Position]], dict[str, int]]:
    rule = draw(st.sampled_from(list(Rule)))
    n = 1 if rule is Rule.NATIONAL else draw(st.integers(1, len(CODES)))
    actors = CODES[:n]
    runs = draw(st.integers(1, 6))
    allowed = POSITIONS
    if draw(st.booleans()):  # near the QMV thresholds: mostly yes
        weights = st.sampled_from([Position.YES] * 4 + POSITIONS)
    else:
        weights = st.sampled_from(allowed)
    pos = [[draw(weights) for _ in actors] for _ in range(runs)]
    pop = {a: draw(st.integers(0, 90_000_000)) for a in actors}
    return rule, actors, pos, pop


@settings(max_examples=600, deadline=None)
@given(cases())
def test_kernels_agree_with_domain_evaluate(
    case: tuple[Rule, list[str], list[list[Position]], dict[str, int]],
) -> None:
    rule, actors, pos, pop = case
    arr = np.array([[vr.CODE_OF[p] for p in row] for row in pos], dtype=np.int8)
    part = np.ones(len(actors), dtype=bool)
    population = np.array([pop[a] for a in actors], dtype=np.int64)
    got = vr.adopted(rule, arr, part, population)
    blocks = vr.blocking(rule, arr, part, population)
    for r, row in enumerate(pos):
        outcome = evaluate(rule, actors, dict(zip(actors, row, strict=True)), population=pop)
        assert bool(got[r]) == outcome.adopted
        assert [a for a, b in zip(actors, blocks[r], strict=True) if b] == list(outcome.blocking)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_kernels_agree_with_participant_masks(data: st.DataObject) -> None:
    """A subset of the modelled actors sits in the forum: positions outside it stay silent."""
    rule = data.draw(st.sampled_from([r for r in Rule if r is not Rule.NATIONAL]))
    n = data.draw(st.integers(2, 20))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if not mask.any():
        mask[0] = True
    codes = data.draw(st.lists(st.sampled_from(POSITIONS), min_size=n, max_size=n))
    row = [p if m else Position.SILENT for p, m in zip(codes, mask, strict=True)]
    pop = np.array(data.draw(st.lists(st.integers(1, 10**8), min_size=n, max_size=n)))
    arr = np.array([[vr.CODE_OF[p] for p in row]], dtype=np.int8)
    parts = [CODES[i] for i in range(n) if mask[i]]
    outcome = evaluate(
        rule,
        parts,
        {CODES[i]: row[i] for i in range(n) if mask[i]},
        population={CODES[i]: int(pop[i]) for i in range(n)},
    )
    assert bool(vr.adopted(rule, arr, mask, pop.astype(np.int64))[0]) == outcome.adopted


def test_qmv_exact_thresholds() -> None:
    """15 of 27 states holding exactly 65% pass; one person fewer fails; 3 against never block."""
    part = np.ones(27, dtype=bool)
    arr = np.zeros((1, 27), dtype=np.int8)
    arr[0, :15] = vr.YES
    pop = np.array([4] * 14 + [9] + [3] * 11 + [2], dtype=np.int64)  # 65 of 100
    assert vr.adopted(Rule.QMV, arr, part, pop)[0]
    pop[14] -= 1
    pop[26] += 1  # 64 of 100
    assert not vr.adopted(Rule.QMV, arr, part, pop)[0]
    arr[0, :14] = vr.SILENT  # 1 of 27 states: below 55%
    assert not vr.adopted(Rule.QMV, arr, part, pop)[0]
    arr3 = np.zeros((1, 27), dtype=np.int8)
    arr3[0, 3:] = vr.YES
    skew = np.array([10**8] * 3 + [1] * 24, dtype=np.int64)
    assert vr.adopted(Rule.QMV, arr3, part, skew)[0]


def test_invalid_inputs_name_the_field() -> None:
    arr = np.array([[vr.NO, vr.SILENT]], dtype=np.int8)
    with pytest.raises(InvalidInput) as exc:
        vr.adopted(Rule.UNANIMITY, arr, np.array([False, True]))
    assert exc.value.field == "no"
    with pytest.raises(InvalidInput) as exc:
        vr.adopted(Rule.QMV, arr, np.array([True, True]))
    assert exc.value.field == "population"
    with pytest.raises(InvalidInput) as exc:
        vr.adopted(Rule.NATIONAL, arr, np.array([True, True]))
    assert exc.value.field == "org"
