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

Only rows with something in them are kept. ``nation_offers`` keeps which origin states
see which offer (each pair once, whatever the number of consent requests asking): the
allocations' triggers find an offer's nations from it and the offer's donor by their
keys. Triggers keep both in the transaction of every write to an allocation (insert,
delete, a change of status, quantity, offer or request), to an offer (added, removed, a
change of its donor, origin, family or releasability) and to a consent request (added,
removed, a change of its origin, holder, family or offer). A consent request's trigger
decides from the records as they are against what ``nation_offers`` says is counted, so
it is right when PostgreSQL fires the row triggers of a statement writing several
requests after the statement, each seeing all its rows. Existing records get theirs
here.

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
    """SQL: the sums of allocations ``row``'s quantities per column (0019)."""
    text: str = _parts()._sums(row)
    return text


def _passes(nation: str, o: str) -> str:
    """SQL: ``nation`` is named in offer ``o``'s origin (a prefix of its columns: ``o.``,
    ``OLD.``) and is not its donor: asked about it, it sees it."""
    return f"{nation} <> {o}donor AND (',' || {o}origin || ',') LIKE ('%,' || {nation} || ',%')"


def _named(c: str, o: str) -> str:
    """SQL: consent request ``c`` names offer ``o`` (false, never null, where it names
    none)."""
    return f"{c}.offer_id IS NOT NULL AND {c}.offer_id = {o}id"


def _of_family(c: str, o: str) -> str:
    """SQL: consent request ``c`` names no offer and asks about its holder's offers of its
    family, ``o`` among them."""
    return f"{c}.offer_id IS NULL AND {c}.holder = {o}donor AND {c}.family = {o}family"


def _asks_now(nation: str, o: str) -> str:
    """SQL: a consent request asks ``nation`` about offer ``o`` (prefix ``o.``/``NEW.``)
    now, and the offer's origin names it and it is not the donor."""
    return f"{_passes(nation, o)} AND (" + " OR ".join(
        f"EXISTS (SELECT 1 FROM consent_requests c2 WHERE {how('c2', o)} "
        f"AND c2.origin = {nation})"
        for how in (_named, _of_family)
    ) + ")"


def _seers(offer: str) -> str:
    """SQL: the nations that see the offer of id ``offer`` whatever its text: its donor
    and the origin states asked about it (``nation_offers``), one row each."""
    return (
        f"SELECT o.donor AS nation FROM offers o WHERE o.id = {offer} "
        f"UNION SELECT p.nation FROM nation_offers p WHERE p.offer_id = {offer}"
    )


def _add(row: str) -> str:
    """Add allocation ``row`` (NEW) to the parts of each nation seeing its offer."""
    return (
        f"INSERT INTO nation_parts ({_KEY}, {_COLS}) "
        f"SELECT s.nation, {row}.request_id, o.releasability, "
        + ", ".join(_qty(c, row) for c in COLUMNS)
        + f" FROM ({_seers(f'{row}.offer_id')}) s, offers o WHERE o.id = {row}.offer_id "
        f"{_UPSERT};"
    )


def _take(row: str) -> str:
    """Take allocation ``row`` (OLD) away from its parts, and drop those left empty (found
    by their key: the nations seeing the offer, the request)."""
    where = (
        f"nation IN ({_seers(f'{row}.offer_id')}) AND request_id = {row}.request_id AND "
        f"releasability = (SELECT o.releasability FROM offers o WHERE o.id = {row}.offer_id)"
    )
    return (
        "UPDATE nation_parts SET "
        + ", ".join(f"{c} = {c} - {_qty(c, row)}" for c in COLUMNS)
        + f" WHERE {where}; DELETE FROM nation_parts WHERE {where} AND {_EMPTY};"
    )


def _drop_empty(row: str) -> str:
    return (
        f"DELETE FROM nation_parts WHERE nation IN ({_seers(f'{row}.offer_id')}) "
        f"AND request_id = {row}.request_id AND {_EMPTY};"
    )


