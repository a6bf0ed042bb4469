"""The scale generator (benchmarks/scale) at a small scale, and the invariants of what it
made: no over-commitment, an intact ledger, reads from a read-only copy (the replica
configuration) that refuses writes."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import text

from allied.bootstrap import build
from allied.config import Settings
from allied.domain.assistance import COMMITTING
from allied.domain.errors import StorageError
from allied.service import access
from allied.service.assistance import add_requests
from allied.service.ledger import verify_chain as verify_ledger
from callers import CALLER
from script_loader import load_script

GENERATOR = Path(__file__).parents[2] / "benchmarks" / "scale" / "generate.py"
#: the home page's service calls, timed one by one (benchmarks/web)
HOME_CALLS = Path(__file__).parents[2] / "benchmarks" / "web" / "donor_calls.py"
REPLICA_URL = os.environ.get("ALLIED_TEST_REPLICA_URL")
PRIMARY_URL = os.environ.get("ALLIED_TEST_POSTGRES_URL")


def _generator() -> ModuleType:
    return load_script(GENERATOR, "scale_generate")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("scale") / "allied.db"
    report = _generator().generate(f"sqlite:///{path}", scale=0.0005, seed=7)
    return path, report.counts


def test_generator_makes_the_mix(generated: tuple[Path, dict[str, int]]) -> None:
    _, counts = generated
    assert counts["donors"] == 60
    assert counts["requests"] == 10 and counts["offers"] == 100
    assert counts["allocations"] == 500 and counts["pledges_refused"] == 0
    # pledges, moves, consents and proposals each leave entries
    assert counts["ledger_entries"] > counts["allocations"] + counts["moves"]
    ends = {k: v for k, v in counts.items() if k.startswith("end:")}
    assert sum(ends.values()) == counts["allocations"]
    assert ends.get("end:delivered", 0) > counts["allocations"] // 2


def test_the_home_page_calls_benchmark_runs_and_counts_statements(
    generated: tuple[Path, dict[str, int]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """benchmarks/web/donor_calls.py on a generated store (a copy: it adds nothing, but
    the store is the module's): every call answers, timed, with its statements and
    transactions counted; an unknown call is refused naming it."""
    path, _ = generated
    copy = tmp_path / "calls.db"
    shutil.copy(path, copy)
    script = load_script(HOME_CALLS, "web_donor_calls")
    url = f"sqlite:///{copy}"
    assert script.main(["--database-url", url, "--repeat", "2", "--statements"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"todo_coordinator", "todo_usa", "picture_usa", "open_proposals"} <= set(out)
    for name, row in out.items():
        assert row["p50_ms"] >= row["min_ms"] > 0, name
        assert row["statements"] >= 1 and row["transactions"] >= 1, name
    with pytest.raises(SystemExit):
        script.main(["--database-url", url, "--only", "todo_nowhere"])
    assert "todo_nowhere" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        script.main(["--database-url", url, "--repeat", "0"])
    assert "--repeat" in capsys.readouterr().err


def test_no_over_commitment(generated: tuple[Path, dict[str, int]]) -> None:
    path, _ = generated
    store = build(Settings(database_url=f"sqlite:///{path}"), migrate=False)
    holding = ",".join(f"'{s.value}'" for s in COMMITTING)
    try:
        with store.engine.connect() as conn:
            for table, column in (("offers", "offer_id"), ("requests", "request_id")):
                over = conn.execute(
                    text(
                        f"SELECT t.id FROM {table} t JOIN allocations a ON a.{column} = t.id "
                        f"WHERE a.status IN ({holding}) "
                        "GROUP BY t.id, t.quantity HAVING sum(a.quantity) > t.quantity"
                    )
                ).all()
                assert over == [], table
                held = conn.execute(
                    text(f"SELECT count(*) FROM allocations WHERE status IN ({holding})")
                ).scalar_one()
                assert held > 0
    finally:
        store.close()


def test_ledger_verifies(generated: tuple[Path, dict[str, int]]) -> None:
    path, counts = generated
    store = build(Settings(database_url=f"sqlite:///{path}"), migrate=False)
    try:
        assert verify_ledger(store.read_uow()) == counts["ledger_entries"]
    finally:
        store.close()


def test_same_seed_same_records(
    generated: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    path, counts = generated
    again = tmp_path / "again.db"
    report = _generator().generate(f"sqlite:///{again}", scale=0.0005, seed=7)
    assert report.counts == counts
    # allocation ids are drawn at random by the store: compare everything else
    query = text(
        "SELECT offer_id, request_id, quantity, status FROM allocations "
        "ORDER BY offer_id, request_id, quantity, status"
    )
    stores = [build(Settings(database_url=f"sqlite:///{p}"), migrate=False) for p in (path, again)]
    try:
        rows = []
        for s in stores:
            with s.engine.connect() as conn:
                rows.append(conn.execute(query).all())
        assert rows[0] == rows[1]
    finally:
        for s in stores:
            s.close()


def _one_request(rid: str) -> list[tuple[int | None, str, dict[str, object]]]:
    return [(None, "r", {"id": rid, "recipient": "UKR", "family": "155mm-nato",
                         "quantity": 5, "priority": 1, "needed_by": "2030-01-01"})]


def test_read_copy_answers_reads_and_refuses_writes(
    generated: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    path, counts = generated
    primary, copy = tmp_path / "primary.db", tmp_path / "copy.db"
    shutil.copy(path, primary)
    shutil.copy(path, copy)
    store = build(
        Settings(database_url=f"sqlite:///{primary}", read_database_url=f"sqlite:///{copy}")
    )
    try:
        day = dt.date(2030, 1, 1)
        on_copy = access.list_requests(store.read_uow(), CALLER, day, limit=200)
        assert on_copy == access.list_requests(store.uow(), CALLER, day, limit=200)
        assert on_copy.total >= counts["requests"]
        assert verify_ledger(store.read_uow()) == counts["ledger_entries"]
        with pytest.raises(StorageError, match="readonly"):
            add_requests(store.read_uow(), CALLER, _one_request("REQ-COPY"))
        add_requests(store.uow(), CALLER, _one_request("REQ-PRIMARY"))
        with store.uow() as uow:  # the write went to the primary...
            assert uow.requests.get("REQ-PRIMARY") is not None
        with store.read_uow() as uow:  # ...which this copy does not follow
            assert uow.requests.get("REQ-PRIMARY") is None
            assert uow.requests.get("REQ-COPY") is None
    finally:
        store.close()


@pytest.mark.skipif(
    not (REPLICA_URL and PRIMARY_URL),
    reason="needs ALLIED_TEST_POSTGRES_URL and ALLIED_TEST_REPLICA_URL (a streaming replica "
    "of that database; see docs/deployment.md)",
)
def test_streaming_replica_reads_what_the_primary_wrote() -> None:
    assert REPLICA_URL and PRIMARY_URL
    store = build(Settings(database_url=PRIMARY_URL, read_database_url=REPLICA_URL))
    try:
        with store.uow() as uow:
            loaded = uow.actors.get("UKR") is not None
        if not loaded:
            from allied.ingest.reference import load_reference_dataset
            from allied.service.reference import load_reference

            load_reference(store.uow(), CALLER, load_reference_dataset())
        rid = f"REQ-R{time.time_ns() % 10**9}"
        add_requests(store.uow(), CALLER, _one_request(rid))
        deadline = time.monotonic() + 30
        while True:  # the replica replays the primary's WAL a little later
            with store.read_uow() as uow:
                if uow.requests.get(rid) is not None:
                    break
            assert time.monotonic() < deadline, "the replica did not catch up in 30 s"
            time.sleep(0.05)
        with pytest.raises(StorageError, match="read-only"):
            add_requests(store.read_uow(), CALLER, _one_request(rid + "X"))
    finally:
        store.close()


def test_store_totals_equal_the_allocations_summed(
    generated: tuple[Path, dict[str, int]],
) -> None:
    from collections import defaultdict

    from allied.service.totals import allocation_totals, held_by

    path, _ = generated
    store = build(Settings(database_url=f"sqlite:///{path}"), migrate=False)
    try:
        with store.read_uow() as uow:
            everything = uow.allocations.list()
            for by in ("offer", "request"):
                expected: dict[tuple[str, str], int] = defaultdict(int)
                for a in everything:
                    key = a.offer_id if by == "offer" else a.request_id
                    expected[(key, a.status.value)] += a.quantity
                found = {
                    (t.offer_id or t.request_id, t.status.value): t.quantity
                    for t in allocation_totals(uow, by)
                }
                assert found == expected
                assert len(found) < len(everything)
                held: dict[str, int] = defaultdict(int)
                for a in everything:
                    if a.status in COMMITTING:
                        held[a.offer_id if by == "offer" else a.request_id] += a.quantity
                assert held_by(uow, by, COMMITTING) == held
    finally:
        store.close()


def test_read_database_url_setting() -> None:
    from allied.domain.errors import InvalidInput

    assert Settings.from_env({}).read_database_url is None
    assert Settings.from_env({"ALLIED_READ_DATABASE_URL": ""}).read_database_url is None
    url = "postgresql+psycopg://u@replica:5433/allied"
    assert Settings.from_env({"ALLIED_READ_DATABASE_URL": url}).read_database_url == url
    with pytest.raises(InvalidInput) as bad:
        build(Settings(database_url="sqlite://", read_database_url="nosuchdb://x"))
    assert bad.value.field == "ALLIED_READ_DATABASE_URL"


def test_checkpointed_verification_equals_the_full_one(
    generated: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from allied.domain.errors import LedgerIntegrityError
    from allied.ledger.checkpoint import Signer
    from allied.service.ledger import sign_checkpoint, verify_chain

    path, counts = generated
    copy = tmp_path / "allied.db"
    shutil.copy(path, copy)
    store = build(Settings(database_url=f"sqlite:///{copy}"))
    signer = Signer(Ed25519PrivateKey.generate())
    keys = {signer.key_id: signer.public}
    try:
        cp = sign_checkpoint(store.uow(), signer)
        assert cp.seq == counts["ledger_entries"]
        add_requests(store.uow(), CALLER, _one_request("REQ-AFTER-CHECKPOINT"))
        full = verify_chain(store.read_uow())
        assert full == counts["ledger_entries"] + 1
        assert verify_chain(store.read_uow(), resume=cp, keys=keys) == full
        # the same entry altered after the checkpoint: both name it
        with store.engine.begin() as conn:
            conn.execute(
                text("UPDATE ledger_entries SET nation = 'XXX' WHERE seq = :s"), {"s": full}
            )
        failures = []
        for kwargs in ({}, {"resume": cp, "keys": keys}):
            with pytest.raises(LedgerIntegrityError) as bad:
                verify_chain(store.read_uow(), **kwargs)  # type: ignore[arg-type]
            failures.append(bad.value.seq)
        assert failures == [full, full]
    finally:
        store.close()


def test_api_reports_read_the_replica(tmp_path: Path, loaded_sqlite_template: Path) -> None:
    """The report route reads the read copy: here only the copy holds Kiel data, so the
    burden report answers from it (the primary alone would refuse: no Kiel data)."""
    from starlette.testclient import TestClient

    from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
    from allied.entrypoints.api import create_app
    from allied.ingest.kiel import builtin_kiel_path, read_kiel
    from allied.service.public_data import import_kiel
    from allied.service.users import add_user

    primary, copy = tmp_path / "primary.db", tmp_path / "copy.db"
    shutil.copy(loaded_sqlite_template, primary)
    shutil.copy(loaded_sqlite_template, copy)
    filler = build(Settings(database_url=f"sqlite:///{copy}"))
    import_kiel(filler.uow(), CALLER, read_kiel(builtin_kiel_path()))
    filler.close()
    alone = build(Settings(database_url=f"sqlite:///{primary}"))
    store = build(
        Settings(database_url=f"sqlite:///{primary}", read_database_url=f"sqlite:///{copy}")
    )
    try:
        token = add_user(SqlServiceUnitOfWork(service_sessions(store.engine)), CALLER,
                         name="cell", role="coordinator").token
        auth = {"Authorization": f"Bearer {token}"}
        with TestClient(create_app(store=alone)) as client:
            assert client.get("/api/v1/reports/burden", headers=auth).status_code == 409
        with TestClient(create_app(store=store)) as client:
            answer = client.get("/api/v1/reports/burden", headers=auth)
            assert answer.status_code == 200, answer.text
    finally:
        alone.close()
        store.close()


def test_verification_in_ranges_equals_the_sequential_one(
    generated: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ledger verify --jobs N`` (ranges in N processes, then the links between them)
    counts what the one-process verification counts and names the same first bad entry,
    wherever it is (inside a range, at a range's first entry, the last one)."""
    import allied.service.ledger as ledger_service
    from allied.bootstrap import ReadUowOpener
    from allied.domain.errors import LedgerIntegrityError
    from allied.service.ledger import verify_chain

    monkeypatch.setattr(ledger_service, "MIN_PER_JOB", 10)
    path, counts = generated
    copy = tmp_path / "allied.db"
    shutil.copy(path, copy)
    settings = Settings(database_url=f"sqlite:///{copy}")
    store = build(settings, migrate=False)
    n = counts["ledger_entries"]
    opener = ReadUowOpener(settings)
    try:
        assert verify_chain(store.read_uow(), jobs=3, open_uow=opener) == n
        step = -(-n // 3)
        for seq, change in (
            (step // 2, "nation = 'XXX'"),  # inside the first range
            (step + 1, "prev_hash = hash"),  # the second range's first entry
            (2 * step + 1, "kind = 'offer.created'"),  # the third's first entry
            (n, "payload = '{}'"),  # the last entry
        ):
            damaged = tmp_path / f"damaged-{seq}.db"
            shutil.copy(path, damaged)
            bad_settings = Settings(database_url=f"sqlite:///{damaged}")
            bad = build(bad_settings, migrate=False)
            try:
                with bad.engine.begin() as conn:
                    conn.execute(text(f"UPDATE ledger_entries SET {change} WHERE seq = :s"),
                                 {"s": seq})
                found = []
                for kwargs in ({}, {"jobs": 3, "open_uow": ReadUowOpener(bad_settings)}):
                    with pytest.raises(LedgerIntegrityError) as err:
                        verify_chain(bad.read_uow(), **kwargs)  # type: ignore[arg-type]
                    found.append(err.value.seq)
                assert found == [seq, seq], change
            finally:
                bad.close()
        # an entry deleted at a range's end
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM ledger_entries WHERE seq = :s"), {"s": step})
        found = []
        for kwargs in ({}, {"jobs": 3, "open_uow": opener}):
            with pytest.raises(LedgerIntegrityError) as err:
                verify_chain(store.read_uow(), **kwargs)  # type: ignore[arg-type]
            found.append(err.value.seq)
        assert found == [step, step]
    finally:
        store.close()


def test_one_process_per_core_is_the_default_for_a_long_chain(
    generated: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``jobs=0`` (the CLI's default): as many ranges as the machine has cores, never
    more than the chain has ``AUTO_PER_JOB`` entries for; a short chain stays in one
    process; a negative count is refused naming ``jobs``."""
    import allied.service.ledger as ledger_service
    from allied.bootstrap import ReadUowOpener
    from allied.domain.errors import InvalidInput
    from allied.service.ledger import AUTO, auto_jobs, verify_chain

    monkeypatch.setattr(ledger_service, "cores", lambda: 3)
    assert [auto_jobs(n) for n in (0, 49_999, 50_000, 120_000, 10**7)] == [1, 1, 1, 2, 3]
    path, counts = generated
    n = counts["ledger_entries"]
    settings = Settings(database_url=f"sqlite:///{path}")
    store = build(settings, migrate=False)
    started: list[int] = []
    real = ledger_service.verify_in_ranges

    def spied(open_uow: Any, head: Any, jobs: int, anchors: Any) -> int:
        started.append(jobs)
        return real(open_uow, head, jobs, anchors)

    monkeypatch.setattr(ledger_service, "verify_in_ranges", spied)
    try:
        # the generated chain is short: one process
        assert verify_chain(store.read_uow(), jobs=AUTO, open_uow=ReadUowOpener(settings)) == n
        assert started == []
        # with fewer entries a process, one per core: three ranges, the same count
        monkeypatch.setattr(ledger_service, "AUTO_PER_JOB", max(1, n // 10))
        monkeypatch.setattr(ledger_service, "MIN_PER_JOB", 10)
        assert verify_chain(store.read_uow(), jobs=AUTO, open_uow=ReadUowOpener(settings)) == n
        assert started == [3]
        with pytest.raises(InvalidInput) as refused:
            verify_chain(store.read_uow(), jobs=-1, open_uow=ReadUowOpener(settings))
        assert refused.value.field == "jobs"
    finally:
        store.close()


def test_report_sums_by_the_database_equal_the_records_summed(
    generated: tuple[Path, dict[str, int]],
) -> None:
    """The gaps and predictability reports' sums, grouped by the database, are what the
    reports' own functions compute from every request, offer and allocation."""
    from allied.reports.gaps import gap_sums
    from allied.reports.model import Period
    from allied.reports.predictability import clearinghouse_sums
    from allied.service.rows import offer_rows, request_rows
    from allied.service.totals import allocation_totals

    path, _ = generated
    store = build(Settings(database_url=f"sqlite:///{path}"), migrate=False)
    try:
        with store.read_uow() as uow:
            reqs, offs = request_rows(uow), offer_rows(uow)
            by_req, by_off = allocation_totals(uow, "request"), allocation_totals(uow, "offer")
            for period in (Period(), Period(dt.date(2020, 1, 1), dt.date(2026, 6, 30)),
                           Period(start=dt.date(2029, 1, 1))):
                expected_gaps = gap_sums(reqs, offs, by_req, period)
                assert uow.gap_sums(period.start, period.end) == expected_gaps  # type: ignore[attr-defined]
                expected = clearinghouse_sums(offs, by_off, period)
                assert uow.clearinghouse_sums(period.start, period.end) == expected  # type: ignore[attr-defined]
                assert expected_gaps or period.start  # the whole period has families
    finally:
        store.close()


@pytest.mark.skipif(not PRIMARY_URL, reason="needs ALLIED_TEST_POSTGRES_URL")
def test_postgres_read_configuration_answers_reads_and_refuses_writes() -> None:
    """CI has no streaming replica: the read URL is the primary itself, through the
    read-only engine (every transaction ``default_transaction_read_only=on``), which is
    what makes a write through the read configuration fail on a replica too (a hot
    standby refuses it anyway). The real replica: the test above, with
    ALLIED_TEST_REPLICA_URL."""
    assert PRIMARY_URL
    store = build(Settings(database_url=PRIMARY_URL, read_database_url=PRIMARY_URL))
    try:
        with store.uow() as uow:
            loaded = uow.actors.get("UKR") is not None
        if not loaded:
            from allied.ingest.reference import load_reference_dataset
            from allied.service.reference import load_reference

            load_reference(store.uow(), CALLER, load_reference_dataset())
        rid = f"REQ-RO{time.time_ns() % 10**9}"
        add_requests(store.uow(), CALLER, _one_request(rid))
        day = dt.date(2030, 1, 1)
        listed = access.list_requests(store.read_uow(), CALLER, day, limit=500)
        assert rid in {r["id"] for r in listed.items} or listed.total > 0
        with store.read_uow() as uow:
            assert uow.requests.get(rid) is not None
        assert verify_ledger(store.read_uow()) > 0
        with pytest.raises(StorageError, match="read-only"):
            add_requests(store.read_uow(), CALLER, _one_request(rid + "X"))
        with store.uow() as uow:
            assert uow.requests.get(rid + "X") is None
    finally:
        store.close()
