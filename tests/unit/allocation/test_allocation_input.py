"""Bad input: each error names the entry (by id) and the field; the CLI exits 2 and
writes no plan."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from allocation_reference import offer, problem, request
from typer.testing import CliRunner

from allied.allocation import loads_problem, parse_problem, problem_to_dict
from allied.domain.errors import InvalidInput
from allied.entrypoints.cli.app import app


def base() -> dict[str, Any]:
    return problem(
        [request("R1", ["155mm-nato"], 100, priority=5), request("R2", ["fuel"], 10)],
        [offer("O1", "155mm-nato", 50, donor="EST", origin="DEU"),
         offer("O2", "fuel", 10, recipient="UKR")],
        consents=[{"origin": "DEU", "holder": "EST", "status": "granted"}],
        channel_rules={"nato-cap": {"lethal": False}},
        options={"allow_pending_consent": False, "lateness_half_life_days": 30},
    )


Mutation = Callable[[dict[str, Any]], None]


def setting(*path: Any, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def deleting(*path: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return mutate


def appending(section: str, entry: dict[str, Any]) -> Mutation:
    return lambda data: data[section].append(entry)


CASES: list[tuple[str, Mutation, str, str]] = [
    # (case, mutation, expected field, text the message must contain)
    ("unknown top key", setting("solver", value="x"), "solver", "unknown key 'solver'"),
    ("unknown request key", setting("requests", 0, "colour", value="red"),
     "requests[R1].colour", "request 'R1'"),
    ("unknown offer key", setting("offers", 1, "price", value=3), "offers[O2].price",
     "offer 'O2'"),
    ("missing key", deleting("offers", 0, "channel"), "offers[O1].channel",
     "missing required key 'channel'"),
    ("missing as_of", deleting("as_of"), "as_of", "missing"),
    ("duplicate request id", appending("requests", request("R1", ["fuel"], 1)),
     "requests[R1].id", "used twice"),
    ("duplicate offer id", appending("offers", offer("O2", "fuel", 1)), "offers[O2].id",
     "used twice"),
    ("accepts no family", setting("requests", 1, "accepts", value=[]),
     "requests[R2].accepts", "accepts no family"),
    ("accepts not a list", setting("requests", 1, "accepts", value="fuel"),
     "requests[R2].accepts", "request 'R2'"),
    ("accepts a bad family", setting("requests", 0, "accepts", value=["155 mm"]),
     "requests[R1].accepts[0]", "not a compatibility family"),
    ("family twice", setting("requests", 0, "accepts", value=["fa", "fa"]),
     "requests[R1].accepts", "listed twice"),
    ("negative quantity", setting("offers", 0, "quantity", value=-5), "offers[O1].quantity",
     "positive integer"),
    ("zero quantity", setting("requests", 0, "quantity", value=0), "requests[R1].quantity",
     "positive integer"),
    ("fractional quantity", setting("requests", 0, "quantity", value=2.5),
     "requests[R1].quantity", "positive integer"),
    ("float quantity", setting("requests", 0, "quantity", value=2.0),
     "requests[R1].quantity", "positive integer"),
    ("text quantity", setting("offers", 1, "quantity", value="10"), "offers[O2].quantity",
     "positive integer"),
    ("boolean quantity", setting("offers", 1, "quantity", value=True), "offers[O2].quantity",
     "positive integer"),
    ("huge quantity", setting("offers", 1, "quantity", value=10**13), "offers[O2].quantity",
     "limit"),
    ("priority 0", setting("requests", 1, "priority", value=0), "requests[R2].priority",
     "1 to 5"),
    ("priority 6", setting("requests", 1, "priority", value=6), "requests[R2].priority",
     "1 to 5"),
    ("priority text", setting("requests", 1, "priority", value="5"), "requests[R2].priority",
     "1 to 5"),
    ("impossible date", setting("requests", 0, "needed_by", value="2024-02-30"),
     "requests[R1].needed_by", "not a date"),
    ("not a date", setting("offers", 0, "available_from", value="01/03/2024"),
     "offers[O1].available_from", "not a date"),
    ("compact date", setting("offers", 0, "available_from", value="20240301"),
     "offers[O1].available_from", "not a date"),
    ("bad as_of", setting("as_of", value="yesterday"), "as_of", "not a date"),
    ("bad channel", setting("offers", 0, "channel", value="ramstein"), "offers[O1].channel",
     "channel must be one of"),
    ("lethal not boolean", setting("offers", 0, "lethal", value="yes"), "offers[O1].lethal",
     "true or false"),
    ("bad origin", setting("offers", 0, "origin", value="Germany!"), "offers[O1].origin",
     "actor code"),
    ("bad id", setting("requests", 1, "id", value="R 2"), "requests[#2].id", "request #2"),
    ("no id", deleting("offers", 1, "id"), "offers[#2].id", "offer #2"),
    ("entry not an object", setting("offers", 1, value=[1, 2]), "offers[#2]", "JSON object"),
    ("bad consent status", setting("consents", 0, "status", value="maybe"),
     "consents[#1].status", "consent #1"),
    ("duplicate consent",
     appending("consents", {"origin": "DEU", "holder": "EST", "status": "denied"}),
     "consents[#2].holder", "given twice"),
    ("bad offer consent", setting("offers", 0, "consent", value="yes"),
     "offers[O1].consent", "status must be one of"),
    ("consent on own make", setting("offers", 1, "consent", value="granted"),
     "offers[O2].consent", "origin differs from its donor"),
    ("unknown channel rule", setting("channel_rules", "ramstein", value={"lethal": False}),
     "channel_rules[ramstein]", "unknown channel"),
    ("unknown rule key", setting("channel_rules", "nato-cap", "budget", value=1),
     "channel_rules[nato-cap].budget", "unknown key"),
    ("unknown option", setting("options", "fast", value=True), "options.fast",
     "unknown key"),
    ("negative half-life", setting("options", "lateness_half_life_days", value=-1),
     "options.lateness_half_life_days", "positive number"),
    ("requests not a list", setting("requests", value={"R1": 1}), "requests", "JSON list"),
]


@pytest.mark.parametrize(("case", "mutate", "field", "text"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_entry_and_field(
    case: str, mutate: Mutation, field: str, text: str
) -> None:
    data = base()
    mutate(data)
    with pytest.raises(InvalidInput) as err:
        parse_problem(data)
    assert err.value.field == field, case
    assert text in str(err.value), case


def test_the_base_problem_is_valid_and_round_trips() -> None:
    spec = parse_problem(base())
    assert parse_problem(json.loads(json.dumps(problem_to_dict(spec)))) == spec


def test_malformed_json_names_the_line() -> None:
    text = json.dumps(base(), indent=2).replace('"quantity": 50', '"quantity": 50,,', 1)
    with pytest.raises(InvalidInput) as err:
        loads_problem(text)
    assert err.value.line is not None and err.value.line > 1
    assert "malformed JSON" in str(err.value)


def test_duplicate_json_key_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        loads_problem('{"as_of": "2024-03-01", "as_of": "2024-03-02", "requests": [],'
                      ' "offers": []}')
    assert err.value.field == "as_of" and "duplicate key" in str(err.value)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(constant: str) -> None:
    text = json.dumps(base()).replace('"lateness_half_life_days": 30',
                                      f'"lateness_half_life_days": {constant}')
    with pytest.raises(InvalidInput, match="not a number JSON allows"):
        loads_problem(text)


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        loads_problem("[]")


# -- the CLI ---------------------------------------------------------------------------

runner = CliRunner()


@pytest.mark.parametrize(("case", "mutate", "field", "text"), CASES[:12],
                         ids=[c[0] for c in CASES[:12]])
def test_cli_exits_2_naming_the_field_and_writes_no_plan(
    tmp_path: Path, case: str, mutate: Mutation, field: str, text: str
) -> None:
    data = copy.deepcopy(base())
    mutate(data)
    source = tmp_path / "problem.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["allocate", "--problem", str(source), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"field '{field}'" in result.output
    assert str(source) in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [source]


def test_cli_bad_input_leaves_an_existing_plan_untouched(tmp_path: Path) -> None:
    source = tmp_path / "problem.json"
    source.write_text('{"as_of": "2024-03-01", "requests": [', encoding="utf-8")
    out = tmp_path / "plan.json"
    out.write_text("previous plan\n", encoding="utf-8")
    result = runner.invoke(app, ["allocate", "--problem", str(source), "--out", str(out)])
    assert result.exit_code == 2
    assert "line 1" in result.output and "malformed JSON" in result.output
    assert out.read_text(encoding="utf-8") == "previous plan\n"


def test_cli_missing_problem_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["allocate", "--problem", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "--problem" in result.output and "cannot read" in result.output
