"""Who acts: the actors of a trigger (stage 4b, ``depevents``).

The actor is the trigger's subject, its passive ``by`` agent, the possessor or compound
of a noun trigger ("Hungary's veto", "EU sanctions"), the subject of a light verb over a
noun trigger ("held talks"), the subject of the verb that controls it ("decided to
send"; "allowed Latvia to send": Latvia, cue ``authorised``; "urged Germany to send": no
act of Germany), the antecedent of a relative pronoun ("Poland, which sent"), or,
through a pronoun or "the country", the last actor named (``depphrases``); the object
of an implicative verb acts ("prompting France to recall"); a first-person subject in a
quotation is the quotation's named speaker (or, when the quotation opens its sentence
with no speaker, the subject of the sentence before).
"""

from __future__ import annotations

from typing import Any

from allied.monitor.deplexicon import (
    AUTHORISING,
    FIRST_PERSON,
    IMPLYING,
    LIGHT,
    PERSON_PRONOUNS,
    PLURAL_PRONOUNS,
    SPEECH,
    STATE_PRONOUNS,
    SUBJECT_DEPS,
)
from allied.monitor.depphrases import Phrases
from allied.monitor.deptree import lemma_of


def actors(phrases: Phrases, tok: Any, noun: bool) -> tuple[tuple[str, ...], list[str]]:
    cues: list[str] = []
    if noun:
        return noun_actors(phrases, tok, cues), cues
    node = tok
    for _ in range(5):
        subj = [c for c in node.children if c.dep_ in SUBJECT_DEPS]
        passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in node.children)
        if passive:
            for c in node.children:
                if c.dep_ == "agent":
                    for obj in c.children:
                        if obj.dep_ == "pobj":
                            return phrases.phrase(obj), cues
            if node is tok:
                return (), cues
        if subj:
            s = subj[0]
            if s.tag_ in ("WDT", "WP") or s.lower_ == "that":
                if node.dep_ == "relcl":
                    return phrases.phrase(node.head), cues
                return (), cues
            if s.lower_ in FIRST_PERSON:
                speaker = quotation_speaker(phrases, node)
                if not speaker and opens_quotation(tok):
                    speaker = phrases.ctx.previous or ()
                return speaker, [*cues, "quoted"]
            codes = phrases.phrase(s, refer=True)
            if str(s.lower_) in PERSON_PRONOUNS | STATE_PRONOUNS | PLURAL_PRONOUNS:
                cues.append("pronoun")
            return codes, cues
        if node.dep_ == "relcl":
            return phrases.phrase(node.head), cues
        if node.dep_ == "xcomp" or (
            node.dep_ == "advcl" and any(c.lower_ == "to" for c in node.children)
        ):
            head = node.head
            objects = [c for c in head.children if c.dep_ in ("dobj", "dative")]
            if objects and lemma_of(head) in AUTHORISING:
                cues.append("authorised")
                return phrases.phrase(objects[0], loose=True), cues
            if objects and lemma_of(head) in IMPLYING and node.dep_ == "xcomp":
                return phrases.phrase(objects[0], refer=True), cues  # "prompting France to"
            if objects:
                return (), cues  # "urged Germany to send": not an act
            node = head
            continue
        if node.dep_ in ("conj", "advcl") and node.head is not node:
            node = node.head
            continue
        if node.dep_ == "acl":
            # "issued a series of warnings demanding ...": the issuer
            noun_head = node.head
            while noun_head.dep_ == "pobj" and noun_head.head.lower_ == "of":
                noun_head = noun_head.head.head
            if noun_head.dep_ in ("dobj", "attr") and lemma_of(noun_head.head) in LIGHT | {
                "issue",
                "release",
                "publish",
            }:
                node = noun_head.head
                continue
            return (), cues
        break
    return (), cues


def noun_actors(phrases: Phrases, tok: Any, cues: list[str]) -> tuple[str, ...]:
    cues.append("nominal")
    for child in tok.children:
        if child.dep_ in ("poss", "compound", "amod", "nmod"):
            codes = phrases.modifier(child, 0) or phrases.phrase(
                child, loose=True, refer=child.dep_ == "poss"
            )
            if codes:
                return codes
        if child.dep_ == "prep" and child.lower_ == "by":
            for obj in child.children:
                if obj.dep_ == "pobj":
                    return phrases.phrase(obj)
        if child.dep_ == "acl":
            # "a French-proposed truce", "sanctions imposed by the EU"
            for c in child.children:
                if c.dep_ == "agent":
                    for obj in c.children:
                        if obj.dep_ == "pobj":
                            return phrases.phrase(obj)
    head = tok.head
    if tok.dep_ in ("dobj", "attr", "nsubjpass") and lemma_of(head) in LIGHT:
        codes, more = actors(phrases, head, False)
        cues.extend(more)
        return codes
    if tok.dep_ == "pobj" and head.dep_ == "prep" and head.head.pos_ == "VERB":
        verb = head.head
        if lemma_of(verb) in LIGHT or head.lower_ in ("in", "at", "during"):
            codes, more = actors(phrases, verb, False)
            cues.extend(more)
            return codes
    return ()


def quotation_speaker(phrases: Phrases, node: Any) -> tuple[str, ...]:
    """"We urge Pakistan to stop," the ministry said: the speaker of the quotation
    whose clause ``node`` is (a first-person subject speaks for the speaker's actor)."""
    for _ in range(4):
        head = node.head
        if head is node:
            return ()
        if node.dep_ in ("ccomp", "parataxis") and lemma_of(head) in SPEECH:
            subj = [c for c in head.children if c.dep_ == "nsubj"]
            # named, not a pronoun: "he said" may be anyone quoted
            return phrases.phrase(subj[0]) if subj else ()
        if node.dep_ not in ("conj", "ccomp", "parataxis", "xcomp"):
            return ()
        node = head
    return ()


def opens_quotation(tok: Any) -> bool:
    """Whether ``tok``'s sentence opens with a quotation mark and has no verb of
    speech (so its speaker is introduced by the sentence before)."""
    sent = tok.sent
    first = sent[0]
    return bool(
        first.text in ("“", '"', "'", "‘")
        and not any(
            lemma_of(t) in SPEECH
            and t.pos_ == "VERB"
            and any(c.dep_ == "nsubj" and c.lower_ not in FIRST_PERSON for c in t.children)
            for t in sent
        )
    )
