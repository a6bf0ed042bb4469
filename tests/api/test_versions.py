"""The data versions every request starts from: read after the request arrived (so it
never misses a change acknowledged before it), one read shared by the requests that
arrive while another runs, a failed read answered 503 and the next one tried afresh."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from allied.adapters.db.versions import VersionReader
from allied.bootstrap import Store
from allied.domain.errors import StorageError
from allied.service.assistance import add_offers
from callers import CALLER


def _add_offer(store: Store, n: int) -> None:
    add_offers(
        store.uow(),
        CALLER,
        [(None, "t", {"id": f"VER-{n}", "donor": "EST", "family": "atgm", "quantity": 1,
                      "available_from": "2024-01-01"})],
    )


def _head(store: Store) -> tuple[int, int]:
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT seq, records_seq FROM ledger_head WHERE id = 1")).one()
    return int(row[0]), int(row[1])


def test_requests_arriving_together_share_one_read(store: Store) -> None:
    reader = VersionReader(store.engine)
    try:

        async def burst() -> list[tuple[int, int]]:
            return list(await asyncio.gather(*(reader.aread() for _ in range(50))))

        got = asyncio.run(burst())
        assert set(got) == {_head(store)}
        assert reader.async_reads == 1
        _add_offer(store, 1)
        # a later call reads again and sees the change
        assert asyncio.run(burst())[0] == _head(store)
        assert reader.async_reads == 2
    finally:
        reader.close()


def test_a_call_never_shares_a_read_that_started_before_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reads (old versions) and is held before answering; a change commits; B arrives:
    B must get a read of its own that sees the change, not A's."""
    reader = VersionReader(store.engine)
    real = reader._aquery
    held = asyncio.Event
    gates: list[asyncio.Event] = []

    async def slow(state: Any) -> tuple[int, int]:
        versions = await real(state)
        gate = held()
        gates.append(gate)
        await gate.wait()
        return versions

    monkeypatch.setattr(reader, "_aquery", slow)
    try:

        async def scenario() -> tuple[tuple[int, int], tuple[int, int]]:
            a = asyncio.create_task(reader.aread())
            while not gates:  # A's read has run its query
                await asyncio.sleep(0.001)
            await asyncio.to_thread(_add_offer, store, 2)
            b = asyncio.create_task(reader.aread())
            await asyncio.sleep(0.01)
            assert not b.done()
            gates[0].set()
            while len(gates) < 2:  # B's own read, after A's
                await asyncio.sleep(0.001)
            gates[1].set()
            return await a, await b

        before = _head(store)
        a, b = asyncio.run(asyncio.wait_for(scenario(), 20))
        after = _head(store)
        assert after != before
        assert a == before
        assert b == after
    finally:
        reader.close()


def test_a_failed_read_is_a_storage_error_and_the_next_call_reads_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = VersionReader(store.engine)
    real = reader._aquery
    calls = []

    async def broken(state: Any) -> tuple[int, int]:
        calls.append(1)
        raise OSError("connection reset")

    try:
        monkeypatch.setattr(reader, "_aquery", broken)
        with pytest.raises(StorageError, match="cannot read the data version"):
            asyncio.run(reader.aread())
        assert len(calls) == 2  # one retry on a fresh connection
        monkeypatch.setattr(reader, "_aquery", real)
        assert asyncio.run(reader.aread()) == _head(store)
    finally:
        reader.close()


def test_a_dropped_postgresql_connection_is_replaced(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads through the pool")
    reader = VersionReader(store.engine)
    try:

        async def twice() -> tuple[tuple[int, int], tuple[int, int]]:
            first = await reader.aread()
            (state,) = reader._loops.values()
            pid = state.held[0].info.backend_pid
            await asyncio.to_thread(_terminate, store, pid)
            return first, await reader.aread()

        first, second = asyncio.run(twice())
        assert first == second == _head(store)
    finally:
        reader.close()


def _terminate(store: Store, pid: int) -> None:
    with store.engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def test_the_connection_of_an_ended_event_loop_is_closed(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads through the pool")
    reader = VersionReader(store.engine)
    try:
        asyncio.run(reader.aread())
        (first,) = _connections(reader)
        asyncio.run(reader.aread())  # a new loop: the old loop's connection goes
        assert first.closed
        assert len(_connections(reader)) == 1
        reader.close()
        assert not _connections(reader)
    finally:
        reader.close()


def _connections(reader: VersionReader) -> list[Any]:
    return [conn for state in reader._loops.values() for conn in state.held]
