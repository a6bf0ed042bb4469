"""The home page's and the decisions page's reads at volume give the answers the plain
paths give, on each backend:

* the to-do list's sections read by their own SQL (the recipient's requests with nothing
  allocated, the consents holding a donor's pledges, the origin's consents to answer as a
  page) equal the repositories' answers (the in-memory fake, with the same records);
* the population figures read once for many QMV decisions (``governance.Populations``)
  equal a read per decision, and every proposal's outcome worked out in one batch equals
  the outcome worked out for that proposal alone;
* the overview's open proposals and consent count equal what the lists show;
* the cell's picture read from the quantities kept per request (migration 0018_picture)
  equals the picture summed allocation by allocation.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

import pytest
from test_list_queries import DAYS, NATIONS, _fill

from allied.bootstrap import Store
from allied.domain.assistance import Allocation, AllocationStatus, Request
from allied.domain.errors import InvalidInput
from allied.domain.rules import Position, Rule
from allied.service import access
from allied.service import governance as gov
from allied.service.caller import Caller
from allied.service.usecases.common import viewer
from allied.service.usecases.picture import FamilyPicture, _gap, _picture_slow
from allied.service.usecases.todo import TodoReads
from callers import CALLER

D = dt.date

#: the sections whose reads have a SQL path of their own
SECTIONS = {"requests_with_nothing_allocated", "consents_to_answer",
            "consents_holding_pledges"}


def _sections(found: dict[str, Any]) -> dict[str, Any]:
    out = {s["name"]: s for s in found["sections"] if s["name"] in SECTIONS}
    for s in found["sections"]:
        if s["name"] == "blocked_decisions":  # the allocations waiting on consent
            out["blocked_allocations"] = [i for i in s["items"] if i["kind"] == "allocation"]
    return out


def _bare_requests(store: Store, fake: Any) -> None:
    """Open requests of three recipients: with no allocation, with only allocations that
    hold nothing (rejected, withdrawn), with one proposed (which holds quantity), in the
    store and in the fake alike."""
    rows: list[Any] = []
    for i, n in enumerate(NATIONS[:3]):
        rows += [
            Request(f"BARE-{i}-A", n, "mbt", 10, 1, D(2024, 1, 1)),
            Request(f"BARE-{i}-B", n, "mbt", 10, 2, D(2024, 2, 1)),
            Request(f"BARE-{i}-C", n, "mbt", 10, 3, D(2024, 3, 1)),
            Request(f"BARE-{i}-D", n, "mbt", 10, 3, D(2024, 3, 1)),
            Allocation(f"ALC-B{i}-1", "OFF-000", f"BARE-{i}-B", 5,
                       status=AllocationStatus.REJECTED),
            Allocation(f"ALC-B{i}-2", "OFF-001", f"BARE-{i}-B", 5,
                       status=AllocationStatus.WITHDRAWN),
            Allocation(f"ALC-B{i}-3", "OFF-002", f"BARE-{i}-C", 5,
                       status=AllocationStatus.PROPOSED),
        ]
    for target in (store.uow, lambda: fake):
        for kind in (Request, Allocation):  # the requests first (the allocations name them)
            with target() as uow:
                for row in rows:
                    if isinstance(row, kind):
                        (uow.requests if kind is Request else uow.allocations).add(row)
                uow.commit()


@pytest.mark.parametrize("seed", [5, 11])
def test_todo_sections_read_in_sql_are_the_repositories_answers(
    store: Store, seed: int
) -> None:
    fake = _fill(store, seed)
    _bare_requests(store, fake)
    fake.seal()
    uow = store.uow()
    assert isinstance(uow, TodoReads)  # the SQL path is the one compared
    callers = [Caller(user="t", role="coordinator")] + [
        Caller(user="t", role=role, nation=n)
        for role in ("recipient", "donor", "origin")
        for n in NATIONS[:6]
    ]
    seen: dict[str, int] = {name: 0 for name in SECTIONS}
    for day in DAYS[1:]:
        for caller in callers:
            for limit in (None, 2):
                got = _sections(access.todo(store.uow(), caller, day, limit=limit))
                want = _sections(access.todo(fake, caller, day, limit=limit))
                assert got == want, (caller, day, limit)
                for name in SECTIONS & set(got):
                    seen[name] += len(got[name]["items"])
    # the comparison saw items in every section (the random records make some)
    assert all(seen.values()), seen
    assert fake.unchanged()


def test_todo_reads_the_callers_memberships_once(store: Store) -> None:
    """Every section of a nation's to-do list sees through one read of its memberships
    (each section used to read them again); who sees everything reads none. (No section
    shows anything its memberships decide today, so the read is what is checked.)"""
    from sqlalchemy import event

    fake = _fill(store, 5)
    _bare_requests(store, fake)
    reads: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM memberships" in statement:
            reads.append(statement)

    day = DAYS[-1]
    callers = [Caller(user="t", role=role, nation=n)
               for role in ("recipient", "donor", "origin") for n in NATIONS[:3]]
    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        for caller in callers:
            reads.clear()
            access.todo(store.uow(), caller, day, limit=2)
            assert len(reads) == 1, (caller, len(reads))
        reads.clear()
        access.todo(store.uow(), Caller(user="t", role="coordinator"), day, limit=2)
        assert reads == []  # who sees everything needs none
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)


def _population_one_by_one(
    figures: Sequence[Any], codes: Sequence[str], year: int
) -> tuple[dict[str, int], int]:
    """The figures for ``codes`` as read before they were kept per page: the latest year
    up to ``year`` with a figure for each, from the population rows of those states."""
    mine = [i for i in figures if i.actor in set(codes)]
    for y in sorted({i.year for i in mine if i.year <= year}, reverse=True):
        at_year = {i.actor: int(i.value) for i in mine if i.year == y}
        if all(c in at_year for c in codes):
            return at_year, y
    have = {i.actor for i in mine if i.year <= year}
    missing = [c for c in codes if c not in have]
    raise InvalidInput(
        f"no population figure up to {year} for {', '.join(missing) or 'some participants'}",
        field="population",
    )


def test_population_read_once_answers_as_a_read_per_decision(store: Store) -> None:
    with store.uow() as uow:
        figures = list(uow.indicators.list(name="population"))
        eu = gov.participants(uow, Rule.QMV, "EU", D(2024, 6, 1))
        kept = gov.Populations(uow)
        rng = random.Random(3)
        states = sorted({i.actor for i in figures})
        asks: list[tuple[list[str], int]] = [(list(eu), y) for y in range(1995, 2027)]
        asks += [(rng.sample(states, rng.randint(1, 8)), rng.randint(2000, 2026))
                 for _ in range(60)]
        asks += [(["DEU", "XXX"], 2023), ([], 2023), (list(eu), 1900)]
        answered = failed = 0
        for codes, year in asks:
            try:
                want = _population_one_by_one(figures, codes, year)
            except InvalidInput as exc:
                with pytest.raises(InvalidInput) as got_exc:
                    kept.of(codes, year)
                assert (str(got_exc.value), got_exc.value.field) == (str(exc), exc.field)
                failed += 1
                continue
            assert kept.of(codes, year) == want
            assert gov.population(uow, codes, year) == want
            answered += 1
        assert answered > 30 and failed >= 3


def _circulate(store: Store) -> None:
    """QMV proposals with deadlines in different years (population of different years),
    a consensus one, one withdrawn; positions taken on some."""
    with store.uow() as uow:
        eu_2023 = gov.participants(uow, Rule.QMV, "EU", D(2023, 3, 1))
    specs = [
        ("P-Q1", "EU", Rule.QMV, D(2023, 3, 1), D(2023, 3, 20)),
        ("P-Q2", "EU", Rule.QMV, D(2024, 2, 1), D(2024, 9, 30)),
        ("P-Q3", "EU", Rule.QMV, D(2024, 12, 1), D(2025, 1, 15)),
        ("P-U1", "EU", Rule.UNANIMITY, D(2024, 2, 1), D(2024, 3, 1)),
        ("P-N1", "NATO", Rule.CONSENSUS_SILENCE, D(2024, 4, 1), D(2024, 4, 9)),
        ("P-W1", "EU", Rule.QMV, D(2024, 2, 1), D(2024, 5, 1)),
    ]
    for pid, forum, rule, on, deadline in specs:
        gov.circulate_proposal(store.uow(), CALLER, forum=forum, rule=rule, title=pid, on=on,
                               deadline=deadline, proposal_id=pid)
    no = ["DEU", "FRA", "ITA", "ESP"]
    for actor in no:
        gov.record_position(store.uow(), CALLER, "P-Q1", actor=actor, position=Position.NO,
                            on=D(2023, 3, 2))
    for actor in [c for c in eu_2023 if c not in no][:14]:
        gov.record_position(store.uow(), CALLER, "P-Q2", actor=actor, position=Position.YES,
                            on=D(2024, 2, 2))
    gov.record_position(store.uow(), CALLER, "P-U1", actor="HUN", position=Position.NO,
                        on=D(2024, 2, 2), reason="not now")
    gov.record_position(store.uow(), CALLER, "P-N1", actor="TUR", position=Position.NO,
                        on=D(2024, 4, 2), reason="not now")
    gov.withdraw(store.uow(), CALLER, "P-W1", on=D(2024, 2, 3))


def test_every_outcome_worked_out_in_one_batch_is_each_proposals_own(store: Store) -> None:
    _circulate(store)
    coordinator = Caller(user="t", role="coordinator")
    hun = Caller(user="t", role="origin", nation="HUN")
    for day in (D(2023, 3, 10), D(2024, 3, 15), D(2024, 10, 1), D(2025, 2, 1)):
        for caller in (coordinator, hun):
            batch = access.list_proposals(store.uow(), caller, day, limit=100).items
            alone = [access.get_proposal(store.uow(), caller, day, p["id"]) for p in batch]
            assert batch == alone
            # and each as the domain evaluates it with the figures read the old way
            with store.uow() as uow:
                figures = list(uow.indicators.list(name="population"))
                for row in batch:
                    p = uow.proposals.get(row["id"])
                    assert p is not None
                    outcome = None
                    if row["recorded_status"] != "withdrawn":
                        pop = None
                        if p.rule is Rule.QMV:
                            pop = _population_one_by_one(
                                figures, p.participants, p.deadline.year - 1)[0]
                        outcome = p.provisional(pop)
                    assert row == gov.proposal_view(p, outcome, day)
            assert batch == [
                r for r in gov.status(store.uow(), coordinator, day)["proposals"]
                if r["id"] in {b["id"] for b in batch}
            ]
    # the blocked decisions on the coordinator's to-do list: open ones whose rule blocks
    todo = access.todo(store.uow(), coordinator, D(2024, 3, 15))
    (blocked,) = [s for s in todo["sections"] if s["name"] == "blocked_decisions"]
    rows = access.list_proposals(store.uow(), coordinator, D(2024, 3, 15), limit=100).items
    want = [(r["id"], r["blocking"], r["not_voted"]) for r in rows
            if r["recorded_status"] == "open" and (r["blocking"] or r["not_voted"])]
    assert [(i["id"], i["blocked_by"], i["waiting_for"]) for i in blocked["items"]
            if i["kind"] == "proposal"] == want
    assert want  # P-Q1 (blocking minority) and P-U1 (HUN) at least
    # the batch closes as one by one would
    closed = gov.close_due(store.uow(), CALLER, D(2025, 2, 1))
    assert {c["id"] for c in closed} == {"P-Q1", "P-Q2", "P-Q3", "P-U1", "P-N1"}
    assert all(c["recorded_status"] == c["status"] for c in closed)


def test_overview_open_proposals_and_consent_count_are_the_lists(store: Store) -> None:
    _circulate(store)
    fake = _fill(store, 7)
    callers = [Caller(user="t", role="coordinator"), Caller(user="t", role="auditor"),
               Caller(user="t", role="origin", nation="HUN"),
               Caller(user="t", role="donor", nation="DEU")]
    for day in (D(2023, 3, 10), D(2024, 3, 15), D(2024, 4, 5), D(2025, 2, 1)):
        for caller in callers:
            rows = access.list_proposals(store.uow(), caller, day, limit=100).items
            got = access.open_proposals(store.uow(), caller, day)
            assert [p["id"] for p in got] == [p["id"] for p in rows if p["status"] == "open"]
            for p in got:
                assert {k: p[k] for k in ("title", "forum", "rule", "deadline")} == {
                    k: next(r for r in rows if r["id"] == p["id"])[k]
                    for k in ("title", "forum", "rule", "deadline")}
    for day in DAYS:
        for caller in callers + [Caller(user="t", role="recipient", nation=n) for n in NATIONS]:
            want = access.list_consents(store.uow(), caller, day, status="pending",
                                        limit=1).total
            assert access.count_consents(store.uow(), caller, day, status="pending") == want
            assert access.count_consents(fake, caller, day, status="pending") == want
    assert fake.unchanged()


@pytest.mark.parametrize("seed", [5, 11])
def test_the_picture_from_the_kept_quantities_is_the_repositories(
    store: Store, seed: int
) -> None:
    """The cell's picture read from what the database keeps per request (``held``,
    ``proposed``, ``delivered``) and, for the others' requests a nation sees, from their
    allocations, equals the picture summed allocation by allocation through the
    visibility policy (the repositories' path), for every kind of viewer."""
    _fill(store, seed)
    with store.uow() as uow:
        # one request with an allocation in every status
        rows = list(uow.requests.list())
        offer = next(iter(uow.offers.list()))
        bare = Request("PIC-EVERY", NATIONS[0], rows[0].family, 50, 1, D(2024, 1, 1),
                       item_type=rows[0].item_type)
        uow.requests.add(bare)
        uow.flush()  # type: ignore[attr-defined]
        for i, status in enumerate(AllocationStatus):
            uow.allocations.add(Allocation(f"PIC-A{i}", offer.id, bare.id, i + 1,
                                           status=status))
        uow.commit()
    uow = store.uow()
    assert isinstance(uow, FamilyPicture)  # the SQL path is the one compared
    callers = [Caller(user="t", role="coordinator"), Caller(user="t", role="auditor")] + [
        Caller(user="t", role=role, nation=n)
        for role in ("recipient", "donor", "origin")
        for n in NATIONS[:6]
    ]
    seen = {"proposed": 0, "pledged": 0, "delivered": 0, "pledged_eur": 0.0}
    for day in DAYS[1:]:
        for caller in callers:
            got = access.family_gaps(store.uow(), caller, day)
            with store.uow() as slow_uow:
                raw = _picture_slow(slow_uow, viewer(slow_uow, caller, day))
            want = sorted((_gap(r) for r in raw), key=lambda g: (-g["outstanding"], g["family"]))
            assert got == want, (caller, day)
            for g in got:
                for key in seen:
                    seen[key] += g[key]
    # the comparison saw every figure (the random records make some)
    assert all(seen.values()), seen


def test_open_proposals_without_their_positions_are_the_records(store: Store) -> None:
    """The open proposals and those awaiting a nation's position, read in SQL without the
    stances (``OpenProposalReads``), are what the proposals' records say through the
    domain: visible to the caller, recorded open, deadline not passed; a position counts
    on the current version only (a revision clears them); a withdrawn one is gone."""
    from allied.service.usecases.proposals import (
        OpenProposalReads,
        awaiting_position,
        open_heads,
    )

    _circulate(store)
    # P-Q2 revised on 2024-03-01 (its positions were on version 1); EST then votes on it
    gov.revise(store.uow(), CALLER, "P-Q2", text="second text", on=D(2024, 3, 1),
               deadline=D(2024, 9, 30))
    gov.record_position(store.uow(), CALLER, "P-Q2", actor="EST", position=Position.YES,
                        on=D(2024, 3, 2))
    # and changes its mind: the latest position counts
    gov.record_position(store.uow(), CALLER, "P-Q2", actor="EST", position=Position.ABSTAIN,
                        on=D(2024, 3, 3))
    callers = [Caller(user="t", role="coordinator"), Caller(user="t", role="auditor")] + [
        Caller(user="t", role=role, nation=n)
        for role, n in (("origin", "HUN"), ("donor", "DEU"), ("donor", "EST"),
                        ("origin", "TUR"), ("recipient", "UKR"), ("donor", "USA"))
    ]
    checked = awaited = 0
    for day in (D(2023, 3, 10), D(2024, 2, 15), D(2024, 3, 15), D(2024, 10, 1)):
        for caller in callers:
            with store.uow() as uow:
                assert isinstance(uow, OpenProposalReads)
                v = viewer(uow, caller, day)
                records = [p for p in sorted(uow.proposals.list(), key=lambda p: p.id)
                           if p.status.value == "open" and v.sees_proposal(p)
                           and not p.due_on(day)]
                assert open_heads(uow, v, day) == [p.head() for p in records]
                want = [p.head() for p in records if caller.nation
                        and caller.nation in p.participants
                        and caller.nation not in p.current_stances()]
                assert awaiting_position(uow, v, day) == want
                checked += len(records)
                awaited += len(want)
            got = access.open_proposals(store.uow(), caller, day)
            listed = [r for r in access.list_proposals(store.uow(), caller, day,
                                                       limit=100).items
                      if r["status"] == "open"]
            assert got == [{k: r[k] for k in got[0]} for r in listed] if got else not listed
    assert checked > 10 and awaited > 3
    # the revision cleared the version-1 votes on P-Q2; EST's on version 2 counts
    with store.uow() as uow:
        revised = uow.proposals.get("P-Q2")
        assert revised is not None and revised.version == 2
        voted_before = sorted({s.actor for s in revised.stances if s.version == 1} - {"EST"})
        assert len(voted_before) == 13
        assert isinstance(uow, OpenProposalReads)
        assert "P-Q2" in uow.positions_taken("EST")
        assert all("P-Q2" not in uow.positions_taken(a) for a in voted_before)
        assert not uow.positions_taken("XXX")
        # each open proposal's positions on its current version, as the records say
        recorded_open = [p for p in uow.proposals.list() if p.status.value == "open"]
        assert uow.current_positions() == {
            p.id: p.positions() for p in recorded_open if p.positions()}
        assert uow.current_positions()["P-Q2"] == {"EST": Position.ABSTAIN}
    # the coordinator's blocked decisions (outcomes from those rows) are the records'
    coordinator = Caller(user="t", role="coordinator")
    for day in (D(2024, 3, 15), D(2024, 10, 1)):
        (blocked,) = [s for s in access.todo(store.uow(), coordinator, day)["sections"]
                      if s["name"] == "blocked_decisions"]
        with store.uow() as uow:
            populations = gov.Populations(uow)
            want = []
            for p in sorted(uow.proposals.list(), key=lambda p: p.id):
                outcome = gov.outcome_on(uow, p, populations)
                if p.status.value == "open" and outcome is not None and outcome.blocking:
                    want.append((p.id, list(outcome.against), list(outcome.not_heard)))
        assert [(i["id"], i["blocked_by"], i["waiting_for"]) for i in blocked["items"]
                if i["kind"] == "proposal"] == want
        assert want
