"""The actors a noun phrase names (stage 4b, ``depevents``).

- a noun phrase names an actor by a gazetteer mention at its head, or by an office or
  body with a national adjective, compound, possessor or "of" phrase ("the Italian
  Economy Minister", "Poland's finance minister", "the foreign minister of Spain"); a
  *former* or *then* office holder is not the state;
- a pronoun or "the country" (in an actor position, ``refer``) is the last actor subject
  before it in its sentence, else the last actor named ("the three nations": the last
  states named together; "the regional bloc": the organisation named most; the state of
  the story so far is ``context.Context``, whose module lists its rules);
- a person introduced with an office ("UN special rapporteur Richard Bennett") acts for
  it when named again ("Bennett", "he", "barred him").

``Phrases`` holds what these need: the paragraph's ``Tree``, the story's ``Context`` and
the sentence's actor subjects so far; the other modules of the reader take it as their
first argument.
"""

from __future__ import annotations

from typing import Any

from allied.monitor import lexicon as lx
from allied.monitor.context import Context, appositive_names
from allied.monitor.deplexicon import (
    AGENCIES,
    ANY_EMPLOYER,
    EXTRA_NOUNS,
    FORMER,
    NUMBERS,
    OFFICES,
    ORG_NOUNS,
    PERSON_PRONOUNS,
    PLURAL_PRONOUNS,
    PLURAL_STATE_NOUNS,
    STATE_NOUNS,
    STATE_PRONOUNS,
)
from allied.monitor.deptree import Tree, conjuncts, lemma_of
from allied.monitor.gazetteer import MentionKind
from allied.monitor.syntax import ORGS, Mention


