"""The dashboard in a real browser (Debian's Chromium via Playwright) against ``allied serve``.

The scenario of the issue, each role in its own browser context (its own cookies): the
recipient posts a request, a donor offers against it (an item another state made, released
to the recipient only), the coordinator runs the allocation and sees the plan and accepts
the pledge, the donor asks for re-export consent, the origin state grants it, and the donor
sees the pledge advance to approved. A second donor never sees the first donor's offer.
Keyboard navigation and form labels are checked on every page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from web.support import Site

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/requests",
    "/offers",
    "/allocation",
    "/consents",
    "/decisions",
    "/ledger",
    "/lab",
    "/monitor",
]

#: Every visible form control without an accessible name (label, aria-label, labelledby).
UNLABELLED_JS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden' && el.type !== 'submit')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 60))
"""


class Desk:
    """One user's browser context (its own cookie jar) and page."""

    def __init__(self, browser: Any, site: Site, user: str, shots: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1440, "height": 900})
        self.page = self.context.new_page()
        self.site = site
        self.user = user
        self.shots = shots

    def sign_in(self) -> None:
        self.page.goto(self.site.url + "/")
        assert self.page.url.endswith("/login")
        self.page.get_by_label("Token").fill(self.site.tokens[self.user])
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(self.site.url + "/")

    def go(self, path: str) -> Any:
        self.page.goto(self.site.url + path)
        return self.page

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=False)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def desks(browser: Any, site: Site, shots: Path) -> Iterator[dict[str, Desk]]:
    made: dict[str, Desk] = {}

    class Lazy(dict[str, Desk]):
        def __missing__(self, user: str) -> Desk:
            desk = Desk(browser, site, user, shots)
            desk.sign_in()
            made[user] = desk
            self[user] = desk
            return desk

    yield Lazy()
    for desk in made.values():
        desk.close()


def _row(page: Any, table: str, text: str) -> Any:
    return page.locator(f"table#{table} tbody tr", has_text=text)


