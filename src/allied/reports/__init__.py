"""Reports over public data (Kiel Ukraine Support Tracker, SIPRI) and the clearinghouse.

Pure computations over plain records (:mod:`records`) returning a :class:`~.model.Report`;
rendering to CSV, JSON, PNG and self-contained HTML lives in :mod:`render`,
:mod:`charts` and :mod:`html`. Nothing here touches a database.
"""
