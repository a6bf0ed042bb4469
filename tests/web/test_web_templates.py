"""Every page's template is compiled when the app starts (not by its first visitor)."""

from __future__ import annotations

from starlette.testclient import TestClient

from allied.bootstrap import Store
from allied.entrypoints.api import create_app
from allied.entrypoints.web.pages import templates
from web.support import TODAY


def test_the_app_compiles_every_template_when_it_starts(store: Store) -> None:
    env = templates.env
    names = env.list_templates(extensions=["html"])
    assert "offers.html" in names and "allocation.html" in names
    assert env.cache is not None
    env.cache.clear()
    app = create_app(store=store, today=lambda: TODAY)
    assert not env.cache.keys()  # building the app compiles nothing yet
    with TestClient(app):
        kept = {key[1] for key in env.cache}
    assert set(names) <= kept
