"""The learned-stage experiment (benchmarks/monitor/learned.py): its candidates, features,
model and combination behave as documented. Every sentence was written for these tests."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from allied.monitor.extract import Extractor
from allied.monitor.model import Document
from script_loader import load_script

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "monitor" / "learned.py"


@pytest.fixture(scope="module")
def learned() -> ModuleType:
    return load_script(SCRIPT, "monitor_learned_experiment")


TEXT = (
    "Poland sent howitzers to Ukraine in March.\n\n"
    "Norway did not send tanks to Ukraine."
)


@pytest.fixture(scope="module")
def extracted(learned: ModuleType) -> object:
    doc = Document("test.txt", TEXT, "2024-05")
    extractor = learned.CandidateExtractor()
    rules = extractor.extract(doc)
    return rules, extractor._candidates


def test_the_candidate_extractor_proposes_what_the_rules_propose(
    learned: ModuleType, extracted: object
) -> None:
    rules, _ = extracted  # type: ignore[misc]
    plain = Extractor().extract(Document("test.txt", TEXT, "2024-05"))
    assert [(e.actor, e.type, e.target) for e in rules] == [
        (e.actor, e.type, e.target) for e in plain
    ]


def test_candidates_pair_every_actor_with_every_other_and_none(
    learned: ModuleType, extracted: object
) -> None:
    _, cands = extracted  # type: ignore[misc]
    tuples = {c.tuple for c in cands}
    assert ("POL", "provide", "UKR") in tuples
    assert ("POL", "provide", None) in tuples
    assert ("UKR", "provide", "POL") in tuples  # permissive: the model is to reject it
    assert ("NOR", "provide", "UKR") in tuples  # negated: a candidate, marked as such
    assert not any(c.tuple[0] == c.tuple[2] for c in cands)


def test_features_name_the_path_preposition_negation_and_position(
    learned: ModuleType, extracted: object
) -> None:
    _, cands = extracted  # type: ignore[misc]
    pol = next(c for c in cands if c.tuple == ("POL", "provide", "UKR"))
    assert {"type=provide", "lemma=send", "apath=vnsubj", "tprep=to", "how=strict",
            "sentpos=0", "mod=past"} <= set(pol.features)
    assert "mod=neg" not in pol.features
    nor = next(c for c in cands if c.tuple == ("NOR", "provide", "UKR"))
    assert {"mod=neg", "cancelled=True", "sentpos=1"} <= set(nor.features)


def test_path_reads_up_then_down(learned: ModuleType, english_parser: object) -> None:
    doc = english_parser("France urged Spain to send ships.")  # type: ignore[operator]
    send = next(t for t in doc if t.text == "send")
    france = next(t for t in doc if t.text == "France")
    assert learned.path(send, france) == ["^xcomp", "vnsubj"]
    assert learned.path(send, send) == []


def test_the_model_learns_a_separable_feature_deterministically(learned: ModuleType) -> None:
    rows = [["good", "x"], ["good", "y"], ["bad", "x"], ["bad", "y"]] * 5
    labels = [1, 1, 0, 0] * 5
    a = learned.Model(1.0).fit(rows, labels).predict([["good"], ["bad"], ["unseen"]])
    b = learned.Model(1.0).fit(rows, labels).predict([["good"], ["bad"], ["unseen"]])
    assert a[0] > 0.8 and a[1] < 0.2
    assert 0.3 < a[2] < 0.7  # a feature never seen has no weight
    assert list(a) == list(b)


def test_combine_adds_above_and_drops_below_the_thresholds(learned: ModuleType) -> None:
    rules = {("POL", "provide", "UKR"), ("NOR", "provide", "UKR")}
    s = {("POL", "provide", "UKR"): 0.9, ("NOR", "provide", "UKR"): 0.02,
         ("DEU", "meet", "FRA"): 0.7, ("ITA", "meet", "FRA"): 0.4}
    assert learned.combine(rules, s, None, None) == rules
    assert learned.combine(rules, s, 0.5, None) == rules | {("DEU", "meet", "FRA")}
    assert learned.combine(rules, s, None, 0.05) == {("POL", "provide", "UKR")}
    assert learned.combine(None, s, 0.5, None) == {("POL", "provide", "UKR"),
                                                   ("DEU", "meet", "FRA")}


def test_folds_are_a_fixed_function_of_the_document_name(learned: ModuleType) -> None:
    names = [f"doc-{i}.txt" for i in range(60)]
    folds = [learned.fold_of(n, 6) for n in names]
    assert folds == [learned.fold_of(n, 6) for n in names]
    assert set(folds) == set(range(6))


def test_context_candidates_take_an_actor_or_target_from_the_sentence_before(
    learned: ModuleType,
) -> None:
    text = "Poland announced a new package on Monday.\n\nThe howitzers were sent to Ukraine."
    doc = Document("test.txt", text, "2024-05")
    plain = learned.CandidateExtractor()
    plain.extract(doc)
    assert not any(c.tuple == ("POL", "provide", "UKR") for c in plain._candidates)
    with_context = learned.CandidateExtractor(context=True)
    with_context.extract(doc)
    pol = [c for c in with_context._candidates if c.tuple == ("POL", "provide", "UKR")]
    assert pol and all("actor=context" in c.features for c in pol)
    assert any("actor=context:before" in c.features for c in pol)
