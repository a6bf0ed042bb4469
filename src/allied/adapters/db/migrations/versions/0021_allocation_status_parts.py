"""allocations: an index on (status, needs_consent, request_id)

Revision ID: 0021_allocation_status_parts
Revises: 0020_consent_lookups
Create Date: 2026-12-05

The coordinator's to-do list counts allocations by status: the pledges needing no
consent to approve (``status``, ``needs_consent``) and the deliveries overdue (four
statuses, joined to their request's needed-by date). With only ``ix_allocations_status``
each count read the rows of every allocation in those statuses from the table (165,000
at scale 1: 130 ms for the overdue count, 70 ms for the pledges); with their
``needs_consent`` and ``request_id`` in the index both are index-only scans (about 50 ms
and 4 ms). Figures: ``benchmarks/web/README.md`` (the section of 2026-12-05, steady).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0021_allocation_status_parts"
down_revision: str | Sequence[str] | None = "0020_consent_lookups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_allocations_status_parts", "allocations", ["status", "needs_consent", "request_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_allocations_status_parts", table_name="allocations")
