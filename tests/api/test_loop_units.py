"""Units of work whose PostgreSQL round trips are awaited on the event loop (the API's
pledge batches): they run the ordinary service code, commit, survive a dropped
connection, and close the connections of event loops that ended."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from allied.adapters.db.loop_units import EventLoopUnits
from allied.adapters.db.repository_users import SqlServiceUnitOfWork
from allied.bootstrap import Store
from allied.domain.errors import StorageError
from allied.service.assistance import add_offers
from allied.service.ledger import verify_chain
from api.test_versions import _terminate
from callers import CALLER


def _units(store: Store) -> EventLoopUnits:
    units = EventLoopUnits(store.engine)
    if not units.available:
        pytest.skip("PostgreSQL only: SQLite batches run in a worker thread")
    return units


def _offer(n: int) -> list[tuple[None, str, dict[str, object]]]:
    return [(None, "t", {"id": f"LOOP-{n}", "donor": "EST", "family": "atgm", "quantity": 3,
                         "available_from": "2024-01-01"})]


def _backend_pid(uow: SqlServiceUnitOfWork) -> int:
    with uow:
        return int(uow.session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_service_code_runs_and_commits_on_the_loop(store: Store) -> None:
    units = _units(store)
    try:

        async def work() -> None:
            # several at once on one loop: each waits for the last (one connection)
            await asyncio.gather(
                *(units.run(lambda uow, n=n: add_offers(uow, CALLER, _offer(n))) for n in range(3))
            )

        asyncio.run(work())
        with store.uow() as uow:
            assert {f"LOOP-{n}" for n in range(3)} <= {o.id for o in uow.offers.list()}
        assert verify_chain(store.uow()) > 0
    finally:
        units.close()


def test_a_dropped_connection_fails_one_unit_and_the_next_reconnects(store: Store) -> None:
    units = _units(store)
    try:

        async def work() -> tuple[int, int]:
            first = await units.run(_backend_pid)
            await asyncio.to_thread(_terminate, store, first)
            with pytest.raises(StorageError):
                await units.run(_backend_pid)
            return first, await units.run(_backend_pid)

        first, second = asyncio.run(work())
        assert first != second
    finally:
        units.close()


def _alive(store: Store) -> set[int]:
    with store.engine.connect() as conn:
        return set(conn.execute(text("SELECT pid FROM pg_stat_activity")).scalars())


def _gone(store: Store, pid: int, wait: float = 10.0) -> bool:
    """Whether the server process ``pid`` has ended: a closed connection's backend exits
    on its own time (a busy machine lists it for a moment after the client closed it)."""
    until = time.monotonic() + wait
    while pid in _alive(store):
        if time.monotonic() > until:
            return False
        time.sleep(0.05)
    return True


def test_connections_of_ended_loops_are_closed(store: Store) -> None:
    units = _units(store)
    try:
        first = asyncio.run(units.run(_backend_pid))
        second = asyncio.run(units.run(_backend_pid))  # a new loop, a new connection
        assert first != second
        assert _gone(store, first)
        assert second in _alive(store)
        units.close()
        assert _gone(store, second)
    finally:
        units.close()
