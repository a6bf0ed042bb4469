"""Shared vocabulary of the extraction stages: word lists, target slots, and the
mention/trigger records the stages pass to each other."""

from __future__ import annotations

from dataclasses import dataclass, field

from allied.domain.actors import ORGANISATIONS
from allied.monitor.gazetteer import MentionKind
from allied.monitor.model import EventType

T = EventType
POSSESSIVE = frozenset({"'s", "’s", "'", "’"})
ARTICLES = frozenset({"the", "a", "an"})
BE_FORMS = frozenset({"is", "was", "were", "are", "been", "being", "be", "am"})
HYPHENS = frozenset({"-", "‐", "‑"})
LED = frozenset({"led", "backed", "sponsored", "drafted", "proposed", "brokered"})
ORIGIN = ("-made", "-built", "-produced", "-manufactured", "-origin", "-supplied")
STOP = frozenset({
    "the", "a", "an", "of", "to", "and", "or", "in", "on", "for", "with", "is", "are", "was",
    "were", "has", "have", "had", "be", "been", "that", "which", "this", "these", "those",
    "its", "their", "his", "her", "our", "it", "they", "from", "by", "as", "at", "not",
})
NOUN_CONTEXT = frozenset({
    "the", "a", "an", "this", "that", "these", "those", "its", "their", "his", "her",
    "our", "such", "any", "no", "new", "further", "more", "of", *POSSESSIVE,
})
PRONOUN_SUBJECTS = frozenset({"he", "she", "it", "they", "we", "who", "which", "that"})
IRREGULAR_PARTICIPLES = frozenset({
    "given", "sent", "held", "met", "withdrawn", "shown", "made", "taken", "barred",
    "vetoed", "blocked", "cleared", "denied", "supplied", "delivered", "deployed",
})
# base forms that are verbs only when inflected or followed by an actor
VERB_ONLY_IF = {
    "clear": frozenset({"cleared", "clears", "clearing"}),
    "bar": frozenset({"barred", "bars", "barring"}),
    "mass": frozenset({"massed", "massing"}),
    "station": frozenset({"stationed", "stationing"}),
    "fund": frozenset({"funded", "funding"}),
    "finance": frozenset({"financed", "financing"}),
    "arm": frozenset({"arming"}),
    "host": frozenset({"hosted", "hosting", "hosts"}),
    "train": frozenset({"trained", "trains", "training"}),
    "hand": frozenset({"handed", "hands", "handing"}),
    "refuse": frozenset(),
    "deny": frozenset(),
    "offer": frozenset({"offered", "offers", "offering"}),
    "allow": frozenset(),
    "permit": frozenset(),
    "recall": frozenset(),
    "visit": frozenset(),
}
PLURAL_NOUNS = frozenset({"countries", "states", "nations", "governments", "capitals", "allies"})
AUXILIARIES = frozenset({
    "is", "are", "was", "were", "has", "have", "had", "will", "would", "can", "could",
    "shall", "should", "may", "might", "must", "did", "does", "do",
})
DETERMINERS = frozenset({
    "the", "a", "an", "its", "their", "his", "her", "our", "this", "that", "these", "those",
    "any", "every", "each", "no", "some",
})
TRAVEL = frozenset({"to", "in", "into", "back", "out", "from", "home", "over", "across"})
MODAL_OR_TO = frozenset({
    "to", "will", "would", "shall", "should", "can", "could", "may", "might", "must", "'ll",
    "did", "does", "do",
})
# verbs whose object is the subject of the next verb, not of the sentence
OBJECT_VERBS = frozenset({
    "ask", "urge", "tell", "press", "persuade", "convince", "invite", "force", "push", "help",
    "encourage", "expect", "want", "need", "lobby", "pressure", "pressurise", "pressurize",
    "implore", "beg", "request", "advise", "warn",
})
SPEECH_VERBS = frozenset({
    "said", "says", "announced", "announces", "confirmed", "confirms", "stated", "states",
    "declared", "declares", "promised", "promises", "told", "pledged", "vowed", "insisted",
})
# types whose events need a target to be worth proposing
NEEDS_TARGET = frozenset({T.MEET, T.JOIN, T.AUTHORISE, T.RATIFY, T.ACCUSE, T.SANCTION})
# types whose null-target proposal is dropped when the document has a targeted one
TARGET_ESSENTIAL = frozenset(set(T) - {T.CALL_FOR})
ORGS = frozenset(ORGANISATIONS)

TARGET_SLOTS: dict[EventType, tuple[tuple[str, frozenset[str]], ...]] = {
    T.PROVIDE: (("prep", frozenset({"to"})), ("direct", frozenset()),
                ("prep", frozenset({"for"}))),
    T.BLOCK: (("direct", frozenset()), ("prep", frozenset({"with"})),
              ("prep", frozenset({"from"}))),
    T.AUTHORISE: (("direct", frozenset()), ("prep", frozenset({"for"}))),
    T.CALL_FOR: (("direct", frozenset()), ("prep", frozenset({"on", "upon"})),
                 ("after_that", frozenset())),
    T.DEPLOY: (("prep", frozenset({"to", "in", "into", "near", "along", "on", "across",
                                   "toward", "towards", "inside", "at", "of"})),
               ("direct", frozenset())),
    T.WITHDRAW: (("prep", frozenset({"from"})),),
    T.MEET: (("direct", frozenset()), ("prep", frozenset({"with", "between", "to"}))),
    T.SANCTION: (("direct", frozenset()), ("prep", frozenset({"on", "against"})),
                 ("any", frozenset())),
    T.ACCUSE: (("direct", frozenset()), ("any", frozenset())),
    T.JOIN: (("direct", frozenset()), ("prep", frozenset({"to", "for"}))),
    T.RATIFY: (("direct", frozenset()), ("prep", frozenset({"of"}))),
    T.SUPPORT_MEMBERSHIP: (("any", frozenset()),),
    T.OPPOSE_MEMBERSHIP: (("any", frozenset()),),
}
# call-for with a direct object only for verbs addressed to someone
ADDRESSED = frozenset({"urge", "call", "press", "demand", "ask", "push"})


@dataclass
class Mention:
    start: int
    end: int  # exclusive token index
    codes: tuple[str, ...]
    kind: MentionKind
    text: str
    possessive: bool = False
    modifier: bool = False  # "German-made", "EU-Russia": attributive, never an actor


@dataclass
class Trigger:
    index: int
    type: EventType
    noun: bool
    lemma: str
    span_end: int  # index after the trigger words (phrasal particle included)


@dataclass
class Found:
    actors: tuple[str, ...]
    actor_end: int
    cues: list[str] = field(default_factory=list)
    forward: bool = False  # actor found after the trigger (fronted participle)
    actor_start: int | None = None
    attributive: bool = False  # "NATO deployments": a name before a noun, no possessive

