"""Governance use-cases against real databases: proposals, accessions, consent."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from sqlalchemy import text

from allied.bootstrap import Store
from allied.domain.assistance import Allocation
from allied.domain.consent import ConsentStatus, OriginPolicy
from allied.domain.errors import IllegalTransition, InvalidInput, PermissionDenied, RuleViolation
from allied.domain.rules import Position, Rule
from allied.service import access
from allied.service import governance as gov
from allied.service.assistance import add_offers, organisation_members
from allied.service.caller import Caller
from allied.service.ledger import verify_chain
from callers import CALLER
from needs import confirm_needs

D = dt.date


def _consents(store: Store, day: dt.date, **kw: str) -> list[dict[str, object]]:
    return access.list_consents(store.uow(), CALLER, day, limit=1000, **kw).items


def _allocations(store: Store) -> dict[str, dict[str, object]]:
    page = access.list_allocations(store.uow(), CALLER, D(2024, 1, 1), limit=1000)
    return {a["id"]: a for a in page.items}


def _ledger_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one())


def test_reference_accessions_name_last_ratifiers(store: Store) -> None:
    out = gov.status(store.uow(), CALLER, D(2025, 1, 1))
    by_id = {a["id"]: a for a in out["accessions"]}
    fin, swe = by_id["NATO-FIN-2022"], by_id["NATO-SWE-2022"]
    assert (fin["last_ratifier"], fin["last_ratified_on"]) == ("TUR", "2023-03-30")
    assert (swe["last_ratifier"], swe["last_ratified_on"]) == ("HUN", "2024-02-26")
    assert fin["required"] == 30 and fin["pending"] == []
    assert swe["days_waited"] == (D(2024, 3, 7) - D(2022, 5, 18)).days


def test_consensus_silence_workflow(store: Store) -> None:
    uow = store.uow
    gov.circulate_proposal(
        uow(),
        CALLER,
        forum="NATO",
        rule=Rule.CONSENSUS_SILENCE,
        title="Trust fund",
        on=D(2024, 4, 1),
        deadline=D(2024, 4, 5),
        proposal_id="P1",
    )
    gov.record_position(
        uow(),
        CALLER,
        "P1",
        actor="HUN",
        position=Position.NO,
        on=D(2024, 4, 2),
        reason="escalation",
    )
    # a revision restarts the clock and clears the broken silence
    view = gov.revise(uow(), CALLER, "P1", text="softer", on=D(2024, 4, 3), deadline=D(2024, 4, 8))
    assert view["version"] == 2 and view["positions"] == {}
    still_open = gov.status(uow(), CALLER, D(2024, 4, 8))["proposals"][0]
    assert still_open["status"] == "open" and still_open["adopted"] is True
    before = _ledger_count(store)
    shown = gov.status(uow(), CALLER, D(2024, 4, 9))["proposals"][0]
    assert shown["status"] == "adopted" and shown["closed_on"] == "2024-04-08"
    assert shown["recorded_status"] == "open" and _ledger_count(store) == before
    (closed,) = gov.close_due(uow(), CALLER, D(2024, 4, 9))
    assert closed["status"] == "adopted" and closed["closed_on"] == "2024-04-08"
    assert closed["recorded_status"] == "adopted"
    with pytest.raises(IllegalTransition, match="from 'adopted' to 'vote'"):
        gov.record_position(
            uow(), CALLER, "P1", actor="HUN", position=Position.NO, on=D(2024, 4, 9)
        )
    assert verify_chain(uow()) >= 5


def test_broken_silence_rejects_at_deadline(store: Store) -> None:
    gov.circulate_proposal(
        store.uow(),
        CALLER,
        forum="NATO",
        rule=Rule.CONSENSUS_SILENCE,
        title="x",
        on=D(2024, 4, 1),
        deadline=D(2024, 4, 5),
        proposal_id="P2",
    )
    gov.record_position(
        store.uow(), CALLER, "P2", actor="TUR", position=Position.NO, on=D(2024, 4, 5), reason="no"
    )
    closed = gov.status(store.uow(), CALLER, D(2024, 4, 6))["proposals"][0]
    assert closed["status"] == "rejected" and "TUR" in closed["outcome"]


def _circulate(store: Store, pid: str, forum: str, rule: Rule, **kw: object) -> dict[str, object]:
    args: dict[str, object] = {"title": pid, "on": D(2024, 4, 1), "deadline": D(2024, 4, 20)}
    return gov.circulate_proposal(store.uow(), CALLER, forum=forum, rule=rule, proposal_id=pid,
                                  **(args | kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("forum", "rule", "refused"),
    [("NATO", Rule.QMV, "NATO decides by consensus-silence, not qmv"),
     ("NATO", Rule.UNANIMITY, "not unanimity"), ("NATO", Rule.NATIONAL, "not national"),
     ("EU", Rule.CONSENSUS_SILENCE, "EU decides by unanimity or qmv"),
     ("UDCG", Rule.QMV, "UDCG decides by coalition"), ("DEU", Rule.QMV, "decides by national"),
     ("EU", Rule.QMV, ""), ("EU", Rule.UNANIMITY, ""), ("NATO", Rule.CONSENSUS_SILENCE, ""),
     ("DEU", Rule.NATIONAL, "")],
)
def test_a_forum_decides_only_by_its_own_rules(
    store: Store, forum: str, rule: Rule, refused: str
) -> None:
    before = _ledger_count(store)
    if not refused:
        assert _circulate(store, "P-OK", forum, rule)["rule"] == rule.value
        return
    with pytest.raises(InvalidInput, match=refused) as info:
        _circulate(store, "P-NO", forum, rule)
    assert info.value.field == "rule"
    assert _ledger_count(store) == before


def test_a_deadline_is_at_most_a_year_ahead(store: Store) -> None:
    before = _ledger_count(store)
    for deadline in (D(9999, 12, 31), D(2025, 4, 2)):
        with pytest.raises(InvalidInput, match="more than a year after") as info:
            _circulate(store, "P-FAR", "NATO", Rule.CONSENSUS_SILENCE, deadline=deadline)
        assert info.value.field == "deadline"
    assert _ledger_count(store) == before
    _circulate(store, "P-YEAR", "NATO", Rule.CONSENSUS_SILENCE, deadline=D(2025, 4, 1))
    with pytest.raises(InvalidInput, match="more than a year after") as info:
        gov.revise(store.uow(), CALLER, "P-YEAR", text="t", on=D(2024, 4, 2),
                   deadline=D(9999, 12, 31))
    assert info.value.field == "deadline"


@pytest.mark.parametrize(
    ("forum", "rule", "needs"),
    [("NATO", Rule.CONSENSUS_SILENCE, "breaking silence"), ("EU", Rule.UNANIMITY, "veto"),
     ("EU", Rule.QMV, "")],
)
def test_an_objection_needs_a_reason(store: Store, forum: str, rule: Rule, needs: str) -> None:
    _circulate(store, "P-R", forum, rule)
    before = _ledger_count(store)
    if needs:
        for reason in ("", "   "):
            with pytest.raises(InvalidInput, match=needs) as info:
                gov.record_position(store.uow(), CALLER, "P-R", actor="HUN",
                                    position=Position.NO, on=D(2024, 4, 2), reason=reason)
            assert info.value.field == "reason"
        assert _ledger_count(store) == before
    # a reason given, or a plain vote against under QMV: recorded
    view = gov.record_position(store.uow(), CALLER, "P-R", actor="HUN", position=Position.NO,
                               on=D(2024, 4, 2), reason="not now" if needs else "")
    assert view["positions"]["HUN"]["position"] == "no"


def test_qmv_names_blockers_apart_from_states_not_yet_heard(store: Store) -> None:
    _circulate(store, "P-Q", "EU", Rule.QMV)
    for actor, pos in (("DEU", Position.YES), ("HUN", Position.NO), ("AUT", Position.ABSTAIN)):
        gov.record_position(store.uow(), CALLER, "P-Q", actor=actor, position=pos,
                            on=D(2024, 4, 2))
    (view,) = gov.status(store.uow(), CALLER, D(2024, 4, 3))["proposals"]
    assert view["adopted"] is False
    assert view["blocking"] == ["AUT", "HUN"]  # against, or abstaining (a no under QMV)
    assert "DEU" not in view["not_voted"] and len(view["not_voted"]) == 24
    assert "FRA" in view["not_voted"] and "HUN" not in view["not_voted"]
    todo = access.todo(store.uow(), CALLER, D(2024, 4, 3))
    (blocked,) = [s for s in todo["sections"] if s["name"] == "blocked_decisions"]
    (item,) = [i for i in blocked["items"] if i["id"] == "P-Q"]
    assert item["blocked_by"] == ["AUT", "HUN"] and item["waiting_for"] == view["not_voted"]
    # under unanimity silence blocks nothing: only the veto is named, nobody is waited for
    _circulate(store, "P-U", "EU", Rule.UNANIMITY)
    gov.record_position(store.uow(), CALLER, "P-U", actor="HUN", position=Position.NO,
                        on=D(2024, 4, 2), reason="no")
    u = next(p for p in gov.status(store.uow(), CALLER, D(2024, 4, 3))["proposals"]
             if p["id"] == "P-U")
    assert (u["blocking"], u["not_voted"]) == (["HUN"], [])


def test_every_version_of_the_text_is_kept_and_a_revision_shows_its_change(
    store: Store,
) -> None:
    _circulate(store, "P-V", "NATO", Rule.CONSENSUS_SILENCE,
               text="Allies agree to send trainers")
    gov.revise(store.uow(), CALLER, "P-V", on=D(2024, 4, 3), deadline=D(2024, 4, 25),
               text="Trainers, with caveat: no deployment east of the Dnipro")
    detail = access.proposal_detail(store.uow(), CALLER, D(2024, 4, 4), "P-V")
    assert detail["proposal"]["text"] == "Trainers, with caveat: no deployment east of the Dnipro"
    assert [(v["version"], v["on"], v["deadline"], v["text"]) for v in detail["versions"]] == [
        (1, "2024-04-01", "2024-04-20", "Allies agree to send trainers"),
        (2, "2024-04-03", "2024-04-25", "Trainers, with caveat: no deployment east of the Dnipro"),
    ]
    (revised,) = [h for h in detail["history"] if h["kind"] == "proposal.revised"]
    assert revised["before"]["text"] == "Allies agree to send trainers"
    assert revised["after"] == {"version": 2, "deadline": "2024-04-25",
                                "text": "Trainers, with caveat: no deployment east of the Dnipro"}


@pytest.mark.parametrize(
    ("actor", "on", "field"),
    [("IRL", D(2024, 4, 2), "actor"), ("HUN", D(2024, 4, 6), "on"), ("SWE", D(2024, 3, 31), "on")],
)
def test_bad_votes_write_nothing(store: Store, actor: str, on: dt.date, field: str) -> None:
    gov.circulate_proposal(
        store.uow(),
        CALLER,
        forum="NATO",
        rule=Rule.CONSENSUS_SILENCE,
        title="x",
        on=D(2024, 4, 1),
        deadline=D(2024, 4, 5),
        proposal_id="P3",
    )
    before = _ledger_count(store)
    with pytest.raises(InvalidInput) as info:
        gov.record_position(store.uow(), CALLER, "P3", actor=actor, position=Position.NO, on=on)
    assert info.value.field == field
    assert _ledger_count(store) == before


def test_qmv_uses_population_of_the_year_before(store: Store) -> None:
    big5 = ["DEU", "FRA", "ITA", "ESP", "POL"]
    out = gov.evaluate_decision(store.uow(), Rule.QMV, "EU", D(2024, 6, 1), yes=big5)
    assert out["adopted"] is False and out["population_year"] == 2023
    assert out["states_condition"] is False


def test_membership_changes_on_the_date(store: Store) -> None:
    before = gov.evaluate_decision(store.uow(), Rule.CONSENSUS_SILENCE, "NATO", D(2024, 3, 6))
    after = gov.evaluate_decision(store.uow(), Rule.CONSENSUS_SILENCE, "NATO", D(2024, 3, 7))
    assert (before["participants"], after["participants"]) == (31, 32)
    with pytest.raises(InvalidInput, match="SWE is not a participant"):
        gov.evaluate_decision(
            store.uow(), Rule.CONSENSUS_SILENCE, "NATO", D(2024, 3, 6), no=["SWE"]
        )


LATER = D(2030, 9, 1)  # "today" for the accession recorded in 2030


def test_accession_workflow_adds_membership(store: Store) -> None:
    uow = store.uow  # an accession as it might be recorded once it has happened
    step = partial(gov.record_accession_step, today=LATER)
    step(uow(), CALLER, "NATO-UKR", "apply", on=D(2030, 1, 1), candidate="UKR", org="NATO")
    step(uow(), CALLER, "NATO-UKR", "invite", on=D(2030, 6, 1))
    view = step(uow(), CALLER, "NATO-UKR", "sign", on=D(2030, 7, 1))
    assert view["required"] == 32 and view["invited_on"] == "2030-06-01"
    with pytest.raises(InvalidInput, match="was not a member"):
        step(uow(), CALLER, "NATO-UKR", "ratify", on=D(2030, 7, 2), state="IRL")
    allies = [r["code"] for r in organisation_members(uow(), "NATO", D(2030, 7, 1))]
    for i, state in enumerate(allies):
        step(uow(), CALLER, "NATO-UKR", "ratify", on=D(2030, 7, 2 + i % 20), state=state)
    view = step(uow(), CALLER, "NATO-UKR", "join", on=D(2030, 8, 1))
    assert view["stage"] == "member"
    assert len(organisation_members(uow(), "NATO", D(2030, 8, 1))) == 33
    assert len(organisation_members(uow(), "NATO", D(2030, 7, 31))) == 32


def test_a_member_or_a_candidate_under_way_cannot_apply_again(store: Store) -> None:
    step = partial(gov.record_accession_step, today=D(2024, 6, 1))
    before = _ledger_count(store)
    with pytest.raises(InvalidInput, match="FIN is a member of NATO since 2023-04-04") as info:
        step(store.uow(), CALLER, "FIN-NATO-AGAIN", "apply", on=D(2024, 5, 1),
             candidate="FIN", org="NATO")
    assert info.value.field == "candidate"
    step(store.uow(), CALLER, "UKR-NATO", "apply", on=D(2024, 5, 1), candidate="UKR", org="NATO")
    with pytest.raises(InvalidInput, match="already under way: UKR-NATO") as info:
        step(store.uow(), CALLER, "UKR-NATO-2", "apply", on=D(2024, 5, 2),
             candidate="UKR", org="NATO")
    assert info.value.field == "candidate"
    # another organisation is another accession
    step(store.uow(), CALLER, "UKR-EU", "apply", on=D(2024, 5, 1), candidate="UKR", org="EU")
    assert _ledger_count(store) == before + 2


@pytest.mark.parametrize("step", ["apply", "invite"])
def test_a_step_after_today_is_refused(store: Store, step: str) -> None:
    today = D(2024, 6, 1)
    gov.record_accession_step(store.uow(), CALLER, "UKR-NATO", "apply", on=D(2024, 5, 1),
                              candidate="UKR", org="NATO", today=today)
    before = _ledger_count(store)
    with pytest.raises(InvalidInput, match="after today") as info:
        gov.record_accession_step(store.uow(), CALLER, "GEO-NATO" if step == "apply" else
                                  "UKR-NATO", step, on=D(2999, 1, 1), candidate="GEO",
                                  org="NATO", today=today)
    assert info.value.field == "on"
    assert _ledger_count(store) == before
    view = gov.status(store.uow(), CALLER, today)["accessions"]
    assert all(a["days_waited"] >= 0 for a in view)


def _allocation(store: Store, offer_id: str, origin: str, alloc_id: str) -> None:
    add_offers(
        store.uow(),
        CALLER,
        [
            (
                None,
                "x",
                {
                    "id": offer_id,
                    "donor": "EST",
                    "family": "122mm-tube",
                    "quantity": "100",
                    "available_from": "2024-01-01",
                    "origin": origin,
                },
            )
        ],
    )
    uow = store.uow()
    with uow:
        uow.allocations.add(Allocation(alloc_id, offer_id, "R-2022-122T", 50, needs_consent=True))
        uow.commit()
    # the line is accepted in 2024: the request's need confirmed to the end of 2024
    confirm_needs(store.uow, D(2024, 1, 1), days=365)


def test_restrictive_policy_denies_at_once(store: Store) -> None:
    gov.set_policy(store.uow(), CALLER, "DEU", OriginPolicy.RESTRICTIVE, since=D(2024, 1, 1))
    _allocation(store, "O-X", "DEU", "A-X")
    gov.move_allocation(store.uow(), CALLER, "A-X", "pledged", today=D(2024, 2, 1))
    view = gov.move_allocation(
        store.uow(), CALLER, "A-X", "consent-pending", today=D(2024, 2, 1)
    )
    assert view["status"] == "rejected"


def test_case_by_case_waits_for_every_origin(store: Store) -> None:
    gov.set_policy(store.uow(), CALLER, "USA", OriginPolicy.CASE_BY_CASE, since=D(2024, 1, 1))
    gov.set_policy(store.uow(), CALLER, "DEU", OriginPolicy.CASE_BY_CASE, since=D(2024, 1, 1))
    _allocation(store, "O-Y", "DEU,USA", "A-Y")
    gov.move_allocation(store.uow(), CALLER, "A-Y", "pledged", today=D(2024, 2, 1))
    with pytest.raises(RuleViolation, match="consent"):
        gov.move_allocation(store.uow(), CALLER, "A-Y", "approved", today=D(2024, 2, 1))
    view = gov.move_allocation(
        store.uow(), CALLER, "A-Y", "consent-pending", today=D(2024, 2, 1)
    )
    assert view["status"] == "consent-pending"
    pending = _consents(store, D(2024, 2, 1), status="pending")
    mine = {c["origin"]: c["id"] for c in pending if c["offer"] == "O-Y"}
    assert set(mine) == {"DEU", "USA"}
    with pytest.raises(PermissionDenied):
        gov.record_consent_answer(
            store.uow(), Caller("x", "FRA"), mine["DEU"], ConsentStatus.GRANTED, on=D(2024, 2, 2)
        )
    gov.record_consent_answer(
        store.uow(), Caller("x", "DEU"), mine["DEU"], ConsentStatus.GRANTED, on=D(2024, 2, 2)
    )
    assert _allocations(store)["A-Y"]["status"] == (
        "consent-pending"
    )
    gov.record_consent_answer(
        store.uow(), Caller("x", "USA"), mine["USA"], ConsentStatus.GRANTED, on=D(2024, 2, 3)
    )
    assert _allocations(store)["A-Y"]["status"] == "approved"


def test_unanswered_consent_expires(store: Store) -> None:
    gov.set_policy(store.uow(), CALLER, "DEU", OriginPolicy.CASE_BY_CASE, since=D(2024, 1, 1))
    _allocation(store, "O-Z", "DEU", "A-Z")
    gov.move_allocation(store.uow(), CALLER, "A-Z", "pledged", today=D(2024, 2, 1))
    gov.move_allocation(
        store.uow(), CALLER, "A-Z", "consent-pending", today=D(2024, 2, 1), expiry_days=10
    )
    # a read shows the request expired on the day and records nothing; the command does
    before = _ledger_count(store)
    rows = _consents(store, D(2024, 2, 12), origin="DEU")
    assert _ledger_count(store) == before
    assert [r["effective_status"] for r in rows if r["offer"] == "O-Z"] == ["expired"]
    assert _allocations(store)["A-Z"]["status"] == "consent-pending"
    assert [r["status"] for r in rows if r["offer"] == "O-Z"] == ["pending"]
    expired = access.expire_consents(store.uow(), CALLER, D(2024, 2, 12))
    assert [c for c in expired if c in {r["id"] for r in rows if r["offer"] == "O-Z"}]
    rows = _consents(store, D(2024, 2, 12), origin="DEU")
    assert [r["status"] for r in rows if r["offer"] == "O-Z"] == ["expired"]
    assert [r["effective_status"] for r in rows if r["offer"] == "O-Z"] == ["expired"]
    assert _allocations(store)["A-Z"]["status"] == "rejected"


def test_the_store_finds_the_same_due_consents_as_the_rule(store: Store) -> None:
    """``pending_past`` (the store's query behind ``expire_consents``) finds exactly the
    pending requests whose effective status has expired, on the last day to answer, the
    day after and later, and none that is answered."""
    gov.set_policy(store.uow(), CALLER, "DEU", OriginPolicy.CASE_BY_CASE, since=D(2024, 1, 1))
    for offer, alloc in (("O-D1", "A-D1"), ("O-D2", "A-D2")):
        _allocation(store, offer, "DEU", alloc)
        gov.move_allocation(store.uow(), CALLER, alloc, "pledged", today=D(2024, 2, 1))
    gov.move_allocation(store.uow(), CALLER, "A-D1", "consent-pending", today=D(2024, 2, 1),
                        expiry_days=10)
    gov.move_allocation(store.uow(), CALLER, "A-D2", "consent-pending", today=D(2024, 2, 5),
                        expiry_days=10)
    uow = store.uow()
    assert isinstance(uow, gov.DueConsents)
    with uow:
        pending = uow.consents.list(status=ConsentStatus.PENDING)
        assert len(pending) >= 2
        first = pending[0].id
        found = {}
        for day in (D(2024, 2, 1), D(2024, 2, 11), D(2024, 2, 12), D(2024, 2, 16),
                    D(2024, 3, 1)):
            by_rule = sorted(c.id for c in pending
                             if c.effective_status(day) is ConsentStatus.EXPIRED)
            assert sorted(c.id for c in uow.pending_past(day)) == by_rule, day
            found[day] = len(by_rule)
    assert found[D(2024, 2, 11)] < found[D(2024, 2, 12)] < found[D(2024, 2, 16)]
    gov.record_consent_answer(store.uow(), CALLER, first, ConsentStatus.GRANTED,
                              on=D(2024, 2, 2))
    with store.uow() as again:
        assert isinstance(again, gov.DueConsents)
        assert first not in {c.id for c in again.pending_past(D(2024, 3, 1))}


def test_a_standing_policy_starts_today_or_earlier(store: Store) -> None:
    before = _ledger_count(store)
    with pytest.raises(InvalidInput, match="after today") as info:
        access.set_consent_policy(store.uow(), CALLER, "DEU", "restrictive",
                                  since=D(2999, 12, 31), today=D(2024, 6, 1))
    assert info.value.field == "since"
    assert _ledger_count(store) == before
    made = access.set_consent_policy(store.uow(), CALLER, "DEU", "restrictive",
                                     since=D(2024, 6, 1), today=D(2024, 6, 1))
    assert made["since"] == "2024-06-01"
