"""A refused form in a real browser (issue 19): with the text box's ``maxlength`` taken off
(as a post that bypasses the browser's own check would be), an over-long note is sent;
the server answers with the requests board again — not JSON — the note as typed in its
box, the error beside it (named by its label, pointed at by the box's
``aria-describedby``) and a summary at the top whose link leads to the box. Nothing is
posted. Screenshots at 1280 and 390 px wide."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from web.support import Site
from web.test_web_browser import Desk

pytestmark = pytest.mark.browser

NOTE = "Typed before the limit was known. " * 80  # 2,720 characters


def _visible(page: Any) -> int:
    text = page.locator("form[aria-label='Filter requests'] .muted.small").text_content() or ""
    return int(re.sub(r"\D", "", text.split("request")[0]) or "0")


@pytest.mark.parametrize("width", [1280, 390])
def test_an_over_long_note_comes_back_beside_its_box(
    browser: Any, site: Site, shots: Path, width: int
) -> None:
    desk = Desk(browser, site, "ukr", shots)
    try:
        desk.context.close()
        desk.context = browser.new_context(viewport={"width": width, "height": 900})
        desk.page = desk.context.new_page()
        desk.sign_in()
        page = desk.go("/requests")
        before = _visible(page)
        form = page.get_by_role("region", name="Post a request")
        form.get_by_label("Capability family").fill("120mm-mortar")
        form.get_by_label("Quantity").fill("40")
        needed = (dt.date.today() + dt.timedelta(days=60)).isoformat()
        form.get_by_label("Needed by").fill(needed)
        notes = form.get_by_label("Notes")
        # the browser would stop at 2,000 characters: a post that bypasses it
        notes.evaluate("el => el.removeAttribute('maxlength')")
        notes.fill(NOTE)
        with page.expect_response(lambda r: r.request.method == "POST") as sent:
            form.get_by_role("button", name="Post request").click()
        answer = sent.value
        assert answer.status == 422
        assert answer.headers["content-type"].startswith("text/html")
        page.wait_for_load_state()
        # the board again, the note as typed, the error beside its box
        box = page.locator("#r-notes")
        expect(box).to_have_value(NOTE)
        expect(box).to_have_attribute("aria-invalid", "true")
        expect(box).to_have_attribute("aria-describedby", "r-notes-err")
        beside = page.locator("#r-notes-err")
        expect(beside).to_be_visible()
        expect(beside).to_have_text(re.compile(r"^Notes: at most 2,000 characters; this has 2,7"))
        expect(page.get_by_label("Quantity", exact=True).first).to_have_value("40")
        # the summary at the top says what happened, in words, and leads to the box
        summary = page.locator(".error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_contain_text("Not saved:")
        expect(summary).not_to_contain_text("422")
        desk.shot(f"form-refused-{width}")
        summary.get_by_role("link", name=re.compile("^Notes: ")).click()
        assert page.url.endswith("#r-notes")
        expect(box).to_be_in_viewport()
        desk.shot(f"form-refused-field-{width}")
        assert _visible(desk.go("/requests")) == before  # nothing was posted
    finally:
        desk.close()
