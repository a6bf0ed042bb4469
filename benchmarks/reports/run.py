"""Public-data import and report timings at the size of SIPRI's full trade register.

Run from the repository root: ``.venv/bin/python benchmarks/reports/run.py [COPIES]``.

The full register has every recipient (tens of thousands of deals); the shipped extract
has 356 deals to Ukraine. The benchmark builds a register of COPIES x 356 deals by giving
the extract's deals to COPIES recipients, then measures, on a fresh SQLite file: parsing,
the first import, re-importing the same file (nothing changes), the deliveries report and
its PNG and HTML rendering; and the same for the shipped Kiel release. Best of 3 runs.

It also writes the register as SIPRI publishes it (synthetic, nothing downloaded): in
Windows-1252, with accented names, and one record in 200 split over two lines by a line
break without quotes in its comments; and times reading that file (decode, join the
split records, parse) against reading the same deals from a clean UTF-8 file.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from allied.bootstrap import build
from allied.config import Settings
from allied.ingest.kiel import builtin_kiel_path, parse_kiel
from allied.ingest.sipri import builtin_sipri_path, parse_sipri, read_sipri_report
from allied.reports.data import reference_figures
from allied.service.caller import Caller
from allied.service.public_data import import_kiel, import_sipri
from allied.service.reports import build_report, render

CALLER = Caller(user="bench", nation="")
RECIPIENTS = [
    "Poland",
    "Germany",
    "France",
    "Italy",
    "Spain",
    "Greece",
    "Türkiye",
    "Côte d'Ivoire",
    "India",
    "Japan",
    "Brazil",
    "Egypt",
    "Qatar",
    "Australia",
    "Canada",
    "Mexico",
    "Chile",
    "Peru",
    "Kenya",
    "Nigeria",
    "Morocco",
    "Algeria",
    "Pakistan",
    "Indonesia",
    "Viet Nam",
    "Thailand",
    "Malaysia",
    "Singapore",
    "Philippines",
    "South Korea",
    "Norway",
    "Finland",
    "Sweden",
    "Denmark",
    "Netherlands",
    "Belgium",
    "Portugal",
    "Romania",
    "Bulgaria",
    "Hungary",
    "Ukraine",
]


def register(copies: int) -> str:
    lines = builtin_sipri_path().read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    out = [header]
    for i in range(copies):
        name = RECIPIENTS[i % len(RECIPIENTS)] + ("" if i < len(RECIPIENTS) else f" {i}")
        out += [name + row[row.index(",") :] for row in rows]
    return "\n".join(out) + "\n"


def as_published(body: str, every: int = 200) -> tuple[bytes, int]:
    """The register as SIPRI publishes it: Windows-1252, and one record in ``every`` (of
    those whose comments have a '; ' and no quotes) split by a bare line break there."""
    out, split = [], 0
    for n, row in enumerate(body.split("\n")):
        cells = row.split(",")  # no quotes in the rows chosen: a comma ends a field
        if n and n % every == 0 and '"' not in row and "; " in cells[12 if cells[12:] else 0]:
            cells[12] = cells[12].replace("; ", ";\r\n", 1)  # in the comments
            row = ",".join(cells)
            split += 1
        out.append(row)
    return "\r\n".join(out).encode("cp1252"), split


def best(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(copies: int) -> None:
    reference_figures()  # warm the package-data cache
    body = register(copies)
    parse_s, deals = best(lambda: parse_sipri(body, source="register.csv"))
    kiel_body = builtin_kiel_path().read_text(encoding="utf-8")
    kiel_parse_s, kiel = best(lambda: parse_kiel(kiel_body, release="Release 29"))
    rows: list[tuple[str, float, str]] = [
        (
            f"parse SIPRI register ({len(deals)} deals)",
            parse_s,
            f"{len(deals) / parse_s:,.0f} deals/s",
        ),
        (f"parse Kiel release ({len(kiel.months)} rows)", kiel_parse_s, ""),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        clean, published = Path(tmp) / "clean.csv", Path(tmp) / "published.csv"
        clean.write_text(body, encoding="utf-8")
        raw, split = as_published(body)
        published.write_bytes(raw)
        clean_s, clean_read = best(lambda: read_sipri_report(clean))
        pub_s, pub_read = best(lambda: read_sipri_report(published))
        assert len(pub_read.transfers) == len(clean_read.transfers) == len(deals)
        assert len(pub_read.warnings) == split + 1  # the encoding, then each join
        rows.append((f"read clean UTF-8 file ({len(deals)} deals)", clean_s, ""))
        rows.append(
            (
                "read as published (cp1252, split records)",
                pub_s,
                f"{split} records joined, {len(pub_read.warnings)} warnings; "
                f"{pub_s / clean_s:.2f} x the clean file",
            )
        )

        store = build(Settings(database_url=f"sqlite:///{tmp}/bench.db"))
        try:
            start = time.perf_counter()
            first = import_sipri(store.uow(), CALLER, deals, source="register.csv")
            rows.append(
                (
                    "first SIPRI import (SQLite)",
                    time.perf_counter() - start,
                    f"{first.inserted} inserted",
                )
            )
            again_s, again = best(
                lambda: import_sipri(store.uow(), CALLER, deals, source="register.csv")
            )
            rows.append(("re-import, nothing to change", again_s, f"{again.unchanged} unchanged"))
            start = time.perf_counter()
            import_kiel(store.uow(), CALLER, kiel)
            rows.append(("first Kiel import (SQLite)", time.perf_counter() - start, ""))
            report_s, report = best(lambda: build_report(store.uow(), "deliveries"))
            rows.append(
                (
                    "deliveries report (read + compute)",
                    report_s,
                    f"{len(report.tables['deliveries'])} rows",
                )
            )
            burden_s, burden = best(lambda: build_report(store.uow(), "burden"))
            rows.append(("burden report (read + compute)", burden_s, ""))
            png_s, png = best(lambda: render(report, "png"))
            rows.append(("deliveries PNG", png_s, f"{len(png) / 1024:.0f} KiB"))
            html_s, page = best(lambda: render(report, "html"))
            rows.append(("deliveries HTML (SVG + tables)", html_s, f"{len(page) / 1024:.0f} KiB"))
            png_s, png = best(lambda: render(burden, "png"))
            rows.append(("burden PNG", png_s, f"{len(png) / 1024:.0f} KiB"))
        finally:
            store.close()
    width = max(len(r[0]) for r in rows)
    for label, seconds, note in rows:
        print(f"{label:<{width}}  {seconds * 1000:9.1f} ms  {note}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 82)
