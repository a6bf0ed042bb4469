"""The monitor: news and analysis -> proposed events with evidence -> stances and fissures.

- ``documents``: read text, Markdown and HTML files (encodings, dates).
- ``gazetteer``: actor names, adjectives, capitals, groups, organisations, dated office
  holders (``allied/data/monitor``).
- ``extract``: runs the stages -> ``ProposedEvent``s: ``nlp`` (spaCy tokenizer,
  sentencizer, lookup lemmatizer, phrase matchers), ``parser`` (``en_core_web_sm``,
  hash-checked), ``actors``, ``clauses`` (word-order rules), ``depevents`` (rules over
  the dependency parse; with ``deptree``, ``deplexicon``, ``deptriggers``,
  ``depphrases``, ``depactors``, ``deptargets``, ``depspeech``), ``cleanup``.
- ``evaluate``: precision/recall of document-level tuples against a gold file.
- ``record``: the analyst's record (proposed, confirmed, corrected, rejected).
- ``positions``: stances per state and issue, timeline, fissures (clusters) and chart.

Nothing here touches a database; ``service.monitor`` stores the record. See docs/monitor.md.
"""
