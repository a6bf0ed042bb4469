"""an index on allocations.status

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

Allocations are read by status: the consent-pending ones each time a consent expires,
the API's and dashboard's lists filtered by status, the to-do lists (shipped ones to
confirm, approved ones to ship). Without an index each of those reads every allocation:
on the benchmarks/scale database (100,000 allocations, PostgreSQL) 50-70 ms per query,
growing with the ten years' million.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_allocations_status"), "allocations", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_allocations_status"), table_name="allocations")
