"""An attacker with write access to the database, and the commands that catch them
(docs/ledger.md), on SQLite and PostgreSQL: (a) an entry edited and every later hash
and the head recomputed, (b) the tail truncated and the head rewritten, (c) a record's
row changed, (d) a payload that is not JSON, (e) the key file replaced and the head
re-signed. Each is caught and named; an untouched ledger with checkpoints verifies."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from allied.bootstrap import Store
from allied.domain.consent import ConsentStatus
from allied.domain.errors import LedgerIntegrityError
from allied.domain.rules import Position, Rule
from allied.entrypoints.cli.app import app
from allied.ledger.chain import canonical, entry_hash
from allied.ledger.checkpoint import Checkpoint, generate_key, load_signer
from allied.service import access, governance
from allied.service.allocations import make_pledge
from allied.service.ledger import (
    sign_checkpoint,
    verify_chain,
    verify_records,
)
from callers import CALLER

runner = CliRunner()
DAY = dt.date(2023, 6, 1)


def workload(store: Store) -> None:
    """Every kind of change the replay follows: a run, a pledge, moves, consents, a
    proposal with votes and a revision."""
    made = make_pledge(store.uow(), CALLER, offer_id="O-USA-GMLRS", request_id="R-2023-GMLRS",
                       quantity=300)
    access.run_allocation(store.uow(), CALLER, as_of=DAY)
    governance.move_allocation(store.uow(), CALLER, made["id"], "approved", today=DAY)
    governance.move_allocation(store.uow(), CALLER, made["id"], "shipped", today=DAY)
    pending = [c for c in access.list_consents(store.uow(), CALLER, DAY, limit=200).items
               if c["status"] == "pending"]
    if pending:
        c = pending[0]
        governance.record_consent_answer(store.uow(), governance_caller(c["origin"]), c["id"],
                                         ConsentStatus.GRANTED, on=DAY)
    p = governance.circulate_proposal(store.uow(), CALLER, forum="NATO",
                                      rule=Rule.CONSENSUS_SILENCE,
                                      title="Air defence package", on=DAY,
                                      deadline=DAY + dt.timedelta(days=10))
    governance.record_position(store.uow(), CALLER, p["id"], actor="HUN",
                               position=Position.NO, on=DAY,
                               reason="not now")
    governance.revise(store.uow(), CALLER, p["id"], text="v2", on=DAY,
                      deadline=DAY + dt.timedelta(days=20))
    governance.close_due(store.uow(), CALLER, DAY + dt.timedelta(days=30))  # closes it
    proposed = next(a for a in access.list_allocations(store.uow(), CALLER, DAY, limit=200).items
                    if a["status"] == "proposed" and a["needed_by"] >= DAY.isoformat())
    governance.move_allocation(store.uow(), CALLER, proposed["id"], "pledged", today=DAY)
    access.set_request_priority(store.uow(), CALLER, DAY, "R-2023-GMLRS", 5)


def governance_caller(nation: str) -> Any:
    from allied.service.caller import Caller

    return Caller(user=f"{nation.lower()}-user", nation=nation)


@pytest.fixture
def witnessed(store: Store, tmp_path: Path) -> tuple[Store, Path, Path]:
    """The store after a workload, a ledger key, and a witness folder holding the public
    key and two checkpoints (one mid-way, one of the head)."""
    key = tmp_path / "ledger.pem"
    signer = generate_key(key)
    folder = tmp_path / "witness"
    folder.mkdir()
    (folder / "ledger.pub").write_bytes((tmp_path / "ledger.pem.pub").read_bytes())
    for step in (lambda: None, lambda: workload(store)):
        step()
        cp = sign_checkpoint(store.uow(), signer)
        (folder / cp.file_name).write_text(cp.to_json(), encoding="utf-8")
    return store, key, folder


def cli(store: Store, *args: str, key: Path | None = None) -> Any:
    env = {"ALLIED_DATABASE_URL": store.settings.database_url}
    if key is not None:
        env["ALLIED_LEDGER_KEY_FILE"] = str(key)
    return runner.invoke(app, list(args), env=env)


def rows(store: Store) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(text("SELECT * FROM ledger_entries ORDER BY seq")).mappings())


def rewrite_from(store: Store, entries: list[dict[str, Any]], first: int) -> None:
    """Recompute the hashes of ``entries`` from sequence number ``first`` on, store them
    and move the head, as an attacker with database access can."""
    prev = entries[first - 2]["hash"] if first > 1 else "0" * 64
    with store.engine.begin() as conn:
        for e in entries[first - 1:]:
            e["prev_hash"] = prev
            e["hash"] = entry_hash(e["seq"], e["at"], e["user"], e["nation"], e["kind"],
                                   e["payload"], prev)
            prev = e["hash"]
            conn.execute(
                text("UPDATE ledger_entries SET payload = :p, prev_hash = :ph, hash = :h "
                     "WHERE seq = :s"),
                {"p": json.dumps(e["payload"], sort_keys=True), "ph": e["prev_hash"],
                 "h": e["hash"], "s": e["seq"]},
            )
        last = entries[-1]
        conn.execute(text("UPDATE ledger_head SET seq = :s, hash = :h WHERE id = 1"),
                     {"s": last["seq"], "h": last["hash"]})


def plain(store: Store) -> list[dict[str, Any]]:
    return [dict(r) | {"payload": json.loads(r["payload"])} for r in rows(store)]


def test_an_untouched_ledger_verifies_through_its_checkpoints(
    witnessed: tuple[Store, Path, Path],
) -> None:
    store, _, folder = witnessed
    count = len(rows(store))
    ok = cli(store, "ledger", "verify", "--checkpoints", str(folder), "--records")
    assert ok.exit_code == 0, ok.output + ok.stderr
    assert f"{count} entries verified, through 2 signed checkpoint(s)" in ok.stdout
    assert "records match the ledger" in ok.stdout
    # resumed from the first checkpoint: the same answer, reading only what follows it
    first = sorted(folder.glob("checkpoint-*.json"))[0]
    resumed = cli(store, "ledger", "verify", "--checkpoints", str(folder), "--from", str(first))
    assert resumed.exit_code == 0, resumed.stderr
    assert f"{count} entries verified" in resumed.stdout and "from entry 1 on" in resumed.stdout
    # the replay saw every kind of change the workload made
    result = verify_records(store.uow())
    assert result.differences == [] and result.records > 40
    seen = {e["kind"] for e in plain(store)}
    assert {"allocation.run", "allocation.pledged", "allocation.approved",
            "allocation.shipped", "proposal.circulated", "proposal.revised",
            "proposal.closed", "request.priority", "consent.granted"} <= seen, seen


def test_a_an_entry_edited_and_every_later_hash_recomputed(
    witnessed: tuple[Store, Path, Path],
) -> None:
    store, _, folder = witnessed
    entries = plain(store)
    run = next(e for e in entries if e["kind"] == "allocation.run")
    run["payload"]["made"][0]["quantity"] += 1000
    rewrite_from(store, entries, run["seq"])
    # the chain alone is consistent again: that is the attack
    assert cli(store, "ledger", "verify").exit_code == 0
    bad = cli(store, "ledger", "verify", "--checkpoints", str(folder))
    assert bad.exit_code == 3
    head_cp = sorted(folder.glob("checkpoint-*.json"))[-1]
    seq = Checkpoint.read(head_cp).seq
    assert f"ledger entry {seq}: differs from checkpoint {head_cp.name}" in bad.stderr
    # and the records no longer follow from the ledger either
    records = cli(store, "ledger", "verify", "--records")
    assert records.exit_code == 3 and "quantity" in records.stderr


def test_b_the_tail_truncated_and_the_head_rewritten(
    witnessed: tuple[Store, Path, Path],
) -> None:
    store, _, folder = witnessed
    entries = plain(store)
    keep = len(entries) - 3
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE seq > :k"), {"k": keep})
        conn.execute(text("UPDATE ledger_head SET seq = :s, hash = :h WHERE id = 1"),
                     {"s": keep, "h": entries[keep - 1]["hash"]})
    assert cli(store, "ledger", "verify").exit_code == 0
    bad = cli(store, "ledger", "verify", "--checkpoints", str(folder))
    assert bad.exit_code == 3
    head_cp = sorted(folder.glob("checkpoint-*.json"))[-1]
    assert (f"ledger entry {keep + 1}: the ledger ends at entry {keep} but checkpoint "
            f"{head_cp.name} was signed at entry {len(entries)}") in bad.stderr


def test_c_a_records_row_changed(witnessed: tuple[Store, Path, Path]) -> None:
    store, _, folder = witnessed
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE offers SET quantity = 99999 WHERE id = 'O-USA-GMLRS'"))
        conn.execute(text("UPDATE allocations SET status = 'delivered' "
                          "WHERE status = 'shipped'"))
        conn.execute(text("DELETE FROM stances"))
        conn.execute(text("UPDATE proposals SET title = 'Something else'"))
    assert cli(store, "ledger", "verify", "--checkpoints", str(folder)).exit_code == 0
    bad = cli(store, "ledger", "verify", "--records")
    assert bad.exit_code == 3
    assert "offer O-USA-GMLRS: quantity is 99999 in the table, " in bad.stderr
    assert "status is 'delivered' in the table, 'shipped' by the ledger" in bad.stderr
    assert "title is 'Something else' in the table" in bad.stderr
    with pytest.raises(LedgerIntegrityError):  # the service says so too
        from allied.service.ledger import records_error

        result = verify_records(store.uow())
        assert len(result.differences) == 3
        raise records_error(result)


def test_c_a_row_added_or_deleted_behind_the_ledger(witnessed: tuple[Store, Path, Path]) -> None:
    store, _, _ = witnessed
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM consent_requests "
                          "WHERE id = (SELECT max(id) FROM consent_requests)"))
        conn.execute(text(
            "INSERT INTO requests (id, recipient, family, accepts, quantity, priority, "
            "needed_by, status, notes, releasability, created_by) VALUES ('R-GHOST', 'UKR', "
            "'fuel', '', 5, 2, '2024-01-01', 'open', '', 'public', 'x')"))
    result = verify_records(store.uow())
    messages = [str(d) for d in result.differences]
    assert "request R-GHOST: in the table, but no ledger entry made it" in messages
    assert any(m.startswith("consent ") and m.endswith("missing from the table")
               for m in messages), messages


def test_d_a_payload_that_is_not_json(witnessed: tuple[Store, Path, Path]) -> None:
    store, _, folder = witnessed
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET payload = 'not json' WHERE seq = 2"))
    for args in (["ledger", "verify"], ["ledger", "verify", "--checkpoints", str(folder)],
                 ["ledger", "verify", "--records"]):
        bad = cli(store, *args)
        assert bad.exit_code == 3, args
        assert "ledger entry 2: payload is not JSON" in bad.stderr
        assert "Traceback" not in bad.stderr


def test_d_a_payload_of_the_wrong_shape_with_its_hash_recomputed(
    witnessed: tuple[Store, Path, Path],
) -> None:
    store, _, _ = witnessed
    entries = plain(store)
    target = next(e for e in entries if e["kind"] == "request.priority"
                  or e["kind"] == "allocation.pledged")
    target["payload"]["quantity"] = "lots"
    rewrite_from(store, entries, target["seq"])
    bad = cli(store, "ledger", "verify")
    assert bad.exit_code == 3
    assert f"ledger entry {target['seq']}: allocation.pledged payload v2: field quantity" in (
        bad.stderr)


def test_e_the_key_replaced_and_the_head_re_signed(
    witnessed: tuple[Store, Path, Path], tmp_path: Path
) -> None:
    store, key, folder = witnessed
    # the attacker rewrites history, replaces the server's key and signs the new head
    entries = plain(store)
    first = next(e for e in entries if e["kind"] == "allocation.pledged")
    first["payload"]["quantity"] = 1
    rewrite_from(store, entries, first["seq"])
    key.unlink()
    key.with_name(key.name + ".pub").unlink()
    generate_key(key)
    with store.engine.begin() as conn:  # and removes the checkpoints the server kept
        conn.execute(text("DELETE FROM ledger_checkpoints"))
    forged = sign_checkpoint(store.uow(), load_signer(key))
    # the server now serves the forged checkpoint; the witness refuses it
    shown = cli(store, "ledger", "checkpoint")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["key_id"] == forged.key_id
    refused = cli(store, "ledger", "witness", "--save", str(folder))
    assert refused.exit_code == 3
    assert f"checkpoint refused: signed by key {forged.key_id}, which is not a trusted key" in (
        refused.stderr)
    assert not (folder / forged.file_name).exists()
    # a forged copy slipped into the folder is named too, and the kept ones do not hold
    (folder / forged.file_name).write_text(forged.to_json(), encoding="utf-8")
    bad = cli(store, "ledger", "verify", "--checkpoints", str(folder))
    assert bad.exit_code == 3
    assert f"checkpoint {forged.file_name}: signed by key {forged.key_id}" in bad.stderr
    (folder / forged.file_name).unlink()
    bad = cli(store, "ledger", "verify", "--checkpoints", str(folder))
    assert bad.exit_code == 3 and "differs from checkpoint" in bad.stderr


def test_a_checkpoint_with_a_forged_signature_is_named(
    witnessed: tuple[Store, Path, Path],
) -> None:
    store, _, folder = witnessed
    path = sorted(folder.glob("checkpoint-*.json"))[0]
    data = json.loads(path.read_text())
    data["at"] = "2020-01-01T00:00:00+00:00"
    path.write_text(json.dumps(data))
    bad = cli(store, "ledger", "verify", "--checkpoints", str(folder))
    assert bad.exit_code == 3
    assert f"checkpoint {path.name}: the signature does not verify" in bad.stderr


def test_writers_sign_every_n_entries_and_daily(store: Store, tmp_path: Path) -> None:
    from allied.adapters.db.repository import CheckpointPolicy, sign_checkpoints
    from allied.service.ledger import latest_checkpoint

    signer = generate_key(tmp_path / "k.pem")
    policy = CheckpointPolicy(signer, every=3)
    sign_checkpoints(store.engine, policy)
    try:
        fresh = Store(store.engine, store.settings)  # session factories made after
        governance.set_policy(fresh.uow(), CALLER, "DEU", governance.OriginPolicy.RESTRICTIVE,
                              since=DAY)  # first append of the day: signed
        first = latest_checkpoint(fresh.read_uow())
        assert first is not None and first.seq == len(rows(store))
        for _ in range(3):
            governance.set_policy(fresh.uow(), CALLER, "DEU",
                                  governance.OriginPolicy.PERMISSIVE, since=DAY)
        later = latest_checkpoint(fresh.read_uow())
        assert later is not None and later.seq > first.seq and later.seq % 3 == 0
        assert verify_chain(fresh.read_uow(), checkpoints=[("latest", later)],
                             keys={signer.key_id: signer.public}) == len(rows(store))
    finally:
        sign_checkpoints(store.engine, None)


def test_migration_0012_records_a_baseline_that_replay_starts_from(store: Store) -> None:
    """A store written before payloads carried what replay needs (a version-1 run)
    gets a baseline entry of its records, and the records verify from it."""
    from alembic import command

    from allied.adapters.db.engine import _alembic_config, upgrade

    workload(store)
    command.downgrade(_alembic_config(store.engine), "0009")
    entries = plain(store)
    run = next(e for e in entries if e["kind"] == "allocation.run")
    del run["payload"]["made"], run["payload"]["v"]  # as written before version 2
    rewrite_from(store, entries, run["seq"])
    with pytest.raises(LedgerIntegrityError, match=r"cannot be replayed: allocation\.run"):
        verify_records(store.uow())
    upgrade(store.engine)
    after = plain(store)
    assert len(after) == len(entries) + 1 and after[-1]["kind"] == "ledger.baseline"
    assert after[-1]["payload"] | {"records": None} == {
        "v": 2, "part": 1, "parts": 1, "records": None}  # in parts (of 5,000 records)
    # migration 0015 stored every payload as its canonical text (the hashed bytes)
    assert all(r["payload"] == canonical(json.loads(r["payload"])) for r in rows(store))
    assert verify_chain(store.uow()) == len(after)
    result = verify_records(store.uow())
    assert result.differences == [] and result.start == len(after)
    # changes after the baseline are replayed on top of it
    later = governance.circulate_proposal(store.uow(), CALLER, forum="NATO",
                               rule=Rule.CONSENSUS_SILENCE, title="Later", on=DAY, deadline=DAY)
    governance.withdraw(store.uow(), CALLER, later["id"], on=DAY)
    assert verify_records(store.uow()).differences == []


def test_a_damaged_checkpoint_file_is_named(witnessed: tuple[Store, Path, Path]) -> None:
    store, _, folder = witnessed
    (folder / "checkpoint-junk.json").write_text("{")
    bad = cli(store, "ledger", "verify", "--checkpoints", str(folder))
    assert bad.exit_code == 2
    assert "not a checkpoint file: checkpoint-junk.json" in bad.stderr


def test_amendments_withdrawals_and_expiries_replay(store: Store) -> None:
    """Records that live (issue 18) are proven by the ledger too: an amendment, a
    withdrawal and the system's expiry each replay onto the record they change, and a
    row changed behind them is named."""
    workload(store)
    access.amend_request(store.uow(), CALLER, DAY, "R-2023-GMLRS", {"priority": 4})
    offers = access.list_offers(store.uow(), CALLER, DAY, limit=200).items
    free = next(o for o in offers if o["status"] == "open" and o["committed"] == 0)
    access.amend_offer(store.uow(), CALLER, DAY, free["id"], {"quantity": free["quantity"] + 1})
    access.withdraw_offer(store.uow(), CALLER, DAY, free["id"], reason="no longer spare")
    expired = access.expire_requests(store.uow(), CALLER, dt.date(2031, 1, 1))
    assert expired  # requests of 2022-2024 are long past their needed-by dates
    assert verify_chain(store.uow()) > 0
    result = verify_records(store.uow())
    assert result.differences == []
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE offers SET status = 'open' WHERE id = :id"), {"id": free["id"]}
        )
    named = verify_records(store.uow()).differences
    assert [(d.kind, d.id, d.field) for d in named] == [("offers", free["id"], "status")]
