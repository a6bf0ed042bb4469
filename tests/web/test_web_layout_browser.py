"""Layout in a real browser (Debian's Chromium via Playwright), at 1280 and at 390 px wide.

* On every page of the page catalogue (``page_catalogue.py``), for each role: no table
  sticks out of its card (the ``.panel`` or ``main`` holding it) unless it scrolls
  sideways inside a box of its own, between it and the card, and such a box, when it
  does scroll, is a focusable, labelled region (``tabindex="0"``, ``role="region"``,
  ``aria-label``) so that the keyboard reaches the columns out of sight; and no two
  tables overlap; and the page itself is no wider than the window.
* The allocation preview: the plan's table and the "Unfilled, and why" table do not
  overlap, and every header cell of the plan's table can be brought into view (it is
  the element the browser finds at its centre once scrolled to), so the coordinator
  sees the quantities of the lines ticked. A line whose offer is of another family than
  its request says so ("mbt-soviet, substituting for mbt-western").
* A record's page: "Amend…" opens the amend form; "Pledge…" is offered only while
  something of the offer is left, and otherwise says why not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from web.page_catalogue import ROLES, paths_for
from web.support import ROLE_USERS, Site, allied
from web.test_web_a11y import settle, sign_in

pytestmark = pytest.mark.browser

WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}

#: What is wrong with the tables of the page, as sentences (none: the layout holds).
TABLE_PROBLEMS = """
() => {
  const problems = [];
  const scrolls = el => {
    const s = getComputedStyle(el);
    return (s.overflowX === 'auto' || s.overflowX === 'scroll') && !s.display.includes('table');
  };
  const name = t => (t.id ? '#' + t.id + ' ' : '') + '"' + (
    (t.caption && t.caption.textContent.trim()) ||
    (t.querySelector('th') ? t.querySelector('th').textContent.trim() : '')).slice(0, 40) + '"';
  const where = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const tables = [...document.querySelectorAll('main table')]
    // shown: laid out, and not in a closed details (whose content Chromium may lay out
    // while hiding it: content-visibility)
    .filter(t => t.getClientRects().length && !t.closest('details:not([open])')
                 && (!t.checkVisibility || t.checkVisibility()));
  for (const t of tables) {
    const card = t.parentElement.closest('.panel, main');
    const c = card.getBoundingClientRect();
    let box = null;  // the nearest box between the table and its card that scrolls sideways
    for (let el = t; el && el !== card; el = el.parentElement) if (scrolls(el)) { box = el; break; }
    const r = (box || t).getBoundingClientRect();
    if (r.right > c.right + 1 || r.left < c.left - 1)
      problems.push(`${name(t)}: ${box ? 'its scroll box' : 'the table'} spans ` +
        `${Math.round(r.left)}..${Math.round(r.right)} px, its card ${where(card)} ` +
        `${Math.round(c.left)}..${Math.round(c.right)} px`);
    if (box && box.scrollWidth > box.clientWidth + 1 && !(box.tabIndex >= 0 &&
        box.getAttribute('role') === 'region' && box.getAttribute('aria-label')))
      problems.push(`${name(t)}: scrolls sideways in ${where(box)}, which is not a ` +
        `focusable, labelled region`);
  }
  for (let i = 0; i < tables.length; i++) for (let j = i + 1; j < tables.length; j++) {
    const a = tables[i], b = tables[j];
    if (a.contains(b) || b.contains(a)) continue;
    const p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
    const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (w > 1 && h > 1)
      problems.push(`${name(a)} and ${name(b)} overlap by ${Math.round(w)} x ${Math.round(h)} px`);
  }
  return problems;
}
"""

#: The header cells of a table that cannot be brought into view: each is scrolled to
#: (its scroll boxes and the page scroll as needed) and must then be what the browser
#: finds at its centre, inside the window.
UNREACHABLE_HEADERS = """
(table) => {
  const out = [];
  for (const th of table.querySelectorAll('thead th')) {
    th.scrollIntoView({block: 'center', inline: 'center'});
    const r = th.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const inside = x >= 0 && x < innerWidth && y >= 0 && y < innerHeight;
    const hit = inside ? document.elementFromPoint(x, y) : null;
    if (!hit || !th.contains(hit)) out.push(th.textContent.trim() +
      (hit ? ' (covered by ' + hit.tagName.toLowerCase() + ' "' +
        hit.textContent.trim().slice(0, 30) + '")' : ' (outside the window)'));
  }
  window.scrollTo(0, 0);
  return out;
}
"""


@pytest.fixture(scope="module")
def pages(browser: Any, site: Site) -> Iterator[dict[tuple[str, str], Any]]:
    """A signed-in page per (role, width), made when first asked for."""
    contexts = []

    class Lazy(dict[tuple[str, str], Any]):
        def __missing__(self, key: tuple[str, str]) -> Any:
            role, width = key
            context = browser.new_context(viewport=WIDTHS[width])
            contexts.append(context)
            page = context.new_page()
            sign_in(page, site, ROLE_USERS[role])
            self[key] = page
            return page

    yield Lazy()
    for context in contexts:
        context.close()


def preview(page: Any, site: Site) -> Any:
    """The coordinator's allocation preview (a dry run: nothing is recorded)."""
    page.goto(site.url + "/allocation")
    page.get_by_role("button", name="Preview the plan").click()
    page.wait_for_load_state("load")
    plan = page.locator("#plan table").first
    assert plan.count() == 1, "the reference data's open requests and offers make a plan"
    return plan


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("role", ROLES)
def test_no_table_sticks_out_of_its_card_or_overlaps_another(
    pages: Any, site: Site, role: str, width: str
) -> None:
    page = pages[(role, width)]
    found = {}
    for path in paths_for(role):
        response = page.goto(site.url + path)
        assert response is not None and response.status < 500, path
        settle(page)
        problems = page.evaluate(TABLE_PROBLEMS)
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > WIDTHS[width]["width"]:  # nothing escapes a table's box either
            problems.append(f"the page is {wide} px wide")
        if problems:
            found[path] = problems
    assert found == {}, f"{role} at {width} px: {found}"


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_allocation_preview_shows_every_column_of_the_plan(
    pages: Any, site: Site, width: str
) -> None:
    page = pages[("coordinator", width)]
    plan = preview(page, site)
    assert page.evaluate(TABLE_PROBLEMS) == []
    headers = plan.locator("thead th").all_inner_texts()
    assert [h.strip().lower() for h in headers][-1] == "qty", headers
    assert plan.evaluate(UNREACHABLE_HEADERS) == [], f"at {width} px"
    # and a line's quantity can be scrolled to and read, beside its box
    cell = plan.locator("tbody tr").first.locator("td.num")
    cell.scroll_into_view_if_needed()
    assert cell.is_visible() and re.fullmatch(r"[\d,]+.*", cell.inner_text().strip())
    # the plan's box is a tab stop while it scrolls (at 390 px), not while it fits
    box = plan.locator("xpath=..")
    assert box.get_attribute("role") == "region"
    scrolls = box.evaluate("b => b.scrollWidth > b.clientWidth + 1")
    assert scrolls == (width == "390"), f"at {width} px"
    # a line above the table says it scrolls (a phone hides scrollbars until touched)
    hint = box.evaluate("b => getComputedStyle(b, '::before').content")
    assert ("scroll sideways" in hint) == scrolls, hint
    if scrolls:
        box.evaluate("b => b.scrollLeft = 0")
        box.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("b => b.scrollLeft > 0", arg=box.element_handle())
    else:
        assert box.get_attribute("tabindex") is None


