"""Rolling-origin backtests: every test episode forecast only from the record dated
before it, against naive baselines, with proper scores.

Test outcomes (``docs/lab.md`` lists them with their origins):

- **accessions**: days from signature to the last ratification of North Macedonia
  (origin 2019-02-06: only Montenegro known), Finland and Sweden (origin 2022-07-05:
  Montenegro, North Macedonia and the two blocking episodes ended by then); the model's
  forecast is the engine's ``ratification`` mechanism with the fitted coefficients;
- **hold-ups**: the days each NAC or Council blocking episode lasted, forecast on the
  day it started from the fit on everything before (the European Peace Facility
  hold-up is still going at the end of the record: it is scored by the probability the
  forecast gave to lasting at least as long, and left out of CRPS and coverage);
- **aid**: each donor's 2024 Kiel allocation (% of GDP), from the fit on 2022-2023.

Baselines: *persistence* ("as long as the last one": the latest hold-up or accession
completed before the origin; a donor gives in 2024 what it gave in 2023) and *base rate*
(the empirical distribution of the earlier ones; every donor gives the 2023 mean).
Scores: CRPS (for a point forecast, the absolute error), the Brier score of a yes/no
event, and whether the observation falls in the 80% interval. The model's parameter
uncertainty enters its forecasts: each bootstrap replicate simulates its share of runs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from allied.lab import fit as ft
from allied.lab import record
from allied.lab import scenario as sc
from allied.lab.actors import load_actors
from allied.lab.model import build_world, ratification
from allied.lab.summary import r6

F = npt.NDArray[np.float64]
AID_YEAR = 2024
REPS = 30  # bootstrap replicates per origin in the backtest
LEVELS = (0.5, 0.8, 0.95)


def crps(samples: F, y: float) -> float:
    """CRPS of an empirical forecast: ``E|X - y| - E|X - X'| / 2`` (exact, sorted)."""
    x = np.sort(np.asarray(samples, dtype=float))
    n = x.size
    first = float(np.abs(x - y).mean())
    i = np.arange(1, n + 1)
    second = float(((2 * i - n - 1) * x).sum()) / (n * n)
    return first - second


def brier(p: float, event: bool) -> float:
    return (p - float(event)) ** 2


def rank_corr(a: F, b: F) -> float:
    from scipy.stats import spearmanr  # type: ignore[import-untyped]

    return float(spearmanr(a, b).statistic)


@dataclass(frozen=True)
class Outcome:
    family: str
    episode: str
    origin: dt.date
    observed: float
    censored: bool  # observed is a lower bound (still going at the end of the record)
    threshold: float  # the yes/no event is "lasts longer than threshold"
    model: F  # predictive samples
    persistence: float | None
    base_rate: F | None


def _sim_accession(
    signed: dt.date, candidate: str, fits: list[ft.Delays], runs: int, seed: int
) -> F:
    out = []
    per = max(runs // len(fits), 1)
    actors = load_actors()
    for k, d in enumerate(fits):
        raw = {
            "name": "backtest-accession",
            "date": signed.isoformat(),
            "ratification": {
                "candidate": candidate,
                "org": "NATO",
                "signed_on": signed.isoformat(),
                "median_days": d.ratify_median_days,
                "sigma": d.ratify_sigma,
                "holdup": {
                    "base": ft.logit(d.holdup_p),
                    "escalation": 0.0,
                    "reluctance": 0.0,
                    "support": 0.0,
                    "transactional": 0.0,
                    "run_noise": 0.0,
                },
                "holdup_median_days": d.holdup_median_days,
                "holdup_sigma": d.holdup_sigma,
            },
        }
        scn = sc.validate(raw)
        assert scn.ratification is not None
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,)))
        days = ratification(build_world(actors, scn, []), scn.ratification, rng, per)
        out.append(np.asarray(days["ratification_days"], dtype=float))
    return np.concatenate(out)


def _sim_holdup(fits: list[ft.Delays], runs: int, seed: int) -> F:
    rng = np.random.default_rng(seed)
    per = max(runs // len(fits), 1)
    return np.concatenate(
        [rng.lognormal(math.log(d.holdup_median_days), d.holdup_sigma, per) for d in fits]
    )


_FITS: dict[tuple[dt.date, int, int], list[ft.Delays]] = {}


def fits_at(origin: dt.date, reps: int, seed: int) -> list[ft.Delays]:
    """The bootstrap replicates of the delay fit on the record before ``origin``."""
    key = (origin, reps, seed)
    if key not in _FITS:
        data = ft.delay_data(origin)
        _, theta, _ = ft.fit_delays(data)
        groups = ft.ratification_groups(origin, frozenset())
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(origin.toordinal(),)))
        _FITS[key] = ft.bootstrap_delays(data, groups, theta, reps, rng)
    return _FITS[key]


