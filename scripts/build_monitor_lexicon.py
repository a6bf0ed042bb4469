"""Generate the monitor's WordNet trigger verbs (run offline; the output is committed).

    python scripts/build_monitor_lexicon.py [--wordnet /usr/share/wordnet] \
        [--out src/allied/data/monitor/wordnet_verbs.csv]

Reads WordNet 3.0's verb database (Debian package ``wordnet-base``: ``data.verb`` and
``index.verb``) and writes, for each event type, the single-word verbs that WordNet puts
in the synsets of hand-picked seed senses (``SEEDS``: lemma and sense number, so the
choice can be checked against any WordNet 3.0 browser) or in the synsets directly below
them (their troponyms: "denounce" -> "stigmatise"). A verb is kept only when

- its most frequent sense (WordNet's first) is one of the collected synsets: "charge" is
  mostly about money, so the accusation sense of "charge" does not make it a trigger;
- it is reached from the seeds of one type only;
- it is not in ``EXCLUDE`` (read by hand: right sense, wrong use in news);
- it is not already a trigger of the hand-written lexicons (``allied.monitor.lexicon``
  and ``allied.monitor.deplexicon``), which take precedence at run time.

Nothing is downloaded, at build time or at run time: the CSV and WordNet's licence
(``WORDNET-LICENSE.txt``) ship as package data. The run is deterministic: same WordNet
files, same CSV.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from allied.monitor import deplexicon  # noqa: E402
from allied.monitor import lexicon as lx  # noqa: E402
from allied.monitor.model import EventType as T  # noqa: E402

#: per type, (lemma, WordNet 3.0 sense number, whether its troponyms count too) of the
#: senses that mean the event; troponyms of the giving and permitting senses are mostly
#: crafts and laws ("corbel", "legalise"), so only their synonyms count
SEEDS: dict[T, tuple[tuple[str, int, bool], ...]] = {
    T.ACCUSE: (
        ("accuse", 1, True), ("accuse", 2, True), ("condemn", 1, True),
        ("criticize", 1, True), ("denounce", 1, True), ("denounce", 2, True),
        ("blame", 1, True), ("blame", 3, True), ("reprimand", 1, True),
        ("reprimand", 2, True), ("castigate", 1, True), ("threaten", 2, True),
        ("protest", 1, True), ("attack", 2, True),
    ),
    T.CALL_FOR: (
        ("demand", 1, True), ("urge", 1, True), ("urge", 2, True), ("appeal", 2, True),
        ("request", 1, True), ("request", 2, True), ("implore", 1, True), ("ask", 2, True),
    ),
    T.BLOCK: (
        ("prevent", 1, True), ("prevent", 2, True), ("block", 2, True), ("block", 3, True),
        ("veto", 1, True), ("veto", 2, True),
    ),
    T.PROVIDE: (
        ("supply", 1, False), ("supply", 3, False), ("donate", 1, False), ("lend", 2, False),
        ("give", 3, False),
    ),
    T.DEPLOY: (
        ("deploy", 1, True), ("deploy", 2, True), ("station", 1, True), ("invade", 1, True),
        ("attack", 1, True), ("bomb", 1, True),
    ),
    T.MEET: (("confer", 1, True), ("negotiate", 1, True), ("meet", 2, False)),
    T.AUTHORISE: (("authorize", 1, False), ("permit", 1, False)),
    T.WITHDRAW: (("withdraw", 1, False), ("evacuate", 3, False)),
}
#: verbs WordNet places rightly whose use in news is rarely the event: "encore",
#: "arrogate" (a right, not a request), "infest", "circumvent", "torpedo" (a deal), "queer"
EXCLUDE = frozenset({"encore", "arrogate", "infest", "circumvent", "recede", "scald",
                     "endure", "cater", "pander", "pimp", "horse", "dish", "ply", "power",
                     "regale", "staff", "nourish", "brook", "intromit", "countenance",
                     "torpedo", "gas", "site", "negative", "queer", "blank", "intermediate",
                     "bottleneck"})


def read_wordnet(folder: Path) -> tuple[dict[str, tuple[list[str], list[str]]],
                                        dict[str, list[str]]]:
    """synset offset -> (its lemmas, its troponyms' offsets); lemma -> its synsets, most
    frequent sense first."""
    synsets: dict[str, tuple[list[str], list[str]]] = {}
    with (folder / "data.verb").open(encoding="latin-1") as fh:
        for line in fh:
            if line.startswith("  "):
                continue  # the licence header
            fields = line.partition("|")[0].split()
            offset, count = fields[0], int(fields[3], 16)
            words = [fields[4 + 2 * i].lower() for i in range(count)]
            i = 4 + 2 * count
            pointers = int(fields[i])
            i += 1
            below = []
            for _ in range(pointers):
                symbol, target, pos = fields[i], fields[i + 1], fields[i + 2]
                if symbol == "~" and pos == "v":
                    below.append(target)
                i += 4
            synsets[offset] = (words, below)
    index: dict[str, list[str]] = {}
    with (folder / "index.verb").open(encoding="latin-1") as fh:
        for line in fh:
            if line.startswith("  "):
                continue
            fields = line.split()
            senses = int(fields[2])
            index[fields[0]] = fields[-senses:]
    return synsets, index


def build(folder: Path) -> list[dict[str, str]]:
    synsets, index = read_wordnet(folder)
    known = set(lx.VERBS) | set(deplexicon.EXTRA_VERBS) | set(lx.PHRASAL)
    reached: dict[str, dict[T, str]] = {}
    for etype, seeds in SEEDS.items():
        collected: dict[str, str] = {}  # synset -> the seed it came from
        for lemma, sense, troponyms in seeds:
            offset = index[lemma][sense - 1]
            collected.setdefault(offset, f"{lemma}.v.{sense:02d}")
            for below in synsets[offset][1] if troponyms else []:
                collected.setdefault(below, f"{lemma}.v.{sense:02d}")
        for offset, seed in collected.items():
            for word in synsets[offset][0]:
                if "_" in word or "-" in word or not word.isalpha():
                    continue
                if index.get(word, [None])[0] not in collected:
                    continue  # its most frequent sense is something else
                reached.setdefault(word, {}).setdefault(etype, seed)
    rows = []
    for word in sorted(reached):
        types = reached[word]
        if len(types) != 1 or word in known or word in EXCLUDE:
            continue
        ((etype, seed),) = types.items()
        rows.append({"lemma": word, "type": etype.value, "seed": seed})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    ap.add_argument("--out", type=Path,
                    default=ROOT / "src" / "allied" / "data" / "monitor" / "wordnet_verbs.csv")
    args = ap.parse_args()
    if not (args.wordnet / "data.verb").is_file():
        raise SystemExit(f"{args.wordnet}: no WordNet 3.0 data.verb (apt-get install wordnet-base)")
    rows = build(args.wordnet)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["lemma", "type", "seed"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} verbs -> {args.out}")


if __name__ == "__main__":
    main()
