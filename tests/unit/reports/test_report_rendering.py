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


def test_one_number_format_never_scientific() -> None:
    """Review item 20: "6e-05", "1.6e-05" and an unformatted population "1412360000"."""
    shown = [display_value(v) for v in (6e-05, 1.6e-05, -0.00042, 0.0999, 1e-12, 1412360000, 7)]
    assert shown == ["0.000060", "0.000016", "-0.00042", "0.10", "0", "1,412,360,000", "7"]
    assert display_value(2014, "year") == "2014"  # a year is a label, not an amount


def test_the_html_export_formats_every_cell_as_the_page_does(
    reports: dict[str, Report],
) -> None:
    import re

    for report in reports.values():
        page = render_html(report)
        cells = re.findall(r'<td data-v="([^"]*)">([^<]*)</td>', page)
        assert cells or report.name == "gaps"  # no records: no rows
        for raw, shown in cells:
            assert not re.search(r"\d[eE][-+]?\d", shown), (report.name, raw, shown)
            if re.fullmatch(r"-?\d{4,}", raw) and not 1900 <= int(raw) <= 2100:
                assert "," in shown, (report.name, raw, shown)
    burden = render_html(reports["burden"])
    assert re.search(r'<td data-v="1412360000">1,412,360,000</td>', burden) or re.search(
        r'<td data-v="(\d{7,})">\d{1,3}(,\d{3})+</td>', burden
    )


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


def test_the_predictability_chart_title_names_only_what_it_draws(
    reports: dict[str, Report],
) -> None:
    from allied.reports.charts import _figure

    fig, drawn = _figure(reports["predictability"])
    title = fig.get_suptitle()
    labels = " ".join(label for label, _ in drawn.series)
    assert "commitments" in title and "allocations" in title
    assert "committed" in labels and "allocated" in labels
    # deliveries are not drawn: the title may only point to the tables for them
    assert "deliver" not in labels
    assert "deliveries in the tables" in title


def test_the_gaps_chart_shows_small_gaps_on_a_linear_share_scale() -> None:
    import datetime as dt

    from allied.domain.assistance import Allocation, AllocationStatus, Offer, Request
    from allied.reports.charts import _figure

    day = dt.date(2024, 1, 1)
    requests = [
        Request("R1", "UKR", "sam-patriot", 3, 5, day),
        Request("R2", "UKR", "155mm-nato", 50_000, 5, day),
    ]
    offers = [
        Offer("O1", "DEU", "sam-patriot", 1, day),
        Offer("O2", "POL", "155mm-nato", 49_000, day),
    ]
    allocations = [
        Allocation("A1", "O1", "R1", 1, status=AllocationStatus.PLEDGED),
        Allocation("A2", "O2", "R2", 49_000, status=AllocationStatus.PLEDGED),
    ]
    fig, _ = _figure(gaps(requests, offers, allocations))
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear"
    widths = sorted(round(p.get_width(), 1) for p in ax.patches if p.get_width() > 0)
    # pledged and offered as shares: 1 of 3 (33.3%) and 49,000 of 50,000 (98%)
    assert widths == [33.3, 33.3, 98.0, 98.0]
