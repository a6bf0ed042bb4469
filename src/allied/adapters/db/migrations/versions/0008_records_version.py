"""a second data version on the ledger head: the last change other than a pledge

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

``ledger_head.seq`` moves with every change. ``records_seq`` is the sequence number of
the last ledger entry that changed anything besides allocations' quantities (every kind
but ``allocation.pledged``). Read caches of records, memberships and users key on it, so
a burst of pledges does not throw them away. Existing databases start with
``records_seq = seq``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_head", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("records_seq", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute("UPDATE ledger_head SET records_seq = seq")


def downgrade() -> None:
    with op.batch_alter_table("ledger_head", schema=None) as batch_op:
        batch_op.drop_column("records_seq")
