"""The factory each server worker calls: the app from the environment, its startup heap
frozen out of the garbage collector's full collections."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from allied.adapters.db.engine import make_engine, upgrade
from allied.config import Settings
from allied.entrypoints.api import app as app_module
from allied.entrypoints.api import create_app
from allied.entrypoints.api.app import app_from_env
from allied.entrypoints.web import pages


def test_the_worker_factory_builds_the_app_and_freezes_its_heap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'allied.db'}"
    engine = make_engine(url)
    upgrade(engine)  # allied serve upgrades once before starting the workers
    engine.dispose()
    monkeypatch.setenv("ALLIED_DATABASE_URL", url)
    monkeypatch.setenv("ALLIED_API_PLEDGE_BATCH", "7")
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    app = app_from_env()
    try:
        assert app.state.ctx.options.pledge_batch == 7
        # everything alive once the app was built is out of reach of full collections
        assert gc.get_freeze_count() > 10_000
        assert gc.is_tracked(app.state.ctx) and not any(
            o is app.state.ctx for o in gc.get_objects(generation=2)
        )
    finally:
        gc.unfreeze()
        app.state.ctx.close()
        app.state.ctx.store.close()


def test_the_templates_compiled_at_start_are_frozen_in_a_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start-up thread compiles the pages' templates after the factory froze the
    heap; in a worker it freezes again, so their code is out of full collections too
    (a 70-120 ms full pass landed on the first loads of pages otherwise)."""
    url = f"sqlite:///{tmp_path / 'allied.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("ALLIED_DATABASE_URL", url)
    done: list[int] = []
    real = app_module._warm_up

    def watched() -> None:
        real()
        done.append(gc.get_freeze_count())

    monkeypatch.setattr(app_module, "_warm_up", watched)
    gc.unfreeze()
    app = app_from_env()
    frozen = gc.get_freeze_count()
    try:
        with TestClient(app):
            for _ in range(200):
                if done:
                    break
                time.sleep(0.05)
        # what the start-up thread compiled (or found compiled) joined the frozen heap
        assert done and done[0] > frozen
        assert not any(o is pages.templates.env.get_template("decisions.html")
                       for o in gc.get_objects(generation=2))
    finally:
        gc.unfreeze()
        app.state.ctx.close()
        app.state.ctx.store.close()


def test_an_app_built_by_a_test_is_not_frozen(tmp_path: Path) -> None:
    """``create_app`` alone (tests, in-process tools) freezes nothing: the start-up
    thread only compiles."""
    gc.unfreeze()
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'allied.db'}"))
    try:
        with TestClient(app):
            pass
        app_module._warm_up()
        assert gc.get_freeze_count() == 0
    finally:
        app.state.ctx.close()
        app.state.ctx.store.close()


def test_a_worker_reads_the_holdings_at_start_and_a_test_app_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server worker reads the held quantities its list pages complete from while it
    waits for its first request (the first list request at scale 0.25 took 1.3 s doing
    it); an app built by a test reads them on first use, so tests count their reads."""
    url = f"sqlite:///{tmp_path / 'allied.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("ALLIED_DATABASE_URL", url)
    gc.unfreeze()
    worker = app_from_env()
    try:
        with TestClient(worker):
            for _ in range(200):
                if worker.state.ctx.holdings.loads:
                    break
                time.sleep(0.05)
            assert worker.state.ctx.holdings.loads == 1  # no request made
    finally:
        gc.unfreeze()
        worker.state.ctx.close()
        worker.state.ctx.store.close()
    plain = create_app(Settings(database_url=url))
    try:
        with TestClient(plain):
            time.sleep(0.2)
            assert plain.state.ctx.holdings.loads == 0
    finally:
        plain.state.ctx.close()
        plain.state.ctx.store.close()
