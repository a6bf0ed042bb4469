"""requests: the quantity proposed and the quantity delivered, kept by triggers

Revision ID: 0018_picture
Revises: 0017_lists
Create Date: 2026-12-05

The coordination cell's picture (the home page of every role) splits what is held
against the open requests of each family into proposed, pledged (held past proposed) and
delivered; it summed the 250,000 allocations (scale 0.25) by status on every cold load,
0.3-0.7 s. ``held`` (migration 0017_lists) is the quantity of a request's allocations in
a status that holds quantity; ``proposed`` is that of those ``proposed``, ``delivered``
that of those in a delivered status (``delivered``, ``in-repair``, ``returned``: the
domain's ``DELIVERED_STATES``). Triggers on ``allocations`` keep them in the
transaction of every write to an allocation, as they keep ``held``; existing rows get
theirs here, from their allocations.

A read model, not a record: the domain does not map it, the ledger does not hash it,
and ``tests/integration/test_held_read_model.py`` holds it equal to the recomputed sums
after random writes on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_picture"
down_revision: str | Sequence[str] | None = "0017_lists"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: column -> the statuses whose quantity it sums (as this migration wrote the triggers:
#: a change to the domain's statuses needs a new migration)
SPLIT = {"proposed": ("proposed",), "delivered": ("delivered", "in-repair", "returned")}


def _in(column: str, row: str) -> str:
    return f"{row}.status IN (" + ", ".join(f"'{s}'" for s in SPLIT[column]) + ")"


def _qty(column: str, row: str) -> str:
    return f"(CASE WHEN {_in(column, row)} THEN {row}.quantity ELSE 0 END)"


def _set(sign: str, row: str) -> str:
    return ", ".join(f"{c} = {c} {sign} {_qty(c, row)}" for c in SPLIT)


_PG_FUNCTION = f"""
CREATE FUNCTION allocations_picture() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.request_id = NEW.request_id
            AND {" AND ".join(f"{_qty(c, 'OLD')} = {_qty(c, 'NEW')}" for c in SPLIT)} THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND ({" OR ".join(_in(c, "OLD") for c in SPLIT)}) THEN
        UPDATE requests SET {_set("-", "OLD")} WHERE id = OLD.request_id;
    END IF;
    IF TG_OP <> 'DELETE' AND ({" OR ".join(_in(c, "NEW") for c in SPLIT)}) THEN
        UPDATE requests SET {_set("+", "NEW")} WHERE id = NEW.request_id;
    END IF;
    RETURN NULL;
END
$$
"""

_PG_TRIGGER = """
CREATE TRIGGER allocations_picture
AFTER INSERT OR DELETE OR UPDATE OF status, quantity, request_id ON allocations
FOR EACH ROW EXECUTE FUNCTION allocations_picture()
"""

_ANY_OLD = " OR ".join(_in(c, "OLD") for c in SPLIT)
_ANY_NEW = " OR ".join(_in(c, "NEW") for c in SPLIT)
_SAME = " AND ".join(f"{_qty(c, 'OLD')} = {_qty(c, 'NEW')}" for c in SPLIT)

_SQLITE_TRIGGERS = (
    f"""
CREATE TRIGGER allocations_picture_insert AFTER INSERT ON allocations
WHEN {_ANY_NEW}
BEGIN
    UPDATE requests SET {_set("+", "NEW")} WHERE id = NEW.request_id;
END
""",
    f"""
CREATE TRIGGER allocations_picture_delete AFTER DELETE ON allocations
WHEN {_ANY_OLD}
BEGIN
    UPDATE requests SET {_set("-", "OLD")} WHERE id = OLD.request_id;
END
""",
    f"""
CREATE TRIGGER allocations_picture_update
AFTER UPDATE OF status, quantity, request_id ON allocations
WHEN NOT ({_SAME}) OR OLD.request_id <> NEW.request_id
BEGIN
    UPDATE requests SET {_set("-", "OLD")} WHERE id = OLD.request_id;
    UPDATE requests SET {_set("+", "NEW")} WHERE id = NEW.request_id;
END
""",
)

_SQLITE_NAMES = (
    "allocations_picture_insert", "allocations_picture_delete", "allocations_picture_update"
)


def _backfill() -> str:
    return "UPDATE requests SET " + ", ".join(
        f"{c} = COALESCE((SELECT sum(a.quantity) FROM allocations a "
        f"WHERE a.request_id = requests.id AND {_in(c, 'a')}), 0)"
        for c in SPLIT
    )


def upgrade() -> None:
    for column in SPLIT:
        op.add_column(
            "requests", sa.Column(column, sa.Integer(), nullable=False, server_default="0")
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
    conn.execute(sa.text(_backfill()))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE requests"))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("DROP TRIGGER allocations_picture ON allocations"))
        conn.execute(sa.text("DROP FUNCTION allocations_picture()"))
    else:
        for name in _SQLITE_NAMES:
            conn.execute(sa.text(f"DROP TRIGGER {name}"))
    for column in reversed(tuple(SPLIT)):
        op.drop_column("requests", column)
