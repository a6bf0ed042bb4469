"""The lab's parameter files are what the build script makes from the shared extracts."""

from __future__ import annotations

from pathlib import Path

import pytest

from allied.lab._build_data import build

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "data"
SHIPPED = ROOT / "src" / "allied" / "data" / "lab"


@pytest.mark.skipif(
    not (SHARED / "kiel").is_dir(), reason="the shared extracts are not beside the repo"
)
def test_shipped_files_are_rebuilt_identically(tmp_path: Path) -> None:
    build(SHARED, tmp_path)
    for name in ("milex_share_gdp.csv", "kiel_aid.csv", "kiel_monthly.csv", "gas_russia_2020.csv"):
        assert (tmp_path / name).read_text(encoding="utf-8") == (SHIPPED / name).read_text(
            encoding="utf-8"
        ), name
