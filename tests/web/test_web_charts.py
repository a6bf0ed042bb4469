"""The dashboard's charts without a browser (each backend): figures as data in the page,
kept per data version (a view does not rebuild them; a change does), the static SVG/PNG
beside them for export and pages read without JavaScript; the lab's variants side by
side on the same bins, and sweeps."""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.bootstrap import Store
from allied.entrypoints.api import create_app
from allied.entrypoints.web import figures
from allied.entrypoints.web.analysis import side_by_side
from allied.entrypoints.web.views import FamilyGap
from allied.service import access
from allied.service.caller import Caller
from allied.service.users import add_user
from web.support import TODAY
from web.test_web_pages import USERS, Web


@pytest.fixture
def web(store: Store) -> Iterator[Web]:
    app = create_app(store=store, today=lambda: TODAY)
    tokens = {}
    for name, (role, nation) in USERS.items():
        uow = SqlServiceUnitOfWork(service_sessions(store.engine))
        tokens[name] = add_user(uow, Caller("test-admin"), name=name, role=role,
                                nation=nation).token
    yield Web(app, store, tokens)


def _figures(page: str) -> dict[str, dict[str, Any]]:
    found = re.findall(r'<div class="plot" id="([^"]+)" data-figure=\'([^\']*)\'', page)
    return {key: json.loads(htmllib.unescape(value)) for key, value in found}


def _request(web: Web, family: str, quantity: int) -> dict[str, Any]:
    data = {"recipient": "UKR", "family": family, "quantity": quantity, "priority": 3,
            "needed_by": "2024-09-01", "releasability": "public"}
    return access.create_request(web.uow(), web.caller("ukr"), TODAY, data)


def test_gap_figure_gives_shares_and_each_familys_own_quantities() -> None:
    shells = FamilyGap("155mm-nato", requests=1, requested=1000, pledged=250, delivered=100)
    places = FamilyGap("training", requests=1, requested=40, proposed=10)
    fig = figures.overview_gaps([shells, places])
    by_name = {trace["name"]: trace for trace in fig["data"]}
    assert list(by_name) == ["delivered", "pledged", "proposed", "gap"]
    assert by_name["delivered"]["x"] == [10.0, 0.0]
    assert by_name["pledged"]["x"] == [15.0, 0.0]
    assert by_name["proposed"]["x"] == [0.0, 25.0]
    assert by_name["gap"]["x"] == [75.0, 75.0]
    # the hover names each family's quantity in its own unit, never a sum of both
    assert by_name["gap"]["customdata"] == [[750, 1000, "items"], [30, 40, "trainee places"]]
    assert "%{customdata[0]:,}" in by_name["gap"]["hovertemplate"]
    for trace in fig["data"]:
        assert len(trace["y"]) == 2 and sum(1 for _ in trace["customdata"]) == 2
    assert figures.overview_gaps([])["data"] == []


def test_lab_panel_keeps_every_variant_on_the_same_bins() -> None:
    panel = {"panel": "decision", "kind": "histogram", "title": "days", "xlabel": "days",
             "ylabel": "share of runs", "x": [5.0, 15.0], "edges": [0.0, 10.0, 20.0],
             "series": [{"name": "a", "y": [0.25, 0.75]}, {"name": "b", "y": [0.5, 0.5]}]}
    fig = figures.lab_panel(panel)
    assert [t["x"] for t in fig["data"]] == [[5.0, 15.0], [5.0, 15.0]]
    assert fig["layout"]["barmode"] == "group" and fig["layout"]["showlegend"] is True
    assert fig["data"][0]["customdata"] == [[0.0, 10.0], [10.0, 20.0]]


def test_side_by_side_puts_variants_in_columns() -> None:
    rows = [{"variant": "a", "metric": "p", "value": 0.1},
            {"variant": "b", "metric": "p", "value": 0.2},
            {"variant": "a", "metric": "q", "value": 3}]
    variants, metrics = side_by_side(rows)
    assert variants == ["a", "b"]
    assert metrics == [{"metric": "p", "a": 0.1, "b": 0.2}, {"metric": "q", "a": 3}]


