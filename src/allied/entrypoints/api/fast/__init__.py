"""The machinery that makes the hot routes fast, fenced off from the ordinary routes.

An ordinary route (read or write) needs none of this: its router in ``routes/``, the
dependencies in ``deps.py``, the schemas in ``schemas.py`` and the service it calls. A
read route whose answer is worth keeping uses the names exported here, and nothing else
of the package:

* :func:`acached_json`: a JSON answer kept per key at a data version, given again by the
  middleware while the version holds;
* :func:`afresh_json`: a JSON answer that changes with nearly every write (a page of
  allocations), computed once at a time per key for every call that came before;
* :func:`record_page`: a list page whose records are kept across pledges and whose sums
  are completed from the holdings;
* :func:`view_key` / :func:`role_key`: the key of such a result (every parameter it
  depends on, the caller's nation and role and the day);
* :class:`Versions`: the data versions a request read (``deps.DataVersions``).

Inside, one module per mechanism:

==================  =====================================================================
``keys``            the cache keys (one helper: what a kept result depends on)
``flight``          single flight: one computation per key in flight, shared by waiters
``store``           the versioned stores (results, whole answers) and the version reader
``responses``       the JSON answers a route marks as cached or completable
``middleware``      :class:`CachedReads`: whole answers before the framework runs
``holdings``        the held sums per process, moved along the ledger
``pages``           list pages: records under the records version, sums from holdings
``batching``        group commit of the hot writes: pledges, amendments, lifecycle moves
==================  =====================================================================
"""

from __future__ import annotations

from allied.entrypoints.api.fast.keys import role_key, view_key
from allied.entrypoints.api.fast.pages import record_page
from allied.entrypoints.api.fast.responses import acached_json, afresh_json
from allied.entrypoints.api.fast.store import Versions

__all__ = ["Versions", "acached_json", "afresh_json", "record_page", "role_key", "view_key"]
