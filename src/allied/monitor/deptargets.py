"""The targets of a trigger (stage 4b, ``depevents``).

- targets fill the slots of the type (``syntax.TARGET_SLOTS``): the direct or indirect
  object, the objects of the type's prepositions, and every conjunct of them ("met
  ministers from Spain, Portugal and the EU"); for types aimed at an act, the object's
  possessor or modifier ("vetoed Sweden's accession", "tariffs on Canadian steel");
- a proposal or request "for X to act" is a call on X; "demanded that Beijing remove"
  calls on Beijing; "threatened to use force against X" accuses X; an allegation names
  the accused or the place the act was planned in;
- a refusal of "the request" blocks whoever made the last call to the refuser
  (``answered``); a rejected resolution or statement with no owner named accuses its
  owner named before (``owner``); an exercise held "with" states meets them
  (``done_with``).
"""

from __future__ import annotations

from typing import Any

from allied.monitor.context import Context
from allied.monitor.deplexicon import (
    ASKED,
    CLAIM_NOUNS,
    LIGHT,
    LOOSE_TYPES,
    OWNED,
    PAIRS,
    POPULATION,
    TO_THE_PARTIES,
)
from allied.monitor.depphrases import Phrases
from allied.monitor.deptree import conjuncts, lemma_of
from allied.monitor.model import EventType
from allied.monitor.syntax import ORGS, TARGET_SLOTS

T = EventType