def test_overview_charts_are_kept_per_data_version(web: Web) -> None:
    cache = web.app.state.chart_cache
    client = web.signed_in("coord")
    first = client.get("/")
    assert first.status_code == 200
    built = cache.built
    figs = _figures(first.text)
    # the demo's catalogue values some item types in EUR: their gap has a chart of its own
    assert set(figs) == {"chart-gaps", "chart-gap-eur", "chart-offers"}
    assert client.get("/").text.count("data-figure='") == 3
    assert cache.built == built  # the second view rebuilt nothing
    version = access.data_version(web.uow())
    assert f"/charts/overview/gaps.svg?v={version}" in first.text
    # a change moves the version: the next view shows the new figures
    _request(web, "155mm-nato", 777)
    assert access.data_version(web.uow()) > version
    after = _figures(client.get("/").text)
    assert cache.built > built
    gap = next(t for t in after["chart-gaps"]["data"] if t["name"] == "gap")
    assert any(row[1] >= 777 for row in gap["customdata"])
    # each nation's figures are its own (the cache key holds role and nation)
    donor = _figures(web.signed_in("est").get("/").text)
    assert donor["chart-gaps"] is not None


def test_static_chart_images_for_export_and_pages_without_script(web: Web) -> None:
    client = web.signed_in("coord")
    version = access.data_version(web.uow())
    svg = client.get(f"/charts/overview/gaps.svg?v={version}")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text and "max-age" in svg.headers["cache-control"]
    stale = client.get("/charts/overview/offers.svg?v=0")
    assert stale.status_code == 200 and "no-cache" in stale.headers["cache-control"]
    assert client.get("/charts/overview/nope.svg").status_code == 404
    assert web.anonymous().get("/charts/overview/gaps.svg").status_code == 303


def test_report_images_follow_who_may_open_the_report(web: Web) -> None:
    from allied.ingest.kiel import builtin_kiel_path, read_kiel
    from allied.service.public_data import import_kiel

    import_kiel(web.uow(), web.caller("coord"), read_kiel(builtin_kiel_path()))
    donor = web.signed_in("est")
    page = donor.get("/reports?name=burden")
    figs = _figures(page.text)
    names = [t["name"] for t in figs["chart-report"]["data"]]
    assert names[:3] == ["military", "financial", "humanitarian"]
    png = donor.get("/charts/reports/burden.png")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert donor.get("/charts/reports/burden.svg").text.lstrip().startswith("<?xml")
    assert donor.get("/charts/reports/gaps.svg").status_code == 404  # records: not a donor's
    assert donor.get("/charts/reports/burden.gif").status_code == 404
    # numbers right-aligned: the numeric columns' headers and cells carry class num
    assert re.search(r'<th scope="col" class="num">military_eur_bn</th>', page.text)
    assert '<th scope="col">name</th>' in page.text


def test_the_lab_shows_variants_side_by_side_with_charts_as_data(web: Web) -> None:
    client = web.signed_in("est")
    form = {"scenario": "natoization-2024", "runs": "400", "seed": "3", "csrf": web.csrf("est")}
    page = client.post("/lab/run", data=form).text
    head = re.search(r'<table[^>]*id="lab-table".*?</thead>', page, re.S)
    assert head and "contact-group" in head.group(0) and "nato-consensus" in head.group(0)
    panels = _figures(page)
    assert panels, "no chart"
    for fig in panels.values():
        xs = [tuple(t["x"]) for t in fig["data"]]
        assert len(xs) == 2 and xs[0] == xs[1]  # both variants on the same bins


def test_a_sweep_runs_the_grid_and_refuses_a_bad_one_beside_the_field(web: Web) -> None:
    client = web.signed_in("ukr")
    base = {"scenario": "trainers-attacked", "runs": "200", "seed": "1", "csrf": web.csrf("ukr")}
    done = client.post("/lab/sweep", data={**base, "grid": "decision.escalation=0.2,0.8"})
    assert done.status_code == 200 and "(100%)" in done.text
    rows = re.search(r'<table[^>]*id="lab-table".*?</table>', done.text, re.S)
    assert rows and rows.group(0).count("<tr>") == 3  # the header and two points
    bad = client.post("/lab/sweep", data={**base, "grid": "nonsense"})
    assert bad.status_code == 422
    assert re.search(r'<textarea id="sweep-grid" name="grid"[^>]*aria-invalid="true"', bad.text)
    assert 'id="lab-runs"' in bad.text and not re.search(
        r'id="lab-(runs|seed|over)"[^>]*aria-invalid', bad.text
    )
    many = client.post("/lab/sweep", data={**base, "grid": "a.b=1,2,3,4,5\nc.d=1,2,3,4,5,6"})
    assert many.status_code == 422 and "at most 24" in many.text


