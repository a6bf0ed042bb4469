"""public data: Kiel Ukraine Support Tracker allocations and SIPRI trade register deals

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kiel_allocations",
        sa.Column("donor", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("donor_name", sa.String(length=200), nullable=False),
        sa.Column("donor_kind", sa.String(length=32), nullable=False),
        sa.Column("donor_group", sa.String(length=32), nullable=False),
        sa.Column("total", sa.String(length=64), nullable=False),
        sa.Column("financial", sa.String(length=64), nullable=False),
        sa.Column("humanitarian", sa.String(length=64), nullable=False),
        sa.Column("military", sa.String(length=64), nullable=False),
        sa.Column("commitments", sa.String(length=64), nullable=True),
        sa.Column("to_be_allocated", sa.String(length=64), nullable=True),
        sa.Column("gdp_eur_bn", sa.String(length=64), nullable=True),
        sa.Column("pct_gdp", sa.String(length=64), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("donor", "year", "month", name=op.f("pk_kiel_allocations")),
    )
    op.create_table(
        "sipri_transfers",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=16), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("supplier", sa.String(length=16), nullable=False),
        sa.Column("supplier_name", sa.String(length=200), nullable=False),
        sa.Column("supplier_kind", sa.String(length=32), nullable=False),
        sa.Column("order_year", sa.Integer(), nullable=False),
        sa.Column("order_year_uncertain", sa.Boolean(), nullable=False),
        sa.Column("ordered", sa.Integer(), nullable=True),
        sa.Column("ordered_uncertain", sa.Boolean(), nullable=False),
        sa.Column("designation", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=True),
        sa.Column("delivered_uncertain", sa.Boolean(), nullable=False),
        sa.Column("delivery_years", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("tiv_unit", sa.String(length=64), nullable=True),
        sa.Column("tiv_order", sa.String(length=64), nullable=True),
        sa.Column("tiv_delivered", sa.String(length=64), nullable=True),
        sa.Column("calibre_mm", sa.Integer(), nullable=True),
        sa.Column("family", sa.String(length=40), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sipri_transfers")),
    )
    with op.batch_alter_table("sipri_transfers", schema=None) as batch_op:
        batch_op.create_index("ix_sipri_transfers_recipient", ["recipient"], unique=False)
        batch_op.create_index("ix_sipri_transfers_supplier", ["supplier"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sipri_transfers", schema=None) as batch_op:
        batch_op.drop_index("ix_sipri_transfers_supplier")
        batch_op.drop_index("ix_sipri_transfers_recipient")
    op.drop_table("sipri_transfers")
    op.drop_table("kiel_allocations")
