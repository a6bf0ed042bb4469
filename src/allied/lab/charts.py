"""Charts of a lab result: PNG bytes (matplotlib, Agg backend) or a self-contained HTML page."""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
from typing import Any

import numpy as np

from allied.lab.engine import LabResult
from allied.lab.summary import headline


def _panels(result: LabResult) -> list[str]:
    first = next(iter(result.arrays.values()))
    panels = []
    if "days" in first:
        panels.append("decision")
    if "consent_status" in first:
        panels.append("consent")
    if "ratification_days" in first:
        panels.append("ratification")
    if "aid_lateness_months" in first:
        panels.append("aid")
    if "escalation_rung" in first:
        panels.append("escalation")
    if "cohesion_split" in first:
        panels.append("cohesion")
    return panels


#: Histogram panels: the array each draws and its number of bins.
_HISTOGRAMS = {"decision": ("days", 20), "ratification": ("ratification_days", 40),
               "aid": ("aid_lateness_months", 40)}


def shared_edges(samples: list[Any], bins: int) -> Any:
    """Bin edges common to every variant's sample (over their pooled range), so that the
    overlaid histograms of a panel have the same bins and can be compared bar by bar."""
    pooled = np.concatenate([np.asarray(s, dtype=np.float64).ravel() for s in samples])
    if pooled.size == 0:
        return np.linspace(0.0, 1.0, bins + 1)
    return np.histogram_bin_edges(pooled, bins=bins)


def _panel_samples(result: LabResult, panel: str) -> list[Any]:
    key = _HISTOGRAMS[panel][0]
    out = []
    for a in result.arrays.values():
        values = a[key]
        if panel == "decision":
            values = values[a["adopted"].astype(bool)]
        out.append(values)
    return out


