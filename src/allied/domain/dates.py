"""Dates people file and act on, checked against today (pure rules; issue 19).

A coordination cell plans the coming months and years; a date outside that window is a
typing error (``2020-01-01``, ``9999-12-31``), not a plan. The rules below apply to what
a person files, amends or does *now*; ``today`` is always given by the service, from the
entry point's clock (the API's and the dashboard's ``today``, the CLI's ``--on``,
default the real date). Nothing here reads a clock. Historic records keep their dates:
the built-in reference data and the public-data imports (Kiel, SIPRI) are loaded as they
were recorded, the volume generator and the bulk helpers of
:mod:`allied.service.assistance` write through paths that take no ``today``, and a file
of records filed on an earlier day is imported with that day as ``--on``.

- **A new request's needed-by date** is today or later, and at most
  :data:`MAX_YEARS_AHEAD` (10) years after today.
- **A new offer's available-from date** is at most :data:`OFFER_PAST_DAYS` (365) days
  before today (stock on hand since earlier is offered "from" when it became free, which
  may be a while ago, but not decades) and at most :data:`MAX_YEARS_AHEAD` years after.
- **An amendment** that changes a request's needed-by date moves it to today or later
  (the way a recipient confirms a need that has passed), within the same horizon; one
  that changes an offer's available-from date keeps it within the offer's window. An
  amendment that leaves the date alone is not checked against it.
- **A pledge** (a donor's, or the coordinator's on its behalf) against a request whose
  needed-by date passed more than the grace period ago (``grace_days``: the service gives
  :data:`~allied.domain.lifecycle.DEFAULT_GRACE_DAYS`, 90 days, the period after which
  the expiry job expires the request) is refused: the recipient must first confirm the
  need by amending needed-by to today or later. Within the grace period a late pledge is
  still welcome. A ``proposed`` allocation the coordinator accepts is the optimiser's
  line, from a plan drawn up as of a day the coordinator chose: like the optimiser, which
  weighs lateness down (``late:<DAYS>``) but refuses nothing for it, accepting it is not
  checked against the needed-by date (the expiry job is what takes overdue requests out
  of plans).
- **Marking an allocation shipped, or confirming it delivered,** on a day before its
  offer's available-from date is refused: the items were not available yet.

Each refusal is an :class:`~allied.domain.errors.InvalidInput` naming the field
(``needed_by``, ``available_from``, ``request`` for a pledge, ``on`` for a move) and, in
words, the date and the limit it broke.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from allied.domain.assistance import AllocationStatus, Offer, Request
from allied.domain.errors import InvalidInput

#: How far ahead a needed-by or available-from date may lie, in years.
MAX_YEARS_AHEAD = 10
#: How far back a new offer's available-from date may lie, in days.
OFFER_PAST_DAYS = 365

#: Moves that say the items moved: not before the offer's available-from date.
MOVED_ITEMS = frozenset({AllocationStatus.SHIPPED, AllocationStatus.DELIVERED})


def years_after(day: dt.date, years: int) -> dt.date:
    """``day`` ``years`` later (29 February becomes 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def latest_allowed(today: dt.date) -> dt.date:
    """The last needed-by or available-from date a person may file on ``today``."""
    return years_after(today, MAX_YEARS_AHEAD)


def earliest_available_from(today: dt.date) -> dt.date:
    """The first available-from date a person may file for an offer on ``today``."""
    return today - dt.timedelta(days=OFFER_PAST_DAYS)


def _too_far(value: dt.date, today: dt.date, field: str, what: str) -> None:
    last = latest_allowed(today)
    if value > last:
        raise InvalidInput(
            f"{value.isoformat()} is more than {MAX_YEARS_AHEAD} years ahead: {what} may be "
            f"at the latest {last.isoformat()} (today is {today.isoformat()})",
            field=field,
        )


def check_needed_by(value: dt.date, today: dt.date, field: str = "needed_by") -> None:
    """A request's needed-by date as filed or amended on ``today``: from today to
    :func:`latest_allowed`."""
    if value < today:
        raise InvalidInput(
            f"{value.isoformat()} is in the past: a request is needed by today "
            f"({today.isoformat()}) or later",
            field=field,
        )
    _too_far(value, today, field, "a request's needed-by date")


def check_available_from(value: dt.date, today: dt.date, field: str = "available_from") -> None:
    """An offer's available-from date as filed or amended on ``today``: from
    :func:`earliest_available_from` to :func:`latest_allowed`."""
    first = earliest_available_from(today)
    if value < first:
        raise InvalidInput(
            f"{value.isoformat()} is more than {OFFER_PAST_DAYS} days before today "
            f"({today.isoformat()}): an offer is available from {first.isoformat()} at the "
            "earliest",
            field=field,
        )
    _too_far(value, today, field, "an offer's available-from date")


def check_new(record: Request | Offer, today: dt.date) -> None:
    """The dates of a request or an offer a person files on ``today``."""
    if isinstance(record, Request):
        check_needed_by(record.needed_by, today)
    else:
        check_available_from(record.available_from, today)


def check_amended(record: Request | Offer, parsed: Mapping[str, Any], today: dt.date) -> None:
    """The dates an amendment on ``today`` sets (``parsed``: field -> new value), those
    that change only: a date left as it is (perhaps long past) is not the amendment's."""
    if isinstance(record, Request):
        value = parsed.get("needed_by")
        if isinstance(value, dt.date) and value != record.needed_by:
            check_needed_by(value, today)
    else:
        value = parsed.get("available_from")
        if isinstance(value, dt.date) and value != record.available_from:
            check_available_from(value, today)


def overdue_by(request: Request, today: dt.date) -> int:
    """Days by which ``request`` is past its needed-by date on ``today`` (0: not past)."""
    return max((today - request.needed_by).days, 0)


def takes_pledge(needed_by: dt.date, today: dt.date, grace_days: int) -> bool:
    """Whether a request needed by ``needed_by`` takes a new pledge on ``today`` (see
    :func:`check_takes_pledge`; for lists of what a donor may pledge to)."""
    return (today - needed_by).days <= grace_days


def check_takes_pledge(
    request: Request,
    today: dt.date,
    grace_days: int,
    field: str = "request",
) -> None:
    """A request takes a new pledge on ``today`` unless its needed-by date passed more
    than ``grace_days`` ago: then the recipient must first confirm the need."""
    if not takes_pledge(request.needed_by, today, grace_days):
        late = overdue_by(request, today)
        raise InvalidInput(
            f"request {request.id} was needed by {request.needed_by.isoformat()}, {late} days "
            f"before today ({today.isoformat()}), more than the {grace_days} days' grace: "
            f"it takes no pledge until the recipient confirms the need by amending "
            f"needed_by to today or later",
            field=field,
        )


def check_move_on(
    to: AllocationStatus | str, offer: Offer, on: dt.date, field: str = "on"
) -> None:
    """An allocation of ``offer`` is marked shipped or delivered on ``on`` no earlier than
    the offer's available-from date."""
    try:
        target = AllocationStatus(to)
    except ValueError:
        return  # an unknown status is the state machine's error to name
    if target in MOVED_ITEMS and on < offer.available_from:
        verb = "shipped" if target is AllocationStatus.SHIPPED else "delivered"
        raise InvalidInput(
            f"items of offer {offer.id} cannot be {verb} on {on.isoformat()}: the offer is "
            f"available only from {offer.available_from.isoformat()}",
            field=field,
        )
