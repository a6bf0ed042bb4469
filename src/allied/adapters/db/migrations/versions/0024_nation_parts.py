"""nation_parts: per nation that sees an offer whatever its releasability (its donor, the
origin states asked about it), request and the offer's releasability, what is proposed,
pledged and delivered

Revision ID: 0024_nation_parts
Revises: 0023_request_in_flight
Create Date: 2026-12-06

A nation's picture (the home page) counts, against the other nations' requests it sees,
the allocations of the offers it sees: those released to it by their releasability text
come from ``picture_parts`` (0019_picture_parts); those it sees otherwise (its own
offers released to nobody else, the offers it was asked about as an origin state) were
read from their allocations. At a decade's volume that was the largest statement of a
large donor's home page: the USA, the origin of many offers others hold, was asked about
10,571 offers with 53,504 allocations over 18,588 requests, and finding the offers (an
origin and a releasability test on each) and their allocations took 200-240 ms.

``nation_parts`` keeps those sums per nation that sees the offer whatever its text (the
offer's donor; each origin state named in the offer's origin, not its donor, that a
consent request asked about the offer or about its holder's offers of its family), per
request and per the offer's releasability text (whether the text releases it to the
nation is decided when the picture is read, as for ``picture_parts``), in the quantities
``picture_parts`` keeps (0019's ``SPLIT``). The picture sums the nation's rows whose text
does not release the offer to it, against the others' requests it sees.

Only rows with something in them are kept. Triggers keep it in the transaction of every
write to an allocation (insert, delete, a change of status, quantity, offer or request),
of every change of an offer's donor, origin, family or releasability, and of every
consent request added, removed or changed in its origin, holder, family or offer (a
nation asked about an offer sees all its allocations, from then on, once whatever the
number of requests asking it); existing rows get theirs here, from their allocations.

A read model, not a record: the domain does not map it, the ledger does not hash it, and
``tests/integration/test_picture_parts.py`` holds it equal to the sums recomputed from
the records after random writes on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

import sqlalchemy as sa
from alembic import context, op

revision: str = "0024_nation_parts"
down_revision: str | Sequence[str] | None = "0023_request_in_flight"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _parts() -> ModuleType:
    """0019_picture_parts's module as Alembic loaded it: the statuses each column sums."""
    module: ModuleType = context.script.get_revision("0019_picture_parts").module
    return module


COLUMNS = ("proposed", "pledged", "delivered")
_COLS = ", ".join(COLUMNS)
_KEY = "nation, request_id, releasability"
_EMPTY = " AND ".join(f"{c} = 0" for c in COLUMNS)
_UPSERT = f"ON CONFLICT ({_KEY}) DO UPDATE SET " + ", ".join(
    f"{c} = nation_parts.{c} + excluded.{c}" for c in COLUMNS
)


def _qty(column: str, row: str) -> str:
    """SQL: allocation ``row``'s quantity where its status counts for ``column`` (0019)."""
    text: str = _parts()._qty(column, row)
    return text


def _counts(row: str) -> str:
    """SQL: allocation ``row``'s status counts for one of the columns (0019)."""
    text: str = _parts()._counts(row)
    return text


def _sums(row: str) -> str:
    return ", ".join(f"sum({_qty(c, row)})" for c in COLUMNS)


def _passes(nation: str, o: str) -> str:
    """SQL: ``nation`` is named in offer ``o``'s origin (a prefix of its columns: ``o.``,
    ``OLD.``) and is not its donor: asked about it, it sees it."""
    return f"{nation} <> {o}donor AND (',' || {o}origin || ',') LIKE ('%,' || {nation} || ',%')"


def _named(c: str, o: str) -> str:
    """SQL: consent request ``c`` names offer ``o`` (false, never null, where it names
    none: the test is negated in :data:`_ADD_UPDATED`)."""
    return f"{c}.offer_id IS NOT NULL AND {c}.offer_id = {o}id"


def _of_family(c: str, o: str) -> str:
    """SQL: consent request ``c`` names no offer and asks about its holder's offers of its
    family, ``o`` among them."""
    return f"{c}.offer_id IS NULL AND {c}.holder = {o}donor AND {c}.family = {o}family"


def _seers(o: str) -> str:
    """SQL: the nations that see offer ``o`` (``OLD.``/``NEW.``) whatever its text: its
    donor and the origin states asked about it, one row each."""
    asked = " UNION ".join(
        f"SELECT c.origin FROM consent_requests c WHERE {how('c', o)} AND {_passes('c.origin', o)}"
        for how in (_named, _of_family)
    )
    return f"SELECT {o}donor AS nation UNION {asked}"


