"""A learned stage over the monitor's rules, measured by cross-validation by document.

    PYTHONPATH=src python benchmarks/monitor/learned.py [--folds 6] [--c 1.0] [--context]
        [--unit candidate|tuple] [--no-rules-features] [--modes add,filter,both,alone]
        [--cache cands.pkl] [--json out.json] [--details]

What it does (figures and what they show: ``benchmarks/monitor/README.md``):

1. **Candidates**, far more permissive than the rules: in every sentence, every trigger
   word the lexicons know (``deptriggers.trigger_type``, and any token whose lemma is in
   the verb, noun, phrasal, WordNet or accusation-adjective lists whatever its tag; a
   verb of speech over a "must/should" clause is a ``call-for``) is paired with every
   actor a noun phrase of the sentence names (``depphrases.Phrases``: gazetteer
   mentions, offices with a national adjective, pronouns resolved by the story's
   context in subject and possessor positions) within ``MAX_PATH`` dependency edges of
   it, and with every other such actor as target (or none). With ``--context``, also
   an actor the story's context holds (``context.Context``: the last subject, state,
   person or organisation, or an actor of the sentence before) with the sentence's
   targets, and the sentence's actors with a target of the sentence before or the
   context's place or pair.
2. **Features** of each candidate (``features``): the trigger's lemma, its event type
   and part of speech; the dependency path from the trigger to the actor and to the
   target (labels and length), the actor's and the target's own relation, the target's
   preposition, word order; negation, modality, intent, reported speech, quotation,
   question (``deptriggers.cancelled`` and the sentence); the sentence's position;
   whether the rules propose the same tuple in this sentence or in the document.
3. **Labels** by distant supervision: a candidate is positive when its tuple is a
   required gold event of its document, negative when it is in neither the required nor
   the optional gold (optional tuples are left out of training).
4. A **logistic regression** with an L2 penalty (numpy/scipy L-BFGS, deterministic, no
   new dependency), scored per document tuple as the maximum over its candidates.
5. **Cross-validation by document**: the documents (the VOA tuning part, ``written/``
   and the VOA fresh part; never the held-aside part) are cut into ``--folds`` groups by
   a hash of their names; each group is predicted by a model trained on the others,
   with its threshold chosen by an inner cross-validation on those others only. The
   pooled predictions are scored with ``evaluate.bootstrap`` beside the rules alone on
   the same documents. Three ways of combining: the rules plus the model's tuples above
   the threshold ("add"), the rules without their tuples the model scores below a low
   threshold ("filter"), and both.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import pickle
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import minimize

from allied.monitor import deptriggers
from allied.monitor import lexicon as lx
from allied.monitor.depevents import Reader
from allied.monitor.deplexicon import (
    ACCUSE_ADJECTIVES,
    CANCEL_AUX,
    EXTRA_NOUNS,
    EXTRA_VERBS,
    INTENT_AUX,
    OBLIGATION,
    SPEECH,
)
from allied.monitor.deptree import lemma_of
from allied.monitor.documents import read_documents
from allied.monitor.evaluate import bootstrap, evaluate
from allied.monitor.extract import Extractor
from allied.monitor.model import Document, EventType, ProposedEvent

# the benchmark's own set loader (run.py beside this file, loaded by path)
_spec = importlib.util.spec_from_file_location(
    "monitor_benchmark_run", Path(__file__).resolve().parent / "run.py")
assert _spec is not None and _spec.loader is not None
_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_run)
DEV, WRITTEN, load_set = _run.DEV, _run.WRITTEN, _run.load_set

T = EventType
MAX_PATH = 5
Tuple = tuple[str, str, str | None]
Gold = tuple[set[Tuple], set[Tuple]]  # a document's required and optional gold tuples


@dataclass
class Candidate:
    document: str
    tuple: Tuple
    features: list[str]
    sentence: int


@dataclass
class Extracted:
    rules: list[ProposedEvent]
    candidates: list[Candidate] = field(default_factory=list)


# -- triggers ---------------------------------------------------------------------
def loose_type(tok: Any) -> tuple[EventType, str] | None:
    """The event type a token may name, and how it was found: the reader's own
    ``trigger_type`` ("strict"), else any lexicon entry of its lemma whatever the tagger
    read ("loose"), an accusing adjective, or a verb of speech over a "must" clause."""
    strict = deptriggers.trigger_type(tok)
    if strict is not None:
        return strict[0], "strict"
    lemma = lemma_of(tok)
    for table in (lx.VERBS, EXTRA_VERBS, lx.NOUNS, EXTRA_NOUNS, lx.wordnet_verbs()):
        if lemma in table:
            return table[lemma], "loose"
    if lemma in lx.PHRASAL:
        for child in tok.children:
            etype = lx.PHRASAL[lemma].get(lemma_of(child))
            if etype is not None:
                return etype, "loose"
    if tok.pos_ == "ADJ" and lemma in ACCUSE_ADJECTIVES:
        return T.ACCUSE, "adjective"
    if lemma in SPEECH and any(
        c.dep_ == "ccomp" and any(a.dep_ == "aux" and a.lower_ in OBLIGATION for a in c.children)
        for c in tok.children
    ):
        return T.CALL_FOR, "obligation"
    return None


# -- paths ------------------------------------------------------------------------
def path(a: Any, b: Any) -> list[str]:
    """Dependency labels from ``a`` to ``b``: ``^dep`` for each step up (the label of
    the node left), ``vdep`` for each step down (the label of the node entered)."""
    up_a = [a, *a.ancestors]
    up_b = [b, *b.ancestors]
    index_b = {t.i: k for k, t in enumerate(up_b)}
    for k, t in enumerate(up_a):
        if t.i in index_b:
            down = up_b[: index_b[t.i]]
            return [f"^{x.dep_}" for x in up_a[:k]] + [f"v{x.dep_}" for x in reversed(down)]
    return ["?"] * (MAX_PATH + 1)  # different sentences of one parse: unreachable


def prep_of(tok: Any) -> str:
    if tok.dep_ == "pobj":
        return str(tok.head.lower_)
    return "-"


def quoted(sent: list[Any], tok: Any) -> bool:
    marks = sum(1 for t in sent if t.i < tok.i and t.text in ('"', "“", "”", "''", "``"))
    return marks % 2 == 1


def modality(tok: Any) -> list[str]:
    out = []
    node = tok
    for _ in range(3):
        for c in node.children:
            low = str(c.lower_)
            if c.dep_ == "neg":
                out.append("neg")
            if c.dep_ == "aux" and low in CANCEL_AUX:
                out.append("modal")
            if c.dep_ == "aux" and low in OBLIGATION:
                out.append("must")
            if c.dep_ == "aux" and low in INTENT_AUX:
                out.append("will")
            if c.dep_ == "mark" and low in ("if", "unless", "whether"):
                out.append("if")
        if node.head is node:
            break
        node = node.head
    if tok.tag_ in ("VBD", "VBN"):
        out.append("past")
    return out


def features(
    trigger: Any, etype: EventType, how: str, actor_tok: Any | None, target_tok: Any | None,
    sent: list[Any], position: int, extras: Iterable[str] = (),
) -> list[str]:
    """The features of one candidate (strings; the model gives each a weight). An actor
    token ``None`` is an actor from the story's context (``extras`` says which)."""
    t = etype.value
    lemma = lemma_of(trigger)
    f = [f"type={t}", f"lemma={lemma}", f"type,lemma={t},{lemma}", f"how={how}",
         f"type,how={t},{how}", f"pos={trigger.pos_}", f"type,pos={t},{trigger.pos_}",
         f"tdep={trigger.dep_}"]
    if actor_tok is None:
        f += ["actor=context", f"type,actor=context,{t}"]
    else:
        pa = path(trigger, actor_tok)
        f += [f"apath={'/'.join(pa)}", f"type,apath={t},{'/'.join(pa)}",
              f"alen={min(len(pa), 6)}", f"adep={actor_tok.dep_}",
              f"type,adep={t},{actor_tok.dep_}", f"aprep={prep_of(actor_tok)}",
              f"apos={actor_tok.pos_}", f"abefore={actor_tok.i < trigger.i}"]
        if pa:
            f += [f"afirst={pa[0]}", f"alast={pa[-1]}", f"type,alast={t},{pa[-1]}"]
    if target_tok is None:
        f += ["target=none", f"type,target=none,{t}"]
    else:
        pt = path(trigger, target_tok)
        prep = prep_of(target_tok)
        f += [f"tpath={'/'.join(pt)}", f"type,tpath={t},{'/'.join(pt)}",
              f"tlen={min(len(pt), 6)}", f"tdep2={target_tok.dep_}",
              f"type,tdep2={t},{target_tok.dep_}", f"tprep={prep}", f"type,tprep={t},{prep}",
              f"lemma,tprep={lemma},{prep}", f"tbefore={target_tok.i < trigger.i}"]
        if actor_tok is not None:
            f.append(f"tbeforea={target_tok.i < actor_tok.i}")
        if pt:
            f += [f"tlast={pt[-1]}", f"type,tlast={t},{pt[-1]}"]
    for m in modality(trigger):
        f += [f"mod={m}", f"type,mod={t},{m}"]
    cues: list[str] = []
    cancelled = deptriggers.cancelled(trigger, cues, etype)
    f.append(f"cancelled={cancelled}")
    f += [f"cue={c}" for c in cues]
    if quoted(sent, trigger):
        f += ["quoted", f"type,quoted={t}"]
    if any(x.text == "?" for x in sent[-2:]):
        f.append("question")
    f.append(f"sentpos={min(position, 3)}")
    f += list(extras)
    return f


