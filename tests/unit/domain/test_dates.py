"""The dates people file and act on (``allied.domain.dates``), at their boundaries."""

from __future__ import annotations

import datetime as dt

import pytest

from allied.domain.assistance import AllocationStatus, Offer, Request
from allied.domain.dates import (
    check_available_from,
    check_move_on,
    check_needed_by,
    check_new,
    check_takes_pledge,
    latest_allowed,
    years_after,
)
from allied.domain.errors import InvalidInput
from allied.domain.lifecycle import DEFAULT_GRACE_DAYS, amend

TODAY = dt.date(2024, 6, 1)
DAY = dt.timedelta(days=1)


def _request(needed_by: dt.date) -> Request:
    return Request("R-1", "UKR", "155mm-nato", 40, 3, needed_by)


def _offer(available_from: dt.date) -> Offer:
    return Offer("O-1", "DEU", "155mm-nato", 5, available_from)


def _refused(call: object, *args: object, **kw: object) -> InvalidInput:
    assert callable(call)
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kw)
    return caught.value


def test_a_request_is_needed_from_today_to_ten_years_ahead() -> None:
    check_needed_by(TODAY, TODAY)
    check_needed_by(dt.date(2034, 6, 1), TODAY)
    past = _refused(check_needed_by, TODAY - DAY, TODAY)
    assert past.field == "needed_by"
    assert "2024-05-31 is in the past" in past.message and "2024-06-01" in past.message
    far = _refused(check_needed_by, dt.date(2034, 6, 2), TODAY)
    assert far.field == "needed_by"
    assert "2034-06-02" in far.message and "at the latest 2034-06-01" in far.message
    for typed in (dt.date(2020, 1, 1), dt.date(9999, 12, 31)):  # issue 19's dates
        assert _refused(check_needed_by, typed, TODAY).field == "needed_by"


def test_an_offer_is_available_from_a_year_ago_to_ten_years_ahead() -> None:
    check_available_from(TODAY - dt.timedelta(days=365), TODAY)
    check_available_from(TODAY, TODAY)
    check_available_from(latest_allowed(TODAY), TODAY)
    old = _refused(check_available_from, TODAY - dt.timedelta(days=366), TODAY)
    assert old.field == "available_from"
    assert "2023-06-01 is more than 365 days before today (2024-06-01)" in old.message
    assert "from 2023-06-02 at the earliest" in old.message
    assert _refused(check_available_from, dt.date(1900, 1, 1), TODAY).field == "available_from"
    far = _refused(check_available_from, latest_allowed(TODAY) + DAY, TODAY)
    assert far.field == "available_from" and "10 years ahead" in far.message


def test_check_new_reads_the_record_s_own_date() -> None:
    check_new(_request(TODAY), TODAY)
    check_new(_offer(TODAY - dt.timedelta(days=30)), TODAY)
    assert _refused(check_new, _request(TODAY - DAY), TODAY).field == "needed_by"
    assert _refused(check_new, _offer(dt.date(2001, 1, 1)), TODAY).field == "available_from"


def test_ten_years_after_a_leap_day() -> None:
    assert years_after(dt.date(2024, 2, 29), 10) == dt.date(2034, 2, 28)
    assert years_after(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)


def test_an_amendment_may_not_move_needed_by_into_the_past() -> None:
    r = _request(dt.date(2024, 9, 1))
    refused = _refused(amend, r, {"needed_by": "2024-05-31", "priority": 5}, 0, today=TODAY)
    assert refused.field == "needed_by" and "in the past" in refused.message
    assert (r.needed_by, r.priority) == (dt.date(2024, 9, 1), 3)  # nothing changed
    far = _refused(amend, r, {"needed_by": "9999-12-31"}, 0, today=TODAY)
    assert far.field == "needed_by" and r.needed_by == dt.date(2024, 9, 1)
    assert amend(r, {"needed_by": "2024-06-01"}, 0, today=TODAY)["after"] == {
        "needed_by": "2024-06-01"}


def test_an_overdue_request_is_confirmed_by_amending_needed_by() -> None:
    r = _request(dt.date(2023, 1, 1))  # long past, as filed back then
    # other fields change without touching the old date, and the same date is no change
    assert amend(r, {"priority": 5, "needed_by": "2023-01-01"}, 0, today=TODAY)["after"] == {
        "priority": 5}
    amend(r, {"needed_by": "2024-07-01"}, 0, today=TODAY)
    check_takes_pledge(r, TODAY, DEFAULT_GRACE_DAYS)


def test_an_offer_s_available_from_is_amended_within_its_window() -> None:
    o = _offer(dt.date(2024, 1, 1))
    refused = _refused(amend, o, {"available_from": "1900-01-01"}, 0, today=TODAY)
    assert refused.field == "available_from" and o.available_from == dt.date(2024, 1, 1)
    assert amend(o, {"available_from": "2023-07-01", "caveats": "x"}, 0, today=TODAY)[
        "after"] == {"available_from": "2023-07-01", "caveats": "x"}
    # an older date that stays as it is is not the amendment's
    old = _offer(dt.date(2022, 1, 1))
    assert amend(old, {"quantity": 4}, 0, today=TODAY)["after"] == {"quantity": 4}


def test_a_pledge_is_refused_past_the_grace_period() -> None:
    due = TODAY - dt.timedelta(days=DEFAULT_GRACE_DAYS)
    check_takes_pledge(_request(due), TODAY, DEFAULT_GRACE_DAYS)  # exactly 90 days: taken
    check_takes_pledge(_request(due + DAY), TODAY, DEFAULT_GRACE_DAYS)
    check_takes_pledge(_request(TODAY + DAY), TODAY, DEFAULT_GRACE_DAYS)  # not due yet
    late = _request(due - DAY)  # 91 days
    refused = _refused(check_takes_pledge, late, TODAY, DEFAULT_GRACE_DAYS)
    assert refused.field == "request"
    assert f"was needed by {late.needed_by.isoformat()}, 91 days before today" in refused.message
    assert "90 days' grace" in refused.message and "amending needed_by" in refused.message
    assert _refused(check_takes_pledge, late, TODAY, 90, field="to").field == "to"
    check_takes_pledge(late, TODAY, 91)  # a longer grace takes it


def test_items_move_only_once_the_offer_is_available() -> None:
    o = _offer(TODAY)
    check_move_on(AllocationStatus.SHIPPED, o, TODAY)
    check_move_on("delivered", o, TODAY + DAY)
    shipped = _refused(check_move_on, "shipped", o, TODAY - DAY)
    assert shipped.field == "on"
    assert shipped.message == (
        "items of offer O-1 cannot be shipped on 2024-05-31: the offer is available only "
        "from 2024-06-01"
    )
    delivered = _refused(check_move_on, AllocationStatus.DELIVERED, o, TODAY - DAY)
    assert delivered.field == "on" and "cannot be delivered" in delivered.message
    # other moves are not about the items moving
    for to in ("pledged", "approved", "withdrawn", "lost", "in-repair", "no-such"):
        check_move_on(to, o, TODAY - dt.timedelta(days=400))

