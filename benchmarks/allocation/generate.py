"""Seeded generator of allocation problems for the benchmark.

    python benchmarks/allocation/generate.py --size xl --seed 7 --out /tmp/xl.json

Every draw comes from one ``numpy.random.Generator`` seeded by ``--seed``: the same
seed and size give the same file, byte for byte. The families are the catalogue's,
split into lots (``155mm-nato-l2``) so that the number of compatible pairs per request
stays realistic; about 80% of compatible pairs are feasible (the rest are blocked by a
recipient restriction, a channel that forbids lethal aid, or missing re-export consent).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from allied.domain.catalogue import FAMILIES

# Donor capitals: the contact group's larger contributors first.
STATES = (
    "USA", "DEU", "GBR", "FRA", "POL", "NLD", "DNK", "SWE", "NOR", "FIN", "CAN", "ITA",
    "ESP", "BEL", "CZE", "SVK", "EST", "LVA", "LTU", "ROU", "BGR", "PRT", "GRC", "HRV",
    "SVN", "AUT", "IRL", "LUX", "HUN", "TUR", "AUS", "NZL", "JPN", "KOR", "ISL", "ALB",
    "MNE", "MKD", "CHE", "ISR", "MAR", "KEN", "SGP", "MEX", "BRA", "ARG", "CHL", "COL",
    "PER", "URY", "IND", "ZAF", "EGY", "JOR", "QAT", "SAU", "ARE", "KWT", "BHR", "OMN",
)
PRODUCERS = ("USA", "DEU", "FRA", "GBR", "ITA", "SWE", "NOR", "CZE", "POL", "KOR", "TUR", "ISR")
CHANNELS = ("bilateral", "udcg", "nato-cap", "nsatu", "eu-epf", "g7")
CHANNEL_P = (0.55, 0.15, 0.05, 0.1, 0.1, 0.05)
RECIPIENTS = ("UKR", "MDA", "GEO")
RECIPIENT_P = (0.85, 0.1, 0.05)
CONSENT = ("granted", "pending", "denied", "expired")
CONSENT_P = (0.65, 0.15, 0.15, 0.05)


@dataclass(frozen=True)
class Size:
    donors: int
    requests: int
    offers: int
    families: int  # lots of catalogue families; fewer lots = more pairs per request


SIZES: dict[str, Size] = {
    "xs": Size(donors=10, requests=50, offers=200, families=20),
    "s": Size(donors=20, requests=250, offers=1_000, families=40),
    "m": Size(donors=40, requests=1_000, offers=4_000, families=80),
    "l": Size(donors=60, requests=2_500, offers=10_000, families=150),
    "xl": Size(donors=60, requests=5_000, offers=20_000, families=150),
}


def generate(size: Size, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    as_of = dt.date(2024, 3, 1)
    base = list(FAMILIES)
    lots = [
        base[i % len(base)] + (f"-l{i // len(base)}" if i >= len(base) else "")
        for i in range(size.families)
    ]
    popularity = 1.0 / np.arange(1, size.families + 1) ** 0.5
    popularity /= popularity.sum()
    donors = STATES[: size.donors]
    donor_p = 1.0 / np.arange(1, size.donors + 1)
    donor_p /= donor_p.sum()

    def day(offset: int | np.integer[Any]) -> str:
        return (as_of + dt.timedelta(days=int(offset))).isoformat()

    requests = []
    for i in range(size.requests):
        first = int(rng.choice(size.families, p=popularity))
        fams = [first]
        siblings = [f for f in range(first % len(base), size.families, len(base)) if f != first]
        if siblings and rng.random() < 0.35:  # also accepts another lot of the same family
            fams.append(int(rng.choice(siblings)))
        requests.append({
            "id": f"R{i + 1:05d}",
            "recipient": str(rng.choice(RECIPIENTS, p=RECIPIENT_P)),
            "accepts": [lots[f] for f in fams],
            "quantity": int(max(1, round(rng.lognormal(6.5, 1.2)))),
            "priority": int(rng.integers(1, 6)),
            "needed_by": day(rng.integers(0, 120)),
        })

    offers = []
    holders: set[tuple[str, str]] = set()
    for i in range(size.offers):
        donor = str(rng.choice(donors, p=donor_p))
        offer: dict[str, Any] = {
            "id": f"O{i + 1:06d}",
            "donor": donor,
            "family": lots[int(rng.choice(size.families, p=popularity))],
            "quantity": int(max(1, round(rng.lognormal(4.5, 1.3)))),
            "available_from": day(rng.integers(-30, 150)),
            "channel": str(rng.choice(CHANNELS, p=CHANNEL_P)),
            "lethal": bool(rng.random() < 0.8),
        }
        if rng.random() < 0.3:
            origin = str(rng.choice(PRODUCERS))
            offer["origin"] = origin
            if origin != donor:
                holders.add((origin, donor))
        if rng.random() < 0.1:
            offer["recipient"] = "UKR"
        offers.append(offer)

    consents = []
    for origin, holder in sorted(holders):
        if rng.random() < 0.1:
            continue  # no record: counts as pending
        consents.append({
            "origin": origin, "holder": holder, "status": str(rng.choice(CONSENT, p=CONSENT_P)),
        })

    return {
        "as_of": as_of.isoformat(),
        "requests": requests,
        "offers": offers,
        "consents": consents,
        "channel_rules": {"nato-cap": {"lethal": False}},
        "options": {"allow_pending_consent": False, "lateness_half_life_days": 30},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="s")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    data = generate(SIZES[args.size], args.seed)
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
