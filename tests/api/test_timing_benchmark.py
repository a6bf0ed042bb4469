"""The hidden-against-missing timing benchmark runs and compares what it should: a hidden
offer and a missing one, both answered 404 (never its timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "api" / "timing.py"


def test_the_timing_benchmark_pairs_hidden_and_missing() -> None:
    for level in ("service", "http"):
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "--samples", "5", "--level", level],
            capture_output=True, text=True, timeout=300, check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        report = json.loads(done.stdout.strip().splitlines()[-1])
        for route in ("get_offer", "pledge"):
            figures = report[route]
            assert figures["hidden_median_us"] > 0 and figures["missing_median_us"] > 0
            assert 0 <= figures["mann_whitney_p"] <= 1
