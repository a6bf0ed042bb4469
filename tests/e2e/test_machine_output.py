"""``--format json|csv`` prints only its format on standard output.

Programs read these outputs: a banner, a progress bar or a notice on stdout makes them
unreadable. Two layers are checked:

- in fresh processes (a C library writes its banner once per process, straight to file
  descriptor 1, where an in-process runner does not look): the LP solver through the
  library API and through ``allied allocate --solver lp --format json``;
- every command that has ``--format``, run in-process with both ``json`` and ``csv``,
  with the process's own descriptors captured too (``capfd``): its stdout parses whole
  as its format and nothing else reached file descriptor 1.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
XS_PROBLEM = {
    "as_of": "2024-01-01",
    "requests": [
        {
            "id": "R1",
            "recipient": "UKR",
            "accepts": ["155mm-nato"],
            "quantity": 10,
            "priority": 1,
            "needed_by": "2024-06-01",
        },
    ],
    "offers": [
        {
            "id": "O1",
            "donor": "DEU",
            "family": "155mm-nato",
            "quantity": 6,
            "available_from": "2024-01-01",
            "channel": "bilateral",
            "lethal": True,
        },
        {
            "id": "O2",
            "donor": "POL",
            "family": "155mm-nato",
            "quantity": 6,
            "available_from": "2024-02-01",
            "channel": "bilateral",
            "lethal": True,
        },
    ],
}

CLI = "import sys; from allied.entrypoints.cli.app import main; sys.argv[0] = 'allied'; main()"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    return env


def test_lp_solver_library_api_prints_nothing() -> None:
    code = (
        "import json, sys\n"
        "from allied.allocation import allocate, loads_problem\n"
        f"plan = allocate(loads_problem({json.dumps(XS_PROBLEM)!r}), solver='lp')\n"
        "assert plan.allocations, plan\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_allocate_lp_json_is_json_in_a_fresh_process(tmp_path: Path) -> None:
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(XS_PROBLEM), encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CLI,
            "allocate",
            "--problem",
            str(problem),
            "--solver",
            "lp",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["status"] == "optimal"
    assert sum(a["quantity"] for a in plan["allocations"]) == 10


# --- every command with --format, in-process --------------------------------------------

BRIEF = (
    "Briefing, 19 January 2022\n\n"
    "Germany refused Estonia permission to pass on the howitzers. "
    "Britain sent anti-tank weapons to Ukraine."
)
NATO_2024 = (
    "ALB",
    "BEL",
    "BGR",
    "CAN",
    "CZE",
    "DEU",
    "DNK",
    "ESP",
    "EST",
    "FIN",
    "FRA",
    "GBR",
    "GRC",
    "HRV",
    "HUN",
    "ISL",
    "ITA",
    "LTU",
    "LUX",
    "LVA",
    "MKD",
    "MNE",
    "NLD",
    "NOR",
    "POL",
    "PRT",
    "ROU",
    "SVK",
    "SVN",
    "TUR",
    "USA",
)
PROPOSE = [
    "decide",
    "propose",
    "--org",
    "NATO",
    "--rule",
    "consensus-silence",
    "--title",
    "Winter support",
    "--deadline",
    "2024-02-01",
    "--on",
    "2024-01-10",
    "--id",
    "P-TEST",
]
APPLY = [
    "decide",
    "accession",
    "apply",
    "ACC-TEST",
    "--candidate",
    "UKR",
    "--org",
    "NATO",
    "--on",
    "2024-01-10",
]
OFFER = [
    "offer",
    "add",
    "--donor",
    "POL",
    "--family",
    "105mm-nato",
    "--quantity",
    "10",
    "--available-from",
    "2023-05-01",
    "--origin",
    "DEU",
    "--id",
    "O-TEST",
    "--on",  # filed back then
    "2023-05-01",
]
REQUEST = [
    "request",
    "add",
    "--recipient",
    "UKR",
    "--family",
    "105mm-nato",
    "--quantity",
    "10",
    "--needed-by",
    "2023-09-01",
    "--id",
    "R-TEST",
    "--on",
    "2023-05-01",
]
PLEDGE = ["allocate", "--as-of", "2023-06-01", "--allow-pending-consent"]
#: The allocation of O-TEST to R-TEST (no other offer of its family), moved to the point
#: where DEU (its origin, case-by-case) is asked, today (a request expires after 30 days).
CONSENT_ASKED = [
    OFFER,
    REQUEST,
    PLEDGE,
    # accepted on the plan's day (R-TEST is needed by 2023-09-01: overdue today)
    ["allocation", "advance", "{allocation}", "--to", "pledged", "--on", "2023-06-01"],
    ["allocation", "advance", "{allocation}", "--to", "consent-pending"],
]

#: For each command with ``--format``: the commands that prepare its case, then its own
#: arguments (``{tmp}`` is the test's folder), then the formats it offers besides table.
CASES: dict[str, tuple[list[list[str]], list[str], tuple[str, ...]]] = {
    "actors": ([], ["actors", "--org", "NATO", "--on", "2024-03-07"], ("json", "csv")),
    "allocate": ([], ["allocate", "--as-of", "2023-06-01", "--solver", "lp"], ("json", "csv")),
    "simulate": ([], ["simulate", "trainers-attacked", "--runs", "200"], ("json",)),
    "sweep": (
        [],
        [
            "sweep",
            "trainers-attacked",
            "--grid",
            "decision.escalation=0.2,0.9",
            "--runs",
            "100",
            "--workers",
            "1",
        ],
        ("json", "csv"),
    ),
    "report": ([], ["report", "gaps"], ("json", "csv")),
    "request add": ([], REQUEST, ("json", "csv")),
    "request list": ([], ["request", "list"], ("json", "csv")),
    "offer add": ([], OFFER, ("json", "csv")),
    "offer list": ([], ["offer", "list"], ("json", "csv")),
    "ledger export": ([], ["ledger", "export"], ("jsonl",)),
    "decide evaluate": (
        [],
        ["decide", "evaluate", "--rule", "qmv", "--org", "EU", "--on", "2024-01-10", "--no", "HUN"],
        ("json", "csv"),
    ),
    "decide propose": ([], PROPOSE, ("json", "csv")),
    "decide object": (
        [PROPOSE],
        ["decide", "object", "P-TEST", "--as", "HUN", "--reason", "not now", "--on", "2024-01-11"],
        ("json", "csv"),
    ),
    "decide vote": (
        [PROPOSE],
        ["decide", "vote", "P-TEST", "--as", "FRA", "--position", "yes", "--on", "2024-01-11"],
        ("json", "csv"),
    ),
    "decide revise": (
        [PROPOSE],
        [
            "decide",
            "revise",
            "P-TEST",
            "--text",
            "smaller",
            "--deadline",
            "2024-02-10",
            "--on",
            "2024-01-12",
        ],
        ("json", "csv"),
    ),
    "decide withdraw": (
        [PROPOSE],
        ["decide", "withdraw", "P-TEST", "--on", "2024-01-12"],
        ("json", "csv"),
    ),
    "decide status": ([PROPOSE], ["decide", "status"], ("json", "csv")),
    "decide accession apply": ([], APPLY, ("json", "csv")),
    "decide accession invite": (
        [APPLY],
        ["decide", "accession", "invite", "ACC-TEST", "--on", "2024-01-11"],
        ("json", "csv"),
    ),
    "decide accession sign": (
        [APPLY, ["decide", "accession", "invite", "ACC-TEST", "--on", "2024-01-11"]],
        ["decide", "accession", "sign", "ACC-TEST", "--on", "2024-01-12"],
        ("json", "csv"),
    ),
    "decide accession ratify": (
        [
            APPLY,
            ["decide", "accession", "invite", "ACC-TEST", "--on", "2024-01-11"],
            ["decide", "accession", "sign", "ACC-TEST", "--on", "2024-01-12"],
        ],
        ["decide", "accession", "ratify", "ACC-TEST", "--state", "POL", "--on", "2024-01-13"],
        ("json", "csv"),
    ),
    "decide accession join": (
        [
            APPLY,
            ["decide", "accession", "invite", "ACC-TEST", "--on", "2024-01-11"],
            ["decide", "accession", "sign", "ACC-TEST", "--on", "2024-01-12"],
            *(
                [
                    "decide",
                    "accession",
                    "ratify",
                    "ACC-TEST",
                    "--state",
                    state,
                    "--on",
                    "2024-01-13",
                ]
                for state in NATO_2024
            ),
        ],
        ["decide", "accession", "join", "ACC-TEST", "--on", "2024-01-14"],
        ("json", "csv"),
    ),
    "consent list": ([], ["consent", "list"], ("json", "csv")),
    "consent grant": (
        CONSENT_ASKED,
        ["consent", "grant", "{consent}", "--as", "DEU", "--reason", "cleared"],
        ("json", "csv"),
    ),
    "consent deny": (
        CONSENT_ASKED,
        ["consent", "deny", "{consent}", "--as", "DEU", "--reason", "no"],
        ("json", "csv"),
    ),
    "consent expire": ([], ["consent", "expire"], ("json", "csv")),
    "decide close": ([], ["decide", "close"], ("json", "csv")),
    "consent policy": ([], ["consent", "policy"], ("json", "csv")),
    "allocation list": ([PLEDGE], ["allocation", "list"], ("json", "csv")),
    "allocation advance": (
        [OFFER, REQUEST, PLEDGE],
        ["allocation", "advance", "{allocation}", "--to", "withdrawn", "--on", "2023-06-02"],
        ("json", "csv"),
    ),
    "request amend": (
        [REQUEST], ["request", "amend", "R-TEST", "--quantity", "12"], ("json", "csv")
    ),
    "request withdraw": (
        [REQUEST], ["request", "withdraw", "R-TEST", "--reason", "met"], ("json", "csv")
    ),
    "request close": (
        [REQUEST], ["request", "close", "R-TEST", "--reason", "filled"], ("json", "csv")
    ),
    "request expire": ([], ["request", "expire", "--on", "2030-01-01"], ("json", "csv")),
    "offer amend": ([OFFER], ["offer", "amend", "O-TEST", "--quantity", "12"], ("json", "csv")),
    "offer withdraw": (
        [OFFER], ["offer", "withdraw", "O-TEST", "--reason", "kept"], ("json", "csv")
    ),
    "allocation bulk": (
        [OFFER, REQUEST, PLEDGE],
        ["allocation", "bulk", "{allocation}=pledged", "--on", "2023-06-01"],
        ("json", "csv"),
    ),
    "todo": ([PLEDGE], ["todo", "--role", "coordinator"], ("json", "csv")),
    "lab fit": ([], ["lab", "fit", "--reps", "2"], ("json", "csv")),
    "lab scenarios": ([], ["lab", "scenarios"], ("json", "csv")),
    "lab actors": ([], ["lab", "actors"], ("json", "csv")),
    "lab backtest": ([], ["lab", "backtest", "--runs", "200"], ("json", "csv")),
    "monitor extract": ([], ["monitor", "extract", "{tmp}/brief-2022-01.txt"], ("json", "csv")),
    "monitor evaluate": (
        [],
        ["monitor", "evaluate", "{tmp}/predicted.json", "--gold", "{tmp}/gold.json"],
        ("json", "csv"),
    ),
    "monitor events": (
        [["monitor", "extract", "{tmp}/brief-2022-01.txt", "--save"]],
        ["monitor", "events"],
        ("json", "csv"),
    ),
    "monitor review": (
        [["monitor", "extract", "{tmp}/brief-2022-01.txt", "--save"]],
        ["monitor", "review"],
        ("json", "csv"),
    ),
    "monitor positions": ([], ["monitor", "positions"], ("json", "csv")),
    "monitor timeline": ([], ["monitor", "timeline"], ("json", "csv")),
    "monitor fissures": (
        [
            ["monitor", "extract", "{tmp}/brief-2022-01.txt", "--save"],
            ["monitor", "confirm", "{review}"],
        ],
        ["monitor", "fissures", "--groups", "2"],
        ("json", "csv"),
    ),
    "user list": (
        [["user", "add", "--name", "cell", "--role", "coordinator"]],
        ["user", "list"],
        ("json", "csv"),
    ),
}


def _commands_with_format() -> set[str]:
    import typer

    from allied.entrypoints.cli.app import app

    found: set[str] = set()

    def walk(cmd: object, path: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
            return
        if any("--format" in getattr(p, "opts", ()) for p in getattr(cmd, "params", ())):
            found.add(" ".join(path))

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_with_a_format_is_checked() -> None:
    assert _commands_with_format() == set(CASES)


@pytest.fixture(scope="module")
def loaded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from typer.testing import CliRunner

    from allied.entrypoints.cli.app import app

    path = tmp_path_factory.mktemp("machine") / "allied.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ALLIED_DATABASE_URL", f"sqlite:///{path}")
        mp.setenv("ALLIED_USER", "tester")
        result = CliRunner().invoke(app, ["data", "load"])
    assert result.exit_code == 0, result.output
    return path


def _parses(fmt: str, out: str) -> None:
    if fmt == "json":
        json.loads(out)
    elif fmt == "jsonl":
        for line in out.splitlines():
            json.loads(line)
    else:
        rows = list(csv.reader(io.StringIO(out), strict=True))
        assert rows and rows[0], "a CSV output starts with its header"
        assert all(len(r) == len(rows[0]) for r in rows), "every CSV row has the header's width"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [(name, fmt) for name, (_, _, fmts) in CASES.items() for fmt in fmts],
    ids=lambda v: str(v),
)
def test_format_prints_only_its_format(
    name: str,
    fmt: str,
    tmp_path: Path,
    loaded_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    import shutil

    from typer.testing import CliRunner

    from allied.entrypoints.cli.app import app

    db = tmp_path / "allied.db"
    shutil.copy(loaded_template, db)
    monkeypatch.setenv("ALLIED_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("ALLIED_USER", "tester")
    monkeypatch.setenv("ALLIED_NATION", "POL")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "brief-2022-01.txt").write_text(BRIEF, encoding="utf-8")
    (tmp_path / "gold.json").write_text(
        json.dumps(
            {
                "documents": [
                    {
                        "document": "brief-2022-01.txt",
                        "events": [{"actor": "DEU", "type": "block", "target": "EST"}],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    runner = CliRunner()
    subs = {"tmp": str(tmp_path)}
    setup, args, _ = CASES[name]
    if name == "monitor evaluate":
        setup = [["monitor", "extract", "{tmp}/brief-2022-01.txt", "--format", "json"]]
    for step in setup:
        if any("{allocation}" in a for a in step) and "allocation" not in subs:
            listed = json.loads(
                runner.invoke(app, ["allocation", "list", "--format", "json"]).stdout
            )
            subs["allocation"] = next(a["id"] for a in listed if a["offer"] == "O-TEST")
        if "{review}" in step:
            listed = json.loads(runner.invoke(app, ["monitor", "review", "-f", "json"]).stdout)
            step = [a for a in step if a != "{review}"] + [e["id"] for e in listed]
        done = runner.invoke(app, [a.format(**subs) for a in step])
        assert done.exit_code == 0, (step, done.output)
        if name == "monitor evaluate":
            (tmp_path / "predicted.json").write_text(done.stdout, encoding="utf-8")
    if any("{allocation}" in a for a in args) and "allocation" not in subs:
        listed = json.loads(runner.invoke(app, ["allocation", "list", "--format", "json"]).stdout)
        subs["allocation"] = next(a["id"] for a in listed if a["offer"] == "O-TEST")
    if "{consent}" in args:
        listed = json.loads(runner.invoke(app, ["consent", "list", "--format", "json"]).stdout)
        subs["consent"] = next(c["id"] for c in listed if c["offer"] == "O-TEST")
    capfd.readouterr()
    result = runner.invoke(app, [*(a.format(**subs) for a in args), "--format", fmt])
    leaked = capfd.readouterr().out
    assert result.exit_code == 0, result.output
    _parses(fmt, result.stdout)
    assert leaked == "", f"written to the process's stdout, around the runner: {leaked!r}"