def test_a_sweeps_progress_on_the_page_counts_points_times_variants_only_up(web: Web) -> None:
    """Each tick of the sweep's page is out of points x variants x runs, goes only up and
    the last is 100 % (the review saw "10,000 of 6,000 runs (166%)")."""
    client = web.signed_in("ukr")
    page = client.post("/lab/sweep", data={
        "scenario": "escalation-ladder", "runs": "2000", "seed": "1", "csrf": web.csrf("ukr"),
        "grid": "escalation.total=0.5,1,1.5",
    })
    assert page.status_code == 200
    ticks = re.findall(r"<span>([\d,]+) of ([\d,]+) runs \((\d+)%\)</span>", page.text)
    done = [int(d.replace(",", "")) for d, _, _ in ticks]
    assert {t for _, t, _ in ticks} == {"12,000"}  # 3 points x 2 variants x 2,000 runs
    assert done == [2000 * i for i in range(1, 7)]
    assert [int(p) for _, _, p in ticks] == [16, 33, 50, 66, 83, 100]


# -- a refused form marks its own field, never a field of another form of the page --------


def _invalid_ids(page: str) -> list[str]:
    tags = re.findall(r'<(?:input|select|textarea)[^>]*aria-invalid="true"[^>]*>', page)
    return [re.search(r'id="([^"]+)"', tag).group(1) for tag in tags]  # type: ignore[union-attr]


def test_a_refused_pledge_marks_the_pledge_quantity_not_the_offer_forms(web: Web) -> None:
    request = _request(web, "120mm-mortar", 500)
    offer = access.create_offer(web.uow(), web.caller("est"), TODAY, {
        "donor": "EST", "family": "120mm-mortar", "quantity": 30,
        "available_from": "2024-05-01", "releasability": "public"})
    client = web.signed_in("est")
    refused = client.post("/pledges", data={"offer": offer["id"], "request": request["id"],
                                            "quantity": "0", "csrf": web.csrf("est")})
    assert refused.status_code == 422 and '<a href="#p-qty">Quantity: ' in refused.text
    assert _invalid_ids(refused.text) == ["p-qty"]
    # and a refused offer marks the offer form's field, not the pledge's
    bad = client.post("/offers", data={"donor": "EST", "family": "120mm-mortar",
                                       "quantity": "0", "available_from": "2024-05-01",
                                       "channel": "bilateral", "csrf": web.csrf("est")})
    assert _invalid_ids(bad.text) == ["o-quantity"]
    wrong_channel = client.post("/offers", data={"donor": "EST", "family": "120mm-mortar",
                                                 "quantity": "5", "available_from": "2024-05-01",
                                                 "channel": "nope", "csrf": web.csrf("est")})
    assert _invalid_ids(wrong_channel.text) == ["o-channel"]


def test_a_refused_amend_marks_the_amend_form_only(web: Web) -> None:
    request = _request(web, "atgm", 50)
    client = web.signed_in("ukr")
    refused = client.post(f"/requests/{request['id']}/amend", data={
        "quantity": "50", "priority": "3", "needed_by": "not-a-date", "notes": "",
        "releasability": "public", "csrf": web.csrf("ukr")})
    assert refused.status_code == 422
    assert _invalid_ids(refused.text) == [f"am-{request['id']}-needed_by"]
    post = client.post("/requests", data={
        "recipient": "UKR", "family": "atgm", "quantity": "5", "priority": "3",
        "needed_by": "2024-09-01", "releasability": "nations:??", "csrf": web.csrf("ukr")})
    assert post.status_code == 422 and _invalid_ids(post.text) == ["r-release"]


def test_decisions_mark_the_forum_when_the_organisation_is_refused(web: Web) -> None:
    client = web.signed_in("coord")
    refused = client.post("/decisions", data={
        "forum": "??", "rule": "consensus-silence", "title": "t", "deadline": "2024-07-01",
        "text": "", "csrf": web.csrf("coord")})
    assert refused.status_code == 422 and _invalid_ids(refused.text) == ["pr-forum"]


def test_the_eur_figure_values_only_families_with_a_valuation() -> None:
    valued = FamilyGap("155mm-nato", requests=1, requested=1000, pledged=200)
    valued.outstanding_eur = 3_200_000.0  # type: ignore[attr-defined]
    valued.valued = 800  # type: ignore[attr-defined]
    plain = FamilyGap("training", requests=1, requested=40)
    assert figures.overview_gap_eur([plain]) is None
    fig = figures.overview_gap_eur([plain, valued])
    assert fig is not None
    (trace,) = fig["data"]
    assert trace["y"] == ["155mm-nato"] and trace["x"] == [3.2]
    assert trace["customdata"] == [[800, 1000, "items"]]
