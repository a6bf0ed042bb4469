"""Properties of the extractor on generated text: no crash, offsets exact, codes known."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allied.monitor.extract import Extractor
from allied.monitor.gazetteer import default_gazetteer
from allied.monitor.model import Document, EventType

WORDS = [
    "Germany", "France", "the Baltic states", "Kyiv", "Ukraine", "NATO", "the EU", "Berlin's",
    "Russian", "German-made", "Putin", "Rutte", "the alliance", "sent", "blocked", "cleared",
    "called", "for", "on", "to", "from", "with", "by", "and", "or", ",", ";", "—", "(", ")",
    "not", "would", "will", "reportedly", "its", "their", "which", "that", "said", "invasion",
    "of", "tanks", "troops", "aid", "talks", "between", "joined", "ratified", "accession",
    "membership", "supports", "vetoed", "sanctions", "imposed", "“", "”", "?", ".", "\n\n",
    "In May", "on 3 March 2022", "2008", "is", "was", "has", "been", "despite", "deploying",
    "By", "mobilizing", "urged", "Hungary", "Türkiye", "Zelenskyy", "’s", "'s",
]


@st.composite
def texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=60))
    return " ".join(words)


EXTRACTOR = Extractor()
KNOWN = {c for form in default_gazetteer().forms() for e in default_gazetteer().entries(form)
         for c in e.codes}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts(), st.sampled_from([None, "2014", "2022-06", "2025-01-15"]))
def test_any_text_gives_well_formed_events(text: str, date: str | None) -> None:
    for e in EXTRACTOR.extract(Document("gen.txt", text, date)):
        assert text[e.start : e.end] == e.evidence
        assert e.actor in KNOWN and (e.target is None or e.target in KNOWN)
        assert e.actor != e.target
        assert isinstance(e.type, EventType)
        assert 0.0 < e.confidence < 1.0
