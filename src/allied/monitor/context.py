"""Stage 4c of extraction: the story's context across sentences (rule-based coreference).

A news story names an actor once and then refers to it: "he", "she", "it", "they",
"the country", "the court", "both countries", a surname, a quotation continuing a
paragraph; and it often names the counterpart of an event only around it. This module
holds what the story has said so far (``Context``: the last person, state, pair, list
and organisations named, the people introduced with an office, the owners of
resolutions and statements, the last call), the tests a word must pass to be an
antecedent (``person_name``, ``title_kind``, ``appositive_names``) and the rules that
need no parse tree (``address_calls``). The dependency reader (``depevents.Reader``)
walks the tree: it asks the ``Context`` what a pronoun or description refers to
(``depphrases.Phrases.phrase``), and fills it sentence by sentence, in reading order
(``Reader.subjects``). The extractor (``extract.Extractor``) creates one ``Context`` per
document and runs ``address_calls`` on each sentence's proposals. The rules:

- **pronouns and definite descriptions** take the most recent compatible actor named as
  a subject: "he"/"she" a person or an office (never an organisation's name), "it" and
  "the country" a state or an organisation, "they" and "the two countries" the last
  states named together, "the bloc"/"the body" the organisation named most often;
- **the nearest person blocks older ones**: a person named as a subject whom the
  gazetteer does not know ("Ilyas Ali Hassan, a member of the upper house, urged ...",
  "Smith said ...") is the antecedent of the next "he"/"she", which then names no actor,
  instead of reaching back past them to the last office holder;
- **an organisation by a word of its name**: "the court", "the agency", "the council"
  is the last organisation named with that word in its name ("the International Court
  of Justice ... The court's president rejected Kenya's request");
- **people introduced with an office** act for it when named again ("UN special
  rapporteur Richard Bennett" ... "Bennett said"); so does a new name given as the
  subject of the sentence right after an unnamed office holder's ("The U.N. special envoy
  for Syria is calling for ... Geir Pedersen issued his appeal Friday");
- **a call with no addressee** is addressed to the one other state its sentence names
  as a party, or answers the caller of the call it refuses (``address_calls``);
- **what another actor issued**: "rejected the resolution", "dismissed the statement"
  with no owner named accuse whoever the resolution or statement was last named with
  ("a resolution in the U.S. Congress ... Islamabad rejected the resolution");
- **talks with no side named** are between the two states the sentence, or the one
  before, names as parties ("Washington and Pyongyang ... since talks failed");
- **a quotation** that opens a sentence with "we" and names no speaker is the subject
  of the sentence before;
- **the last call read** (callers, addressees) lets "denied the request" block the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from allied.monitor.gazetteer import MentionKind
from allied.monitor.model import EventType, ProposedEvent
from allied.monitor.syntax import ORGS

#: words heading a name that is not a person's ("Human Rights Watch", "Amnesty
#: International", "the Hudson Institute")
NOT_PERSON = frozenset(
    {
        "watch",
        "international",
        "institute",
        "institution",
        "council",
        "committee",
        "commission",
        "group",
        "agency",
        "ministry",
        "department",
        "office",
        "court",
        "organization",
        "organisation",
        "university",
        "bank",
        "fund",
        "party",
        "army",
        "forces",
        "force",
        "front",
        "movement",
        "association",
        "union",
        "center",
        "centre",
        "foundation",
        "network",
        "service",
        "news",
        "times",
        "post",
        "program",
        "programme",
        "assembly",
        "parliament",
        "congress",
        "senate",
        "house",
        "company",
        "corporation",
        "inc",
        "ltd",
        "media",
        "press",
        "radio",
        "television",
        "tv",
        "project",
        "initiative",
        "mission",
        "embassy",
        "authority",
        "authorities",
        "government",
        "administration",
        "state",
        "states",
        "board",
        "corps",
        "police",
        "guard",
        "navy",
        "academy",
        "school",
        "college",
        "church",
        "society",
        "alliance",
        "coalition",
        "brigade",
        "battalion",
        "command",
        "secretariat",
        "tribunal",
    }
)
#: offices held by one person: a subject headed by one ("the U.N. special envoy", "the
#: foreign minister") is the antecedent of "he"/"she", even for an organisation
PERSON_OFFICES = frozenset(
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
        "leader",
        "diplomat",
        "negotiator",
        "counterpart",
        "aide",
        "adviser",
        "advisor",
        "commander",
        "chief",
        "head",
        "representative",
        "director",
        "governor",
        "commissioner",
        "coordinator",
    }
)
#: words of an organisation's name that name it alone after "the" ("the court")
INSTITUTIONS = frozenset(
    {
        "court",
        "council",
        "agency",
        "commission",
        "fund",
        "bank",
        "mission",
        "assembly",
        "tribunal",
        "union",
        "programme",
        "program",
        "committee",
        "board",
        "parliament",
        "secretariat",
    }
)
#: honorifics before a person's name
HONORIFICS = frozenset({"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "sir", "dame"})


@dataclass
class Context:
    """What a pronoun or "the country" can refer to: the last actors named as subjects."""

    #: the last person or office holder named as a subject ("he"/"she"); ``None`` when
    #: the last person so named is one the gazetteer does not know
    person: tuple[str, ...] | None = None
    #: whether that last person is one the gazetteer does not know ("Smith said")
    unknown: bool = False
    state: tuple[str, ...] | None = None
    plural: tuple[str, ...] | None = None
    organisation: tuple[str, ...] | None = None
    #: how often each organisation has been named so far ("the bloc": the most named)
    organisations: dict[str, int] = field(default_factory=dict)
    #: the organisations named so far, latest last, with the words of their names: "the
    #: court" is the last one named with "Court" in its name ("the International Court
    #: of Justice ... the court's president")
    institutions: list[tuple[tuple[str, ...], frozenset[str]]] = field(default_factory=list)
    #: people introduced with their office ("UN special rapporteur Richard Bennett"), by
    #: the last word of their name: a later "Bennett" or "Mr. Bennett" acts for the same
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the last such person named ("prohibited him from entering": an object pronoun)
    named: tuple[str, ...] | None = None
    #: the actor subject of the sentence before: a quotation that opens the next sentence
    #: with "we" and names no speaker is theirs ("X repeated its stance. 'We urge ...'")
    previous: tuple[str, ...] | None = None
    #: an office holder named by title alone as the main subject of the sentence before
    #: ("The U.N. special envoy for Syria is calling ..."): a new name as the next
    #: sentence's subject is theirs ("Geir Pedersen issued his appeal")
    titled: tuple[str, ...] | None = None
    #: the two states the sentence before names as parties (subjects, possessors):
    #: talks with no side named in the next sentence are theirs ("Washington's call ...
    #: and Pyongyang's demand ... did not mesh. An attempt at talks in Stockholm broke
    #: down")
    pair: tuple[str, ...] | None = None
    #: the state a sentence opens on as its place ("In Malawi, aid agencies ..."), for
    #: that sentence and the next: aid "to affected people in Mulanje district" with no
    #: state named goes there (``deptargets.population``)
    place: tuple[str, ...] | None = None
    #: the last list of three or more states named together, in any position ("the Quad
    #: consists of Japan, the US, Australia and India ... with the other three countries")
    listed: tuple[str, ...] | None = None
    #: who issued the last resolution, statement, allegation, plan ... named with an
    #: owner, by noun: "rejected the resolution" accuses its owner
    owned: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the last call read, (callers, addressees): "Trump denied the request" answers it
    call: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    def note(self, codes: tuple[str, ...], kind: MentionKind) -> None:
        if not codes:
            return
        if len(codes) > 1:
            self.plural = codes
            return
        if codes[0] in ORGS:
            self.organisation = codes
            if kind is MentionKind.PERSON:
                self.person = codes  # "Guterres ... he", not "the U.N. office ... he"
                self.unknown = False
            return
        if kind in (MentionKind.PERSON, MentionKind.TITLE):
            self.person = codes
            self.unknown = False
        self.state = codes

    def named_institution(self, codes: tuple[str, ...], text: str) -> None:
        """An organisation named as ``text`` ("the U.N. Refugee Agency")."""
        words = frozenset(w.lower().strip(".,'’") for w in text.split())
        self.institutions.append((codes, words & INSTITUTIONS))

    def institution(self, noun: str) -> tuple[str, ...]:
        """The organisation "the <noun>" refers to: the last one named with that word in
        its name ("the court", "the agency", "the council"), if any."""
        if noun not in INSTITUTIONS:
            return ()
        for codes, words in reversed(self.institutions):
            if noun in words:
                return codes
        return ()

    def unknown_person(self) -> None:
        """A person the gazetteer does not know was named as a subject: the next
        "he"/"she" is them, not the office holder named before."""
        self.person = None
        self.unknown = True


def person_name(tok: Any) -> bool:
    """Whether the noun phrase headed by ``tok`` is a person's name ("Pedersen",
    "Ilyas Ali Hassan", "Mr. Smith"), not an organisation's ("Human Rights Watch")."""
    if tok.pos_ != "PROPN" or not str(tok.text)[:1].isupper():
        return False
    if str(tok.lower_) in NOT_PERSON or str(tok.text).isupper():
        return False  # "Watch", an acronym ("UNICEF", "SDF")
    for child in tok.children:
        if child.dep_ == "det" or (child.dep_ == "compound" and child.lower_ in NOT_PERSON):
            return False  # "the Taliban", "Amnesty International"
        if child.dep_ == "compound" and child.pos_ != "PROPN":
            return False
    return True