def _seer_rows(where: str, columns: str) -> str:
    """SQL: for the offers ``o`` matching ``where``, a row (nation, ``columns``) per nation
    that sees it whatever its text (each way found by its own index)."""
    asked = " UNION ".join(
        f"SELECT c.origin, {columns} FROM offers o JOIN consent_requests c ON {how('c', 'o.')} "
        f"WHERE {where} AND {_passes('c.origin', 'o.')}"
        for how in (_named, _of_family)
    )
    return f"SELECT o.donor AS nation, {columns} FROM offers o WHERE {where} UNION {asked}"


def _add(row: str) -> str:
    """Add allocation ``row`` (NEW) to the parts of each nation seeing its offer."""
    quantities = ", ".join(f"{_qty(c, row)} AS {c}" for c in COLUMNS)
    rows = _seer_rows(f"o.id = {row}.offer_id", f"o.releasability, {quantities}")
    return (
        f"INSERT INTO nation_parts ({_KEY}, {_COLS}) "
        f"SELECT s.nation, {row}.request_id, s.releasability, {_COLS} FROM ({rows}) s "
        f"WHERE true {_UPSERT};"
    )


def _take(row: str) -> str:
    """Take allocation ``row`` (OLD) away from its parts, and drop those left empty."""
    seers = _seer_rows(f"o.id = {row}.offer_id", "1 AS one")
    where = (
        f"request_id = {row}.request_id AND "
        f"releasability = (SELECT o.releasability FROM offers o WHERE o.id = {row}.offer_id) "
        f"AND nation IN (SELECT s.nation FROM ({seers}) s)"
    )
    return (
        "UPDATE nation_parts SET "
        + ", ".join(f"{c} = {c} - {_qty(c, row)}" for c in COLUMNS)
        + f" WHERE {where}; DELETE FROM nation_parts WHERE {where} AND {_EMPTY};"
    )


def _move_offer() -> str:
    """An offer's donor, origin, family or releasability changed: its allocations leave
    the parts of the nations that saw it under its old text, and join those of the
    nations that see it under its new one."""
    of_offer = "SELECT a.request_id FROM allocations a WHERE a.offer_id = NEW.id"
    old = f"releasability = OLD.releasability AND nation IN ({_seers('OLD.')})"
    take = (
        "UPDATE nation_parts SET "
        + ", ".join(
            f"{c} = {c} - (SELECT COALESCE(sum({_qty(c, 'a')}), 0) FROM allocations a "
            f"WHERE a.offer_id = NEW.id AND a.request_id = nation_parts.request_id)"
            for c in COLUMNS
        )
        + f" WHERE {old} AND request_id IN ({of_offer});"
    )
    drop = f"DELETE FROM nation_parts WHERE {old} AND request_id IN ({of_offer}) AND {_EMPTY};"
    add = (
        f"INSERT INTO nation_parts ({_KEY}, {_COLS}) "
        f"SELECT s.nation, a.request_id, NEW.releasability, {_sums('a')} "
        f"FROM allocations a, ({_seers('NEW.')}) s "
        f"WHERE a.offer_id = NEW.id AND {_counts('a')} GROUP BY s.nation, a.request_id "
        f"{_UPSERT};"
    )
    return "\n    ".join((take, drop, add))


def _asked_now(origin: str, o: str, others: str) -> str:
    """SQL: a consent request of ``others`` asks ``origin`` about offer ``o``."""
    return " OR ".join(
        f"EXISTS (SELECT 1 FROM consent_requests c2 WHERE {how('c2', o)} "
        f"AND c2.origin = {origin} AND {others})"
        for how in (_named, _of_family)
    )


def _asked_by(c: str, unless: str) -> str:
    """SQL: (id, releasability) of the offers consent request ``c`` (``NEW``/``OLD``) asks
    its origin about, but for those ``unless`` holds of."""
    return " UNION ALL ".join(
        f"SELECT o.id, o.releasability FROM offers o WHERE {where} "
        f"AND {_passes(f'{c}.origin', 'o.')} AND NOT ({unless})"
        for where in (f"o.id = {c}.offer_id",
                      f"{c}.offer_id IS NULL AND o.donor = {c}.holder AND o.family = {c}.family")
    )


