"""What the dependency reader (stage 4b, ``depevents``) reads and writes: one paragraph's
parse with the actor mentions mapped onto its tokens (``Tree``), the event read from it
(``Frame``), a repair of one misparse of the small parser (``repair``), and two helpers
over spaCy tokens (``lemma_of``, ``conjuncts``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from allied.monitor.deplexicon import LIGHT
from allied.monitor.model import EventType
from allied.monitor.syntax import Mention


@dataclass
class Frame:
    """An event read from the tree: type, actors, targets, cues and its trigger."""

    type: EventType
    actors: tuple[str, ...]
    targets: tuple[str, ...]
    trigger: Any
    noun: bool
    cues: list[str] = field(default_factory=list)


class Tree:
    """One paragraph's parse with the actor mentions mapped onto its tokens."""

    def __init__(self, parsed: Any, blank: Any, mentions: dict[int, Mention]) -> None:
        self.doc = parsed
        repair(parsed)
        self._by_idx: dict[int, Any] = {t.idx: t for t in parsed}
        by_char = {t.idx: t.i for t in blank}
        self.mention: dict[int, Mention] = {}
        for tok in parsed:
            j = by_char.get(tok.idx)
            if j is not None and j in mentions:
                self.mention[tok.i] = mentions[j]
            elif j is None:
                # a token the two tokenizers split differently: the mention covering it
                for k in range(tok.idx, tok.idx + len(tok.text)):
                    jj = by_char.get(k)
                    if jj is not None and jj in mentions:
                        self.mention[tok.i] = mentions[jj]
                        break

    def at(self, char: int) -> Any:
        """The parsed token starting at character ``char`` of the paragraph, if any."""
        return self._by_idx.get(char)

    def tokens(self, start_char: int, end_char: int) -> Iterator[Any]:
        span = self.doc.char_span(start_char, end_char, alignment_mode="expand")
        if span is not None:
            yield from (t for t in span if start_char <= t.idx < end_char)


def repair(parsed: Any) -> None:
    """Re-attach a noun the parser read as the subject of a participle clause after a
    light verb: "China conducted the military drills encircling Taiwan" is parsed as
    "conducted [the drills encircling Taiwan]" with "drills" the subject of a ``ccomp``
    "encircling"; it is the light verb's object, and "encircling" its ``acl``. Only when
    the light verb has no object of its own and the subject is a common noun."""
    for tok in parsed:
        if tok.dep_ != "ccomp" or tok.tag_ != "VBG":
            continue
        verb = tok.head
        if verb.i == tok.i or verb.pos_ != "VERB" or lemma_of(verb) not in LIGHT:
            continue
        if any(c.dep_ in ("dobj", "dative") for c in verb.children):
            continue
        subjects = [c for c in tok.children if c.dep_ == "nsubj"]
        if len(subjects) != 1 or subjects[0].pos_ != "NOUN" or subjects[0].i > tok.i:
            continue
        noun = subjects[0]
        noun.head = verb
        noun.dep_ = "dobj"
        tok.head = noun
        tok.dep_ = "acl"


def lemma_of(tok: Any) -> str:
    return str(tok.lemma_).lower()


def conjuncts(tok: Any) -> list[Any]:
    out = [tok]
    for child in tok.children:
        if child.dep_ == "conj":
            out.extend(conjuncts(child))
    return out