def png(result: LabResult) -> bytes:
    """One panel per mechanism, the variants overlaid."""
    import matplotlib.pyplot as plt

    fig = figure(result)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def figure(result: LabResult) -> Any:
    """The charts' figure (the caller closes it): one panel per mechanism, the variants
    overlaid; a histogram panel's variants share their bins."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = _panels(result)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.0), squeeze=False)
    names = list(result.arrays)
    edges = {
        panel: shared_edges(_panel_samples(result, panel), _HISTOGRAMS[panel][1])
        for panel in panels
        if panel in _HISTOGRAMS
    }
    for ax, panel in zip(axes[0], panels, strict=True):
        for k, name in enumerate(names):
            a = result.arrays[name]
            label = name if len(names) > 1 else None
            if panel == "decision":
                adopted = a["adopted"].astype(bool)
                days = a["days"][adopted]
                if days.size:
                    ax.hist(days, bins=edges[panel], alpha=0.6, label=label)
                ax.set_title(f"days to adoption (P adopted {adopted.mean():.2f})")
                ax.set_xlabel("days")
            elif panel == "consent":
                granted = (a["consent_status"] == 1).mean(axis=0)
                x = np.arange(granted.size) + 0.8 * k / max(len(names), 1)
                ax.bar(x, granted, width=0.8 / max(len(names), 1), label=label)
                ax.set_title("P(consent granted), by case")
                ax.set_xlabel("case")
                ax.set_ylim(0, 1)
            elif panel == "ratification":
                ax.hist(a["ratification_days"], bins=edges[panel], alpha=0.6, label=label)
                ax.set_title("days to the last ratification")
                ax.set_xlabel("days after signature")
            elif panel == "aid":
                ax.hist(a["aid_lateness_months"], bins=edges[panel], alpha=0.6, label=label)
                ax.set_title("aid lateness (months)")
            elif panel == "escalation":
                rung = a["escalation_rung"]
                top = int(rung.max()) + 1
                counts = np.bincount(rung, minlength=top) / rung.size
                xr = np.arange(top) + 0.8 * k / max(len(names), 1)
                ax.bar(xr, counts, width=0.8 / max(len(names), 1), label=label)
                ax.set_title("escalation rung reached")
                ax.set_xlabel("rung")
            elif panel == "cohesion":
                split = a["cohesion_split"]
                ax.boxplot(split, showfliers=False)
                ax.set_title("two-tier split (between-group share of variance)")
                ax.set_xlabel("year index")
        if len(names) > 1:
            ax.legend()
    fig.suptitle(f"{result.scenario}: {result.runs} runs, seed {result.seed}")
    fig.tight_layout()
    return fig


def panel_data(result: LabResult) -> list[dict[str, Any]]:
    """The charts' figures as plain data (JSON-ready), one panel per mechanism, for an
    interactive chart: each panel's ``x`` (bin centres, cases or rungs) is shared by every
    variant's ``series``; a histogram panel's variants are counted on the same ``edges``
    (as in :func:`figure`), as shares of the variant's runs so that variants compare bar
    by bar. The cohesion panel gives the quartiles per year index."""
    names = list(result.arrays)
    panels: list[dict[str, Any]] = []
    for panel in _panels(result):
        out: dict[str, Any] = {"panel": panel, "series": []}
        if panel in _HISTOGRAMS:
            samples = _panel_samples(result, panel)
            edges = shared_edges(samples, _HISTOGRAMS[panel][1])
            out["edges"] = [round(float(e), 4) for e in edges]
            out["x"] = [round(float(a + b) / 2, 4) for a, b in itertools.pairwise(edges)]
            out["kind"] = "histogram"
            out["ylabel"] = "share of runs"
            for name, values in zip(names, samples, strict=True):
                counts, _ = np.histogram(values, bins=edges)
                runs = max(int(np.asarray(result.arrays[name][_HISTOGRAMS[panel][0]]).shape[0]), 1)
                out["series"].append(
                    {"name": name, "y": [round(float(c) / runs, 6) for c in counts]}
                )
            if panel == "decision":
                out["title"] = "days to adoption (adopted runs)"
                out["xlabel"] = "days"
            elif panel == "ratification":
                out["title"] = "days to the last ratification"
                out["xlabel"] = "days after signature"
            else:
                out["title"] = "aid lateness"
                out["xlabel"] = "months late"
        elif panel == "consent":
            out.update(kind="bars", title="P(consent granted), by case", xlabel="case",
                       ylabel="probability")
            for name in names:
                granted = (result.arrays[name]["consent_status"] == 1).mean(axis=0)
                out["x"] = [int(i) for i in range(granted.size)]
                out["series"].append({"name": name, "y": [round(float(v), 6) for v in granted]})
        elif panel == "escalation":
            top = max(int(result.arrays[n]["escalation_rung"].max()) + 1 for n in names)
            out.update(kind="bars", title="escalation rung reached", xlabel="rung",
                       ylabel="share of runs", x=list(range(top)))
            for name in names:
                rung = result.arrays[name]["escalation_rung"]
                counts = np.bincount(rung, minlength=top) / max(rung.size, 1)
                out["series"].append({"name": name, "y": [round(float(v), 6) for v in counts]})
        elif panel == "cohesion":
            out.update(kind="quartiles", xlabel="year index",
                       title="two-tier split (between-group share of variance): median, quartiles",
                       ylabel="share of variance")
            for name in names:
                split = np.asarray(result.arrays[name]["cohesion_split"], dtype=np.float64)
                q = np.quantile(split, [0.25, 0.5, 0.75], axis=0)
                out["x"] = [int(i) + 1 for i in range(split.shape[1])]
                out["series"].append(
                    {
                        "name": name,
                        "y": [round(float(v), 6) for v in q[1]],
                        "low": [round(float(v), 6) for v in q[0]],
                        "high": [round(float(v), 6) for v in q[2]],
                    }
                )
        panels.append(out)
    return panels


def html_page(result: LabResult) -> str:
    image = base64.b64encode(png(result)).decode("ascii")
    rows = "".join(
        f"<tr><td>{html.escape(r['variant'])}</td><td>{html.escape(r['metric'])}</td>"
        f"<td>{html.escape(str(r['value']))}</td></tr>"
        for r in headline(result.summary)
    )
    title = html.escape(f"{result.scenario}: {result.summary.get('title', '')}")
    data = html.escape(json.dumps(result.summary, sort_keys=True))
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title></head><body><h1>{title}</h1>"
        f"<p>{html.escape(str(result.summary.get('question', '')))}</p>"
        f"<img alt='charts' src='data:image/png;base64,{image}'>"
        f"<table border='1'><tr><th>variant</th><th>metric</th><th>value</th></tr>{rows}</table>"
        f"<script type='application/json' id='summary'>{data}</script></body></html>"
    )


def summary_only(result: LabResult) -> dict[str, Any]:
    return result.summary
