"""offers: the quantity proposed, shipped and delivered, kept by the triggers that keep held

Revision ID: 0022_report_sums
Revises: 0021_allocation_status_parts
Create Date: 2026-12-05

The predictability report's clearinghouse table sums, per donor and channel of the
offers available in the period, what their allocations pledged, shipped and delivered;
the gaps report sums, per family of the requests wanted in the period, what their
allocations pledged and delivered. Both joined every allocation to its offer or request
and grouped them by status on each first load: 575 ms at scale 1 (a million
allocations) for the clearinghouse, about 300 ms for the gaps
(``benchmarks/scale/README.md``, "The decade").

``offers`` gets the columns ``requests`` has had since 0018_picture: ``proposed`` (the
quantity of its allocations ``proposed``) and ``delivered`` (``delivered``,
``in-repair``, ``returned``: the domain's ``DELIVERED_STATES``), and ``shipped`` (those
and ``shipped``, ``lost``: the predictability report's ``SHIPPED_STATES``). What is
pledged (the reports' ``PLEDGED_STATES``, the domain's ``PLEDGING``) is ``held`` less
``proposed``. The reports then sum these columns over the offers (or requests) in the
period, one scan of that table, no allocation read.

One trigger function keeps them all: 0017_lists's ``allocations_held`` is rewritten to
update, per write to an allocation, its offer's row and its request's row once each,
with every kept column in the one ``UPDATE`` (``held``, ``allocation_count``, and the
splits). 0018_picture's trigger, which updated the request's ``proposed`` and
``delivered`` in a second ``UPDATE`` of the same row, is dropped: a write to an
allocation costs one statement fewer than before, not one more. Existing offers get
their columns here, from their allocations, in one grouped ``UPDATE ... FROM``.

A read model, not a record: the domain does not map it, the ledger does not hash it,
and ``tests/integration/test_report_sums.py`` holds it (and the reports' sums read from
it) equal to the recomputed sums after random writes on both backends.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision: str = "0022_report_sums"
down_revision: str | Sequence[str] | None = "0021_allocation_status_parts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: column -> the statuses whose quantity it sums (as this migration wrote the trigger: a
#: change to the domain's statuses needs a new migration). ``held``: the domain's
#: COMMITTING (every status but rejected and withdrawn, as 0017_lists has it).
SPLIT = {
    "held": ("proposed", "pledged", "consent-pending", "approved", "shipped", "delivered",
             "lost", "in-repair", "returned"),
    "proposed": ("proposed",),
    "shipped": ("shipped", "delivered", "in-repair", "returned", "lost"),
    "delivered": ("delivered", "in-repair", "returned"),
}
#: the columns this migration adds to offers
NEW_OFFER_COLUMNS = ("proposed", "shipped", "delivered")
#: table -> (its key in allocations, the kept quantity columns)
KEPT = {
    "offers": ("offer_id", ("held", "proposed", "shipped", "delivered")),
    "requests": ("request_id", ("held", "proposed", "delivered")),
}


class Spec(NamedTuple):
    """What the trigger keeps: ``split``, column -> the statuses it takes; ``kept``, table
    -> (its key in allocations, its kept columns, each of ``split``); ``counts``, the
    columns of ``split`` that count allocations (1 each) instead of summing their
    quantity. Later migrations (0023_request_in_flight) extend it and regenerate the
    trigger with these functions."""

    split: Mapping[str, tuple[str, ...]]
    kept: Mapping[str, tuple[str, tuple[str, ...]]]
    counts: frozenset[str] = frozenset()


#: this migration's
SPEC = Spec(SPLIT, KEPT)


def _qty(column: str, row: str, spec: Spec = SPEC) -> str:
    statuses = ", ".join(f"'{s}'" for s in spec.split[column])
    value = "1" if column in spec.counts else f"{row}.quantity"
    return f"(CASE WHEN {row}.status IN ({statuses}) THEN {value} ELSE 0 END)"


def _pg_set(table: str, delta: str, spec: Spec = SPEC) -> str:
    """The SET list of ``table``'s update for ``delta``: ``n - o``, ``-o``, ``n``."""
    cols = spec.kept[table][1]
    return ", ".join(f"{c} = {c} + {delta.format(c=c)}" for c in cols)


