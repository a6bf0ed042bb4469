"""The dashboard's interactive charts as Plotly figures (plain JSON-ready dicts).

The browser draws them with the Plotly bundle the app serves itself
(``static/vendor/plotly``, see its README) through ``static/charts.js``: values on hover,
legends that hide and show a series, zoom by dragging (double click resets). Each builder
here is pure: figures in, dict out; :mod:`.chartcache` keeps them per data version and
:mod:`.charts` (Matplotlib) still draws the static SVG for export and for pages read
without JavaScript.

Families count in their own units (shells, tanks, trainee places), so no figure adds
quantities of different families: the gap chart compares shares of what each family
requested and its hover gives the quantities in that family's unit.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from allied.entrypoints.web import views
from allied.entrypoints.web.charts import COLOURS

FONT = {"family": "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif", "size": 12,
        "color": "#1f2933"}
#: Okabe-Ito colours (colour-blind safe), in order, for series without a colour of their own.
CYCLE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
MAX_BARS = 24


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "font": FONT,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hovermode": "closest",
        "legend": {
            "orientation": "h", "y": -0.12, "yanchor": "top", "x": 0, "traceorder": "normal"
        },
        "xaxis": {"gridcolor": "#e4e7eb", "zeroline": False, "automargin": True},
        "yaxis": {"gridcolor": "#e4e7eb", "zeroline": False, "automargin": True},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def figure(
    data: list[dict[str, Any]], layout: dict[str, Any], *, label: str, unit: str = ""
) -> dict[str, Any]:
    """A figure: Plotly's ``data`` and ``layout``, the chart's accessible ``label`` and the
    ``unit`` its values are in (shown by the page beside the chart)."""
    return {"data": data, "layout": layout, "label": label, "unit": unit}


def empty(label: str) -> dict[str, Any]:
    return figure(
        [],
        _layout(
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[{"text": "nothing to show", "showarrow": False, "font": {"size": 14}}],
            height=120,
        ),
        label=label,
    )


def _height(rows: int, per: int = 26, base: int = 90) -> int:
    return base + per * max(rows, 1)


# -- overview ----------------------------------------------------------------------------


def family_unit(family: str, unit: str | None = None) -> str:
    """The unit a family counts in (its own, when the figures carry one)."""
    return unit or views.family_unit(family)


def overview_gaps(gaps: Sequence[Any]) -> dict[str, Any]:
    """Per family, the shares of the requested quantity delivered, pledged (not yet
    delivered), proposed and still open: 100 % stacked bars; the hover gives each share's
    quantity in the family's own unit."""
    label = "Gaps per capability family: shares of the quantity requested"
    rows = list(gaps)[:MAX_BARS]
    if not rows:
        return empty(label)
    families = [g.family for g in rows]
    units = [family_unit(g.family, getattr(g, "unit", None)) for g in rows]
    series = (
        ("delivered", [g.delivered_share for g in rows], [g.delivered for g in rows]),
        (
            "pledged",
            [max(g.fill - g.delivered_share, 0.0) for g in rows],
            [max(g.pledged - g.delivered, 0) for g in rows],
        ),
        ("proposed", [g.proposed_share for g in rows],
         [min(g.proposed, g.outstanding) for g in rows]),
        ("gap", [g.open_share for g in rows],
         [g.outstanding - min(g.proposed, g.outstanding) for g in rows]),
    )
    data = []
    for name, shares, quantities in series:
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "y": families,
                "x": [round(100 * s, 2) for s in shares],
                "customdata": [
                    [q, g.requested, u] for q, g, u in zip(quantities, rows, units, strict=True)
                ],
                "marker": {"color": COLOURS.get(name, "#52606d")},
                "hovertemplate": (
                    f"<b>%{{y}}</b><br>{name}: %{{customdata[0]:,}} of %{{customdata[1]:,}} "
                    "%{customdata[2]} requested<br>%{x:.1f}% of the request<extra></extra>"
                ),
            }
        )
    layout = _layout(
        barmode="stack",
        height=_height(len(rows)),
        xaxis={"range": [0, 100], "title": {"text": "% of the quantity requested"},
               "ticksuffix": "%"},
        yaxis={"autorange": "reversed"},
    )
    return figure(data, layout, label=label, unit="% of the quantity requested")


