"""Stage 5 of extraction: confidence of a proposal and the document-level clean-up
(repeats, vaguer duplicates, recipients from context)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from allied.monitor.model import EventType, ProposedEvent
from allied.monitor.syntax import TARGET_ESSENTIAL, Trigger

T = EventType

#: types whose proposal without a counterpart, left after the recipient was sought in
#: the document's context, is dropped: a gift to nobody named ("Brazil can provide
#: eggs"), a withdrawal from nowhere named ("recalled its envoy")
COUNTERPART_NEEDED = frozenset({T.PROVIDE, T.WITHDRAW})


PENALTIES = {
    "pronoun": 0.1,
    "intent": 0.15,
    "reported": 0.15,
    "question": 0.2,
    "quoted": 0.1,
    "authorised": 0.2,
    "background": 0.2,
    "nominal": 0.1,
}


def confidence(trig: Trigger, cues: Iterable[str], has_target: bool, etype: EventType) -> float:
    """A score in (0, 1): 0.9 for a plain verb, less for each hedge and a missing target."""
    score = 0.9
    for cue in set(cues):
        score -= PENALTIES.get(cue, 0.0)
    if not has_target and etype is not T.CALL_FOR:
        score -= 0.2
    return round(min(0.99, max(0.05, score)), 2)


def finalise(events: list[ProposedEvent], *, war_party: bool = False) -> list[ProposedEvent]:
    """Drop repeats within a sentence and vaguer duplicates within the document.

    A ``(actor, type, None)`` proposal is dropped when the same document has a
    ``(actor, type, target)`` one, for every type but ``call-for`` (where a call with
    no addressee is its own event): "Russia invaded its neighbour" adds nothing to
    "Russia's invasion of Ukraine".
    """
    seen: set[tuple[Any, ...]] = set()
    unique: list[ProposedEvent] = []
    for e in events:
        k = (e.start, e.actor, e.type, e.target)
        if k in seen:
            continue
        seen.add(k)
        unique.append(e)
    counts = Counter(e.target for e in unique if e.type is T.PROVIDE and e.target is not None)
    total = sum(counts.values())
    recipient: str | None = None
    if counts and counts.most_common(1)[0][1] * 3 >= total * 2:
        # "Germany agreed to send helmets" in a text where (nearly) every recipient is Ukraine
        recipient = counts.most_common(1)[0][0]
    elif not counts and war_party:
        recipient = "UKR"  # no recipient named anywhere, in a text about the war in Ukraine
    if recipient is not None:
        unique = [
            replace(
                e,
                target=recipient,
                confidence=round(max(0.05, e.confidence - 0.1), 2),
                cues=(*e.cues, "recipient-from-context"),
            )
            if e.type is T.PROVIDE and e.target is None and e.actor != recipient
            else e
            for e in unique
        ]
    targeted = {(e.actor, e.type) for e in unique if e.target is not None}
    # a call with an addressee and the same sentence's call without one are one act
    # ("called for an inclusive government in Syria" is no second, unaddressed call)
    addressed = {(e.start, e.actor) for e in unique if e.type is T.CALL_FOR and e.target}
    return [
        e
        for e in unique
        if not (e.target is None and e.type in TARGET_ESSENTIAL and (e.actor, e.type) in targeted)
        and not (e.target is None and e.type in COUNTERPART_NEEDED)
        and not (e.target is None and e.type is T.CALL_FOR and (e.start, e.actor) in addressed)
    ]
