"""An app compiles every page's template once per process when it starts, in the
background (issue 19): the first view of a page after the server starts, the cold load,
does not compile it."""

from __future__ import annotations

from typing import Any

import pytest

from allied.bootstrap import Store
from allied.entrypoints.api import create_app


def test_every_template_is_compiled_once_and_then_served_compiled(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_app(store=store)  # the web modules and their template filters
    from allied.entrypoints.web import pages

    pages.compile_templates()
    names = pages.templates.env.list_templates(extensions=["html"])
    assert "decisions.html" in names and len(names) > 10

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("compiled again")

    # a second call, and every page's template, come from what was compiled
    monkeypatch.setattr(pages.templates.env, "compile", refuse)
    pages.compile_templates()
    for name in names:
        assert pages.templates.env.get_template(name).name == name
