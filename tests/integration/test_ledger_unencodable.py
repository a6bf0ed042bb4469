"""A ledger append whose payload holds text UTF-8 cannot encode (a lone surrogate that
reached the ledger past every earlier check) is refused naming the field, and the unit
of work writes nothing: the chain stays as it was and verifies."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from allied.bootstrap import Store
from allied.domain.errors import InvalidInput
from allied.service.ledger import verify_chain


def _count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one())


def test_an_unencodable_payload_is_refused_and_nothing_is_written(store: Store) -> None:
    before = _count(store)
    uow = store.uow()
    with pytest.raises(InvalidInput) as err, uow:
        uow.ledger.append(user="coord", nation="USA", kind="offer.add",
                          payload={"id": "O-1", "note": "bad \ud800 text"})
        uow.commit()
    assert err.value.field == "payload.note"
    assert _count(store) == before
    assert verify_chain(store.uow()) == before
