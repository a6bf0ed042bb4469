"""monitor: proposed events and analysts' decisions

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitor_events",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("document", sa.String(length=300), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("date", sa.String(length=10), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed", sa.Text(), nullable=False),
        sa.Column("analyst", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor"], ["actors.code"], name=op.f("fk_monitor_events_actor_actors")
        ),
        sa.ForeignKeyConstraint(
            ["target"], ["actors.code"], name=op.f("fk_monitor_events_target_actors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_events")),
    )
    with op.batch_alter_table("monitor_events", schema=None) as batch_op:
        batch_op.create_index("ix_monitor_events_status", ["status"], unique=False)
        batch_op.create_index("ix_monitor_events_actor", ["actor"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("monitor_events", schema=None) as batch_op:
        batch_op.drop_index("ix_monitor_events_actor")
        batch_op.drop_index("ix_monitor_events_status")
    op.drop_table("monitor_events")
