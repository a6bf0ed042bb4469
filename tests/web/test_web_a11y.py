"""Accessibility and the charts in a real browser (Debian's Chromium via Playwright).

* axe-core (vendored for the tests, ``tests/web/vendor/axe-core``) finds no violation on
  any page of the page catalogue (``page_catalogue.py``), for each of the six roles, at
  desktop width (1440 x 900) and at 390 x 844; at 390 px nothing is wider than the screen
  (tables scroll inside their own box) and the navigation is a menu that opens without
  script.
* The interactive charts draw under the page's Content-Security-Policy with no
  violation and no console error, show a value on hover and hide a series from the
  legend.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from web.page_catalogue import CATALOGUE, RECORD_PAGES, ROLES, SIGNED_OUT, fill, paths_for
from web.support import ROLE_USERS, Site, allied

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
#: ``make screenshots`` sets it: each catalogue page, as the first role that lists it,
#: is saved there at both sizes (``page-<path>-<size>.png``, the visible screen)
SHOTS = os.environ.get("ALLIED_WEB_SCREENSHOTS")
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

RUN_AXE = """
async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))
  }));
}
"""

#: the centre of the first bar of a chart that is wide enough to point at
BAR_CENTRE = """
(chart) => {
  for (const bar of document.querySelectorAll(chart + ' .bars .point path')) {
    const r = bar.getBoundingClientRect();
    if (r.width > 4 && r.height > 4) return {x: r.x + r.width / 2, y: r.y + r.height / 2};
  }
  return null;
}
"""

#: charts still to draw (the page's script draws each [data-figure] once Plotly loads)
UNDRAWN = "document.querySelectorAll('[data-figure]:not([data-drawn])').length"


def slug(path: str) -> str:
    """A file name for a page: ``/`` -> ``overview``, ``/reports?name=gaps`` ->
    ``reports-gaps``."""
    name = path.strip("/").replace("?name=", "-").replace("/", "-").replace("?", "-")
    return name.replace("=", "-").replace("&", "-") or "overview"


def sign_in(page: Any, site: Site, user: str) -> None:
    page.goto(site.url + "/login")
    page.get_by_label("Token").fill(site.tokens[user])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site.url + "/")


def settle(page: Any) -> None:
    page.wait_for_load_state("load")
    page.wait_for_function(f"() => {UNDRAWN} === 0", timeout=15_000)


@pytest.fixture(scope="module")
def audited(browser: Any, site: Site) -> Iterator[dict[tuple[str, str], Any]]:
    """A signed-in page with axe-core loaded, per (role, viewport name)."""
    made: dict[tuple[str, str], Any] = {}
    contexts = []

    class Lazy(dict[tuple[str, str], Any]):
        def __missing__(self, key: tuple[str, str]) -> Any:
            role, size = key
            context = browser.new_context(viewport=DESKTOP if size == "desktop" else PHONE)
            context.add_init_script(path=str(AXE))  # injected by the browser, not the page
            contexts.append(context)
            page = context.new_page()
            if role:
                sign_in(page, site, ROLE_USERS[role])
            self[key] = page
            return page

    yield Lazy(made)
    for context in contexts:
        context.close()


def test_the_catalogue_covers_every_role_and_the_navigation(audited: Any, site: Site) -> None:
    assert {role for role, _ in CATALOGUE} == set(ROLES)
    for role in ROLES:
        page = audited[(role, "desktop")]
        page.goto(site.url + "/")
        links = page.locator("nav.wide-nav a").evaluate_all("els => els.map(e => e.pathname)")
        listed = {path.split("?")[0] for path in paths_for(role)}
        assert set(links) <= listed, (role, set(links) - listed)


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("role", ROLES)
def test_axe_finds_no_violation_on_any_page(
    audited: Any, site: Site, role: str, size: str
) -> None:
    page = audited[(role, size)]
    found = {}
    for path in paths_for(role):
        response = page.goto(site.url + path)
        assert response is not None and response.status < 500, path
        settle(page)
        violations = page.evaluate(RUN_AXE)
        if violations:
            found[path] = violations
        if SHOTS and next(r for r, p in CATALOGUE if p == path) == role:
            page.screenshot(path=str(Path(SHOTS) / f"page-{slug(path)}-{size}.png"))
        if size == "phone":
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= PHONE["width"], f"{role} {path}: page {wide} px wide at 390 px"
    assert found == {}, f"{role} at {size}: {found}"


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_axe_finds_no_violation_signed_out(audited: Any, site: Site, size: str) -> None:
    page = audited[("", size)]
    for path in SIGNED_OUT:
        page.goto(site.url + path)
        assert page.evaluate(RUN_AXE) == [], path


def test_the_navigation_folds_into_a_menu_at_390_px(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, site, "coord")
        assert not page.locator("nav.wide-nav").is_visible()
        menu = page.locator("details.narrow-nav")
        assert not menu.locator("a", has_text="Requests").is_visible()
        menu.locator("summary").click()  # opens without any script
        menu.locator("a", has_text="Requests").click()
        page.wait_for_url(site.url + "/requests")
        # the charts' static images show without script
        page.goto(site.url + "/")
        images = page.locator("img.static-chart")
        assert images.count() == 2
        for i in range(2):
            images.nth(i).scroll_into_view_if_needed()
            assert images.nth(i).evaluate("img => img.complete && img.naturalWidth") > 100
    finally:
        context.close()


def test_charts_draw_under_the_csp_and_show_values_on_hover(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport=DESKTOP)
    problems: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
        page.on(
            "request",
            lambda r: r.url.startswith(site.url) or problems.append(f"off-site {r.url}"),
        )
        sign_in(page, site, "coord")
        page.evaluate(
            "() => document.addEventListener('securitypolicyviolation',"
            " e => console.error('CSP ' + e.violatedDirective))"
        )
        for path in ("/", "/reports?name=burden", "/reports?name=predictability"):
            page.goto(site.url + path)
            page.evaluate(
                "() => document.addEventListener('securitypolicyviolation',"
                " e => console.error('CSP ' + e.violatedDirective))"
            )
            settle(page)
            assert page.locator("[data-drawn]").count() >= 1, path
        csp = page.goto(site.url + "/").headers["content-security-policy"]  # type: ignore[union-attr]
        assert "unsafe-eval" not in csp and "script-src 'self'" in csp
        settle(page)
        # hover a bar of the gaps chart: its value shows
        chart = page.locator("#chart-gaps")
        chart.scroll_into_view_if_needed()
        box = page.evaluate(BAR_CENTRE, "#chart-gaps")
        assert box is not None, "no bar drawn"
        page.mouse.move(box["x"], box["y"])
        tip = chart.locator(".hoverlayer .hovertext")
        tip.first.wait_for()
        text = tip.first.text_content() or ""
        assert "requested" in text and "% of the request" in text, text
        # a legend entry hides its series and shows it again
        entry = chart.locator(".legend .traces").first
        entry.click()
        page.wait_for_function(
            "() => document.getElementById('chart-gaps').data[0].visible === 'legendonly'"
        )
        entry.click()
        page.wait_for_function(
            "() => document.getElementById('chart-gaps').data[0].visible !== 'legendonly'"
        )
        assert problems == [], problems
    finally:
        context.close()


def test_priority_5_is_shown_as_the_most_urgent(browser: Any, site: Site) -> None:
    """Priorities run from 1 to 5, 5 the most urgent: P5 is the one in the alarm colour,
    P4 in the warning colour, P1 and P2 plain (it was the other way round)."""
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        sign_in(page, site, "est")  # a donor sees priorities as text, not as a select
        page.goto(site.url + "/requests")
        colour = "el => getComputedStyle(el).color"
        urgent = page.locator(".prio.p5")
        assert urgent.count() >= 1
        assert urgent.first.evaluate(colour) == "rgb(161, 26, 26)"  # --bad
        for low in (".prio.p1", ".prio.p2"):
            if page.locator(low).count():
                assert page.locator(low).first.evaluate(colour) == "rgb(82, 96, 109)"  # --muted
    finally:
        context.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_rejecting_a_plan_s_lines_asks_for_a_reason_in_the_browser(
    audited: Any, site: Site, size: str
) -> None:
    """The coordinator records a plan as proposed, ticks its lines and rejects them: a
    confirmation step (no violation, nothing wider than the screen at 390 px) lists the
    lines and keeps the reason; the lines end rejected with the reason in their history."""
    page = audited[("coordinator", size)]
    page.goto(site.url + "/allocation")
    page.get_by_role("button", name="Record it as proposed").click()
    page.wait_for_load_state("load")
    decision = page.locator("#plan-decision")
    lines = decision.locator('input[name="ids"]')
    assert lines.count() > 0, "the reference data's open requests and offers make a plan"
    ids = lines.evaluate_all("els => els.map(e => e.value)")
    decision.get_by_role("button", name="Reject the lines ticked").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().startswith(f"Reject {len(ids)} allocation")
    assert page.evaluate(RUN_AXE) == []
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("Reason").fill("the request is met bilaterally")
    page.get_by_role("button", name="Reject").click()  # the box is not ticked: refused
    page.wait_for_load_state("load")
    if page.locator("#c-confirm-err").count() == 0:
        # the browser's own check stopped the form (the box is required): tick it
        assert page.locator("#c-confirm").evaluate("e => !e.checkValidity()")
    else:
        assert page.get_by_label("Reason").input_value() == "the request is met bilaterally"
    page.locator("#c-confirm").check()
    page.get_by_role("button", name="Reject").click()
    page.wait_for_url(lambda url: "/allocation?ok=moved" in url)
    page.goto(site.url + f"/allocations/{ids[0]}")
    assert "the request is met bilaterally" in page.locator("#history").inner_text()
    assert "rejected" in page.locator("main").inner_text()


#: the record kinds that have a page, each checked by the record-pages test
RECORD_KINDS = (
    "request", "offer", "allocation", "consent", "proposal", "candidate", "accession", "event",
)

#: a short news text for the monitor event's page (written for this test)
MONITOR_TEXT = (
    "2024-05-02: Germany pledged 20 howitzers to Ukraine, the defence minister said. "
    "Hungary blocked the European Union's tranche for Ukraine.\n"
)


def _add_missing_records(site: Site, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Give the site's database the record kinds the reference data lacks (allocations, a
    proposal, a monitor event), through the CLI, once per site."""
    ids = _record_ids(site.database_url)
    if "allocation" not in ids:
        allied(site.database_url, "allocate", "--allow-pending-consent")
    if "proposal" not in ids:
        allied(site.database_url, "decide", "propose", "--org", "NATO", "--rule",
               "consensus-silence", "--title", "Air defence for Ukraine's cities",
               "--deadline", (dt.date.today() + dt.timedelta(days=60)).isoformat())
    if "event" not in ids:
        text = tmp_path_factory.mktemp("monitor") / "2024-05-02-news.txt"
        text.write_text(MONITOR_TEXT, encoding="utf-8")
        allied(site.database_url, "monitor", "extract", str(text), "--save")


