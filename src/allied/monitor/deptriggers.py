"""Triggers and whether they tell an act (stage 4b, ``depevents``).

- triggers: the clause rules' lexicon (``lexicon``), then ``deplexicon``'s
  ``EXTRA_VERBS``/``EXTRA_NOUNS``/``PAIRS``, then the WordNet-derived verbs
  (``lexicon.wordnet_verbs``), which need an actor as counterpart (``trigger_type``);
  the parse also vets the clause rules' triggers (``plausible_trigger``);
- negation, conditions and modals ("would", "could") cancel an event; "will", a plan or
  a pledge lower its confidence (cue ``intent``); a verb of speech over it marks it
  ``reported`` (``cancelled``);
- no act of its own: purchases (left to the clause rules), a verb governing another
  ("offered to station troops"), a noun of another noun ("the adoption of EU
  sanctions"), a noun refused or undone ("resisted EU sanctions", "lifted the tariffs")
  (``not_an_act``); a meeting noun with no side named counts only when told as held
  ("since talks failed", not "called for talks") (``held``).
"""

from __future__ import annotations

from typing import Any

from allied.monitor import lexicon as lx
from allied.monitor.deplexicon import (
    ACCUSE_ADJECTIVES,
    BARRING,
    CANCEL_AUX,
    CANCEL_HEADS,
    CLAIM_NOUNS,
    CLAIMS,
    EXTRA_NOUNS,
    EXTRA_VERBS,
    FORMER,
    INTENT_AUX,
    INTENT_HEADS,
    JOINT,
    LEFT_TO_RULES,
    OBLIGATION,
    PAIRS,
    PERMITTING,
    PRESSING,
    RARELY,
    SPEECH,
    UNDOING,
)
from allied.monitor.deptree import Tree, lemma_of
from allied.monitor.model import EventType

T = EventType


def trigger_type(tok: Any) -> tuple[EventType, bool] | None:
    lemma = lemma_of(tok)
    if tok.pos_ == "VERB":
        for child in tok.children:
            key = (lemma, lemma_of(child))
            if child.dep_ in ("prt", "prep", "dobj") and key in PAIRS:
                return PAIRS[key], False
            if child.dep_ in ("prt", "prep") and lemma in lx.PHRASAL:
                etype = lx.PHRASAL[lemma].get(lemma_of(child))
                if etype is not None:
                    return etype, False
        if lemma in ("call", "press", "push", "appeal", "talk", "pull", "hold", "apply"):
            if lemma == "call" and _calls_unfair(tok):
                return T.ACCUSE, False
            if lemma == "call" and any(
                c.dep_ == "advcl" and any(m.lower_ == "for" for m in c.children)
                for c in tok.children
            ):
                return T.CALL_FOR, False  # "called for the Taliban to lift the ban"
            return None  # only with their particles
        if lemma in lx.VERBS:
            return lx.VERBS[lemma], False
        if lemma in EXTRA_VERBS:
            return EXTRA_VERBS[lemma], False
        if lemma in lx.wordnet_verbs():
            return lx.wordnet_verbs()[lemma], False
        return None
    if tok.pos_ == "NOUN" and tok.dep_ != "compound":
        if lemma in ("support", "aid", "assistance", "call", "package", "application"):
            preps = {c.lower_ for c in tok.children if c.dep_ == "prep"}
            needs = lx.NOUN_NEEDS_NEXT.get(lemma, frozenset())
            if not preps & needs and lemma != "call":
                return None
            if lemma == "call" and not preps & {"for", "on", "with", "between"}:
                return None
            if lemma == "call" and preps & {"with", "between"}:
                return T.MEET, True
        if lemma in ("statement", "declaration", "communique", "communiqué") and any(
            c.dep_ == "amod" and c.lower_ == "joint" for c in tok.children
        ):
            return T.MEET, True  # "in a joint statement, Tokyo and Washington ..."
        if lemma in lx.NOUNS:
            return lx.NOUNS[lemma], True
        if lemma in EXTRA_NOUNS:
            return EXTRA_NOUNS[lemma], True
    if (
        tok.pos_ == "PROPN"
        and tok.dep_ != "compound"
        and lemma.rstrip("s") in JOINT
        and any(c.dep_ == "compound" for c in tok.children)
    ):
        # a named exercise: "held the Malabar Joint Maritime Exercise with ..."
        return lx.NOUNS.get(lemma.rstrip("s"), T.DEPLOY), True
    return None


