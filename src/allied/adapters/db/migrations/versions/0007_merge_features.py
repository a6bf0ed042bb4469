"""merge the users, public-data and monitor branches into one head

Revision ID: 0007
Revises: 0004, 0005, 0006
Create Date: 2026-11-23

The three feature migrations were written in parallel, each on top of 0003. This merge
gives the graph one head again, so the next migration has a single parent. It changes
no table.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | Sequence[str] | None = ("0004", "0005", "0006")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
