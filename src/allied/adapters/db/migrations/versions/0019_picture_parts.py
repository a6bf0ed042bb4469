"""picture_parts: per request and offer releasability, what is proposed, pledged, delivered;
offers.available computed and indexed

Revision ID: 0019_picture_parts
Revises: 0018_picture
Create Date: 2026-12-05

A nation's picture (the home page) counts, against the other nations' requests it sees,
only the allocations of offers it sees (its own, those whose releasability releases
them to it, those it was asked about as an origin state). At scale 0.25 that joined
250,000 allocations to their offers on the cold load of every nation's home page
(~190 ms of SQL for an origin state). Whether an offer's releasability text releases it
to a nation does not depend on the offer: ``picture_parts`` keeps, per request and per
releasability text of the offers allocated to it, the quantity proposed, pledged (held
past proposed) and delivered (delivered, in repair, returned: the domain's
``DELIVERED_STATES``), so the picture sums a few rows per request for the offers released
by their text and joins allocations only for the offers it sees otherwise (its own
offers released to nobody else, those it was asked about).

Only rows with something in them are kept. Triggers keep it in the transaction of every
write to an allocation (insert, delete, a change of status, quantity, offer or request)
and of every change of an offer's releasability, as 0017_lists and 0018_picture keep
their columns; existing rows get theirs here, from their allocations.

``ix_allocations_offer_parts`` (an offer's allocations with their request, status and
quantity) replaces the index on ``allocations.offer_id`` alone: the picture reads the
allocations of a nation's own and asked-about offers from it.

``offers.available`` is what is left of an offer (its quantity less what its allocations
hold, never below nothing), a column the database computes from ``quantity`` and
``held`` (stored on PostgreSQL, virtual on SQLite) and indexed (most first, then the id):
the offers list sorted by it (``/offers?sort=-available``) read every offer it may show to
compute it and sort them, 40-60 ms at scale 0.25, where it now walks the index.

A read model, not a record: the domain does not map it, the ledger does not hash it, and
``tests/integration/test_picture_parts.py`` holds it equal to the recomputed sums after
random writes on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_picture_parts"
down_revision: str | Sequence[str] | None = "0018_picture"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: column -> the statuses whose quantity it sums (as this migration wrote the triggers: a
#: change to the domain's statuses needs a new migration). ``pledged``: the domain's
#: COMMITTING but ``proposed``.
SPLIT = {
    "proposed": ("proposed",),
    "pledged": ("pledged", "consent-pending", "approved", "shipped", "delivered", "lost",
                "in-repair", "returned"),
    "delivered": ("delivered", "in-repair", "returned"),
}
_COUNTED = tuple(dict.fromkeys(s for statuses in SPLIT.values() for s in statuses))
COLUMNS = tuple(SPLIT)


def _in(statuses: Sequence[str], row: str) -> str:
    return f"{row}.status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


def _qty(column: str, row: str) -> str:
    return f"(CASE WHEN {_in(SPLIT[column], row)} THEN {row}.quantity ELSE 0 END)"


def _counts(row: str) -> str:
    return _in(_COUNTED, row)


_EMPTY = " AND ".join(f"{c} = 0" for c in COLUMNS)
_COLS = ", ".join(COLUMNS)
#: an offer's quantity less what is held, never below nothing (as this migration wrote it)
AVAILABLE = "CASE WHEN quantity > held THEN quantity - held ELSE 0 END"
_ADD_EXCLUDED = ", ".join(f"{c} = picture_parts.{c} + excluded.{c}" for c in COLUMNS)


def _sums(row: str) -> str:
    return ", ".join(f"sum({_qty(c, row)})" for c in COLUMNS)


def _add(row: str) -> str:
    """Add allocation ``row`` (NEW) to its request's part of its offer's releasability."""
    return (
        f"INSERT INTO picture_parts (request_id, releasability, {_COLS}) "
        f"SELECT {row}.request_id, o.releasability, "
        + ", ".join(_qty(c, row) for c in COLUMNS)
        + f" FROM offers o WHERE o.id = {row}.offer_id "
        f"ON CONFLICT (request_id, releasability) DO UPDATE SET {_ADD_EXCLUDED};"
    )


def _take(row: str) -> str:
    """Take allocation ``row`` (OLD) away from its part, and drop the part if empty."""
    rel = f"(SELECT o.releasability FROM offers o WHERE o.id = {row}.offer_id)"
    return (
        "UPDATE picture_parts SET "
        + ", ".join(f"{c} = {c} - {_qty(c, row)}" for c in COLUMNS)
        + f" WHERE request_id = {row}.request_id AND releasability = {rel};"
        f" DELETE FROM picture_parts WHERE request_id = {row}.request_id"
        f" AND releasability = {rel} AND {_EMPTY};"
    )


def _move_offer(body_sep: str = "\n    ") -> str:
    """An offer's releasability changed: its allocations' quantities move from the parts
    of the old text to those of the new one."""
    of_offer = "SELECT a.request_id FROM allocations a WHERE a.offer_id = NEW.id"
    take = (
        "UPDATE picture_parts SET "
        + ", ".join(
            f"{c} = {c} - (SELECT COALESCE(sum({_qty(c, 'a')}), 0) FROM allocations a "
            f"WHERE a.offer_id = NEW.id AND a.request_id = picture_parts.request_id)"
            for c in COLUMNS
        )
        + f" WHERE releasability = OLD.releasability AND request_id IN ({of_offer});"
    )
    drop = (
        f"DELETE FROM picture_parts WHERE releasability = OLD.releasability "
        f"AND request_id IN ({of_offer}) AND {_EMPTY};"
    )
    add = (
        f"INSERT INTO picture_parts (request_id, releasability, {_COLS}) "
        f"SELECT a.request_id, NEW.releasability, {_sums('a')} FROM allocations a "
        f"WHERE a.offer_id = NEW.id AND {_counts('a')} GROUP BY a.request_id "
        f"ON CONFLICT (request_id, releasability) DO UPDATE SET {_ADD_EXCLUDED};"
    )
    return body_sep.join((take, drop, add))


_PG_ALLOCATIONS = f"""
CREATE FUNCTION allocations_picture_parts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.request_id = NEW.request_id AND OLD.offer_id = NEW.offer_id
            AND {" AND ".join(f"{_qty(c, 'OLD')} = {_qty(c, 'NEW')}" for c in COLUMNS)} THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND {_counts("OLD")} THEN
        {_take("OLD")}
    END IF;
    IF TG_OP <> 'DELETE' AND {_counts("NEW")} THEN
        {_add("NEW")}
        DELETE FROM picture_parts WHERE request_id = NEW.request_id AND {_EMPTY};
    END IF;
    RETURN NULL;
