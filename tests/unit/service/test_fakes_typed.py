"""The in-memory fakes type-check as the service ports, so a test on them tests code
that would run on the real adapters (mypy --strict on the fakes and the policy tests)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mypy import api

TESTS = Path(__file__).resolve().parents[2]


def test_fakes_type_check_as_the_ports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_path = os.pathsep.join([str(TESTS.parent / "src"), str(TESTS)])
    monkeypatch.setenv("MYPYPATH", env_path)
    out, err, status = api.run(
        [
            "--strict",
            "--follow-imports=silent",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(TESTS / "fakes.py"),
            str(TESTS / "unit" / "service" / "test_visibility_policy.py"),
        ]
    )
    assert status == 0, out + err
