"""Rendering: JSON, CSV, PNG and self-contained interactive HTML."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from allied.domain.errors import InvalidInput
from allied.ingest.kiel import builtin_kiel_path, read_kiel
from allied.ingest.sipri import builtin_sipri_path, read_sipri
from allied.reports.burden import burden
from allied.reports.charts import render_png, render_svg
from allied.reports.data import reference_figures
from allied.reports.deliveries import deliveries
from allied.reports.gaps import gaps
from allied.reports.html import render_html
from allied.reports.model import Period, Report
from allied.reports.predictability import predictability
from allied.reports.render import display_value, to_csv, to_json


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    months = read_kiel(builtin_kiel_path()).months
    deals = read_sipri(builtin_sipri_path())
    return {
        "burden": burden(months, reference_figures()),
        "predictability": predictability(months, (), (), deals),
        "deliveries": deliveries(deals),
        "gaps": gaps([], [], []),
    }


def test_json_is_the_whole_report(reports: dict[str, Report]) -> None:
    data = json.loads(to_json(reports["burden"]))
    assert data["report"] == "burden" and data["period"] == {"from": None, "to": None}
    assert {"donors", "groups", "notes", "sources", "options"} <= set(data)
    first = data["donors"][0]
    for key in (
        "code",
        "name",
        "total_eur_bn",
        "military_eur_bn",
        "financial_eur_bn",
        "humanitarian_eur_bn",
        "pct_gdp",
    ):
        assert key in first


def test_csv_is_one_table(reports: dict[str, Report]) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(reports["deliveries"], "suppliers"))))
    assert rows[0]["supplier"] == "USA"
    main = list(csv.reader(io.StringIO(to_csv(reports["burden"]))))
    assert main[0][:3] == ["rank", "code", "name"] and len(main) == 37
    with pytest.raises(InvalidInput, match="no table 'nope'"):
        to_csv(reports["burden"], "nope")


def test_display_values() -> None:
    assert [display_value(v) for v in (None, True, 1234.5, 12.34, 0.5, 0.0123, 0.0, "x")] == [
        "",
        "yes",
        "1,234",
        "12.3",
        "0.50",
        "0.012",
        "0.00",
        "x",
    ]


@pytest.mark.parametrize("name", ["burden", "predictability", "deliveries", "gaps"])
def test_png_charts(reports: dict[str, Report], name: str) -> None:
    png = render_png(reports[name])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


@pytest.mark.parametrize("name", ["burden", "predictability", "deliveries", "gaps"])
def test_html_is_self_contained_and_interactive(reports: dict[str, Report], name: str) -> None:
    page = render_html(reports[name])
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    # nothing is fetched when the page is viewed
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page)
    assert "<link" not in page and "<script src" not in page
    tips = json.loads(re.search(r"id='tips'>(.*?)</script>", page, re.DOTALL)[1])  # type: ignore[index]
    if reports[name].tables[reports[name].main]:
        assert tips
    for gid in tips:
        assert f'id="{gid}"' in page  # every tooltip is attached to a drawn element
    assert page.count("<table class='sortable'>") == len(reports[name].tables)


def test_svg_is_reproducible(reports: dict[str, Report]) -> None:
    one, drawn = render_svg(reports["burden"])
    two, _ = render_svg(reports["burden"])
    assert one == two
    assert [label for label, _ in drawn.series] == ["military", "financial", "humanitarian"]
    assert 'id="legend-0"' in one


def test_empty_report_still_draws(reports: dict[str, Report]) -> None:
    empty = burden([], reference_figures(), period=Period())
    assert render_png(empty).startswith(b"\x89PNG")
    assert "no data in this period" in render_html(empty)
