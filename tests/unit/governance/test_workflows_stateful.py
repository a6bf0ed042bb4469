"""Hypothesis stateful tests: the proposal and consent workflows reach no illegal state."""

from __future__ import annotations

import datetime as dt

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from allied.domain.actors import Actor, ActorKind
from allied.domain.assistance import (
    DELIVERED_STATES,
    Allocation,
    AllocationStatus,
    Offer,
    Request,
)
from allied.domain.consent import ConsentStatus, OriginPolicy, combined
from allied.domain.errors import AlliedError, IllegalTransition, InvalidInput
from allied.domain.proposals import Proposal, ProposalStatus
from allied.domain.rules import Position, Rule, evaluate
from allied.ledger.chain import verify
from allied.service import governance as gov
from allied.service.caller import Caller
from fakes import FakeUnitOfWork

START = dt.date(2024, 1, 1)
MEMBERS = ("AAA", "BBB", "CCC", "DDD")
days = st.integers(min_value=0, max_value=60).map(lambda n: START + dt.timedelta(days=n))


class ProposalMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.proposal = Proposal("P", "ORG", Rule.UNANIMITY, "t", START,
                                 START + dt.timedelta(days=10), MEMBERS)
        self.version = 1
        self.closed_result: bool | None = None

    @rule(actor=st.sampled_from([*MEMBERS, "ZZZ"]), pos=st.sampled_from(list(Position)),
          on=days)
    def take_position(self, actor: str, pos: Position, on: dt.date) -> None:
        before = len(self.proposal.stances)
        try:
            self.proposal.take_position(actor, pos, on, "r")
        except (InvalidInput, IllegalTransition):
            assert len(self.proposal.stances) == before
            return
        assert self.proposal.status is ProposalStatus.OPEN
        assert actor in MEMBERS and pos is not Position.SILENT
        assert self.proposal.circulated_on <= on <= self.proposal.deadline

    @rule(on=days, extra=st.integers(min_value=0, max_value=20))
    def revise(self, on: dt.date, extra: int) -> None:
        was_open = self.proposal.status is ProposalStatus.OPEN
        try:
            self.proposal.revise("new", on, on + dt.timedelta(days=extra))
        except (InvalidInput, IllegalTransition):
            return
        assert was_open
        self.version += 1
        assert self.proposal.positions() == {}

    @rule(on=days)
    def withdraw(self, on: dt.date) -> None:
        try:
            self.proposal.withdraw(on)
        except IllegalTransition:
            assert self.proposal.status is not ProposalStatus.OPEN

    @rule(today=days)
    def close(self, today: dt.date) -> None:
        expected = evaluate(Rule.UNANIMITY, MEMBERS, self.proposal.positions()).adopted
        result = self.proposal.close_if_due(today)
        if result is not None:
            assert result.adopted is expected
            self.closed_result = expected

    @invariant()
    def consistent(self) -> None:
        p = self.proposal
        assert p.version == self.version
        assert all(s.version <= p.version for s in p.stances)
        if p.status is ProposalStatus.ADOPTED:
            assert self.closed_result is True
        if p.status is ProposalStatus.REJECTED:
            assert self.closed_result is False
        if p.status is not ProposalStatus.OPEN:
            assert p.closed_on is not None


TestProposalWorkflow = ProposalMachine.TestCase
TestProposalWorkflow.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)

STATES = ("EST", "DEU", "USA", "UKR", "FRA")
OFFERS = {"O1": "DEU", "O2": "DEU,USA", "O3": None, "O4": "USA"}


class ConsentMachine(RuleBasedStateMachine):
    """Drives allocations through the service with a fake unit of work."""

    def __init__(self) -> None:
        super().__init__()
        self.uow = FakeUnitOfWork()
        self.caller = Caller("tester", "")
        u = self.uow
        for code in STATES:
            u.actors.add(Actor(code, code, ActorKind.STATE))
        u.requests.add(Request("R", "UKR", "atgm", 1000, 5, START + dt.timedelta(days=90)))
        for i, (oid, origin) in enumerate(OFFERS.items()):
            offer = Offer(oid, "EST", "atgm", 100, START, origin=origin)
            u.offers.add(offer)
            u.allocations.add(Allocation(f"A{i}", oid, "R", 10,
                                         needs_consent=offer.needs_consent))
        self.today = START

    @rule(n=st.integers(min_value=0, max_value=3))
    def tick(self, n: int) -> None:
        self.today += dt.timedelta(days=n)

    @rule(alloc=st.sampled_from(["A0", "A1", "A2", "A3"]),
          to=st.sampled_from([s.value for s in AllocationStatus]),
          expiry=st.integers(min_value=1, max_value=5))
    def advance(self, alloc: str, to: str, expiry: int) -> None:
        before = len(self.uow.ledger.log)
        try:
            gov.move_allocation(self.uow, self.caller, alloc, to, today=self.today,
                                   expiry_days=expiry)
        except AlliedError:
            assert len(self.uow.ledger.log) == before  # nothing half-written

    @rule(origin=st.sampled_from(["DEU", "USA"]),
          policy=st.sampled_from(list(OriginPolicy)))
    def set_policy(self, origin: str, policy: OriginPolicy) -> None:
        gov.set_policy(self.uow, self.caller, origin, policy, since=self.today)

    @precondition(lambda self: bool(self.uow.consents.items))
    @rule(data=st.data(), grant=st.booleans(), as_origin=st.booleans())
    def answer(self, data: st.DataObject, grant: bool, as_origin: bool) -> None:
        cid = data.draw(st.sampled_from(sorted(self.uow.consents.items)))
        c = self.uow.consents.items[cid]
        nation = c.origin if as_origin else "FRA"
        before = len(self.uow.ledger.log)
        try:
            gov.record_consent_answer(self.uow, Caller("x", nation), cid,
                               ConsentStatus.GRANTED if grant else ConsentStatus.DENIED,
                               on=self.today)
        except AlliedError:
            assert len(self.uow.ledger.log) == before

    @invariant()
    def allocations_respect_consent(self) -> None:
        for alloc in self.uow.allocations.items.values():
            offer = self.uow.offers.items[alloc.offer_id]
            assert alloc.needs_consent == offer.needs_consent
            consents = {c.origin: c for c in self.uow.consents.items.values()
                        if c.offer_id == offer.id}
            if alloc.status in DELIVERED_STATES | {AllocationStatus.APPROVED,
                                                   AllocationStatus.SHIPPED}:
                for origin in offer.consent_from:
                    assert origin in consents
                    assert consents[origin].status is ConsentStatus.GRANTED
            if alloc.status is AllocationStatus.CONSENT_PENDING:
                statuses = [consents[o].effective_status(self.today)
                            if o in consents else ConsentStatus.PENDING
                            for o in offer.consent_from]
                assert combined(statuses) in (ConsentStatus.PENDING, ConsentStatus.EXPIRED)
            if not offer.needs_consent:
                assert alloc.status is not AllocationStatus.CONSENT_PENDING

    @invariant()
    def ledger_verifies(self) -> None:
        verify(self.uow.ledger.entries(), self.uow.ledger.head())


TestConsentWorkflow = ConsentMachine.TestCase
TestConsentWorkflow.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
