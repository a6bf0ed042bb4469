"""Stage 4b of extraction: events read from the dependency parse.

The clause rules of ``clauses`` read word order; this stage reads the tree spaCy's
``en_core_web_sm`` parser gives (ClearNLP labels: ``nsubj``, ``dobj``, ``dative``,
``prep``/``pobj``, ``agent``, ``poss``, ``conj``, ``xcomp``, ``ccomp``, ``relcl``...).
``Reader`` reads one sentence at a time and composes the stage's modules:

- ``deptree``: the paragraph's parse with the actor mentions on its tokens (``Tree``)
  and the event read from it (``Frame``);
- ``deplexicon``: the word lists beyond the clause rules' lexicon;
- ``deptriggers``: which words are triggers, and negation, conditions, modals and
  intent (whether a trigger tells an act);
- ``depphrases``: the actors a noun phrase names (mentions, offices, pronouns and
  descriptions through the story's ``context.Context``); its ``Phrases`` holds the
  reader's state and is what the other modules take;
- ``depactors``: who acts (subject, agent, possessor, light verb, control, relative
  pronoun, the speaker of a quotation);
- ``deptargets``: targets from the type's slots, calls on whoever is asked, the caller a
  refusal answers, the owner of a rejected resolution;
- ``depspeech``: reported speech with an obligation as a call.

This module reads a sentence's frames from those (``Reader.frames``: symmetric
meetings both ways, "warned Moscow not to" as a demand, forces sent to the partner at
war as aid...), reads a force as subject as deployed by its owner ("forces of the UN
mission were deployed", "French peacekeepers arrived in Mali"), and fills the story's
context sentence by sentence (``Reader.subjects``: subjects for pronouns, the parties
to a sentence, who issued a resolution).

The events are merged with the clause rules' before the document clean-up.
"""

from __future__ import annotations

from typing import Any

from allied.monitor import depactors, depspeech, deptargets, deptriggers
from allied.monitor import lexicon as lx
from allied.monitor.context import Context, person_name, title_kind
from allied.monitor.deplexicon import (
    CLAIMS,
    DEPLOYED,
    ISSUING,
    JOINT,
    MEMBERSHIP_OBJECTS,
    MOVING,
    NEEDS_ADDRESSEE,
    NO_STATE,
    OWNED,
    PAIR_MEETINGS,
    PEACEKEEPERS,
    PERSON_PRONOUNS,
    PLURAL_PRONOUNS,
    REFUSED_CALLS,
    REFUSING,
    STATE_PRONOUNS,
)
from allied.monitor.depphrases import Phrases
from allied.monitor.deptree import Frame, Tree, conjuncts, lemma_of
from allied.monitor.gazetteer import MentionKind
from allied.monitor.model import EventType
from allied.monitor.syntax import ORGS

T = EventType


