"""Benchmark of the monitor: precision/recall on the development corpus, and throughput.

    .venv/bin/python benchmarks/monitor/run.py [--corpus ../shared/corpus] [--repeat 20]

Prints precision, recall and F1 per event type and overall on the annotated documents
(read from the corpus folder beside the repository; never copied), then the time to
build the pipeline and the extraction speed on (a) the corpus repeated and (b) a
synthetic text of sentences written for this benchmark. The figures are written down in
``benchmarks/monitor/README.md`` and ``docs/monitor.md``.
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
from allied.monitor.evaluate import evaluate
from allied.monitor.extract import Extractor
from allied.monitor.gazetteer import default_gazetteer
from allied.monitor.model import Document
from allied.monitor.nlp import make_pipeline, split_sentences

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = Path(__file__).resolve().parent / "written"
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


def score(corpus: Path) -> dict[str, object]:
    gold = json.loads((corpus / "gold.json").read_text(encoding="utf-8"))
    extractor = Extractor()
    predicted = {"documents": []}
    for entry in gold["documents"]:
        (doc,) = read_documents(corpus / entry["document"])
        events = extractor.extract(doc)
        predicted["documents"].append(  # type: ignore[attr-defined]
            {"document": doc.name, "events": [e.as_dict() for e in events]}
        )
    return evaluate(gold, predicted).as_dict()


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
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--sentences", type=int, default=3000)
    args = ap.parse_args()

    sets = [("development corpus (../shared/corpus)", args.corpus),
            ("texts written for the check (benchmarks/monitor/written)", WRITTEN)]
    for label, folder in sets:
        if not (folder / "gold.json").is_file():
            print(f"{label}: not found at {folder}, skipped", file=sys.stderr)
            continue
        report = score(folder)
        print(f"\nprecision/recall on the {label}, document-level tuples")
        print(f"{'type':<20} {'tp':>3} {'fp':>3} {'fn':>3} {'P':>6} {'R':>6} {'F1':>6}")
        for row in [*report["per_type"], report["overall"]]:  # type: ignore[misc]
            print(f"{row['type']:<20} {row['tp']:>3} {row['fp']:>3} {row['fn']:>3} "
                  f"{row['precision']:>6.3f} {row['recall']:>6.3f} {row['f1']:>6.3f}")
        print("false alarms:", report["false_alarms"])
        print("misses:", report["misses"])

    t0 = time.perf_counter()
    make_pipeline(default_gazetteer())
    print(f"\npipeline build (spaCy blank en + lookups + phrase matchers): "
          f"{time.perf_counter() - t0:.2f} s")

    extractor = Extractor()
    docs: list[Document] = []
    if args.corpus.is_dir():
        docs = [d for d in read_documents(args.corpus) if d.name.endswith(".txt")]
    if docs:
        chars = sum(len(d.text) for d in docs)
        sents = sum(len(split_sentences(d.text)) for d in docs)
        times = timed(lambda: [extractor.extract(d) for d in docs], args.repeat)
        med = statistics.median(times)
        print(f"corpus: {len(docs)} docs, {sents} sentences, {chars} chars; median of "
              f"{args.repeat}: {med * 1000:.1f} ms -> {sents / med:,.0f} sentences/s, "
              f"{chars / med / 1000:,.0f} k chars/s")
    text = synthetic(args.sentences)
    doc = Document("synthetic.txt", text, "2023-01")
    sents = len(split_sentences(text))
    times = timed(lambda: extractor.extract(doc), max(3, args.repeat // 5))
    med = statistics.median(times)
    events = len(extractor.extract(doc))
    print(f"synthetic: {sents} sentences, {len(text)} chars, {events} events; median: "
          f"{med:.2f} s -> {sents / med:,.0f} sentences/s, {len(text) / med / 1000:,.0f} "
          "k chars/s")


if __name__ == "__main__":
    main()