def _consent_add(unless: str) -> str:
    """A consent request (NEW) asks its origin about offers: their allocations join its
    parts, but for the offers ``unless`` holds of (it was asked already)."""
    return (
        f"INSERT INTO nation_parts ({_KEY}, {_COLS}) "
        f"SELECT NEW.origin, a.request_id, x.releasability, {_sums('a')} "
        f"FROM ({_asked_by('NEW', unless)}) x, allocations a "
        f"WHERE a.offer_id = x.id AND {_counts('a')} "
        f"GROUP BY a.request_id, x.releasability {_UPSERT};"
    )


def _consent_take() -> str:
    """A consent request (OLD) asks its origin no longer (removed or changed): the offers
    it asked about that no consent request asks it about now leave its parts."""
    gone = _asked_by("OLD", _asked_now("OLD.origin", "o.", "1 = 1"))
    take = (
        "UPDATE nation_parts SET "
        + ", ".join(
            f"{c} = {c} - (SELECT COALESCE(sum({_qty(c, 'a')}), 0) "
            f"FROM ({gone}) x, allocations a WHERE a.offer_id = x.id "
            f"AND x.releasability = nation_parts.releasability "
            f"AND a.request_id = nation_parts.request_id)"
            for c in COLUMNS
        )
        + " WHERE nation = OLD.origin AND request_id IN "
        f"(SELECT a.request_id FROM ({gone}) x, allocations a WHERE a.offer_id = x.id);"
    )
    drop = f"DELETE FROM nation_parts WHERE nation = OLD.origin AND {_EMPTY};"
    return take + "\n    " + drop


#: a new consent request adds the offers no other request asked its origin about
_ADD_INSERTED = _asked_now("NEW.origin", "o.", "c2.id <> NEW.id")
#: a changed one those no other request asked it about, nor the request as it was
_ADD_UPDATED = (
    f"{_ADD_INSERTED} OR (OLD.origin = NEW.origin AND "
    f"(({_named('OLD', 'o.')}) OR ({_of_family('OLD', 'o.')})))"
)


def _allocation_changed() -> str:
    """SQL: an update of an allocation moved it between parts."""
    return (
        "OLD.request_id <> NEW.request_id OR OLD.offer_id <> NEW.offer_id OR NOT ("
        + " AND ".join(f"{_qty(c, 'OLD')} = {_qty(c, 'NEW')}" for c in COLUMNS) + ")"
    )


_OFFER_CHANGED = " OR ".join(
    f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in ("releasability", "donor", "origin", "family")
)
_CONSENT_CHANGED = " OR ".join(
    f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in ("origin", "holder", "family", "offer_id")
)


def _pg_functions() -> tuple[str, ...]:
    return (
        f"""
CREATE FUNCTION allocations_nation_parts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NOT ({_allocation_changed()}) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND {_counts("OLD")} THEN
        {_take("OLD")}
    END IF;
    IF TG_OP <> 'DELETE' AND {_counts("NEW")} THEN
        {_add("NEW")}
        DELETE FROM nation_parts WHERE request_id = NEW.request_id AND {_EMPTY};
    END IF;
    RETURN NULL;
END
$$
""",
        f"""
CREATE FUNCTION offers_nation_parts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {_OFFER_CHANGED} THEN
    {_move_offer()}
    END IF;
    RETURN NULL;
END
$$
""",
        f"""
CREATE FUNCTION consent_requests_nation_parts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NOT ({_CONSENT_CHANGED}) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        {_consent_take()}
    END IF;
    IF TG_OP = 'INSERT' THEN
        {_consent_add(_ADD_INSERTED)}
    ELSIF TG_OP = 'UPDATE' THEN
        {_consent_add(_ADD_UPDATED)}
    END IF;
    RETURN NULL;
END
$$
""",
    )


_PG_TRIGGERS = (
    "CREATE TRIGGER allocations_nation_parts "
    "AFTER INSERT OR DELETE OR UPDATE OF status, quantity, offer_id, request_id "
    "ON allocations FOR EACH ROW EXECUTE FUNCTION allocations_nation_parts()",
    "CREATE TRIGGER offers_nation_parts "
    "AFTER UPDATE OF releasability, donor, origin, family ON offers "
    "FOR EACH ROW EXECUTE FUNCTION offers_nation_parts()",
    "CREATE TRIGGER consent_requests_nation_parts "
    "AFTER INSERT OR DELETE OR UPDATE OF origin, holder, family, offer_id "
    "ON consent_requests FOR EACH ROW EXECUTE FUNCTION consent_requests_nation_parts()",
)
_PG_NAMES = (("allocations_nation_parts", "allocations"), ("offers_nation_parts", "offers"),
             ("consent_requests_nation_parts", "consent_requests"))


