"""Text -> proposed events: actor, type, target, the evidence sentence and a confidence.

The stages: read (``documents``), tokenise and split (``nlp``), parse (``parser``:
spaCy's ``en_core_web_sm``), actors (``actors.find_mentions``), events from the clause
rules (``clauses.Sentence``) and from the dependency parse (``depevents.Reader``, which
also vets the clause rules' triggers), the story's context across sentences
(``context``: what pronouns and descriptions refer to, addressees of calls; one
``Context`` per document), and the document-level clean-up
(``cleanup.finalise``); this module runs them in order. ``Extractor(parse=False)`` runs
the clause rules alone.

The clause rules read spaCy's tokens, sentences and lookup lemmas, find actors with the
gazetteer and triggers with the lexicon, then attach to each trigger an actor and a
target by word order:

- the actor is the trigger's subject: the nearest actor mention before it in the same
  clause that is not a prepositional object (unless it is the subject of a gerund or an
  infinitive: "with Poland demanding", "clearance for Latvia to transfer"), not a
  possessor of another noun, not a modifier ("German-made"); a participle opened by
  "by/despite/after..." takes the main clause's subject; a passive verb takes its
  "by" agent; a noun trigger takes its possessor ("Russia's invasion") or the subject
  of a light verb ("announced new deliveries");
- the target fills the slot each event type expects (the recipient after "to" for
  ``provide``, the direct object for ``block``, "in/to/along" for ``deploy``...);
- negation ("not", "unwilling", "refused to"), hypotheticals ("would", "must", "if")
  and a trigger embedded under "from" ("blocking Estonia from transferring") or under
  a call addressed to its actor cancel the event; intent ("will", "pledged"),
  reported speech ("reportedly"), questions, quotations and actions merely authorised
  lower the confidence;
- events recounted from years before the document are background and left out
  unless asked for.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from allied.monitor.actors import find_mentions
from allied.monitor.clauses import Sentence
from allied.monitor.cleanup import confidence, finalise
from allied.monitor.context import Context, address_calls
from allied.monitor.dates import sentence_date
from allied.monitor.depevents import Reader
from allied.monitor.deptree import Tree
from allied.monitor.model import Document, EventType, ProposedEvent, date_floor
from allied.monitor.nlp import Pipeline, default_pipeline
from allied.monitor.parser import load_parser
from allied.monitor.syntax import NEEDS_TARGET, Mention, Trigger

T = EventType

__all__ = ["Extractor", "Sentence", "confidence", "finalise"]


def unbracket(text: str) -> str:
    """The text the parser reads: an editor's square brackets in a quotation ("[We] urge
    Pakistani side", "calls by the [U.N.] Security Council") become spaces, which the
    tagger otherwise reads as symbols that break the clause. Offsets are unchanged."""
    return text.replace("[", " ").replace("]", " ")


class Extractor:
    """Proposes events in documents. One instance can read many documents."""

    def __init__(
        self,
        pipeline: Pipeline | None = None,
        *,
        include_background: bool = False,
        parse: bool = True,
    ) -> None:
        self.pipeline = pipeline or default_pipeline()
        self.include_background = include_background
        # the statistical parser (loaded once per process, on first use)
        self.parser: Any = load_parser() if parse else None

    # -- public -----------------------------------------------------------------
    def extract(self, document: Document) -> list[ProposedEvent]:
        day = date_floor(document.date)
        events: list[ProposedEvent] = []
        pair: tuple[str, ...] | None = None  # the last plural subject, for "both countries"
        named: Counter[str] = Counter()  # how often each actor is named, for recipients
        context = Context()
        paragraphs = list(self.pipeline.paragraphs(document.text))
        parses: list[Any] = [None] * len(paragraphs)
        if self.parser is not None:  # one batch: far less overhead than a call per paragraph
            parses = list(self.parser.pipe(unbracket(doc.text) for _, doc in paragraphs))
        for (offset, doc), parsed in zip(paragraphs, parses, strict=True):
            mentions = find_mentions(self.pipeline, doc, day)
            reader = None
            if parsed is not None:
                reader = Reader(Tree(parsed, doc, mentions), context)
            for m in {id(m): m for m in mentions.values()}.values():
                if not m.modifier:
                    named.update(m.codes)
            previous: tuple[str, ...] | None = None  # the last sentence's subject, for pronouns
            for sent in doc.sents:
                found, subject = self._sentence(
                    document, offset, doc, sent, mentions, previous, pair, reader
                )
                last_call = context.call
                if reader is not None:
                    parsed_events = self._parsed(document, offset, sent, reader)
                    if reader.blocked:
                        # "Smith said she urged ...": the clause rules' pronoun reaches
                        # past Smith, whom the gazetteer does not know, to an older actor
                        found = [e for e in found if "pronoun" not in e.cues]
                    found.extend(parsed_events)
                states: tuple[str, ...] = ()
                if reader is not None:
                    states = reader.parties(
                        list(reader.tree.tokens(sent.start_char, sent.end_char))
                    )
                events.extend(address_calls(found, states, last_call))
                previous = subject or previous
                if subject and len(subject) > 1:
                    pair = subject
        return finalise(events, war_party=named["UKR"] >= 3)

    # -- sentences --------------------------------------------------------------
    def _parsed(
        self, document: Document, offset: int, sent: Any, reader: Reader
    ) -> list[ProposedEvent]:
        """Events the dependency parse gives for one sentence (cue ``parsed``)."""
        tokens = list(reader.tree.tokens(sent.start_char, sent.end_char))
        frames = reader.frames(tokens)
        reader.subjects(tokens)
        if not frames:
            return []
        raw = sent.text
        lead = len(raw) - len(raw.lstrip())
        evidence = raw.strip()
        start = offset + sent.start_char + lead
        when = sentence_date(evidence, document.date)
        if when.background and not self.include_background:
            return []
        question = evidence.rstrip("”\"' ").endswith("?")
        out: list[ProposedEvent] = []
        for frame in frames:
            cues = [*frame.cues, "parsed"]
            if question:
                cues.append("question")
            if when.background:
                cues.append("background")
            trig = Trigger(frame.trigger.i, frame.type, frame.noun, "", frame.trigger.i + 1)
            conf = confidence(trig, cues, bool(frame.targets), frame.type)
            for actor in frame.actors:
                if frame.type in NEEDS_TARGET and not frame.targets:
                    continue
                for target in frame.targets or (None,):
                    if target == actor:
                        continue
                    out.append(
                        ProposedEvent(
                            actor=actor,
                            type=frame.type,
                            target=target,
                            evidence=evidence,
                            start=start,
                            end=start + len(evidence),
                            document=document.name,
                            date=when.date,
                            confidence=conf,
                            trigger=str(frame.trigger.text),
                            cues=tuple(dict.fromkeys(cues)),
                        )
                    )
        return out

    def _sentence(
        self,
        document: Document,
        offset: int,
        doc: Any,
        sent: Any,
        mentions: dict[int, Mention],
        previous: tuple[str, ...] | None = None,
        pair: tuple[str, ...] | None = None,
        reader: Reader | None = None,
    ) -> tuple[list[ProposedEvent], tuple[str, ...] | None]:
        s0, s1 = sent.start, sent.end
        ctx = Sentence(doc, s0, s1, mentions, self.pipeline.lemma, previous, pair)
        subject = ctx.first_subject()
        if not any(i in mentions for i in range(s0, s1)):
            return [], subject
        triggers = ctx.triggers()
        if not triggers:
            return [], subject
        raw = sent.text
        lead = len(raw) - len(raw.lstrip())
        evidence = raw.strip()
        start = offset + sent.start_char + lead
        when = sentence_date(evidence, document.date)
        if when.background and not self.include_background:
            return [], subject
        question = evidence.rstrip("”\"' ").endswith("?")
        events: list[ProposedEvent] = []
        authorised: set[str] = set()
        addressed: set[str] = set()
        frames: list[tuple[EventType, tuple[str, ...]]] = []
        for trig in triggers:
            if reader is not None and not reader.plausible_trigger(doc[trig.index].idx, trig.noun):
                continue  # the tagger reads "press freedom", "train attack" as nouns
            results = ctx.event(trig, triggers)
            for etype, found, targets, cues in results:
                cues = list(cues)
                if question:
                    cues.append("question")
                if ctx.quoted(trig.index):
                    cues.append("quoted")
                if when.background:
                    cues.append("background")
                if etype is T.CALL_FOR and not trig.noun:
                    addressed.update(targets)
                if set(found.actors) & addressed and etype is not T.CALL_FOR:
                    continue  # "urged Germany to send": Germany has not sent
                if ctx.nonfinite(trig) and any(
                    f_type in (T.ACCUSE, T.CALL_FOR) and set(f_actors) == set(found.actors)
                    for f_type, f_actors in frames
                ):
                    continue  # "accused Britain of escalating by supplying": not Russia's act
                frames.append((etype, found.actors))
                if etype is T.PROVIDE and set(found.actors) <= authorised and found.actors:
                    cues.append("authorised")
                if etype is T.AUTHORISE:
                    authorised.update(targets)
                conf = confidence(trig, cues, bool(targets), etype)
                for actor in found.actors:
                    for target in targets or (None,):
                        if target == actor:
                            continue
                        events.append(
                            ProposedEvent(
                                actor=actor,
                                type=etype,
                                target=target,
                                evidence=evidence,
                                start=start,
                                end=start + len(evidence),
                                document=document.name,
                                date=when.date,
                                confidence=conf,
                                trigger=doc[trig.index : trig.span_end].text,
                                cues=tuple(dict.fromkeys(cues)),
                            )
                        )
        return events, subject