def _offer_parts(rel: str, sign: str) -> str:
    """SQL: the allocations of offer NEW.id added to (``+``) or taken from (``-``) the
    parts under releasability ``rel`` of the nations that see it now (its donor, NEW or
    OLD as the statement's place says, and its ``nation_offers``); the parts left empty
    dropped (allocations of nothing add an empty part)."""
    donor = "OLD.donor" if rel.startswith("OLD") else "NEW.donor"
    seers = f"SELECT {donor} AS nation UNION SELECT p.nation FROM nation_offers p " \
            f"WHERE p.offer_id = NEW.id"
    where = (f"releasability = {rel} AND nation IN ({seers}) AND request_id IN "
             f"(SELECT a.request_id FROM allocations a WHERE a.offer_id = NEW.id)")
    if sign == "+":
        return (
            f"INSERT INTO nation_parts ({_KEY}, {_COLS}) "
            f"SELECT s.nation, a.request_id, {rel}, {_sums('a')} "
            f"FROM allocations a, ({seers}) s "
            f"WHERE a.offer_id = NEW.id AND {_counts('a')} GROUP BY s.nation, a.request_id "
            f"{_UPSERT}; DELETE FROM nation_parts WHERE {where} AND {_EMPTY};"
        )
    return (
        "UPDATE nation_parts SET "
        + ", ".join(
            f"{c} = {c} - (SELECT COALESCE(sum({_qty(c, 'a')}), 0) FROM allocations a "
            f"WHERE a.offer_id = NEW.id AND a.request_id = nation_parts.request_id)"
            for c in COLUMNS
        )
        + f" WHERE {where}; DELETE FROM nation_parts WHERE {where} AND {_EMPTY};"
    )


def _offer_pairs() -> str:
    """SQL: offer NEW's ``nation_offers`` made again from the consent requests asking
    about it (an offer's donor, origin or family changed, or the offer added)."""
    asked = " UNION ".join(
        f"SELECT c.origin, NEW.id FROM consent_requests c WHERE {how('c', 'NEW.')} "
        f"AND {_passes('c.origin', 'NEW.')}"
        for how in (_named, _of_family)
    )
    return (
        "DELETE FROM nation_offers WHERE offer_id = NEW.id; "
        f"INSERT INTO nation_offers (nation, offer_id) {asked};"
    )


def _move_offer() -> str:
    """An offer's donor, origin, family or releasability changed: its allocations leave
    the parts of the nations that saw it under its old text, who sees it is found again,
    and they join the parts of the nations that see it under its new text."""
    return "\n    ".join((_offer_parts("OLD.releasability", "-"), _offer_pairs(),
                            _offer_parts("NEW.releasability", "+")))


def _candidates(c: str) -> str:
    """SQL: the offers consent request ``c`` (``NEW``/``OLD``) is about, whoever asks."""
    return (
        f"SELECT o.id FROM offers o WHERE o.id = {c}.offer_id UNION "
        f"SELECT o.id FROM offers o WHERE {c}.offer_id IS NULL AND o.donor = {c}.holder "
        f"AND o.family = {c}.family"
    )


