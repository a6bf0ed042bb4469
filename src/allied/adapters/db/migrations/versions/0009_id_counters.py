"""counters for generated record ids (allocations, proposals, consent requests)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

Generated ids (``AL-000001``, ``P-00001``, ``C-000001``) were drawn from a count of the
table: O(n) per id, and two processes writing at once could draw the same one. A row per
prefix now hands out numbers (``UPDATE ... RETURNING``, locked until commit). Each
counter starts at the largest number already used with its prefix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: prefix -> table whose ids it numbers
PREFIXES = {"AL": "allocations", "P": "proposals", "C": "consent_requests"}


def upgrade() -> None:
    counters = op.create_table(
        "id_counters",
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_id_counters")),
    )
    conn = op.get_bind()
    rows = []
    for prefix, table in PREFIXES.items():
        pattern = re.compile(rf"^{prefix}-(\d+)$")
        used = [
            int(m.group(1))
            for (id_,) in conn.execute(sa.text(f"SELECT id FROM {table}"))
            if (m := pattern.match(str(id_)))
        ]
        rows.append({"prefix": prefix, "value": max(used, default=0)})
    op.bulk_insert(counters, rows)


def downgrade() -> None:
    op.drop_table("id_counters")
