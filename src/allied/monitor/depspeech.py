"""Reported speech as calls (stage 4b, ``depevents``).

Reported speech with an obligation ("X said Moscow must withdraw", "'It is up to Moscow
now,' the chancellor said", a quotation "'Europe must act,' the minister said") is the
speaker's ``call-for``; so is a statement that an action is needed ("a firm, unified
international response was urgently needed"), with no addressee. (Who speaks a
first-person quotation is read with the actors, ``depactors``.)
"""

from __future__ import annotations

from typing import Any

from allied.monitor import depactors
from allied.monitor.deplexicon import EVERYONE, OBLIGATION, SPEECH
from allied.monitor.depphrases import Phrases
from allied.monitor.deptree import Frame, lemma_of
from allied.monitor.model import EventType

T = EventType


def appeals(phrases: Phrases, sent: list[Any]) -> list[Frame]:
    """A speaker's statement of necessity is a call: "X said Moscow must withdraw"."""
    out: list[Frame] = []
    for tok in sent:
        if tok.pos_ != "VERB" or lemma_of(tok) not in SPEECH:
            continue
        speaker = [c for c in tok.children if c.dep_ == "nsubj"]
        # without a subject ("Russia denied it and said ..."): the first verb's
        actors = (
            phrases.phrase(speaker[0], refer=True)
            if speaker
            else depactors.actors(phrases, tok, False)[0]
        )
        if not actors:
            continue
        for clause in tok.children:
            if clause.dep_ not in ("ccomp", "parataxis"):
                continue
            must = (
                needed(clause, [c for c in clause.children if c.dep_ == "nsubjpass"])
                or any(c.dep_ == "aux" and c.lower_ in OBLIGATION for c in clause.children)
                or (any(c.lower_ == "up" for c in clause.children) and lemma_of(clause) == "be")
                or any(c.dep_ == "aux" and c.lower_ == "need" for c in clause.children)
            )
            if not must or any(c.dep_ == "neg" for c in clause.children):
                continue
            subj = [c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")]
            targets: tuple[str, ...] = ()
            if subj:
                targets = tuple(t for t in phrases.phrase(subj[0]) if t not in actors)
            if not targets:
                for c in clause.children:  # "it is up to Moscow"
                    if c.lower_ == "up":
                        for p in c.children:
                            if p.dep_ == "prep":
                                for obj in p.children:
                                    targets = phrases.phrase(obj, loose=True)
            if not targets and not (
                subj and (subj[0].lower_ in EVERYONE or lemma_of(subj[0]) in EVERYONE)
            ) and not needed(clause, subj):
                continue
            out.append(
                Frame(
                    T.CALL_FOR,
                    actors,
                    targets,
                    tok,
                    False,
                    ["quoted"] if any(t.text in ("“", '"', "”") for t in sent) else [],
                )
            )
    return out


def needed(clause: Any, subj: list[Any]) -> bool:
    """"A firm international response was urgently needed": a statement that an
    action is needed (its subject a noun, no actor), a call with no addressee."""
    return bool(
        lemma_of(clause) in ("need", "require")
        and any(c.dep_ == "auxpass" for c in clause.children)
        and subj
        and subj[0].pos_ == "NOUN"
        and not any(c.lower_ == "no" for c in subj[0].children)  # "no visa was needed"
    )
