"""Requests and offers that live (``allied.domain.lifecycle``), as pure rules."""

from __future__ import annotations

import datetime as dt

import pytest

from allied.domain.assistance import Offer, RecordStatus, Request
from allied.domain.errors import IllegalTransition, InvalidInput, RuleViolation
from allied.domain.lifecycle import amend, end, overdue

#: the day the amendments are made
TODAY = dt.date(2024, 6, 1)


def _request() -> Request:
    return Request("R-1", "UKR", "155mm-nato", 40, 3, dt.date(2024, 9, 1))


def test_amend_returns_before_and_after_of_what_changed() -> None:
    r = _request()
    change = amend(r, {"quantity": "30", "priority": 3, "needed_by": "2024-10-01"}, 10, today=TODAY)
    assert change == {
        "before": {"quantity": 40, "needed_by": "2024-09-01"},
        "after": {"quantity": 30, "needed_by": "2024-10-01"},
    }
    assert (r.quantity, r.needed_by) == (30, dt.date(2024, 10, 1))


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"quantity": 9}, RuleViolation, None),  # below the 10 allocated
        ({"quantity": 0}, InvalidInput, "quantity"),
        ({"priority": 6}, InvalidInput, "priority"),
        ({"needed_by": "soon"}, InvalidInput, "needed_by"),
        ({"releasability": "friends"}, InvalidInput, "releasability"),
        ({"caveats": "x"}, InvalidInput, "caveats"),  # an offer's field
        ({}, InvalidInput, "body"),
        ({"priority": 1, "quantity": 5}, RuleViolation, None),  # all or nothing
    ],
)
def test_a_bad_amendment_changes_nothing(
    changes: dict[str, object], error: type[Exception], field: str | None
) -> None:
    r = _request()
    with pytest.raises(error) as caught:
        amend(r, changes, 10, today=TODAY)
    if field is not None:
        assert getattr(caught.value, "field", None) == field
    assert (r.quantity, r.priority, r.needed_by) == (40, 3, dt.date(2024, 9, 1))


def test_only_an_open_record_changes_and_ends_once() -> None:
    r = _request()
    assert end(r, RecordStatus.WITHDRAWN)["after"] == {"status": "withdrawn"}
    with pytest.raises(IllegalTransition):
        amend(r, {"priority": 1}, 0, today=TODAY)
    with pytest.raises(IllegalTransition):
        end(r, RecordStatus.CLOSED)
    offer = Offer("O-1", "DEU", "155mm-nato", 5, dt.date(2024, 1, 1))
    with pytest.raises(IllegalTransition):
        end(offer, RecordStatus.EXPIRED)  # offers are withdrawn, not expired


def test_a_request_is_overdue_after_its_grace() -> None:
    r = _request()
    assert not overdue(r, dt.date(2024, 11, 30))  # 90 days after 2024-09-01
    assert overdue(r, dt.date(2024, 12, 1))
    assert overdue(r, dt.date(2024, 9, 2), grace_days=0)
    end(r, RecordStatus.CLOSED)
    assert not overdue(r, dt.date(2030, 1, 1))