def _record_ids(database_url: str) -> dict[str, str]:
    """One record of each kind in the site's database (the kinds it has), to open its page."""
    from sqlalchemy import create_engine, text

    queries = {
        "request": "SELECT id FROM requests ORDER BY id LIMIT 1",
        "offer": "SELECT id FROM offers ORDER BY id LIMIT 1",
        "allocation": "SELECT id FROM allocations ORDER BY id LIMIT 1",
        "consent": "SELECT id FROM consent_requests ORDER BY id LIMIT 1",
        "proposal": "SELECT id FROM proposals ORDER BY id LIMIT 1",
        "candidate": "SELECT candidate FROM accessions ORDER BY candidate LIMIT 1",
        "accession": "SELECT id FROM accessions ORDER BY id LIMIT 1",
        "event": "SELECT id FROM monitor_events ORDER BY id LIMIT 1",
    }
    engine = create_engine(database_url)
    ids = {}
    try:
        with engine.connect() as conn:
            for name, sql in queries.items():
                try:
                    found = conn.execute(text(sql)).scalar()
                except Exception:  # no such table in this schema: that kind is skipped
                    conn.rollback()
                    continue
                if found is not None:
                    ids[name] = str(found)
    finally:
        engine.dispose()
    return ids


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("role", ["coordinator", "recipient"])
def test_axe_finds_no_violation_on_the_record_pages(
    audited: Any, site: Site, role: str, size: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A page per record kind (request, offer, allocation, consent, proposal, accession,
    monitor event) that the site's data holds, as a role that sees all and as the
    recipient (a record hidden from it answers the 404 page, which is checked too)."""
    _add_missing_records(site, tmp_path_factory)
    ids = _record_ids(site.database_url)
    assert set(ids) == set(RECORD_KINDS), f"the site's data lacks {set(RECORD_KINDS) - set(ids)}"
    page = audited[(role, size)]
    found = {}
    checked = 0
    for r, path in RECORD_PAGES:
        if r != role:
            continue
        try:
            url = fill(path, ids)
        except KeyError:
            continue
        response = page.goto(site.url + url)
        assert response is not None and response.status in (200, 404), url
        settle(page)
        checked += 1
        if SHOTS and role == "coordinator":
            kind = "-".join(part for part in path.split("/") if part and "{" not in part)
            page.screenshot(path=str(Path(SHOTS) / f"page-record-{kind}-{size}.png"))
        violations = page.evaluate(RUN_AXE)
        if violations:
            found[url] = violations
        if size == "phone":
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= PHONE["width"], f"{role} {url}: page {wide} px wide at 390 px"
    # every kind is opened: the coordinator sees each record; the recipient sees each
    # page or the 404 page of a record not released to it
    listed = sum(1 for r, _ in RECORD_PAGES if r == role)
    assert checked == listed, f"{role}: {checked} of {listed} record pages opened"
    assert found == {}, f"{role} at {size}: {found}"

