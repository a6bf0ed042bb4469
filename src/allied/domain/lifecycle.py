"""Requests and offers that live: amended, withdrawn, closed, expired (pure rules).

Only an open record changes. An amendment names the fields it changes; a quantity never
goes below what allocations already hold of the record; a date it changes keeps to the
rules of :mod:`allied.domain.dates` (a needed-by date not in the past, an available-from
date within the offer's window, neither more than ten years ahead). A request is expired once it is
past its needed-by date by more than a grace period (90 days unless configured). A
record that is not open takes no new allocations (the pledge and the optimiser take open
records only).

Each change returns its before and after, which the ledger records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from allied.domain.assistance import Offer, RecordStatus, Request
from allied.domain.dates import check_amended
from allied.domain.errors import IllegalTransition, InvalidInput, RuleViolation
from allied.domain.releasability import Releasability
from allied.domain.values import int_in_range, parse_date, quantity, text

#: Days past its needed-by date after which an open request expires.
DEFAULT_GRACE_DAYS = 90

Parse = Callable[[Any, str], Any]


def _release(value: Any, field: str) -> Releasability:
    if not isinstance(value, str):
        raise InvalidInput(f"expected text, got {value!r}", field=field)
    return Releasability.parse(value, field)


def _text(value: Any, field: str) -> str:
    return text(value, field, required=False)


#: What an amendment may change, and how each value is read.
REQUEST_FIELDS: dict[str, Parse] = {
    "quantity": lambda v, f: quantity(v, f),
    "priority": lambda v, f: int_in_range(v, f, 1, 5),
    "needed_by": parse_date,
    "notes": _text,
    "releasability": _release,
}
OFFER_FIELDS: dict[str, Parse] = {
    "quantity": lambda v, f: quantity(v, f),
    "available_from": parse_date,
    "caveats": _text,
    "releasability": _release,
}

Change = dict[str, dict[str, Any]]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Releasability):
        return str(value)
    return value


def _require_open(record: Request | Offer, what: str, attempted: str) -> None:
    if record.status is not RecordStatus.OPEN:
        raise IllegalTransition(f"{what} {record.id}", record.status.value, attempted)


def amend(
    record: Request | Offer, changes: Mapping[str, Any], committed: int, *, today: dt.date
) -> Change:
    """Apply ``changes`` to an open record on ``today``; ``committed`` is what allocations
    hold of it; a date it changes meets :func:`allied.domain.dates.check_amended`. Returns
    ``{"before": {...}, "after": {...}}`` of the fields that changed (empty when nothing
    did). Raises naming the field; nothing changes on an error."""
    what = "request" if isinstance(record, Request) else "offer"
    allowed = REQUEST_FIELDS if isinstance(record, Request) else OFFER_FIELDS
    if not changes:
        raise InvalidInput(
            f"name a field to change: {', '.join(allowed)}", field="body"
        )
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"may not be amended (a {what} may change {', '.join(allowed)})", field=unknown[0]
        )
    _require_open(record, what, "amended")
    parsed = {name: allowed[name](value, name) for name, value in changes.items()}
    check_amended(record, parsed, today)
    if "quantity" in parsed and parsed["quantity"] < committed:
        raise RuleViolation(
            f"{what} {record.id}: quantity {parsed['quantity']} is below the {committed} "
            "already allocated"
        )
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in parsed.items():
        old = getattr(record, name)
        if old != value:
            before[name], after[name] = _plain(old), _plain(value)
    for name, value in parsed.items():
        setattr(record, name, value)
    return {"before": before, "after": after}


def end(record: Request | Offer, to: RecordStatus) -> Change:
    """Withdraw, close or expire an open record."""
    what = "request" if isinstance(record, Request) else "offer"
    if to is RecordStatus.OPEN or (isinstance(record, Offer) and to is RecordStatus.EXPIRED):
        raise IllegalTransition(f"{what} {record.id}", record.status.value, to.value)
    _require_open(record, what, to.value)
    record.status = to
    return {"before": {"status": RecordStatus.OPEN.value}, "after": {"status": to.value}}


def overdue(request: Request, today: dt.date, grace_days: int = DEFAULT_GRACE_DAYS) -> bool:
    """Whether an open request is past its needed-by date by more than ``grace_days``."""
    return request.status is RecordStatus.OPEN and today > request.needed_by + dt.timedelta(
        days=grace_days
    )
