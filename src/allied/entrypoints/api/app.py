"""The application factory: ``create_app(settings)`` builds a FastAPI app on its own store.

No global engine: each app opens the store named by its settings (or uses the one it is
given), keeps it in ``app.state.ctx`` and closes it when the server shuts down. The
OpenAPI document is served at ``/api/v1/openapi.json`` and health at ``/healthz``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from allied import __version__
from allied.bootstrap import Store, build
from allied.config import Settings
from allied.entrypoints.api import errors
from allied.entrypoints.api.context import ApiOptions, AppContext
from allied.entrypoints.api.deps import plain_params
from allied.entrypoints.api.fast.middleware import CachedReads
from allied.entrypoints.api.labjobs import LabJobs
from allied.entrypoints.api.limits import BodySizeLimit
from allied.entrypoints.api.openapi import document_limits
from allied.entrypoints.api.routes import (
    admin,
    governance,
    lab,
    lifecycle,
    monitor,
    parity,
    plans,
    records,
    reference,
    todo,
)
from allied.entrypoints.web import mount_web, upload_limits

OPENAPI_URL = "/api/v1/openapi.json"
_log = logging.getLogger("allied.api")


def create_app(
    settings: Settings | None = None,
    *,
    options: ApiOptions | None = None,
    store: Store | None = None,
    today: Callable[[], dt.date] | None = None,
    migrate: bool = True,
    warm: bool = False,
) -> FastAPI:
    """Build the API.

    ``settings`` name the database (``Settings.from_env()`` when omitted); ``store`` uses an
    open store instead (the caller then closes it); ``today`` replaces the clock that
    releasability (membership on a date) and consent expiry are evaluated against;
    ``migrate=False`` skips the schema upgrade (``allied serve`` upgrades once before
    starting its workers); ``warm=True`` (a server worker) reads at start-up, in the
    background, what the first list request would otherwise wait for (the held quantities
    the API's list pages complete from: about 0.7 s at scale 0.25).
    """
    owned = store is None
    if store is None:
        store = build(settings or Settings.from_env(), migrate=migrate)
    ctx = AppContext(store=store, options=options or ApiOptions(), today=today or dt.date.today)
    lab_jobs = LabJobs()  # its threads start with the first job

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=_warm_up, name="templates", daemon=True).start()
        holdings = asyncio.get_running_loop().create_task(_warm_holdings(ctx)) if warm else None
        yield
        if holdings is not None:
            holdings.cancel()
        lab_jobs.close()
        ctx.close()
        if owned:
            ctx.store.close()

    app = FastAPI(
        title="allied clearinghouse",
        version=__version__,
        description=(
            "Requests, offers, pledges, consents and decisions of a coalition. Every route "
            "but /healthz needs `Authorization: Bearer <token>`; every record is filtered "
            "by its releasability to the caller's nation."
        ),
        openapi_url=OPENAPI_URL,
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(plain_params)],
    )
    app.state.ctx = ctx
    app.state.lab_jobs = lab_jobs
    errors.install(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=ctx.options.max_body_bytes,
        uploads=upload_limits(ctx.options.max_body_bytes),
    )
    # outermost of ours: a repeated read is answered before anything else runs
    app.add_middleware(CachedReads, ctx=ctx)
    app.include_router(admin.router)
    app.include_router(reference.router)
    app.include_router(records.router)
    app.include_router(lifecycle.router)
    app.include_router(plans.router)
    app.include_router(todo.router)
    app.include_router(parity.router)
    app.include_router(governance.router)
    app.include_router(monitor.router)
    app.include_router(lab.router)
    mount_web(app, ctx)
    document_limits(app, ctx.options)
    return app


def app_from_env() -> FastAPI:
    """The factory ``uvicorn --factory`` calls in each worker (schema already upgraded)."""
    app = create_app(Settings.from_env(), options=ApiOptions.from_env(), migrate=False,
                     warm=True)
    freeze_heap()
    return app


async def _warm_holdings(ctx: AppContext) -> None:
    """The holdings of this event loop read once at start (``LiveHoldings.at``): a list
    request that comes meanwhile waits for this read instead of starting its own. A
    failure here (the database not reachable yet) is left to the first request, which
    reads again and answers with the error."""
    try:
        await ctx.holdings.at(await ctx.cache.aversions())
    except Exception:  # the request path reports it; the server must start regardless
        _log.warning("reading the holdings at start-up failed", exc_info=True)


def _warm_up() -> None:
    """The pages' templates compiled while the server waits for its first request; in a
    server worker (its heap frozen by :func:`freeze_heap`), frozen with the rest, so that
    the collector's full passes do not scan their code either."""
    from allied.entrypoints.web.pages import compile_templates

    compile_templates()
    if gc.get_freeze_count():
        freeze_heap()


def freeze_heap() -> None:
    """Put the objects alive now (modules, the ORM's mappings, the routes' validators)
    out of the cyclic garbage collector's reach, for the life of the process.

    A full collection scans every tracked object; with the whole application loaded that
    took 70-90 ms, about every two seconds under load, and stalled every request on the
    worker meanwhile (the p99 of reads and writes). Frozen, a full collection scans only
    what came since. Called once per server worker, after the app is built; not by
    :func:`create_app`, so tests that build many apps do not keep them all.
    """
    gc.collect()
    gc.freeze()