def _pg_changed(table: str, spec: Spec = SPEC) -> str:
    return " OR ".join(f"n_{c} <> o_{c}" for c in spec.kept[table][1])


def pg_function(spec: Spec = SPEC) -> str:
    """``allocations_held()``, keeping ``spec``'s columns."""
    every = tuple(spec.split)

    def sets(table: str, delta: str) -> str:
        return _pg_set(table, delta, spec)

    return f"""
CREATE OR REPLACE FUNCTION allocations_held() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    {" ".join(f"o_{c} integer := 0; n_{c} integer := 0;" for c in every)}
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {" ".join(f"o_{c} := {_qty(c, 'OLD', spec)};" for c in every)}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {" ".join(f"n_{c} := {_qty(c, 'NEW', spec)};" for c in every)}
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.offer_id = NEW.offer_id
            AND OLD.request_id = NEW.request_id THEN
        IF {_pg_changed("offers", spec)} THEN
            UPDATE offers SET {sets("offers", "n_{c} - o_{c}")} WHERE id = NEW.offer_id;
        END IF;
        IF {_pg_changed("requests", spec)} THEN
            UPDATE requests SET {sets("requests", "n_{c} - o_{c}")}
                WHERE id = NEW.request_id;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        UPDATE offers SET {sets("offers", "- o_{c}")}, allocation_count = allocation_count - 1
            WHERE id = OLD.offer_id;
        UPDATE requests SET {sets("requests", "- o_{c}")},
            allocation_count = allocation_count - 1 WHERE id = OLD.request_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE offers SET {sets("offers", "n_{c}")}, allocation_count = allocation_count + 1
            WHERE id = NEW.offer_id;
        UPDATE requests SET {sets("requests", "n_{c}")},
            allocation_count = allocation_count + 1 WHERE id = NEW.request_id;
    END IF;
    RETURN NULL;
END
$$
"""


_PG_FUNCTION = pg_function()


def _sqlite_add(table: str, row: str, sign: str, spec: Spec = SPEC) -> str:
    """The statement adding (``+``) or taking away (``-``) allocation ``row`` to or from
    its offer or request."""
    key, cols = spec.kept[table]
    sets = ", ".join(f"{c} = {c} {sign} {_qty(c, row, spec)}" for c in cols)
    return (
        f"    UPDATE {table} SET {sets}, allocation_count = allocation_count {sign} 1 "
        f"WHERE id = {row}.{key};"
    )


def _sqlite_changed(table: str, spec: Spec = SPEC) -> str:
    key, cols = spec.kept[table]
    return " OR ".join(
        [f"{_qty(c, 'OLD', spec)} <> {_qty(c, 'NEW', spec)}" for c in cols]
        + [f"OLD.{key} <> NEW.{key}"]
    )


def _sqlite_update_trigger(table: str, name: str, spec: Spec = SPEC) -> str:
    """The trigger moving an updated allocation's quantities on ``table`` (whose key in
    allocations is ``spec.kept[table][0]``), named ``allocations_held_update_<name>``."""
    return f"""
CREATE TRIGGER allocations_held_update_{name}
AFTER UPDATE OF status, quantity, {spec.kept[table][0]} ON allocations
WHEN {_sqlite_changed(table, spec)}
BEGIN
{_sqlite_add(table, "OLD", "-", spec)}
{_sqlite_add(table, "NEW", "+", spec)}
END
"""


