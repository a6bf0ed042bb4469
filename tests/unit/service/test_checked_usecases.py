"""One service layer: the entry points reach use-cases only through the checked ones.

Every use-case exists once, in :mod:`allied.service.usecases` (re-exported by
:mod:`allied.service.access`), takes the caller and checks its role. The modules that
record changes without checking anyone (``governance``, ``allocations``, ``assistance``,
``ledger``) are the use-cases' inside: an entry point that imported them would skip the
permission check silently.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
from pathlib import Path
from typing import Any, cast

import pytest

from allied.domain.errors import PermissionDenied
from allied.service import access
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork
from fakes import FakeUnitOfWork

ENTRYPOINTS = Path(__file__).resolve().parents[3] / "src" / "allied" / "entrypoints"
#: service modules that record without checking the caller
UNCHECKED = {"governance", "allocations", "assistance", "ledger", "monitor", "usecases"}


def _service_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of an ``allied.service`` module in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "allied.service":
                found += [(node.lineno, f"allied.service.{a.name}") for a in node.names]
            elif node.module.startswith("allied.service."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name) for a in node.names if a.name.startswith("allied.service.")
            ]
    return found


def test_entry_points_import_only_checked_use_cases() -> None:
    files = sorted(ENTRYPOINTS.rglob("*.py"))
    assert len(files) > 20  # the API, the dashboard and the CLI
    wrong = [
        f"{path.relative_to(ENTRYPOINTS)}:{line} imports {module}"
        for path in files
        for line, module in _service_imports(path)
        if module.split(".")[2] in UNCHECKED
    ]
    assert wrong == []


def test_the_import_check_sees_a_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from allied.service.governance import move_allocation\n"
        "def f():\n    from allied.service import ledger\n",
        encoding="utf-8",
    )
    assert _service_imports(bad) == [
        (1, "allied.service.governance"),
        (3, "allied.service.ledger"),
    ]


def _use_cases() -> list[tuple[str, Any]]:
    """Every function of the checked layer that takes a caller."""
    out = []
    for name in access.__all__:
        fn = getattr(access, name)
        if inspect.isfunction(fn) and "caller" in inspect.signature(fn).parameters:
            out.append((name, fn))
    return out


def _arguments(fn: Any, uow: UnitOfWork, caller: Caller) -> tuple[list[Any], dict[str, Any]]:
    """Plausible arguments by parameter name; the check must refuse before using them."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    values: dict[str, Any] = {
        "uow": uow,
        "caller": caller,
        "day": dt.date(2024, 1, 1),
        "as_of": dt.date(2024, 1, 1),
        "on": dt.date(2024, 1, 1),
        "since": dt.date(2024, 1, 1),
        "deadline": dt.date(2024, 2, 1),
        "data": {},
        "rows": [],
        "quantity": 1,
        "priority": 3,
        "changes": {},
        "items": [],
        "by": "family",
    }
    for p in inspect.signature(fn).parameters.values():
        if p.kind is p.VAR_KEYWORD or p.kind is p.VAR_POSITIONAL:
            continue
        if p.default is not p.empty and p.name not in values:
            continue
        value = values.get(p.name, "X-1")
        if p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = value
        else:
            args.append(value)
    return args, kwargs


USE_CASES = _use_cases()


def test_the_checked_layer_has_every_area() -> None:
    names = {n for n, _ in USE_CASES}
    assert {
        "list_offers",
        "list_requests",
        "list_allocations",
        "advance_allocation",
        "list_consents",
        "answer_consent",
        "propose",
        "take_position",
        "accession_step",
        "run_allocation",
        "pledge",
        "verify_ledger",
        "export_ledger",
        "list_actors",
        "report",
    } <= names


@pytest.mark.parametrize(("name", "fn"), USE_CASES, ids=[n for n, _ in USE_CASES])
def test_every_use_case_refuses_a_caller_with_no_role(name: str, fn: Any) -> None:
    """A caller whose role grants nothing is refused by each use-case before it reads or
    writes anything: proof that each one checks its caller."""
    uow = FakeUnitOfWork()
    args, kwargs = _arguments(fn, cast(UnitOfWork, uow), Caller("nobody", "EST", role="none"))
    with pytest.raises(PermissionDenied):
        out = fn(*args, **kwargs)
        if inspect.isgenerator(out) or hasattr(out, "__next__"):
            next(out)
    assert uow.ledger.log == [] and uow.committed == 0
