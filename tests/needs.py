"""The reference data's requests were needed in 2022-2023, long past the 90 days' grace in
which a late request still takes a pledge (``allied.domain.dates.check_takes_pledge``). Tests
that accept the lines of a plan on a later day first confirm the needs, as a recipient
does: each open request's needed-by moved to a later day. A plain module, not a conftest
(see ``callers.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from allied.domain.assistance import RecordStatus
from allied.service import access
from allied.service.caller import Caller

COORDINATOR = Caller(user="cell", nation="", role="coordinator")


def confirm_needs(uow: Callable[[], Any], day: dt.date, days: int = 60) -> list[str]:
    """Move the needed-by date of every open request needed before ``day`` to ``days``
    after it (amended on ``day`` by the coordinator); the ids amended."""
    later = (day + dt.timedelta(days=days)).isoformat()
    found = access.list_requests(uow(), COORDINATOR, day, status=RecordStatus.OPEN,
                                 limit=1000).items
    amended = []
    for r in found:
        if r["needed_by"] < day.isoformat():
            access.amend_request(uow(), COORDINATOR, day, r["id"], {"needed_by": later})
            amended.append(str(r["id"]))
    return amended