END
$$
"""

_PG_OFFERS = f"""
CREATE FUNCTION offers_picture_parts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.releasability IS DISTINCT FROM NEW.releasability THEN
    {_move_offer()}
    END IF;
    RETURN NULL;
END
$$
"""

_PG_TRIGGERS = (
    "CREATE TRIGGER allocations_picture_parts "
    "AFTER INSERT OR DELETE OR UPDATE OF status, quantity, offer_id, request_id "
    "ON allocations FOR EACH ROW EXECUTE FUNCTION allocations_picture_parts()",
    "CREATE TRIGGER offers_picture_parts AFTER UPDATE OF releasability ON offers "
    "FOR EACH ROW EXECUTE FUNCTION offers_picture_parts()",
)

_SQLITE_TRIGGERS = (
    f"""
CREATE TRIGGER allocations_parts_insert AFTER INSERT ON allocations
WHEN {_counts("NEW")}
BEGIN
    {_add("NEW")}
    DELETE FROM picture_parts WHERE request_id = NEW.request_id AND {_EMPTY};
END
""",
    f"""
CREATE TRIGGER allocations_parts_delete AFTER DELETE ON allocations
WHEN {_counts("OLD")}
BEGIN
    {_take("OLD")}
END
""",
    f"""
CREATE TRIGGER allocations_parts_update
AFTER UPDATE OF status, quantity, offer_id, request_id ON allocations
WHEN NOT ({" AND ".join(f"{_qty(c, 'OLD')} = {_qty(c, 'NEW')}" for c in COLUMNS)})
    OR OLD.offer_id <> NEW.offer_id OR OLD.request_id <> NEW.request_id
