"""Scoring document-level tuples against gold, with optional events."""

from __future__ import annotations

from typing import Any

import pytest

from allied.domain.errors import InvalidInput
from allied.monitor.evaluate import evaluate


def ev(actor: str, etype: str, target: str | None, **extra: Any) -> dict[str, Any]:
    return {"actor": actor, "type": etype, "target": target, **extra}


GOLD = {
    "documents": [
        {"document": "a.txt", "events": [
            ev("DEU", "block", "EST"),
            ev("USA", "authorise", "LVA"),
            ev("LVA", "provide", "UKR", optional=True),
        ]},
        {"document": "b.txt", "events": [ev("ITA", "call-for", None)]},
    ]
}


def test_counts_per_type_and_overall() -> None:
    pred = {"documents": [
        {"document": "folder/a.txt", "events": [
            ev("DEU", "block", "EST", confidence=0.9),
            ev("DEU", "block", "EST", confidence=0.8),  # repeated: counts once
            ev("LVA", "provide", "UKR", confidence=0.7),  # optional: neither hit nor false alarm
            ev("FRA", "provide", "UKR", confidence=0.3),  # false alarm
        ]},
        {"document": "b.txt", "events": [ev("ITA", "call-for", None)]},
        {"document": "c.txt", "events": [ev("ITA", "call-for", None)]},
    ]}
    r = evaluate(GOLD, pred)
    assert (r.overall.tp, r.overall.fp, r.overall.fn) == (2, 1, 1)
    assert r.per_type["block"].precision == 1.0
    assert r.per_type["provide"].precision == 0.0
    assert r.per_type["authorise"].recall == 0.0
    assert r.overall.precision == pytest.approx(2 / 3)
    assert r.overall.recall == pytest.approx(2 / 3)
    assert r.overall.f1 == pytest.approx(2 / 3)
    assert r.false_alarms == [{"document": "a.txt", "actor": "FRA", "type": "provide",
                               "target": "UKR"}]
    assert r.misses == [{"document": "a.txt", "actor": "USA", "type": "authorise",
                         "target": "LVA"}]
    assert r.unscored == ["c.txt"]
    filtered = evaluate(GOLD, pred, min_confidence=0.5)
    assert filtered.overall.fp == 0


def test_empty_predictions_score_zero_recall() -> None:
    r = evaluate(GOLD, {"documents": []})
    assert r.overall.recall == 0.0 and r.overall.precision == 0.0 and r.overall.fn == 3


@pytest.mark.parametrize(
    ("pred", "field"),
    [
        ([], "documents"),
        ({"documents": [{"events": []}]}, "documents[0]"),
        ({"documents": [{"document": "a.txt", "events": [{"type": "block"}]}]},
         "documents[0].events[0]"),
        ({"documents": [{"document": "a.txt", "events": [ev("DEU", "smile", None)]}]},
         "documents[0].events[0].type"),
        ({"documents": [{"document": "a.txt", "events": [ev("DEU", "block", 3)]}]},
         "documents[0].events[0].target"),
    ],
)
def test_bad_files_name_the_field(pred: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        evaluate(GOLD, pred)
    assert err.value.field == field


def test_bootstrap_intervals_contain_the_point_and_narrow_with_more_documents() -> None:
    from allied.monitor.evaluate import bootstrap

    def payload(n: int, hit: bool) -> dict[str, object]:
        docs = []
        for i in range(n):
            events = [{"actor": "POL", "type": "provide", "target": "UKR"}]
            if hit and i % 2:
                events.append({"actor": "DEU", "type": "block", "target": "EST"})
            docs.append({"document": f"d{i}.txt", "events": events})
        return {"documents": docs}

    gold = payload(10, True)
    pred = payload(10, False)  # every provide found, half the documents miss the block
    small = bootstrap(gold, pred, samples=500)
    assert small["precision"].value == 1.0 == small["precision"].low
    assert small["recall"].value == round(10 / 15, 3)
    assert small["recall"].low <= small["recall"].value <= small["recall"].high
    big = bootstrap(payload(200, True), payload(200, False), samples=500)
    width = lambda i: i.high - i.low  # noqa: E731
    assert width(big["recall"]) < width(small["recall"])


def test_bootstrap_refuses_bad_arguments() -> None:
    from allied.monitor.evaluate import bootstrap

    with pytest.raises(InvalidInput, match="samples"):
        bootstrap({"documents": []}, {"documents": []}, samples=0)
    with pytest.raises(InvalidInput, match="no documents"):
        bootstrap({"documents": []}, {"documents": []})
