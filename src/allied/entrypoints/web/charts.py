"""Charts of the dashboard, drawn on the server with Matplotlib as inline SVG.

No chart library reaches the browser and nothing is fetched from a network: each chart
is an SVG string embedded in the page (so it shows with JavaScript off) and every chart
sits beside the table of the figures it draws. ``pyplot`` is not used and the SVG
canvas is chosen per call, so no global backend is touched.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Colour-blind-safe colours (Okabe-Ito), also used by the page's legend swatches.
COLOURS = {
    "requested": "#9aa5b1",
    "pledged": "#0072b2",
    "delivered": "#009e73",
    "offered": "#9aa5b1",
    "committed": "#0072b2",
    "proposed": "#a6cee3",
    "gap": "#e8c1c1",
}
MAX_BARS = 24
_RC: dict[Any, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "svg.hashsalt": "allied-web",
    "svg.fonttype": "none",
    "axes.edgecolor": "#8a949e",
    "axes.labelcolor": "#1f2933",
    "xtick.color": "#3e4c59",
    "ytick.color": "#1f2933",
}


def _style(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#e4e7eb", linewidth=0.8)
    ax.set_axisbelow(True)


def _svg(fig: Figure) -> str:
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(fig)
    buf = io.StringIO()
    fig.savefig(
        buf,
        format="svg",
        transparent=True,
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    text = buf.getvalue()
    # drop the XML prolog and DOCTYPE: the SVG is inlined in an HTML page
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def grouped_bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    xlabel: str,
) -> str:
    """Horizontal grouped bars, one group per label (at most ``MAX_BARS`` labels)."""
    import matplotlib
    from matplotlib.figure import Figure

    labels = list(labels)[:MAX_BARS]
    n = len(series)
    with matplotlib.rc_context(_RC):
        height = max(1.6, 0.22 * n * len(labels) + 0.9)
        fig = Figure(figsize=(6.4, height), layout="constrained")
        ax = fig.subplots()
        if not labels:
            ax.axis("off")
            ax.text(0.5, 0.5, "nothing to show", ha="center", va="center", color="#52606d")
            return _svg(fig)
        bar = 0.8 / n
        for i, (name, values) in enumerate(series):
            ys = [k + (i - (n - 1) / 2) * bar for k in range(len(labels))]
            ax.barh(
                ys,
                list(values)[: len(labels)],
                height=bar * 0.92,
                color=COLOURS.get(name, "#52606d"),
                label=name,
            )
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        _style(ax)
        ax.legend(loc="lower right", frameon=False, ncols=n)
        return _svg(fig)


def share_bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    xlabel: str,
) -> str:
    """Horizontal 100 % stacked bars: each label's shares (0..1) side by side, in order.

    Families count in different units (shells, tanks, courses), so the gap chart compares
    shares of what was requested, never raw quantities.
    """
    import matplotlib
    from matplotlib.figure import Figure

    labels = list(labels)[:MAX_BARS]
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(8.0, max(1.4, 0.24 * len(labels) + 0.9)), layout="constrained")
        ax = fig.subplots()
        if not labels:
            ax.axis("off")
            ax.text(0.5, 0.5, "nothing to show", ha="center", va="center", color="#52606d")
            return _svg(fig)
        left = [0.0] * len(labels)
        for name, values in series:
            widths = [100 * float(v) for v in list(values)[: len(labels)]]
            ax.barh(
                range(len(labels)),
                widths,
                left=left,
                height=0.72,
                color=COLOURS.get(name, "#52606d"),
                label=name,
            )
            left = [a + b for a, b in zip(left, widths, strict=True)]
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel(xlabel)
        _style(ax)
        fig.legend(loc="outside lower center", frameon=False, ncols=len(series))
        return _svg(fig)