def test_request_offer_allocate_consent_scenario(desks: dict[str, Desk], site: Site) -> None:
    today = dt.date.today()
    needed = (today + dt.timedelta(days=60)).isoformat()

    # the recipient posts a request, released to everyone
    ukr = desks["ukr"]
    header = ukr.page.locator("header .who").text_content() or ""
    assert "UKR" in header and "recipient" in header
    page = ukr.go("/requests")
    form = page.get_by_role("region", name="Post a request")
    form.get_by_label("Capability family").fill("120mm-mortar")
    form.get_by_label("Quantity").fill("1000")
    form.get_by_label("Priority (5 most urgent)").select_option("5")
    form.get_by_label("Needed by").fill(needed)
    form.get_by_label("Releasable to").fill("public")
    form.get_by_role("button", name="Post request").click()
    flash = page.locator(".flash.ok")
    assert re.match(r"Request \S+ posted\.", flash.inner_text())
    request_id = flash.inner_text().split()[1]
    assert _row(page, "requests", request_id).count() == 1
    ukr.shot("requests-board")

    # a donor offers against it: its own mortar bombs, and German-made ones that need
    # Germany's re-export consent; both released to Ukraine only
    est = desks["est"]
    page = est.go("/requests")
    assert _row(page, "requests", request_id).count() == 1
    offer_ids = []
    for quantity, origin in (("600", ""), ("200", "DEU")):
        page = est.go("/offers")
        form = page.get_by_role("region", name="Post an offer")
        form.get_by_label("Capability family").fill("120mm-mortar")
        form.get_by_label("Quantity").fill(quantity)
        form.get_by_label("Made by (ISO3", exact=False).fill(origin)
        form.get_by_label("Releasable to").fill("nations:UKR")
        form.get_by_role("button", name="Post offer").click()
        offer_ids.append(page.locator(".flash.ok").inner_text().split()[1])
        assert _row(page, "offers", offer_ids[-1]).count() == 1
    own_offer, german_offer = offer_ids
    page = ukr.go("/offers")
    assert _row(page, "offers", own_offer).count() == 1

    # a second donor never sees them, anywhere
    gbr = desks["gbr"]
    for path in ("/offers", "/", "/allocation", "/offers?family=120mm-mortar&status=open"):
        html = gbr.go(path).content()
        assert own_offer not in html and german_offer not in html

    # the coordinator runs the allocation and sees the plan: Estonia's own bombs go to the
    # request; the German-made ones wait for consent, which the plan gives as the reason
    coord = desks["coord"]
    page = coord.go("/allocation")
    page.get_by_label("As of").fill(today.isoformat())
    page.get_by_role("button", name="Record it as proposed").click()
    plan = page.locator("#plan")
    plan.wait_for()
    line = plan.locator("tr", has_text=own_offer)
    assert line.count() == 1 and request_id in line.inner_text() and "600" in line.inner_text()
    unfilled = page.locator("table#unfilled tr", has_text=request_id)
    assert "400" in unfilled.inner_text() and "consent-pending:DEU" in unfilled.inner_text()
    coord.shot("allocation-plan")
    # ...and accepts the proposed pledge
    row = _row(page, "allocations", own_offer)
    allocation_id = row.locator("th").inner_text().strip()
    assert "proposed" in row.inner_text()
    row.get_by_role("button", name=f"Move {allocation_id} to pledged").click()
    expect(_row(page, "allocations", own_offer).locator(".pill")).to_have_text("pledged")

    # the donor sees its accepted pledge, pledges the German-made bombs and asks consent
    page = est.go("/offers")
    assert "pledged" in _row(page, "pledges", allocation_id).locator(".pill").inner_text()
    form = page.get_by_role("region", name="Pledge against a request")
    form.get_by_label("Offer").select_option(german_offer)
    form.get_by_role("button", name="Choose").click()  # requests its offer can fill
    form = page.get_by_role("region", name="Pledge against a request")
    form.get_by_label("Request").select_option(request_id)
    form.get_by_label("Quantity").fill("200")
    form.get_by_role("button", name="Pledge").click()
    pledge_id = page.locator(".flash.ok").inner_text().split()[1]
    pledge = _row(page, "pledges", pledge_id)
    assert "pledged" in pledge.locator(".pill").inner_text()
    pledge.get_by_role("button", name=f"Move {pledge_id} to consent-pending").click()
    expect(_row(page, "pledges", pledge_id).locator(".pill")).to_have_text("consent-pending")

    # the origin state answers the consent request
    deu = desks["deu"]
    page = deu.go("/consents")
    waiting = _row(page, "waiting", "EST")
    assert waiting.count() == 1 and "UKR" in waiting.inner_text()
    consent_id = waiting.locator("th").inner_text().strip()
    deu.shot("consents-inbox")
    waiting.get_by_label(f"Reason for {consent_id}").fill("cleared for Ukraine")
    waiting.get_by_role("button", name=f"Grant {consent_id}").click()
    assert page.locator(".flash.ok").inner_text() == f"Consent request {consent_id} answered."
    answered = page.locator("table#answered tr", has_text=consent_id)
    assert "granted" in answered.inner_text() and "cleared for Ukraine" in answered.inner_text()

    # the donor sees the pledge advance
    page = est.go("/offers")
    expect(_row(page, "pledges", pledge_id).locator(".pill")).to_have_text("approved")
    page.evaluate("document.getElementById('pledges-h').scrollIntoView()")
    est.shot("offers-donor")

    # ...and the second donor still sees neither the offers nor the pledges
    for path in ("/offers", "/allocation", "/"):
        html = gbr.go(path).content()
        for secret in (own_offer, german_offer, allocation_id, pledge_id):
            assert secret not in html

    # a decision: the coordinator circulates under silence, Germany breaks silence
    page = coord.go("/decisions")
    page.locator("summary", has_text="Circulate a proposal").click()
    page.get_by_label("Forum").fill("NATO")
    page.get_by_label("Rule").select_option("consensus-silence")
    page.get_by_label("Title").fill("Joint purchase of 120 mm mortar bombs for Ukraine")
    page.get_by_label("Deadline (silence ends)").fill((today + dt.timedelta(days=5)).isoformat())
    page.get_by_role("button", name="Circulate").click()
    proposal_id = page.locator(".flash.ok").inner_text().split()[1]
    page = deu.go("/decisions")
    card = page.locator(f"article#{proposal_id}")
    card.get_by_label("Position of DEU").select_option("no")
    card.get_by_label("Reason").fill("needs a Bundestag vote first")
    card.get_by_role("button", name="Record position").click()
    page = coord.go("/decisions")
    broke = page.locator(f"article#{proposal_id} tr", has_text="DEU")
    assert "broke silence" in broke.inner_text() and "Bundestag" in broke.inner_text()
    coord.shot("decisions")

    # the overview of the coordinator counts it; the auditor verifies the ledger
    page = coord.go("/")
    gap = page.locator("table.data tbody tr", has_text="120mm-mortar").first
    assert "1,000" in gap.inner_text() and "800" in gap.inner_text()
    coord.shot("overview")
    page = desks["audit"].go("/ledger")
    page.get_by_role("button", name="Verify the chain").click()
    assert "intact" in page.locator("#verify-result").inner_text()
    desks["audit"].shot("ledger")


def test_keyboard_and_labels(desks: dict[str, Desk], site: Site, browser: Any) -> None:
    # sign in with the keyboard only
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(site.url + "/login")
        assert page.evaluate("document.activeElement.id") == "token"
        page.keyboard.type(site.tokens["coord"])
        page.keyboard.press("Enter")
        page.wait_for_url(site.url + "/")
        # the skip link comes first and moves focus to the content
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        page.goto(site.url + "/")
        # tab from the skip link through the main navigation
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") == "/"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") == "/requests"
        page.keyboard.press("Enter")
        page.wait_for_url(site.url + "/requests")
        assert page.locator('nav.wide-nav a[aria-current="page"]').inner_text() == "Requests"
    finally:
        context.close()

    # every control of every page has a label, for every role
    for user in ("coord", "est", "ukr", "deu"):
        desk = desks[user]
        for path in PAGES:
            page = desk.go(path)
            missing = page.evaluate(UNLABELLED_JS)
            assert missing == [], f"{user} {path}: unlabelled {missing}"
            assert page.locator("h1").count() == 1
            assert page.evaluate("document.documentElement.lang") == "en"