def _accession_days() -> list[tuple[record.Accession, int]]:
    last: dict[str, dt.date] = {}
    for r in record.ratifications():
        last[r.accession] = max(last.get(r.accession, r.by), r.by)
    return [(a, (last[a.id] - a.signed_on).days) for a in record.accessions()]


def duration_outcomes(runs: int, seed: int, reps: int = REPS) -> list[Outcome]:
    out: list[Outcome] = []
    accs = _accession_days()
    for a, days in accs:
        before = [d for b, d in accs if b.signed_on + dt.timedelta(days=d) < a.signed_on]
        if not before:
            continue  # nothing to fit on (Montenegro)
        fits = fits_at(a.signed_on, reps, seed)
        out.append(
            Outcome(
                "accession",
                f"{a.candidate} accession: days to last ratification",
                a.signed_on,
                float(days),
                False,
                365.0,
                _sim_accession(a.signed_on, a.candidate, fits, runs, seed),
                float(before[-1]),
                np.array(before, dtype=float),
            )
        )
    eps = sorted(record.episodes(), key=lambda e: (e.start, e.id))
    for e in eps:
        if e.venue == "ratification":
            continue
        done = sorted(
            (x for x in eps if x.end is not None and x.end < e.start),
            key=lambda x: x.end or x.start,
        )
        if not done:
            continue  # no earlier hold-up completed: no baseline to compare with
        days, ended = e.duration()
        fits = fits_at(e.start, reps, seed)
        past = np.array([float(x.duration()[0]) for x in done])
        out.append(
            Outcome(
                "hold-up",
                f"{e.blocker} on {e.decision}",
                e.start,
                float(days),
                not ended,
                30.0,
                _sim_holdup(fits, runs, seed),
                float(past[-1]),
                past,
            )
        )
    return out


def aid_outcomes(seed: int, reps: int = 200, draws: int = 4000) -> tuple[list[Outcome], ft.AidFit]:
    actors = load_actors()
    donors, years, x_by = ft.aid_inputs(actors)
    ss = np.random.SeedSequence(seed, spawn_key=(AID_YEAR,))
    rng_b, rng_d = (np.random.default_rng(s) for s in ss.spawn(2))
    train = {y: v for y, v in years.items() if y < AID_YEAR}
    fit = ft.fit_aid(train, x_by, AID_YEAR)
    boot = ft.bootstrap_aid(train, x_by, AID_YEAR, reps, rng_b)
    prev = years[AID_YEAR - 1]
    samples = ft.aid_samples(fit, boot, prev, x_by, draws, rng_d)
    mean_prev = float(prev.mean())
    origin = dt.date(AID_YEAR, 1, 1)
    outs = [
        Outcome(
            "aid",
            f"{c} aid {AID_YEAR}, % of GDP",
            origin,
            float(years[AID_YEAR][j]),
            False,
            float(prev[j]),  # event: gives more than the year before
            samples[:, j],
            float(prev[j]),
            np.array([mean_prev]),
        )
        for j, c in enumerate(donors)
    ]
    return outs, fit


