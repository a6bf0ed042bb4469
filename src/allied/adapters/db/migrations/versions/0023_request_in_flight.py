"""requests.in_flight: how many of a request's allocations are on their way

Revision ID: 0023_request_in_flight
Revises: 0022_report_sums
Create Date: 2026-12-06

The coordinator's to-do list counts the overdue deliveries: the allocations pledged,
consent-pending, approved or shipped (the domain's ``IN_FLIGHT``) whose request was
needed before today. At a decade's volume (a million allocations) that count read some
170,000 allocations joined to their requests, about 52 ms, the largest statement of the
coordinator's home page.

``requests.in_flight`` counts, per request, its allocations in those statuses, so the
total is the sum of it over the requests needed before the day (one scan of requests, no
allocation read). It is kept by 0022_report_sums's trigger, regenerated here with the
one more column (a count: 1 per allocation instead of its quantity): on PostgreSQL the
same ``allocations_held()`` updating the request's row once per write to an allocation,
``in_flight`` in that one ``UPDATE``; on SQLite the same four triggers. A write to an
allocation costs no statement more than under 0022. Existing requests get the column
from their allocations in one grouped ``UPDATE ... FROM``.

A read model, not a record: the domain does not map it, the ledger does not hash it;
``tests/integration/test_report_sums.py`` holds it equal to the recount after random
writes and after this migration's backfill, on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision: str = "0023_request_in_flight"
down_revision: str | Sequence[str] | None = "0022_report_sums"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the statuses ``in_flight`` counts, as this migration wrote the trigger (the domain's
#: ``IN_FLIGHT`` when it was written; a change to it needs a new migration)
IN_FLIGHT = ("pledged", "consent-pending", "approved", "shipped")
COLUMN = "in_flight"


def _report_sums() -> ModuleType:
    """0022_report_sums's module, as Alembic loaded it for its revision map (its file name
    is no module name): its trigger generators and its own trigger SQL."""
    module: ModuleType = context.script.get_revision("0022_report_sums").module
    return module


def spec(sums: ModuleType) -> Any:
    """0022's trigger spec (of module ``sums``) with ``in_flight`` kept on requests."""
    key, columns = sums.KEPT["requests"]
    return sums.Spec(
        split={**sums.SPLIT, COLUMN: IN_FLIGHT},
        kept={**sums.KEPT, "requests": (key, (*columns, COLUMN))},
        counts=frozenset({COLUMN}),
    )


def upgrade() -> None:
    sums = _report_sums()
    kept = spec(sums)
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        # writers are serialised (each takes the ledger head first), so no write to an
        # allocation runs between the backfill and the trigger
        conn.execute(sa.text("LOCK TABLE allocations IN SHARE MODE"))
    op.add_column(
        "requests", sa.Column(COLUMN, sa.Integer(), nullable=False, server_default="0")
    )
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(sums.pg_function(kept)))
    else:
        for name in sums._SQLITE_NAMES:
            conn.execute(sa.text(f"DROP TRIGGER {name}"))
        for sql in sums.sqlite_triggers(kept):
            conn.execute(sa.text(sql))
    conn.execute(sa.text(sums.backfill("requests", (COLUMN,), kept)))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE requests"))


def downgrade() -> None:
    sums = _report_sums()
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(sums._PG_FUNCTION))
    else:
        for name in sums._SQLITE_NAMES:
            conn.execute(sa.text(f"DROP TRIGGER {name}"))
        for sql in sums._SQLITE_TRIGGERS:
            conn.execute(sa.text(sql))
    op.drop_column("requests", COLUMN)
