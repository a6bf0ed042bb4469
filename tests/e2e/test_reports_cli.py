"""``allied import kiel|sipri`` and ``allied report`` end to end on SQLite.

The reproduction test: after importing the shipped Kiel release, ``allied report burden
--format json`` gives, for every donor in the file, the cumulative totals by type and
the share of GDP computed directly from the file (within 0.5%).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allied.entrypoints.cli.app import app
from allied.ingest.kiel import builtin_kiel_path
from allied.ingest.sipri import builtin_sipri_path

runner = CliRunner()
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "allied.db"
    monkeypatch.setenv("ALLIED_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("ALLIED_USER", "analyst")
    return path


@pytest.fixture
def imported(db: Path) -> Path:
    for dataset in ("kiel", "sipri"):
        result = runner.invoke(app, ["import", dataset])
        assert result.exit_code == 0, result.output
    return db


def _rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _close(actual: float | None, expected: float) -> bool:
    assert actual is not None
    return abs(actual - expected) <= 0.005 * abs(expected) + 1e-12


def test_burden_reproduces_the_kiel_figures_for_every_donor(db: Path) -> None:
    path = builtin_kiel_path()
    result = runner.invoke(app, ["import", "kiel", str(path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["report", "burden", "--format", "json"])
    assert result.exit_code == 0, result.output
    donors = {d["code"]: d for d in json.loads(result.stdout)["donors"]}

    # Straight from the file, with nothing of allied's.
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    gdp: dict[str, float] = {}
    names: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))):
        for col in ("total", "military", "financial", "humanitarian", "pct_gdp"):
            sums[row["iso"]][col] += float(row[col])
        gdp[row["iso"]] = float(row["gdp"])
        names[row["iso"]] = row["country"]
    assert set(donors) == set(sums) and len(donors) == 36
    for iso, expected in sums.items():
        got = donors[iso]
        assert got["name"] == names[iso] or iso == "EU"
        for col in ("total", "military", "financial", "humanitarian"):
            assert _close(got[f"{col}_eur_bn"], expected[col]), (iso, col)
        if gdp[iso] > 0:
            assert _close(got["pct_gdp"], expected["pct_gdp"]), iso
            assert _close(got["pct_gdp"], expected["total"] / gdp[iso] * 100), iso
        else:  # Kiel gives EU institutions no GDP: no share of GDP rather than zero
            assert got["pct_gdp"] is None and expected["pct_gdp"] == 0
    assert donors["EU"]["name"] == "EU (Commission and Council)"


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data not beside the repository")
def test_the_shipped_copies_are_the_shared_files() -> None:
    assert builtin_kiel_path().read_bytes() == (SHARED / "kiel" / "data_explorer.csv").read_bytes()
    shared_sipri = SHARED / "sipri" / "transfers_to_ukraine.csv"
    assert builtin_sipri_path().read_bytes() == shared_sipri.read_bytes()


def test_reimporting_changes_nothing(db: Path) -> None:
    for dataset in ("kiel", "sipri"):
        assert runner.invoke(app, ["import", dataset]).exit_code == 0
        result = runner.invoke(app, ["import", dataset])
        assert result.exit_code == 0
        assert "nothing to change" in result.output
    assert _rows(db, "kiel_allocations") == 929 and _rows(db, "sipri_transfers") == 356
    assert _rows(db, "ledger_entries") == 2
    assert runner.invoke(app, ["ledger", "verify"]).exit_code == 0


def test_a_malformed_row_stops_the_import_naming_its_line(db: Path, tmp_path: Path) -> None:
    lines = builtin_kiel_path().read_text(encoding="utf-8").splitlines()
    lines[41] = lines[41].replace('"AUT"', '"A T"')
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "kiel", str(bad)])
    assert result.exit_code == 2
    assert "line 42" in result.output and "iso" in result.output
    assert not db.exists() or _rows(db, "kiel_allocations") == 0

    sipri = builtin_sipri_path().read_text(encoding="utf-8").splitlines()
    sipri[10] = sipri[10].replace(",?,", ",??,", 1)
    bad.write_text("\n".join(sipri) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "sipri", str(bad)])
    assert result.exit_code == 2 and "line 11" in result.output
    assert runner.invoke(app, ["import", "sipri", str(tmp_path / "none.csv")]).exit_code == 2


def test_an_unknown_donor_with_its_code_imports(db: Path, tmp_path: Path) -> None:
    body = builtin_kiel_path().read_text(encoding="utf-8")
    body += '"European Investment Bank","EIB",2024,6,1.5,1.5,0,0,1.5,0,0,0\n'
    release = tmp_path / "release_info.csv"
    release.write_text('"release","period","date","label"\n"30","x","y","Release 30"\n')
    path = tmp_path / "data_explorer.csv"
    path.write_text(body, encoding="utf-8")
    result = runner.invoke(app, ["import", "kiel", str(path)])
    assert result.exit_code == 0, result.output
    assert "Release 30" in result.output
    result = runner.invoke(app, ["report", "burden", "-f", "json"])
    groups = {g["group"]: g for g in json.loads(result.stdout)["groups"]}
    assert groups["eu-institutions"]["donors"] == 2


@pytest.mark.parametrize("name", ["burden", "predictability", "gaps", "deliveries"])
def test_every_report_in_every_format(imported: Path, tmp_path: Path, name: str) -> None:
    assert runner.invoke(app, ["data", "load"]).exit_code == 0
    table = runner.invoke(app, ["report", name])
    assert table.exit_code == 0, table.output
    assert "Sources:" in table.output
    as_json = runner.invoke(app, ["report", name, "--format", "json"])
    assert json.loads(as_json.stdout)["report"] == name
    as_csv = runner.invoke(app, ["report", name, "--format", "csv"])
    assert as_csv.exit_code == 0 and as_csv.stdout.count("\n") >= 1
    png, page = tmp_path / f"{name}.png", tmp_path / f"{name}.html"
    assert runner.invoke(app, ["report", name, "-f", "png", "--out", str(png)]).exit_code == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    assert runner.invoke(app, ["report", name, "-f", "html", "--out", str(page)]).exit_code == 0
    text = page.read_text(encoding="utf-8")
    assert "<svg" in text and not re.search(r"""(src|href)=["']https?:""", text)


