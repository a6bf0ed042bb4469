"""``allied monitor`` end to end on an embedded SQLite database, with texts written here."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from allied.entrypoints.cli.app import app

runner = CliRunner()

BRIEF = (
    "Briefing, 19 January 2022\n\n"
    "Germany refused Estonia permission to pass on the howitzers. "
    "Washington cleared Latvia and Lithuania to transfer American-made missiles to Ukraine. "
    "Britain sent anti-tank weapons to Ukraine.\n\n"
    "Italy and Hungary called for an immediate ceasefire. "
    "France, despite deploying troops in Romania, urged restraint."
)
GOLD = {
    "documents": [
        {
            "document": "brief-2022-01.txt",
            "events": [
                {"actor": "DEU", "type": "block", "target": "EST"},
                {"actor": "USA", "type": "authorise", "target": "LVA"},
                {"actor": "USA", "type": "authorise", "target": "LTU"},
                {"actor": "GBR", "type": "provide", "target": "UKR"},
                {"actor": "ITA", "type": "call-for", "target": None},
                {"actor": "HUN", "type": "call-for", "target": None},
                {"actor": "FRA", "type": "deploy", "target": "ROU"},
                {"actor": "FRA", "type": "call-for", "target": None},
                {"actor": "LVA", "type": "provide", "target": "UKR", "optional": True},
                {"actor": "LTU", "type": "provide", "target": "UKR", "optional": True},
            ],
        }
    ]
}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "allied.db"
    monkeypatch.setenv("ALLIED_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("ALLIED_USER", "analyst")
    result = runner.invoke(app, ["data", "load"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "brief-2022-01.txt").write_text(BRIEF, encoding="utf-8")
    return folder


def _json(args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_extract_json_shape_and_offsets(texts: Path) -> None:
    out = _json(["monitor", "extract", str(texts), "--format", "json"])
    (doc,) = out["documents"]
    assert doc["document"] == "brief-2022-01.txt" and doc["date"] == "2022-01"
    keys = {(e["actor"], e["type"], e["target"]) for e in doc["events"]}
    assert ("DEU", "block", "EST") in keys and ("FRA", "deploy", "ROU") in keys
    for e in doc["events"]:
        assert BRIEF[e["start"] : e["end"]] == e["evidence"]
        assert 0 < e["confidence"] <= 1
        assert set(e) >= {"actor", "type", "target", "evidence", "start", "end", "document",
                          "date", "confidence"}
    table = runner.invoke(app, ["monitor", "extract", str(texts / "brief-2022-01.txt")])
    assert table.exit_code == 0 and "Proposed events" in table.stdout
    flat = runner.invoke(app, ["monitor", "extract", str(texts / "brief-2022-01.txt"),
                               "--date", "2022-01-20", "-f", "csv"])
    rows = list(csv.DictReader(io.StringIO(flat.stdout)))
    assert rows and {r["date"] for r in rows} == {"2022-01-20"}
    assert ("DEU", "block", "EST") in {(r["actor"], r["type"], r["target"]) for r in rows}


def test_evaluate_against_gold(texts: Path, tmp_path: Path) -> None:
    pred = tmp_path / "pred.json"
    result = runner.invoke(app, ["monitor", "extract", str(texts), "-f", "json"])
    pred.write_text(result.stdout, encoding="utf-8")
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps(GOLD), encoding="utf-8")
    report = _json(["monitor", "evaluate", str(pred), "--gold", str(gold), "-f", "json"])
    overall = report["overall"]
    assert overall["recall"] >= 0.75 and overall["precision"] >= 0.75, report
    table = runner.invoke(app, ["monitor", "evaluate", str(pred), "--gold", str(gold)])
    assert table.exit_code == 0 and "overall" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["monitor", "extract", "nowhere/at/all.txt"], "no such file or folder"),
        (["monitor", "extract", "{empty}"], "no .txt, .md or .html"),
        (["monitor", "extract", "{latin}"], "encoding"),
        (["monitor", "extract", "{latin}", "--encoding", "klingon"], "unknown encoding"),
        (["monitor", "extract", "{empty}", "--date", "2022-99"], "--date"),
        (["monitor", "evaluate", "{latin}", "--gold", "{latin}"], "cannot read"),
        (["monitor", "evaluate", "{text}", "--gold", "{text}"], "not JSON"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "latin.txt").write_bytes("Caf\xe9 talks in Paris.".encode("latin-1"))
    (tmp_path / "text.txt").write_text("plain words", encoding="utf-8")
    subst = {"{empty}": str(tmp_path / "empty"), "{latin}": str(tmp_path / "latin.txt"),
             "{text}": str(tmp_path / "text.txt")}
    result = runner.invoke(app, [subst.get(a, a) for a in args])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_save_review_decide_positions_fissures(db: Path, texts: Path, tmp_path: Path) -> None:
    saved = runner.invoke(app, ["monitor", "extract", str(texts), "--save", "-f", "json"])
    assert saved.exit_code == 0, saved.output
    assert "recorded" in saved.stderr
    pending = _json(["monitor", "review", "-f", "json"])
    by_key = {(e["actor"], e["type"], e["target"]): e["id"] for e in pending}
    assert all(e["status"] == "proposed" for e in pending)

    accept = [by_key[k] for k in [("DEU", "block", "EST"), ("USA", "authorise", "LVA"),
                                  ("GBR", "provide", "UKR"), ("ITA", "call-for", None),
                                  ("HUN", "call-for", None), ("FRA", "deploy", "ROU")]]
    result = runner.invoke(app, ["monitor", "confirm", *accept, "--note", "checked"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["monitor", "reject", by_key[("LVA", "provide", "UKR")]])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["monitor", "correct", by_key[("LTU", "provide", "UKR")],
                                 "--actor", "POL", "--date", "2022-01-21"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, ["monitor", "confirm", accept[0]])
    assert again.exit_code == 2 and "illegal transition" in again.output
    missing = runner.invoke(app, ["monitor", "confirm", "ev-000000000000"])
    assert missing.exit_code == 2

    statuses = {e["id"]: e["status"] for e in _json(["monitor", "events", "-f", "json"])}
    assert statuses[accept[0]] == "confirmed"
    assert statuses[by_key[("LTU", "provide", "UKR")]] == "corrected"

    out = runner.invoke(app, ["monitor", "positions", "-f", "csv", "--rename",
                              "military-aid=support"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert {"actor", "issue", "position", "salience", "source"} <= set(rows[0])
    for r in rows:
        assert 0.0 <= float(r["position"]) <= 1.0 and 0.0 <= float(r["salience"]) <= 1.0
    got = {(r["actor"], r["issue"]): float(r["position"]) for r in rows}
    assert got[("DEU", "reexport-restrictiveness")] == 1.0
    assert got[("USA", "reexport-restrictiveness")] == 0.0
    assert got[("GBR", "support")] == 1.0
    assert ("NATO", "support") not in got

    positions = _json(["monitor", "positions", "-f", "json", "--issue",
                       "escalation-tolerance"])["positions"]
    assert {p["issue"] for p in positions} == {"escalation-tolerance"}
    ita = next(p for p in positions if p["actor"] == "ITA")
    assert ita["position"] == 0.0 and ita["evidence"][0]["evidence"].startswith("Italy")

    timeline = _json(["monitor", "timeline", "-f", "json"])
    assert [r["date"] for r in timeline] == sorted(r["date"] for r in timeline)

    chart = tmp_path / "fissures.png"
    fis = _json(["monitor", "fissures", "--groups", "2", "--chart", str(chart), "-f", "json"])
    assert chart.read_bytes()[:4] == b"\x89PNG"
    groups = [set(g["actors"]) for g in fis["groups"]]
    assert len(groups) == 2 and set().union(*groups) >= {"DEU", "ITA", "HUN", "GBR"}

    ledger = runner.invoke(app, ["ledger", "verify"])
    assert ledger.exit_code == 0, ledger.output


def test_interactive_review(db: Path, texts: Path) -> None:
    runner.invoke(app, ["monitor", "extract", str(texts), "--save"])
    pending = _json(["monitor", "review", "-f", "json"])
    # confirm the first, reject the second with a reason, edit the third, then quit
    answers = "c\nr\nnot an event\ne\n\n\n-\n\nfixed\nq\n"
    result = runner.invoke(app, ["monitor", "review", "-i"], input=answers)
    assert result.exit_code == 0, result.output
    after = {e["id"]: e for e in _json(["monitor", "events", "-f", "json"])}
    assert after[pending[0]["id"]]["status"] == "confirmed"
    assert after[pending[1]["id"]]["status"] == "rejected"
    assert after[pending[1]["id"]]["note"] == "not an event"
    assert after[pending[2]["id"]]["status"] == "corrected"
    assert after[pending[2]["id"]]["target"] is None
    assert after[pending[3]["id"]]["status"] == "proposed"


def test_fissures_and_positions_refuse_bad_requests(db: Path) -> None:
    result = runner.invoke(app, ["monitor", "fissures"])
    assert result.exit_code == 2 and "at least two" in result.output
    bad = runner.invoke(app, ["monitor", "positions", "--issue", "cheese"])
    assert bad.exit_code == 2 and "unknown issue" in bad.output
