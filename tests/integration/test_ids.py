"""Numbers come from a counter per prefix: O(1), once each, seeded by the migration with
the largest number already used. Generated record ids are random (they used to be those
numbers, which told each nation of the others' hidden records)."""

from __future__ import annotations

import re

from alembic import command
from sqlalchemy import text

from allied.adapters.db.engine import _alembic_config
from allied.adapters.db.repository import SqlUnitOfWork
from allied.bootstrap import Store
from allied.service.assistance import add_offers, add_requests
from allied.service.ids import IdCounter, free_ids
from callers import CALLER


def test_numbers_are_handed_out_once_per_prefix(empty_store: Store) -> None:
    uow = empty_store.uow()
    assert isinstance(uow, SqlUnitOfWork) and isinstance(uow, IdCounter)
    with uow:
        assert [uow.next_number("AL") for _ in range(3)] == [1, 2, 3]
        assert uow.next_number("P") == 1
        uow.commit()
    with uow:
        assert uow.next_number("AL") == 4
        # rolled back: the number is handed out again
    with uow:
        assert uow.next_number("AL") == 4
        assert uow.next_number("NEW") == 1  # a prefix without a row starts one
        uow.commit()


def test_free_ids_skip_ids_already_taken(empty_store: Store) -> None:
    uow = empty_store.uow()
    with uow:
        taken = {"C-000002"}

        class Repo:
            def get(self, key: str) -> object | None:
                return key if key in taken else None

        drawn = iter(["000001", "000002", "000001", "000003", "000004"])
        ids = free_ids(Repo(), "C", token=lambda: next(drawn))  # type: ignore[arg-type]
        assert [next(ids) for _ in range(3)] == ["C-000001", "C-000003", "C-000004"]
        fresh = free_ids(Repo(), "C")  # type: ignore[arg-type]
        assert all(re.fullmatch(r"C-[0-9A-F]{10}", next(fresh)) for _ in range(5))


def test_the_migration_starts_each_counter_after_the_largest_id_used(store: Store) -> None:
    engine = store.engine
    add_offers(store.uow(), CALLER, [(None, "t", {"id": "O-1", "donor": "EST", "family": "atgm",
                                                 "quantity": 9, "available_from": "2024-01-01"})])
    add_requests(store.uow(), CALLER, [(None, "t", {"id": "R-1", "recipient": "UKR",
                                                   "family": "atgm", "quantity": 9, "priority": 3,
                                                   "needed_by": "2024-12-31"})])
    cfg = _alembic_config(engine)
    command.downgrade(cfg, "0008")
    with engine.begin() as conn:
        for id_ in ("AL-000041", "AL-000007", "AL-manual"):
            conn.execute(
                text(
                    "INSERT INTO allocations (id, offer_id, request_id, quantity, needs_consent, "
                    "status) VALUES (:id, 'O-1', 'R-1', 1, false, 'pledged')"
                ),
                {"id": id_},
            )
    command.upgrade(cfg, "heads")
    with engine.connect() as conn:
        values = dict(conn.execute(text("SELECT prefix, value FROM id_counters")).all())
    assert values["AL"] == 41
    uow = store.uow()
    with uow:
        assert uow.next_number("AL") == 42