def _interval(x: F, level: float) -> tuple[float, float]:
    lo, hi = np.quantile(x, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _score(o: Outcome) -> dict[str, Any]:
    lo, hi = _interval(o.model, 0.8)
    p_model = float((o.model > o.threshold).mean())
    event = o.observed > o.threshold
    row: dict[str, Any] = {
        "family": o.family,
        "episode": o.episode,
        "origin": o.origin.isoformat(),
        "observed": (f">={o.observed:g}" if o.censored else r6(o.observed)),
        "model_80": f"{lo:.3g}-{hi:.3g}",
        "in_80": (hi >= o.observed) if o.censored else bool(lo <= o.observed <= hi),
    }
    if o.censored:
        # only the probability of lasting at least this long can be scored
        row["crps_model"] = "-"
        row["crps_persistence"] = "-"
        row["crps_base_rate"] = "-"
        row["event"] = f"> {o.threshold:g}"
        p_at_least = float((o.model >= o.observed).mean())
        row["brier_model"] = r6(brier(p_model, event))
        row["brier_persistence"] = r6(brier(float((o.persistence or 0) > o.threshold), event))
        row["brier_base_rate"] = (
            r6(brier(float((o.base_rate > o.threshold).mean()), event))
            if o.base_rate is not None
            else "-"
        )
        row["note"] = f"P(model >= {o.observed:g}) = {p_at_least:.3f}"
        return row
    row["crps_model"] = r6(crps(o.model, o.observed))
    row["crps_persistence"] = (
        r6(abs(o.persistence - o.observed)) if o.persistence is not None else "-"
    )
    row["crps_base_rate"] = r6(crps(o.base_rate, o.observed)) if o.base_rate is not None else "-"
    row["event"] = f"> {o.threshold:.3g}"
    row["brier_model"] = r6(brier(p_model, event))
    row["brier_persistence"] = (
        r6(brier(float(o.persistence > o.threshold), event)) if o.persistence is not None else "-"
    )
    row["brier_base_rate"] = (
        r6(brier(float((o.base_rate > o.threshold).mean()), event))
        if o.base_rate is not None
        else "-"
    )
    row["note"] = ""
    return row


def _mean(rows: list[dict[str, Any]], key: str) -> float | str:
    vals = [r[key] for r in rows if isinstance(r[key], float)]
    return r6(float(np.mean(vals))) if vals else "-"


def _summary(family: str, rows: list[dict[str, Any]], note: str = "") -> dict[str, Any]:
    scored = [r for r in rows if r["crps_model"] != "-"]
    covered = [r["in_80"] for r in scored]
    return {
        "family": family,
        "episode": f"SUMMARY ({len(rows)} outcomes)",
        "origin": "-",
        "observed": "-",
        "model_80": f"coverage {np.mean(covered):.2f} of {len(covered)}" if covered else "-",
        "in_80": "-",
        "crps_model": _mean(scored, "crps_model"),
        "crps_persistence": _mean(scored, "crps_persistence"),
        "crps_base_rate": _mean(scored, "crps_base_rate"),
        "event": "-",
        "brier_model": _mean(rows, "brier_model"),
        "brier_persistence": _mean(rows, "brier_persistence"),
        "brier_base_rate": _mean(rows, "brier_base_rate"),
        "note": note,
    }


@dataclass
class Backtest:
    rows: list[dict[str, Any]]
    reliability: list[dict[str, Any]]
    aid_fit: ft.AidFit


def run(runs: int = 20_000, seed: int = 2022, reps: int = REPS) -> Backtest:
    durations = duration_outcomes(runs, seed, reps)
    aid, aid_fit = aid_outcomes(seed)
    outcomes = durations + aid
    rows = [_score(o) for o in outcomes]
    out: list[dict[str, Any]] = []
    for family in ("accession", "hold-up", "aid"):
        fam = [r for r, o in zip(rows, outcomes, strict=True) if o.family == family]
        note = ""
        if family == "aid":
            obs = np.array([o.observed for o in aid])
            med = np.array([float(np.median(o.model)) for o in aid])
            pers = np.array([o.persistence or 0.0 for o in aid])
            base = np.array([float(o.base_rate[0]) if o.base_rate is not None else 0 for o in aid])
            note = (
                f"MAE model {np.abs(med - obs).mean():.4f} / persistence "
                f"{np.abs(pers - obs).mean():.4f} / base rate {np.abs(base - obs).mean():.4f}; "
                f"Spearman model {rank_corr(med, obs):.3f} / persistence "
                f"{rank_corr(pers, obs):.3f} (feature: {aid_fit.feature})"
            )
        out += [*fam, _summary(family, fam, note)]
    overall = _summary("all", rows, "CRPS not averaged across families (days and % of GDP)")
    overall |= {"crps_model": "-", "crps_persistence": "-", "crps_base_rate": "-"}
    out.append(overall)
    return Backtest(out, reliability(outcomes), aid_fit)


def reliability(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """Coverage of the model's central intervals at several levels, and the calibration
    of its yes/no probabilities in bins, over every scored test outcome."""
    scored = [o for o in outcomes if not o.censored]
    rows: list[dict[str, Any]] = []
    for level in LEVELS:
        hits = [
            _interval(o.model, level)[0] <= o.observed <= _interval(o.model, level)[1]
            for o in scored
        ]
        rows.append(
            {
                "kind": "interval",
                "nominal": level,
                "n": len(hits),
                "forecast_mean": level,
                "observed": r6(float(np.mean(hits))),
            }
        )
    probs = np.array([float((o.model > o.threshold).mean()) for o in outcomes])
    events = np.array([o.observed > o.threshold for o in outcomes], dtype=float)
    edges = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0001)
    for lo, hi in itertools.pairwise(edges):
        sel = (probs >= lo) & (probs < hi)
        if sel.any():
            rows.append(
                {
                    "kind": "P(yes) bin",
                    "nominal": f"{lo:.1f}-{min(hi, 1.0):.1f}",
                    "n": int(sel.sum()),
                    "forecast_mean": r6(float(probs[sel].mean())),
                    "observed": r6(float(events[sel].mean())),
                }
            )
    return rows


COLUMNS = [
    "family",
    "episode",
    "origin",
    "observed",
    "model_80",
    "in_80",
    "crps_model",
    "crps_persistence",
    "crps_base_rate",
    "event",
    "brier_model",
    "brier_persistence",
    "brier_base_rate",
    "note",
]


RELIABILITY_COLUMNS = ["kind", "nominal", "n", "forecast_mean", "observed"]


def markdown(rows: list[dict[str, Any]], cols: list[str] | None = None) -> str:
    cols = cols or COLUMNS
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)