def overview_gap_eur(gaps: Sequence[Any]) -> dict[str, Any] | None:
    """The outstanding gap of each family valued in EUR, over the requests whose item type
    has a money valuation (``outstanding_eur``, ``requested_eur``, ``valued`` of the
    overview's figures); ``None`` when no family has one. EUR add up across families;
    the hover says how much of the family's quantity the valuation covers."""
    rows = [g for g in gaps if float(getattr(g, "outstanding_eur", 0.0) or 0.0) > 0][:MAX_BARS]
    if not rows:
        return None
    rows.sort(key=lambda g: -float(g.outstanding_eur))
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": "outstanding, EUR",
            "y": [g.family for g in rows],
            "x": [round(float(g.outstanding_eur) / 1e6, 3) for g in rows],
            "customdata": [
                [int(getattr(g, "valued", 0)), g.requested,
                 family_unit(g.family, getattr(g, "unit", None))]
                for g in rows
            ],
            "marker": {"color": COLOURS["gap"], "line": {"color": "#a11a1a", "width": 1}},
            "hovertemplate": (
                "<b>%{y}</b><br>%{x:,.1f} million EUR outstanding<br>valued over "
                "%{customdata[0]:,} of %{customdata[1]:,} %{customdata[2]} requested"
                "<extra></extra>"
            ),
        }
    ]
    layout = _layout(
        height=_height(len(rows), per=22),
        showlegend=False,
        xaxis={"title": {"text": "outstanding, million EUR"}},
        yaxis={"autorange": "reversed"},
    )
    return figure(data, layout, label="Outstanding gap valued in EUR, where a valuation exists",
                  unit="million EUR")