def appositive_names(office: Any) -> list[Any]:
    """The names given beside an office ("the AU mediator, special envoy Maria Okafor,";
    "the spokesperson for the ministry, Ambassador Shafqat Ali Khan," which the parser
    reads as a conjunct): a later "Okafor" or "Khan" is the same person."""
    out = []
    for child in office.children:
        if child.pos_ != "PROPN":
            continue
        if child.dep_ == "appos":
            out.append(child)
        elif (
            child.dep_ == "conj"
            and child.i > 0
            and child.doc[child.left_edge.i - 1].text == ","
            and not any(c.dep_ == "cc" for c in office.children)
            and person_name(child)
        ):
            out.append(child)  # a parenthetical name, not "the minister and Smith"
    return out


def title_kind(tok: Any) -> MentionKind:
    """How a subject naming its actor through a title or body is referred to later: a
    single office holder ("the U.N. special envoy") by "he"/"she", as a person; a plural
    or a body ("Syria's transitional authorities", "the ministry") only by "it"/"they"
    or "the country"."""
    if str(tok.lemma_).lower() in PERSON_OFFICES and str(tok.tag_) in ("NN", "NNP"):
        return MentionKind.PERSON
    return MentionKind.NAME


#: what a call for which is asked of every party, not of one ("called for a ceasefire")
FOR_ALL_PARTIES = frozenset(
    {
        "ceasefire",
        "cease-fire",
        "truce",
        "peace",
        "talks",
        "negotiations",
        "calm",
        "restraint",
        "halt",
        "de-escalation",
        "dialogue",
        "armistice",
        "end",
        "unity",
        "international",
        "global",
        "world",
        "investigation",
        "probe",
    }
)


