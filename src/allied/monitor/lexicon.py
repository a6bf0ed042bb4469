"""Words that signal events, and the cues that cancel or weaken them.

Triggers are matched on spaCy lemmas (lower case). Each event type lists its verbs and
its nouns; nouns need an actor in the noun phrase ("Russia's invasion", "the EU's
sanctions", "the deployment by France") or a light verb ("announced new deliveries").
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

from allied.monitor.model import EventType as T

# verb lemma -> event type
VERBS: dict[str, T] = {
    # provide
    "provide": T.PROVIDE, "give": T.PROVIDE, "send": T.PROVIDE, "transfer": T.PROVIDE,
    "supply": T.PROVIDE, "deliver": T.PROVIDE, "donate": T.PROVIDE, "ship": T.PROVIDE,
    "train": T.PROVIDE, "equip": T.PROVIDE, "arm": T.PROVIDE, "pledge": T.PROVIDE,
    "grant": T.PROVIDE, "lend": T.PROVIDE, "loan": T.PROVIDE, "fund": T.PROVIDE,
    "finance": T.PROVIDE, "hand": T.PROVIDE, "furnish": T.PROVIDE, "offer": T.PROVIDE,
    "crowdfund": T.PROVIDE, "fly": T.PROVIDE, "sell": T.PROVIDE, "export": T.PROVIDE,
    "buy": T.PROVIDE,
    "purchase": T.PROVIDE, "acquire": T.PROVIDE, "procure": T.PROVIDE, "order": T.PROVIDE,
    # block
    "block": T.BLOCK, "prevent": T.BLOCK, "veto": T.BLOCK, "obstruct": T.BLOCK,
    "bar": T.BLOCK, "forbid": T.BLOCK, "deny": T.BLOCK, "refuse": T.BLOCK,
    "stall": T.BLOCK, "halt": T.BLOCK, "freeze": T.BLOCK, "suspend": T.BLOCK,
    "reject": T.BLOCK,
    # authorise
    "clear": T.AUTHORISE, "approve": T.AUTHORISE, "authorise": T.AUTHORISE,
    "authorize": T.AUTHORISE, "permit": T.AUTHORISE, "allow": T.AUTHORISE,
    "greenlight": T.AUTHORISE, "license": T.AUTHORISE, "let": T.AUTHORISE,
    # call-for (call/press/push/appeal need "for"/"on"; see PHRASAL)
    "demand": T.CALL_FOR, "urge": T.CALL_FOR, "advocate": T.CALL_FOR, "press": T.CALL_FOR,
    "push": T.CALL_FOR, "ask": T.CALL_FOR,
    # deploy
    "deploy": T.DEPLOY, "station": T.DEPLOY, "mobilize": T.DEPLOY, "mobilise": T.DEPLOY,
    "invade": T.DEPLOY, "mass": T.DEPLOY, "reinforce": T.DEPLOY, "attack": T.DEPLOY,
    "move": T.DEPLOY, "relocate": T.DEPLOY, "redeploy": T.DEPLOY, "activate": T.DEPLOY,
    # withdraw
    "withdraw": T.WITHDRAW, "evacuate": T.WITHDRAW, "recall": T.WITHDRAW, "leave": T.WITHDRAW,
    # meet
    "meet": T.MEET, "negotiate": T.MEET, "visit": T.MEET, "host": T.MEET,
    # sanction
    "sanction": T.SANCTION,
    # accuse
    "accuse": T.ACCUSE, "blame": T.ACCUSE, "condemn": T.ACCUSE, "denounce": T.ACCUSE,
    "criticise": T.ACCUSE, "criticize": T.ACCUSE, "rebuke": T.ACCUSE,
    # join
    "join": T.JOIN, "accede": T.JOIN,
    # ratify
    "ratify": T.RATIFY,
}

# "call for", "press for", "pull out": verb lemma -> {particle: type}
PHRASAL: dict[str, dict[str, T]] = {
    "call": {"for": T.CALL_FOR, "on": T.CALL_FOR, "upon": T.CALL_FOR},
    "press": {"for": T.CALL_FOR},
    "push": {"for": T.CALL_FOR},
    "appeal": {"for": T.CALL_FOR},
    "pull": {"out": T.WITHDRAW, "back": T.WITHDRAW},
    "talk": {"with": T.MEET, "to": T.MEET},
    "hold": {"talks": T.MEET, "up": T.BLOCK},
    "impose": {"sanctions": T.SANCTION, "sanction": T.SANCTION},
    "threaten": {"sanctions": T.SANCTION},
    "apply": {"to": T.JOIN, "for": T.JOIN},
    "cross": {"into": T.DEPLOY},
    "insist": {"on": T.CALL_FOR},
    "pass": {"on": T.PROVIDE},
    "ask": {"for": T.CALL_FOR},
    "turn": {"down": T.BLOCK},
    "put": {"alert": T.DEPLOY, "standby": T.DEPLOY},
    "propose": {"that": T.CALL_FOR},
    "suggest": {"that": T.CALL_FOR},
    "recommend": {"that": T.CALL_FOR},
}

# noun lemma -> event type; an actor comes from the noun phrase or a light verb
NOUNS: dict[str, T] = {
    "delivery": T.PROVIDE, "transfer": T.PROVIDE, "supply": T.PROVIDE, "donation": T.PROVIDE,
    "aid": T.PROVIDE, "assistance": T.PROVIDE, "support": T.PROVIDE, "shipment": T.PROVIDE,
    "provision": T.PROVIDE, "package": T.PROVIDE, "purchase": T.PROVIDE,
    "veto": T.BLOCK, "blockage": T.BLOCK,
    "clearance": T.AUTHORISE, "approval": T.AUTHORISE, "authorisation": T.AUTHORISE,
    "authorization": T.AUTHORISE, "permission": T.AUTHORISE, "go-ahead": T.AUTHORISE,
    "advocacy": T.CALL_FOR, "demand": T.CALL_FOR, "call": T.CALL_FOR, "appeal": T.CALL_FOR,
    "invasion": T.DEPLOY, "deployment": T.DEPLOY, "mobilisation": T.DEPLOY,
    "mobilization": T.DEPLOY, "buildup": T.DEPLOY, "build-up": T.DEPLOY,
    "incursion": T.DEPLOY, "offensive": T.DEPLOY, "drill": T.DEPLOY, "exercise": T.DEPLOY,
    "withdrawal": T.WITHDRAW, "evacuation": T.WITHDRAW, "pullout": T.WITHDRAW,
    "meeting": T.MEET, "talk": T.MEET, "negotiation": T.MEET, "visit": T.MEET,
    "summit": T.MEET,
    "sanction": T.SANCTION, "embargo": T.SANCTION,
    "accusation": T.ACCUSE, "condemnation": T.ACCUSE, "criticism": T.ACCUSE,
    "application": T.JOIN, "accession": T.JOIN, "bid": T.JOIN,
    "ratification": T.RATIFY,
}

# nouns that must be followed by one of these words to be triggers
NOUN_NEEDS_NEXT: dict[str, frozenset[str]] = {
    "call": frozenset({"for", "on", "upon"}),
    "appeal": frozenset({"for", "to"}),
    "support": frozenset({"to"}),
    "aid": frozenset({"to", "for", "package", "packages"}),
    "package": frozenset({"of", "for"}),
    "assistance": frozenset({"to", "for"}),
    "application": frozenset({"to", "for"}),
    "bid": frozenset({"to", "for"}),
    "accession": frozenset({"to"}),
    "exercise": frozenset({"in", "near", "with", "along", "on"}),
    "drill": frozenset({"in", "near", "with", "along", "on"}),
    "talk": frozenset({"with", "between"}),
    "visit": frozenset({"to"}),
}

# verbs that carry a noun trigger's actor: "X announced new deliveries"
LIGHT_VERBS = frozenset({
    "announce", "make", "impose", "issue", "launch", "hold", "conduct", "stage", "begin",
    "start", "approve", "adopt", "introduce", "submit", "file", "lodge", "order", "complete",
    "resume", "step", "expand", "extend", "grant", "give", "provide", "renew", "send",
    "agree", "finalise", "finalize", "sign", "put", "carry", "propose", "prepare", "unveil",
    "spend", "allocate", "earmark", "pass",
})

# objects that turn "send"/"dispatch" into a deployment of one's own forces
FORCE_WORDS = frozenset({
    "troops", "troop", "forces", "force", "soldiers", "battalion", "battalions",
    "battlegroup", "battlegroups", "brigade", "brigades", "warship", "warships", "jets",
    "fighters", "paratroopers", "marines", "division", "divisions", "contingent",
    "personnel", "units", "aircraft", "planes", "awacs", "frigates", "destroyers",
    "submarines", "squadron", "squadrons",
})

# verbs before a noun trigger that say the act did not happen: "resisted EU sanctions"
RESISTING_VERBS = frozenset({
    "resist", "oppose", "reject", "fight", "avoid", "obstruct", "prevent", "refuse",
    "delay", "postpone", "question", "criticise", "criticize",
})

# "Slovakia received approval from Washington": the giver ("from X") acts on the receiver
RECEIVE_VERBS = frozenset({"receive", "get", "obtain", "win", "secure", "gain", "seek"})

# purchases: the seller ("from X") provides to the buyer
BUY_VERBS = frozenset({"buy", "purchase", "acquire", "procure", "order"})

# words before an authorisation that turn it into a block: "delayed approving"
BLOCKING_PRECEDERS = frozenset({
    "delay", "delayed", "delays", "delaying", "refuse", "refused", "refuses", "refusing",
    "decline", "declined", "declines", "stall", "stalled", "postpone", "postponed",
    "refusal", "reluctance", "unwillingness",
})
# verbs that are deployments only when what moves is military: "moved troops to Belarus",
# "activated its standby force"
NEEDS_FORCE_OBJECT = frozenset({"move", "relocate", "activate"})
# who is sent to a state or to its event is a visit, not aid: "sent a delegation to attend
# the inauguration of Taiwan's new president", "dispatched an envoy to Kyiv"
DELEGATES = frozenset({
    "delegation", "delegations", "envoy", "envoys", "emissary", "emissaries",
    "representative", "representatives",
})
# what "gave X 14 days to ..." gives is a deadline: an ultimatum, a demand, not aid
ULTIMATUM_OBJECTS = frozenset({
    "hour", "hours", "day", "days", "week", "weeks", "month", "months", "deadline",
    "ultimatum",
})
MILITARY_OBJECTS = frozenset({
    "weapons", "missiles", "nuclear", "warheads", "artillery", "tanks", "aircraft",
    "bombers", "ships", "equipment",
})
# packages of these are not aid
NOT_AID = frozenset({"sanctions", "sanction", "measures", "reforms", "proposals", "laws"})

# nouns whose possessor acts on the noun after "of": "Switzerland's adoption of EU sanctions"
LIGHT_NOUNS = frozenset({
    "adoption", "imposition", "introduction", "announcement", "approval", "implementation",
    "extension", "expansion", "renewal",
})

# objects that make "send"/"give" figurative: "send a message"
FIGURATIVE_OBJECTS = frozenset({
    "message", "messages", "signal", "signals", "warning", "letter", "reason", "impression",
    "sign", "way", "rise", "voice", "speech", "interview",
    "thought", "time", "priority", "chance", "indication",
})

# words after "support/back" that make it a stance on membership
MEMBERSHIP_WORDS = frozenset({
    "membership", "accession", "bid", "application", "entry", "admission", "join", "joining",
    "integration", "enlargement", "invitation", "invite",
})
MEMBERSHIP_SUPPORT_VERBS = frozenset({
    "support", "back", "endorse", "welcome", "favour", "favor", "champion", "promote",
    "agree", "accept",
})
MEMBERSHIP_OPPOSE_VERBS = frozenset({
    "oppose", "reject", "resist", "veto", "block", "object", "delay", "obstruct",
})

# a mention before one of these is not a subject: it is a prepositional object
PREPOSITIONS = frozenset({
    "to", "for", "from", "of", "with", "against", "on", "in", "into", "at", "along",
    "by", "about", "over", "toward", "towards", "near", "across", "between", "among",
    "within", "without", "through", "via", "upon", "onto", "under", "than", "like",
    "as", "including", "beyond", "behind", "around", "outside", "inside",
})

# words that open a new clause: the actor search stops there
CLAUSE_BREAKS = frozenset({
    "while", "whereas", "although", "though", "because", "but", "which", "who", "whom",
    "whose", "if", "unless", "whether", "that", "however", "yet", "so", "when", "where",
    "said", "says", "say", "argued", "argues", "believes", "believe", "thinks",
})
HARD_BREAKS = frozenset({";", ":", "“", "”", '"', "?", "!"})
DASHES = frozenset({"—", "–", "--"})

# subordinators before an -ing trigger whose subject is the main clause's
PARTICIPLE_OPENERS = frozenset({
    "by", "despite", "after", "before", "while", "when", "since", "through", "upon",
    "in", "besides", "without",
})

# nouns that carry their possessor to the trigger: "the UK's willingness to transfer"
MODAL_NOUNS = frozenset({
    "willingness", "readiness", "decision", "plan", "plans", "move", "attempt", "attempts",
    "effort", "efforts", "offer", "promise", "pledge", "commitment", "intention", "bid",
    "determination", "eagerness", "ability", "unwillingness", "refusal", "reluctance",
    "failure", "agreement", "request", "requests", "plea", "appeal",
})

# cues: polarity and modality before a trigger
NEGATIONS = frozenset({
    "not", "n't", "never", "no", "neither", "nor", "unwilling", "unwillingness",
    "reluctant", "reluctance", "refused", "refuses", "refuse", "refusing", "refusal",
    "declined", "declines", "decline", "failed", "fails", "fail", "failure", "hesitant",
    "hesitated", "hesitates", "without", "cannot", "ca", "wo", "stopped",
    "ceased", "halted", "opposed", "ruled", "rejected", "rejects", "reject", "rejecting",
})
HYPOTHETICAL = frozenset({
    "if", "would", "could", "might", "may", "should", "must", "ought", "need", "needs",
    "unless", "whether", "perhaps", "possibly", "hypothetically", "wants", "want",
    "wish", "wishes", "hope", "hopes", "asked", "ask", "asks", "urged", "urge",
    "considering", "consider", "considers", "mulling", "request", "requests", "plea",
    "calls",
})
INTENT = frozenset({
    "will", "plans", "planned", "plan", "intends", "intend", "promised", "promises",
    "promise", "pledged", "pledges", "ready", "willing", "willingness", "readiness",
    "offered", "offers", "expected", "set", "going", "shall", "prepared", "preparing",
    "agreed", "decided", "decision", "commitment", "committed", "proposed", "proposes",
    "propose", "proposal", "prepares",
})
REPORTED = frozenset({
    "reportedly", "allegedly", "reported", "alleged", "rumoured", "rumored", "claimed",
    "claims", "according", "apparently", "supposedly",
})

# titles and bodies that make a state adjective or possessive an actor
TITLES = frozenset({
    "president", "prime minister", "premier", "chancellor", "foreign minister",
    "defence minister", "defense minister", "minister of foreign affairs",
    "minister of defence", "minister of defense", "secretary of state",
    "secretary of defense", "defence secretary", "defense secretary", "foreign secretary",
    "king", "queen", "government", "leader", "leaders", "leadership", "administration",
    "ambassador", "envoy", "military", "army", "armed forces", "forces", "troops", "navy",
    "air force", "officials", "official", "diplomats", "diplomat", "parliament",
    "lawmakers", "authorities", "cabinet", "ministry", "ministers", "minister",
    "foreign ministry", "defence ministry", "defense ministry", "embassy", "delegation",
    "negotiators", "spokesperson", "spokesman", "spokeswoman", "senate", "congress",
    "state department", "presidency", "regime", "soldiers", "people", "counterpart",
    "counterparts", "crews", "pilots", "servicemen", "recruits", "units", "brigades",
    "house", "house of representatives",
})


@lru_cache(maxsize=1)
def wordnet_verbs() -> dict[str, T]:
    """Verbs WordNet 3.0 puts with the senses of each type (``data/monitor/
    wordnet_verbs.csv``, generated offline by ``scripts/build_monitor_lexicon.py``; licence
    in ``WORDNET-LICENSE.txt``). The parse stage reads them after its own lexicons."""
    text = resources.files("allied.data").joinpath("monitor/wordnet_verbs.csv").read_text(
        encoding="utf-8"
    )
    return {row["lemma"]: T(row["type"]) for row in csv.DictReader(io.StringIO(text))}
