"""Benchmark of the monitor: precision/recall with bootstrap intervals, and throughput.

    .venv/bin/python benchmarks/monitor/run.py [--corpus ../shared/corpus]
        [--dev benchmarks/monitor/dev] [--heldout] [--repeat 5] [--sentences 3000]
        [--details] [--no-speed]

Prints, for the clause rules alone and for the rules with the dependency parse, the
precision, recall and F1 (with 95% bootstrap intervals over documents) on: the
development corpus (read from the corpus folder beside the repository; never copied),
the texts in ``written/``, and the tuning part of the VOA development set (``--dev``,
its ``split.json``) and its ``fresh`` part (stories annotated after the split, to check
that a change generalises; their errors are not printed either); with ``--heldout``,
also its held-aside part (score it once per change meant to generalise, and do not study
its errors). Then the time to load the
parser and build the pipeline, and the extraction speed in words per second on the
corpus and on a synthetic text. Figures: ``benchmarks/monitor/README.md``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

from allied.monitor.documents import read_documents
from allied.monitor.evaluate import bootstrap, evaluate
from allied.monitor.extract import Extractor
from allied.monitor.gazetteer import default_gazetteer
from allied.monitor.model import Document
from allied.monitor.nlp import make_pipeline
from allied.monitor.parser import load_parser

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = Path(__file__).resolve().parent / "written"
DEV = Path(__file__).resolve().parent / "dev"
PUBLIC_DOMAIN = ROOT.parent / "shared" / "corpus" / "public-domain"
SUBJECTS = ["Germany", "France", "Poland", "The Baltic states", "Washington", "Italy",
            "Hungary", "The EU", "Berlin", "Canada", "Norway", "Turkey"]
TEMPLATES = [
    "{s} sent artillery shells to Ukraine in March.",
    "{s} is proving unwilling to provide support to Kyiv.",
    "{s} called for an immediate ceasefire and talks with Russia.",
    "Analysts expect {s} to approve the request soon.",
    "{s} blocked Estonia from transferring howitzers to Ukraine.",
    "{s} deployed a battlegroup to Romania last year.",
    "In a speech, the minister said {s} would not back down.",
    "Observers noted that the summit ended without a joint statement.",
]


def synthetic(n_sentences: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    paras = []
    for _ in range(0, n_sentences, 6):
        paras.append(" ".join(
            rng.choice(TEMPLATES).format(s=rng.choice(SUBJECTS)) for _ in range(6)
        ))
    return "\n\n".join(paras)


def load_set(folder: Path, part: str | None = None) -> tuple[dict, list[Path]]:  # type: ignore[type-arg]
    """The gold file of ``folder`` (restricted to a part of its split.json) and the
    paths of its texts (``texts/`` of the folder, else the public-domain corpus)."""
    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    if part is not None:
        names = set(json.loads((folder / "split.json").read_text(encoding="utf-8"))[part])
        gold = {**gold, "documents": [d for d in gold["documents"] if d["document"] in names]}
    paths = []
    for entry in gold["documents"]:
        for where in (folder / entry["document"], folder / "texts" / entry["document"],
                      PUBLIC_DOMAIN / entry["document"]):
            if where.is_file():
                paths.append(where)
                break
        else:
            raise SystemExit(f"{entry['document']}: text not found")
    return gold, paths


def score(gold: dict, paths: list[Path], extractor: Extractor) -> tuple[dict, dict]:  # type: ignore[type-arg]
    predicted: dict = {"documents": []}  # type: ignore[type-arg]
    for path in paths:
        (doc,) = read_documents(path)
        events = extractor.extract(doc)
        predicted["documents"].append(
            {"document": doc.name, "events": [e.as_dict() for e in events]}
        )
    intervals = {k: v.as_dict() for k, v in bootstrap(gold, predicted).items()}
    return evaluate(gold, predicted).as_dict(), intervals


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--heldout", action="store_true",
                    help="also score the held-aside part (once per change)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sentences", type=int, default=3000)
    ap.add_argument("--details", action="store_true", help="per type, false alarms, misses")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    args = ap.parse_args()

    t0 = time.perf_counter()
    load_parser()
    print(f"parser load (en_core_web_sm 3.8.0, files hashed and loaded): "
          f"{time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    make_pipeline(default_gazetteer())
    print(f"pipeline build (spaCy blank en + lookups + phrase matchers): "
          f"{time.perf_counter() - t0:.2f} s")
    extractors = {"rules": Extractor(parse=False), "rules+parse": Extractor()}

    sets: list[tuple[str, Path, str | None]] = [
        ("development corpus (../shared/corpus)", args.corpus, None),
        ("texts written for the project (written/)", WRITTEN, None),
        ("VOA development set, tuning part", args.dev, "tune"),
        ("VOA development set, fresh part", args.dev, "fresh"),
    ]
    if args.heldout:
        sets.append(("VOA development set, held-aside part", args.dev, "heldout"))
    print("\n| set | docs | extractor | TP | FP | FN | precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, folder, part in sets:
        if not (folder / "gold.json").is_file():
            print(f"{label}: not found at {folder}, skipped", file=sys.stderr)
            continue
        gold, paths = load_set(folder, part)
        for name, extractor in extractors.items():
            report, ci = score(gold, paths, extractor)
            o = report["overall"]
            cells = " | ".join(
                f"{ci[k]['value']:.3f} [{ci[k]['low']:.2f}, {ci[k]['high']:.2f}]"
                for k in ("precision", "recall", "f1")
            )
            print(f"| {label} | {len(paths)} | {name} | {o['tp']} | {o['fp']} | {o['fn']} | "
                  f"{cells} |")
            if args.details and name == "rules+parse" and part not in ("heldout", "fresh"):
                for row in report["per_type"]:
                    print("   ", row)
                print("    false alarms:", report["false_alarms"])
                print("    misses:", report["misses"])

    if args.no_speed:
        return
    docs: list[Document] = []
    if args.corpus.is_dir():
        docs = [d for d in read_documents(args.corpus) if d.name.endswith(".txt")]
    text = synthetic(args.sentences)
    synthetic_doc = Document("synthetic.txt", text, "2023-01")
    print("\n| text | extractor | words | median seconds | words/s |")
    print("|---|---|---|---|---|")
    for label, batch in (("development corpus", docs), ("synthetic", [synthetic_doc])):
        if not batch:
            continue
        words = sum(len(d.text.split()) for d in batch)
        for name, extractor in extractors.items():
            times = timed(lambda ex=extractor, b=batch: [ex.extract(d) for d in b], args.repeat)
            med = statistics.median(times)
            print(f"| {label} | {name} | {words:,} | {med:.3f} | {words / med:,.0f} |")


if __name__ == "__main__":
    main()
