"""The monitor: news and analysis -> proposed events with evidence -> stances and fissures.

- ``documents``: read text, Markdown and HTML files (encodings, dates).
- ``gazetteer``: actor names, adjectives, capitals, groups, organisations, dated office
  holders (``allied/data/monitor``).
- ``extract``: spaCy tokenizer, sentencizer, lookup lemmatizer and phrase matchers plus
  clause rules -> ``ProposedEvent``s.
- ``evaluate``: precision/recall of document-level tuples against a gold file.
- ``record``: the analyst's record (proposed, confirmed, corrected, rejected).
- ``positions``: stances per state and issue, timeline, fissures (clusters) and chart.

Nothing here touches a database; ``service.monitor`` stores the record. See docs/monitor.md.
"""