def test_the_preview_shows_the_offer_s_family_and_marks_a_substitution(
    pages: Any, site: Site
) -> None:
    """In the reference data Poland's T-72s (mbt-soviet) fill the request for western
    tanks (R-2023-MBT accepts mbt-soviet): the line shows the offer's family and says it
    substitutes; a line of the requested family shows no mark."""
    page = pages[("coordinator", "1280")]
    plan = preview(page, site)
    row = plan.locator("tbody tr", has=page.locator('a[href="/offers/O-POL-T72"]'))
    assert row.count() == 1
    family = row.locator("td.family")
    assert family.inner_text().strip() == "mbt-soviet, substituting for mbt-western"
    assert family.locator(".subst").is_visible()
    same = plan.locator("tbody tr", has=page.locator('a[href="/offers/O-EU-155"]'))
    assert same.locator("td.family").inner_text().strip() == "155mm-nato"
    assert same.locator(".subst").count() == 0


@pytest.fixture(scope="module")
def held(site: Site) -> tuple[str, int, str]:
    """A plan recorded on the site (the tests above saw none): an open offer all of
    whose quantity it holds, that quantity, and an open offer with something left."""
    from sqlalchemy import create_engine, text

    allied(site.database_url, "allocate", "--allow-pending-consent")
    engine = create_engine(site.database_url)
    try:
        with engine.connect() as conn:
            full = conn.execute(text(
                "SELECT id, quantity FROM offers WHERE status = 'open' AND held >= quantity"
                " ORDER BY id LIMIT 1"
            )).one()
            left = conn.execute(text(
                "SELECT id FROM offers WHERE status = 'open' AND held < quantity"
                " ORDER BY id LIMIT 1"
            )).scalar_one()
    finally:
        engine.dispose()
    return str(full[0]), int(full[1]), str(left)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_an_offer_s_page_amends_in_one_step_and_pledges_only_what_is_left(
    pages: Any, site: Site, held: tuple[str, int, str], width: str
) -> None:
    """After a recorded plan some offers are held whole: their page offers no pledge and
    says why; another still pledges, through the pledge form with that offer chosen.
    "Amend…" lands on the amend form, open, with the record's values."""
    full, quantity, left = held
    page = pages[("coordinator", width)]

    page.goto(site.url + f"/offers/{full}")
    actions = page.locator("#actions")
    assert actions.get_by_role("link", name="Pledge…").count() == 0
    assert (
        f"nothing left to pledge: all {quantity:,} held by allocations"
        in " ".join(actions.inner_text().split())
    )
    assert page.evaluate(TABLE_PROBLEMS) == []

    page.goto(site.url + f"/offers/{left}")
    page.locator("#actions").get_by_role("link", name="Pledge…").click()
    page.wait_for_load_state("load")
    form = page.get_by_role("region", name="Pledge against a request")
    assert form.get_by_label("Offer").input_value() == left
    assert form.is_visible()

    page.goto(site.url + f"/offers/{left}")
    page.locator("#actions").get_by_role("link", name="Amend…").click()
    page.wait_for_load_state("load")
    amend = page.get_by_role("form", name=f"Amend offer {left}")
    assert amend.get_by_label("Quantity", exact=False).is_visible()
    assert amend.get_by_role("button", name=f"Save changes to {left}").is_visible()
    assert page.evaluate(TABLE_PROBLEMS) == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_request_s_page_amends_in_one_step(pages: Any, site: Site, width: str) -> None:
    page = pages[("recipient", width)]
    page.goto(site.url + "/requests/R-2023-MBT")
    page.locator("#actions").get_by_role("link", name="Amend…").click()
    page.wait_for_load_state("load")
    amend = page.get_by_role("form", name="Amend request R-2023-MBT")
    assert amend.get_by_label("Needed by").is_visible()
    assert amend.get_by_role("button", name="Save changes to R-2023-MBT").is_visible()
    assert page.evaluate(TABLE_PROBLEMS) == []
