"""The allocation lifecycle as an explicit state machine.

Hypothesis drives random command sequences (legal and illegal steps, with and without
re-export consent) against :class:`Allocation` and checks, after every step, that no
sequence reaches an illegal state: the status only ever moves along an edge of
``TRANSITIONS``, an allocation that needs consent is approved only with consent
granted and only from ``consent-pending``, and every refused step leaves it unchanged
with an error that names the current and the attempted state.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from allied.domain.assistance import (
    COMMITTING,
    DELIVERED_STATES,
    TRANSITIONS,
    Allocation,
    AllocationStatus,
)
from allied.domain.errors import IllegalTransition, InvalidInput, RuleViolation

S = AllocationStatus
STATUSES = list(AllocationStatus)


class AllocationLifecycle(RuleBasedStateMachine):
    @initialize(needs_consent=st.booleans(), quantity=st.integers(1, 10_000))
    def create(self, needs_consent: bool, quantity: int) -> None:
        self.alloc = Allocation("A1", "O1", "R1", quantity, needs_consent=needs_consent)
        self.path: list[AllocationStatus] = [S.PROPOSED]
        self.approved_with_consent: bool | None = None
        self.clock = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

    @rule(to=st.sampled_from(STATUSES), consent=st.booleans())
    def advance_anywhere(self, to: AllocationStatus, consent: bool) -> None:
        self._step(to, consent)

    @rule(data=st.data(), consent=st.booleans())
    def advance_along_an_edge(self, data: st.DataObject, consent: bool) -> None:
        """Steps along the graph, so deep states (delivered, in repair) are reached."""
        allowed = sorted(self.alloc.allowed_next())
        if allowed:
            self._step(data.draw(st.sampled_from(allowed)), consent)

    @rule(consent=st.booleans())
    def try_to_approve(self, consent: bool) -> None:
        """The step consent guards, tried from wherever the allocation is."""
        self._step(S.APPROVED, consent)

    def _step(self, target: AllocationStatus, consent: bool) -> None:
        before = self.alloc.status
        self.clock += dt.timedelta(hours=1)
        legal = target in TRANSITIONS[before]
        blocked_by_consent = self.alloc.needs_consent and (
            target is S.APPROVED and (before is S.PLEDGED or not consent)
        )
        needless_consent = target is S.CONSENT_PENDING and not self.alloc.needs_consent
        if not legal:
            with pytest.raises(IllegalTransition) as err:
                self.alloc.advance(target, consent_granted=consent, at=self.clock)
            assert before.value in str(err.value) and target.value in str(err.value)
            assert self.alloc.status is before
            return
        if blocked_by_consent or needless_consent:
            with pytest.raises(RuleViolation):
                self.alloc.advance(target, consent_granted=consent, at=self.clock)
            assert self.alloc.status is before
            return
        made = self.alloc.advance(target, consent_granted=consent, at=self.clock, by="tester")
        assert (made.from_status, made.to_status) == (before, target)
        assert self.alloc.updated_at == self.clock
        self.path.append(target)
        if target is S.APPROVED:
            self.approved_with_consent = consent

    @rule(name=st.text(alphabet="xyz ", min_size=1, max_size=8))
    def unknown_status(self, name: str) -> None:
        before = self.alloc.status
        with pytest.raises(InvalidInput) as err:
            self.alloc.advance(name)
        assert err.value.field == "status"
        assert self.alloc.status is before

    @invariant()
    def moves_only_along_edges(self) -> None:
        for a, b in zip(self.path, self.path[1:], strict=False):
            assert b in TRANSITIONS[a]
        assert self.alloc.status is self.path[-1]

    @invariant()
    def consent_is_honoured(self) -> None:
        if not self.alloc.needs_consent:
            assert S.CONSENT_PENDING not in self.path
        elif S.APPROVED in self.path:
            i = self.path.index(S.APPROVED)
            assert self.path[i - 1] is S.CONSENT_PENDING
            assert self.approved_with_consent is True

    @invariant()
    def delivery_needs_shipping(self) -> None:
        if self.alloc.status in DELIVERED_STATES:
            assert S.SHIPPED in self.path and S.APPROVED in self.path

    @invariant()
    def terminal_means_no_way_out(self) -> None:
        assert self.alloc.is_terminal == (not self.alloc.allowed_next())


AllocationLifecycle.TestCase.settings = settings(max_examples=200, stateful_step_count=30)
TestAllocationLifecycle = AllocationLifecycle.TestCase


def test_every_status_is_reachable_from_proposed() -> None:
    seen = {S.PROPOSED}
    frontier = [S.PROPOSED]
    while frontier:
        nxt = [b for a in frontier for b in TRANSITIONS[a] if b not in seen]
        seen.update(nxt)
        frontier = nxt
    assert seen == set(S)


def test_terminal_states_and_commitment() -> None:
    terminal = {s for s in S if not TRANSITIONS[s]}
    assert terminal == {S.REJECTED, S.WITHDRAWN, S.LOST}
    # What was rejected or withdrawn frees the offer's quantity; everything else holds it.
    assert set(S) - COMMITTING == {S.REJECTED, S.WITHDRAWN}


def test_the_error_names_both_states() -> None:
    alloc = Allocation("A9", "O1", "R1", 5)
    with pytest.raises(IllegalTransition) as err:
        alloc.advance("delivered")
    message = str(err.value)
    assert "A9" in message and "proposed" in message and "delivered" in message


@given(st.one_of(st.integers(max_value=0), st.just(True), st.floats(), st.text()))
def test_quantity_must_be_a_positive_integer(quantity: object) -> None:
    with pytest.raises(InvalidInput) as err:
        Allocation("A1", "O1", "R1", quantity)  # type: ignore[arg-type]
    assert err.value.field == "quantity"


def test_the_graph_is_the_lifecycle_of_the_design() -> None:
    """DESIGN.md: proposed -> pledged -> consent-pending -> approved -> shipped ->
    delivered, with rejected, withdrawn, lost, and in-repair -> returned after delivery.
    Written out edge by edge so a change to the table is a deliberate one."""
    edges = {(a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets}
    assert edges == {
        ("proposed", "pledged"), ("proposed", "rejected"), ("proposed", "withdrawn"),
        ("pledged", "consent-pending"), ("pledged", "approved"), ("pledged", "rejected"),
        ("pledged", "withdrawn"),
        ("consent-pending", "approved"), ("consent-pending", "rejected"),
        ("consent-pending", "withdrawn"),
        ("approved", "shipped"), ("approved", "withdrawn"),
        ("shipped", "delivered"), ("shipped", "lost"),
        ("delivered", "in-repair"),
        ("in-repair", "returned"), ("in-repair", "lost"),
        ("returned", "in-repair"),
    }
