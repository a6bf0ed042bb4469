"""Dashboard fixtures: ``allied serve`` on a loopback port over a temporary SQLite database
holding the reference data, users made with ``allied user add``, and Debian's Chromium
driven by Playwright.

Browser tests skip when ``/usr/bin/chromium`` is absent, unless ``ALLIED_REQUIRE_BROWSER=1``
(as in CI), when they fail instead. Screenshots go to a temporary folder, or to
``ALLIED_WEB_SCREENSHOTS`` when set (``scripts/screenshots.py`` sets it to
``docs/screenshots``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from web.support import CHROMIUM, CHROMIUM_ARGS, WEB_USERS, Site, allied, require_browser


@pytest.fixture(scope="module")
def site(loaded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """``allied serve`` on a free loopback port over a fresh copy of the reference data and
    the shipped public data (Kiel tracker, SIPRI register)."""
    require_browser()
    from api.live import ServeProcess, free_port, wait_healthy

    folder = tmp_path_factory.mktemp("web")
    path = folder / "allied.db"
    shutil.copy(loaded_sqlite_template, path)
    url = f"sqlite:///{path}"
    allied(url, "import", "kiel")
    allied(url, "import", "sipri")
    tokens = {}
    for name, (role, nation) in WEB_USERS.items():
        args = ["user", "add", "--name", name, "--role", role]
        if nation:
            args += ["--nation", nation]
        tokens[name] = allied(url, *args).strip().splitlines()[-1]
    port = free_port()
    server = ServeProcess(url, port)
    try:
        wait_healthy(port, server.proc)
        yield Site(f"http://127.0.0.1:{port}", url, tokens)
    finally:
        server.close()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go."""
    target = os.environ.get("ALLIED_WEB_SCREENSHOTS")
    if target:
        path = Path(target)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")
