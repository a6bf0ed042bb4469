"""A damaged ledger entry is a finding naming the entry, never a crash: the API answers
500 ``ledger-integrity`` with the entry's sequence number (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from api.conftest import Api

DAMAGE = {
    "not JSON": "{not json",
    "not an object": "[1, 2]",
    "NaN": '{"id": NaN}',
}


@pytest.mark.parametrize("payload", list(DAMAGE.values()), ids=list(DAMAGE))
def test_a_damaged_payload_is_named_by_verify_and_entries(api: Api, payload: str) -> None:
    with api.store.engine.begin() as conn:
        seq = int(conn.execute(text("SELECT max(seq) FROM ledger_entries")).scalar_one())
        conn.execute(
            text("UPDATE ledger_entries SET payload = :p WHERE seq = :s"), {"p": payload, "s": seq}
        )
    audit = api.client("audit")
    for path in ("/api/v1/ledger/verify", "/api/v1/ledger/entries"):
        got = audit.get(path)
        assert got.status_code == 500, path
        body = got.json()
        assert body["error"] == "ledger-integrity" and body["entry"] == seq, body
        assert f"ledger entry {seq}" in body["message"]
