"""The WordNet-derived trigger verbs: shipped data, consistent with the hand-written
lexicons, and reproducible from WordNet by the committed script."""

from __future__ import annotations

from pathlib import Path

import pytest

from allied.monitor import deplexicon
from allied.monitor import lexicon as lx
from allied.monitor.model import EventType
from script_loader import load_script

ROOT = Path(__file__).resolve().parents[3]
WORDNET = Path("/usr/share/wordnet")


def test_the_shipped_verbs_are_new_triggers_of_known_types() -> None:
    verbs = lx.wordnet_verbs()
    assert len(verbs) >= 50
    assert all(isinstance(t, EventType) for t in verbs.values())
    # the hand-written lexicons take precedence: no verb is in both
    assert not set(verbs) & (set(lx.VERBS) | set(deplexicon.EXTRA_VERBS) | set(lx.PHRASAL))
    assert verbs["chide"] is EventType.ACCUSE and verbs["petition"] is EventType.CALL_FOR


def test_the_licence_ships_beside_the_data() -> None:
    licence = ROOT / "src" / "allied" / "data" / "monitor" / "WORDNET-LICENSE.txt"
    assert "WordNet 3.0 Copyright 2006 by Princeton University" in licence.read_text("utf-8")


@pytest.mark.skipif(not (WORDNET / "data.verb").is_file(),
                    reason="WordNet 3.0 (Debian wordnet-base) is not installed")
def test_the_script_regenerates_the_shipped_file(tmp_path: Path) -> None:
    module = load_script(ROOT / "scripts" / "build_monitor_lexicon.py", "build_monitor_lexicon")
    rows = module.build(WORDNET)
    shipped = lx.wordnet_verbs()
    assert {r["lemma"]: EventType(r["type"]) for r in rows} == shipped
