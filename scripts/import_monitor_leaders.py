"""Add the heads of state and government of the reference leaders file to the monitor's
office holders (run offline; the output is committed).

    python scripts/import_monitor_leaders.py ../shared/data/reference/leaders.csv \
        [--wordnet /usr/share/wordnet]

``leaders.csv`` is the Wikidata (CC0) extract the project's reference data comes from
(``../shared/data/SOURCES.md``): heads of state and government of 59 states with their
tenure. Rows of tenures that reach 2014 or later are appended to
``src/allied/data/monitor/office_holders.csv`` with ``source`` ``wikidata``, unless the
file already has that holder for that state. Left out: the NATO and EU rows (entered by
hand already) and heads of state of several states at once (a monarch of the
Commonwealth realms acts for whichever state the story is about: "Charles III" is not
resolved to one).

The surname becomes an alias only when it is safe: a name of two words (not "Elio Di
Rupo"), a surname of at least four letters, not an English word (absent from WordNet
3.0's index: Debian ``wordnet-base`` is required), not already a surface form of the
gazetteer, carried by one holder only, and not in ``COMMON`` (names and brands:
"Singh", "Meta"). The run is deterministic and idempotent.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "allied" / "data" / "monitor" / "office_holders.csv"
OFFICES = {"head_of_government": "head-of-government", "head_of_state": "head-of-state"}
#: surnames too common as names or brands to name one holder in news
COMMON = frozenset({"Singh", "Meta", "Pavel", "Kenny", "Higgins", "Martin", "Harris", "Abbott",
                    "Herzog", "Jans", "Kern", "Fischer", "Stocker", "Donev", "Rinne"})
FIELDS = ["actor", "office", "name", "aliases", "start", "end", "source"]


def english_words(wordnet: Path) -> set[str]:
    words: set[str] = set()
    for pos in ("noun", "verb", "adj", "adv"):
        path = wordnet / f"index.{pos}"
        if path.is_file():
            with path.open(encoding="latin-1") as fh:
                words.update(line.split(" ", 1)[0] for line in fh if not line.startswith("  "))
    return words


def rows_to_add(
    leaders: list[dict[str, str]], existing: list[dict[str, str]], words: set[str],
    forms: set[str],
) -> list[dict[str, str]]:
    have = {(r["actor"], r["name"]) for r in existing}
    states_of = Counter()  # type: Counter[str]
    for name in {(r["iso3"], r["name"]) for r in leaders}:
        states_of[name[1]] += 1
    new = []
    for r in leaders:
        if r["office"] not in OFFICES or r["iso3"] in ("NATO", "EU"):
            continue
        if r["end"] and r["end"] < "2014-01-01":
            continue
        if states_of[r["name"]] > 1 or (r["iso3"], r["name"]) in have:
            continue
        row = {"actor": r["iso3"], "office": OFFICES[r["office"]], "name": r["name"],
               "aliases": "", "start": r["start"], "end": r["end"], "source": "wikidata"}
        if row not in new:
            new.append(row)
    holders = {(r["actor"], r["name"]) for r in [*existing, *new]}
    surnames = Counter(name.split()[-1] for _, name in holders)
    for alias in existing:
        for a in alias["aliases"].split(";"):
            if a:
                surnames[a] += 1
    for row in new:
        last = row["name"].split()[-1]
        if (
            len(row["name"].split()) == 2  # not "Alexander van der Bellen", "Elio Di Rupo"
            and len(last) >= 4
            and last[0].isupper()
            and last.isalpha()
            and last.lower() not in words
            and last not in forms
            and surnames[last] == 1
            and last not in COMMON
            and last != row["name"]
        ):
            row["aliases"] = last
    return new


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("leaders", type=Path)
    ap.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from allied.monitor.gazetteer import default_gazetteer

    leaders = list(csv.DictReader(args.leaders.open(encoding="utf-8")))
    existing = list(csv.DictReader(io.StringIO(OUT.read_text(encoding="utf-8"))))
    words = english_words(args.wordnet)
    if not words:
        raise SystemExit(f"{args.wordnet}: no WordNet index (apt-get install wordnet-base)")
    new = rows_to_add(leaders, existing, words, set(default_gazetteer().forms()))
    with OUT.open("a", encoding="utf-8", newline="") as fh:
        csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n").writerows(new)
    print(f"{len(new)} office holders added to {OUT}")


if __name__ == "__main__":
    main()
