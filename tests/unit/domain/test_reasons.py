"""Every reason code the code base can emit has words (:mod:`allied.domain.reasons`).

The codes are found by reading the source of the allocation engine, the domain and the
service layer: every string given to a ``reason(...)`` / ``reasons.add(...)`` call,
returned by a ``flags`` property, or a key of the ``codes`` table the network starts
with (a constant's value is looked up). A code added there without words fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from allied.domain.reasons import CHANNEL_NAMES, in_words, is_code, state_name

SRC = Path(__file__).resolve().parents[3] / "src" / "allied"
AREAS = ("allocation", "domain", "service")
NAMES = {"USA": "United States", "DEU": "Germany", "EST": "Estonia", "GBR": "United Kingdom"}


def _is_reason_call(node: ast.Call) -> bool:
    f = node.func
    if isinstance(f, ast.Name):
        return "reason" in f.id.lower()
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return "reason" in f.value.id.lower() and f.attr in ("add", "append")
    return False


def _pattern(node: ast.AST, constants: dict[str, str]) -> str | None:
    """A code as written: a literal, a constant's value, or an f-string whose
    placeholders read ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            else:
                parts.append("{}")
        return "".join(parts)
    return None


def emitted_codes() -> set[str]:
    found: set[str] = set()
    for area in AREAS:
        for path in sorted((SRC / area).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            constants = {
                t.id: n.value.value
                for n in tree.body
                if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
                and isinstance(n.value.value, str)
                for t in n.targets
                if isinstance(t, ast.Name)
            }
            for node in ast.walk(tree):
                candidates: list[ast.AST] = []
                if isinstance(node, ast.Call) and _is_reason_call(node):
                    candidates += node.args
                elif isinstance(node, ast.FunctionDef) and node.name == "flags":
                    candidates += [
                        e for r in ast.walk(node) if isinstance(r, ast.Tuple) for e in r.elts
                    ]
                elif isinstance(node, ast.AnnAssign | ast.Assign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    named = any(isinstance(t, ast.Name) and t.id == "codes" for t in targets)
                    if named and isinstance(node.value, ast.Dict):
                        candidates += [k for k in node.value.keys if k is not None]
                for c in candidates:
                    p = _pattern(c, constants)
                    if p is not None:
                        found.add(p)
    return found


def _sample(pattern: str) -> str:
    """A code as the engine emits it, with a value where the pattern has a placeholder."""
    head = pattern.split(":", 1)[0]
    value = "337" if head == "late" else ("nato-cap" if head.startswith("channel") else "USA")
    return pattern.replace("{}", value)


CODES = sorted(emitted_codes())


def test_the_source_is_read_for_codes() -> None:
    """The scan finds the codes the plan's documentation lists (so it cannot pass by
    finding nothing)."""
    assert {
        "no-compatible-offer",
        "recipient-mismatch",
        "insufficient-supply",
        "late:{}",
        "consent-pending:{}",
        "consent-denied:{}",
        "channel-forbids-lethal:{}",
    } <= set(CODES)


@pytest.mark.parametrize("pattern", CODES)
def test_every_emitted_code_has_words(pattern: str) -> None:
    code = _sample(pattern)
    assert is_code(code), f"{code!r} (from {pattern!r}) has no words in domain/reasons.py"
    words = in_words(code, NAMES)
    assert words and words != code
    assert ":" not in words


def test_words_of_the_codes_in_the_issue() -> None:
    assert in_words("late:337") == "arrives 337 days after it is needed"
    assert in_words("late:1") == "arrives 1 day after it is needed"
    assert (
        in_words("consent-pending:USA", NAMES)
        == "waiting for the United States' consent as origin state"
    )
    assert in_words("consent-pending:DEU", NAMES) == "waiting for Germany's consent as origin state"
    assert in_words("consent-denied:DEU", NAMES).startswith("Germany denied consent")
    assert "NATO's Comprehensive Assistance Package" in in_words(
        "channel-forbids-lethal:nato-cap"
    )


def test_an_unknown_code_or_a_sentence_is_left_as_it_is() -> None:
    for text in ("no optimiser run has considered it", "late:soon", "late:", "made-up:X", ""):
        assert not is_code(text)
        assert in_words(text) == text


def test_a_state_without_a_name_is_named_by_its_code() -> None:
    assert in_words("consent-pending:XYZ") == "waiting for XYZ's consent as origin state"
    assert state_name("GBR", NAMES) == "the United Kingdom"


def test_every_channel_has_a_name() -> None:
    from allied.domain.assistance import CHANNELS

    assert set(CHANNELS) == set(CHANNEL_NAMES)
