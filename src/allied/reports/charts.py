"""Charts of the reports with Matplotlib: PNG for documents, SVG for interactive HTML.

Each chart function draws on a Matplotlib ``Figure`` and returns the tooltips of what it
drew (element id -> text) and its series (for legends that hide and show them). The
Agg (PNG) and SVG canvases are chosen inside :func:`render_png` / :func:`render_svg`,
never at import time, and ``pyplot`` is not used, so no global backend is touched.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from allied.reports.model import Report
from allied.reports.render import display_value

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

COLOURS = {
    "military": "#b2182b",
    "financial": "#2166ac",
    "humanitarian": "#4dac26",
    "us": "#3b5b92",
    "eu-institutions": "#f2b701",
    "eu-members": "#1f77b4",
    "other-europe": "#6baed6",
    "others": "#969696",
    "committed": "#7570b3",
    "allocated": "#1b9e77",
    "requested": "#636363",
    "offered": "#9ecae1",
    "pledged": "#fd8d3c",
    "delivered": "#31a354",
}
MAX_BARS = 30
GROUP_LABELS = {
    "us": "United States",
    "eu-institutions": "EU institutions",
    "eu-members": "EU member states",
    "other-europe": "other Europe",
    "others": "others",
}


@dataclass
class Drawn:
    """What a chart drew: tooltips by element id, series by index (label, colour)."""

    tips: dict[str, str] = field(default_factory=dict)
    series: list[tuple[str, str]] = field(default_factory=list)

    def tip(self, artist: Any, series: int, text: str) -> None:
        gid = f"s{series}-t{len(self.tips)}"
        artist.set_gid(gid)
        self.tips[gid] = text


def _caption(fig: Figure, report: Report) -> None:
    period = report.period.as_dict()
    span = f"{period['from'] or 'start'} to {period['to'] or 'latest'}"
    text = "Source: " + "; ".join(report.sources) + f".  Period: {span}."
    fig.text(0.01, 0.005, text, fontsize=7, color="#555555", va="bottom", wrap=True)


def _legend(ax: Axes, drawn: Drawn, **kwargs: Any) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=c, label=label) for label, c in drawn.series]
    legend = ax.legend(handles=handles, frameon=False, **kwargs)
    for i, patch in enumerate(legend.get_patches()):
        patch.set_gid(f"legend-{i}")
    for i, text in enumerate(legend.get_texts()):
        text.set_gid(f"legendtext-{i}")


def _style(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def _burden(fig: Figure, report: Report) -> Drawn:
    rows = report.tables["donors"][:MAX_BARS]
    drawn = Drawn(series=[(t, COLOURS[t]) for t in ("military", "financial", "humanitarian")])
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]}, sharey=True)
    names = [r["name"] for r in rows][::-1]
    y = list(range(len(rows)))
    left = [0.0] * len(rows)
    for si, (kind, colour) in enumerate(drawn.series):
        values = [r[f"{kind}_eur_bn"] for r in rows][::-1]
        bars = ax.barh(y, values, left=left, color=colour, height=0.7, label=kind)
        for bar, r, v in zip(bars, rows[::-1], values, strict=True):
            drawn.tip(bar, si, f"{r['name']}: {kind} {display_value(v)} bn EUR")
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel("aid allocated, EUR billion")
    ax.set_title("Aid by type", fontsize=10, loc="left")
    _style(ax)
    _legend(ax, drawn, loc="lower right", fontsize=8)
    shares = [r["pct_gdp"] or 0.0 for r in rows][::-1]
    group_colours = [COLOURS.get(r["group"], "#969696") for r in rows][::-1]
    bars = ax2.barh(y, shares, color=group_colours, height=0.7)
    extra = len(drawn.series)
    for bar, r in zip(bars, rows[::-1], strict=True):
        value = "n/a (no GDP)" if r["pct_gdp"] is None else f"{r['pct_gdp']:.3f}% of GDP"
        drawn.tip(bar, extra, f"{r['name']}: {value}; group {r['group']}")
    ax2.set_xlabel(f"% of GDP (basis: {report.options.get('gdp_basis')})")
    ax2.set_title("Share of GDP, coloured by group", fontsize=10, loc="left")
    _style(ax2)
    from matplotlib.patches import Patch

    present = [g for g in GROUP_LABELS if any(r["group"] == g for r in rows)]
    ax2.legend(
        handles=[
            Patch(
                facecolor=COLOURS[g],
                label=GROUP_LABELS[g] + (" (no GDP)" if g == "eu-institutions" else ""),
            )
            for g in present
        ],
        frameon=False,
        loc="lower right",
        fontsize=8,
    )
    fig.suptitle(report.title, x=0.01, ha="left", fontsize=12, fontweight="bold")
    return drawn


def _predictability(fig: Figure, report: Report) -> Drawn:
    rows = [r for r in report.tables["series"]]
    ax, ax2 = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.4]})
    drawn = Drawn()
    labels = sorted({r["month"] for r in rows})
    x = {m: i for i, m in enumerate(labels)}
    lines = [
        ("all", "committed", "--", COLOURS["committed"]),
        ("all", "allocated", "-", COLOURS["allocated"]),
        ("eu-institutions", "committed", "--", COLOURS["eu-institutions"]),
        ("eu-institutions", "allocated", "-", "#b8860b"),
    ]
    for si, (channel, what, style, colour) in enumerate(lines):
        chosen = [r for r in rows if r["channel"] == channel]
        xs = [x[r["month"]] for r in chosen]
        ys = [r[f"{what}_cum_eur_bn"] for r in chosen]
        label = f"{what} ({'all donors' if channel == 'all' else 'EU institutions'})"
        drawn.series.append((label, colour))
        (line,) = ax.plot(xs, ys, style, color=colour, linewidth=1.8)
        line.set_gid(f"s{si}-line")
        step = max(1, len(xs) // 26)
        for px, py, r in list(zip(xs, ys, chosen, strict=True))[::step]:
            (dot,) = ax.plot([px], [py], "o", color=colour, markersize=3.5)
            drawn.tip(dot, si, f"{r['month']} {label}: {py:.1f} bn EUR (cumulative)")
    everyone = [r for r in rows if r["channel"] == "all"]
    ax.fill_between(
        [x[r["month"]] for r in everyone],
        [r["allocated_cum_eur_bn"] for r in everyone],
        [r["committed_cum_eur_bn"] for r in everyone],
        color=COLOURS["committed"],
        alpha=0.12,
        linewidth=0,
    )
    ax.set_ylabel("cumulative, EUR billion")
    ax.set_title(
        "Committed versus allocated aid (shaded: still to be allocated)", fontsize=10, loc="left"
    )
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    _legend(ax, drawn, loc="upper left", fontsize=8)
    share_series = len(drawn.series)
    xs = [x[r["month"]] for r in everyone]
    ys = [r["to_be_allocated_pct"] or 0.0 for r in everyone]
    bars = ax2.bar(xs, ys, color=COLOURS["committed"], width=0.8)
    for bar, r, v in zip(bars, everyone, ys, strict=True):
        drawn.tip(
            bar, share_series, f"{r['month']}: {v:.1f}% of committed aid still to be allocated"
        )
    ax2.set_ylabel("% still to allocate")
    ax2.spines[["top", "right"]].set_visible(False)
    ax2.grid(axis="y", color="#dddddd", linewidth=0.6)
    ticks = [i for i, m in enumerate(labels) if m.endswith("-01") or i == 0]
    ax2.set_xticks(ticks, [labels[i] for i in ticks], fontsize=8, rotation=0)
    # the title names what is drawn: Kiel's commitments and allocations; the deliveries
    # (clearinghouse quantities, SIPRI volumes) are in the report's tables, not here
    fig.suptitle(PREDICTABILITY_CHART_TITLE, x=0.01, ha="left", fontsize=12, fontweight="bold")
    return drawn


#: The predictability chart's title: what the chart draws (the report's title also covers
#: the deliveries, which its tables give).
PREDICTABILITY_CHART_TITLE = (
    "Predictability: commitments versus allocations (Kiel, EUR); deliveries in the tables"
)


def _gaps(fig: Figure, report: Report) -> Drawn:
    """Offered, pledged and delivered as a share of what was requested, family by family,
    on a linear scale: a family 2 short of 3 requested shows as plainly as one 20,000
    short of 50,000 (a log scale of raw quantities hid the small gaps). Families nobody
    requested are left out; the tips give the quantities."""
    rows = [r for r in report.tables["families"] if r["requested"]][:MAX_BARS]
    ax = fig.subplots()
    kinds = ("offered", "pledged", "delivered")
    drawn = Drawn(series=[(k, COLOURS[k]) for k in kinds])
    y = list(range(len(rows)))
    height = 0.26
    for si, (kind, colour) in enumerate(drawn.series):
        shares = [100.0 * r[kind] / r["requested"] for r in rows][::-1]
        offsets = [v + (1 - si) * height for v in y]
        bars = ax.barh(offsets, [min(v, GAPS_AXIS_MAX) for v in shares], height=height,
                       color=colour)
        for bar, r, v in zip(bars, rows[::-1], shares, strict=True):
            drawn.tip(
                bar, si, f"{r['family']}: {kind} {r[kind]:,} of {r['requested']:,} requested "
                f"({display_value(round(v, 1))}%)"
            )
    ax.axvline(100.0, color="#555555", linewidth=1.0, linestyle="--")
    ax.set_yticks(y, [r["family"] for r in rows][::-1], fontsize=9)
    ax.set_xlim(0, GAPS_AXIS_MAX)
    ax.set_xlabel(
        f"% of the quantity requested (dashed: 100% = the request met; bars end at "
        f"{GAPS_AXIS_MAX:.0f}%)"
    )
    _style(ax)
    _legend(ax, drawn, loc="lower right", fontsize=9)
    fig.suptitle(report.title, x=0.01, ha="left", fontsize=12, fontweight="bold")
    return drawn


#: Where the gaps chart's axis ends (an offer of 10 times the request would flatten the rest).
GAPS_AXIS_MAX = 200.0


def _deliveries(fig: Figure, report: Report) -> Drawn:
    detail = report.tables["deliveries"]
    suppliers = report.tables["suppliers"][:20]
    families = report.tables["families"][:20]
    ax, ax2 = fig.subplots(1, 2)
    years = sorted({r["year"] for r in detail})
    from matplotlib import colormaps

    cmap = colormaps["viridis"].resampled(max(len(years), 2))
    drawn = Drawn(
        series=[
            (str(yr), "#{:02x}{:02x}{:02x}".format(*(int(c * 255) for c in cmap(i)[:3])))
            for i, yr in enumerate(years)
        ]
    )
    names = [s["name"] for s in suppliers][::-1]
    codes = [s["supplier"] for s in suppliers][::-1]
    y = list(range(len(codes)))
    left = [0.0] * len(codes)
    for si, yr in enumerate(years):
        values = [
            sum(r["tiv_delivered"] for r in detail if r["supplier"] == c and r["year"] == yr)
            for c in codes
        ]
        bars = ax.barh(y, values, left=left, color=drawn.series[si][1], height=0.7)
        for bar, name, v in zip(bars, names, values, strict=True):
            drawn.tip(bar, si, f"{name}, ordered {yr}: {v:.1f} TIV delivered")
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel("SIPRI TIV delivered (millions; a volume index, not money)")
    ax.set_title("By supplier and year of order", fontsize=10, loc="left")
    _style(ax)
    _legend(ax, drawn, loc="lower right", fontsize=8, title="year of order", title_fontsize=8)
    fy = list(range(len(families)))
    bars = ax2.barh(fy, [f["tiv_delivered"] for f in families][::-1], color="#636363", height=0.7)
    extra = len(drawn.series)
    for bar, f in zip(bars, families[::-1], strict=True):
        drawn.tip(
            bar,
            extra,
            f"{f['family']}: {f['tiv_delivered']:.1f} TIV delivered in {f['deals']} deal(s), "
            f"{f['uncertain_deals']} with uncertain numbers",
        )
    ax2.set_yticks(fy, [f["family"] for f in families][::-1], fontsize=8)
    ax2.set_xlabel("SIPRI TIV delivered")
    ax2.set_title("By family (calibre) or SIPRI description", fontsize=10, loc="left")
    _style(ax2)
    fig.suptitle(report.title, x=0.01, ha="left", fontsize=12, fontweight="bold")
    return drawn


CHARTS: dict[str, Callable[[Figure, Report], Drawn]] = {
    "burden": _burden,
    "predictability": _predictability,
    "gaps": _gaps,
    "deliveries": _deliveries,
}


def _size(report: Report) -> tuple[float, float]:
    if report.name == "predictability":
        return (11.0, 7.0)
    rows = len(report.tables[report.main])
    if report.name == "deliveries":
        rows = max(len(report.tables["suppliers"][:20]), len(report.tables["families"][:20]))
    return (12.0, max(4.0, 0.28 * min(rows, MAX_BARS) + 2.2))


def _figure(report: Report) -> tuple[Figure, Drawn]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=_size(report), layout="constrained")
    if not report.tables[report.main]:
        ax = fig.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, f"{report.title}\n\nno data in this period", ha="center", va="center")
        return fig, Drawn()
    drawn = CHARTS[report.name](fig, report)
    _caption(fig, report)
    bottom = 0.3 / fig.get_figheight()  # room for the source line below the axes
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0, bottom, 1, 1 - bottom))
    return fig, drawn


def render_png(report: Report, *, dpi: int = 110) -> bytes:
    """The report's chart as PNG bytes (Agg canvas)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with matplotlib.rc_context({"font.family": "DejaVu Sans"}):
        fig, _ = _figure(report)
        FigureCanvasAgg(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def render_svg(report: Report) -> tuple[str, Drawn]:
    """The report's chart as SVG text, with its tooltips and series."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    with matplotlib.rc_context(
        {"font.family": "DejaVu Sans", "svg.hashsalt": "allied", "svg.fonttype": "none"}
    ):
        fig, drawn = _figure(report)
        FigureCanvasSVG(fig)
        buf = io.StringIO()
        fig.savefig(
            buf,
            format="svg",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    return buf.getvalue(), drawn