# -- the extraction with candidates -------------------------------------------------
class CandidateExtractor(Extractor):
    """The rules' extractor, which also collects every candidate of every sentence;
    ``context``: also candidates whose actor is one the story's context holds (the last
    subject, state, person, organisation, or an actor of the sentence before) and whose
    target is an actor of the sentence before or the place or pair the context holds."""

    def __init__(self, *, context: bool = False) -> None:
        super().__init__()
        self.context = context

    def extract(self, document: Document) -> list[ProposedEvent]:
        self._candidates: list[Candidate] = []
        self._before: tuple[str, ...] = ()
        self._doc_name = document.name
        self._position = 0
        return super().extract(document)

    def _parsed(self, document: Document, offset: int, sent: Any, reader: Reader
                ) -> list[ProposedEvent]:
        events = super()._parsed(document, offset, sent, reader)
        tokens = list(reader.tree.tokens(sent.start_char, sent.end_char))
        parsed_here = {(e.actor, e.type.value, e.target) for e in events}
        self._candidates.extend(self.candidates(tokens, reader, parsed_here))
        self._position += 1
        return events

    def candidates(self, sent: list[Any], reader: Reader, parsed_here: set[Tuple]
                   ) -> list[Candidate]:
        phrases = reader.phrases
        blocked = phrases.blocked
        slots: list[tuple[Any, tuple[str, ...]]] = []
        for tok in sent:
            if tok.pos_ not in ("NOUN", "PROPN", "PRON"):
                continue
            refer = tok.dep_ in ("nsubj", "nsubjpass", "poss")
            codes = phrases._one(tok, loose=False, depth=0, refer=refer)
            if codes:
                slots.append((tok, codes))
        phrases.blocked = blocked
        before, self._before = self._before, tuple(
            dict.fromkeys(c for _, codes in slots for c in codes))
        ctx = reader.ctx
        ctx_actors: list[tuple[str, str]] = []
        ctx_targets: list[tuple[str, str]] = []
        if self.context:
            held: list[tuple[str, tuple[str, ...] | None]] = [
                ("previous", ctx.previous), ("state", ctx.state), ("person", ctx.person),
                ("organisation", ctx.organisation), ("before", before)]
            ctx_actors = [(src, c) for src, held_codes in held for c in held_codes or ()]
            held = [("before", before), ("place", ctx.place), ("pair", ctx.pair)]
            ctx_targets = [(src, c) for src, held_codes in held for c in held_codes or ()]
        if not slots and not ctx_actors:
            return []
        out: list[Candidate] = []
        for trig in sent:
            found = loose_type(trig)
            if found is None:
                continue
            etype, how = found
            near = [(tok, codes) for tok, codes in slots
                    if tok.i != trig.i and len(path(trig, tok)) <= MAX_PATH]
            # a nominal trigger may be the actor's own mention ("EU sanctions" head)
            for a_tok, a_codes in near:
                for t_tok, t_codes in [*near, (None, (None,))]:
                    if t_tok is not None and t_tok.i == a_tok.i:
                        continue
                    base = features(trig, etype, how, a_tok, t_tok, sent, self._position)
                    for a in a_codes:
                        for b in t_codes:
                            if b == a:
                                continue
                            tup: Tuple = (a, etype.value, b)
                            extra = ["parsed_here"] if tup in parsed_here else []
                            out.append(Candidate(self._doc_name, tup, base + extra,
                                                 self._position))
            local = {c for _, codes in near for c in codes}
            # an actor only the context gives, with a target of the sentence or none
            for src, a in ctx_actors:
                if a in local:
                    continue
                for t_tok, t_codes in [*near, (None, (None,))]:
                    base = features(trig, etype, how, None, t_tok, sent, self._position,
                                    [f"actor=context:{src}", f"local_actor={bool(near)}"])
                    for b in t_codes:
                        if b != a:
                            out.append(Candidate(self._doc_name, (a, etype.value, b), base,
                                                 self._position))
            # a target only the context gives, with an actor of the sentence
            for src, b in ctx_targets:
                if b in local:
                    continue
                for a_tok, a_codes in near:
                    base = features(trig, etype, how, a_tok, None, sent, self._position,
                                    [f"target=context:{src}",
                                     f"type,target=context,{etype.value}"])
                    base = [x for x in base
                            if not x.startswith(("target=none", "type,target=none"))]
                    for a in a_codes:
                        if a != b:
                            out.append(Candidate(self._doc_name, (a, etype.value, b), base,
                                                 self._position))
        return out


