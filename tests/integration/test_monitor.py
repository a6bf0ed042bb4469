"""The monitor's record through the real store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import pytest

from allied.adapters.db.tables_monitor import sql_monitor_events
from allied.bootstrap import Store
from allied.domain.errors import IllegalTransition, InvalidInput, NotFound, UnknownActor
from allied.monitor.extract import Extractor
from allied.monitor.model import Document, EventType
from allied.monitor.positions import Issue
from allied.monitor.record import Status
from allied.service.caller import Caller
from allied.service.ledger import ledger_rows, verify_chain
from allied.service.monitor import decide, list_events, record_proposals, stances

ANALYST = Caller(user="analyst", nation="")
TEXT = (
    "Germany refused Estonia permission to pass on the howitzers. "
    "Washington cleared Latvia to transfer American-made missiles to Ukraine. "
    "Italy called for an immediate ceasefire."
)


def _propose(store: Store) -> dict[str, int]:
    doc = Document("brief-2022-01.txt", TEXT, "2022-01", source="/data/brief-2022-01.txt")
    return record_proposals(store.uow(), sql_monitor_events, ANALYST,
                            [(doc, Extractor().extract(doc))])


def _by_key(store: Store) -> dict[tuple[str, str, str | None], str]:
    return {
        (e.actor, e.type.value, e.target): e.id
        for e in list_events(store.uow(), sql_monitor_events)
    }


def test_propose_review_and_positions(store: Store) -> None:
    assert _propose(store) == {"added": 4, "skipped": 0}
    assert _propose(store) == {"added": 0, "skipped": 4}  # idempotent
    ids = _by_key(store)
    assert set(ids) == {
        ("DEU", "block", "EST"), ("USA", "authorise", "LVA"), ("LVA", "provide", "UKR"),
        ("ITA", "call-for", None),
    }
    uow = store.uow
    decide(uow(), sql_monitor_events, ANALYST, ids[("DEU", "block", "EST")], Status.CONFIRMED)
    decide(uow(), sql_monitor_events, ANALYST, ids[("ITA", "call-for", None)], Status.CONFIRMED)
    decide(uow(), sql_monitor_events, ANALYST, ids[("LVA", "provide", "UKR")], Status.REJECTED,
           note="cleared, not yet done")
    corrected = decide(
        uow(), sql_monitor_events, ANALYST, ids[("USA", "authorise", "LVA")], Status.CORRECTED,
        target="LTU", date="2022-01-19", note="it was Lithuania",
    )
    assert (corrected.target, corrected.date, corrected.status) == ("LTU", "2022-01-19",
                                                                    Status.CORRECTED)
    assert corrected.proposed == "USA authorise LVA"
    stored = {e.id: e for e in list_events(uow(), sql_monitor_events)}
    assert stored[corrected.id].target == "LTU"
    assert stored[ids[("LVA", "provide", "UKR")]].status is Status.REJECTED
    assert len(list_events(uow(), sql_monitor_events, status=Status.CONFIRMED)) == 2

    found = {(p.actor, p.issue): p for p in stances(uow(), sql_monitor_events)}
    assert found[("DEU", Issue.REEXPORT)].position == 1.0
    assert found[("USA", Issue.REEXPORT)].position == -1.0
    assert found[("ITA", Issue.ESCALATION)].position == -1.0
    assert ("LVA", Issue.MILITARY_AID) not in found  # rejected

    assert verify_chain(uow()) >= 5
    kinds = [e["kind"] for e in ledger_rows(uow()) if e["kind"].startswith("monitor.")]
    assert kinds == ["monitor.propose", "monitor.confirm", "monitor.confirm", "monitor.reject",
                     "monitor.correct"]
    last = next(e for e in ledger_rows(uow()) if e["kind"] == "monitor.correct")["payload"]
    assert last["source"] == "/data/brief-2022-01.txt"
    assert last["previous"] == "USA authorise LVA 2022-01"
    assert last["evidence"]["end"] > last["evidence"]["start"]


def test_decisions_refuse_bad_input_and_write_nothing(store: Store) -> None:
    _propose(store)
    ids = _by_key(store)
    eid = ids[("DEU", "block", "EST")]
    uow = store.uow
    with pytest.raises(NotFound):
        decide(uow(), sql_monitor_events, ANALYST, "ev-nope", Status.CONFIRMED)
    with pytest.raises(UnknownActor):
        decide(uow(), sql_monitor_events, ANALYST, eid, Status.CORRECTED, target="XXX")
    with pytest.raises(InvalidInput):
        decide(uow(), sql_monitor_events, ANALYST, eid, Status.CORRECTED, etype="smile")
    with pytest.raises(InvalidInput):
        decide(uow(), sql_monitor_events, ANALYST, eid, Status.CONFIRMED, target="LTU")
    with pytest.raises(InvalidInput):
        decide(uow(), sql_monitor_events, ANALYST, eid, Status.CORRECTED)
    with pytest.raises(InvalidInput):
        decide(uow(), sql_monitor_events, ANALYST, eid, Status.CORRECTED, target="DEU")
    still = {e.id: e for e in list_events(uow(), sql_monitor_events)}[eid]
    assert still.status is Status.PROPOSED and still.target == "EST"
    decide(uow(), sql_monitor_events, ANALYST, eid, Status.REJECTED)
    with pytest.raises(IllegalTransition):
        decide(uow(), sql_monitor_events, ANALYST, eid, Status.CONFIRMED)
    kinds = [e["kind"] for e in ledger_rows(uow()) if e["kind"].startswith("monitor.")]
    assert kinds == ["monitor.propose", "monitor.reject"]


def test_proposals_need_the_reference_data_and_write_nothing(empty_store: Store) -> None:
    doc = Document("x.txt", "Norway sent tanks to Ukraine.", "2023-01")
    with pytest.raises(InvalidInput, match="allied data load"):
        record_proposals(empty_store.uow(), sql_monitor_events, ANALYST,
                         [(doc, Extractor().extract(doc))])
    assert list_events(empty_store.uow(), sql_monitor_events) == []


def test_event_types_round_trip(store: Store) -> None:
    _propose(store)
    types = {e.type for e in list_events(store.uow(), sql_monitor_events)}
    assert types <= set(EventType)
    assert EventType.AUTHORISE in types