def _calls_unfair(tok: Any) -> bool:
    for child in tok.children:
        if child.dep_ in ("oprd", "ccomp", "xcomp", "acomp") and (
            lemma_of(child) in ACCUSE_ADJECTIVES
            or any(lemma_of(c) in ACCUSE_ADJECTIVES for c in child.children)
        ):
            return True
    return False


def _barred(tok: Any) -> bool:
    """"blocked the proposal to fund weapons", "vetoed a plan to send": the act of a
    clause of a noun that a verb of refusal or barring takes as its object is not done
    (by the verb's subject, whom the clause would otherwise take as its actor). Told in
    the passive ("Poland's offer to hand its jets was rejected by the Pentagon") the noun
    is its owner's, whose offer stands as an intent."""
    return bool(
        tok.dep_ == "acl"
        and tok.head.dep_ == "dobj"
        and lemma_of(tok.head.head) in CANCEL_HEADS | BARRING
        # "blocked Sweden's bid to join NATO": the bid, a membership sought, was made
        and lemma_of(tok) not in ("join", "accede")
    )


def plausible_trigger(tree: Tree, char: int, noun: bool) -> bool:
    """Whether the parse agrees with a clause rule's reading of a trigger word: a
    verb trigger must be tagged a verb ("press freedom", "Iran Shipping Lines" are
    not), a noun trigger must head its phrase ("a train attack", "aid workers"), and
    neither is denied ("seldom") or done by a former office holder."""
    tok = tree.at(char)
    if tok is None:
        return True
    if tok.dep_ in ("xcomp", "advcl", "ccomp") and lemma_of(tok.head) in PRESSING and any(
        c.dep_ in ("dobj", "dative") for c in tok.head.children
    ):
        return False  # "to pressure them to block the flow": not their act
    if _barred(tok):
        return False  # "blocked the proposal to fund weapons": not funded
    if lemma_of(tok) in ("reject", "deny", "dismiss") and any(
        c.dep_ == "dobj" and lemma_of(c) in CLAIMS for c in tok.children
    ):
        return False  # "rejected Pakistan's allegation": an answer, read below
    for child in tok.children:
        if child.dep_ == "advmod" and child.lower_ in RARELY:
            return False  # "seldom criticised"
        if child.dep_ in ("nsubj", "poss") and any(
            c.lower_ in FORMER for c in child.children
        ):
            return False  # "Malaysia's former prime minister criticised"
    if noun:
        return bool(tok.dep_ != "compound")
    return bool(
        tok.pos_ in ("VERB", "AUX")
        or str(tok.tag_).startswith("VB")
        or (tok.tag_ == "NN" and str(tok.text).endswith("ing"))  # "include meeting Modi"
    )


def ultimatum(tok: Any) -> bool:
    """"Kenya had given the agency 14 days to present a plan", "gave Sweden a deadline to
    act": a time given to someone to act is a demand on them, not aid."""
    if lemma_of(tok) not in ("give", "grant"):
        return False
    times = [
        c
        for c in tok.children
        if c.dep_ == "dobj"
        and (lemma_of(c) in lx.ULTIMATUM_OBJECTS or c.lower_ in lx.ULTIMATUM_OBJECTS)
    ]
    if not times:
        return False
    # "to act" on the verb ("gave Hamas 48 hours to release") or on the time ("a deadline
    # to act")
    return any(
        c.dep_ in ("xcomp", "advcl", "relcl", "acl")
        and any(a.dep_ == "aux" and a.lower_ == "to" for a in c.children)
        for c in [*tok.children, *times[0].children]
    )


