"""Stage 3 of extraction: actor mentions in a paragraph (gazetteer phrase matches,
dated office holders, titles, possessors and attributive modifiers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from allied.monitor.gazetteer import MentionKind
from allied.monitor.nlp import Pipeline
from allied.monitor.syntax import HYPHENS, LED, ORIGIN, POSSESSIVE, Mention

#: an organisation's generic organ named by one word ("the Commission", "the Council")
#: is another body when a name follows it: "the Commission on Human Rights", "the
#: Council of Europe" (not "accused the Commission of ignoring")
OTHER_BODIES = frozenset({"Commission", "Council", "Assembly"})


def find_mentions(pipeline: Pipeline, doc: Any, day: dt.date | None) -> dict[int, Mention]:
    from spacy.util import filter_spans

    gaz = pipeline.gazetteer
    vocab = pipeline.nlp.vocab
    spans = []
    for match_id, start, end in pipeline.places(doc):
        span = doc[start:end]
        span.label_ = vocab.strings[match_id]
        spans.append(span)
    titles: dict[int, int] = {}
    for _, start, end in pipeline.titles(doc):
        titles[start] = max(end, titles.get(start, 0))
    found: list[Mention] = []
    for span in filter_spans(spans):
        entry = gaz.resolve(span.label_, day)
        if entry is None:
            continue
        if (
            entry.kind is MentionKind.ORGANISATION
            and span[-1].text in OTHER_BODIES
            and span.end + 1 < len(doc)
            and (
                doc[span.end].text in ("on", "for")
                or (doc[span.end].text == "of" and doc[span.end + 1].text[:1].isupper())
            )
        ):
            continue  # "the Commission on the Limits of ...": another commission
        m = Mention(span.start, span.end, entry.codes, entry.kind, span.text)
        extend_title(doc, m, titles)
        nxt = doc[m.end].text if m.end < len(doc) else ""
        prev = doc[m.start - 1].text if m.start > 0 else ""
        after = doc[m.end + 1].text.lower() if m.end + 1 < len(doc) else ""
        if nxt in HYPHENS and after in LED and m.kind is not MentionKind.PERSON:
            # "the German-led initiative": Germany's, a possessor, not a modifier
            m.kind, m.possessive = MentionKind.TITLE, True
        elif nxt in HYPHENS or prev in HYPHENS or nxt.startswith(ORIGIN):
            m.modifier = True
        if nxt in POSSESSIVE or doc[m.end - 1].text.endswith(("’", "'")):
            m.possessive = True
        found.append(m)
    merged: list[Mention] = []
    for m in sorted(found, key=lambda x: x.start):
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.end == m.start
            and last.codes == m.codes
            and not last.possessive
        ):
            last.end, last.possessive = m.end, m.possessive
            last.kind = MentionKind.TITLE if last.kind is MentionKind.TITLE else m.kind
            last.text = doc[last.start : last.end].text
            continue
        merged.append(m)
    out: dict[int, Mention] = {}
    for m in merged:
        # a bare adjective ("German munitions") is never an actor; it is kept as a
        # possessor before a trigger noun ("the Russian invasion") and as the object of
        # an authorisation ("allowed Ukrainian grain to transit")
        for i in range(m.start, m.end):
            out[i] = m
    return out


def extend_title(doc: Any, m: Mention, titles: dict[int, int]) -> None:
    if m.kind in (MentionKind.PERSON, MentionKind.GROUP):
        return
    j = m.end
    if j < len(doc) and doc[j].text in POSSESSIVE:
        for k in range(j + 1, min(j + 4, len(doc))):
            if k in titles:
                m.end = titles[k]  # "Slovakia's new government"
                break
            if not (doc[k].is_alpha and doc[k].is_lower):
                return
        else:
            return
    elif j in titles:
        m.end = titles[j]
    else:
        return
    m.kind = MentionKind.TITLE
    m.text = doc[m.start : m.end].text
