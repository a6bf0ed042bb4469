"""Scenario schema, validator (names the bad field), overrides and positions files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from allied.domain.errors import InvalidInput
from allied.lab import scenario as sc
from allied.lab.actors import load_actors
from allied.lab.positions import parse_positions, read_positions, to_csv

SHIPPED = (
    "accession-ukraine",
    "epf-tranche",
    "escalation-ladder",
    "natoization-2024",
    "reexport-2022",
    "trainers-attacked",
    "two-tier",
)


def test_the_shipped_scenarios_validate() -> None:
    assert tuple(sc.builtin_names()) == SHIPPED
    for name in SHIPPED:
        scenario, raw = sc.load(name)
        assert scenario.name == name
        for variant in scenario.variants:
            sc.variant(raw, variant)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"decision": {"max_rounds": 0}}, "decision.max_rounds"),
        ({"decision": {"rule": "majority"}}, "decision.rule"),
        ({"decision": {"escalatoin": 0.5}}, "decision.escalatoin"),
        ({"aid": {"channel": "bilateral"}}, "aid.channel"),
        ({"date": "yesterday"}, "date"),
        ({"colour": "red"}, "colour"),
        ({"consent": {"cases": []}}, "consent.cases"),
        ({"variants": {"x": {"decision.softening": 1.5}}}, "variants.x.decision.softening"),
    ],
)
def test_a_bad_field_is_named(change: dict[str, object], field: str) -> None:
    raw, _ = sc.load_raw("trainers-attacked")
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    with pytest.raises(InvalidInput) as exc:
        sc.validate(raw)
    assert exc.value.field == field


def test_a_scenario_needs_a_mechanism() -> None:
    with pytest.raises(InvalidInput) as exc:
        sc.validate({"name": "empty", "date": "2024-01-01"})
    assert "at least one" in str(exc.value)


def test_overrides_are_dotted_and_read_as_yaml() -> None:
    raw, _ = sc.load_raw("trainers-attacked")
    out = sc.apply_overrides(raw, ["decision.escalation=0.2", "decision.rule=unanimity"])
    s = sc.validate(out)
    assert s.decision is not None
    assert s.decision.escalation == 0.2
    assert s.decision.rule.value == "unanimity"
    assert raw["decision"]["escalation"] == 0.8  # the original is untouched
    with pytest.raises(InvalidInput) as exc:
        sc.apply_overrides(raw, ["decision.escalation"])
    assert exc.value.field == "--set"


def test_unknown_scenario_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as exc:
        sc.load("no-such-scenario")
    assert exc.value.field == "scenario"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndate: [2024\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        sc.load(str(bad))
    assert exc.value.line is not None


def test_positions_csv_and_json_round_trip(tmp_path: Path) -> None:
    known = set(load_actors().codes)
    text = "actor,issue,position,salience,source\nHUN,support,0.9,0.4,monitor\nEST,support,1,1,\n"
    rows = parse_positions(text, known=known)
    assert [(r.actor, r.position, r.salience) for r in rows] == [
        ("HUN", 0.9, 0.4),
        ("EST", 1.0, 1.0),
    ]
    again = parse_positions(to_csv(rows), known=known)
    assert [(r.actor, r.issue) for r in again] == [("HUN", "support"), ("EST", "support")]
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps({"positions": [{"actor": "pol", "issue": "x", "position": 0, "salience": 0.5}]}),
        encoding="utf-8",
    )
    assert read_positions(path, known=known)[0].actor == "POL"


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("actor,issue,position\nHUN,support,0.5\n", "salience", 1),
        ("actor,issue,position,salience\nHUN,support,1.5,0.5\n", "position", 2),
        ("actor,issue,position,salience\nHUN,support,x,0.5\n", "position", 2),
        ("actor,issue,position,salience\nRUS,support,0.5,0.5\n", "actor", 2),
        ("actor,issue,position,salience\nHUN,,0.5,0.5\n", "issue", 2),
        (
            "actor,issue,position,salience\nHUN,support,0.5,0.5\nHUN,support,0.2,0.5\n",
            "actor",
            3,
        ),
        ('[{"actor": "HUN", "issue": "s", "position": 0.5, "salience": -1}]', "salience", 1),
    ],
)
def test_bad_positions_name_line_and_field(text: str, field: str, line: int) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_positions(text, known=set(load_actors().codes))
    assert exc.value.field == field
    assert exc.value.line == line


def test_the_examples_in_the_docs_are_valid() -> None:
    import re

    docs = (Path(__file__).resolve().parents[3] / "docs" / "lab.md").read_text(encoding="utf-8")
    example = re.search(r"```csv\n(.*?)```", docs, re.S)
    assert example is not None
    rows = parse_positions(example.group(1), known=set(load_actors().codes))
    assert {r.actor for r in rows} == {"HUN", "EST"}
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", docs, re.M))
    assert documented == set(sc.builtin_names())
    for line in re.findall(r"^allied (?:simulate|sweep) ([a-z0-9-]+)", docs, re.M):
        if not line.endswith(".yaml") and line != "my-scenario":
            assert line in sc.builtin_names()