def test_signed_out_pages_redirect_and_logout(browser: Any, site: Site) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(site.url + "/consents")
        assert page.url == site.url + "/login?next=/consents"
        page.get_by_label("Token").fill("not-a-token")
        page.get_by_role("button", name="Sign in").click()
        assert "unknown or revoked" in page.locator(".flash.err").inner_text()
        page.get_by_label("Token").fill(site.tokens["deu"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(site.url + "/consents")
        cookie = next(c for c in context.cookies() if c["name"] == "allied_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie") == ""
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(site.url + "/login")
        page.goto(site.url + "/")
        assert page.url.endswith("/login")
    finally:
        context.close()


def test_reports_and_lab(desks: dict[str, Desk]) -> None:
    analyst = desks["audit"]
    page = analyst.go("/reports")
    page.get_by_label("Report", exact=True).select_option("burden")
    page.get_by_role("button", name="Show").click()
    page.locator(".report-chart [data-drawn]").wait_for()  # drawn by the vendored Plotly
    assert page.locator("table#report-table tbody tr").count() > 5
    analyst.shot("reports-burden")

    page = analyst.go("/lab")
    form = page.get_by_role("region", name="Run")
    form.get_by_label("Scenario").select_option("natoization-2024")
    form.get_by_label("Runs").fill("20000")
    form.get_by_label("Parameters").fill("")
    form.get_by_role("button", name="Run scenario").click()
    results = page.locator("#lab-results")
    results.wait_for()
    assert page.locator("#lab-progress .tick").last.inner_text().endswith("(100%)")
    assert page.locator("#lab-progress progress:visible").count() == 1  # one bar, filled
    assert page.locator("table#lab-table tbody tr").count() > 3
    page.locator("#lab-results [data-drawn]").first.wait_for()
    analyst.shot("lab")


#: The lab's progress while the page still streams: the last tick streamed so far, if its
#: bar is between 0 and 100 %, with what the browser makes of it; "finished" once the
#: results are on the page (too late to judge the progress bar).
MID_RUN_JS = """
() => {
  if (document.getElementById('lab-results')) return 'finished';
  const ticks = Array.from(document.querySelectorAll('#lab-progress .tick'));
  if (ticks.length < 2) return null;
  const last = ticks[ticks.length - 1];
  const bar = last.querySelector('progress');
  if (!bar || !(bar.value > 0 && bar.value < bar.max)) return null;
  const style = getComputedStyle(last);
  const box = last.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + 3, box.top + box.height / 2);
  return {
    ticks: ticks.length, value: bar.value, max: bar.max, text: last.innerText,
    display: style.display, visibility: style.visibility,
    width: box.width, height: box.height, onTop: last.contains(hit),
    earlierHidden: ticks.slice(0, -1).every(t => getComputedStyle(t).visibility === 'hidden'),
  };
}
"""


def mid_run(page: Any) -> dict[str, Any]:
    """Wait (while the page streams) for a tick between 0 and 100 %; what it looks like."""
    seen = page.wait_for_function(MID_RUN_JS, polling=50, timeout=60_000).json_value()
    assert seen != "finished", "the run ended before a tick between 0 and 100 % was seen"
    assert isinstance(seen, dict)
    return seen


def test_lab_progress_shows_while_the_run_streams(desks: dict[str, Desk]) -> None:
    """The latest progress tick is visible (and on top of the earlier ones) mid-run,
    before the page has finished: the review saw an empty panel until the end."""
    est = desks["est"]
    page = est.go("/lab")
    form = page.get_by_role("region", name="Run")
    form.get_by_label("Scenario").select_option("natoization-2024")
    form.get_by_label("Runs").fill("30000")  # 2 variants: 12 chunks of 5,000 runs
    with page.expect_navigation(wait_until="commit"):
        form.get_by_role("button", name="Run scenario").click()
    seen = mid_run(page)
    assert seen["display"] != "none" and seen["visibility"] == "visible", seen
    assert seen["width"] > 0 and seen["height"] > 0, seen
    assert seen["onTop"], seen  # the latest paints over the earlier ticks
    assert seen["earlierHidden"], seen  # and only it is in the accessibility tree
    pct = 100 * int(seen["value"]) // int(seen["max"])
    assert seen["text"].endswith(f"of {int(seen['max']):,} runs ({pct}%)"), seen
    page.locator("#lab-results").wait_for(timeout=120_000)
    bars = page.get_by_role("progressbar")
    assert bars.count() == 1 and bars.get_attribute("value") == "60000"
