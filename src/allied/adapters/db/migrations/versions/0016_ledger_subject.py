"""ledger_entries.subject: the id of the record an entry is about, indexed

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

A record page shows the ledger entries about its record. Found by reading every
payload, that is a scan of the whole ledger per page view: on the benchmarks/scale
database (1,003,067 entries, PostgreSQL) about 0.4 s. The entry's ``subject`` (its
payload's ``id``, when it has one) is a copy kept beside the hashed payload, which
stays the ledger's truth: it is not hashed and verifying the chain does not read it.
Existing entries get theirs here, from their payloads.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ledger_entries", sa.Column("subject", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(
            "UPDATE ledger_entries SET subject = left(payload::json->>'id', 64) "
            "WHERE json_typeof(payload::json->'id') = 'string'"
        ))
    else:
        conn.execute(sa.text(
            "UPDATE ledger_entries SET subject = substr(json_extract(payload, '$.id'), 1, 64) "
            "WHERE json_type(payload, '$.id') = 'text'"
        ))
    op.create_index(
        op.f("ix_ledger_entries_subject"), "ledger_entries", ["subject"], unique=False
    )
    if conn.dialect.name == "postgresql":
        # without statistics on the new column the planner scans the whole ledger
        # backwards for "the latest entries about X" (2.9 s instead of 0.1 ms, measured)
        conn.execute(sa.text("ANALYZE ledger_entries"))


def downgrade() -> None:
    op.drop_index(op.f("ix_ledger_entries_subject"), table_name="ledger_entries")
    op.drop_column("ledger_entries", "subject")
