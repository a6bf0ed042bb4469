"""The alliance lab: a seeded Monte Carlo simulator of alliance politics (docs/lab.md).

* ``rules`` - the domain's decision rules vectorised over runs;
* ``actors`` - the modelled allies and partners, parameterised from the shipped data;
* ``positions`` - the initial-positions file format (the monitor writes it);
* ``scenario`` - the YAML schema, its validator and ``--set`` overrides;
* ``model`` - the mechanisms (decision, consent, ratification, aid, escalation, cohesion);
* ``engine`` - chunked, seeded runs on one or more processes; ``summary`` - metrics;
* ``charts`` - PNG and HTML; ``sweep`` - grids and Latin hypercubes, local or Ray;
* ``record`` - the recorded ratifications, blocking episodes and Kiel months;
* ``fit`` - coefficients estimated from the record, with bootstrap intervals;
* ``backtest`` - rolling-origin forecasts of the recorded episodes against baselines.

``allied.service.lab.run_scenario`` is the entry point for other callers.
"""
