"""The sums the reports show, computed by the database (``allied.service.reports``):
a few grouped queries instead of every request, offer and allocation read into Python.
Each gives what the report's pure function (``reports.gaps.gap_sums``,
``reports.predictability.clearinghouse_sums``) computes from the records. What the
allocations hold is read from the sums the database keeps per offer and per request
(``held``, ``proposed``, ``shipped``, ``delivered``): one scan of offers or requests,
no allocation read."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from allied.adapters.db.tables import offers, requests
from allied.domain.assistance import RecordStatus
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
    """What its allocations pledged and delivered is each request's own columns (kept by
    triggers, migrations 0017_lists and 0018_picture): pledged is ``held`` less
    ``proposed`` (the reports' ``PLEDGED_STATES``, the domain's ``PLEDGING``)."""
    r, o = requests.c, offers.c
    acc: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(gaps_report.GAP_SUMS, 0))
    wanted = and_(r.status != RecordStatus.WITHDRAWN, _within(r.needed_by, start, end))
    for family, n, quantity, pledged, delivered in session.execute(
        select(r.family, func.count(), func.sum(r.quantity), func.sum(r.held - r.proposed),
               func.sum(r.delivered))
        .where(wanted)
        .group_by(r.family)
    ):
        sums = acc[family]
        sums["requests"] += int(n)
        sums["requested"] += int(quantity)
        sums["pledged"] += int(pledged)
        sums["delivered"] += int(delivered)
    for family, quantity in session.execute(
        select(o.family, func.sum(o.quantity))
        .where(o.status != RecordStatus.WITHDRAWN, _within(o.available_from, start, end))
        .group_by(o.family)
    ):
        acc[family]["offered"] += int(quantity)
    return dict(acc)


def clearinghouse_sums(
    session: Session, start: dt.date | None, end: dt.date | None
) -> dict[tuple[str, str], dict[str, int]]:
    """What its allocations pledged, shipped and delivered is each offer's own columns
    (kept by triggers, migration 0022_report_sums): pledged is ``held`` less
    ``proposed``."""
    o = offers.c
    acc: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(predictability_report.CLEARING_SUMS, 0)
    )
    for donor, channel, n, quantity, pledged, shipped, delivered in session.execute(
        select(o.donor, o.channel, func.count(), func.sum(o.quantity),
               func.sum(o.held - o.proposed), func.sum(o.shipped), func.sum(o.delivered))
        .where(_within(o.available_from, start, end))
        .group_by(o.donor, o.channel)
    ):
        sums = acc[(donor, channel.value)]
        sums["offers"] += int(n)
        sums["offered"] += int(quantity)
        sums["pledged"] += int(pledged)
        sums["shipped"] += int(shipped)
        sums["delivered"] += int(delivered)
    return dict(acc)
