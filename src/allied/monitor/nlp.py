"""The spaCy pipeline: tokenizer, rule-based sentencizer, lookup lemmatizer, phrase matchers.

A blank English pipeline with spaCy's rule-based sentencizer and the lookup lemmatizer
of ``spacy-lookups-data`` runs offline and deterministically; it gives the sentences
(evidence spans) and the tokens the clause rules read. Gazetteer forms and titles are
found with ``PhraseMatcher``. The statistical parser is ``parser.load_parser``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from allied.domain.errors import StorageError
from allied.monitor.gazetteer import Gazetteer, default_gazetteer
from allied.monitor.lexicon import TITLES

PARAGRAPH = re.compile(r"\n[ \t]*\n+|\r\n[ \t]*\r\n+")


@dataclass
class Pipeline:
    nlp: Any
    places: Any  # PhraseMatcher over gazetteer forms (case-sensitive)
    titles: Any  # PhraseMatcher over title nouns (lower case)
    gazetteer: Gazetteer
    lemma_table: Any = None  # spaCy's English lookup table, for capitalised words

    def lemma(self, token: Any) -> str:
        """Lower-case lemma; a capitalised word ("Talks" opening a sentence) is looked up
        in lower case, as the lookup table holds lower-case forms."""
        lemma = str(token.lemma_).lower()
        text = str(token.text)
        if lemma == text.lower() and text[:1].isupper() and self.lemma_table is not None:
            return str(self.lemma_table.get(text.lower(), lemma))
        return lemma

    def paragraphs(self, text: str) -> Iterator[tuple[int, Any]]:
        """(offset, spaCy Doc) for each paragraph: blank lines always end a sentence."""
        spans: list[tuple[int, str]] = []
        pos = 0
        for m in PARAGRAPH.finditer(text):
            spans.append((pos, text[pos : m.start()]))
            pos = m.end()
        spans.append((pos, text[pos:]))
        spans = [(o, t) for o, t in spans if t.strip()]
        for (offset, _), doc in zip(spans, self.nlp.pipe(t for _, t in spans), strict=True):
            yield offset, doc


def make_pipeline(gazetteer: Gazetteer) -> Pipeline:
    try:
        import spacy
        from spacy.matcher import PhraseMatcher
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise StorageError(f"spaCy is not installed: {exc}") from None
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    try:
        nlp.initialize()
    except (OSError, ValueError) as exc:  # pragma: no cover - spacy-lookups-data missing
        raise StorageError(f"spaCy's English lookup tables are missing: {exc}") from None
    places = PhraseMatcher(nlp.vocab, attr="ORTH")
    for form in gazetteer.forms():
        places.add(form, [nlp.make_doc(form)])
    titles = PhraseMatcher(nlp.vocab, attr="LOWER")
    for title in sorted(TITLES):
        titles.add(title, [nlp.make_doc(title)])
    lemmatizer: Any = nlp.get_pipe("lemmatizer")
    table = lemmatizer.lookups.get_table("lemma_lookup")
    return Pipeline(
        nlp=nlp, places=places, titles=titles, gazetteer=gazetteer, lemma_table=table
    )


@lru_cache(maxsize=1)
def default_pipeline() -> Pipeline:
    return make_pipeline(default_gazetteer())


def split_sentences(text: str, pipeline: Pipeline | None = None) -> list[tuple[int, int]]:
    """Character offsets (start, end) of each sentence of ``text``, whitespace trimmed."""
    pipe = pipeline or default_pipeline()
    out: list[tuple[int, int]] = []
    for offset, doc in pipe.paragraphs(text):
        for sent in doc.sents:
            raw = sent.text
            lead = len(raw) - len(raw.lstrip())
            trail = len(raw) - len(raw.rstrip())
            start, end = offset + sent.start_char + lead, offset + sent.end_char - trail
            if end > start:
                out.append((start, end))
    return out