def _sqlite_triggers() -> tuple[str, ...]:
    return (
        f"""
CREATE TRIGGER allocations_nation_parts_insert AFTER INSERT ON allocations
WHEN {_counts("NEW")}
BEGIN
    {_add("NEW")}
    DELETE FROM nation_parts WHERE request_id = NEW.request_id AND {_EMPTY};
END
""",
        f"""
CREATE TRIGGER allocations_nation_parts_delete AFTER DELETE ON allocations
WHEN {_counts("OLD")}
BEGIN
    {_take("OLD")}
END
""",
        f"""
CREATE TRIGGER allocations_nation_parts_update
AFTER UPDATE OF status, quantity, offer_id, request_id ON allocations
WHEN {_allocation_changed()}
BEGIN
    {_take("OLD")}
    {_add("NEW")}
    DELETE FROM nation_parts WHERE request_id = NEW.request_id AND {_EMPTY};
END
""",
        f"""
CREATE TRIGGER offers_nation_parts_update
AFTER UPDATE OF releasability, donor, origin, family ON offers
WHEN {_OFFER_CHANGED.replace("IS DISTINCT FROM", "IS NOT")}
BEGIN
    {_move_offer()}
END
""",
        f"""
CREATE TRIGGER consent_requests_nation_parts_insert AFTER INSERT ON consent_requests
BEGIN
    {_consent_add(_ADD_INSERTED)}
END
""",
        f"""
CREATE TRIGGER consent_requests_nation_parts_delete AFTER DELETE ON consent_requests
BEGIN
    {_consent_take()}
END
""",
        f"""
CREATE TRIGGER consent_requests_nation_parts_update
AFTER UPDATE OF origin, holder, family, offer_id ON consent_requests
WHEN {_CONSENT_CHANGED.replace("IS DISTINCT FROM", "IS NOT")}
BEGIN
    {_consent_take()}
    {_consent_add(_ADD_UPDATED)}
END
""",
    )


_SQLITE_NAMES = (
    "allocations_nation_parts_insert", "allocations_nation_parts_delete",
    "allocations_nation_parts_update", "offers_nation_parts_update",
    "consent_requests_nation_parts_insert", "consent_requests_nation_parts_delete",
    "consent_requests_nation_parts_update",
)


def _backfill() -> str:
    seers = (
        "SELECT o.id AS offer_id, o.donor AS nation, o.releasability FROM offers o UNION "
        + " UNION ".join(
            f"SELECT o.id, c.origin, o.releasability FROM offers o "
            f"JOIN consent_requests c ON {how('c', 'o.')} WHERE {_passes('c.origin', 'o.')}"
            for how in (_named, _of_family)
        )
    )
    return (
        f"INSERT INTO nation_parts ({_KEY}, {_COLS}) "
        f"SELECT s.nation, a.request_id, s.releasability, {_sums('a')} "
        f"FROM ({seers}) s JOIN allocations a ON a.offer_id = s.offer_id "
        f"WHERE {_counts('a')} GROUP BY s.nation, a.request_id, s.releasability"
    )


def upgrade() -> None:
    op.create_table(
        "nation_parts",
        sa.Column("nation", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("releasability", sa.String(400), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in COLUMNS),
        sa.PrimaryKeyConstraint("nation", "request_id", "releasability",
                                name="pk_nation_parts"),
    )
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        # writers are serialised (each takes the ledger head first), so no write runs
        # between the backfill and the triggers
        conn.execute(sa.text("LOCK TABLE allocations, offers, consent_requests IN SHARE MODE"))
        for sql in (*_pg_functions(), *_PG_TRIGGERS):
            conn.execute(sa.text(sql))
    else:
        for sql in _sqlite_triggers():
            conn.execute(sa.text(sql))
    conn.execute(sa.text(_backfill()))
    conn.execute(sa.text(f"DELETE FROM nation_parts WHERE {_EMPTY}"))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE nation_parts"))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for name, table in _PG_NAMES:
            conn.execute(sa.text(f"DROP TRIGGER {name} ON {table}"))
            conn.execute(sa.text(f"DROP FUNCTION {name}()"))
    else:
        for name in _SQLITE_NAMES:
            conn.execute(sa.text(f"DROP TRIGGER {name}"))
    op.drop_table("nation_parts")
