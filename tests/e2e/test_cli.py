"""The CLI end to end on an embedded SQLite database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from allied.entrypoints.cli.app import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "allied.db"
    monkeypatch.setenv("ALLIED_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("ALLIED_USER", "tester")
    return path


@pytest.fixture
def loaded(db: Path) -> Path:
    result = runner.invoke(app, ["data", "load"])
    assert result.exit_code == 0, result.output
    return db


def _all_commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        paths.append(path)
        commands = getattr(cmd, "commands", None)
        if commands:
            for name, sub in commands.items():
                walk(sub, [*path, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", _all_commands(), ids=lambda p: " ".join(p) or "allied")
def test_every_command_has_help(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.mark.parametrize(
    ("org", "on", "count", "has", "lacks"),
    [
        ("NATO", "2024-03-06", 31, None, "SWE"),
        ("NATO", "2024-03-07", 32, "SWE", None),
        ("NATO", "2023-04-03", 30, None, "FIN"),
        ("EU", "2020-01-31", 28, "GBR", None),
        ("EU", "2020-02-01", 27, None, "GBR"),
    ],
)
def test_actors_on_a_date(
    loaded: Path, org: str, on: str, count: int, has: str | None, lacks: str | None
) -> None:
    result = runner.invoke(app, ["actors", "--org", org, "--on", on, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    codes = {r["code"] for r in rows}
    assert len(rows) == count
    assert all(r["name"] for r in rows)
    if has:
        assert has in codes
    if lacks:
        assert lacks not in codes


def test_data_load_twice_changes_nothing(loaded: Path) -> None:
    before = runner.invoke(app, ["ledger", "export"]).stdout
    result = runner.invoke(app, ["data", "load"])
    assert result.exit_code == 0
    assert "nothing to change" in result.output
    assert runner.invoke(app, ["ledger", "export"]).stdout == before


def test_actors_bad_date_names_the_option(loaded: Path) -> None:
    result = runner.invoke(app, ["actors", "--org", "NATO", "--on", "2024-02-30"])
    assert result.exit_code == 2
    assert "--on" in result.stderr and "not a date" in result.stderr


def test_request_add_and_list(loaded: Path) -> None:
    result = runner.invoke(
        app,
        [
            "request",
            "add",
            "--recipient",
            "UKR",
            "--family",
            "155mm-nato",
            "--quantity",
            "800",
            "--priority",
            "5",
            "--needed-by",
            "2024-06-01",
            "--on",
            "2024-06-01",
            "--id",
            "R-NEW",
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(app, ["request", "list", "-f", "json"]).stdout)
    assert {"id": "R-NEW", "quantity": 800, "priority": 5}.items() <= next(
        r for r in listed if r["id"] == "R-NEW"
    ).items()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--quantity", "-3"], "quantity"),
        (["--quantity", "1.5"], "quantity"),
        (["--available-from", "soon"], "available_from"),
        (["--donor", "QQQ"], "donor"),
        (["--channel", "carrier-pigeon"], "channel"),
        (["--family", "155mm-natoo"], "family"),
        (["--quantity", "99999999999"], "quantity"),
    ],
)
def test_offer_add_bad_input(loaded: Path, args: list[str], field: str) -> None:
    base = {
        "--donor": "NOR",
        "--family": "155mm-nato",
        "--quantity": "10",
        "--available-from": "2024-01-01",
        "--on": "2024-06-01",
    }
    base[args[0]] = args[1]
    flat = [x for kv in base.items() for x in kv]
    ledger_before = runner.invoke(app, ["ledger", "export"]).stdout
    result = runner.invoke(app, ["offer", "add", *flat])
    assert result.exit_code == 2
    assert f"field '{field}'" in result.stderr
    assert runner.invoke(app, ["ledger", "export"]).stdout == ledger_before


def test_an_unknown_family_is_refused_with_a_suggestion(loaded: Path) -> None:
    result = runner.invoke(
        app,
        ["request", "add", "--recipient", "UKR", "--family", "155mm-natoo", "--quantity", "5",
         "--priority", "3", "--needed-by", "2024-06-01", "--on", "2024-06-01"],
    )
    assert result.exit_code == 2
    assert "field 'family'" in result.stderr and "155mm-nato" in result.stderr


def test_import_csv_with_one_bad_row_writes_nothing(loaded: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "offers.csv"
    csv_file.write_text(
        "id,donor,family,quantity,available_from,origin\n"
        "X1,NOR,155mm-nato,10,2024-01-01,\n"
        "X2,SWE,155mm-nato,abc,2024-01-01,\n"
        "X3,FIN,155mm-nato,10,2024-01-01,USA\n",
        encoding="utf-8",
    )
    before = runner.invoke(app, ["offer", "list", "-f", "json"]).stdout
    result = runner.invoke(app, ["import", "offers", str(csv_file), "--on", "2024-06-01"])
    assert result.exit_code == 2
    assert "line 3" in result.stderr and "field 'quantity'" in result.stderr
    assert runner.invoke(app, ["offer", "list", "-f", "json"]).stdout == before


def test_import_json_requests(loaded: Path, tmp_path: Path) -> None:
    path = tmp_path / "requests.json"
    path.write_text(
        json.dumps(
            {
                "requests": [
                    {
                        "id": "J1",
                        "recipient": "UKR",
                        "family": "fuel",
                        "quantity": 10,
                        "priority": 2,
                        "needed_by": "2024-09-01",
                    },
                    {
                        "id": "J2",
                        "recipient": "UKR",
                        "family": "medical",
                        "quantity": 5,
                        "priority": 1,
                        "needed_by": "2024-09-01",
                        "releasability": "org:NATO",
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", "requests", str(path), "--on", "2024-06-01"])
    assert result.exit_code == 0, result.output
    listed = {
        r["id"]: r for r in json.loads(runner.invoke(app, ["request", "list", "-f", "json"]).stdout)
    }
    assert listed["J2"]["releasability"] == "org:NATO"


def test_import_malformed_json(loaded: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[{"id": "J1",', encoding="utf-8")
    result = runner.invoke(app, ["import", "requests", str(path)])
    assert result.exit_code == 2
    assert "malformed JSON" in result.stderr and "line 1" in result.stderr


def test_ledger_verify_names_the_altered_entry(loaded: Path) -> None:
    for i in range(3):
        assert (
            runner.invoke(
                app,
                [
                    "request",
                    "add",
                    "--recipient",
                    "UKR",
                    "--family",
                    "fuel",
                    "--quantity",
                    "5",
                    "--needed-by",
                    "2024-06-01",
                    "--on",
                    "2024-06-01",
                    "--id",
                    f"R-L{i}",
                ],
            ).exit_code
            == 0
        )
    ok = runner.invoke(app, ["ledger", "verify"])
    assert ok.exit_code == 0 and "4 entries" in ok.output
    with sqlite3.connect(loaded) as conn:
        conn.execute("UPDATE ledger_entries SET payload = '{\"quantity\": 5000}' WHERE seq = 3")
    bad = runner.invoke(app, ["ledger", "verify"])
    assert bad.exit_code == 3
    assert "ledger entry 3" in bad.stderr


def test_ledger_verify_names_an_entry_that_is_not_json(loaded: Path) -> None:
    with sqlite3.connect(loaded) as conn:
        conn.execute("UPDATE ledger_entries SET payload = '{not json' WHERE seq = 1")
    for command in (["ledger", "verify"], ["ledger", "export"]):
        bad = runner.invoke(app, command)
        assert bad.exit_code == 3, command
        assert "ledger entry 1: payload is not JSON" in bad.stderr
        assert "Traceback" not in bad.output + bad.stderr


def test_ledger_verify_refuses_a_negative_process_count(loaded: Path) -> None:
    """``--jobs`` takes 0 (one process per core: the default) or more; a negative count
    is refused naming the option, before anything is read; 0 and 1 verify alike."""
    bad = runner.invoke(app, ["ledger", "verify", "--jobs", "-1"])
    assert bad.exit_code == 2
    assert "--jobs" in bad.output + bad.stderr and "Traceback" not in bad.output + bad.stderr
    for jobs in ("0", "1"):
        ok = runner.invoke(app, ["ledger", "verify", "--jobs", jobs])
        assert ok.exit_code == 0 and "1 entries verified" in ok.output, jobs


def test_ledger_export_is_jsonl(loaded: Path) -> None:
    result = runner.invoke(app, ["ledger", "export", "--format", "jsonl"])
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["seq"] == 1 and entry["kind"] == "reference.loaded" and len(entry["hash"]) == 64


def test_demo_runs_on_a_fresh_database(db: Path) -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "R-2023-155" in result.output and db.exists()
    # every report works straight after the demo: the shipped public data is loaded
    for name in ("burden", "predictability", "gaps", "deliveries"):
        report = runner.invoke(app, ["report", name, "-f", "json"])
        assert report.exit_code == 0, (name, report.stderr)
    # and a second demo changes nothing but the demo users' tokens
    before = runner.invoke(app, ["ledger", "export"]).stdout.count("\n")
    assert runner.invoke(app, ["demo", "--no-serve"]).exit_code == 0
    after = runner.invoke(app, ["ledger", "export"]).stdout.splitlines()[before:]
    assert all('"kind": "user.' in line or '"user.' in line for line in after), after[:3]


def test_bad_database_url_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIED_DATABASE_URL", "nosuchdb://x")
    result = runner.invoke(app, ["request", "list"])
    assert result.exit_code == 2
    assert "ALLIED_DATABASE_URL" in result.stderr


def test_a_new_database_is_announced_once_and_help_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from another folder, the default ./allied.db is a new, empty file: say so."""
    monkeypatch.delenv("ALLIED_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "300")
    helped = " ".join(runner.invoke(app, ["--help"]).stdout.split())
    assert f"Database: {tmp_path / 'allied.db'} (the default" in helped
    first = runner.invoke(app, ["request", "list", "-f", "json"])
    assert first.exit_code == 0 and json.loads(first.stdout) == []
    assert f"note: created a new, empty database: {tmp_path / 'allied.db'}" in first.stderr
    again = runner.invoke(app, ["request", "list", "-f", "json"])
    assert again.exit_code == 0 and "created" not in again.stderr
    monkeypatch.setenv("ALLIED_DATABASE_URL", "postgresql+psycopg://cell:secret@db/allied")
    shown = runner.invoke(app, ["--help"]).stdout
    assert "postgresql+psycopg://cell:***@db/allied" in shown and "secret" not in shown


def test_demo_without_a_terminal_says_it_is_not_serving(db: Path) -> None:
    result = runner.invoke(app, ["demo", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "Not serving (standard output is not a terminal)" in result.stdout
    assert "allied serve --port 8123" in result.stdout
    assert f"Database: {db}" in " ".join(result.stdout.split())


def test_demo_checks_the_port_before_rotating_tokens(db: Path) -> None:
    import socket

    first = runner.invoke(app, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    before = runner.invoke(app, ["ledger", "export"]).stdout
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = runner.invoke(app, ["demo", "--serve", "--port", str(port)])
    assert busy.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    assert f"make demo PORT={port + 1}" in busy.stderr
    assert f"allied demo --port {port + 1}" in busy.stderr
    # nothing changed: no token was rotated (each rotation is in the ledger)
    assert runner.invoke(app, ["ledger", "export"]).stdout == before


def test_tables_at_80_columns_keep_ids_and_dates_whole(
    loaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    offers = runner.invoke(app, ["offer", "list"])
    assert offers.exit_code == 0
    lines = offers.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "…" not in offers.stdout
    listed = json.loads(runner.invoke(app, ["offer", "list", "-f", "json"]).stdout)
    for offer in listed:  # every id and date appears whole
        assert offer["id"] in offers.stdout and offer["available_from"] in offers.stdout
    caption = " ".join(offers.stdout.split("more column(s)")[1].split())
    assert caption.startswith("at 80 characters: ") and "--wide" in caption
    assert "releasability" in caption
    wide = runner.invoke(app, ["offer", "list", "--wide"])
    assert wide.exit_code == 0 and "more column(s)" not in wide.stdout
    assert "releasability" in wide.stdout and "org:UDCG" in wide.stdout
    consents = runner.invoke(app, ["consent", "list"])
    assert "…" not in consents.stdout
    assert all(len(line) <= 80 for line in consents.stdout.splitlines())
    for c in json.loads(runner.invoke(app, ["consent", "list", "-f", "json"]).stdout):
        assert c["id"] in consents.stdout
    # at 80 characters an origin's inbox keeps item type and quantity (issue 18) and names
    # the columns it leaves out; --wide shows the reason whole, never cut
    assert "item_type" in consents.stdout and "quantity" in consents.stdout
    hidden = " ".join(consents.stdout.split("more column(s)")[1].split())
    assert "reason" in hidden and "--wide" in hidden
    wide_consents = runner.invoke(app, ["consent", "list", "--wide"])
    assert "Germany refused consent for Estonia to pass German-origin" in wide_consents.stdout


def test_wide_does_not_outlive_its_command(loaded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert runner.invoke(app, ["offer", "list", "--wide"]).exit_code == 0
    narrow = runner.invoke(app, ["report", "gaps"])  # a table command that has no --wide
    rows = [line for line in narrow.stdout.splitlines() if line.startswith(("│", "┃"))]
    assert rows and all(len(line) <= 80 for line in rows)
