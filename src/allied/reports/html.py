"""A report as one self-contained interactive HTML page: nothing is fetched at view time.

The chart is Matplotlib's SVG, inline; a few lines of inline JavaScript show a tooltip
over each bar or point, hide and show a series when its legend entry is clicked, and
sort the tables below the chart by any column. No script, style sheet or font comes
from the network.
"""

from __future__ import annotations

import html
import json
import re

from allied.reports.charts import render_svg
from allied.reports.model import Report
from allied.reports.render import display_value

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem auto;
max-width:1200px;color:#222;padding:0 1rem}
h1{font-size:1.4rem;margin-bottom:.2rem} .meta{color:#555;font-size:.9rem}
.chart svg{width:100%;height:auto} .chart [id^="legend"]{cursor:pointer}
#tip{position:absolute;display:none;background:#222;color:#fff;padding:4px 8px;
border-radius:4px;font-size:.85rem;pointer-events:none;max-width:28rem;z-index:9}
table{border-collapse:collapse;font-size:.82rem;margin:.5rem 0 1.5rem}
th,td{border-bottom:1px solid #e3e3e3;padding:3px 8px;text-align:right;white-space:nowrap}
th{cursor:pointer;background:#f6f6f6;position:sticky;top:0} th:hover{background:#eaeaea}
td:first-child,th:first-child{text-align:left} .scroll{overflow-x:auto;max-height:32rem}
.off{opacity:.25} ul{font-size:.88rem;color:#444}
"""

_SCRIPT = """
(function(){
  var tips = JSON.parse(document.getElementById('tips').textContent);
  var box = document.getElementById('tip');
  Object.keys(tips).forEach(function(id){
    var el = document.getElementById(id); if(!el) return;
    el.addEventListener('mousemove', function(e){
      box.textContent = tips[id]; box.style.display = 'block';
      box.style.left = (e.pageX + 14) + 'px'; box.style.top = (e.pageY + 14) + 'px';
    });
    el.addEventListener('mouseleave', function(){ box.style.display = 'none'; });
  });
  document.querySelectorAll('[id^="legend-"],[id^="legendtext-"]').forEach(function(el){
    el.addEventListener('click', function(){
      var k = el.id.split('-')[1];
      var hide = !el.classList.contains('off');
      document.querySelectorAll('[id^="s' + k + '-"]').forEach(function(part){
        part.style.display = hide ? 'none' : '';
      });
      ['legend-', 'legendtext-'].forEach(function(p){
        var l = document.getElementById(p + k); if(l) l.classList.toggle('off', hide);
      });
    });
  });
  document.querySelectorAll('table.sortable').forEach(function(table){
    table.querySelectorAll('th').forEach(function(th, col){
      th.addEventListener('click', function(){
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        var asc = th.dataset.dir !== 'asc'; th.dataset.dir = asc ? 'asc' : 'desc';
        rows.sort(function(a, b){
          var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
          var nx = parseFloat(x), ny = parseFloat(y);
          var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
          return asc ? c : -c;
        });
        rows.forEach(function(r){ body.appendChild(r); });
      });
    });
  });
})();
"""


def _svg_body(svg: str) -> str:
    """The ``<svg>`` element alone (no XML declaration or DOCTYPE), for inline use."""
    start = svg.find("<svg")
    body = svg[start:]
    # Drop the RDF metadata block Matplotlib writes: it names licence URIs only.
    return re.sub(r"<metadata>.*?</metadata>", "", body, flags=re.DOTALL)


def _table(report: Report, name: str) -> str:
    columns, rows = report.table(name)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c)
            raw = "" if value is None else str(value)
            shown = html.escape(display_value(value, c))
            cells.append(f'<td data-v="{html.escape(raw, quote=True)}">{shown}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<h2>{html.escape(name)} ({len(rows)})</h2><div class='scroll'>"
        f"<table class='sortable'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def render_html(report: Report) -> str:
    svg, drawn = render_svg(report)
    tips = json.dumps(drawn.tips, ensure_ascii=False).replace("</", "<\\/")
    period = report.period.as_dict()
    options = ", ".join(f"{k}: {v}" for k, v in report.options.items() if v not in (None, []))
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in report.notes)
    sources = "".join(f"<li>{html.escape(s)}</li>" for s in report.sources)
    tables = "".join(_table(report, name) for name in report.tables)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(report.title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(report.title)}</h1>"
        f"<p class='meta'>Period: {html.escape(period['from'] or 'start')} to "
        f"{html.escape(period['to'] or 'latest')}"
        f"{'; ' + html.escape(options) if options else ''}. Hover over the chart for values; "
        "click a legend entry to hide or show it; click a column heading to sort.</p>"
        f"<div class='chart'>{_svg_body(svg)}</div><div id='tip'></div>"
        f"<h2>Notes</h2><ul>{notes}</ul><h2>Sources</h2><ul>{sources}</ul>{tables}"
        f"<script type='application/json' id='tips'>{tips}</script>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
