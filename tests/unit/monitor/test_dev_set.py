"""The monitor's development set (benchmarks/monitor/dev): its checks pass, agreement runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from script_loader import load_script

DEV = Path(__file__).resolve().parents[3] / "benchmarks" / "monitor" / "dev"


def dev_module(name: str) -> ModuleType:
    return load_script(DEV / f"{name}.py", f"monitor_dev_{name}")


def test_gold_texts_split_and_second_annotation_pass_the_checks() -> None:
    assert dev_module("check").check() == []


def test_the_checks_find_a_changed_evidence_span_in_the_second_annotation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = dev_module("check")
    copy = tmp_path / "dev"
    shutil.copytree(DEV, copy, ignore=shutil.ignore_patterns("__pycache__"))
    second = copy / "second" / "gold.json"
    gold = json.loads(second.read_text(encoding="utf-8"))
    doc = next(d for d in gold["documents"] if d["events"])
    doc["events"][0]["evidence"] += " and words the story does not have"
    second.write_text(json.dumps(gold), encoding="utf-8")
    monkeypatch.setattr(check, "HERE", copy)
    problems = check.check()
    assert len(problems) == 1
    assert problems[0].startswith(f"second/gold.json: {doc['document']} events[0]: evidence")


def run_agreement(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(DEV / "agreement.py"), *args],
                          capture_output=True, text=True, check=False, timeout=120)


def test_agreement_runs_and_its_counts_match_the_files() -> None:
    text = run_agreement()
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("12 documents; required events:")
    done = run_agreement("--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    sample = set(json.loads((DEV / "split.json").read_text(encoding="utf-8"))
                 ["agreement_sample"])
    counts = []
    for path in (DEV / "gold.json", DEV / "second" / "gold.json"):
        docs = json.loads(path.read_text(encoding="utf-8"))["documents"]
        counts.append(sum(1 for d in docs if d["document"] in sample
                          for e in d["events"] if not e.get("optional")))
    overall = result["overall"]
    assert (overall["r1"], overall["r2"]) == tuple(counts)
    assert overall["both"] <= overall["agreed1"] <= overall["r1"]
    assert overall["both"] <= overall["agreed2"] <= overall["r2"]
    assert sum(t["r1"] for t in result["per_type"].values()) == overall["r1"]
    low, high = result["f1_required_interval"]
    assert low <= overall["f1_required"] <= high
    one_sided = [d for d in result["disagreements"] if d["required_by"] == "first"]
    assert len(one_sided) == overall["r1"] - overall["both"]


def test_an_annotation_agrees_fully_with_itself() -> None:
    second = str(DEV / "second" / "gold.json")
    done = run_agreement("--first", second, "--second", second, "--json")
    assert done.returncode == 0, done.stderr
    overall = json.loads(done.stdout)["overall"]
    assert overall["r1"] == overall["r2"] == overall["both"] == overall["agreed1"] > 0
    assert overall["f1_required"] == 1.0
    assert overall["first_as_gold"]["fp"] == overall["second_as_gold"]["fn"] == 0


def test_agreement_names_a_file_that_lacks_a_sampled_document(tmp_path: Path) -> None:
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"documents": []}), encoding="utf-8")
    done = run_agreement("--second", str(partial))
    assert done.returncode == 2
    assert "partial.json: no entry for voa-" in done.stderr
    assert done.stdout == ""