def _consent_settle(nation: str, about: str) -> str:
    """A consent request asking ``nation`` about the offers ``about`` (ids) was added,
    removed or changed: each of them ``nation`` is asked about now and was not counted
    for joins its parts and ``nation_offers``; each counted for it that it is asked about
    no longer leaves them. Decided from the records as they are now against what
    ``nation_offers`` says is counted, so the same request settled twice (PostgreSQL fires
    the row triggers of one statement after it, each seeing all its rows) changes
    nothing the second time."""
    joining = (
        f"SELECT o.id, o.releasability FROM offers o WHERE o.id IN ({about}) "
        f"AND {_asks_now(nation, 'o.')} AND NOT EXISTS (SELECT 1 FROM nation_offers p "
        f"WHERE p.offer_id = o.id AND p.nation = {nation})"
    )
    leaving = (
        f"SELECT o.id, o.releasability FROM offers o, nation_offers p WHERE o.id IN ({about}) "
        f"AND p.offer_id = o.id AND p.nation = {nation} AND NOT ({_asks_now(nation, 'o.')})"
    )
    add = (
        f"INSERT INTO nation_parts ({_KEY}, {_COLS}) "
        f"SELECT {nation}, a.request_id, x.releasability, {_sums('a')} "
        f"FROM ({joining}) x, allocations a WHERE a.offer_id = x.id AND {_counts('a')} "
        f"GROUP BY a.request_id, x.releasability {_UPSERT};"
    )
    take = (
        "UPDATE nation_parts SET "
        + ", ".join(
            f"{c} = {c} - (SELECT COALESCE(sum({_qty(c, 'a')}), 0) "
            f"FROM ({leaving}) x, allocations a WHERE a.offer_id = x.id "
            f"AND x.releasability = nation_parts.releasability "
            f"AND a.request_id = nation_parts.request_id)"
            for c in COLUMNS
        )
        + f" WHERE nation = {nation} AND request_id IN "
        f"(SELECT a.request_id FROM ({leaving}) x, allocations a WHERE a.offer_id = x.id);"
    )
    drop = (
        f"DELETE FROM nation_parts WHERE nation = {nation} AND request_id IN "
        f"(SELECT a.request_id FROM allocations a WHERE a.offer_id IN ({about})) AND {_EMPTY};"
    )
    pairs = (
        f"INSERT INTO nation_offers (nation, offer_id) SELECT {nation}, x.id FROM ({joining}) x;"
        f" DELETE FROM nation_offers WHERE nation = {nation} AND offer_id IN "
        f"(SELECT x.id FROM ({leaving}) x);"
    )
    # the parts first (they read the pairs as they were), then the pairs
    return "\n    ".join((add, take, drop, pairs))


_CONSENT_CHANGED = " OR ".join(
    f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in ("origin", "holder", "family", "offer_id")
)
_OFFER_CHANGED = " OR ".join(
    f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in ("releasability", "donor", "origin", "family")
)


def _allocation_changed() -> str:
    """SQL: an update of an allocation moved it between parts."""
    return (
        "OLD.request_id <> NEW.request_id OR OLD.offer_id <> NEW.offer_id OR NOT ("
        + " AND ".join(f"{_qty(c, 'OLD')} = {_qty(c, 'NEW')}" for c in COLUMNS) + ")"
    )


def _both() -> str:
    """SQL: the offers a changed consent request was about, as it was and as it is."""
    return f"{_candidates('OLD')} UNION {_candidates('NEW')}"


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
        {_drop_empty("NEW")}
    END IF;
    RETURN NULL;
END
$$
""",
        f"""
CREATE FUNCTION offers_nation_parts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_offer_pairs()}
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM nation_offers WHERE offer_id = OLD.id;
    ELSIF {_OFFER_CHANGED} THEN
    {_move_offer()}
    END IF;
    RETURN NULL;
END
$$
""",
        f"""
CREATE FUNCTION consent_requests_nation_parts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_consent_settle("NEW.origin", _candidates("NEW"))}
    ELSIF TG_OP = 'DELETE' THEN
        {_consent_settle("OLD.origin", _candidates("OLD"))}
    ELSIF {_CONSENT_CHANGED} THEN
        {_consent_settle("OLD.origin", _both())}
        {_consent_settle("NEW.origin", _both())}
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
    "AFTER INSERT OR DELETE OR UPDATE OF releasability, donor, origin, family ON offers "
    "FOR EACH ROW EXECUTE FUNCTION offers_nation_parts()",
    "CREATE TRIGGER consent_requests_nation_parts "
    "AFTER INSERT OR DELETE OR UPDATE OF origin, holder, family, offer_id "
    "ON consent_requests FOR EACH ROW EXECUTE FUNCTION consent_requests_nation_parts()",
)
_PG_NAMES = (("allocations_nation_parts", "allocations"), ("offers_nation_parts", "offers"),
             ("consent_requests_nation_parts", "consent_requests"))


