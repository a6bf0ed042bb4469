"""Helpers of the dashboard tests: the browser's path and flags, the CLI, a served site."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

#: name -> (role, nation) of the users the browser tests sign in as
WEB_USERS: dict[str, tuple[str, str | None]] = {
    "coord": ("coordinator", None),
    "est": ("donor", "EST"),
    "gbr": ("donor", "GBR"),
    "deu": ("origin", "DEU"),
    "ukr": ("recipient", "UKR"),
    "audit": ("auditor", None),
    "admin": ("admin", None),
}

#: the user the browser tests sign in as for each role of the page catalogue
ROLE_USERS = {
    "coordinator": "coord",
    "donor": "est",
    "origin": "deu",
    "recipient": "ukr",
    "auditor": "audit",
    "admin": "admin",
}


def require_browser() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if os.environ.get("ALLIED_REQUIRE_BROWSER") == "1":
        pytest.fail(f"ALLIED_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def allied(database_url: str, *args: str) -> str:
    """Run the ``allied`` CLI of this environment; return its standard output."""
    exe = Path(sys.executable).parent / "allied"
    done = subprocess.run(
        [str(exe), *args],
        env={**os.environ, "ALLIED_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"allied {' '.join(args)} failed: {done.stderr}"
    return done.stdout


@dataclass
class Site:
    """A running ``allied serve`` and the tokens of its users."""

    url: str
    database_url: str
    tokens: dict[str, str] = field(default_factory=dict)


#: The day the page tests look at the records (as in the API tests).
import datetime as _dt  # noqa: E402

TODAY = _dt.date(2024, 6, 1)
