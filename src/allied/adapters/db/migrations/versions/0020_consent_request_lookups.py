"""consent_requests: indexes for the lookups by offer and by holder and family

Revision ID: 0020_consent_lookups
Revises: 0019_picture_parts
Create Date: 2026-12-05

An allocation's consent is read from the consent requests that may be about its offer
(``adapters/db/todo_queries.TodoQueries.consents_about_offers``, the allocation and
to-do pages): those naming the offer (``offer_id``) and those about its donor's items of
its family naming no offer (``holder``, ``family``); the repository's
``consents.list(holder=, family=)`` (the same question without SQL of its own) asks the
second. The table had only its key and ``origin`` indexed, so each was a scan of every
consent request. Figures before and after: ``benchmarks/scale/INDEXES.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0020_consent_lookups"
down_revision: str | Sequence[str] | None = "0019_picture_parts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_consent_requests_offer_id", "consent_requests", ["offer_id"])
    op.create_index(
        "ix_consent_requests_holder_family", "consent_requests", ["holder", "family"]
    )


def downgrade() -> None:
    op.drop_index("ix_consent_requests_holder_family", table_name="consent_requests")
    op.drop_index("ix_consent_requests_offer_id", table_name="consent_requests")
