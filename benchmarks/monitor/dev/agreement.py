"""Agreement between the two annotations of the development set's ``agreement_sample``.

    python benchmarks/monitor/dev/agreement.py                  # the table (text)
    python benchmarks/monitor/dev/agreement.py --json           # the same figures as JSON
    python benchmarks/monitor/dev/agreement.py --first OLD.json # e.g. the first gold before a fix

The first annotation is ``gold.json`` (or ``--first PATH``), the second
``second/gold.json`` (or ``--second PATH``); only the documents of ``split.json``'s
``agreement_sample`` are compared, on document-level ``(actor, type, target)`` tuples.
Figures, overall and per event type:

- required vs required: how many required tuples each annotator has (``r1``, ``r2``),
  how many both have (``both``), and ``F1 = 2*both / (r1 + r2)`` (the precision and
  recall of one against the other are ``both/r2`` and ``both/r1``);
- as the project's scorer (``allied monitor evaluate``) counts it, one annotation as gold
  and the other's required tuples as proposals: a proposal matching a gold optional
  tuple is neither a hit nor a false alarm (``1 as gold`` and ``2 as gold``);
- agreed when optional events on either side may match: a required tuple of one
  annotator counts as agreed when the other has it, required or optional
  (``agreed1`` of ``r1``, ``agreed2`` of ``r2``; the README's "agreed on A of R1-R2").

It also lists every required tuple the other annotator does not have as required, with
whether the other has it as optional. Standard library only; exit 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BOOTSTRAP_SEED = "allied-monitor-dev-agreement"
Tuple = tuple[str, str, str]  # actor, type, target ("-" for null)


class BadInput(Exception):
    """A gold file or split.json that cannot be read; the message names the place."""


@dataclass
class Annotation:
    required: set[Tuple] = field(default_factory=set)
    optional: set[Tuple] = field(default_factory=set)


def load(path: Path, documents: list[str]) -> dict[str, Annotation]:
    """document -> its required and optional tuples, for the given documents only."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path}: cannot read JSON: {exc}") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("documents"), list):
        raise BadInput(f"{path}: expected an object with a 'documents' list")
    out: dict[str, Annotation] = {}
    for d_i, doc in enumerate(payload["documents"]):
        if not isinstance(doc, dict) or not isinstance(doc.get("document"), str):
            raise BadInput(f"{path}: documents[{d_i}] has no 'document' name")
        events = doc.get("events")
        if not isinstance(events, list):
            raise BadInput(f"{path}: documents[{d_i}].events is not a list")
        ann = out.setdefault(doc["document"], Annotation())
        for e_i, ev in enumerate(events):
            where = f"{path}: documents[{d_i}].events[{e_i}]"
            if not isinstance(ev, dict):
                raise BadInput(f"{where} is not an object")
            actor, etype, target = ev.get("actor"), ev.get("type"), ev.get("target")
            if not isinstance(actor, str) or not isinstance(etype, str):
                raise BadInput(f"{where} needs 'actor' and 'type' strings")
            if target is not None and not isinstance(target, str):
                raise BadInput(f"{where}.target must be a code or null")
            key: Tuple = (actor, etype, target or "-")
            (ann.optional if ev.get("optional") is True else ann.required).add(key)
    missing = [d for d in documents if d not in out]
    if missing:
        raise BadInput(f"{path}: no entry for {', '.join(missing)}")
    return {d: out[d] for d in documents}


@dataclass
class Figures:
    r1: int = 0
    r2: int = 0
    both: int = 0
    agreed1: int = 0  # required of 1 that 2 has, required or optional
    agreed2: int = 0
    fp1: int = 0  # 1 as gold: required of 2 that 1 has neither required nor optional
    fp2: int = 0  # 2 as gold: required of 1 that 2 has neither required nor optional

    def add(self, a1: Annotation, a2: Annotation, etype: str | None = None) -> None:
        def of(s: set[Tuple]) -> set[Tuple]:
            return s if etype is None else {t for t in s if t[1] == etype}

        r1, r2, o1, o2 = of(a1.required), of(a2.required), of(a1.optional), of(a2.optional)
        self.r1 += len(r1)
        self.r2 += len(r2)
        self.both += len(r1 & r2)
        self.agreed1 += len(r1 & (r2 | o2))
        self.agreed2 += len(r2 & (r1 | o1))
        self.fp1 += len(r2 - r1 - o1)
        self.fp2 += len(r1 - r2 - o2)

    def row(self) -> dict[str, Any]:
        def ratio(num: int, den: int) -> float | None:  # None: nothing to measure
            return round(num / den, 3) if den else None

        def f1(tp: int, fp: int, fn: int) -> float | None:
            return ratio(2 * tp, 2 * tp + fp + fn)

        def prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
            return {"tp": tp, "fp": fp, "fn": fn, "precision": ratio(tp, tp + fp),
                    "recall": ratio(tp, tp + fn), "f1": f1(tp, fp, fn)}

        return {
            "r1": self.r1, "r2": self.r2, "both": self.both,
            "f1_required": f1(self.both, self.r2 - self.both, self.r1 - self.both),
            "first_as_gold": prf(self.both, self.fp1, self.r1 - self.both),
            "second_as_gold": prf(self.both, self.fp2, self.r2 - self.both),
            "agreed1": self.agreed1, "agreed2": self.agreed2,
        }


