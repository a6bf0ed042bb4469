"""Scoring proposed events against a gold file: document-level (actor, type, target) tuples.

Gold format (as ``../shared/corpus/gold.json``)::

    {"documents": [{"document": NAME, "events": [
        {"actor": "DEU", "type": "block", "target": "EST"},
        {"actor": "LVA", "type": "provide", "target": "UKR", "optional": true}]}]}

Predictions use the same shape (``allied monitor extract --format json``). An event
counts once per document however often it is proposed. Optional gold events count
neither as hits nor misses nor false alarms. Documents are matched by file name (without
folders); predicted documents the gold file does not cover are listed as unscored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from allied.domain.errors import InvalidInput
from allied.monitor.model import parse_event_type

Tuple = tuple[str, str, str | None]


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def row(self, label: str) -> dict[str, Any]:
        return {
            "type": label,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "f1": round(self.f1, 3),
        }


@dataclass
class Report:
    per_type: dict[str, Counts] = field(default_factory=dict)
    overall: Counts = field(default_factory=Counts)
    false_alarms: list[dict[str, Any]] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)
    unscored: list[str] = field(default_factory=list)  # predicted documents not in the gold

    def rows(self) -> list[dict[str, Any]]:
        rows = [self.per_type[t].row(t) for t in sorted(self.per_type)]
        rows.append(self.overall.row("overall"))
        return rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.row("overall"),
            "per_type": [self.per_type[t].row(t) for t in sorted(self.per_type)],
            "false_alarms": self.false_alarms,
            "misses": self.misses,
            "unscored": self.unscored,
        }


def _key(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).name


def _tuples(
    payload: Any, source: str, *, gold: bool, min_confidence: float = 0.0
) -> dict[str, tuple[set[Tuple], set[Tuple]]]:
    """document -> (required tuples, optional tuples)."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("documents"), list):
        raise InvalidInput("expected an object with a 'documents' list", field="documents",
                           source=source)
    out: dict[str, tuple[set[Tuple], set[Tuple]]] = {}
    for d_i, doc in enumerate(payload["documents"]):
        where = f"documents[{d_i}]"
        if not isinstance(doc, Mapping) or not isinstance(doc.get("document"), str):
            raise InvalidInput("each document needs a 'document' name", field=where,
                               source=source)
        events = doc.get("events", [])
        if not isinstance(events, list):
            raise InvalidInput("'events' must be a list", field=f"{where}.events", source=source)
        required, optional = out.setdefault(_key(doc["document"]), (set(), set()))
        for e_i, ev in enumerate(events):
            f = f"{where}.events[{e_i}]"
            if not isinstance(ev, Mapping) or not isinstance(ev.get("actor"), str):
                raise InvalidInput("each event needs an 'actor'", field=f, source=source)
            etype = parse_event_type(str(ev.get("type", "")), f"{f}.type").value
            target = ev.get("target")
            if target is not None and not isinstance(target, str):
                raise InvalidInput("'target' must be a code or null", field=f"{f}.target",
                                   source=source)
            if not gold:
                conf = ev.get("confidence", 1.0)
                if not isinstance(conf, int | float):
                    raise InvalidInput("'confidence' must be a number",
                                       field=f"{f}.confidence", source=source)
                if conf < min_confidence:
                    continue
            t: Tuple = (ev["actor"].upper(), etype, target.upper() if target else None)
            (optional if gold and ev.get("optional") else required).add(t)
    return out


def evaluate(
    gold: Any, predicted: Any, *, min_confidence: float = 0.0,
    gold_source: str = "gold", pred_source: str = "predictions",
) -> Report:
    """Precision, recall and F1 per event type and overall (micro-averaged)."""
    g = _tuples(gold, gold_source, gold=True)
    p = _tuples(predicted, pred_source, gold=False, min_confidence=min_confidence)
    report = Report(unscored=sorted(set(p) - set(g)))
    per: dict[str, Counts] = defaultdict(Counts)
    for name, (required, optional) in g.items():
        predicted_set = p.get(name, (set(), set()))[0]
        for t in predicted_set:
            if t in required:
                per[t[1]].tp += 1
            elif t not in optional:
                per[t[1]].fp += 1
                report.false_alarms.append(_row(name, t))
        for t in required - predicted_set:
            per[t[1]].fn += 1
            report.misses.append(_row(name, t))
    report.per_type = dict(per)
    for c in per.values():
        report.overall.tp += c.tp
        report.overall.fp += c.fp
        report.overall.fn += c.fn
    report.false_alarms.sort(key=lambda r: (r["document"], r["actor"], r["type"]))
    report.misses.sort(key=lambda r: (r["document"], r["actor"], r["type"]))
    return report


def _row(name: str, t: Tuple) -> dict[str, Any]:
    return {"document": name, "actor": t[0], "type": t[1], "target": t[2]}


@dataclass(frozen=True)
class Interval:
    """A point estimate with a bootstrap confidence interval."""

    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def bootstrap(
    gold: Any,
    predicted: Any,
    *,
    samples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    min_confidence: float = 0.0,
) -> dict[str, Interval]:
    """Micro-averaged precision, recall and F1 with percentile bootstrap intervals over
    documents: the gold documents are resampled with replacement ``samples`` times and
    each resample is scored as a whole (documents, not events, are the unit sampled,
    since events of one text are not independent)."""
    import random

    if samples < 1 or not 0 < level < 1:
        raise InvalidInput("samples must be >= 1 and level in (0, 1)", field="bootstrap")
    g = _tuples(gold, "gold", gold=True)
    p = _tuples(predicted, "predictions", gold=False, min_confidence=min_confidence)
    counts: list[tuple[int, int, int]] = []
    for name, (required, optional) in sorted(g.items()):
        pred = p.get(name, (set(), set()))[0]
        tp = len(pred & required)
        fp = len(pred - required - optional)
        fn = len(required - pred)
        counts.append((tp, fp, fn))
    if not counts:
        raise InvalidInput("the gold file has no documents", field="documents")
    point = _prf(*(sum(c[i] for c in counts) for i in range(3)))
    rng = random.Random(seed)
    draws: list[tuple[float, float, float]] = []
    n = len(counts)
    for _ in range(samples):
        pick = [counts[rng.randrange(n)] for _ in range(n)]
        draws.append(_prf(*(sum(c[i] for c in pick) for i in range(3))))
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    out: dict[str, Interval] = {}
    for k, name in enumerate(("precision", "recall", "f1")):
        values = sorted(d[k] for d in draws)
        last = len(values) - 1
        low, high = values[int(lo_q * last)], values[round(hi_q * last)]
        out[name] = Interval(round(point[k], 3), round(low, 3), round(high, 3))
    return out
