"""Stances, timeline and fissures from recorded events."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from allied.domain.errors import IllegalTransition, InvalidInput
from allied.monitor.model import EventType
from allied.monitor.positions import (
    Issue,
    fissure_chart,
    fissures,
    parse_issue,
    positions,
    signals,
    timeline,
)
from allied.monitor.record import RecordedEvent, Status, event_id

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def rec(
    actor: str,
    etype: str,
    target: str | None,
    date: str = "2022-03",
    evidence: str = "",
    status: Status = Status.CONFIRMED,
) -> RecordedEvent:
    n = len(actor) + len(etype) + len(evidence) + int(date[:4])
    return RecordedEvent(
        id=event_id("doc.txt", n, actor, etype, target) + date,
        document="doc.txt",
        source="doc.txt",
        actor=actor,
        type=EventType(etype),
        target=target,
        evidence=evidence or f"{actor} {etype} {target}",
        start=0,
        end=10,
        date=date,
        confidence=0.9,
        status=status,
    )


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (rec("GBR", "provide", "UKR"), {Issue.MILITARY_AID: 1.0, Issue.ESCALATION: 0.5}),
        (rec("USA", "authorise", "EST"), {Issue.REEXPORT: -1.0, Issue.MILITARY_AID: 0.5}),
        (rec("DEU", "block", "EST"), {Issue.REEXPORT: 1.0, Issue.MILITARY_AID: -1.0}),
        (rec("ITA", "call-for", None, evidence="Italy called for a ceasefire."),
         {Issue.ESCALATION: -1.0, Issue.MILITARY_AID: -0.5}),
        (rec("POL", "call-for", None, evidence="Poland demanded more troops."),
         {Issue.ESCALATION: 1.0}),
        (rec("FRA", "call-for", None, evidence="France argued for European defence."),
         {Issue.EU_AUTONOMY: 1.0}),
        (rec("POL", "support-membership", "UKR"), {Issue.UKRAINE_MEMBERSHIP: 1.0}),
        (rec("HUN", "oppose-membership", "UKR"), {Issue.UKRAINE_MEMBERSHIP: -1.0}),
        (rec("FRA", "deploy", "ROU"), {Issue.ESCALATION: 0.5}),
        (rec("RUS", "deploy", "UKR"), {}),  # the adversary holds no alliance stance
        (rec("FIN", "join", "NATO"), {}),
    ],
)
def test_signals(event: RecordedEvent, expected: dict[Issue, float]) -> None:
    assert dict(signals(event)) == expected


def test_positions_mean_salience_series_and_evidence() -> None:
    events = [
        rec("DEU", "block", "EST", "2022-01"),
        rec("DEU", "provide", "UKR", "2022-06"),
        rec("DEU", "provide", "UKR", "2022-09"),
        rec("DEU", "provide", "UKR", "2022-10", status=Status.REJECTED),
        rec("DEU", "provide", "UKR", "2022-11", status=Status.PROPOSED),
    ]
    got = {(p.actor, p.issue): p for p in positions(events)}
    aid = got[("DEU", Issue.MILITARY_AID)]
    assert aid.position == pytest.approx(1 / 3, abs=1e-3)
    assert aid.events == 3
    assert aid.salience == 1.0  # every accepted DEU event bears on military aid
    assert [s["position"] for s in aid.series] == [-1.0, 0.0, pytest.approx(0.333)]
    assert [e.date for e in aid.evidence] == ["2022-01", "2022-06", "2022-09"]
    reexport = got[("DEU", Issue.REEXPORT)]
    assert reexport.salience == pytest.approx(1 / 3, abs=1e-3)
    early = {(p.actor, p.issue): p for p in positions(events, on="2022-03")}
    assert early[("DEU", Issue.MILITARY_AID)].position == -1.0
    only = positions(events, issues=[Issue.REEXPORT])
    assert {p.issue for p in only} == {Issue.REEXPORT}


def test_timeline_in_date_order_with_issues() -> None:
    events = [rec("FRA", "deploy", "EST", "2022-06"), rec("DEU", "block", "EST", "2022-01")]
    rows = timeline(events)
    assert [r["actor"] for r in rows] == ["DEU", "FRA"]
    assert rows[0]["issues"] == "reexport-restrictiveness+1,military-aid-1"


def test_fissures_find_two_tiers(tmp_path: Path) -> None:
    hawks = ["EST", "LVA", "LTU", "POL", "GBR"]
    doves = ["DEU", "FRA", "HUN"]
    events = [rec(a, "provide", "UKR") for a in hawks]
    events += [rec(a, "call-for", None, evidence="called for talks") for a in doves]
    events += [rec("EU", "provide", "UKR")]
    f = fissures(positions(events), groups=2)
    assert f.groups == [sorted(hawks), sorted(doves)]
    assert "EU" not in f.actors
    assert f.means[0]["military-aid"] == 1.0 and f.means[1]["military-aid"] == -0.5
    out = tmp_path / "fissures.png"
    fissure_chart(f, str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(f.as_dict()["stances"]) == set(hawks + doves)


def test_fissures_need_two_states_and_a_positive_group_count() -> None:
    with pytest.raises(InvalidInput, match="at least two"):
        fissures(positions([rec("EST", "provide", "UKR")]))
    with pytest.raises(InvalidInput):
        fissures(positions([rec("EST", "provide", "UKR"), rec("LVA", "provide", "UKR")]),
                 groups=0)


def test_issue_names() -> None:
    assert parse_issue(" Military-Aid ") is Issue.MILITARY_AID
    with pytest.raises(InvalidInput, match="unknown issue"):
        parse_issue("cheese")


def test_decisions_follow_the_lifecycle() -> None:
    ev = rec("DEU", "block", "EST", status=Status.PROPOSED)
    ev.decide(Status.CONFIRMED, "ana", NOW)
    assert (ev.status, ev.analyst, ev.decided_at) == (Status.CONFIRMED, "ana", NOW)
    ev.decide(Status.CORRECTED, "bo", NOW, "target was wrong")
    with pytest.raises(IllegalTransition):
        ev.decide(Status.CONFIRMED, "ana", NOW)  # a corrected event is accepted already
    ev.decide(Status.REJECTED, "ana", NOW, "misread: the sentence is a denial")
    for again in (Status.CONFIRMED, Status.CORRECTED, Status.REJECTED):
        with pytest.raises(IllegalTransition):  # a rejection is final
            ev.decide(again, "ana", NOW)
    confirmed = rec("DEU", "block", "EST", status=Status.PROPOSED)
    confirmed.decide(Status.CONFIRMED, "ana", NOW)
    with pytest.raises(IllegalTransition):
        confirmed.decide(Status.CONFIRMED, "ana", NOW)
    confirmed.decide(Status.REJECTED, "bo", NOW, "clicked the wrong one")
    assert confirmed.status is Status.REJECTED
    fresh = rec("DEU", "block", "EST", status=Status.PROPOSED)
    with pytest.raises(IllegalTransition):
        fresh.decide(Status.PROPOSED, "ana", NOW)


def test_event_ids_are_stable() -> None:
    assert event_id("a.txt", 5, "DEU", "block", "EST") == event_id("a.txt", 5, "DEU", "block",
                                                                   "EST")
    assert event_id("a.txt", 5, "DEU", "block", "EST") != event_id("a.txt", 6, "DEU", "block",
                                                                   "EST")
