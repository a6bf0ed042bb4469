"""signed ledger checkpoints; the records' baseline entry

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

``ledger_checkpoints`` keeps the signed checkpoints of the ledger head (served by
``GET /api/v1/ledger/checkpoint``). Entries written before this revision do not all
carry what a replay needs (a run named the allocations it made, not what they hold; a
reference load counted the records it inserted), so when the database holds records a
``ledger.baseline`` records them as they stand: ``allied ledger verify --records``
replays from the last baseline. A store with no records gets no baseline. The baseline
is written in parts of 5,000 records, an entry each (version 2 of the kind; databases
upgraded before that hold it as one entry, version 1, which still verifies).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT, INT, DAY, BOOL = sa.String(), sa.Integer(), sa.Date(), sa.Boolean()

#: records per baseline entry (``ledger.baseline`` version 2, in parts)
PART_RECORDS = 5000

#: record type -> (table, compared field -> (column, type)), as
#: ``allied.ledger.state.FIELDS`` has them at this revision (written out: a migration
#: must not change with the application's tables)
SOURCES: dict[str, tuple[str, dict[str, tuple[str, sa.types.TypeEngine[Any]]]]] = {
    "requests": ("requests", {
        "recipient": ("recipient", TEXT), "family": ("family", TEXT), "quantity": ("quantity", INT),
        "priority": ("priority", INT), "needed_by": ("needed_by", DAY), "status": ("status", TEXT),
    }),
    "offers": ("offers", {
        "donor": ("donor", TEXT), "family": ("family", TEXT), "quantity": ("quantity", INT),
        "available_from": ("available_from", DAY), "channel": ("channel", TEXT),
        "status": ("status", TEXT),
    }),
    "allocations": ("allocations", {
        "offer": ("offer_id", TEXT), "request": ("request_id", TEXT), "quantity": ("quantity", INT),
        "status": ("status", TEXT), "needs_consent": ("needs_consent", BOOL),
    }),
    "consents": ("consent_requests", {
        "origin": ("origin", TEXT), "holder": ("holder", TEXT), "family": ("family", TEXT),
        "recipient": ("recipient", TEXT), "offer": ("offer_id", TEXT), "status": ("status", TEXT),
    }),
    "proposals": ("proposals", {
        "forum": ("forum", TEXT), "rule": ("rule", TEXT), "title": ("title", TEXT),
        "version": ("version", INT), "status": ("status", TEXT), "deadline": ("deadline", DAY),
        "circulated_on": ("circulated_on", DAY),
    }),
}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def baseline_records(conn: sa.Connection) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for kind, (name, columns) in SOURCES.items():
        table = sa.table(
            name, sa.column("id", TEXT), *(sa.column(c, t) for c, t in columns.values())
        )
        rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings()
        out[kind] = {
            str(row["id"]): {f: _plain(row[c]) for f, (c, _) in columns.items()}
            for row in rows
        }
    return out


def upgrade() -> None:
    op.create_table(
        "ledger_checkpoints",
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("seq", "key_id", name=op.f("pk_ledger_checkpoints")),
    )
    from allied.ledger.chain import GENESIS, canonical, make_entry

    conn = op.get_bind()
    records = baseline_records(conn)
    if not any(records.values()):
        return
    head = conn.execute(sa.text("SELECT seq, hash FROM ledger_head WHERE id = 1")).first()
    seq, prev = (int(head.seq), str(head.hash)) if head is not None else (0, GENESIS)
    # in parts of PART_RECORDS records (version 2 of the kind), one entry each, so that
    # no entry grows with the store (one entry of every record was 16 MB of JSON at a
    # tenth of the decade, and verifying it took 140 MiB)
    chunks: list[dict[str, dict[str, Any]]] = [{}]
    size = 0
    for kind, by_id in records.items():
        for record_id, fields in by_id.items():
            if size == PART_RECORDS:
                chunks.append({})
                size = 0
            chunks[-1].setdefault(kind, {})[record_id] = fields
            size += 1
    rows = []
    for part, chunk in enumerate(chunks, start=1):
        entry = make_entry(
            seq + 1, prev, user="migration-0012", nation="", kind="ledger.baseline",
            payload={"v": 2, "part": part, "parts": len(chunks), "records": chunk},
        )
        rows.append({
            "seq": entry.seq, "at": entry.at, "user": entry.user, "nation": entry.nation,
            "kind": entry.kind, "payload": canonical(entry.payload),
            "prev_hash": entry.prev_hash, "hash": entry.hash,
        })
        seq, prev = entry.seq, entry.hash
    conn.execute(
        sa.text(
            'INSERT INTO ledger_entries (seq, at, "user", nation, kind, payload, prev_hash, hash) '
            "VALUES (:seq, :at, :user, :nation, :kind, :payload, :prev_hash, :hash)"
        ),
        rows,
    )
    if head is None:
        conn.execute(
            sa.text(
                "INSERT INTO ledger_head (id, seq, hash, records_seq) VALUES (1, :s, :h, :s)"
            ),
            {"s": seq, "h": prev},
        )
    else:
        conn.execute(
            sa.text("UPDATE ledger_head SET seq = :s, hash = :h, records_seq = :s WHERE id = 1"),
            {"s": seq, "h": prev},
        )


def downgrade() -> None:
    op.drop_table("ledger_checkpoints")
