"""Several changes in one transaction, each as if alone (:mod:`allied.service.parts`), on
the in-memory fake: a refused change leaves nothing, the kept ones are committed once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import cast

import pytest

from allied.domain.assistance import Offer
from allied.domain.errors import NotFound, RuleViolation
from allied.service.parts import Part, each_alone
from allied.service.ports import PartedUnitOfWork, UnitOfWork
from fakes import FakeUnitOfWork

DAY = dt.date(2024, 1, 1)


def _store() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    with uow:
        uow.offers.add(Offer("O1", "EST", "atgm", 10, DAY))
        uow.commit()
    uow.committed = 0
    return uow


def _set(quantity: int, refuse: bool = False, commit: bool = True) -> Callable[[UnitOfWork], int]:
    """A change of O1's quantity with an entry, refused after both when ``refuse``."""

    def work(uow: UnitOfWork) -> int:
        with uow:
            offer = uow.offers.get("O1")
            assert offer is not None
            offer.quantity = quantity
            uow.offers.add(offer)
            uow.ledger.append(user="u", nation="", kind="offer.amended",
                              payload={"id": "O1", "quantity": quantity})
            if refuse:
                raise RuleViolation(f"no {quantity}")
            if commit:
                uow.commit()
        return quantity

    return work


def _quantity(uow: FakeUnitOfWork) -> int:
    offer = uow.offers.get("O1")
    assert offer is not None
    return offer.quantity


def test_a_refused_change_is_undone_alone_and_the_kept_ones_committed_once() -> None:
    uow = _store()
    out = each_alone(cast(PartedUnitOfWork, uow),
                     [_set(7), _set(3, refuse=True), _set(5, commit=False), _set(9)])
    assert out[0] == 7 and out[2] == 5 and out[3] == 9
    assert isinstance(out[1], RuleViolation) and str(out[1]) == "no 3"
    assert _quantity(uow) == 9
    # the refused change and the one left without commit left no entry
    assert [e.payload["quantity"] for e in uow.ledger.entries()] == [7, 9]
    assert uow.committed == 1


def test_a_later_change_sees_what_the_earlier_kept_ones_did() -> None:
    uow = _store()

    def read(part: UnitOfWork) -> int:
        with part:
            offer = part.offers.get("O1")
            if offer is None:
                raise NotFound("no offer 'O1'")
            return offer.quantity

    out = each_alone(cast(PartedUnitOfWork, uow), [_set(4), read, _set(2, refuse=True), read])
    assert out[1] == 4 and out[3] == 4


def test_anything_but_a_refusal_undoes_the_whole_transaction() -> None:
    uow = _store()

    def broken(part: UnitOfWork) -> int:
        raise RuntimeError("the store failed")

    with pytest.raises(RuntimeError):
        each_alone(cast(PartedUnitOfWork, uow), [_set(6), broken])
    assert _quantity(uow) == 10 and list(uow.ledger.entries()) == [] and uow.committed == 0
    assert each_alone(cast(PartedUnitOfWork, uow), []) == []


def test_commit_outside_a_block_of_the_part_is_refused() -> None:
    part = Part(cast(PartedUnitOfWork, _store()))
    with pytest.raises(RuntimeError, match="outside a with block"):
        part.commit()
    with part:
        part.commit()
        with pytest.raises(RuntimeError, match="outside a with block"):
            part.rollback()
