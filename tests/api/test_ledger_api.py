"""The ledger over the API (SQLite and PostgreSQL): a damaged entry is a finding naming
the entry, never a crash (500 ``ledger-integrity`` with the entry's sequence number);
signed checkpoints are served and signed; verification passes through them and replays
the records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from allied.adapters.db.repository import CheckpointPolicy, sign_checkpoints
from allied.bootstrap import Store
from allied.ledger.checkpoint import Checkpoint, generate_key
from api.conftest import Api, make_api

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


@pytest.fixture
def keyed(store: Store, tmp_path: Path) -> Iterator[tuple[Api, str]]:
    """An API whose server holds a ledger key (as ALLIED_LEDGER_KEY_FILE gives it)."""
    signer = generate_key(tmp_path / "ledger.pem")
    sign_checkpoints(store.engine, CheckpointPolicy(signer, every=10_000))
    made = make_api(store)
    yield made, signer.key_id
    made.app.state.ctx.close()
    sign_checkpoints(store.engine, None)


def test_checkpoints_are_signed_served_and_verified_through(keyed: tuple[Api, str]) -> None:
    api, key_id = keyed
    audit = api.client("audit")
    assert api.client("est").get("/api/v1/ledger/checkpoint").status_code == 403
    signed = audit.post("/api/v1/ledger/checkpoint")
    assert signed.status_code == 200, signed.text
    cp = Checkpoint.from_dict(signed.json())
    head = audit.get("/api/v1/ledger/entries").json()["head"]
    assert cp.seq == head and cp.key_id == key_id
    assert Checkpoint.from_dict(audit.get("/api/v1/ledger/checkpoint").json()) == cp
    got = audit.get("/api/v1/ledger/verify", params={"checkpoints": True, "records": True})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["intact"] is True and body["entries"] >= head and body["checkpoints"] >= 1
    assert body["records"] > 0
    # the tail deleted under the checkpoint, the head rewritten: named
    with api.store.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE seq = :s"), {"s": head})
        prev = conn.execute(text("SELECT hash FROM ledger_entries WHERE seq = :s"),
                            {"s": head - 1}).scalar_one()
        conn.execute(text("UPDATE ledger_head SET seq = :s, hash = :h"),
                     {"s": head - 1, "h": prev})
    assert audit.get("/api/v1/ledger/verify").json()["intact"] is True
    bad = audit.get("/api/v1/ledger/verify", params={"checkpoints": True})
    assert bad.status_code == 500
    assert bad.json()["error"] == "ledger-integrity" and bad.json()["entry"] == head
    assert "entries deleted" in bad.json()["message"]


def test_records_that_differ_from_the_ledger_are_named(api: Api) -> None:
    with api.store.engine.begin() as conn:
        offer = conn.execute(text("SELECT id FROM offers ORDER BY id LIMIT 1")).scalar_one()
        conn.execute(text("UPDATE offers SET quantity = 123456 WHERE id = :i"), {"i": offer})
    got = api.client("audit").get("/api/v1/ledger/verify", params={"records": True})
    assert got.status_code == 500
    body = got.json()
    assert body["error"] == "ledger-integrity"
    assert f"offer {offer}: quantity is 123456 in the table" in body["message"]


def test_no_key_no_signing(api: Api) -> None:
    audit = api.client("audit")
    assert audit.get("/api/v1/ledger/checkpoint").status_code == 404
    refused = audit.post("/api/v1/ledger/checkpoint")
    assert refused.status_code == 409 and "ALLIED_LEDGER_KEY_FILE" in refused.json()["message"]


def test_a_witness_fetches_checkpoints_from_the_api(keyed: tuple[Api, str], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from allied.entrypoints.cli.app import app
    from api.live import serving

    api, key_id = keyed
    pub = next(tmp_path.glob("*.pub"))
    folder = tmp_path / "witness"
    api.client("audit").post("/api/v1/ledger/checkpoint")
    runner = CliRunner()
    with serving(api.app) as port:
        args = ["ledger", "witness", "--save", str(folder), "--url", f"http://127.0.0.1:{port}"]
        denied = runner.invoke(app, [*args, "--public-key", str(pub), "--token", "nope"])
        assert denied.exit_code == 4 and "HTTP 401" in denied.stderr
        got = runner.invoke(app, [*args, "--public-key", str(pub),
                                  "--token", api.tokens["audit"]])
        assert got.exit_code == 0, got.stderr
        again = runner.invoke(app, [*args, "--token", api.tokens["audit"]])  # key kept
        assert again.exit_code == 0 and "already kept" in again.stdout
    kept = {p.name for p in folder.iterdir()}
    signed = Checkpoint.from_dict(api.client("audit").get("/api/v1/ledger/checkpoint").json())
    assert kept == {f"ledger-{key_id}.pub", signed.file_name}
    env = {"ALLIED_DATABASE_URL": api.store.settings.database_url}
    ok = runner.invoke(app, ["ledger", "verify", "--checkpoints", str(folder)], env=env)
    assert ok.exit_code == 0 and "through 1 signed checkpoint" in ok.stdout