def overview_offers(donors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Offers per donor (a count: offers of different families are never added up)."""
    label = "Offers released to you, per donor"
    rows = list(donors)[:MAX_BARS]
    if not rows:
        return empty(label)
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": "offers",
            "y": [str(d["key"]) for d in rows],
            "x": [int(d.get("offers", 0)) for d in rows],
            "marker": {"color": COLOURS["committed"]},
            "hovertemplate": "<b>%{y}</b><br>%{x:,} offers<extra></extra>",
        }
    ]
    layout = _layout(
        height=_height(len(rows), per=22),
        showlegend=False,
        xaxis={"title": {"text": "offers"}},
        yaxis={"autorange": "reversed"},
    )
    return figure(data, layout, label=label, unit="offers")


# -- reports -----------------------------------------------------------------------------


def _report_burden(tables: Mapping[str, list[dict[str, Any]]], options: Mapping[str, Any]
                   ) -> dict[str, Any]:
    from allied.reports.charts import COLOURS as RC
    from allied.reports.charts import GROUP_LABELS

    rows = tables["donors"][:30]
    names = [r["name"] for r in rows]
    data: list[dict[str, Any]] = []
    for kind in ("military", "financial", "humanitarian"):
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": kind,
                "y": names,
                "x": [r[f"{kind}_eur_bn"] for r in rows],
                "marker": {"color": RC[kind]},
                "hovertemplate": f"<b>%{{y}}</b><br>{kind}: %{{x:,.2f}} bn EUR<extra></extra>",
            }
        )
    groups = [g for g in GROUP_LABELS if any(r["group"] == g for r in rows)]
    for g in groups:
        chosen = [r for r in rows if r["group"] == g]
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": f"% of GDP: {GROUP_LABELS[g]}",
                "y": [r["name"] for r in chosen],
                "x": [r["pct_gdp"] for r in chosen],
                "xaxis": "x2",
                "yaxis": "y",
                "marker": {"color": RC.get(g, "#969696")},
                "hovertemplate": "<b>%{y}</b><br>%{x:.3f}% of GDP<extra></extra>",
            }
        )
    layout = _layout(
        barmode="stack",
        height=_height(len(rows), per=20, base=120),
        xaxis={"domain": [0, 0.58], "title": {"text": "aid allocated, EUR billion"}},
        xaxis2={"domain": [0.64, 1], "anchor": "y", "gridcolor": "#e4e7eb", "automargin": True,
                "title": {"text": f"% of GDP (basis: {options.get('gdp_basis')})"}},
        yaxis={"autorange": "reversed", "categoryorder": "array", "categoryarray": names},
    )
    return figure(data, layout, label="Aid by type per donor, and as a share of GDP",
                  unit="EUR billion; % of GDP")


def _report_predictability(tables: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    from allied.reports.charts import COLOURS as RC

    rows = tables["series"]
    data: list[dict[str, Any]] = []
    lines = (
        ("all", "committed", "dash", RC["committed"]),
        ("all", "allocated", "solid", RC["allocated"]),
        ("eu-institutions", "committed", "dash", RC["eu-institutions"]),
        ("eu-institutions", "allocated", "solid", "#b8860b"),
    )
    for channel, what, dash, colour in lines:
        chosen = [r for r in rows if r["channel"] == channel]
        name = f"{what} ({'all donors' if channel == 'all' else 'EU institutions'})"
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": name,
                "x": [r["month"] for r in chosen],
                "y": [r[f"{what}_cum_eur_bn"] for r in chosen],
                "line": {"color": colour, "dash": dash, "width": 2},
                "hovertemplate": f"%{{x}}<br>{name}: %{{y:,.1f}} bn EUR<extra></extra>",
            }
        )
    everyone = [r for r in rows if r["channel"] == "all"]
    data.append(
        {
            "type": "bar",
            "name": "% of committed still to allocate",
            "x": [r["month"] for r in everyone],
            "y": [r["to_be_allocated_pct"] or 0.0 for r in everyone],
            "yaxis": "y2",
            "marker": {"color": RC["committed"]},
            "hovertemplate": "%{x}<br>%{y:.1f}% still to allocate<extra></extra>",
        }
    )
    layout = _layout(
        height=460,
        hovermode="x unified",
        xaxis={"type": "category", "nticks": 12},
        yaxis={"domain": [0.36, 1], "title": {"text": "cumulative, EUR billion"}},
        yaxis2={"domain": [0, 0.26], "title": {"text": "% to allocate"}, "anchor": "x",
                "gridcolor": "#e4e7eb"},
        legend={"y": -0.1},
    )
    return figure(data, layout, label="Committed versus allocated aid, cumulative",
                  unit="EUR billion")


def _report_gaps(tables: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    from allied.reports.charts import COLOURS as RC

    rows = [r for r in tables["families"] if r["requested"]][:30]
    families = [r["family"] for r in rows]
    data = []
    for kind in ("offered", "pledged", "delivered"):
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": kind,
                "y": families,
                "x": [round(100.0 * r[kind] / r["requested"], 2) for r in rows],
                "customdata": [[r[kind], r["requested"]] for r in rows],
                "marker": {"color": RC[kind]},
                "hovertemplate": (
                    f"<b>%{{y}}</b><br>{kind}: %{{customdata[0]:,}} of %{{customdata[1]:,}} "
                    "requested (%{x:.1f}%)<extra></extra>"
                ),
            }
        )
    layout = _layout(
        barmode="group",
        height=_height(len(rows), per=34),
        xaxis={"title": {"text": "% of the quantity requested (100% = the request met)"},
               "ticksuffix": "%"},
        yaxis={"autorange": "reversed"},
        shapes=[{"type": "line", "x0": 100, "x1": 100, "yref": "paper", "y0": 0, "y1": 1,
                 "line": {"color": "#555555", "dash": "dash", "width": 1}}],
    )
    return figure(data, layout, label="Offered, pledged and delivered as % of the request",
                  unit="% of the quantity requested")


def _report_deliveries(tables: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    detail = tables["deliveries"]
    suppliers = tables["suppliers"][:20]
    names = [s["name"] for s in suppliers]
    years = sorted({r["year"] for r in detail})
    data: list[dict[str, Any]] = []
    for i, year in enumerate(years):
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": str(year),
                "legendgroup": "years",
                "legendgrouptitle": {"text": "year of order"} if i == 0 else None,
                "y": names,
                "x": [
                    sum(r["tiv_delivered"] for r in detail
                        if r["supplier"] == s["supplier"] and r["year"] == year)
                    for s in suppliers
                ],
                "marker": {"color": CYCLE[i % len(CYCLE)]},
                "hovertemplate": f"<b>%{{y}}</b>, ordered {year}: %{{x:,.1f}} TIV<extra></extra>",
            }
        )
    for trace in data:
        if trace["legendgrouptitle"] is None:
            del trace["legendgrouptitle"]
    layout = _layout(
        barmode="stack",
        height=_height(len(suppliers), per=22, base=120),
        xaxis={"title": {"text": "SIPRI TIV delivered (millions; a volume index, not money)"}},
        yaxis={"autorange": "reversed", "categoryorder": "array", "categoryarray": names},
    )
    return figure(data, layout, label="SIPRI TIV delivered by supplier and year of order",
                  unit="SIPRI TIV (millions)")


def report(name: str, tables: Mapping[str, list[dict[str, Any]]],
           options: Mapping[str, Any]) -> dict[str, Any]:
    """The interactive chart of report ``name`` over its tables."""
    main = next(iter(tables.values()), [])
    if not main:
        return empty(f"{name}: no data in this period")
    if name == "burden":
        return _report_burden(tables, options)
    if name == "predictability":
        return _report_predictability(tables)
    if name == "gaps":
        return _report_gaps(tables)
    if name == "deliveries":
        return _report_deliveries(tables)
    return empty(name)


# -- the lab -----------------------------------------------------------------------------


def lab_panel(panel: Mapping[str, Any]) -> dict[str, Any]:
    """One panel of a lab run (:func:`allied.lab.charts.panel_data`): the variants side by
    side in each bin (the same bins for every variant) or at each case."""
    data: list[dict[str, Any]] = []
    percent = panel["ylabel"] in ("share of runs", "probability")
    fmt = ":.1%" if percent else ":.3f"
    edges = panel.get("edges")
    for i, series in enumerate(panel["series"]):
        colour = CYCLE[i % len(CYCLE)]
        if panel["kind"] == "quartiles":
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": series["name"],
                    "x": panel["x"],
                    "y": series["y"],
                    "error_y": {
                        "type": "data",
                        "symmetric": False,
                        "array": [h - m for h, m in zip(series["high"], series["y"], strict=True)],
                        "arrayminus": [m - lo for m, lo in
                                       zip(series["y"], series["low"], strict=True)],
                    },
                    "line": {"color": colour},
                    "hovertemplate": (
                        f"{series['name']}<br>year %{{x}}: median %{{y{fmt}}}<extra></extra>"
                    ),
                }
            )
            continue
        trace: dict[str, Any] = {
            "type": "bar",
            "name": series["name"],
            "x": panel["x"],
            "y": series["y"],
            "marker": {"color": colour},
        }
        if edges:
            trace["customdata"] = [[a, b] for a, b in itertools.pairwise(edges)]
            trace["hovertemplate"] = (
                f"{series['name']}<br>%{{customdata[0]:.1f}} to %{{customdata[1]:.1f}} "
                f"{panel['xlabel']}: %{{y{fmt}}} of runs<extra></extra>"
            )
        else:
            trace["hovertemplate"] = (
                f"{series['name']}<br>{panel['xlabel']} %{{x}}: %{{y{fmt}}}<extra></extra>"
            )
        data.append(trace)
    layout = _layout(
        barmode="group",
        bargap=0.08,
        height=340,
        showlegend=len(panel["series"]) > 1,
        xaxis={"title": {"text": panel["xlabel"]}},
        yaxis={"title": {"text": panel["ylabel"]}, "tickformat": ".0%" if percent else None,
               "rangemode": "tozero"},
    )
    if not percent:
        del layout["yaxis"]["tickformat"]
    return figure(data, layout, label=str(panel["title"]), unit=str(panel["ylabel"]))


def sweep(keys: Sequence[str], rows: Sequence[Mapping[str, Any]], metrics: Sequence[str]
          ) -> dict[str, Any]:
    """A sweep's metrics across its points: one line per metric between 0 and 1
    (probabilities and shares; the first six shown, the rest one click away in the legend),
    one point per grid point."""
    label = "Metrics (0 to 1) across the sweep's points"
    if len(keys) == 1:  # the values alone, the key as the axis title
        x = [str(row[keys[0]]) for row in rows]
    else:
        x = [", ".join(f"{k}={row[k]}" for k in keys) for row in rows]
    bounded = [m for m in metrics if all(0.0 <= float(r[m]) <= 1.0 for r in rows)]
    if not rows or not bounded:
        return empty(label)
    data = []
    for i, metric in enumerate(bounded):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": metric,
                "x": x,
                "y": [float(r[metric]) for r in rows],
                "line": {"color": CYCLE[i % len(CYCLE)]},
                "visible": True if i < 6 else "legendonly",
                "hovertemplate": f"%{{x}}<br>{metric}: %{{y:.3f}}<extra></extra>",
            }
        )
    layout = _layout(
        height=460,
        xaxis={"type": "category", "title": {"text": keys[0] if len(keys) == 1 else "point"}},
        yaxis={"range": [0, 1.02], "title": {"text": "value"}},
        legend={"y": 1.02, "yanchor": "bottom"},
        margin={"t": 80},
    )
    return figure(data, layout, label=label, unit="probability or share")