#: a call's addressee follows these ("called on", "appealed to")
ADDRESSED = frozenset({"on", "upon", "to"})


def address_calls(
    events: list[ProposedEvent],
    states: tuple[str, ...],
    last_call: tuple[tuple[str, ...], tuple[str, ...]] | None,
) -> list[ProposedEvent]:
    """A call read with no addressee takes one from its context: the one other state its
    sentence names as a party (``states``: subjects and possessors, not objects;
    "Washington's call for full denuclearization and Pyongyang's demand for sanctions
    relief did not mesh": each on the other; "Bangkok said Beijing had asked for the
    return of the men": Beijing on Bangkok), else, when its caller was
    the addressee of the last call read, that caller ("Kim asked Trump for sanctions
    relief. Trump denied the request and asked instead for denuclearization": Trump on
    Kim). A call for what every party is asked ("a ceasefire", "an end to the
    violence", "an investigation") keeps no addressee."""
    out: list[ProposedEvent] = []
    for e in events:
        if e.type is EventType.CALL_FOR and e.target is None and not _for_all(e):
            others = [s for s in states if s != e.actor]
            target: str | None = None
            if len(others) == 1 and _asks_for(e):
                target = others[0]
            elif not others and last_call is not None:
                callers, addressees = last_call
                if e.actor in addressees and len(callers) == 1 and callers[0] != e.actor:
                    target = callers[0]
            if target is not None:
                e = replace(
                    e,
                    target=target,
                    confidence=round(max(0.05, e.confidence - 0.1), 2),
                    cues=(*e.cues, "addressee-from-context"),
                )
        out.append(e)
    return out


def _asks_for(event: ProposedEvent) -> bool:
    """Whether the call names what it asks "for" ("Pyongyang's demand for sanctions
    relief", "asked for the return"), not a policy it advocates ("France has long
    advocated strategic autonomy"), which is addressed to no one in particular."""
    trigger = event.trigger.lower()
    at = event.evidence.lower().find(trigger) if trigger else -1
    after = event.evidence[at + len(trigger) :].split()[:1] if at >= 0 else []
    return trigger.endswith(" for") or [w.lower() for w in after] == ["for"]


def _for_all(event: ProposedEvent) -> bool:
    """Whether the call asks something of every party (the words after its trigger), or
    was addressed to someone who is no other actor ("calling on Secretary of State
    Rubio", of his own state; "urged security counterparts"): no addressee to seek."""
    text = event.evidence
    trigger = event.trigger.lower()
    at = text.lower().find(trigger) if trigger else -1
    if at < 0:
        return True  # the trigger not found: leave the call as it is
    if trigger.split()[-1] in ADDRESSED or trigger.startswith(("urg", "press", "tell", "told")):
        return True
    after = text[at + len(trigger) :].lower().replace("“", " ").replace('"', " ").split()
    words = [w.strip(",.;:") for w in after[:4]]
    if words and words[0] in ADDRESSED:
        return True
    return any(w in FOR_ALL_PARTIES for w in words)
