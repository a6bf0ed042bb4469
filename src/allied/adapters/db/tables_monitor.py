"""The monitor's record: proposed events and the analyst's decisions (SQLAlchemy Core).

Registered on the shared ``metadata`` by one import line at the end of ``tables.py``;
migration ``0006``. ``SqlMonitorEvents`` implements ``service.monitor.MonitorEvents``
inside a unit of work's transaction.
"""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.orm import Session

from allied.adapters.db.tables import metadata
from allied.monitor.model import EventType
from allied.monitor.record import RecordedEvent, Status
from allied.service.ports import UnitOfWork

monitor_events = Table(
    "monitor_events",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("document", String(300), nullable=False),
    Column("source", Text, nullable=False, default=""),
    Column("actor", String(16), ForeignKey("actors.code"), nullable=False),
    Column("type", String(32), nullable=False),
    Column("target", String(16), ForeignKey("actors.code"), nullable=True),
    Column("evidence", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("date", String(10), nullable=True),
    Column("confidence", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("proposed", Text, nullable=False, default=""),
    Column("analyst", String(100), nullable=False, default=""),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("note", Text, nullable=False, default=""),
    Index("ix_monitor_events_status", "status"),
    Index("ix_monitor_events_actor", "actor"),
)

_COLUMNS = [c.name for c in monitor_events.columns]


def _to_row(ev: RecordedEvent) -> dict[str, Any]:
    row = {c: getattr(ev, c) for c in _COLUMNS}
    row["type"] = ev.type.value
    row["status"] = ev.status.value
    return row


def _from_row(row: Any) -> RecordedEvent:
    data = dict(row._mapping)
    data["type"] = EventType(data["type"])
    data["status"] = Status(data["status"])
    return RecordedEvent(**data)


class SqlMonitorEvents:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, event_id: str) -> RecordedEvent | None:
        row = self.session.execute(
            select(monitor_events).where(monitor_events.c.id == event_id)
        ).first()
        return None if row is None else _from_row(row)

    def add(self, ev: RecordedEvent) -> None:
        self.session.execute(monitor_events.insert().values(**_to_row(ev)))

    def update(self, ev: RecordedEvent) -> None:
        self.session.execute(
            monitor_events.update().where(monitor_events.c.id == ev.id).values(**_to_row(ev))
        )

    def list(
        self, *, status: Status | None = None, document: str | None = None
    ) -> builtins.list[RecordedEvent]:
        stmt = select(monitor_events)
        if status is not None:
            stmt = stmt.where(monitor_events.c.status == status.value)
        if document is not None:
            stmt = stmt.where(monitor_events.c.document == document)
        stmt = stmt.order_by(monitor_events.c.document, monitor_events.c.start, monitor_events.c.id)
        return [_from_row(r) for r in self.session.execute(stmt)]


def sql_monitor_events(uow: UnitOfWork) -> SqlMonitorEvents:
    """The monitor's repository in ``uow``'s transaction (a ``SqlUnitOfWork``)."""
    session = getattr(uow, "session", None)
    if not isinstance(session, Session):
        raise TypeError("the monitor's SQL repository needs a SqlUnitOfWork inside 'with'")
    return SqlMonitorEvents(session)
