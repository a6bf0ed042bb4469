"""Take the dashboard's screenshots into docs/screenshots/ (PNG, palette-reduced).

Runs, with ALLIED_WEB_SCREENSHOTS pointing at the folder:

* the browser scenario (tests/web/test_web_browser.py): the pages as the workflow
  leaves them (requests board, allocation plan, consents inbox, decisions, ledger...);
* the accessibility check over the page catalogue (tests/web/test_web_a11y.py, which
  lists every page for each role in tests/web/page_catalogue.py): every page, as the first
  role that sees it, at 1440 x 900 and at 390 x 844 (``page-<page>-desktop.png``,
  ``page-<page>-phone.png``, the visible screen).

Then shrinks each PNG to a palette of at most 128 colours with Pillow (the screens are
flat colours and text) and prints the sizes. Needs /usr/bin/chromium.
Usage: ``make screenshots`` or ``.venv/bin/python scripts/screenshots.py``
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "screenshots"
COLOURS = 128
TESTS = ("tests/web/test_web_browser.py", "tests/web/test_web_a11y.py")


def shrink(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as image:
        if image.mode == "P":
            return  # already reduced
        small = image.convert("RGB").quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main() -> int:
    TARGET.mkdir(parents=True, exist_ok=True)
    for old in TARGET.glob("page-*.png"):
        old.unlink()  # pages that left the catalogue leave no stale picture
    env = {**os.environ, "ALLIED_WEB_SCREENSHOTS": str(TARGET), "ALLIED_REQUIRE_BROWSER": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS],
        cwd=ROOT,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        return done.returncode
    total = 0
    for path in sorted(TARGET.glob("*.png")):
        shrink(path)
        size = path.stat().st_size
        total += size
        print(f"{path.relative_to(ROOT)}: {size // 1024} KiB")
    print(f"{len(list(TARGET.glob('*.png')))} screenshots, {total // 1024} KiB in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