class Phrases:
    """Reads the actors of noun phrases in one paragraph's ``Tree``."""

    def __init__(self, tree: Tree, context: Context) -> None:
        self.tree = tree
        self.ctx = context
        # this sentence's actor subjects so far: (token index, codes, kind)
        self.local: list[tuple[int, tuple[str, ...], MentionKind]] = []
        # whether a "he"/"she" of this sentence is a person the gazetteer does not know
        self.blocked = False

    def phrase(
        self, head: Any, *, loose: bool = False, depth: int = 0, refer: bool = False
    ) -> tuple[str, ...]:
        """The actors a noun phrase headed by ``head`` names (with its conjuncts);
        ``refer``: a pronoun or "the country" is resolved (actor positions only)."""
        out: list[str] = []
        for tok in conjuncts(head):
            out.extend(self._one(tok, loose=loose, depth=depth, refer=refer))
        return tuple(dict.fromkeys(out))

    def _refer(self, tok: Any, low: str) -> tuple[str, ...]:
        """A pronoun: the last actor subject before it in its sentence, else the context."""
        want_person = low in PERSON_PRONOUNS
        want_plural = low in PLURAL_PRONOUNS
        for i, codes, kind in reversed(self.local):
            if i >= tok.i:
                continue
            if not codes:
                if want_person:
                    self.blocked = True
                    return ()  # "Smith said he ...": a person the gazetteer does not know
                continue
            if want_plural != (len(codes) > 1):
                continue
            if want_person and kind not in (MentionKind.PERSON, MentionKind.TITLE):
                continue
            return codes
        if want_person:
            if self.ctx.person is None and self.ctx.unknown:
                self.blocked = True  # "Smith said ... He urged": Smith, no actor
            return self.ctx.person or ()
        if want_plural:
            return self.ctx.plural or ()
        return self.ctx.state or self.ctx.organisation or ()

    def _one(self, tok: Any, *, loose: bool, depth: int, refer: bool = False) -> tuple[str, ...]:
        if depth > 3:
            return ()
        if any(c.lower_ in FORMER for c in tok.children if c.dep_ in ("amod", "advmod")):
            return ()  # "Malaysia's former prime minister" no longer acts for it
        m = self.tree.mention.get(tok.i)
        if (
            m is not None
            and not m.modifier
            and (
                m.kind is not MentionKind.ADJECTIVE
                or loose
                or self._before_office(tok)
                or self._abbreviation_as_noun(tok, m)
            )
        ):
            if m.kind is MentionKind.TITLE:
                # "Cameroon and Chad officials": the title's other modifiers too
                every = list(m.codes)
                for child in tok.children:
                    if child.dep_ in ("nmod", "compound", "amod") and (
                        self.tree.mention.get(child.i) is not m
                    ):
                        every.extend(self.modifier(child, depth + 1))
                return tuple(dict.fromkeys(every))
            return m.codes
        low = str(tok.text).lower()
        if low in PERSON_PRONOUNS | STATE_PRONOUNS | PLURAL_PRONOUNS:
            return self._refer(tok, low) if refer else ()
        lemma = lemma_of(tok)
        if tok.pos_ not in ("NOUN", "PROPN"):
            return ()
        if (
            lemma in STATE_NOUNS
            and low not in PLURAL_STATE_NOUNS
            and any(c.lower_ == "the" for c in tok.children)
            and not any(c.dep_ in ("amod", "compound", "poss") for c in tok.children)
        ):
            return self._refer(tok, "it") if refer else ()
        if lemma in AGENCIES:
            # "the U.N. refugee agency", "the EU's border agency": the organisation's own
            for c in tok.children:
                m = self.tree.mention.get(c.i)
                if c.dep_ in ("compound", "nmod", "poss") and m is not None and (
                    m.codes and set(m.codes) <= ORGS
                ):
                    return m.codes
        if lemma == "alliance" and any(c.lower_ == "the" for c in tok.children):
            return ("NATO",)
        if lemma in ORG_NOUNS and any(c.lower_ == "the" for c in tok.children) and not any(
            c.dep_ in ("poss", "compound")
            or (c.dep_ == "prep" and c.lower_ == "of" and any(o.dep_ == "pobj" for o in c.children))
            for c in tok.children
        ):
            return self._last_organisation(tok)  # not "the body of water", "a trade bloc's"
        if (
            any(c.lower_ == "the" for c in tok.children)
            and not any(c.dep_ in ("poss", "compound", "amod") for c in tok.children)
            and str(tok.tag_) in ("NN", "NNP")
        ):
            codes = self.ctx.institution(lemma)
            if codes:
                return codes  # "the International Court of Justice ... the court"
        if (
            low in PLURAL_STATE_NOUNS
            and self.ctx.listed
            and any(c.lower_ == "other" for c in tok.children)
            and any(c.lower_ == "the" for c in tok.children)
        ):
            # "the other three countries": the list but one (the actor, dropped later)
            counts = [c for c in tok.children if c.dep_ == "nummod"]
            want = NUMBERS.get(counts[0].lower_, -1) if counts else len(self.ctx.listed) - 1
            return self.ctx.listed if want == len(self.ctx.listed) - 1 else ()
        if (
            refer
            and low in PLURAL_STATE_NOUNS
            and any(c.lower_ in ("the", "both") for c in tok.children)
            and not any(
                c.dep_ in ("compound", "poss") or (c.dep_ == "amod" and c.i in self.tree.mention)
                or (c.dep_ == "prep" and c.lower_ in ("of", "in"))
                for c in tok.children
            )
            and (
                any(c.dep_ == "nummod" or c.lower_ == "both" for c in tok.children)
                or not any(c.dep_ == "amod" for c in tok.children)
            )
        ):
            return self.ctx.plural or ()  # "the three nations", "both countries"
        office = lemma in OFFICES or low in OFFICES or (
            tok.pos_ == "PROPN"  # "King Abdullah of Jordan", "Crown Prince Salman"
            and any(c.dep_ == "compound" and lemma_of(c) in OFFICES for c in tok.children)
        )
        named = tok.pos_ == "PROPN" and str(tok.text)[:1].isupper()
        if named and not office and str(tok.text) in self.ctx.names and not any(
            c.dep_ in ("poss", "amod") for c in tok.children
        ):
            self.ctx.named = self.ctx.names[str(tok.text)]
            return self.ctx.named  # "Bennett", introduced with his office
        for child in tok.children:
            if child.dep_ in ("amod", "compound", "poss", "nmod", "npadvmod") and (office or loose):
                codes = self.modifier(child, depth)
                if codes:
                    if named and office:
                        self.remember(tok, codes)
                    if office:
                        # "the AU mediator, special envoy Maria Okafor,": her name too
                        for name in appositive_names(tok):
                            self.remember(name, codes)
                    return codes
            if (
                child.dep_ == "prep"
                and child.lower_ in ("of", "from", "for")
                and office
                and lemma not in ANY_EMPLOYER
            ):
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        codes = self.phrase(obj, loose=True, depth=depth + 1)
                        if codes:
                            # "the spokesperson for Pakistan's Ministry of Foreign
                            # Affairs, Ambassador Shafqat Ali Khan,": his name too
                            for name in appositive_names(tok):
                                self.remember(name, codes)
                            return codes
            if child.dep_ == "appos":
                codes = self._one(child, loose=loose, depth=depth + 1)
                if codes:
                    if named and tok.i not in self.tree.mention:
                        self.remember(tok, codes)  # "Maria Okafor, the AU envoy,"
                    return codes
        return ()

    def remember(self, name: Any, codes: tuple[str, ...]) -> None:
        """A person named with an office: later mentions of the surname act for it."""
        if name.i in self.tree.mention or not str(name.text)[:1].isupper():
            return
        self.ctx.names[str(name.text)] = codes
        self.ctx.named = codes

    def _last_organisation(self, tok: Any) -> tuple[str, ...]:
        """The organisation named last before ``tok`` in its sentence, else in the text
        before it."""
        for i in range(tok.i - 1, tok.sent.start - 1, -1):
            m = self.tree.mention.get(i)
            if m is not None and len(m.codes) == 1 and m.codes[0] in ORGS:
                return m.codes
        if self.ctx.organisations:
            most = max(self.ctx.organisations.values())
            named = [o for o, n in self.ctx.organisations.items() if n == most]
            if len(named) == 1:
                return (named[0],)
        return self.ctx.organisation or ()

    def modifier(self, tok: Any, depth: int) -> tuple[str, ...]:
        m = self.tree.mention.get(tok.i)
        if m is not None:
            # "Cameroon and C.A.R. officials": every conjunct
            every = list(m.codes)
            for conj in conjuncts(tok)[1:]:
                cm = self.tree.mention.get(conj.i)
                if cm is not None:
                    every.extend(cm.codes)
            return tuple(dict.fromkeys(every))
        if tok.dep_ in ("compound", "amod"):
            # "the Italian Economy Minister": the adjective modifies "Economy";
            # "United Nations-appointed special rapporteur": the participle's modifier
            for child in tok.children:
                if child.dep_ in ("amod", "compound", "poss", "npadvmod", "nmod"):
                    codes = self.modifier(child, depth + 1)
                    if codes:
                        return codes
        if tok.dep_ == "poss":
            return self._one(tok, loose=True, depth=depth + 1)
        return ()

    @staticmethod
    def _abbreviation_as_noun(tok: Any, m: Mention) -> bool:
        """"the U.S.", "the UK" head their phrase: a state, though "U.S. officials" uses
        the same form as an adjective."""
        return bool(
            m.text.replace(".", "").isupper()
            and tok.pos_ == "PROPN"
            and tok.dep_ in ("nsubj", "nsubjpass", "dobj", "pobj", "conj", "appos", "dative")
        )

    def _before_office(self, tok: Any) -> bool:
        head = tok.head
        return tok.dep_ in ("amod", "compound") and (
            lemma_of(head) in OFFICES or lemma_of(head) in lx.NOUNS or lemma_of(head) in EXTRA_NOUNS
        )
