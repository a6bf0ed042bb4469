"""The dependency reader's word lists (stage 4b, ``depevents``).

Beyond the clause rules' lexicon (``lexicon``): the trigger verbs and nouns the parse
reads with a part-of-speech tag (``EXTRA_VERBS``, ``EXTRA_NOUNS``), verb and object or
particle pairs (``PAIRS``: "impose sanctions", "cut ties"), light verbs whose noun object
carries the event (``LIGHT``), offices that act for the state that modifies them
(``OFFICES``), verbs of speech, modals and the heads that cancel or lower an act, verbs of
control, pronouns and descriptions that refer back, and the nouns of calls, claims and
meetings. Plain data: the modules of the reader (``depphrases``, ``deptriggers``,
``depactors``, ``deptargets``, ``depspeech``, ``depevents``) read them.
"""

from __future__ import annotations

from allied.monitor.model import EventType

T = EventType

# -- the lexicon beyond the clause rules' (verbs read with a part-of-speech tag) ---------
EXTRA_VERBS: dict[str, T] = {
    "extend": T.PROVIDE,
    "disburse": T.PROVIDE,
    "allocate": T.PROVIDE,
    "earmark": T.PROVIDE,
    "contribute": T.PROVIDE,
    "gift": T.PROVIDE,
    "distribute": T.PROVIDE,
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
#: nouns for the people of a state: aid "to affected people in Malawi" is aid to Malawi
POPULATION = frozenset(
    {
        "people", "population", "refugee", "civilian", "resident", "victim", "family",
        "community", "citizen", "household", "survivor", "inhabitant", "villager",
    }
)
#: calls that, refused, were still made ("ignored calls by the UN to withdraw"), and the
#: verbs that refuse them
REFUSED_CALLS = frozenset({"call", "demand", "appeal", "plea", "request", "ultimatum"})
REFUSING = frozenset(
    {"defy", "ignore", "reject", "resist", "dismiss", "rebuff", "disregard", "spurn", "snub"}
)
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
#: the bodies of an organisation, which act for it when it modifies them ("the U.N.
#: refugee agency", "the EU's border agency")
AGENCIES = frozenset({"agency", "programme", "program", "mission", "office", "fund"})
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
