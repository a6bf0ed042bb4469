"""Check the development set: gold, texts and split agree with each other and the guidelines.

    python benchmarks/monitor/dev/check.py            # check; exit 1 listing every problem
    python benchmarks/monitor/dev/check.py --split    # print the split the seed draws
    python benchmarks/monitor/dev/check.py --gold tune > gold-tune.json   # gold of one part

Checks: every gold document has its text in ``texts/`` (and every text a gold entry);
every event has a known type, an actor code of the guidelines (ISO3 of
``src/allied/data/states.csv`` or a listed organisation), a target that is such a code
or null, an ``evidence`` span found verbatim in the text, no tuple twice in a document;
``split.json`` is exactly the split drawn by the stated rule (below) over the gold
documents, with the agreement sample (a quarter of the documents, drawn from ``tune``
with ``random.Random(f"{SEED}:agreement").sample``) for a second annotator; the second
annotator's ``second/gold.json`` gets the same event checks and must cover exactly the
agreement sample. Standard library only; it does not import the monitor.

The split: each document goes to ``heldout`` when
``random.Random(f"{SEED}:{name}").random() < HELDOUT_SHARE``, else to ``tune``. The draw
of a document does not depend on the others, so the split stays the same as documents
are added. Documents listed under ``fresh`` in ``split.json`` (annotated later, to check
that a change generalises) are left out of the draw.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SEED = "allied-monitor-dev-2026-12-05"
HELDOUT_SHARE = 0.3
TYPES = {
    "provide", "block", "authorise", "call-for", "support-membership",
    "oppose-membership", "deploy", "withdraw", "meet", "sanction", "accuse", "join",
    "ratify",
}
ORGANISATIONS = {
    "NATO", "EU", "UDCG", "G7", "UN", "IMF", "WB", "WHO", "IAEA", "AU", "ECOWAS",
    "ASEAN", "OAS", "SADC", "EAC", "IGAD", "OSCE", "ICC",
}


def draw_split(names: list[str]) -> dict[str, list[str]]:
    heldout = sorted(n for n in names if random.Random(f"{SEED}:{n}").random() < HELDOUT_SHARE)
    tune = sorted(n for n in names if n not in heldout)
    # a quarter of the set, drawn from tune only, for the second annotator's pass (the
    # second annotator may be the engineer who tunes: they must not read heldout)
    size = min(len(tune), round(len(names) / 4))
    agreement = sorted(random.Random(f"{SEED}:agreement").sample(tune, size))
    return {"tune": tune, "heldout": heldout, "agreement_sample": agreement}


def check_gold(path: Path, codes: set[str], problems: list[str]) -> list[str]:
    """Check one gold file's events against the texts; return its document names."""
    label = path.relative_to(HERE).as_posix()
    prefix = "" if label == "gold.json" else f"{label}: "
    gold = json.loads(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for d_i, doc in enumerate(gold["documents"]):
        name = doc["document"]
        names.append(name)
        text_path = HERE / "texts" / name
        if not text_path.is_file():
            problems.append(f"{prefix}documents[{d_i}] {name}: no text in texts/")
            continue
        text = text_path.read_text(encoding="utf-8")
        seen: set[tuple[str, str, str | None]] = set()
        for e_i, ev in enumerate(doc["events"]):
            where = f"{prefix}{name} events[{e_i}]"
            key = (ev.get("actor"), ev.get("type"), ev.get("target"))
            if ev.get("type") not in TYPES:
                problems.append(f"{where}: unknown type {ev.get('type')!r}")
            if ev.get("actor") not in codes:
                problems.append(f"{where}: unknown actor {ev.get('actor')!r}")
            if ev.get("target") is not None and ev.get("target") not in codes:
                problems.append(f"{where}: unknown target {ev.get('target')!r}")
            if ev.get("target") == ev.get("actor"):
                problems.append(f"{where}: actor and target are the same")
            evidence = ev.get("evidence")
            if not isinstance(evidence, str) or not evidence:
                problems.append(f"{where}: no evidence")
            elif evidence not in text:
                problems.append(f"{where}: evidence not found verbatim: {evidence[:60]!r}")
            if "optional" in ev and ev["optional"] is not True:
                problems.append(f"{where}: 'optional' must be true or absent")
            if key in seen:
                problems.append(f"{where}: tuple {key} twice")
            seen.add(key)
    return names


def check() -> list[str]:
    problems: list[str] = []
    with open(ROOT / "src/allied/data/states.csv", encoding="utf-8") as fh:
        codes = {row["iso3"] for row in csv.DictReader(fh)} | ORGANISATIONS
    names = check_gold(HERE / "gold.json", codes, problems)
    texts = {p.name for p in (HERE / "texts").glob("*.txt")}
    for extra in sorted(texts - set(names)):
        problems.append(f"texts/{extra}: no gold entry")
    split = json.loads((HERE / "split.json").read_text(encoding="utf-8"))
    # ``fresh``: stories annotated after the draw, to check that a change generalises;
    # listed by hand, never drawn (the draw over the others stays as it was)
    fresh = split.get("fresh", [])
    for name in sorted(set(fresh) - set(names)):
        problems.append(f"split.json: fresh {name} has no gold entry")
    expected = draw_split([n for n in names if n not in set(fresh)])
    for part in ("tune", "heldout", "agreement_sample"):
        if sorted(split.get(part, [])) != expected[part]:
            problems.append(f"split.json: '{part}' differs from the seeded draw")
    # the second annotator's gold: same checks, exactly the agreement sample
    second = HERE / "second" / "gold.json"
    if second.is_file():
        second_names = check_gold(second, codes, problems)
        if sorted(second_names) != expected["agreement_sample"]:
            problems.append("second/gold.json: documents differ from the agreement sample")
    return problems


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--gold"]:
        part = args[1] if len(args) > 1 else ""
        split = json.loads((HERE / "split.json").read_text(encoding="utf-8"))
        if part not in ("tune", "heldout", "fresh"):
            print("--gold needs a part: tune, heldout or fresh", file=sys.stderr)
            return 2
        gold = json.loads((HERE / "gold.json").read_text(encoding="utf-8"))
        chosen = set(split[part])
        gold["documents"] = [d for d in gold["documents"] if d["document"] in chosen]
        print(json.dumps(gold, indent=1, ensure_ascii=False))
        return 0
    if "--split" in args:
        gold = json.loads((HERE / "gold.json").read_text(encoding="utf-8"))
        fresh = set(json.loads((HERE / "split.json").read_text(encoding="utf-8"))
                    .get("fresh", []))
        names = [d["document"] for d in gold["documents"] if d["document"] not in fresh]
        print(json.dumps({"seed": SEED, "heldout_share": HELDOUT_SHARE,
                          **draw_split(names)}, indent=1))
        return 0
    problems = check()
    for p in problems:
        print(p)
    gold = json.loads((HERE / "gold.json").read_text(encoding="utf-8"))
    events = [e for d in gold["documents"] for e in d["events"]]
    required = sum(1 for e in events if not e.get("optional"))
    print(f"{len(gold['documents'])} documents, {required} required and "
          f"{len(events) - required} optional events; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
