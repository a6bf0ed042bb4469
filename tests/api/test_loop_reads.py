"""EventLoopReads: the sums of list pages read on the event loop (PostgreSQL), through a
pool of autocommit connections per loop; a connection killed under it is replaced."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from allied.adapters.db.loop_units import EventLoopReads
from allied.adapters.db.repository_users import SqlServiceUnitOfWork
from allied.bootstrap import Store


def _pids(uow: SqlServiceUnitOfWork) -> int:
    with uow:
        row = uow.session.execute(text("SELECT pg_backend_pid(), pg_sleep(0.05)")).one()
        return int(row[0])


def _in_transaction(uow: SqlServiceUnitOfWork) -> str:
    with uow:
        uow.session.execute(text("SELECT pg_sleep(0.01)"))
        # autocommit: each statement its own transaction, so now() moved
        return str(uow.session.execute(text("SELECT now() = statement_timestamp()")).scalar_one())


def _terminate(store: Store, pid: int) -> None:
    with store.engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


@pytest.fixture
def reads(store: Store) -> EventLoopReads:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite reads run in a worker thread")
    made = EventLoopReads(store.engine, pool_size=2)
    yield made  # type: ignore[misc]
    made.close()


def test_reads_run_on_a_pool_in_autocommit(reads: EventLoopReads) -> None:
    async def scenario() -> tuple[list[int], str]:
        pids = await asyncio.gather(*(reads.run(_pids) for _ in range(6)))
        # autocommit: no transaction around the statement, so now() is its own start
        return list(pids), await reads.run(_in_transaction)

    pids, fresh = asyncio.run(scenario())
    assert 1 <= len(set(pids)) <= 2  # six reads at once shared a pool of two
    assert fresh == "True"


def test_a_killed_connection_is_replaced_and_the_read_tried_again(
    store: Store, reads: EventLoopReads
) -> None:
    async def scenario() -> tuple[int, int]:
        first = await reads.run(_pids)
        await asyncio.to_thread(_terminate, store, first)
        return first, await reads.run(_pids)

    first, second = asyncio.run(scenario())
    assert second != first


def test_connections_of_an_ended_loop_are_closed(reads: EventLoopReads) -> None:
    asyncio.run(reads.run(_pids))
    (bound,) = reads._bound.values()
    opened = list(bound.opened)
    assert opened and not any(c.closed for c in opened)
    asyncio.run(reads.run(_pids))  # a new loop: the old loop's connections go
    assert all(c.closed for c in opened)
    reads.close()
    assert all(c.closed for b in reads._bound.values() for c in b.opened)


def test_a_failing_query_is_not_tried_twice(reads: EventLoopReads) -> None:
    from allied.domain.errors import StorageError

    calls: list[int] = []

    def bad(uow: SqlServiceUnitOfWork) -> None:
        calls.append(1)
        with uow:
            uow.session.execute(text("SELECT no_such_column FROM ledger_head"))

    with pytest.raises(StorageError, match="no_such_column"):
        asyncio.run(reads.run(bad))
    assert len(calls) == 1


def test_a_read_held_up_by_a_lock_fails_instead_of_hanging(store: Store) -> None:
    """Every list page of a loop may wait for one of these reads (the holdings): one held
    up, here by a table another session locked (as a migration would), is cancelled by
    PostgreSQL after the read timeout and fails with StorageError; the next one runs."""
    from allied.domain.errors import StorageError
    from allied.service.holdings import read_snapshot

    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite reads run in a worker thread")
    reads = EventLoopReads(store.engine, pool_size=1, timeout_ms=300)

    def snapshot(uow: SqlServiceUnitOfWork) -> int:
        with uow:
            return read_snapshot(uow).seq

    try:
        with store.engine.connect() as locker:
            locker.execute(text("LOCK TABLE allocations IN ACCESS EXCLUSIVE MODE"))
            with pytest.raises(StorageError, match="statement timeout"):
                # bounded here too, so that without the timeout the test fails, not hangs
                asyncio.run(asyncio.wait_for(reads.run(snapshot), 10))
            locker.rollback()
        assert asyncio.run(reads.run(snapshot)) >= 0
    finally:
        reads.close()
