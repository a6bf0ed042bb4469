"""The lab from the command line: the shipped scenarios with charts, sweeps, validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allied.entrypoints.cli.app import app
from allied.lab.scenario import builtin_names

runner = CliRunner()


@pytest.mark.parametrize("name", builtin_names())
def test_each_scenario_runs_with_a_chart(name: str, tmp_path: Path) -> None:
    png = tmp_path / f"{name}.png"
    result = runner.invoke(
        app, ["simulate", name, "--runs", "1500", "--seed", "3", "--plot", str(png)]
    )
    assert result.exit_code == 0, result.output
    assert name in result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_json_is_byte_identical_for_a_seed_and_html_charts(tmp_path: Path) -> None:
    args = ["simulate", "natoization-2024", "--runs", "1200", "--seed", "9", "--format", "json"]
    first = runner.invoke(app, args)
    second = runner.invoke(app, [*args, "--workers", "2"])
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert set(data["variants"]) == {"contact-group", "nato-consensus"}
    assert data["runs"] == 1200 and data["seed"] == 9
    page = tmp_path / "out.html"
    result = runner.invoke(
        app, ["simulate", "escalation-ladder", "--runs", "500", "--plot", str(page)]
    )
    assert result.exit_code == 0, result.output
    assert "data:image/png;base64," in page.read_text(encoding="utf-8")


def test_set_overrides_and_bad_fields_exit_2_naming_them(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "trainers-attacked",
            "--runs",
            "500",
            "-f",
            "json",
            "--set",
            "decision.max_rounds=1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["variants"]["base"]["decision"]["rounds"]["p90"] == 1
    bad = runner.invoke(app, ["simulate", "trainers-attacked", "--set", "decision.softening=2"])
    assert bad.exit_code == 2
    assert "decision.softening" in bad.output
    yaml_file = tmp_path / "mine.yaml"
    yaml_file.write_text(
        "name: mine\ndate: 2024-01-01\ndecision:\n  forum: EU\n  rule: qmv\n  escalaton: 0.2\n",
        encoding="utf-8",
    )
    bad = runner.invoke(app, ["lab", "validate", str(yaml_file)])
    assert bad.exit_code == 2
    assert "decision.escalaton" in bad.output
    yaml_file.write_text(
        "name: mine\ndate: 2024-01-01\ndecision:\n  forum: EU\n  rule: qmv\n", encoding="utf-8"
    )
    ok = runner.invoke(app, ["simulate", str(yaml_file), "--runs", "300", "-f", "json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["variants"]["base"]["decision"]["rule"] == "qmv"
    missing = runner.invoke(app, ["simulate", "nowhere.yaml"])
    assert missing.exit_code == 2
    plot = runner.invoke(app, ["simulate", "two-tier", "--runs", "10", "--plot", "x.svg"])
    assert plot.exit_code == 2
    assert "--plot" in plot.output


def test_positions_from_a_file_change_the_outcome(tmp_path: Path) -> None:
    calm = tmp_path / "positions.csv"
    calm.write_text(
        "actor,issue,position,salience\nHUN,support,1,0\nTUR,support,1,0\n", encoding="utf-8"
    )
    check = runner.invoke(app, ["lab", "positions", str(calm)])
    assert check.exit_code == 0, check.output
    args = ["simulate", "trainers-attacked", "--runs", "3000", "--seed", "1", "-f", "json"]
    base = json.loads(runner.invoke(app, args).stdout)
    moved = json.loads(runner.invoke(app, [*args, "--positions", str(calm)]).stdout)
    p = "variants", "base", "decision", "p_adopted"
    assert moved[p[0]][p[1]][p[2]][p[3]] > base[p[0]][p[1]][p[2]][p[3]]
    calm.write_text("actor,issue,position,salience\nHUN,support,2,0\n", encoding="utf-8")
    bad = runner.invoke(app, ["lab", "positions", str(calm)])
    assert bad.exit_code == 2
    assert "line 2" in bad.output and "position" in bad.output
    defaults = runner.invoke(app, ["lab", "positions"])
    assert defaults.stdout.startswith("actor,issue,position,salience,source")


def test_positions_on_issues_the_scenario_does_not_read_are_flagged(tmp_path: Path) -> None:
    monitor_shaped = tmp_path / "monitor.csv"
    monitor_shaped.write_text(
        "actor,issue,position,salience\nHUN,military-aid,0.1,0.9\n", encoding="utf-8"
    )
    args = ["simulate", "trainers-attacked", "--runs", "200", "--seed", "1", "-f", "json"]
    flagged = runner.invoke(app, [*args, "--positions", str(monitor_shaped)])
    assert flagged.exit_code == 0
    assert "military-aid" in flagged.stderr and "does not read" in flagged.stderr
    read = tmp_path / "read.csv"
    read.write_text("actor,issue,position,salience\nHUN,support,0.1,0.9\n", encoding="utf-8")
    quiet = runner.invoke(app, [*args, "--positions", str(read)])
    assert quiet.exit_code == 0 and "warning" not in quiet.stderr


def test_sweep_grid_and_lhs() -> None:
    grid = runner.invoke(
        app,
        [
            "sweep",
            "trainers-attacked",
            "--grid",
            "decision.escalation=0.2,0.9",
            "--runs",
            "800",
            "--format",
            "json",
        ],
    )
    assert grid.exit_code == 0, grid.output
    rows = json.loads(grid.stdout)
    assert [r["decision.escalation"] for r in rows] == [0.2, 0.9]
    assert rows[0]["base.decision.p_adopted"] > rows[1]["base.decision.p_adopted"]
    lhs = runner.invoke(
        app,
        [
            "sweep",
            "escalation-ladder",
            "--lhs",
            "3",
            "--range",
            "escalation.decay=0.5:0.95",
            "--runs",
            "500",
            "--format",
            "csv",
        ],
    )
    assert lhs.exit_code == 0, lhs.output
    assert len(lhs.stdout.strip().splitlines()) == 4
    neither = runner.invoke(app, ["sweep", "two-tier"])
    assert neither.exit_code == 2


def test_lab_listing_commands() -> None:
    listed = runner.invoke(app, ["lab", "scenarios", "--format", "json"])
    assert {r["name"] for r in json.loads(listed.stdout)} == set(builtin_names())
    actors = runner.invoke(app, ["lab", "actors", "--format", "json"])
    rows = json.loads(actors.stdout)
    assert len(rows) == 54
    assert next(r for r in rows if r["actor"] == "ISL")["milex_pct"].endswith("(imputed)")
    schema = runner.invoke(app, ["lab", "schema"])
    assert "decision" in json.loads(schema.stdout)["properties"]
    backtest = runner.invoke(app, ["lab", "backtest", "--runs", "2000", "--format", "json"])
    assert backtest.exit_code == 0, backtest.output
    body = json.loads(backtest.stdout)
    episodes = {r["episode"] for r in body["episodes"]}
    assert {
        "FIN accession: days to last ratification",
        "SWE accession: days to last ratification",
    } <= episodes
    # a summary row per family and one over all; baselines scored beside the model
    assert [r["family"] for r in body["episodes"] if r["episode"].startswith("SUMMARY")] == [
        "accession",
        "hold-up",
        "aid",
        "all",
    ]
    assert all("crps_persistence" in r and "brier_base_rate" in r for r in body["episodes"])
    assert {r["nominal"] for r in body["reliability"] if r["kind"] == "interval"} == {
        0.5,
        0.8,
        0.95,
    }
    bad = runner.invoke(app, ["lab", "backtest", "--runs", "5"])
    assert bad.exit_code == 2 and "--runs" in bad.output


def test_lab_fit_prints_estimates_with_bands_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "fit.json"
    fitted = runner.invoke(app, ["lab", "fit", "--reps", "3", "--seed", "1", "--out", str(out)])
    assert fitted.exit_code == 0, fitted.output
    assert "holdup_p" in fitted.stdout and "remaining assumptions" in fitted.stdout
    body = json.loads(out.read_text(encoding="utf-8"))
    assert body["seed"] == 1 and body["bootstrap_replicates"] == 3
    rows = {r["coefficient"]: r for r in body["coefficients"]}
    assert rows["holdup_p"]["p10"] <= rows["holdup_p"]["p90"]
    assert body["assumptions"]
    again = runner.invoke(app, ["lab", "fit", "--reps", "3", "--seed", "1", "-f", "json"])
    assert json.loads(again.stdout) == body  # one seed, the same fit
    for args, field in ((["--reps", "1"], "--reps"), (["--seed", "-1"], "--seed")):
        bad = runner.invoke(app, ["lab", "fit", *args])
        assert bad.exit_code == 2 and field in bad.output


@pytest.mark.parametrize(
    "command",
    [["simulate"], ["sweep"], ["lab"], ["lab", "backtest"], ["lab", "fit"], ["lab", "positions"]],
)
def test_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_a_scenario_file_names_its_positions_relative_to_itself(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "pos.csv").write_text(
        "actor,issue,position,salience\nHUN,support,1,0\nTUR,support,1,0\n", encoding="utf-8"
    )
    body = "name: calm\ndate: 2024-06-01\ndecision:\n  escalation: 0.8\n"
    (folder / "plain.yaml").write_text(body, encoding="utf-8")
    (folder / "calm.yaml").write_text(body + "positions: pos.csv\n", encoding="utf-8")
    args = ["--runs", "3000", "--seed", "2", "-f", "json"]
    plain = runner.invoke(app, ["simulate", str(folder / "plain.yaml"), *args])
    calm = runner.invoke(app, ["simulate", str(folder / "calm.yaml"), *args])
    assert plain.exit_code == 0 and calm.exit_code == 0, calm.output
    blocks = {
        name: {
            r["actor"]
            for r in json.loads(out.stdout)["variants"]["base"]["decision"]["blocks_per_run"][:2]
        }
        for name, out in (("plain", plain), ("calm", calm))
    }
    assert blocks["plain"] == {"HUN", "TUR"}
    assert "HUN" not in blocks["calm"]


def test_after_the_rename_the_warning_does_not_ask_for_it_again(tmp_path: Path) -> None:
    """Renamed already (support is given): an issue the scenario does not read is still
    flagged, but the hint to rename military-aid, which was just done, is not repeated."""
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(
        "actor,issue,position,salience\nHUN,support,0.1,0.9\nHUN,eu-autonomy,0.4,0.5\n",
        encoding="utf-8",
    )
    args = ["simulate", "trainers-attacked", "--runs", "200", "--seed", "1", "-f", "json"]
    flagged = runner.invoke(app, [*args, "--positions", str(renamed)])
    assert flagged.exit_code == 0
    assert "eu-autonomy" in flagged.stderr and "does not read" in flagged.stderr
    assert "--rename" not in flagged.stderr
    monitor_shaped = tmp_path / "monitor.csv"
    monitor_shaped.write_text(
        "actor,issue,position,salience\nHUN,military-aid,0.1,0.9\n", encoding="utf-8"
    )
    hinted = runner.invoke(app, [*args, "--positions", str(monitor_shaped)])
    assert "--rename military-aid=support" in hinted.stderr