def compare(first: dict[str, Annotation], second: dict[str, Annotation]) -> dict[str, Any]:
    overall = Figures()
    types = sorted({t[1] for a in (*first.values(), *second.values())
                    for t in a.required})
    per_type = {t: Figures() for t in types}
    only: list[dict[str, Any]] = []
    for name in first:
        a1, a2 = first[name], second[name]
        overall.add(a1, a2)
        for t, fig in per_type.items():
            fig.add(a1, a2, t)
        for who, mine, other in (("first", a1, a2), ("second", a2, a1)):
            for tup in sorted(mine.required - other.required):
                only.append({"document": name, "required_by": who, "actor": tup[0],
                             "type": tup[1], "target": None if tup[2] == "-" else tup[2],
                             "other_has_optional": tup in other.optional})
    optional = {
        "o1": sum(len(a.optional) for a in first.values()),
        "o2": sum(len(a.optional) for a in second.values()),
        # optional tuples of one annotator that the other has in neither form
        "o1_absent_in_second": sum(len(first[n].optional - second[n].required
                                       - second[n].optional) for n in first),
        "o2_absent_in_first": sum(len(second[n].optional - first[n].required
                                      - first[n].optional) for n in first),
    }
    return {"documents": len(first), "overall": overall.row(),
            "f1_required_interval": bootstrap(first, second),
            "per_type": {t: f.row() for t, f in per_type.items()},
            "optional": optional, "disagreements": only}


def bootstrap(first: dict[str, Annotation], second: dict[str, Annotation],
              rounds: int = 2000) -> list[float]:
    """95% percentile interval of the required-vs-required F1, resampling documents."""
    rng = random.Random(BOOTSTRAP_SEED)
    names = list(first)
    values: list[float] = []
    for _ in range(rounds):
        fig = Figures()
        for name in rng.choices(names, k=len(names)):
            fig.add(first[name], second[name])
        if fig.r1 + fig.r2:
            values.append(2 * fig.both / (fig.r1 + fig.r2))
    values.sort()
    return [round(values[int(0.025 * (len(values) - 1))], 3),
            round(values[int(0.975 * (len(values) - 1))], 3)]


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def render(result: dict[str, Any]) -> str:
    o = result["overall"]
    lines = [
        f"{result['documents']} documents; required events: first {o['r1']}, "
        f"second {o['r2']}, both {o['both']}",
        f"agreed (the other has it required or optional): {o['agreed1']} of {o['r1']} "
        f"(first), {o['agreed2']} of {o['r2']} (second)",
        f"F1 required vs required {_num(o['f1_required'])}, 95% bootstrap interval over "
        f"documents {result['f1_required_interval'][0]:.2f}-"
        f"{result['f1_required_interval'][1]:.2f}",
        f"optional events: first {result['optional']['o1']} "
        f"({result['optional']['o1_absent_in_second']} of them absent from the second), "
        f"second {result['optional']['o2']} "
        f"({result['optional']['o2_absent_in_first']} absent from the first)",
        "",
        "| type | r1 | r2 | both | F1 req-req | 1 as gold P/R/F1 | 2 as gold P/R/F1 "
        "| agreed1/r1 | agreed2/r2 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows = [*result["per_type"].items(), ("all", o)]
    for t, r in rows:
        g1, g2 = r["first_as_gold"], r["second_as_gold"]
        lines.append(
            f"| {t} | {r['r1']} | {r['r2']} | {r['both']} | {_num(r['f1_required'])} "
            f"| {_num(g1['precision'])}/{_num(g1['recall'])}/{_num(g1['f1'])} "
            f"| {_num(g2['precision'])}/{_num(g2['recall'])}/{_num(g2['f1'])} "
            f"| {r['agreed1']}/{r['r1']} | {r['agreed2']}/{r['r2']} |")
    lines += ["", "required by one annotator only (other: optional / absent):"]
    for d in result["disagreements"]:
        target = d["target"] or "null"
        other = "optional" if d["other_has_optional"] else "absent"
        lines.append(f"  {d['document']}  {d['required_by']:<6}  "
                     f"{d['actor']} {d['type']} {target}  (other: {other})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--first", type=Path, default=HERE / "gold.json")
    parser.add_argument("--second", type=Path, default=HERE / "second" / "gold.json")
    parser.add_argument("--split", type=Path, default=HERE / "split.json")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        try:
            split = json.loads(args.split.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BadInput(f"{args.split}: cannot read JSON: {exc}") from exc
        sample = split.get("agreement_sample") if isinstance(split, dict) else None
        if not isinstance(sample, list) or not sample or not all(
                isinstance(s, str) for s in sample):
            raise BadInput(f"{args.split}: 'agreement_sample' must be a list of names")
        result = compare(load(args.first, sample), load(args.second, sample))
    except BadInput as exc:
        print(f"agreement.py: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=1) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
