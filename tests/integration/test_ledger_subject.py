"""Migration 0016: ``ledger_entries.subject`` (the id of the record an entry is about),
filled for the entries written before it and by every append after."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import text

from allied.adapters.db.engine import _alembic_config, upgrade
from allied.bootstrap import Store
from allied.domain.rules import Rule
from allied.service import governance
from allied.service.ledger import verify_chain
from callers import CALLER

DAY = dt.date(2024, 3, 1)


def _subjects(store: Store) -> list[tuple[str, str | None]]:
    with store.engine.connect() as conn:
        return [(r.kind, r.subject) for r in conn.execute(
            text("SELECT kind, subject FROM ledger_entries ORDER BY seq")
        )]


def test_entries_written_before_the_migration_get_their_subject(store: Store) -> None:
    made = governance.circulate_proposal(store.uow(), CALLER, forum="NATO",
                                         rule=Rule.CONSENSUS_SILENCE, title="A", on=DAY,
                                         deadline=DAY)
    governance.withdraw(store.uow(), CALLER, made["id"], on=DAY)
    after = _subjects(store)
    assert after[-2:] == [("proposal.circulated", made["id"]), ("proposal.withdrawn", made["id"])]
    assert ("reference.loaded", None) in after  # an entry about no one record
    command.downgrade(_alembic_config(store.engine), "0015")
    upgrade(store.engine)
    assert _subjects(store) == after
    assert verify_chain(store.uow()) == len(after)  # the chain does not read it
    with store.uow() as uow:
        found = uow.ledger.about([made["id"]])
    assert [e.kind for e in found] == ["proposal.circulated", "proposal.withdrawn"]