def test_report_options(imported: Path) -> None:
    def burden(*args: str) -> dict[str, object]:
        result = runner.invoke(app, ["report", "burden", "-f", "json", *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    whole = burden()
    year = burden("--from", "2023-01-01", "--to", "2023-12-31")
    assert year["period"] == {"from": "2023-01-01", "to": "2023-12-31"}
    total = {g["group"]: g["total_eur_bn"] for g in whole["groups"]}["total"]  # type: ignore[index]
    in_2023 = {g["group"]: g["total_eur_bn"] for g in year["groups"]}["total"]  # type: ignore[index]
    assert 0 < in_2023 < total
    other = burden("--gdp-year", "2023")
    assert other["options"]["gdp_basis"] == "world-bank-2023"  # type: ignore[index]
    shared = burden("--attribute-eu")
    codes = {d["code"] for d in shared["donors"]}  # type: ignore[attr-defined]
    assert "EU" not in codes and {"DNK", "PRT"} <= codes  # members Kiel's subset lacks
    groups = {g["group"]: g["total_eur_bn"] for g in shared["groups"]}  # type: ignore[attr-defined]
    assert groups["total"] == pytest.approx(total)
    assert groups["eu-institutions"] == 0
    csv_groups = runner.invoke(app, ["report", "burden", "-f", "csv", "--table", "groups"])
    assert csv_groups.stdout.splitlines()[0].startswith("group,name,donors")
    ukraine = runner.invoke(app, ["report", "deliveries", "-f", "json", "--recipient", "ukr"])
    assert json.loads(ukraine.stdout)["options"]["recipient"] == "UKR"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "burden", "--from", "2023-13-01"], "--from"),
        (["report", "burden", "--from", "2024-01-01", "--to", "2023-01-01"], "before it starts"),
        (["report", "burden", "--gdp-year", "1999"], "no exchange rate"),
        (["report", "burden", "--table", "nope"], "no table"),
        (["report", "burden", "-f", "table", "--out", "x.txt"], "--out"),
        (["report", "morale"], "morale"),
    ],
)
def test_bad_report_calls_exit_2(imported: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_reports_before_any_import_say_what_to_do(db: Path) -> None:
    result = runner.invoke(app, ["report", "burden"])
    assert result.exit_code == 2 and "allied import kiel" in result.output
    # names the report and the data set, not a field of the call (the call is right)
    said = " ".join(result.output.split())
    assert "the burden report needs the Kiel Ukraine Support Tracker data" in said
    assert "field" not in said and "Traceback" not in said
    result = runner.invoke(app, ["report", "deliveries"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "`allied import sipri`" in said
    assert "the deliveries report needs the SIPRI trade register data" in said


def test_the_json_example_in_the_docs_matches_the_output(imported: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "reports.md").read_text("utf-8")
    block = re.search(r"```json\n(.*?)```", doc, re.DOTALL)
    assert block is not None
    example = json.loads(block[1])
    real = json.loads(runner.invoke(app, ["report", "burden", "-f", "json"]).stdout)
    assert set(example) == set(real)
    assert example["options"] == real["options"]
    documented = set(example["donors"][0]) - {"..."}
    assert documented <= set(real["donors"][0])
    usa = real["donors"][0]
    for key in documented - {"rank", "code", "name", "group", "population"}:
        assert round(usa[key], 1) == pytest.approx(example["donors"][0][key], abs=0.051), key
    assert usa["population"] == example["donors"][0]["population"]


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
def test_the_html_chart_is_interactive_in_a_browser_without_network(
    imported: Path, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("ALLIED_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ALLIED_REQUIRE_BROWSER=1 but {CHROMIUM} is not installed")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "burden.html"
    result = runner.invoke(app, ["report", "burden", "-f", "html", "--out", str(page_file)])
    assert result.exit_code == 0, result.output
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1400})
            fetched: list[str] = []
            page.on("request", lambda r: fetched.append(r.url))
            page.goto(page_file.as_uri())
            # hover the United States' financial bar (the top bar of series 1)
            bars = page.locator("[id^='s1-t']")
            box = bars.nth(bars.count() - 1).bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            assert page.locator("#tip").is_visible()
            assert page.locator("#tip").inner_text().startswith("United States: financial")
            # the legend hides and shows a series
            legend = page.locator("#legend-0").bounding_box()
            assert legend is not None
            middle = (legend["x"] + legend["width"] / 2, legend["y"] + legend["height"] / 2)
            first_military = page.locator("[id^='s0-t']").first
            page.mouse.click(*middle)
            assert first_military.evaluate("e => getComputedStyle(e).display") == "none"
            page.mouse.click(*middle)
            assert first_military.evaluate("e => getComputedStyle(e).display") != "none"
            # a column heading sorts its table
            table = page.locator("table.sortable").first
            table.locator("th", has_text="code").first.click()
            assert table.locator("tbody tr").first.inner_text().split("\t")[1] == "AUS"
            assert all(url.startswith("file:") for url in fetched), fetched
        finally:
            browser.close()


def test_import_sipri_as_published_warns_naming_each_repair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A register in Windows-1252 with a record split by a bare line break imports, each
    repair a warning on stderr naming its line; the deals are all there."""
    monkeypatch.setenv("ALLIED_DATABASE_URL", f"sqlite:///{tmp_path / 'allied.db'}")
    monkeypatch.setenv("ALLIED_USER", "analyst")
    header = (
        "Recipient,Supplier,Year of order, ,Number ordered, ,Weapon designation,"
        "Weapon description,Number delivered, ,Year(s) of delivery,status,Comments,"
        "SIPRI TIV per unit,SIPRI TIV for total order,SIPRI TIV of delivered weapons"
    )
    rows = [
        "Ukraine,Türkiye,2022,,20,?,Bayraktar TB2,UAV,20,?,2022,New,aid – donated,1,20,20",
        "Ukraine,Poland,2022,,60,?,T-72M1,tank,60,?,2022,Second hand,aid after",
        "2022 Russian invasion of Ukraine,0.9,54,54",
    ]
    path = tmp_path / "register.csv"
    path.write_bytes("\r\n".join([header, *rows, ""]).encode("cp1252"))
    done = runner.invoke(app, ["import", "sipri", str(path)])
    assert done.exit_code == 0, done.output
    assert "warning: register.csv, line 2: not UTF-8; read as Windows-1252" in done.stderr
    assert "warning: register.csv, lines 3-4: one record split over 2 lines" in done.stderr
    again = runner.invoke(app, ["import", "sipri", str(path)])
    assert "nothing to change" in again.stdout  # the same two deals, joined the same way
    report = runner.invoke(app, ["report", "deliveries", "-f", "json"]).stdout
    assert "POL" in report and "TUR" in report
