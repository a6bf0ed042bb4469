"""Take the dashboard's screenshots into docs/screenshots/ (PNG, palette-reduced).

Runs the browser scenario (tests/web/test_web_browser.py) with ALLIED_WEB_SCREENSHOTS
pointing at the folder, then shrinks each PNG to a 256-colour palette with Pillow.
Needs /usr/bin/chromium. Usage: ``.venv/bin/python scripts/screenshots.py``
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "screenshots"


def shrink(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main() -> int:
    TARGET.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ALLIED_WEB_SCREENSHOTS": str(TARGET), "ALLIED_REQUIRE_BROWSER": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/web/test_web_browser.py",
        ],
        cwd=ROOT,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        return done.returncode
    for path in sorted(TARGET.glob("*.png")):
        shrink(path)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
