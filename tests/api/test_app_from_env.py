"""The factory each server worker calls: the app from the environment, its startup heap
frozen out of the garbage collector's full collections."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from allied.adapters.db.engine import make_engine, upgrade
from allied.entrypoints.api.app import app_from_env


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