def targets(phrases: Phrases, tok: Any, etype: EventType, noun: bool) -> tuple[str, ...]:
    slots = TARGET_SLOTS.get(etype, ())
    if etype is T.PROVIDE:
        slots = (("prep", frozenset({"to"})), ("direct", frozenset()))
    if etype is T.CALL_FOR:
        slots = (("direct", frozenset()), ("prep", frozenset({"on", "upon"})))
    if etype in (T.SUPPORT_MEMBERSHIP, T.OPPOSE_MEMBERSHIP):
        slots = (("direct", frozenset()), ("prep", frozenset({"to", "for", "of"})))
    loose = etype in LOOSE_TYPES
    if noun and loose:
        slots = (*slots, ("prep", frozenset({"of", "on", "against", "over"})))
    found: list[str] = []
    nodes = [tok]
    if noun and tok.dep_ in ("dobj", "attr") and lemma_of(tok.head) in LIGHT:
        nodes.append(tok.head)  # "imposed tariffs on Canada": the verb's "on"
    if noun and tok.dep_ == "pobj" and tok.head.dep_ == "prep" and (
        tok.head.head.pos_ == "VERB"
    ):
        nodes.append(tok.head.head)  # "told Trump in phone conversations"
    if not noun:
        for child in tok.children:
            if child.dep_ == "dobj" and (lemma_of(tok), lemma_of(child)) in PAIRS:
                nodes.append(child)  # "signed an agreement with Greece"
    if etype is T.WITHDRAW:
        slots = (*slots, ("prep", frozenset({"with"})))  # "cut ties with Kenya"
        if any(c.dep_ == "dobj" and lemma_of(c) in ("ambassador", "envoy") for c in tok.children):
            # "recalled its ambassador to Italy": the state the ambassador served in
            slots = (*slots, ("prep", frozenset({"to", "in"})))
    if noun and etype is T.DEPLOY:
        for child in tok.children:
            if child.dep_ == "acl":
                nodes.append(child)  # "drills encircling Taiwan"
    for kind, preps in slots:
        for node in nodes:
            for child in node.children:
                if kind == "direct" and child.dep_ in ("dobj", "dative", "nsubjpass"):
                    if etype is T.PROVIDE and child.dep_ == "dobj":
                        continue  # the thing given; the recipient is "to" or dative
                    found.extend(phrases.phrase(child, loose=loose))
                    if (
                        child.lower_ in ("him", "her")
                        and etype in (T.ACCUSE, T.SANCTION, T.BLOCK)
                        and phrases.ctx.named
                    ):
                        found.extend(phrases.ctx.named)  # "barred him": the person named
                    if etype in (T.ACCUSE, T.SANCTION, T.BLOCK) and lemma_of(tok) != "warn":
                        found.extend(inside(phrases, child))
                if kind in ("prep", "direct") and child.dep_ in ("prep", "dative"):
                    if kind == "prep" and child.lower_ not in preps:
                        continue
                    if kind == "direct" and child.dep_ != "dative":
                        continue
                    for obj in child.children:
                        if obj.dep_ == "pobj":
                            found.extend(phrases.phrase(obj, loose=loose))
                            if etype is T.PROVIDE and lemma_of(obj) in POPULATION:
                                found.extend(
                                    population(phrases, obj) or phrases.ctx.place or ()
                                )
                            if etype in (T.SANCTION, T.DEPLOY, T.ACCUSE):
                                found.extend(inside(phrases, obj))
                if (
                    kind == "any"
                    and etype in (T.SUPPORT_MEMBERSHIP, T.OPPOSE_MEMBERSHIP)
                    and (child.dep_ in ("dobj", "prep", "pobj"))
                ):
                    for sub in child.subtree:
                        m = phrases.tree.mention.get(sub.i)
                        if m is not None and not m.modifier:
                            found.extend(m.codes)
        if found:
            break
    if not noun and not found and etype is T.CALL_FOR:
        for child in tok.children:
            # "demanded that Beijing remove them", "called for the Taliban to lift"
            if child.dep_ in ("ccomp", "advcl") and any(
                c.dep_ == "mark" and c.lower_ in ("that", "for") for c in child.children
            ):
                for c in child.children:
                    if c.dep_ == "nsubj":
                        found.extend(phrases.phrase(c))
    if noun and not found and etype is T.CALL_FOR:
        # "a proposal for the Security Council to lift sanctions", "filed requests for
        # the court to postpone": whoever the infinitive's subject is, is asked
        # the noun itself or its participle ("a proposal made on Monday for the UN to")
        carriers = [tok, *(c for c in tok.children if c.dep_ == "acl" and c.tag_ == "VBN")]
        for carrier in carriers:
            to_clause = any(
                c.dep_ in ("acl", "advcl") and any(a.lower_ == "to" for a in c.children)
                for c in carrier.children
            )
            for child in carrier.children:
                if child.dep_ == "prep" and child.lower_ == "for" and to_clause:
                    for obj in child.children:
                        if obj.dep_ == "pobj":
                            found.extend(phrases.phrase(obj))
        for node in nodes:
            for child in node.children:
                if child.dep_ in ("advcl", "acl") and any(
                    c.dep_ == "mark" and c.lower_ == "for" for c in child.children
                ):
                    for c in child.children:
                        if c.dep_ == "nsubj":
                            found.extend(phrases.phrase(c))
    if not found and etype is T.ACCUSE and lemma_of(tok) == "threaten":
        # "threatened to use force against Afghanistan": the state threatened
        for child in tok.children:
            if child.dep_ == "xcomp":
                for sub in child.subtree:
                    if sub.dep_ == "prep" and sub.lower_ in ("against", "on"):
                        for obj in sub.children:
                            if obj.dep_ == "pobj":
                                found.extend(phrases.phrase(obj, loose=True))
    if not found and etype is T.CALL_FOR:
        # "called for an inclusive government in Syria": the state the call is about
        for node in nodes:
            for child in node.children:
                if child.dep_ == "prep" and child.lower_ == "for":
                    for obj in child.children:
                        if obj.dep_ == "pobj":
                            found.extend(about(phrases, obj))
    if not found and etype is T.ACCUSE and (
        (noun and lemma_of(tok) in CLAIM_NOUNS) or (not noun and lemma_of(tok) == "allege")
    ):
        # "Canada's allegation that India had a role", "Peru alleged that Chilean
        # troops crossed": the clause's subject; "... that the attack was planned
        # from Afghan soil": the place it names (guidelines 5, 11.3)
        for child in tok.children:
            if child.dep_ in ("acl", "ccomp") and any(
                c.dep_ == "mark" and c.lower_ == "that" for c in child.children
            ):
                for c in child.children:
                    if c.dep_ in ("nsubj", "nsubjpass"):
                        found.extend(phrases.phrase(c, loose=True))
                if not found:
                    found.extend(planned_from(phrases, child))
    if not found and etype is T.ACCUSE and lemma_of(tok) == "warn":
        # "warned that the Somali government's actions would divide the country"
        for child in tok.children:
            if child.dep_ == "ccomp":
                for c in child.children:
                    if c.dep_ in ("nsubj", "nsubjpass"):
                        found.extend(phrases.phrase(c, loose=True))
                        found.extend(inside(phrases, c))
    if noun and not found and etype is T.CALL_FOR:
        # "the demand that NATO abandons its open-door policy": the clause's subject
        for child in tok.children:
            if child.dep_ in ("acl", "ccomp") and any(
                c.dep_ == "mark" for c in child.children
            ):
                for c in child.children:
                    if c.dep_ == "nsubj":
                        found.extend(phrases.phrase(c))
    if noun and not found and etype is T.MEET:
        found.extend(between(phrases, tok))
    return tuple(dict.fromkeys(found))


def attended(phrases: Phrases, verb: Any) -> list[str]:
    """The states whose event those sent attend or visit: "sent a delegation to attend the
    inauguration of Taiwan's new president" (the actors the purpose clause names)."""
    out: list[str] = []
    for child in verb.children:
        if child.dep_ in ("xcomp", "advcl") and lemma_of(child) in ("attend", "visit", "join"):
            for sub in child.subtree:
                m = phrases.tree.mention.get(sub.i)
                if m is not None and sub.i != child.i:
                    out.extend(m.codes)
    return list(dict.fromkeys(out))


