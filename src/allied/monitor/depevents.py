"""Stage 4b of extraction: events read from the dependency parse.

The clause rules of ``clauses`` read word order; this stage reads the tree spaCy's
``en_core_web_sm`` parser gives (ClearNLP labels: ``nsubj``, ``dobj``, ``dative``,
``prep``/``pobj``, ``agent``, ``poss``, ``conj``, ``xcomp``, ``ccomp``, ``relcl``...):

- the actor is the trigger's subject, its passive ``by`` agent, the possessor or
  compound of a noun trigger ("Hungary's veto", "EU sanctions"), the subject of a light
  verb over a noun trigger ("held talks"), the subject of the verb that controls it
  ("decided to send"), the antecedent of a relative pronoun ("Poland, which sent"),
  or, through a pronoun or "the country", the last actor named ("the three nations":
  the last states named together; "the regional bloc": the organisation named most;
  the state of the story so far is ``context.Context``, whose module lists its rules);
  a first-person subject in a quotation is the quotation's named speaker (or, when the
  quotation opens its sentence with no speaker, the subject of the sentence before);
  a person introduced with an office ("UN special rapporteur Richard Bennett") acts for
  it when named again ("Bennett", "he", "barred him"); the object of an implicative
  verb acts ("prompting France to recall"); a force as subject is deployed by its owner
  ("forces of the UN mission were deployed", "French peacekeepers arrived in Mali");
- a noun phrase names an actor by a gazetteer mention at its head, or by an office or
  body with a national adjective, compound, possessor or "of" phrase ("the Italian
  Economy Minister", "Poland's finance minister", "the foreign minister of Spain");
- targets fill the slots of the type (``syntax.TARGET_SLOTS``): the direct or indirect
  object, the objects of the type's prepositions, and every conjunct of them ("met
  ministers from Spain, Portugal and the EU");
- a proposal or request "for X to act" is a call on X; a refusal of "the request" blocks
  whoever made the last call to the refuser; an exercise held "with" states meets them;
- reported speech with an obligation ("X said Moscow must withdraw", a quotation
  "'Europe must act,' the minister said") is the speaker's ``call-for``;
- negation, conditions and modals ("would", "could") cancel an event; "will", a plan or
  a pledge lower its confidence (cue ``intent``);
- triggers: the clause rules' lexicon, this module's ``EXTRA_VERBS``/``EXTRA_NOUNS``/
  ``PAIRS``, then the WordNet-derived verbs (``lexicon.wordnet_verbs``), which need an
  actor as counterpart.

The events are merged with the clause rules' before the document clean-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from allied.monitor import lexicon as lx
from allied.monitor.context import Context, appositive_names, person_name, title_kind
from allied.monitor.gazetteer import MentionKind
from allied.monitor.model import EventType
from allied.monitor.syntax import ORGS, TARGET_SLOTS, Mention

T = EventType

# -- the lexicon beyond the clause rules' (verbs read with a part-of-speech tag) ---------
EXTRA_VERBS: dict[str, T] = {
    "extend": T.PROVIDE,
    "disburse": T.PROVIDE,
    "allocate": T.PROVIDE,
    "earmark": T.PROVIDE,
    "contribute": T.PROVIDE,
    "gift": T.PROVIDE,
    "ban": T.SANCTION,
    "blacklist": T.SANCTION,
    "embargo": T.SANCTION,
    "tariff": T.SANCTION,
    "slam": T.ACCUSE,
    "lambaste": T.ACCUSE,
    "decry": T.ACCUSE,
    "deplore": T.ACCUSE,
    "protest": T.ACCUSE,
    "summon": T.ACCUSE,
    "censure": T.ACCUSE,
    "chastise": T.ACCUSE,
    "castigate": T.ACCUSE,
    "dismiss": T.ACCUSE,
    "allege": T.ACCUSE,
    "warn": T.ACCUSE,
    "threaten": T.ACCUSE,
    "phone": T.MEET,
    "host": T.MEET,
    "welcome": T.MEET,
    "receive": T.MEET,
    "strike": T.DEPLOY,
    "bomb": T.DEPLOY,
    "shell": T.DEPLOY,
    "raid": T.DEPLOY,
    "invade": T.DEPLOY,
    "occupy": T.DEPLOY,
    "patrol": T.DEPLOY,
    "implore": T.CALL_FOR,
    "appeal": T.CALL_FOR,
    "request": T.CALL_FOR,
    "quit": T.WITHDRAW,
    "exit": T.WITHDRAW,
}
EXTRA_NOUNS: dict[str, T] = {
    "tariff": T.SANCTION,
    "duty": T.SANCTION,
    "levy": T.SANCTION,
    "ban": T.SANCTION,
    "restriction": T.SANCTION,
    "blacklisting": T.SANCTION,
    "embargo": T.SANCTION,
    "talk": T.MEET,
    "summit": T.MEET,
    "call": T.MEET,
    "conversation": T.MEET,
    "loan": T.PROVIDE,
    "grant": T.PROVIDE,
    "funding": T.PROVIDE,
    "package": T.PROVIDE,
    "strike": T.DEPLOY,
    "airstrike": T.DEPLOY,
    "attack": T.DEPLOY,
    "raid": T.DEPLOY,
    "veto": T.BLOCK,
    "blockade": T.BLOCK,
    "condemnation": T.ACCUSE,
    "protest": T.ACCUSE,
    "allegation": T.ACCUSE,
    "proposal": T.CALL_FOR,  # only with an addressee: "a proposal for the UN to lift"
    "request": T.CALL_FOR,  # likewise: "filed requests for the court to postpone"
}
#: peacekeepers are forces too ("European peacekeepers arrived")
PEACEKEEPERS = frozenset({"peacekeeper", "peacekeepers"})
#: verbs of movement whose subject, when it is a force, is deployed by its owner
MOVING = frozenset({"arrive", "enter", "sail", "cross", "land", "pass", "move", "roll"})
#: passive verbs of deployment: "forces of the UN have been deployed"
DEPLOYED = frozenset({"deploy", "station", "dispatch", "send", "position", "base"})
#: places that are no state: a deployment there has no target ("passed into the sea")
NO_STATE = frozenset({"sea", "waters", "ocean", "strait", "gulf", "airspace"})
NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "2": 2, "3": 3, "4": 4,
           "5": 5, "6": 6}
#: joint military activities: those held "with" a state meet it (guidelines 5, meet)
JOINT = frozenset({"exercise", "drill", "manoeuvre", "maneuver", "wargame"})
#: what a call is called when it is answered ("denied the request")
ASKED = frozenset({"request", "demand", "proposal", "offer", "appeal", "plea", "call"})
#: noun calls that are events only with an addressee ("a proposal to build a road" is not)
NEEDS_ADDRESSEE = frozenset({"proposal", "request"})
# (verb lemma, object or particle lemma) -> type: "impose sanctions", "call for"
PAIRS: dict[tuple[str, str], T] = {
    ("hold", "talk"): T.MEET,
    ("hold", "meeting"): T.MEET,
    ("hold", "summit"): T.MEET,
    ("hold", "call"): T.MEET,
    ("hold", "negotiation"): T.MEET,
    ("sign", "agreement"): T.MEET,
    ("sign", "deal"): T.MEET,
    ("sign", "accord"): T.MEET,
    ("sign", "treaty"): T.MEET,
    ("sign", "memorandum"): T.MEET,
    ("speak", "with"): T.MEET,
    ("speak", "to"): T.MEET,
    ("talk", "with"): T.MEET,
    ("talk", "to"): T.MEET,
    ("confer", "with"): T.MEET,
    ("speak", "by"): T.MEET,
    ("talk", "by"): T.MEET,
    ("pay", "visit"): T.MEET,
    ("make", "visit"): T.MEET,
    ("close", "border"): T.BLOCK,
    ("close", "airspace"): T.BLOCK,
    ("cut", "off"): T.BLOCK,
    ("cut", "tie"): T.WITHDRAW,
    ("sever", "tie"): T.WITHDRAW,
    ("break", "tie"): T.WITHDRAW,
    ("recall", "ambassador"): T.WITHDRAW,
    ("recall", "envoy"): T.WITHDRAW,
    ("withdraw", "ambassador"): T.WITHDRAW,
}
#: verbs whose noun object carries the event of the subject: "imposed tariffs"
LIGHT = frozenset(
    {
        "hold",
        "announce",
        "impose",
        "launch",
        "conduct",
        "stage",
        "make",
        "approve",
        "unveil",
        "extend",
        "pledge",
        "offer",
        "provide",
        "slap",
        "levy",
        "raise",
        "introduce",
        "carry",
        "mount",
        "level",
        "lodge",
        "file",
        "issue",
        "sign",
        "agree",
        "reach",
        "threaten",
        "propose",
        "pay",
        "host",
        "have",
        "send",
        "deliver",
        "begin",
        "start",
        "continue",
        "expand",
        "step",
        "order",
        "resume",
        "keep",
        "maintain",
        "double",
        "hike",
        "increase",
        "renew",
        "tighten",
        "broaden",
    }
)
#: heads that act for the state named by their adjective, compound or possessor
OFFICES = frozenset(
    {
        "minister",
        "president",
        "premier",
        "chancellor",
        "secretary",
        "king",
        "queen",
        "prince",
        "princess",
        "monarch",
        "emir",
        "sheikh",
        "sultan",
        "envoy",
        "rapporteur",
        "mediator",
        "prosecutor",
        "ambassador",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "official",
        "officials",
        "government",
        "ministry",
        "department",
        "administration",
        "leader",
        "leadership",
        "cabinet",
        "army",
        "military",
        "navy",
        "force",
        "forces",
        "troops",
        "soldier",
        "diplomat",
        "delegation",
        "negotiator",
        "counterpart",
        "side",
        "statement",
        "authorities",
        "embassy",
        "regime",
        "parliament",
        "aide",
        "adviser",
        "advisor",
        "commander",
        "chief",
        "head",
        "director",
        "commissioner",
        "coordinator",
        "representative",
        "office",
        "service",
        "guard",
        "coastguard",
        "jet",
        "aircraft",
        "warship",
        "drone",
        "missile",
        "vessel",
        "ship",
        "submarine",
    }
)
ACCUSE_ADJECTIVES = frozenset(
    {
        "unfair",
        "illegal",
        "unacceptable",
        "unjustified",
        "illegitimate",
        "baseless",
        "groundless",
        "irresponsible",
        "provocative",
        "aggressive",
        "hostile",
        "absurd",
        "outrageous",
        "unlawful",
        "discriminatory",
        "protectionist",
        "reckless",
        "dangerous",
    }
)
SPEECH = frozenset(
    {
        "say",
        "tell",
        "add",
        "state",
        "write",
        "insist",
        "stress",
        "declare",
        "warn",
        "argue",
        "note",
        "tweet",
        "post",
        "urge",
        "emphasise",
        "emphasize",
        "reiterate",
    }
)
OBLIGATION = frozenset({"must", "should"})
CANCEL_AUX = frozenset({"would", "could", "might", "may", "can"})
INTENT_AUX = frozenset({"will", "shall", "'ll"})
#: adverbs that deny the act ("seldom criticised")
RARELY = frozenset({"never", "seldom", "rarely", "hardly", "scarcely"})
#: an office no longer (or not yet) held
FORMER = frozenset({"former", "ex", "late", "then", "incoming", "designate", "elect"})
#: verbs whose complement is not (yet) an act of its subject
CANCEL_HEADS = frozenset(
    {
        "refuse",
        "decline",
        "fail",
        "consider",
        "weigh",
        "mull",
        "reject",
        "deny",
        "oppose",
        "resist",
        "hesitate",
        "threaten",
        "avoid",
        "stop",
        "cease",
        "prevent",
        "block",
        "ask",
        "urge",
        "call",
        "demand",
        "want",
        "hope",
        "wish",
        "seek",
        "try",
        "attempt",
        "debate",
        "discuss",
        "doubt",
        "question",
        "propose",
        "suggest",
        "recommend",
        "press",
        "push",
        "warn",
        "accuse",
        "condemn",
        "criticise",
        "criticize",
        "blame",
        "delay",
        "postpone",
    }
)
INTENT_HEADS = frozenset(
    {
        "plan",
        "intend",
        "pledge",
        "promise",
        "vow",
        "agree",
        "prepare",
        "aim",
        "expect",
        "commit",
        "offer",
        "announce",
        "set",
        "go",
        "be",
    }
)
#: object control: the object of these verbs is the subject of the complement
AUTHORISING = frozenset({"allow", "permit", "clear", "authorise", "authorize", "let", "enable"})
#: verbs whose object does what they govern: "prompting France to recall its ambassador"
IMPLYING = frozenset({"prompt", "lead", "cause", "compel", "oblige", "drive", "spur"})
#: verbs that press someone else to act: what they govern is not (yet) an act
PRESSING = frozenset({
    "pressure", "pressurise", "pressurize", "force", "persuade", "convince", "encourage",
    "urge", "ask", "push", "press", "lobby", "call", "want", "expect", "need", "seek",
})
#: objects that make a rejection an answer to an accusation ("rejected X's allegation")
CLAIMS = frozenset({
    "allegation", "claim", "accusation", "charge", "report", "assertion", "statement",
    "remark", "criticism",
})
#: offices that any employer has: "UNICEF's executive director" is the UN's, but "the
#: director for health security of a Nigerian charity" is not Nigeria's
ANY_EMPLOYER = frozenset({"director", "coordinator"})
#: what an actor issues and another may reject or condemn: "the resolution" names its
#: owner only where it was first named ("a resolution in the U.S. Congress")
OWNED = CLAIMS | frozenset({"resolution", "decision", "plan", "proposal", "move", "ruling"})
#: verbs whose object is what their subject issues ("passed a resolution")
ISSUING = frozenset({"issue", "pass", "adopt", "release", "publish", "make", "submit", "table"})
#: verbs that undo or refuse what their noun object names
UNDOING = frozenset({"resist", "adopt", "lift", "ease", "end", "drop", "delay", "defy"})
PERSON_PRONOUNS = frozenset({"he", "she", "him", "her", "his"})
STATE_PRONOUNS = frozenset({"it", "its"})
PLURAL_PRONOUNS = frozenset({"they", "them", "their"})
STATE_NOUNS = frozenset({"country", "nation", "state", "government", "kingdom", "republic"})
SUBJECT_DEPS = frozenset({"nsubj", "csubj", "expl"})
#: types whose target may be named as the possessor or modifier of the object: "vetoed
#: Sweden's accession", "condemned China's subsidies", "tariffs on Canadian steel"
LOOSE_TYPES = frozenset(
    {
        T.ACCUSE,
        T.BLOCK,
        T.SANCTION,
        T.SUPPORT_MEMBERSHIP,
        T.OPPOSE_MEMBERSHIP,
        T.RATIFY,
        T.AUTHORISE,
    }
)
#: the clause rules read purchases (the seller provides) and these verbs better
LEFT_TO_RULES = frozenset({"buy", "purchase", "acquire", "procure", "order", "fly", "leave"})
MEMBERSHIP_OBJECTS = frozenset({"bid", "accession", "membership", "application", "entry"})
#: subjects of an obligation that address everyone: "the world must act"
EVERYONE = frozenset({"world", "we", "everyone", "community", "all", "europe", "us"})
FIRST_PERSON = frozenset({"we", "i"})
#: "the regional bloc", "the world body": the organisation last named
ORG_NOUNS = frozenset({"bloc", "body", "organisation", "organization", "grouping"})
#: "the two countries", "both nations": the states last named together
PLURAL_STATE_NOUNS = frozenset({"countries", "nations", "states", "governments", "neighbours",
                                "neighbors"})
#: what a call asks of the parties to a conflict, not of the state it takes place in
TO_THE_PARTIES = frozenset({"ceasefire", "cease-fire", "truce", "peace", "talk", "negotiation",
                            "end", "calm", "restraint", "halt", "de-escalation", "dialogue",
                            "armistice", "solution", "settlement", "resolution"})
#: meetings whose sides may be named only around them ("since talks failed in Hanoi";
#: not "talk of a ceasefire")
PAIR_MEETINGS = frozenset({"talks", "negotiations", "summit", "summits", "meeting", "meetings"})
#: nouns of accusation whose that-clause names the accused: "Canada's allegation that India"
CLAIM_NOUNS = frozenset({"allegation", "accusation", "charge", "claim"})


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


def _lemma(tok: Any) -> str:
    return str(tok.lemma_).lower()


def _conjuncts(tok: Any) -> list[Any]:
    out = [tok]
    for child in tok.children:
        if child.dep_ == "conj":
            out.extend(_conjuncts(child))
    return out


class Reader:
    """Reads the frames of one sentence of a ``Tree``."""

    def __init__(self, tree: Tree, context: Context) -> None:
        self.tree = tree
        self.ctx = context
        # this sentence's actor subjects so far: (token index, codes, kind)
        self.local: list[tuple[int, tuple[str, ...], MentionKind]] = []
        # whether a "he"/"she" of this sentence is a person the gazetteer does not know
        self.blocked = False

    def plausible_trigger(self, char: int, noun: bool) -> bool:
        """Whether the parse agrees with a clause rule's reading of a trigger word: a
        verb trigger must be tagged a verb ("press freedom", "Iran Shipping Lines" are
        not), a noun trigger must head its phrase ("a train attack", "aid workers"), and
        neither is denied ("seldom") or done by a former office holder."""
        tok = self.tree.at(char)
        if tok is None:
            return True
        if tok.dep_ in ("xcomp", "advcl", "ccomp") and _lemma(tok.head) in PRESSING and any(
            c.dep_ in ("dobj", "dative") for c in tok.head.children
        ):
            return False  # "to pressure them to block the flow": not their act
        if _lemma(tok) in ("reject", "deny", "dismiss") and any(
            c.dep_ == "dobj" and _lemma(c) in CLAIMS for c in tok.children
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

    # -- noun phrases -----------------------------------------------------------
    def phrase(
        self, head: Any, *, loose: bool = False, depth: int = 0, refer: bool = False
    ) -> tuple[str, ...]:
        """The actors a noun phrase headed by ``head`` names (with its conjuncts);
        ``refer``: a pronoun or "the country" is resolved (actor positions only)."""
        out: list[str] = []
        for tok in _conjuncts(head):
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
                        every.extend(self._modifier(child, depth + 1))
                return tuple(dict.fromkeys(every))
            return m.codes
        low = str(tok.text).lower()
        if low in PERSON_PRONOUNS | STATE_PRONOUNS | PLURAL_PRONOUNS:
            return self._refer(tok, low) if refer else ()
        lemma = _lemma(tok)
        if tok.pos_ not in ("NOUN", "PROPN"):
            return ()
        if (
            lemma in STATE_NOUNS
            and low not in PLURAL_STATE_NOUNS
            and any(c.lower_ == "the" for c in tok.children)
            and not any(c.dep_ in ("amod", "compound", "poss") for c in tok.children)
        ):
            return self._refer(tok, "it") if refer else ()
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
            and any(c.dep_ == "compound" and _lemma(c) in OFFICES for c in tok.children)
        )
        named = tok.pos_ == "PROPN" and str(tok.text)[:1].isupper()
        if named and not office and str(tok.text) in self.ctx.names and not any(
            c.dep_ in ("poss", "amod") for c in tok.children
        ):
            self.ctx.named = self.ctx.names[str(tok.text)]
            return self.ctx.named  # "Bennett", introduced with his office
        for child in tok.children:
            if child.dep_ in ("amod", "compound", "poss", "nmod", "npadvmod") and (office or loose):
                codes = self._modifier(child, depth)
                if codes:
                    if named and office:
                        self._remember(tok, codes)
                    if office:
                        # "the AU mediator, special envoy Maria Okafor,": her name too
                        for name in appositive_names(tok):
                            self._remember(name, codes)
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
                                self._remember(name, codes)
                            return codes
            if child.dep_ == "appos":
                codes = self._one(child, loose=loose, depth=depth + 1)
                if codes:
                    if named and tok.i not in self.tree.mention:
                        self._remember(tok, codes)  # "Maria Okafor, the AU envoy,"
                    return codes
        return ()

    def _remember(self, name: Any, codes: tuple[str, ...]) -> None:
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

    def _modifier(self, tok: Any, depth: int) -> tuple[str, ...]:
        m = self.tree.mention.get(tok.i)
        if m is not None:
            # "Cameroon and C.A.R. officials": every conjunct
            every = list(m.codes)
            for conj in _conjuncts(tok)[1:]:
                cm = self.tree.mention.get(conj.i)
                if cm is not None:
                    every.extend(cm.codes)
            return tuple(dict.fromkeys(every))
        if tok.dep_ in ("compound", "amod"):
            # "the Italian Economy Minister": the adjective modifies "Economy";
            # "United Nations-appointed special rapporteur": the participle's modifier
            for child in tok.children:
                if child.dep_ in ("amod", "compound", "poss", "npadvmod", "nmod"):
                    codes = self._modifier(child, depth + 1)
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
            _lemma(head) in OFFICES or _lemma(head) in lx.NOUNS or _lemma(head) in EXTRA_NOUNS
        )

    # -- triggers ---------------------------------------------------------------
    def trigger_type(self, tok: Any) -> tuple[EventType, bool] | None:
        lemma = _lemma(tok)
        if tok.pos_ == "VERB":
            for child in tok.children:
                key = (lemma, _lemma(child))
                if child.dep_ in ("prt", "prep", "dobj") and key in PAIRS:
                    return PAIRS[key], False
                if child.dep_ in ("prt", "prep") and lemma in lx.PHRASAL:
                    etype = lx.PHRASAL[lemma].get(_lemma(child))
                    if etype is not None:
                        return etype, False
            if lemma in ("call", "press", "push", "appeal", "talk", "pull", "hold", "apply"):
                if lemma == "call" and self._calls_unfair(tok):
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
        return None

    def _calls_unfair(self, tok: Any) -> bool:
        for child in tok.children:
            if child.dep_ in ("oprd", "ccomp", "xcomp", "acomp") and (
                _lemma(child) in ACCUSE_ADJECTIVES
                or any(_lemma(c) in ACCUSE_ADJECTIVES for c in child.children)
            ):
                return True
        return False

    # -- polarity ---------------------------------------------------------------
    def cancelled(self, tok: Any, cues: list[str], etype: EventType) -> bool:
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
                and _lemma(node.head) in CANCEL_HEADS | {"rule"}
                and not (node is tok and _lemma(tok) in CLAIM_NOUNS)  # an allegation made
            ):
                return True  # "refused to rule out sending"
            if node.dep_ not in ("xcomp", "conj", "ccomp", "advcl", "dobj") or (node.head is node):
                break
            if node.dep_ == "xcomp":
                head_lemma = _lemma(node.head)
                if head_lemma in CANCEL_HEADS or head_lemma == "rule":
                    return True
                if head_lemma in INTENT_HEADS:
                    cues.append("intent")
            if node.dep_ == "ccomp":
                if _lemma(node.head) in SPEECH | {"report", "claim", "allege"}:
                    cues.append("reported")
                break
            node = node.head
        if tok.dep_ == "pobj" and tok.head.lower_ == "from":
            return True  # "barred from sending"
        # "without sending", "instead of sending"
        return bool(tok.dep_ == "pcomp" and tok.head.lower_ in ("from", "without", "of"))

    # -- actors of a trigger ----------------------------------------------------
    def actors(self, tok: Any, noun: bool) -> tuple[tuple[str, ...], list[str]]:
        cues: list[str] = []
        if noun:
            return self._noun_actors(tok, cues), cues
        node = tok
        for _ in range(5):
            subj = [c for c in node.children if c.dep_ in SUBJECT_DEPS]
            passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in node.children)
            if passive:
                for c in node.children:
                    if c.dep_ == "agent":
                        for obj in c.children:
                            if obj.dep_ == "pobj":
                                return self.phrase(obj), cues
                if node is tok:
                    return (), cues
            if subj:
                s = subj[0]
                if s.tag_ in ("WDT", "WP") or s.lower_ == "that":
                    if node.dep_ == "relcl":
                        return self.phrase(node.head), cues
                    return (), cues
                if s.lower_ in FIRST_PERSON:
                    speaker = self._speaker(node)
                    if not speaker and self._opens_quotation(tok):
                        speaker = self.ctx.previous or ()
                    return speaker, [*cues, "quoted"]
                codes = self.phrase(s, refer=True)
                if str(s.lower_) in PERSON_PRONOUNS | STATE_PRONOUNS | PLURAL_PRONOUNS:
                    cues.append("pronoun")
                return codes, cues
            if node.dep_ == "relcl":
                return self.phrase(node.head), cues
            if node.dep_ == "xcomp" or (
                node.dep_ == "advcl" and any(c.lower_ == "to" for c in node.children)
            ):
                head = node.head
                objects = [c for c in head.children if c.dep_ in ("dobj", "dative")]
                if objects and _lemma(head) in AUTHORISING:
                    cues.append("authorised")
                    return self.phrase(objects[0], loose=True), cues
                if objects and _lemma(head) in IMPLYING and node.dep_ == "xcomp":
                    return self.phrase(objects[0], refer=True), cues  # "prompting France to"
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
                if noun_head.dep_ in ("dobj", "attr") and _lemma(noun_head.head) in LIGHT | {
                    "issue",
                    "release",
                    "publish",
                }:
                    node = noun_head.head
                    continue
                return (), cues
            break
        return (), cues

    def _with(self, tok: Any) -> list[str]:
        """The actors "with" whom ``tok`` (or the light verb over it) is done."""
        nodes = [tok]
        if tok.dep_ in ("dobj", "attr") and _lemma(tok.head) in LIGHT:
            nodes.append(tok.head)
        out: list[str] = []
        for node in nodes:
            for child in node.children:
                if child.dep_ == "prep" and child.lower_ == "with":
                    for obj in child.children:
                        if obj.dep_ == "pobj":
                            out.extend(self.phrase(obj))
        return out

    def _answered(self, objects: list[Any], actors: tuple[str, ...]) -> tuple[str, ...]:
        """"Trump denied the request": a refusal of "the request" (no owner named) blocks
        whoever made the last call read, when it was addressed to the refuser."""
        if self.ctx.call is None or not actors:
            return ()
        callers, addressees = self.ctx.call
        for obj in objects:
            if (
                _lemma(obj) in ASKED
                and any(
                    c.dep_ == "det" and c.lower_ in ("the", "this", "that") for c in obj.children
                )
                and not any(c.dep_ in ("poss", "amod", "compound") for c in obj.children)
                and set(actors) & set(addressees)
            ):
                return tuple(c for c in callers if c not in actors)
        return ()

    def _owner(self, objects: list[Any], actors: tuple[str, ...]) -> tuple[str, ...]:
        """Whose is "the resolution" (or "the allegations", "the decision") a sentence
        rejects or condemns without naming its owner: the actor it was named with last
        (``Context.owned``), if not the rejecter."""
        if not actors:
            return ()
        for obj in objects:
            if _lemma(obj) in OWNED and any(
                c.dep_ == "det" and c.lower_ in ("the", "this", "that", "these", "those")
                for c in obj.children
            ) and not any(c.dep_ in ("poss", "amod", "compound", "prep") for c in obj.children):
                owners = self.ctx.owned.get(_lemma(obj), ())
                return tuple(o for o in owners if o not in actors)
        return ()

    def _owners(self, sent: list[Any]) -> None:
        """Remember who issued the resolutions, statements, plans ... the sentence names
        ("a resolution in the U.S. Congress", "Pakistan's allegation", "the EU adopted a
        plan"), for a later "rejected the resolution"."""
        for tok in sent:
            lemma = _lemma(tok)
            if lemma not in OWNED or tok.pos_ != "NOUN":
                continue
            codes: tuple[str, ...] = ()
            for child in tok.children:
                if child.dep_ in ("poss", "compound", "amod", "nmod"):
                    codes = self._modifier(child, 0)
                elif child.dep_ == "prep" and child.lower_ in ("in", "by", "from", "of"):
                    for obj in child.children:
                        if obj.dep_ == "pobj":
                            codes = self.phrase(obj, loose=True)
                if codes:
                    break
            if not codes and tok.dep_ == "dobj" and _lemma(tok.head) in ISSUING:
                codes = self.actors(tok.head, False)[0]
            if codes:
                self.ctx.owned[lemma] = codes

    @staticmethod
    def _opens_quotation(tok: Any) -> bool:
        """Whether ``tok``'s sentence opens with a quotation mark and has no verb of
        speech (so its speaker is introduced by the sentence before)."""
        sent = tok.sent
        first = sent[0]
        return bool(
            first.text in ("“", '"', "'", "‘")
            and not any(
                _lemma(t) in SPEECH
                and t.pos_ == "VERB"
                and any(c.dep_ == "nsubj" and c.lower_ not in FIRST_PERSON for c in t.children)
                for t in sent
            )
        )

    def _speaker(self, node: Any) -> tuple[str, ...]:
        """"We urge Pakistan to stop," the ministry said: the speaker of the quotation
        whose clause ``node`` is (a first-person subject speaks for the speaker's actor)."""
        for _ in range(4):
            head = node.head
            if head is node:
                return ()
            if node.dep_ in ("ccomp", "parataxis") and _lemma(head) in SPEECH:
                subj = [c for c in head.children if c.dep_ == "nsubj"]
                # named, not a pronoun: "he said" may be anyone quoted
                return self.phrase(subj[0]) if subj else ()
            if node.dep_ not in ("conj", "ccomp", "parataxis", "xcomp"):
                return ()
            node = head
        return ()

    def _noun_actors(self, tok: Any, cues: list[str]) -> tuple[str, ...]:
        cues.append("nominal")
        for child in tok.children:
            if child.dep_ in ("poss", "compound", "amod", "nmod"):
                codes = self._modifier(child, 0) or self.phrase(
                    child, loose=True, refer=child.dep_ == "poss"
                )
                if codes:
                    return codes
            if child.dep_ == "prep" and child.lower_ == "by":
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        return self.phrase(obj)
            if child.dep_ == "acl":
                # "a French-proposed truce", "sanctions imposed by the EU"
                for c in child.children:
                    if c.dep_ == "agent":
                        for obj in c.children:
                            if obj.dep_ == "pobj":
                                return self.phrase(obj)
        head = tok.head
        if tok.dep_ in ("dobj", "attr", "nsubjpass") and _lemma(head) in LIGHT:
            codes, more = self.actors(head, False)
            cues.extend(more)
            return codes
        if tok.dep_ == "pobj" and head.dep_ == "prep" and head.head.pos_ == "VERB":
            verb = head.head
            if _lemma(verb) in LIGHT or head.lower_ in ("in", "at", "during"):
                codes, more = self.actors(verb, False)
                cues.extend(more)
                return codes
        return ()

    # -- targets ----------------------------------------------------------------
    def targets(self, tok: Any, etype: EventType, noun: bool) -> tuple[str, ...]:
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
        if noun and tok.dep_ in ("dobj", "attr") and _lemma(tok.head) in LIGHT:
            nodes.append(tok.head)  # "imposed tariffs on Canada": the verb's "on"
        if noun and tok.dep_ == "pobj" and tok.head.dep_ == "prep" and (
            tok.head.head.pos_ == "VERB"
        ):
            nodes.append(tok.head.head)  # "told Trump in phone conversations"
        if not noun:
            for child in tok.children:
                if child.dep_ == "dobj" and (_lemma(tok), _lemma(child)) in PAIRS:
                    nodes.append(child)  # "signed an agreement with Greece"
        if etype is T.WITHDRAW:
            slots = (*slots, ("prep", frozenset({"with"})))  # "cut ties with Kenya"
            if any(c.dep_ == "dobj" and _lemma(c) in ("ambassador", "envoy") for c in tok.children):
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
                        found.extend(self.phrase(child, loose=loose))
                        if (
                            child.lower_ in ("him", "her")
                            and etype in (T.ACCUSE, T.SANCTION, T.BLOCK)
                            and self.ctx.named
                        ):
                            found.extend(self.ctx.named)  # "barred him": the person named
                        if etype in (T.ACCUSE, T.SANCTION, T.BLOCK) and _lemma(tok) != "warn":
                            found.extend(self._inside(child))
                    if kind in ("prep", "direct") and child.dep_ in ("prep", "dative"):
                        if kind == "prep" and child.lower_ not in preps:
                            continue
                        if kind == "direct" and child.dep_ != "dative":
                            continue
                        for obj in child.children:
                            if obj.dep_ == "pobj":
                                found.extend(self.phrase(obj, loose=loose))
                                if etype in (T.SANCTION, T.DEPLOY, T.ACCUSE):
                                    found.extend(self._inside(obj))
                    if (
                        kind == "any"
                        and etype in (T.SUPPORT_MEMBERSHIP, T.OPPOSE_MEMBERSHIP)
                        and (child.dep_ in ("dobj", "prep", "pobj"))
                    ):
                        for sub in child.subtree:
                            m = self.tree.mention.get(sub.i)
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
                            found.extend(self.phrase(c))
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
                                found.extend(self.phrase(obj))
            for node in nodes:
                for child in node.children:
                    if child.dep_ in ("advcl", "acl") and any(
                        c.dep_ == "mark" and c.lower_ == "for" for c in child.children
                    ):
                        for c in child.children:
                            if c.dep_ == "nsubj":
                                found.extend(self.phrase(c))
        if not found and etype is T.ACCUSE and _lemma(tok) == "threaten":
            # "threatened to use force against Afghanistan": the state threatened
            for child in tok.children:
                if child.dep_ == "xcomp":
                    for sub in child.subtree:
                        if sub.dep_ == "prep" and sub.lower_ in ("against", "on"):
                            for obj in sub.children:
                                if obj.dep_ == "pobj":
                                    found.extend(self.phrase(obj, loose=True))
        if not found and etype is T.CALL_FOR:
            # "called for an inclusive government in Syria": the state the call is about
            for node in nodes:
                for child in node.children:
                    if child.dep_ == "prep" and child.lower_ == "for":
                        for obj in child.children:
                            if obj.dep_ == "pobj":
                                found.extend(self._about(obj))
        if not found and etype is T.ACCUSE and (
            (noun and _lemma(tok) in CLAIM_NOUNS) or (not noun and _lemma(tok) == "allege")
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
                            found.extend(self.phrase(c, loose=True))
                    if not found:
                        found.extend(self._planned_from(child))
        if not found and etype is T.ACCUSE and _lemma(tok) == "warn":
            # "warned that the Somali government's actions would divide the country"
            for child in tok.children:
                if child.dep_ == "ccomp":
                    for c in child.children:
                        if c.dep_ in ("nsubj", "nsubjpass"):
                            found.extend(self.phrase(c, loose=True))
                            found.extend(self._inside(c))
        if noun and not found and etype is T.CALL_FOR:
            # "the demand that NATO abandons its open-door policy": the clause's subject
            for child in tok.children:
                if child.dep_ in ("acl", "ccomp") and any(
                    c.dep_ == "mark" for c in child.children
                ):
                    for c in child.children:
                        if c.dep_ == "nsubj":
                            found.extend(self.phrase(c))
        if noun and not found and etype is T.MEET:
            found.extend(self._between(tok))
        return tuple(dict.fromkeys(found))

    def _inside(self, head: Any) -> list[str]:
        """Actors modifying an object noun: "tariffs on Chinese goods", "China's subsidies"."""
        out: list[str] = []
        for child in head.children:
            if child.dep_ in ("poss", "amod", "compound", "nmod"):
                m = self.tree.mention.get(child.i)
                if m is not None:
                    out.extend(m.codes)
            if child.dep_ == "prep" and child.lower_ == "of":
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        out.extend(self.phrase(obj, loose=True))
        return out

    def _planned_from(self, clause: Any) -> list[str]:
        """The state an alleged act is placed in: "was planned in Armenia", "directed
        from Afghan soil" (the clause's own "in/from" phrases and their conjuncts)."""
        out: list[str] = []
        for verb in _conjuncts(clause):
            for child in verb.children:
                if child.dep_ == "prep" and child.lower_ in ("in", "from"):
                    for obj in child.children:
                        if obj.dep_ == "pobj":
                            out.extend(self.phrase(obj, loose=True))
                            out.extend(
                                c for c in self._inside(obj) if c not in ORGS
                            )  # "Afghan soil"
        return out

    def _about(self, head: Any) -> list[str]:
        """The state a called-for thing is in or for: "a government in Syria", "elections
        for Venezuela" (its own modifiers too: "Syria's new government")."""
        out: list[str] = []
        if _lemma(head) in TO_THE_PARTIES:
            return out  # "a ceasefire in Ukraine" is asked of the warring parties
        for child in head.children:
            if child.dep_ == "poss":
                out.extend(self.phrase(child))
            if child.dep_ == "prep" and child.lower_ in ("in", "for"):
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        out.extend(self.phrase(obj))
        return out

    def _between(self, tok: Any) -> list[str]:
        out: list[str] = []
        for child in tok.children:
            if child.dep_ == "prep" and child.lower_ in ("between", "among"):
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        out.extend(self.phrase(obj, loose=True))
        return out

    # -- the sentence -----------------------------------------------------------
    def frames(self, sent: list[Any]) -> list[Frame]:
        self.local = []
        self.blocked = False
        self._introduced(sent)
        parties = self.parties(sent)
        # the two states facing each other here, else in the sentence before
        pair = parties if len(parties) == 2 else self.ctx.pair
        for tok in sent:
            if tok.dep_ in ("nsubj", "nsubjpass"):
                codes = self.phrase(tok)
                if codes:
                    m = self.tree.mention.get(tok.i)
                    self.local.append((tok.i, codes, m.kind if m else MentionKind.TITLE))
                elif person_name(tok) and tok.i not in self.tree.mention:
                    self.local.append((tok.i, (), MentionKind.PERSON))
        out: list[Frame] = []
        for tok in sent:
            found = self.trigger_type(tok)
            if found is None:
                continue
            etype, noun = found
            if self._not_an_act(tok, etype, noun):
                continue
            cues: list[str] = []
            if self.cancelled(tok, cues, etype):
                continue
            objects = [c for c in tok.children if c.dep_ == "dobj"]
            if _lemma(tok) == "warn" and any(
                c.dep_ == "xcomp" and c.pos_ == "VERB" for c in tok.children
            ):
                etype = T.CALL_FOR  # "warned Moscow not to interfere": a demand
            if etype is T.PROVIDE and any(
                _lemma(o) in lx.FIGURATIVE_OBJECTS or o.lower_ in lx.FIGURATIVE_OBJECTS
                for o in objects
            ):
                continue  # "sent a clear message"
            if _lemma(tok) in lx.NEEDS_FORCE_OBJECT and not any(
                _lemma(o) in lx.FORCE_WORDS or o.lower_ in lx.FORCE_WORDS for o in objects
            ):
                continue  # "moved the meeting to Vienna"
            if (
                etype is T.PROVIDE
                and not noun
                and any(_lemma(o) in lx.FORCE_WORDS for o in objects)
            ):
                etype = T.DEPLOY  # "sent troops to Poland" (to Ukraine: aid, below)
            if _lemma(tok) in ("reject", "deny", "dismiss") and any(
                _lemma(o) in CLAIMS for o in objects
            ):
                etype = T.ACCUSE  # "rejected Pakistan's allegation as baseless"
            if etype is T.BLOCK and any(_lemma(o) in MEMBERSHIP_OBJECTS for o in objects):
                etype = T.OPPOSE_MEMBERSHIP  # "held up Sweden's bid"
            actors, more = self.actors(tok, noun)
            cues.extend(more)
            targets = tuple(t for t in self.targets(tok, etype, noun) if t not in actors)
            if etype is T.BLOCK and not targets and not noun:
                targets = self._answered(objects, actors)
            if etype in (T.ACCUSE, T.BLOCK) and not targets and not noun:
                owners = self._owner(objects, actors)
                if owners:
                    # "Islamabad rejected the resolution": the U.S. Congress's, named before
                    targets, etype = owners, T.ACCUSE
            if etype is T.DEPLOY and _lemma(tok) in JOINT and actors:
                partners = tuple(t for t in self._with(tok) if t not in actors)
                if partners:  # "held an exercise with India": a meeting with each
                    out.append(Frame(T.MEET, actors, partners, tok, noun, list(cues)))
            if etype is T.CALL_FOR and actors and targets:
                self.ctx.call = (actors, targets)
            if etype is T.JOIN:
                targets = tuple(t for t in targets if t in ORGS)
            if etype is T.DEPLOY and targets == ("UKR",) and _lemma(tok) in lx.VERBS and (
                lx.VERBS[_lemma(tok)] is T.PROVIDE
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
                if tok.lower_ in PAIR_MEETINGS and self._held(tok):
                    for a in pair:
                        others = tuple(t for t in pair if t != a)
                        out.append(Frame(etype, (a,), others, tok, noun, [*cues, "nominal"]))
                continue
            if etype is not T.CALL_FOR and not targets:
                continue  # events without a counterpart are left to the clause rules
            if not targets and noun and _lemma(tok) in NEEDS_ADDRESSEE:
                continue  # "a proposal to build a road"
            if not targets and not noun and _lemma(tok) in lx.wordnet_verbs():
                continue  # a verb of the generated lexicon needs an actor as counterpart
            if (
                etype is T.CALL_FOR
                and not targets
                and _lemma(tok) == "call"
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
        out.extend(self._appeals(sent))
        out.extend(self._forces_moved(sent))
        return out

    @staticmethod
    def _held(tok: Any) -> bool:
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

    def _not_an_act(self, tok: Any, etype: EventType, noun: bool) -> bool:
        lemma = _lemma(tok)
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
            and _lemma(tok.head) in CANCEL_HEADS | UNDOING
        )

    def _appeals(self, sent: list[Any]) -> list[Frame]:
        """A speaker's statement of necessity is a call: "X said Moscow must withdraw"."""
        out: list[Frame] = []
        for tok in sent:
            if tok.pos_ != "VERB" or _lemma(tok) not in SPEECH:
                continue
            speaker = [c for c in tok.children if c.dep_ == "nsubj"]
            # without a subject ("Russia denied it and said ..."): the first verb's
            actors = self.phrase(speaker[0], refer=True) if speaker else self.actors(tok, False)[0]
            if not actors:
                continue
            for clause in tok.children:
                if clause.dep_ not in ("ccomp", "parataxis"):
                    continue
                must = (
                    self._needed(clause, [c for c in clause.children if c.dep_ == "nsubjpass"])
                    or any(c.dep_ == "aux" and c.lower_ in OBLIGATION for c in clause.children)
                    or (any(c.lower_ == "up" for c in clause.children) and _lemma(clause) == "be")
                    or any(c.dep_ == "aux" and c.lower_ == "need" for c in clause.children)
                )
                if not must or any(c.dep_ == "neg" for c in clause.children):
                    continue
                subj = [c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")]
                targets: tuple[str, ...] = ()
                if subj:
                    targets = tuple(t for t in self.phrase(subj[0]) if t not in actors)
                if not targets:
                    for c in clause.children:  # "it is up to Moscow"
                        if c.lower_ == "up":
                            for p in c.children:
                                if p.dep_ == "prep":
                                    for obj in p.children:
                                        targets = self.phrase(obj, loose=True)
                if not targets and not (
                    subj and (subj[0].lower_ in EVERYONE or _lemma(subj[0]) in EVERYONE)
                ) and not self._needed(clause, subj):
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

    @staticmethod
    def _needed(clause: Any, subj: list[Any]) -> bool:
        """"A firm international response was urgently needed": a statement that an
        action is needed (its subject a noun, no actor), a call with no addressee."""
        return bool(
            _lemma(clause) in ("need", "require")
            and any(c.dep_ == "auxpass" for c in clause.children)
            and subj
            and subj[0].pos_ == "NOUN"
            and not any(c.lower_ == "no" for c in subj[0].children)  # "no visa was needed"
        )

    def _forces_moved(self, sent: list[Any]) -> list[Frame]:
        """A force as subject is deployed by its owner: "forces of the UN mission have been
        deployed", "additional European peacekeepers arrived in Bosnia", "U.S. warships
        passed into the sea" (``deploy``; the place is the target, none at sea)."""
        out: list[Frame] = []
        for tok in sent:
            if tok.pos_ != "VERB":
                continue
            lemma = _lemma(tok)
            passive = any(c.dep_ == "auxpass" for c in tok.children)
            if not (lemma in MOVING or (lemma in DEPLOYED and passive)):
                continue
            if any(c.dep_ == "agent" for c in tok.children):
                continue  # "deployed by Germany": the clause rules read the agent
            subj = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")]
            if not subj or not (
                subj[0].lower_ in lx.FORCE_WORDS or _lemma(subj[0]) in PEACEKEEPERS
            ):
                continue
            cues: list[str] = []
            if self.cancelled(tok, cues, T.DEPLOY):
                continue
            actors = self.phrase(subj[0], loose=True)
            if not actors:
                continue
            targets: list[str] = []
            at_sea = False
            for child in tok.children:
                if child.dep_ == "prep" and child.lower_ in ("in", "into", "to", "near"):
                    for obj in child.children:
                        if obj.dep_ == "pobj":
                            targets.extend(self.phrase(obj, loose=True))
                            at_sea = at_sea or _lemma(obj) in NO_STATE
            if not targets and passive:
                # "forces of the UN mission in the Central African Republic were deployed"
                for sub in subj[0].subtree:
                    if sub.dep_ == "prep" and sub.lower_ == "in":
                        for obj in sub.children:
                            if obj.dep_ == "pobj":
                                targets.extend(self.phrase(obj, loose=True))
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
                out.extend(c for c in self.phrase(tok) if c not in ORGS)
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
                    and not self.phrase(tok)
                ):
                    self._remember(tok, titled)
                return

    def subjects(self, sent: list[Any]) -> None:
        """Remember the sentence's actor subjects for pronouns in the next ones, and the
        last organisation it names (in any position) for "the bloc"."""
        seen: set[int] = set()
        self.ctx.previous = None
        self._owners(sent)
        parties = self.parties(sent)
        self.ctx.pair = parties if len(parties) == 2 else None
        for tok in sent:
            if tok.dep_ != "conj" and any(c.dep_ == "conj" for c in tok.children):
                states = [
                    self.tree.mention[t.i].codes[0]
                    for t in _conjuncts(tok)
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
                codes = self.phrase(tok)
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
