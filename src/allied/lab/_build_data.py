"""Rebuild ``allied/data/lab/*.csv`` from the shared extracts (run by hand, not at run time).

``python -m allied.lab._build_data /path/to/shared/data`` reads the SIPRI military
expenditure extract, the Kiel Ukraine Support Tracker extract and the Eurostat gas
imports extract, maps names to ISO3 codes, keeps the years the lab uses and writes
the small files documented in ``allied/data/lab/PROVENANCE.md``.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

SIPRI_NAMES = {
    "United States of America": "USA",
    "Korea, South": "KOR",
    "Türkiye": "TUR",
}


def _iso_by_name(states: Path) -> dict[str, str]:
    with states.open(encoding="utf-8") as fh:
        return {r["name"]: r["iso3"] for r in csv.DictReader(fh)}


def build(shared: Path, out: Path) -> None:
    names = _iso_by_name(Path(__file__).resolve().parent.parent / "data" / "states.csv")
    names.update(SIPRI_NAMES)
    rows = []
    with (shared / "sipri" / "milex_share_gdp_2014_2023.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            iso = names.get(r["country"])
            if iso is None or iso in ("RUS", "UKR"):
                continue
            for year in ("2021", "2022", "2023"):
                if r[year]:
                    rows.append({"iso3": iso, "year": year, "milex_share_gdp_pct": r[year]})
    rows.sort(key=lambda r: (r["iso3"], r["year"]))
    _write(out / "milex_share_gdp.csv", ["iso3", "year", "milex_share_gdp_pct"], rows)

    totals: dict[tuple[str, int], dict[str, float]] = defaultdict(
        lambda: {"total": 0.0, "military": 0.0}
    )
    gdp: dict[str, float] = {}
    monthly: dict[tuple[str, int, int], dict[str, float]] = defaultdict(
        lambda: {"total": 0.0, "military": 0.0}
    )
    with (shared / "kiel" / "data_explorer.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            yr = int(r["year"])
            if r["iso"] in ("", "EU") or not 2022 <= yr <= 2024:
                continue
            for t in (totals[(r["iso"], yr)], monthly[(r["iso"], yr, int(r["month"]))]):
                t["total"] += float(r["total"])
                t["military"] += float(r["military"])
            gdp[r["iso"]] = float(r["gdp"])
    kiel = [
        {
            "iso3": iso,
            "year": year,
            "total_eur_bn": f"{t['total']:.6f}",
            "military_eur_bn": f"{t['military']:.6f}",
            "gdp_2021_eur_bn": f"{gdp[iso]:.3f}",
        }
        for (iso, year), t in sorted(totals.items())
    ]
    _write(
        out / "kiel_aid.csv",
        ["iso3", "year", "total_eur_bn", "military_eur_bn", "gdp_2021_eur_bn"],
        kiel,
    )

    _write(
        out / "kiel_monthly.csv",
        ["iso3", "year", "month", "total_eur_bn", "military_eur_bn"],
        [
            {
                "iso3": iso,
                "year": year,
                "month": month,
                "total_eur_bn": f"{t['total']:.6f}",
                "military_eur_bn": f"{t['military']:.6f}",
            }
            for (iso, year, month), t in sorted(monthly.items())
        ],
    )

    gas = []
    with (shared / "reference" / "gas_imports_from_russia.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["year"] == "2020" and r["iso3"] != "EU27" and r["gas_share_from_russia_pct"]:
                gas.append(
                    {
                        "iso3": r["iso3"],
                        "gas_share_from_russia_pct": r["gas_share_from_russia_pct"],
                        "note": r["note"],
                    }
                )
    _write(out / "gas_russia_2020.csv", ["iso3", "gas_share_from_russia_pct", "note"], gas)


def _write(path: Path, cols: list[str], rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":  # pragma: no cover - a maintenance script
    build(Path(sys.argv[1]), Path(__file__).resolve().parent.parent / "data" / "lab")
