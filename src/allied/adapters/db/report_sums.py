"""The sums the reports show, computed by the database (``allied.service.reports``):
a few grouped queries instead of every request, offer and allocation read into Python.
Each gives what the report's pure function (``reports.gaps.gap_sums``,
``reports.predictability.clearinghouse_sums``) computes from the records."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from allied.adapters.db.tables import allocations, offers, requests
from allied.domain.assistance import AllocationStatus, RecordStatus
from allied.reports import gaps as gaps_report
from allied.reports import predictability as predictability_report


def _within(column: Any, start: dt.date | None, end: dt.date | None) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if start is not None:
        parts.append(column >= start)
    if end is not None:
        parts.append(column <= end)
    return and_(true(), *parts)


def gap_sums(
    session: Session, start: dt.date | None, end: dt.date | None
) -> dict[str, dict[str, int]]:
    r, o, a = requests.c, offers.c, allocations.c
    acc: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(gaps_report.GAP_SUMS, 0))
    wanted = and_(r.status != RecordStatus.WITHDRAWN, _within(r.needed_by, start, end))
    for family, n, quantity in session.execute(
        select(r.family, func.count(), func.sum(r.quantity)).where(wanted).group_by(r.family)
    ):
        acc[family]["requests"] += int(n)
        acc[family]["requested"] += int(quantity)
    for family, quantity in session.execute(
        select(o.family, func.sum(o.quantity))
        .where(o.status != RecordStatus.WITHDRAWN, _within(o.available_from, start, end))
        .group_by(o.family)
    ):
        acc[family]["offered"] += int(quantity)
    for family, status, quantity in session.execute(
        select(r.family, a.status, func.sum(a.quantity))
        .select_from(allocations.join(requests, r.id == a.request_id))
        .where(wanted)
        .group_by(r.family, a.status)
    ):
        gaps_report.add_allocation_sums(acc[family], AllocationStatus(status), int(quantity))
    return dict(acc)


def clearinghouse_sums(
    session: Session, start: dt.date | None, end: dt.date | None
) -> dict[tuple[str, str], dict[str, int]]:
    o, a = offers.c, allocations.c
    acc: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(predictability_report.CLEARING_SUMS, 0)
    )
    within = _within(o.available_from, start, end)
    for donor, channel, n, quantity in session.execute(
        select(o.donor, o.channel, func.count(), func.sum(o.quantity))
        .where(within)
        .group_by(o.donor, o.channel)
    ):
        acc[(donor, channel.value)]["offers"] += int(n)
        acc[(donor, channel.value)]["offered"] += int(quantity)
    for donor, channel, status, quantity in session.execute(
        select(o.donor, o.channel, a.status, func.sum(a.quantity))
        .select_from(allocations.join(offers, o.id == a.offer_id))
        .where(within)
        .group_by(o.donor, o.channel, a.status)
    ):
        predictability_report.add_allocation_sums(
            acc[(donor, channel.value)], AllocationStatus(status), int(quantity)
        )
    return dict(acc)
