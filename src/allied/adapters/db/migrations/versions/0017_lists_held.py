"""offers and requests: held quantity and allocation count, kept by triggers

Revision ID: 0017_lists
Revises: 0016
Create Date: 2026-12-05

The offers list sorts by what is committed of each offer and what is still available,
the to-do list and the requests list by what is pledged against each request and what
is outstanding; each was a sum over every allocation (250,000 at scale 0.25) per page.
``held`` is that sum kept as a column: the quantity of the record's allocations in a
status that holds quantity (every status but ``rejected`` and ``withdrawn``: the
domain's ``COMMITTING``). ``allocation_count`` is how many allocations (any status) the
record has: a nation's allocation list counts what it sees from them (the allocations of
its own requests and of the offers it sees) instead of joining every allocation to its
offer and request. Triggers on ``allocations`` keep it in the transaction of
every write to an allocation (insert, a status move, a quantity, a delete), whatever
path writes it. Existing rows get theirs here, from their allocations.

A read model, not a record: the domain does not map it, the ledger does not hash it,
and ``tests/integration/test_held_read_model.py`` holds it equal to the recomputed sums
after random writes on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_lists"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The statuses that do not hold quantity (the complement of the domain's COMMITTING, as
#: this migration wrote the triggers; a change to COMMITTING needs a new migration).
RELEASED = ("rejected", "withdrawn")
_HOLDS = "{0}.status NOT IN (" + ", ".join(f"'{s}'" for s in RELEASED) + ")"

_PG_FUNCTION = f"""
CREATE FUNCTION allocations_held() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_held integer := 0;
    new_held integer := 0;
BEGIN
    IF TG_OP <> 'INSERT' AND {_HOLDS.format("OLD")} THEN
        old_held := OLD.quantity;
    END IF;
    IF TG_OP <> 'DELETE' AND {_HOLDS.format("NEW")} THEN
        new_held := NEW.quantity;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.offer_id = NEW.offer_id
            AND OLD.request_id = NEW.request_id THEN
        IF new_held <> old_held THEN
            UPDATE offers SET held = held + new_held - old_held WHERE id = NEW.offer_id;
            UPDATE requests SET held = held + new_held - old_held WHERE id = NEW.request_id;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        UPDATE offers SET held = held - old_held, allocation_count = allocation_count - 1
            WHERE id = OLD.offer_id;
        UPDATE requests SET held = held - old_held, allocation_count = allocation_count - 1
            WHERE id = OLD.request_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE offers SET held = held + new_held, allocation_count = allocation_count + 1
            WHERE id = NEW.offer_id;
        UPDATE requests SET held = held + new_held, allocation_count = allocation_count + 1
            WHERE id = NEW.request_id;
    END IF;
    RETURN NULL;
END
$$
"""

_PG_TRIGGER = """
CREATE TRIGGER allocations_held
AFTER INSERT OR DELETE OR UPDATE OF status, quantity, offer_id, request_id ON allocations
FOR EACH ROW EXECUTE FUNCTION allocations_held()
"""


def _sqlite_held(row: str) -> str:
    return f"(CASE WHEN {_HOLDS.format(row)} THEN {row}.quantity ELSE 0 END)"


def _sqlite_add(row: str, sign: str) -> str:
    """The statements adding (``+``) or taking away (``-``) allocation ``row``."""
    return "\n".join(
        f"    UPDATE {table} SET held = held {sign} {_sqlite_held(row)}, "
        f"allocation_count = allocation_count {sign} 1 WHERE id = {row}.{key};"
        for table, key in (("offers", "offer_id"), ("requests", "request_id"))
    )


_SQLITE_TRIGGERS = (
    f"""
CREATE TRIGGER allocations_held_insert AFTER INSERT ON allocations
BEGIN
{_sqlite_add("NEW", "+")}
END
""",
    f"""
CREATE TRIGGER allocations_held_delete AFTER DELETE ON allocations
BEGIN
{_sqlite_add("OLD", "-")}
END
""",
    f"""
CREATE TRIGGER allocations_held_update
AFTER UPDATE OF status, quantity, offer_id, request_id ON allocations
WHEN {_sqlite_held("OLD")} <> {_sqlite_held("NEW")}
    OR OLD.offer_id <> NEW.offer_id OR OLD.request_id <> NEW.request_id
BEGIN
{_sqlite_add("OLD", "-")}
{_sqlite_add("NEW", "+")}
END
""",
)

_SQLITE_NAMES = ("allocations_held_insert", "allocations_held_delete", "allocations_held_update")

#: The columns kept: the quantity held, and how many allocations (any status) there are.
COLUMNS = ("held", "allocation_count")


def _backfill(table: str, key: str) -> str:
    return (
        f"UPDATE {table} SET "
        f"held = COALESCE((SELECT sum(a.quantity) FROM allocations a "
        f"WHERE a.{key} = {table}.id AND {_HOLDS.format('a')}), 0), "
        f"allocation_count = (SELECT count(*) FROM allocations a WHERE a.{key} = {table}.id)"
    )


def upgrade() -> None:
    for table in ("offers", "requests"):
        for column in COLUMNS:
            op.add_column(
                table, sa.Column(column, sa.Integer(), nullable=False, server_default="0")
            )
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        # writers are serialised (each takes the ledger head first), so no write to an
        # allocation runs between the backfill and the trigger
        conn.execute(sa.text("LOCK TABLE allocations IN SHARE MODE"))
        conn.execute(sa.text(_PG_FUNCTION))
        conn.execute(sa.text(_PG_TRIGGER))
    else:
        for sql in _SQLITE_TRIGGERS:
            conn.execute(sa.text(sql))
    conn.execute(sa.text(_backfill("offers", "offer_id")))
    conn.execute(sa.text(_backfill("requests", "request_id")))
    # the latest moved first (the offers page lists them so): walked from the newest
    # instead of sorting every visible allocation
    newest = "DESC NULLS LAST" if conn.dialect.name == "postgresql" else "DESC"
    op.create_index(
        "ix_allocations_updated_at", "allocations", [sa.text(f"updated_at {newest}"), "id"]
    )
    # the latest entry of a kind (the last optimiser run, on every allocation page and
    # to-do list): with the kind alone indexed, PostgreSQL may estimate the kind common
    # enough to scan the ledger backwards from its head for it, 1-5 s over a million
    # entries when there is none (seen on one of two copies of one database, after
    # ANALYZE sampled it differently); with (kind, seq) it is one index lookup
    op.drop_index("ix_ledger_entries_kind", table_name="ledger_entries")
    op.create_index("ix_ledger_entries_kind", "ledger_entries", ["kind", "seq"])
    if conn.dialect.name == "postgresql":
        for table in ("offers", "requests", "allocations", "ledger_entries"):
            conn.execute(sa.text(f"ANALYZE {table}"))


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_kind", table_name="ledger_entries")
    op.create_index("ix_ledger_entries_kind", "ledger_entries", ["kind"])
    op.drop_index("ix_allocations_updated_at", table_name="allocations")
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("DROP TRIGGER allocations_held ON allocations"))
        conn.execute(sa.text("DROP FUNCTION allocations_held()"))
    else:
        for name in _SQLITE_NAMES:
            conn.execute(sa.text(f"DROP TRIGGER {name}"))
    for table in ("requests", "offers"):
        # SQLite drops a plain column in place (3.35+): no table copy, which the foreign
        # keys onto offers and requests would refuse
        for column in reversed(COLUMNS):
            op.drop_column(table, column)
