"""Tables of imported public data (Kiel Ukraine Support Tracker, SIPRI trade register).

Registered on the shared ``metadata`` (``tables.py`` imports this module). The rows are
plain records (:mod:`allied.reports.records`), read and written with SQLAlchemy Core by
:class:`SqlPublicData`, inside the unit of work's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    delete,
    exists,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from allied.adapters.db.tables import metadata
from allied.adapters.db.types import DecimalText
from allied.reports.records import KielMonth, SipriTransfer

kiel_allocations = Table(
    "kiel_allocations",
    metadata,
    Column("donor", String(16), primary_key=True),
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("month", Integer, primary_key=True, autoincrement=False),
    Column("donor_name", String(200), nullable=False),
    Column("donor_kind", String(32), nullable=False),
    Column("donor_group", String(32), nullable=False, default=""),
    Column("total", DecimalText, nullable=False),
    Column("financial", DecimalText, nullable=False),
    Column("humanitarian", DecimalText, nullable=False),
    Column("military", DecimalText, nullable=False),
    Column("commitments", DecimalText, nullable=True),
    Column("to_be_allocated", DecimalText, nullable=True),
    Column("gdp_eur_bn", DecimalText, nullable=True),
    Column("pct_gdp", DecimalText, nullable=True),
    Column("source", Text, nullable=False, default=""),
)

sipri_transfers = Table(
    "sipri_transfers",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("recipient", String(16), nullable=False),
    Column("recipient_name", String(200), nullable=False),
    Column("supplier", String(16), nullable=False),
    Column("supplier_name", String(200), nullable=False),
    Column("supplier_kind", String(32), nullable=False),
    Column("order_year", Integer, nullable=False),
    Column("order_year_uncertain", Boolean, nullable=False),
    Column("ordered", Integer, nullable=True),
    Column("ordered_uncertain", Boolean, nullable=False),
    Column("designation", String(200), nullable=False),
    Column("description", String(200), nullable=False),
    Column("delivered", Integer, nullable=True),
    Column("delivered_uncertain", Boolean, nullable=False),
    Column("delivery_years", String(200), nullable=False, default=""),
    Column("status", String(64), nullable=False, default=""),
    Column("comments", Text, nullable=False, default=""),
    Column("tiv_unit", DecimalText, nullable=True),
    Column("tiv_order", DecimalText, nullable=True),
    Column("tiv_delivered", DecimalText, nullable=True),
    Column("calibre_mm", Integer, nullable=True),
    Column("family", String(40), nullable=True),
    Column("source", Text, nullable=False, default=""),
    Index("ix_sipri_transfers_recipient", "recipient"),
    Index("ix_sipri_transfers_supplier", "supplier"),
)

_KIEL_FIELDS = [f.name for f in fields(KielMonth)]
_SIPRI_FIELDS = [f.name for f in fields(SipriTransfer)]


def _sipri_row(t: SipriTransfer) -> dict[str, Any]:
    row = asdict(t)
    row["delivery_years"] = ";".join(str(y) for y in t.delivery_years)
    return row


def _sipri_record(row: Any) -> SipriTransfer:
    data = {name: getattr(row, name) for name in _SIPRI_FIELDS}
    data["delivery_years"] = tuple(int(y) for y in str(row.delivery_years).split(";") if y)
    return SipriTransfer(**data)


class SqlPublicData:
    """Public-data rows in the session's transaction (the unit of work commits)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def holds(self, dataset: str) -> bool:
        table = {"kiel": kiel_allocations, "sipri": sipri_transfers}.get(dataset)
        if table is None:
            raise ValueError(f"no public data set {dataset!r}")
        return self.session.execute(select(exists().select_from(table))).scalar() is True

    # -- Kiel -------------------------------------------------------------------------
    def kiel_months(self, donors: Iterable[str] | None = None) -> list[KielMonth]:
        stmt = select(kiel_allocations).order_by(
            kiel_allocations.c.donor, kiel_allocations.c.year, kiel_allocations.c.month
        )
        if donors is not None:
            stmt = stmt.where(kiel_allocations.c.donor.in_(sorted(set(donors))))
        return [
            KielMonth(**{name: getattr(r, name) for name in _KIEL_FIELDS})
            for r in self.session.execute(stmt)
        ]

    def add_kiel(self, months: Sequence[KielMonth]) -> None:
        if months:
            self.session.execute(kiel_allocations.insert(), [asdict(m) for m in months])

    def update_kiel(self, months: Sequence[KielMonth]) -> None:
        if not months:
            return
        key = ("donor", "year", "month")
        stmt = (
            kiel_allocations.update()
            .where(
                kiel_allocations.c.donor == bindparam("k_donor"),
                kiel_allocations.c.year == bindparam("k_year"),
                kiel_allocations.c.month == bindparam("k_month"),
            )
            .values({c: bindparam(c) for c in _KIEL_FIELDS if c not in key})
        )
        params = []
        for m in months:
            row = asdict(m)
            params.append(
                {**{c: v for c, v in row.items() if c not in key}} | {f"k_{c}": row[c] for c in key}
            )
        self.session.execute(stmt, params)

    def delete_kiel(self, keys: Sequence[tuple[str, int, int]]) -> None:
        cols = tuple_(kiel_allocations.c.donor, kiel_allocations.c.year, kiel_allocations.c.month)
        for start in range(0, len(keys), 500):
            self.session.execute(
                delete(kiel_allocations).where(cols.in_(keys[start : start + 500]))
            )

    # -- SIPRI ------------------------------------------------------------------------
    def sipri_transfers(self, recipients: Iterable[str] | None = None) -> list[SipriTransfer]:
        stmt = select(sipri_transfers).order_by(sipri_transfers.c.key)
        if recipients is not None:
            stmt = stmt.where(sipri_transfers.c.recipient.in_(sorted(set(recipients))))
        return [_sipri_record(r) for r in self.session.execute(stmt)]

    def add_sipri(self, transfers: Sequence[SipriTransfer]) -> None:
        if transfers:
            self.session.execute(sipri_transfers.insert(), [_sipri_row(t) for t in transfers])

    def delete_sipri(self, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), 500):
            self.session.execute(
                delete(sipri_transfers).where(sipri_transfers.c.key.in_(keys[start : start + 500]))
            )
