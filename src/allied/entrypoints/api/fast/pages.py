"""List pages whose records are kept across pledges and whose sums are completed.

A page of ``/offers`` or ``/requests`` (or the offer totals) is two things: records
filtered by releasability, which change only with the records version, and the sums a
pledge changes, which come from the process's holdings
(:mod:`allied.entrypoints.api.fast.holdings`). :func:`record_page` keeps the first under
the records version and completes them with the second, and gives the answer its
completer so that the middleware completes it again after later pledges.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from starlette.responses import Response

from allied.entrypoints.api.fast.keys import Key, json_key
from allied.entrypoints.api.fast.responses import Completer, acached_json_from, encode
from allied.entrypoints.api.fast.store import Versions
from allied.service.holdings import Holdings, RecordChange

if TYPE_CHECKING:
    from allied.entrypoints.api.context import AppContext

R = TypeVar("R")


async def record_page(
    ctx: AppContext,
    key: Key,
    versions: Versions,
    records: Callable[[Versions], R],
    complete: Callable[[R, Holdings], object],
    weight: Callable[[R], int],
    unchanged: Callable[[R, Sequence[RecordChange]], bool] | None = None,
    *,
    sums_sorted: bool = False,
) -> Response:
    """A list page (or the offer totals) as JSON. Its records are kept across pledges
    (under the records version; a miss is read in a worker thread, in one transaction);
    the sums a pledge changes are completed by ``complete`` from the process's holdings,
    moved along the ledger once per change for all readers. The answer carries its
    completer (``weight``: about what its records weigh in memory), so that after a
    pledge :class:`~allied.entrypoints.api.fast.middleware.CachedReads` completes it
    again itself; ``unchanged(records, amendments)`` says when amendments since leave
    the records as they are (:mod:`allied.service.unchanged`), so that it is completed
    after those too.

    ``sums_sorted``: the page is sorted by a sum (committed, available, pledged,
    outstanding), so which records it holds and their order change with every pledge or
    move: its records are kept under the ledger head, not the records version, and the
    answer is never completed."""
    if sums_sorted:
        found = await ctx.cache.aget(key, lambda: records(versions), versions.seq)

        async def whole() -> object:
            return complete(found, await ctx.holdings.at(versions))

        return await acached_json_from(ctx.cache, json_key(key), whole, versions.seq)
    found = await ctx.cache.aget(key, lambda: records(versions), versions.records)

    async def page() -> object:
        holdings = await ctx.holdings.at(versions)
        if holdings.records > versions.records:
            # a change other than a pledge came after this request read its versions:
            # records (and releasability, and the memberships it depends on) read again,
            # as of the holdings' records version or later, never older than the sums
            newer = Versions(holdings.seq, holdings.records)
            again = await ctx.cache.aget(key, lambda: records(newer), newer.records)
            return complete(again, holdings)
        return complete(found, holdings)

    return await acached_json_from(
        ctx.cache,
        json_key(key),
        page,
        versions.seq,
        completer=Completer(
            lambda holdings: encode(complete(found, holdings)),
            weight(found),
            *(() if unchanged is None else (lambda changes: unchanged(found, changes),)),
        ),
    )