class Reader:
    """Reads the frames of one sentence of a ``Tree``."""

    def __init__(self, tree: Tree, context: Context) -> None:
        self.tree = tree
        self.ctx = context
        # the noun-phrase reader, with this sentence's actor subjects so far
        self.phrases = Phrases(tree, context)

    @property
    def blocked(self) -> bool:
        """Whether a "he"/"she" of this sentence is a person the gazetteer does not know."""
        return self.phrases.blocked

    def plausible_trigger(self, char: int, noun: bool) -> bool:
        """Whether the parse agrees with a clause rule's reading of a trigger word
        (``deptriggers.plausible_trigger``)."""
        return deptriggers.plausible_trigger(self.tree, char, noun)

    # -- the sentence -----------------------------------------------------------
    def frames(self, sent: list[Any]) -> list[Frame]:
        self.phrases.local = []
        self.phrases.blocked = False
        self._introduced(sent)
        parties = self.parties(sent)
        # the place this sentence opens on, else the one the sentence before opened on
        self.ctx.place = self.place(sent) or self.ctx.place
        # the two states facing each other here, else in the sentence before
        pair = parties if len(parties) == 2 else self.ctx.pair
        for tok in sent:
            if tok.dep_ in ("nsubj", "nsubjpass"):
                codes = self.phrases.phrase(tok)
                if codes:
                    m = self.tree.mention.get(tok.i)
                    self.phrases.local.append((tok.i, codes, m.kind if m else MentionKind.TITLE))
                elif person_name(tok) and tok.i not in self.tree.mention:
                    self.phrases.local.append((tok.i, (), MentionKind.PERSON))
        out: list[Frame] = []
        for tok in sent:
            found = deptriggers.trigger_type(tok)
            if found is None:
                continue
            etype, noun = found
            if not noun and deptriggers.ultimatum(tok):
                etype = T.CALL_FOR  # "gave the agency 14 days to present a plan"
            if deptriggers.not_an_act(tok, etype, noun):
                continue
            cues: list[str] = []
            if deptriggers.cancelled(tok, cues, etype):
                continue
            objects = [c for c in tok.children if c.dep_ == "dobj"]
            if lemma_of(tok) == "warn" and any(
                c.dep_ == "xcomp" and c.pos_ == "VERB" for c in tok.children
            ):
                etype = T.CALL_FOR  # "warned Moscow not to interfere": a demand
            if etype is T.PROVIDE and any(
                lemma_of(o) in lx.FIGURATIVE_OBJECTS or o.lower_ in lx.FIGURATIVE_OBJECTS
                for o in objects
            ):
                continue  # "sent a clear message"
            if lemma_of(tok) in lx.NEEDS_FORCE_OBJECT and not any(
                lemma_of(o) in lx.FORCE_WORDS or o.lower_ in lx.FORCE_WORDS for o in objects
            ):
                continue  # "moved the meeting to Vienna"
            if (
                etype is T.PROVIDE
                and not noun
                and any(lemma_of(o) in lx.FORCE_WORDS for o in objects)
            ):
                etype = T.DEPLOY  # "sent troops to Poland" (to Ukraine: aid, below)
            delegation = (
                etype is T.PROVIDE
                and not noun
                and lemma_of(tok) in ("send", "dispatch")
                and any(o.lower_ in lx.DELEGATES for o in objects)
            )
            if delegation:
                etype = T.MEET  # "sent a delegation to attend the inauguration"
            if lemma_of(tok) in ("reject", "deny", "dismiss") and any(
                lemma_of(o) in CLAIMS for o in objects
            ):
                etype = T.ACCUSE  # "rejected Pakistan's allegation as baseless"
            if etype is T.BLOCK and any(lemma_of(o) in MEMBERSHIP_OBJECTS for o in objects):
                etype = T.OPPOSE_MEMBERSHIP  # "held up Sweden's bid"
            actors, more = depactors.actors(self.phrases, tok, noun)
            cues.extend(more)
            targets = tuple(
                t for t in deptargets.targets(self.phrases, tok, etype, noun) if t not in actors
            )
            if delegation and not targets:
                # "... to attend the inauguration of Taiwan's new president": the state
                # whose event the delegation attends
                targets = tuple(
                    t for t in deptargets.attended(self.phrases, tok) if t not in actors
                )
            if etype is T.BLOCK and not targets and not noun:
                targets = deptargets.answered(self.ctx, objects, actors)
            if etype in (T.ACCUSE, T.BLOCK) and not targets and not noun:
                owners = deptargets.owner(self.ctx, objects, actors)
                if owners:
                    # "Islamabad rejected the resolution": the U.S. Congress's, named before
                    targets, etype = owners, T.ACCUSE
            if etype is T.DEPLOY and lemma_of(tok) in JOINT and actors:
                partners = tuple(
                    t for t in deptargets.done_with(self.phrases, tok) if t not in actors
                )
                if partners:  # "held an exercise with India": a meeting with each
                    out.append(Frame(T.MEET, actors, partners, tok, noun, list(cues)))
            if etype is T.CALL_FOR and actors and targets:
                self.ctx.call = (actors, targets)
            if etype is T.JOIN:
                targets = tuple(t for t in targets if t in ORGS)
            if etype is T.DEPLOY and targets == ("UKR",) and lemma_of(tok) in lx.VERBS and (
                lx.VERBS[lemma_of(tok)] is T.PROVIDE
            ):
                etype = T.PROVIDE  # forces sent to the partner at war are aid
            if etype is T.MEET and not targets and len(actors) >= 2:
                # "Kenya and Somalia held talks", "the UK and France signed an agreement"
                for a in actors:
                    out.append(
                        Frame(etype, (a,), tuple(t for t in actors if t != a), tok, noun, cues)
                    )
                continue
            if etype is T.MEET and noun and not actors and not targets and pair:
                # "Washington and Pyongyang have been locked in their positions since
                # talks failed in Hanoi": the two sides named last meet each other
                if tok.lower_ in PAIR_MEETINGS and deptriggers.held(tok):
                    for a in pair:
                        others = tuple(t for t in pair if t != a)
                        out.append(Frame(etype, (a,), others, tok, noun, [*cues, "nominal"]))
                continue
            if etype is T.WITHDRAW and not targets and not noun and any(
                lemma_of(o) in ("ambassador", "envoy") for o in objects
            ):
                # "Erdogan suggested Macron needed treatment, prompting France to recall
                # its ambassador": the one other state the sentence names
                targets = self.other_state(sent, actors)
            if etype is not T.CALL_FOR and not targets:
                continue  # events without a counterpart are left to the clause rules
            if not targets and noun and lemma_of(tok) in NEEDS_ADDRESSEE:
                continue  # "a proposal to build a road"
            if not targets and not noun and lemma_of(tok) in lx.wordnet_verbs():
                continue  # a verb of the generated lexicon needs an actor as counterpart
            if (
                etype is T.CALL_FOR
                and not targets
                and lemma_of(tok) == "call"
                and not any(c.lower_ == "for" for c in tok.children)
            ):
                continue  # "what it called provocations on the border"
            between = any(
                c.dep_ == "prep" and c.lower_ in ("between", "among") for c in tok.children
            )
            if etype is T.MEET and noun and not actors and len(targets) >= 2 and between:
                # "talks between Poland and Lithuania": each side meets the other
                for a in targets:
                    out.append(
                        Frame(
                            etype,
                            (a,),
                            tuple(t for t in targets if t != a),
                            tok,
                            noun,
                            [*cues, "nominal"],
                        )
                    )
                continue
            if not actors:
                continue
            if etype is T.MEET and not noun and not targets and len(actors) >= 2:
                for a in actors:
                    out.append(
                        Frame(etype, (a,), tuple(t for t in actors if t != a), tok, noun, cues)
                    )
                continue
            targets = tuple(t for t in targets if t not in actors)
            out.append(Frame(etype, actors, targets, tok, noun, cues))
        out.extend(depspeech.appeals(self.phrases, sent))
        out.extend(self._refused_calls(sent))
        out.extend(self._forces_moved(sent))
        return out

    def _refused_calls(self, sent: list[Any]) -> list[Frame]:
        """Calls someone defies, ignores or rejects were made: "Russia ignored calls by
        the United Nations to withdraw", "the military continues to defy calls, including
        by the Security Council, to end violations" (``call-for``, from whoever made them
        to whoever refuses them; with a possessor, "the EU's call", too)."""
        out: list[Frame] = []
        for tok in sent:
            if tok.pos_ != "NOUN" or lemma_of(tok) not in REFUSED_CALLS:
                continue
            if tok.dep_ != "dobj" or lemma_of(tok.head) not in REFUSING:
                continue
            callers: list[str] = []
            for child in tok.children:
                if child.dep_ == "poss":
                    callers.extend(self.phrases.phrase(child))
                preps = [child]
                if child.dep_ == "prep" and child.lower_ == "including":
                    preps = list(child.children)  # "calls, including by the council,"
                for prep in preps:
                    if prep.dep_ in ("prep", "agent") and prep.lower_ in ("by", "from"):
                        for obj in prep.children:
                            if obj.dep_ == "pobj":
                                callers.extend(self.phrases.phrase(obj))
            if not callers:
                continue
            cues: list[str] = []
            if deptriggers.cancelled(tok.head, cues, T.CALL_FOR):
                continue
            refusers = depactors.actors(self.phrases, tok.head, False)[0]
            targets = tuple(t for t in refusers if t not in callers)
            if targets:
                out.append(Frame(T.CALL_FOR, tuple(dict.fromkeys(callers)), targets, tok, True,
                                 [*cues, "nominal"]))
        return out

    def _forces_moved(self, sent: list[Any]) -> list[Frame]:
        """A force as subject is deployed by its owner: "forces of the UN mission have been
        deployed", "additional European peacekeepers arrived in Bosnia", "U.S. warships
        passed into the sea" (``deploy``; the place is the target, none at sea)."""
        out: list[Frame] = []
        for tok in sent:
            if tok.pos_ != "VERB":
                continue
            lemma = lemma_of(tok)
            passive = any(c.dep_ == "auxpass" for c in tok.children)
            if not (lemma in MOVING or (lemma in DEPLOYED and passive)):
                continue
            if any(c.dep_ == "agent" for c in tok.children):
                continue  # "deployed by Germany": the clause rules read the agent
            subj = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")]
            if not subj or not (
                subj[0].lower_ in lx.FORCE_WORDS or lemma_of(subj[0]) in PEACEKEEPERS
            ):
                continue
            cues: list[str] = []
            if deptriggers.cancelled(tok, cues, T.DEPLOY):
                continue
            actors = self.phrases.phrase(subj[0], loose=True)
            if not actors:
                continue
            targets: list[str] = []
            at_sea = False
            for child in tok.children:
                if child.dep_ == "prep" and child.lower_ in ("in", "into", "to", "near"):
                    for obj in child.children:
                        if obj.dep_ == "pobj":
                            targets.extend(self.phrases.phrase(obj, loose=True))
                            at_sea = at_sea or lemma_of(obj) in NO_STATE
            if not targets and passive:
                # "forces of the UN mission in the Central African Republic were deployed"
                for sub in subj[0].subtree:
                    if sub.dep_ == "prep" and sub.lower_ == "in":
                        for obj in sub.children:
                            if obj.dep_ == "pobj":
                                targets.extend(self.phrases.phrase(obj, loose=True))
            if any(t in actors for t in targets):
                continue  # at home: "Somali troops arrived in Somalia"
            if not targets and not at_sea:
                continue
            out.append(Frame(T.DEPLOY, actors, tuple(dict.fromkeys(targets)), tok, False, cues))
        return out

    def parties(self, sent: list[Any]) -> tuple[str, ...]:
        """The states the sentence names as parties: subjects and possessors, not
        objects ("Washington's call ... and Pyongyang's demand ...", "the Thai government
        said China had asked ..."), for ``context.address_calls``."""
        out: list[str] = []
        for tok in sent:
            if tok.dep_ in ("nsubj", "nsubjpass", "poss") and tok.lower_ not in (
                PERSON_PRONOUNS | STATE_PRONOUNS | PLURAL_PRONOUNS
            ):
                out.extend(c for c in self.phrases.phrase(tok) if c not in ORGS)
        return tuple(dict.fromkeys(out))

    def _introduced(self, sent: list[Any]) -> None:
        """A new name as the main subject right after a sentence whose main subject is an
        office holder named by title alone: the same person ("The U.N. special envoy for
        Syria is calling for ... Geir Pedersen issued his appeal Friday")."""
        titled, self.ctx.titled = self.ctx.titled, None
        if titled is None:
            return
        for tok in sent:
            if tok.dep_ == "nsubj" and tok.head.dep_ == "ROOT":
                if (
                    tok.i not in self.tree.mention
                    and str(tok.text) not in self.ctx.names
                    and person_name(tok)
                    and not self.phrases.phrase(tok)
                ):
                    self.phrases.remember(tok, titled)
                return

    def other_state(self, sent: list[Any], actors: tuple[str, ...]) -> tuple[str, ...]:
        """The one state other than ``actors`` that a sentence names (in any position,
        as a name, an adjective or an office holder), else none."""
        others: set[str] = set()
        for tok in sent:
            m = self.tree.mention.get(tok.i)
            if m is None:
                continue
            others.update(c for c in m.codes if c not in actors and c not in ORGS)
        return (others.pop(),) if len(others) == 1 else ()

    def place(self, sent: list[Any]) -> tuple[str, ...] | None:
        """The one state a sentence opens on as its place: "In Malawi, aid agencies and
        the government were able to start relief operations"."""
        first = next((t for t in sent if not t.is_punct and not t.is_space), None)
        if first is None or first.lower_ != "in" or first.dep_ != "prep":
            return None
        if first.head.dep_ != "ROOT":
            return None
        for obj in first.children:
            if obj.dep_ == "pobj":
                m = self.tree.mention.get(obj.i)
                if m is not None and not m.modifier and len(m.codes) == 1 and (
                    m.codes[0] not in ORGS
                ):
                    return m.codes
        return None

    def subjects(self, sent: list[Any]) -> None:
        """Remember the sentence's actor subjects for pronouns in the next ones, and the
        last organisation it names (in any position) for "the bloc"."""
        seen: set[int] = set()
        self.ctx.previous = None
        self._owners(sent)
        parties = self.parties(sent)
        self.ctx.pair = parties if len(parties) == 2 else None
        self.ctx.place = self.place(sent)
        for tok in sent:
            if tok.dep_ != "conj" and any(c.dep_ == "conj" for c in tok.children):
                states = [
                    self.tree.mention[t.i].codes[0]
                    for t in conjuncts(tok)
                    if t.i in self.tree.mention
                    and len(self.tree.mention[t.i].codes) == 1
                    and self.tree.mention[t.i].codes[0] not in ORGS
                    and not self.tree.mention[t.i].modifier
                ]
                if len(set(states)) >= 3:
                    self.ctx.listed = tuple(dict.fromkeys(states))
        for tok in sent:
            m = self.tree.mention.get(tok.i)
            if m is not None and len(m.codes) == 1 and m.codes[0] in ORGS and not m.modifier and (
                id(m) not in seen
            ):
                seen.add(id(m))
                self.ctx.named_institution(m.codes, m.text)
                self.ctx.organisation = m.codes
                self.ctx.organisations[m.codes[0]] = self.ctx.organisations.get(m.codes[0], 0) + 1
        for tok in sent:
            if tok.dep_ in ("nsubj", "nsubjpass") and tok.lower_ not in (
                PERSON_PRONOUNS | STATE_PRONOUNS | PLURAL_PRONOUNS
            ):
                m = self.tree.mention.get(tok.i)
                codes = self.phrases.phrase(tok)
                if codes:
                    kind = m.kind if m is not None else MentionKind.TITLE
                    if m is None and str(tok.text) in self.ctx.names:
                        kind = MentionKind.PERSON  # a person introduced with an office
                    elif kind is MentionKind.PERSON and any(
                        c.dep_ == "det" for c in tok.children
                    ):
                        kind = MentionKind.ORGANISATION  # "the Taliban": no "he"
                    elif m is None:
                        kind = title_kind(tok)  # "the envoy": "he"; "the authorities": no
                    if self.ctx.previous is None and tok.dep_ == "nsubj" and (
                        tok.head.dep_ == "ROOT"
                    ):
                        self.ctx.previous = codes
                        if m is None and kind is MentionKind.PERSON and not any(
                            c.pos_ == "PROPN" and c.i not in self.tree.mention
                            for c in tok.subtree
                        ):
                            self.ctx.titled = codes  # an office holder not yet named
                    self.ctx.note(codes, kind)
                elif person_name(tok) and tok.i not in self.tree.mention:
                    self.ctx.unknown_person()

    def _owners(self, sent: list[Any]) -> None:
        """Remember who issued the resolutions, statements, plans ... the sentence names
        ("a resolution in the U.S. Congress", "Pakistan's allegation", "the EU adopted a
        plan"), for a later "rejected the resolution"."""
        for tok in sent:
            lemma = lemma_of(tok)
            if lemma not in OWNED or tok.pos_ != "NOUN":
                continue
            codes: tuple[str, ...] = ()
            for child in tok.children:
                if child.dep_ in ("poss", "compound", "amod", "nmod"):
                    codes = self.phrases.modifier(child, 0)
                elif child.dep_ == "prep" and child.lower_ in ("in", "by", "from", "of"):
                    for obj in child.children:
                        if obj.dep_ == "pobj":
                            codes = self.phrases.phrase(obj, loose=True)
                if codes:
                    break
            if not codes and tok.dep_ == "dobj" and lemma_of(tok.head) in ISSUING:
                codes = depactors.actors(self.phrases, tok.head, False)[0]
            if codes:
                self.ctx.owned[lemma] = codes