def not_an_act(tok: Any, etype: EventType, noun: bool) -> bool:
    lemma = lemma_of(tok)
    if lemma in LEFT_TO_RULES or (noun and lemma in lx.BUY_VERBS):
        return True
    if (
        not noun
        and etype not in (T.CALL_FOR, T.AUTHORISE)
        and lemma not in ("warn", "threaten")
        and any(c.dep_ == "xcomp" for c in tok.children)
    ):
        return True  # "offered to station troops", "refused to deliver"
    if (
        noun
        and tok.dep_ == "pobj"
        and tok.head.lower_ == "of"
        and (tok.head.head.pos_ == "NOUN")
    ):
        return True  # "the adoption of EU sanctions", "the end of the talks"
    if noun and lemma in CLAIM_NOUNS and tok.dep_ == "dobj":
        return False  # "rejected Pakistan's allegation that ...": it was made
    # "resisted EU sanctions", "lifted the tariffs"
    return bool(
        noun
        and tok.dep_ in ("dobj", "nsubjpass", "pobj")
        and lemma_of(tok.head) in CANCEL_HEADS | UNDOING
    )


def cancelled(tok: Any, cues: list[str], etype: EventType) -> bool:
    """Negation, conditions, modals on the trigger or the verbs that govern it."""
    node = tok
    for _ in range(6):
        for child in node.children:
            low = str(child.lower_)
            if child.dep_ == "neg" or (child.dep_ == "advmod" and low in RARELY):
                return True
            if child.dep_ == "aux" and low in CANCEL_AUX:
                return True
            if child.dep_ == "aux" and low in OBLIGATION and etype is not T.CALL_FOR:
                return True
            if child.dep_ == "aux" and low in INTENT_AUX:
                cues.append("intent")
            if child.dep_ == "mark" and low in ("if", "unless", "whether"):
                return True
        if (
            node.dep_ in ("dobj", "pcomp")
            and lemma_of(node.head) in CANCEL_HEADS | {"rule"}
            and not (node is tok and lemma_of(tok) in CLAIM_NOUNS)  # an allegation made
        ):
            return True  # "refused to rule out sending"
        if _barred(node):
            return True
        if node.dep_ not in ("xcomp", "conj", "ccomp", "advcl", "dobj") or (node.head is node):
            break
        if node.dep_ == "xcomp":
            head_lemma = lemma_of(node.head)
            if head_lemma in CANCEL_HEADS or head_lemma == "rule":
                return True
            if head_lemma in INTENT_HEADS:
                cues.append("intent")
        if node.dep_ == "ccomp" and lemma_of(node.head) in PERMITTING:
            node = node.head  # "refused to allow Estonia to send": the permission's fate
            continue
        if node.dep_ == "ccomp":
            if lemma_of(node.head) in SPEECH | {"report", "claim", "allege"}:
                cues.append("reported")
            break
        node = node.head
    if tok.dep_ == "pobj" and tok.head.lower_ == "from":
        return True  # "barred from sending"
    # "without sending", "instead of sending"
    return bool(tok.dep_ == "pcomp" and tok.head.lower_ in ("from", "without", "of"))


def held(tok: Any) -> bool:
    """Whether a meeting noun is told as held: the subject of a verb ("talks failed")
    or the place of an act ("at talks in Stockholm"), not asked for ("called for
    talks", "hosted envoys for talks"), not a modifier's ("the way forward on talks",
    "the sidelines of the summit") and not under a modal or a negation."""
    if tok.dep_ in ("nsubj", "nsubjpass"):
        verb = tok.head
    elif tok.dep_ == "pobj" and tok.head.lower_ in ("at", "in", "during"):
        verb = tok.head.head
    else:
        return False
    if verb.pos_ not in ("VERB", "AUX"):
        return False
    return not any(
        c.dep_ == "neg" or (c.dep_ == "aux" and c.lower_ in CANCEL_AUX | OBLIGATION)
        for c in verb.children
    )
