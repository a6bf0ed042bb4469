"""Charts kept per data version, and the routes of their static exports.

A chart is computed once per *data version* (:func:`allied.service.access.data_version`:
the ledger's last sequence number, which every change moves) and per what decides its
figures (the caller's role and nation and the day for the overview; the report's name
and period for a report), then served from memory until the data changes: a page view
does not redraw it. The overview's figures themselves (the cell's picture) and the
caller's to-do list are kept the same way, under the same key. The cache holds at most
:data:`SIZE` entries (least recently used first out) in each server process.

Routes (each page links them under its interactive chart; shown in ``<noscript>``):

* ``GET /charts/overview/{gaps|offers}.svg`` the overview's charts (Matplotlib SVG),
* ``GET /charts/reports/{name}.{svg|png}?from=&to=`` a report's chart (as
  ``allied report NAME --format svg|png``).

The data version in the address (``?v=``) makes each version its own URL, so a browser
keeps a chart until the data changes (``Cache-Control: private, max-age``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from allied.domain.errors import AlliedError, InvalidInput, MissingData, NotFound
from allied.entrypoints.web import charts, figures, views
from allied.entrypoints.web.session import current
from allied.service import access
from allied.service.caller import Caller

SIZE = 256
T = TypeVar("T")

router = APIRouter(include_in_schema=False)


class ChartCache:
    """A bounded, thread-safe map of chart key -> chart (least recently used out first)."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.built = 0

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        found, kept = self._lookup(key)
        if found:
            value: T = kept
            return value
        return self.put(key, build())

    def peek(self, key: Hashable) -> Any | None:
        """What is kept under ``key``, or ``None`` (for what never keeps ``None``)."""
        return self._lookup(key)[1]

    def _lookup(self, key: Hashable) -> tuple[bool, Any]:
        """Whether ``key`` is kept, and what (the most recently used from now)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return True, self._items[key]
        return False, None

    def put(self, key: Hashable, value: T) -> T:
        """Keep ``value`` under ``key`` (built by the caller outside the lock)."""
        with self._lock:
            self.built += 1
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def cache_of(request: Request) -> ChartCache:
    cache: ChartCache = request.app.state.chart_cache
    return cache


def version(request: Request, *, reports: bool = False) -> int:
    ctx = request.app.state.ctx
    return access.data_version(ctx.report_uow() if reports else ctx.read_uow())


def families(request: Request, caller: Caller) -> list[str]:
    """The catalogue's capability families (a filter's choices: public reference data,
    the same for every caller), kept per data version."""
    ctx = request.app.state.ctx
    return cache_of(request).get(
        ("choices", "families", version(request)),
        lambda: views.families(ctx.read_uow(), caller),
    )


def donors(request: Request, caller: Caller) -> list[str]:
    """The states (the donor filter's choices: public reference data, the same for every
    caller), kept per data version."""
    ctx = request.app.state.ctx
    return cache_of(request).get(
        ("choices", "donors", version(request)),
        lambda: views.donors(ctx.read_uow(), caller),
    )


def _scope(caller: Caller) -> tuple[str, str]:
    return (caller.role, caller.nation or "")


# -- the overview ------------------------------------------------------------------------


def overview_key(request: Request, caller: Caller, what: str) -> tuple[Any, ...]:
    ctx = request.app.state.ctx
    return ("overview", what, *_scope(caller), ctx.today().isoformat(), version(request))


#: How many items of each to-do section the overview shows (it says how many there are).
TODO_SHOWN = 20


def _beside(key: tuple[Any, ...], what: str) -> tuple[Any, ...]:
    """The key of ``what`` under the same scope, day and data version as ``key``."""
    return (key[0], what, *key[2:])


def overview_data(request: Request, caller: Caller, key: tuple[Any, ...]) -> views.Overview:
    """The cell's picture (:func:`views.overview_of`) kept under ``key``'s scope and data
    version (taken before the read, as for the charts)."""
    return overview_page_data(request, caller, key, todo=False)[0]


def overview_page_data(
    request: Request, caller: Caller, key: tuple[Any, ...], *, todo: bool = True
) -> tuple[views.Overview, dict[str, Any]]:
    """The overview page's picture and (``todo``) the caller's to-do list, the first
    :data:`TODO_SHOWN` items of each section, each kept under ``key``'s scope (role and
    nation) and data version: what waits on the caller moves only with a change, and a
    change moves the version. What is not kept is read, the picture's reads and the
    to-do list side by side (``ctx.fan_out``), each on its own unit of work."""
    ctx = request.app.state.ctx
    cache = cache_of(request)
    data_key, todo_key = _beside(key, "data"), _beside(key, "todo")
    data: views.Overview | None = cache.peek(data_key)
    listed: dict[str, Any] | None = cache.peek(todo_key) if todo else {}
    reads: dict[str, Callable[[], Any]] = {}
    if data is None:
        reads.update(views.overview_reads(ctx.read_uow, caller, ctx.today()))
    if listed is None:
        reads["todo"] = lambda: access.todo(ctx.read_uow(), caller, ctx.today(),
                                            limit=TODO_SHOWN)
    # the consents waiting are the to-do list's queue section, which counts them all:
    # read once (views.queue_total), the picture's own count only where it has none
    count_consents = reads.pop("consents", None) if "todo" in reads else None
    if reads:
        results = ctx.fan_out.run(reads)
        if count_consents is not None:
            total = views.queue_total(results["todo"])
            results["consents"] = total if total is not None else count_consents()
        if data is None:
            data = cache.put(data_key, views.overview_of(results))
        if listed is None:
            listed = cache.put(todo_key, results["todo"])
    assert data is not None and listed is not None
    return data, listed


def overview_figures(
    request: Request, key: tuple[Any, ...], data: views.Overview, donors: list[dict[str, Any]]
) -> tuple[int, dict[str, dict[str, Any] | None]]:
    """The overview's interactive charts under ``key`` (:func:`overview_key`, taken before
    the page read ``data``), and the data version they belong to."""
    figs = cache_of(request).get(
        key,
        lambda: {
            "gaps": figures.overview_gaps(data.gaps),
            "eur": figures.overview_gap_eur(data.gaps),
            "offers": figures.overview_offers(donors),
        },
    )
    return int(key[-1]), figs


def sorted_donors(offer_totals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(offer_totals, key=lambda t: (-t["offers"], -t["committed"], t["key"]))


def _overview_svg(data: views.Overview, what: str) -> str:
    if what == "gaps":
        return charts.share_bars(
            [g.family for g in data.gaps],
            [
                ("delivered", [g.delivered_share for g in data.gaps]),
                ("pledged", [max(g.fill - g.delivered_share, 0.0) for g in data.gaps]),
                ("proposed", [g.proposed_share for g in data.gaps]),
                ("gap", [g.open_share for g in data.gaps]),
            ],
            xlabel="share of the quantity requested (%)",
        )
    donors = sorted_donors(data.offer_totals)
    return charts.grouped_bars(
        [str(t["key"]) for t in donors],
        [("offers", [t["offers"] for t in donors])],
        xlabel="offers released to you",
    )


SVG_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def _image(body: str | bytes, media: str, v: int | None, current_version: int) -> Response:
    response = Response(body, media_type=media, headers=SVG_HEADERS)
    # an address naming the current version may be kept until the data changes
    response.headers["Cache-Control"] = (
        "private, max-age=86400" if v == current_version else "private, no-cache"
    )
    return response


@router.get("/charts/overview/{what}.svg")
def overview_svg(
    request: Request, what: str, v: Annotated[int | None, Query(ge=0)] = None
) -> Response:
    if what not in ("gaps", "offers"):
        raise_not_found()
    ctx = request.app.state.ctx
    caller, _ = current(request, ctx)
    key = overview_key(request, caller, f"svg-{what}")

    def build() -> str:
        return _overview_svg(overview_data(request, caller, key), what)

    svg = cache_of(request).get(key, build)
    return _image('<?xml version="1.0" encoding="utf-8"?>\n' + svg, "image/svg+xml", v, key[-1])


def raise_not_found() -> None:
    from fastapi import HTTPException

    raise HTTPException(status_code=404, detail="no such chart")


# -- reports -----------------------------------------------------------------------------


def report_key(request: Request, name: str, start: str | None, end: str | None
               ) -> tuple[Any, ...]:
    return ("report", name, start or "", end or "", version(request, reports=True))


@router.get("/charts/reports/{name}.{fmt}")
def report_image(
    request: Request,
    name: str,
    fmt: str,
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    v: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """A report's chart as SVG or PNG (as the CLI draws it), for the roles that may open
    the report; kept per data version."""
    from allied.entrypoints.web.analysis import build_for, reports_for
    from allied.reports.charts import render_png, render_svg

    ctx = request.app.state.ctx
    caller, _ = current(request, ctx)
    if fmt not in ("svg", "png") or name not in reports_for(caller):
        raise_not_found()
    key = (*report_key(request, name, start, end), fmt)

    def build() -> str | bytes:
        report = build_for(request, caller, name, start, end)
        return render_svg(report)[0] if fmt == "svg" else render_png(report)

    try:
        body = cache_of(request).get(key, build)
    except (InvalidInput, NotFound) as exc:
        return Response(str(exc), status_code=422, media_type="text/plain")
    except MissingData as exc:  # its public data not imported yet (the page says how)
        return Response(str(exc), status_code=409, media_type="text/plain")
    except AlliedError as exc:
        return Response(str(exc), status_code=400, media_type="text/plain")
    media = "image/svg+xml" if fmt == "svg" else "image/png"
    response = _image(body, media, v, key[-2])
    response.headers["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    return response
