"""Input accepted although invalid (issue 20, item 5): each is refused, naming the field
(and the line, for files), and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allied.entrypoints.cli.app import app

runner = CliRunner()
OFFER = [
    "offer",
    "add",
    "--donor",
    "POL",
    "--family",
    "155mm-nato",
    "--quantity",
    "10",
    "--available-from",
    "2024-01-01",
    "--on",  # the day it is filed
    "2024-01-01",
]
REQUEST = [
    "request",
    "add",
    "--recipient",
    "UKR",
    "--family",
    "155mm-nato",
    "--quantity",
    "10",
    "--needed-by",
    "2024-06-01",
    "--on",
    "2024-01-01",
]


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "allied.db"
    monkeypatch.setenv("ALLIED_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("ALLIED_USER", "tester")
    assert runner.invoke(app, ["data", "load"]).exit_code == 0
    return path


def _ledger_size() -> int:
    return len(runner.invoke(app, ["ledger", "export"]).stdout.splitlines())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--channel", "nato-cap"], "field 'lethal': channel nato-cap carries non-lethal aid only"),
        (["--releasability", "nations:POL,XXX"], "field 'releasability': unknown actor code 'XXX'"),
        (["--releasability", "nations:POL,NATO"], "not a state; release to it with org:NATO"),
        (["--releasability", "org:NATOO"], "unknown actor code 'NATOO'; did you mean NATO?"),
        (["--releasability", "org:DEU"], "'DEU' is a state, not an organisation"),
        (
            ["--caveats", "spare parts \u202eslaiciffo ylno"],
            "bidirectional control character U+202E",
        ),
        (["--caveats", "bell\x07"], "control character U+0007 at position 5"),
    ],
)
def test_offer_refused(loaded: Path, args: list[str], message: str) -> None:
    before = _ledger_size()
    done = runner.invoke(app, [*OFFER, *args])
    assert done.exit_code == 2, done.output
    assert message in done.stderr
    assert _ledger_size() == before


def test_dates_are_checked_against_the_day_the_records_are_filed(
    loaded: Path, tmp_path: Path
) -> None:
    """Issue 19: without --on the day is today's, so 2024 dates are long past; --on names
    the day records of another day were filed; a bad day is refused naming the option."""
    before = _ledger_size()
    for args, field in ((REQUEST[:-2], "needed_by"), (OFFER[:-2], "available_from")):
        done = runner.invoke(app, args)
        assert done.exit_code == 2, done.output
        assert f"field '{field}'" in done.stderr and "today" in done.stderr
    far = runner.invoke(app, [*REQUEST[:-2], "--needed-by", "9999-12-31", "--on", "2024-01-01"])
    assert far.exit_code == 2 and "at the latest 2034-01-01" in far.stderr
    path = tmp_path / "requests.csv"
    path.write_text("id,recipient,family,quantity,priority,needed_by\n"
                    "R-OLD,UKR,155mm-nato,5,3,2023-01-01\n", encoding="utf-8")
    refused = runner.invoke(app, ["import", "requests", str(path)])
    assert refused.exit_code == 2 and "line 2" in refused.stderr
    assert "field 'needed_by'" in refused.stderr
    bad_day = runner.invoke(app, ["import", "requests", str(path), "--on", "yesterday"])
    assert bad_day.exit_code == 2 and "--on" in bad_day.stderr
    assert _ledger_size() == before
    filed = runner.invoke(app, ["import", "requests", str(path), "--on", "2023-01-01"])
    assert filed.exit_code == 0, filed.output


def test_non_lethal_offer_through_nato_cap_and_a_line_break_in_notes_are_fine(
    loaded: Path,
) -> None:
    assert runner.invoke(app, [*OFFER, "--channel", "nato-cap", "--non-lethal"]).exit_code == 0
    done = runner.invoke(app, [*REQUEST, "--notes", "first line\nsecond line", "-f", "json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)[0]["id"]


def test_proposal_title_with_a_bidi_override_is_refused(loaded: Path) -> None:
    done = runner.invoke(
        app,
        [
            "decide",
            "propose",
            "--org",
            "NATO",
            "--rule",
            "unanimity",
            "--title",
            "Aid \u2066package",
            "--deadline",
            "2099-01-01",
        ],
    )
    assert done.exit_code == 2 and "field 'title'" in done.stderr and "U+2066" in done.stderr


def test_png_to_a_terminal_is_refused(loaded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import allied.entrypoints.cli.reports as reports_cli

    done_to_file = runner.invoke(app, ["report", "gaps", "-f", "png"])
    assert done_to_file.exit_code == 0 and done_to_file.stdout_bytes.startswith(b"\x89PNG")
    monkeypatch.setattr(reports_cli, "stdout_is_terminal", lambda: True)
    done = runner.invoke(app, ["report", "gaps", "-f", "png"])
    assert done.exit_code == 2
    assert "--out FILE.png" in done.stderr


def test_an_unclosed_quote_is_reported_on_its_own_line(loaded: Path, tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_text(
        "id,recipient,family,quantity,priority,needed_by,notes\n"
        "R-A,UKR,155mm-nato,5,3,2024-01-01,ok\n"
        'R-B,UKR,155mm-nato,5,3,2024-01-01,"unclosed\n'
        "R-C,UKR,155mm-nato,5,3,2024-01-01,fine\n",
        encoding="utf-8",
    )
    before = _ledger_size()
    done = runner.invoke(app, ["import", "requests", str(path), "--on", "2024-01-01"])
    assert done.exit_code == 2
    assert "line 3: not valid CSV: a quoted field opened on line 3 is not closed" in done.stderr
    assert _ledger_size() == before


def test_a_quoted_line_break_still_imports(loaded: Path, tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_text(
        "id,recipient,family,quantity,priority,needed_by,notes\n"
        'R-A,UKR,155mm-nato,5,3,2024-01-01,"two\nlines"\n'
        "R-C,UKR,155mm-nato,5,x,2024-01-01,fine\n",
        encoding="utf-8",
    )
    done = runner.invoke(app, ["import", "requests", str(path), "--on", "2024-01-01"])
    # the bad priority is on line 4 (the record before it spans lines 2-3)
    assert done.exit_code == 2 and "line 4" in done.stderr and "priority" in done.stderr


# -- who acts (item 6) ---------------------------------------------------------------------


def test_without_allied_user_the_ledger_names_the_os_user(
    loaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass

    for name in ("ALLIED_USER", "USER", "LOGNAME", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    assert runner.invoke(app, [*OFFER, "--non-lethal"]).exit_code == 0
    last = json.loads(runner.invoke(app, ["ledger", "export"]).stdout.splitlines()[-1])
    # no variable names the user: the account database does (never "cli:unknown")
    assert last["user"] == f"os:{getpass.getuser()}"
    assert last["user"] != "os:" and "unknown" not in last["user"]


def test_a_deployment_can_require_an_explicit_identity_for_changes(
    loaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLIED_REQUIRE_USER", "1")
    monkeypatch.delenv("ALLIED_USER")
    before = _ledger_size()
    refused = runner.invoke(app, OFFER)
    assert refused.exit_code == 2
    assert "requires an explicit identity" in refused.stderr and "ALLIED_USER" in refused.stderr
    assert _ledger_size() == before
    assert runner.invoke(app, ["offer", "list", "-f", "json"]).exit_code == 0  # reads are fine
    monkeypatch.setenv("ALLIED_USER", "cell-officer")
    assert runner.invoke(app, OFFER).exit_code == 0
    last = json.loads(runner.invoke(app, ["ledger", "export"]).stdout.splitlines()[-1])
    assert last["user"] == "cell-officer"


def test_a_lone_surrogate_in_a_json_file_is_refused_naming_the_entry(
    loaded: Path, tmp_path: Path
) -> None:
    """``"\\ud800"`` is valid JSON but no character: the import names the entry and the
    field (it used to end in a UnicodeEncodeError traceback from the database driver)."""
    path = tmp_path / "requests.json"
    path.write_text(
        '[{"id": "UKR-SUR-1", "recipient": "UKR", "family": "atgm", "quantity": 5,'
        ' "priority": 3, "needed_by": "2024-09-01", "notes": "a\\ud800b"}]',
        encoding="utf-8",
    )
    before = _ledger_size()
    done = runner.invoke(app, ["import", "requests", str(path), "--on", "2024-01-01"])
    assert done.exit_code == 2, done.output
    assert "entry 1, field 'notes': contains a lone surrogate U+D800" in done.stderr
    assert _ledger_size() == before