def extract_all(paths: list[Path], extractor: CandidateExtractor) -> dict[str, Extracted]:
    out: dict[str, Extracted] = {}
    for p in paths:
        (doc,) = read_documents(p)
        rules = extractor.extract(doc)
        cands = extractor._candidates
        rule_tuples = {(e.actor, e.type.value, e.target) for e in rules}
        for c in cands:
            if c.tuple in rule_tuples:
                c.features.append("rules_doc")
        out[doc.name] = Extracted(rules, cands)
    return out


# -- the model ----------------------------------------------------------------------
class Model:
    """L2-regularised logistic regression over binary features (deterministic)."""

    def __init__(self, c: float = 1.0) -> None:
        self.c = c
        self.vocab: dict[str, int] = {}
        self.w = np.zeros(0)
        self.b = 0.0

    def _matrix(self, rows: list[list[str]], grow: bool) -> sparse.csr_matrix:
        data, ind, ptr = [], [], [0]
        for feats in rows:
            cols = set()
            for name in feats:
                j = self.vocab.get(name)
                if j is None and grow:
                    j = self.vocab[name] = len(self.vocab)
                if j is not None:
                    cols.add(j)
            ind.extend(sorted(cols))
            data.extend([1.0] * len(cols))
            ptr.append(len(ind))
        return sparse.csr_matrix((data, ind, ptr), shape=(len(rows), len(self.vocab)))

    def fit(self, rows: list[list[str]], labels: list[int]) -> Model:
        self.vocab = {}
        for feats in rows:  # the vocabulary in first-seen order: deterministic
            for name in feats:
                self.vocab.setdefault(name, len(self.vocab))
        x = self._matrix(rows, grow=False)
        y = np.asarray(labels, dtype=float)
        lam = 1.0 / self.c

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            w, b = theta[:-1], theta[-1]
            z = x @ w + b
            p = 1.0 / (1.0 + np.exp(-z))
            eps = 1e-12
            ll = -np.sum(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))
            g = p - y
            grad_w = x.T @ g + lam * w
            return ll + 0.5 * lam * float(w @ w), np.append(grad_w, g.sum())

        theta0 = np.zeros(len(self.vocab) + 1)
        res = minimize(loss, theta0, jac=True, method="L-BFGS-B",
                       options={"maxiter": 500})
        self.w, self.b = res.x[:-1], float(res.x[-1])
        return self

    def predict(self, rows: list[list[str]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        x = self._matrix(rows, grow=False)
        out: np.ndarray = 1.0 / (1.0 + np.exp(-(x @ self.w + self.b)))
        return out


def training_rows(docs: list[str], data: dict[str, Extracted], gold: dict[str, Gold]
                  ) -> tuple[list[list[str]], list[int]]:
    rows, labels = [], []
    for d in docs:
        required, optional = gold[d]
        for c in data[d].candidates:
            if c.tuple in optional and c.tuple not in required:
                continue
            rows.append(c.features)
            labels.append(int(c.tuple in required))
    return rows, labels


def scores(model: Model, docs: list[str], data: dict[str, Extracted]
           ) -> dict[str, dict[Tuple, float]]:
    out: dict[str, dict[Tuple, float]] = {}
    for d in docs:
        cands = data[d].candidates
        p = model.predict([c.features for c in cands])
        best: dict[Tuple, float] = defaultdict(float)
        for c, v in zip(cands, p, strict=True):
            best[c.tuple] = max(best[c.tuple], float(v))
        out[d] = dict(best)
    return out


def combine(rules: set[Tuple] | None, s: dict[Tuple, float], add: float | None,
            drop: float | None) -> set[Tuple]:
    """The rules' tuples (``None``: the model alone), without those the model scores
    below ``drop``, with the model's tuples at or above ``add``."""
    out = set(rules or ())
    if drop is not None:
        out = {t for t in out if s.get(t, 1.0) >= drop}
    if add is not None:
        out |= {t for t, v in s.items() if v >= add}
    return out


def counts(pred: dict[str, set[Tuple]], gold: dict[str, Gold]) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for d, (required, optional) in gold.items():
        p = pred.get(d, set())
        tp += len(p & required)
        fp += len(p - required - optional)
        fn += len(required - p)
    return tp, fp, fn


def f1(c: tuple[int, int, int]) -> float:
    tp, fp, fn = c
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


ADD_GRID = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, None]
DROP_GRID = [None, 0.05, 0.1, 0.2, 0.3]


def fold_of(name: str, k: int) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % k


def choose(docs: list[str], data: dict[str, Extracted], gold: dict[str, Gold],
           c: float, k: int, mode: str) -> tuple[float | None, float | None]:
    """Thresholds chosen by an inner cross-validation over ``docs`` only."""
    inner: dict[str, dict[Tuple, float]] = {}
    for f in range(k):
        test = [d for d in docs if fold_of("inner:" + d, k) == f]
        train = [d for d in docs if fold_of("inner:" + d, k) != f]
        if not test:
            continue
        model = Model(c).fit(*training_rows(train, data, gold))
        inner.update(scores(model, test, data))
    sub = {d: gold[d] for d in docs}
    best = -1.0
    arg: tuple[float | None, float | None] = (None, None)
    adds = ADD_GRID if mode in ("add", "both", "alone") else [None]
    drops = DROP_GRID if mode in ("filter", "both") else [None]
    for a in adds:
        for dr in drops:
            base = None if mode == "alone" else rule_set
            pred = {d: combine(base(data[d]) if base else None, inner[d], a, dr) for d in docs}
            v = f1(counts(pred, sub))
            if v > best + 1e-9:
                best, arg = v, (a, dr)
    return arg


def rule_set(x: Extracted) -> set[Tuple]:
    return {(e.actor, e.type.value, e.target) for e in x.rules}


def gold_sets(gold: dict[str, Any]) -> dict[str, Gold]:
    out: dict[str, Gold] = {}
    for d in gold["documents"]:
        req: set[Tuple] = set()
        opt: set[Tuple] = set()
        for e in d["events"]:
            t = (e["actor"].upper(), e["type"], e["target"].upper() if e.get("target") else None)
            (opt if e.get("optional") else req).add(t)
        out[d["document"]] = (req, opt)
    return out


def as_payload(pred: dict[str, set[Tuple]]) -> dict:  # type: ignore[type-arg]
    return {"documents": [
        {"document": d, "events": [{"actor": a, "type": t, "target": b} for a, t, b in sorted(
            p, key=lambda x: (x[0], x[1], x[2] or ""))]}
        for d, p in pred.items()]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=6)
    ap.add_argument("--c", type=float, default=1.0, help="inverse L2 strength")
    ap.add_argument("--json", type=Path, help="write the pooled figures here")
    ap.add_argument("--cache", type=Path, help="pickle of the candidates (made if absent)")
    ap.add_argument("--no-rules-features", action="store_true",
                    help="train without the rules' proposals as features")
    ap.add_argument("--context", action="store_true",
                    help="also candidates with an actor or target from the story's context")
    ap.add_argument("--unit", choices=("candidate", "tuple"), default="candidate",
                    help="train on candidates (scored by their maximum) or on document tuples")
    ap.add_argument("--modes", default="add,filter,both,alone")
    ap.add_argument("--details", action="store_true",
                    help="print the cross-validated added/dropped tuples (tuning sets only)")
    args = ap.parse_args()

    parts: list[tuple[str, dict]] = []  # type: ignore[type-arg]
    paths: list[Path] = []
    for label, folder, part in (("tune", DEV, "tune"), ("written", WRITTEN, None),
                                ("fresh", DEV, "fresh")):
        g, ps = load_set(folder, part)
        parts.append((label, g))
        paths.extend(ps)
    golds = {label: gold_sets(g) for label, g in parts}
    gold: dict[str, Gold] = {}
    for g in golds.values():
        gold.update(g)
    if args.cache is not None and args.cache.is_file():
        data = pickle.loads(args.cache.read_bytes())
    else:
        data = extract_all(paths, CandidateExtractor(context=args.context))
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps(data))
    if args.unit == "tuple":  # one row per document tuple: its candidates' features pooled
        for x in data.values():
            pooled_rows: dict[Tuple, Candidate] = {}
            n: dict[Tuple, int] = defaultdict(int)
            for c in x.candidates:
                n[c.tuple] += 1
                if c.tuple not in pooled_rows:
                    pooled_rows[c.tuple] = Candidate(c.document, c.tuple, [], c.sentence)
                have = pooled_rows[c.tuple].features
                have.extend(f for f in c.features if f not in set(have))
            for t, c in pooled_rows.items():
                c.features.append(f"instances={min(n[t], 5)}")
            x.candidates = list(pooled_rows.values())
    if args.no_rules_features:  # the model alone: what it learns without the rules' say
        for x in data.values():
            for c in x.candidates:
                c.features = [f for f in c.features if f not in ("rules_doc", "parsed_here")]
    docs = sorted(gold)
    n_cand = sum(len(x.candidates) for x in data.values())
    pos = sum(lab for lab in training_rows(docs, data, gold)[1])
    reach = sum(len({c.tuple for c in data[d].candidates} & gold[d][0]) for d in docs)
    total = sum(len(gold[d][0]) for d in docs)
    print(f"{len(docs)} documents, {n_cand} candidates ({pos} positive); "
          f"candidate tuples cover {reach} of {total} required events")
    for label in golds:
        sub = golds[label]
        r = sum(len({c.tuple for c in data[d].candidates} & sub[d][0]) for d in sub)
        rr = counts({d: rule_set(data[d]) for d in sub}, sub)
        extra = sum(len(({c.tuple for c in data[d].candidates} & sub[d][0]) - rule_set(data[d]))
                    for d in sub)
        print(f"  {label}: candidates cover {r} of {sum(len(v[0]) for v in sub.values())} "
              f"required events, {extra} of them missed by the rules; rules TP/FP/FN {rr}")

    results: dict[str, Any] = {}
    for mode in args.modes.split(","):
        pooled: dict[str, set[Tuple]] = {}
        chosen = []
        for f in range(args.folds):
            test = [d for d in docs if fold_of(d, args.folds) == f]
            train = [d for d in docs if fold_of(d, args.folds) != f]
            add, drop = choose(train, data, gold, args.c, args.folds - 1, mode)
            chosen.append((add, drop))
            model = Model(args.c).fit(*training_rows(train, data, gold))
            s = scores(model, test, data)
            for d in test:
                rules = None if mode == "alone" else rule_set(data[d])
                pooled[d] = combine(rules, s[d], add, drop)
        print(f"\nmode {mode}: thresholds chosen per fold (add, drop): {chosen}")
        print("| set | docs | extractor | TP | FP | FN | precision | recall | F1 |")
        print("|---|---|---|---|---|---|---|---|---|")
        for label, sub in [*golds.items(), ("all", gold)]:
            g_payload = {"documents": [
                {"document": d, "events": [{"actor": a, "type": t, "target": b}
                                           for a, t, b in sub[d][0]]
                 + [{"actor": a, "type": t, "target": b, "optional": True}
                    for a, t, b in sub[d][1]]} for d in sub]}
            for name, pred in (("rules", {d: rule_set(data[d]) for d in sub}),
                               ("model alone" if mode == "alone" else f"rules+model ({mode})",
                                {d: pooled[d] for d in sub})):
                ev = evaluate(g_payload, as_payload(pred)).as_dict()["overall"]
                ci = bootstrap(g_payload, as_payload(pred))
                cells = " | ".join(f"{ci[k].value:.3f} [{ci[k].low:.2f}, {ci[k].high:.2f}]"
                                   for k in ("precision", "recall", "f1"))
                print(f"| {label} | {len(sub)} | {name} | {ev['tp']} | {ev['fp']} | "
                      f"{ev['fn']} | {cells} |")
                results[f"{mode}/{label}/{name}"] = {
                    "tp": ev["tp"], "fp": ev["fp"], "fn": ev["fn"],
                    **{k: ci[k].as_dict() for k in ("precision", "recall", "f1")}}
            if mode == "alone" and label != "all":
                more = {d: pooled[d] - rule_set(data[d]) for d in sub}
                hit = sum(len(more[d] & sub[d][0]) for d in sub)
                n_opt = sum(len(more[d] & (sub[d][1] - sub[d][0])) for d in sub)
                fa = sum(len(more[d] - sub[d][0] - sub[d][1]) for d in sub)
                print(f"    ({label}: of the model's tuples the rules do not propose, {hit} hits, "
                      f"{n_opt} optional, {fa} false alarms)")
            if args.details and label in ("tune", "written"):
                for d in sorted(sub):
                    req, opt = sub[d]
                    rules = rule_set(data[d])
                    for t in sorted(pooled[d] - rules, key=str):
                        print(f"    + {d} {t} {'HIT' if t in req else 'opt' if t in opt else 'FA'}")
                    for t in sorted(rules - pooled[d], key=str):
                        print(f"    - {d} {t} {'HIT' if t in req else 'opt' if t in opt else 'FA'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