def _sqlite_triggers() -> tuple[str, ...]:
    def changed(text: str) -> str:
        return text.replace("IS DISTINCT FROM", "IS NOT")

    return (
        f"""
CREATE TRIGGER allocations_nation_parts_insert AFTER INSERT ON allocations
WHEN {_counts("NEW")}
BEGIN
    {_add("NEW")}
    {_drop_empty("NEW")}
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
    {_drop_empty("NEW")}
END
""",
        f"""
CREATE TRIGGER offers_nation_parts_insert AFTER INSERT ON offers
BEGIN
    {_offer_pairs()}
END
""",
        """
CREATE TRIGGER offers_nation_parts_delete AFTER DELETE ON offers
BEGIN
    DELETE FROM nation_offers WHERE offer_id = OLD.id;
END
""",
        f"""
CREATE TRIGGER offers_nation_parts_update
AFTER UPDATE OF releasability, donor, origin, family ON offers
WHEN {changed(_OFFER_CHANGED)}
BEGIN
    {_move_offer()}
END
""",
        f"""
CREATE TRIGGER consent_requests_nation_parts_insert AFTER INSERT ON consent_requests
BEGIN
    {_consent_settle("NEW.origin", _candidates("NEW"))}
END
""",
        f"""
CREATE TRIGGER consent_requests_nation_parts_delete AFTER DELETE ON consent_requests
BEGIN
    {_consent_settle("OLD.origin", _candidates("OLD"))}
END
""",
        f"""
CREATE TRIGGER consent_requests_nation_parts_update
AFTER UPDATE OF origin, holder, family, offer_id ON consent_requests
WHEN {changed(_CONSENT_CHANGED)}
BEGIN
    {_consent_settle("OLD.origin", _both())}
    {_consent_settle("NEW.origin", _both())}
END
""",
    )


_SQLITE_NAMES = (
    "allocations_nation_parts_insert", "allocations_nation_parts_delete",
    "allocations_nation_parts_update", "offers_nation_parts_insert",
    "offers_nation_parts_delete", "offers_nation_parts_update",
    "consent_requests_nation_parts_insert", "consent_requests_nation_parts_delete",
    "consent_requests_nation_parts_update",
)


def _backfill() -> tuple[str, str]:
    pairs = (
        "INSERT INTO nation_offers (nation, offer_id) "
        + " UNION ".join(
            f"SELECT c.origin, o.id FROM offers o "
            f"JOIN consent_requests c ON {how('c', 'o.')} WHERE {_passes('c.origin', 'o.')}"
            for how in (_named, _of_family)
        )
    )
    seers = ("SELECT o.id AS offer_id, o.donor AS nation FROM offers o "
             "UNION ALL SELECT p.offer_id, p.nation FROM nation_offers p")
    parts = (
        f"INSERT INTO nation_parts ({_KEY}, {_COLS}) "
        f"SELECT s.nation, a.request_id, o.releasability, {_sums('a')} "
        f"FROM ({seers}) s JOIN allocations a ON a.offer_id = s.offer_id "
        f"JOIN offers o ON o.id = s.offer_id "
        f"WHERE {_counts('a')} GROUP BY s.nation, a.request_id, o.releasability"
    )
    return pairs, parts


def upgrade() -> None:
    op.create_table(
        "nation_offers",
        sa.Column("offer_id", sa.String(64), nullable=False),
        sa.Column("nation", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("offer_id", "nation", name="pk_nation_offers"),
    )
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
    for sql in _backfill():
        conn.execute(sa.text(sql))
    conn.execute(sa.text(f"DELETE FROM nation_parts WHERE {_EMPTY}"))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE nation_offers"))
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
    op.drop_table("nation_offers")