def population(phrases: Phrases, head: Any, depth: int = 0) -> list[str]:
    """The state whose people receive aid: "to affected people in Malawi", "to the
    population of Gaza", "to Ukrainian refugees", "to people in Mulanje district of
    Malawi" (guidelines 5, provide)."""
    out: list[str] = []
    for child in head.children:
        if child.dep_ == "prep" and child.lower_ in ("of", "in"):
            for obj in child.children:
                if obj.dep_ == "pobj":
                    found = phrases.phrase(obj, loose=True)
                    out.extend(found or (population(phrases, obj, depth + 1) if depth < 2 else ()))
        elif child.dep_ in ("amod", "compound", "nmod"):
            m = phrases.tree.mention.get(child.i)
            if m is not None:
                out.extend(m.codes)
    return out


def inside(phrases: Phrases, head: Any) -> list[str]:
    """Actors modifying an object noun: "tariffs on Chinese goods", "China's subsidies"."""
    out: list[str] = []
    for child in head.children:
        if child.dep_ in ("poss", "amod", "compound", "nmod"):
            m = phrases.tree.mention.get(child.i)
            if m is not None:
                out.extend(m.codes)
        if child.dep_ == "prep" and child.lower_ == "of":
            for obj in child.children:
                if obj.dep_ == "pobj":
                    out.extend(phrases.phrase(obj, loose=True))
    return out


def planned_from(phrases: Phrases, clause: Any) -> list[str]:
    """The state an alleged act is placed in: "was planned in Armenia", "directed
    from Afghan soil" (the clause's own "in/from" phrases and their conjuncts)."""
    out: list[str] = []
    for verb in conjuncts(clause):
        for child in verb.children:
            if child.dep_ == "prep" and child.lower_ in ("in", "from"):
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        out.extend(phrases.phrase(obj, loose=True))
                        out.extend(
                            c for c in inside(phrases, obj) if c not in ORGS
                        )  # "Afghan soil"
    return out


def about(phrases: Phrases, head: Any) -> list[str]:
    """The state a called-for thing is in or for: "a government in Syria", "elections
    for Venezuela" (its own modifiers too: "Syria's new government")."""
    out: list[str] = []
    if lemma_of(head) in TO_THE_PARTIES:
        return out  # "a ceasefire in Ukraine" is asked of the warring parties
    for child in head.children:
        if child.dep_ == "poss":
            out.extend(phrases.phrase(child))
        if child.dep_ == "prep" and child.lower_ in ("in", "for"):
            for obj in child.children:
                if obj.dep_ == "pobj":
                    out.extend(phrases.phrase(obj))
    return out


def between(phrases: Phrases, tok: Any) -> list[str]:
    out: list[str] = []
    for child in tok.children:
        if child.dep_ == "prep" and child.lower_ in ("between", "among"):
            for obj in child.children:
                if obj.dep_ == "pobj":
                    out.extend(phrases.phrase(obj, loose=True))
    return out


def done_with(phrases: Phrases, tok: Any) -> list[str]:
    """The actors "with" whom ``tok`` (or the light verb over it) is done."""
    nodes = [tok]
    if tok.dep_ in ("dobj", "attr") and lemma_of(tok.head) in LIGHT:
        nodes.append(tok.head)
    out: list[str] = []
    for node in nodes:
        for child in node.children:
            if child.dep_ == "prep" and child.lower_ == "with":
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        out.extend(phrases.phrase(obj))
    return out


def answered(ctx: Context, objects: list[Any], actors: tuple[str, ...]) -> tuple[str, ...]:
    """"Trump denied the request": a refusal of "the request" (no owner named) blocks
    whoever made the last call read, when it was addressed to the refuser."""
    if ctx.call is None or not actors:
        return ()
    callers, addressees = ctx.call
    for obj in objects:
        if (
            lemma_of(obj) in ASKED
            and any(
                c.dep_ == "det" and c.lower_ in ("the", "this", "that") for c in obj.children
            )
            and not any(c.dep_ in ("poss", "amod", "compound") for c in obj.children)
            and set(actors) & set(addressees)
        ):
            return tuple(c for c in callers if c not in actors)
    return ()


def owner(ctx: Context, objects: list[Any], actors: tuple[str, ...]) -> tuple[str, ...]:
    """Whose is "the resolution" (or "the allegations", "the decision") a sentence
    rejects or condemns without naming its owner: the actor it was named with last
    (``Context.owned``), if not the rejecter."""
    if not actors:
        return ()
    for obj in objects:
        if lemma_of(obj) in OWNED and any(
            c.dep_ == "det" and c.lower_ in ("the", "this", "that", "these", "those")
            for c in obj.children
        ) and not any(c.dep_ in ("poss", "amod", "compound", "prep") for c in obj.children):
            owners = ctx.owned.get(lemma_of(obj), ())
            return tuple(o for o in owners if o not in actors)
    return ()
