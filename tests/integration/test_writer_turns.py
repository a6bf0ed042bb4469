"""The CLI's changes take their turn like the API's: on PostgreSQL ``Store.uow()`` takes
the ledger head row first, so a CLI writer and an API writer never hold each other's
locks (an id counter, an offer) while waiting for the head. ``Store.read_uow()`` never
waits for a writer."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import text

from allied.bootstrap import Store
from allied.service.assistance import add_offers
from callers import CALLER


def _enter(uow_factory: object, entered: threading.Event) -> None:
    with uow_factory() as uow:  # type: ignore[operator]
        entered.set()
        uow.offers.list()


def test_a_cli_writer_waits_for_the_head_and_a_reader_does_not(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    with store.engine.connect() as other:
        other.execute(text("SELECT seq FROM ledger_head WHERE id = 1 FOR UPDATE"))
        read, write = threading.Event(), threading.Event()
        reader = threading.Thread(target=_enter, args=(store.read_uow, read))
        writer = threading.Thread(target=_enter, args=(store.uow, write))
        reader.start()
        writer.start()
        try:
            assert read.wait(10)  # the reader does not wait for the head
            assert not write.wait(0.5)  # the writer waits for its turn
        finally:
            other.rollback()
        assert write.wait(10)  # and takes it once the other writer is done
        reader.join(10)
        writer.join(10)


def test_cli_and_api_writers_together_finish_without_deadlock(store: Store) -> None:
    """Offers added from the CLI's units of work and from the API's at once: every one
    is made, with its own id and ledger entry."""
    from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
    from allied.service import access

    api_sessions = service_sessions(store.engine)
    postgres = store.engine.dialect.name == "postgresql"
    errors: list[BaseException] = []
    made: list[str] = []

    def offer(n: int) -> dict[str, object]:
        return {"donor": "EST", "family": "other", "quantity": 1 + n,
                "available_from": "2024-01-01", "releasability": "public"}

    def cli(k: int) -> None:
        try:
            for n in range(10):
                (added,) = add_offers(store.uow(), CALLER, [(None, f"cli-{k}", offer(n))])
                made.append(added.id)
        except BaseException as exc:
            errors.append(exc)

    def api(k: int) -> None:
        try:
            for n in range(10):
                uow = SqlServiceUnitOfWork(api_sessions, lock_ledger=postgres)
                made.append(
                    access.create_offer(uow, CALLER, dt.date(2024, 6, 1), offer(n))["id"]
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=f, args=(k,)) for k in range(2) for f in (cli, api)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(made) == len(set(made)) == 40
    with store.read_uow() as uow:
        stored = {o.id for o in uow.offers.list()}
    assert set(made) <= stored
    from allied.service.ledger import verify_chain

    assert verify_chain(store.read_uow()) > 0


def test_a_ledger_check_sees_one_snapshot_while_writers_append(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verifying reads the head, then the entries: a change committed in between must not
    look like tampering (it did on PostgreSQL under READ COMMITTED)."""
    from allied.adapters.db.repository import SqlLedger
    from allied.adapters.db.repository_users import (
        SqlServiceUnitOfWork,
        read_engine,
        service_sessions,
    )
    from allied.service.ledger import verify_chain

    with store.read_uow() as uow:
        before = uow.ledger.head()
    assert before is not None
    # the verification streams the stored rows (SqlLedger.rows): a writer appends just as
    # it starts reading them
    real = SqlLedger.rows
    appended: list[int] = []

    def rows_after_a_change(self: SqlLedger, **kwargs: Any) -> object:
        if not appended:
            appended.append(1)
            add_offers(store.uow(), CALLER, [(None, "race", {
                "donor": "EST", "family": "other", "quantity": 1,
                "available_from": "2024-01-01", "releasability": "public"})])
        return real(self, **kwargs)

    monkeypatch.setattr(SqlLedger, "rows", rows_after_a_change)
    count = before[0]
    if store.engine.dialect.name == "postgresql":
        # the CLI's reads (on SQLite, Store.read_uow begins as a writer: nothing can
        # commit in between)
        assert verify_chain(store.read_uow()) == count
        count += 1
        appended.clear()
    reader = read_engine(store.engine)  # the API's and the dashboard's reads
    try:
        assert verify_chain(SqlServiceUnitOfWork(service_sessions(reader))) == count
    finally:
        if reader is not store.engine and store.engine.dialect.name == "sqlite":
            reader.dispose()
    monkeypatch.setattr(SqlLedger, "rows", real)
    assert verify_chain(store.read_uow()) == count + 1