def sqlite_triggers(spec: Spec = SPEC) -> tuple[str, ...]:
    """The SQLite triggers (named as ``_SQLITE_NAMES``) keeping ``spec``'s columns."""
    return (
        f"""
CREATE TRIGGER allocations_held_insert AFTER INSERT ON allocations
BEGIN
{_sqlite_add("offers", "NEW", "+", spec)}
{_sqlite_add("requests", "NEW", "+", spec)}
END
""",
        f"""
CREATE TRIGGER allocations_held_delete AFTER DELETE ON allocations
BEGIN
{_sqlite_add("offers", "OLD", "-", spec)}
{_sqlite_add("requests", "OLD", "-", spec)}
END
""",
        # one trigger per table, so a move that changes only an offer's split (approved to
        # shipped) does not touch the request
        _sqlite_update_trigger("offers", "offer", spec),
        _sqlite_update_trigger("requests", "request", spec),
    )


_SQLITE_TRIGGERS = sqlite_triggers()

_SQLITE_NAMES = (
    "allocations_held_insert", "allocations_held_delete", "allocations_held_update_offer",
    "allocations_held_update_request",
)


def backfill(table: str, columns: Sequence[str], spec: Spec = SPEC) -> str:
    """``table``'s ``columns`` from their allocations, one grouped pass over them."""
    key = spec.kept[table][0]
    return (
        f"UPDATE {table} SET "
        + ", ".join(f"{c} = s.{c}" for c in columns)
        + f" FROM (SELECT a.{key}, "
        + ", ".join(f"sum({_qty(c, 'a', spec)}) AS {c}" for c in columns)
        + f" FROM allocations a GROUP BY a.{key}) AS s WHERE {table}.id = s.{key} AND ("
        + " OR ".join(f"s.{c} <> 0" for c in columns)
        + ")"
    )


#: the offers' new columns from their allocations
_BACKFILL = backfill("offers", NEW_OFFER_COLUMNS)


def _sibling(name: str) -> ModuleType:
    """An earlier migration of this directory (their file names are no module names)."""
    spec = importlib.util.spec_from_file_location(
        f"_allied_migration_{name}", Path(__file__).with_name(f"{name}.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    for column in NEW_OFFER_COLUMNS:
        op.add_column(
            "offers", sa.Column(column, sa.Integer(), nullable=False, server_default="0")
        )
    conn = op.get_bind()
    picture = _sibling("0018_picture_split")
    held = _sibling("0017_lists_held")
    if conn.dialect.name == "postgresql":
        # writers are serialised (each takes the ledger head first), so no write to an
        # allocation runs between the backfill and the trigger
        conn.execute(sa.text("LOCK TABLE allocations IN SHARE MODE"))
        conn.execute(sa.text("DROP TRIGGER allocations_picture ON allocations"))
        conn.execute(sa.text("DROP FUNCTION allocations_picture()"))
        conn.execute(sa.text(_PG_FUNCTION))
    else:
        for name in (*held._SQLITE_NAMES, *picture._SQLITE_NAMES):
            conn.execute(sa.text(f"DROP TRIGGER {name}"))
        for sql in _SQLITE_TRIGGERS:
            conn.execute(sa.text(sql))
    conn.execute(sa.text(_BACKFILL))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ANALYZE offers"))


def downgrade() -> None:
    conn = op.get_bind()
    picture = _sibling("0018_picture_split")
    held = _sibling("0017_lists_held")
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(held._PG_FUNCTION.replace("CREATE FUNCTION",
                                                       "CREATE OR REPLACE FUNCTION", 1)))
        conn.execute(sa.text(picture._PG_FUNCTION))
        conn.execute(sa.text(picture._PG_TRIGGER))
    else:
        for name in _SQLITE_NAMES:
            conn.execute(sa.text(f"DROP TRIGGER {name}"))
        for sql in (*held._SQLITE_TRIGGERS, *picture._SQLITE_TRIGGERS):
            conn.execute(sa.text(sql))
    for column in reversed(NEW_OFFER_COLUMNS):
        op.drop_column("offers", column)
