"""The English parser, loaded once per test session."""

from __future__ import annotations

from typing import Any

import pytest

from allied.monitor.parser import load_parser


@pytest.fixture(scope="session")
def english_parser() -> Any:
    return load_parser()
