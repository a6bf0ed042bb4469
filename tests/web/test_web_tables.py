"""The dashboard's tables: sorting by a header link, searching, pages beyond the first,
and the CSV download of exactly the page shown (the same list query as the page)."""

from __future__ import annotations

import csv
import io
import re

from allied.service import access
from web.support import TODAY
from web.test_web_pages import Web, web  # noqa: F401  (the fixture)


def _ids(page: str, table: str) -> list[str]:
    match = re.search(rf'<table[^>]*id="{table}".*?</table>', page, re.S)
    assert match, f"no table {table}"
    return re.findall(r'<tr id="([^"]+)">', match.group(0))


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_is_exactly_the_page_shown(web: Web) -> None:  # noqa: F811
    client = web.signed_in("coord")
    for path, table in (("/requests", "requests"), ("/offers", "offers"),
                        ("/allocation", "allocations")):
        for query in ("sort=-quantity", "sort=family&q=a", ""):
            page = client.get(f"{path}?{query}")
            assert page.status_code == 200
            got = client.get(f"{path}?{query}&format=csv")
            assert got.status_code == 200
            assert got.headers["content-type"].startswith("text/csv")
            rows = _csv(got.text)
            assert [r["id"] for r in rows] == _ids(page.text, table), (path, query)


def test_sort_links_order_the_table_and_turn_round(web: Web) -> None:  # noqa: F811
    client = web.signed_in("coord")
    rows = _csv(client.get("/requests?sort=-quantity&format=csv").text)
    quantities = [int(r["quantity"]) for r in rows]
    assert quantities == sorted(quantities, reverse=True)
    page = client.get("/requests?sort=quantity").text
    # the current column's header links to the other order; the others to ascending
    assert 'href="/requests?sort=-quantity"' in page
    assert 'aria-sort="ascending"' in page
    assert 'href="/requests?sort=priority"' in page
    # an unknown column is no error: the page falls back to the id order
    fallback = client.get("/requests?sort=releasability")
    assert fallback.status_code == 200
    assert _ids(fallback.text, "requests") == sorted(_ids(fallback.text, "requests"))


def test_search_and_pages(web: Web) -> None:  # noqa: F811
    client = web.signed_in("coord")
    every = access.list_requests(web.uow(), web.caller("coord"), TODAY, limit=1000).items
    wanted = every[0]["id"]
    found = _ids(client.get("/requests", params={"q": wanted}).text, "requests")
    assert wanted in found
    for row in _csv(client.get("/requests", params={"q": "155", "format": "csv"}).text):
        assert any("155" in row[k] for k in ("id", "item_type", "notes", "family")), row
    assert _ids(client.get("/requests", params={"q": "no-such-text-x"}).text, "requests") == []
    total = len(every)
    first = client.get("/requests").text
    pages = -(-total // 50)
    assert f"page 1 of {pages}" in first
    if pages > 1:
        assert 'rel="next"' in first
        second = client.get("/requests?page=2").text
        assert f"page 2 of {pages}" in second and 'rel="prev"' in second
        assert set(_ids(second, "requests")).isdisjoint(_ids(first, "requests"))


def test_ids_link_to_their_record_pages(web: Web) -> None:  # noqa: F811
    page = web.signed_in("coord").get("/offers").text
    for offer_id in _ids(page, "offers")[:3]:
        assert f'href="/offers/{offer_id}"' in page