BEGIN
    {_take("OLD")}
    {_add("NEW")}
    DELETE FROM picture_parts WHERE request_id = NEW.request_id AND {_EMPTY};
END
""",
    f"""
CREATE TRIGGER offers_parts_update AFTER UPDATE OF releasability ON offers
WHEN OLD.releasability <> NEW.releasability
BEGIN
    {_move_offer()}
END
""",
)

_SQLITE_NAMES = (
    "allocations_parts_insert", "allocations_parts_delete", "allocations_parts_update",
    "offers_parts_update",
)

_BACKFILL = (
    f"INSERT INTO picture_parts (request_id, releasability, {_COLS}) "
    f"SELECT a.request_id, o.releasability, {_sums('a')} "
    "FROM allocations a JOIN offers o ON o.id = a.offer_id "
    f"WHERE {_counts('a')} GROUP BY a.request_id, o.releasability"
)


def upgrade() -> None:
    op.create_table(
        "picture_parts",
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("releasability", sa.String(400), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in COLUMNS),
        sa.PrimaryKeyConstraint("request_id", "releasability", name="pk_picture_parts"),
    )
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        # writers are serialised (each takes the ledger head first), so no write to an
        # allocation or an offer runs between the backfill and the triggers
        conn.execute(sa.text("LOCK TABLE allocations, offers IN SHARE MODE"))
        conn.execute(sa.text(_PG_ALLOCATIONS))
        conn.execute(sa.text(_PG_OFFERS))
        for sql in _PG_TRIGGERS:
            conn.execute(sa.text(sql))
    else:
        for sql in _SQLITE_TRIGGERS:
            conn.execute(sa.text(sql))
    conn.execute(sa.text(_BACKFILL))
    conn.execute(sa.text(f"DELETE FROM picture_parts WHERE {_EMPTY}"))
    # what is left of each offer, computed by the database and indexed: the offers list
    # sorted by it walks the index instead of computing and sorting every visible offer
    pg = conn.dialect.name == "postgresql"
    kept = "STORED" if pg else "VIRTUAL"  # (SQLite adds only virtual columns in place)
    conn.execute(sa.text(
        f"ALTER TABLE offers ADD COLUMN available INTEGER GENERATED ALWAYS AS ({AVAILABLE}) "
        + kept
    ))
    op.create_index(
        "ix_offers_available", "offers",
        [sa.text("available DESC NULLS LAST" if pg else "available DESC"), "id"],
    )
    # an offer's allocations with their request, status and quantity in the index (it
    # replaces the index on the offer alone): a nation's picture reads those of its own
    # offers and of those it was asked about from the index, where the planner otherwise
    # scans every allocation to hash-join them
    op.drop_index("ix_allocations_offer_id", table_name="allocations")
    op.create_index("ix_allocations_offer_parts", "allocations",
                    ["offer_id", "request_id", "status", "quantity"])
    if pg:
        for table in ("picture_parts", "offers", "allocations"):
            conn.execute(sa.text(f"ANALYZE {table}"))


def downgrade() -> None:
    op.drop_index("ix_allocations_offer_parts", table_name="allocations")
    op.create_index("ix_allocations_offer_id", "allocations", ["offer_id"])
    op.drop_index("ix_offers_available", table_name="offers")
    op.drop_column("offers", "available")
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("DROP TRIGGER offers_picture_parts ON offers"))
        conn.execute(sa.text("DROP TRIGGER allocations_picture_parts ON allocations"))
        conn.execute(sa.text("DROP FUNCTION offers_picture_parts()"))
        conn.execute(sa.text("DROP FUNCTION allocations_picture_parts()"))
    else:
        for name in _SQLITE_NAMES:
            conn.execute(sa.text(f"DROP TRIGGER {name}"))
    op.drop_table("picture_parts")
