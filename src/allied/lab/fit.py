"""Estimate the lab's hold-up, ratification and aid coefficients from the record.

**Delays (ratification and hold-ups), one joint penalised maximum likelihood.** Each
ally ratifies a protocol after ``L ~ LogNormal(log(ratify_median_days), ratify_sigma)``
days, plus, with probability ``holdup_p``, a hold-up of ``E ~ LogNormal(log(
holdup_median_days), holdup_sigma)`` days (the engine's ``ratification`` mechanism with
``holdup_median_days`` set). A blocking episode in the NAC or the EU Council lasts ``E``
days (the engine's ``decision.holdup``). The likelihood of a ratification known to a
day is ``P(d - 0.5 < T < d + 0.5)`` (``T = L + H*E``, a two-part mixture whose sum is
computed by convolution on a one-day grid); of a ratification known only to lie in an
interval, the probability of the interval; of an episode still going (or a ratification
still pending) at the forecast origin, the probability of lasting longer. Weak normal
priors (``PRIORS``) keep the estimate finite when the data before an early origin are
few; they are ASSUMPTIONS and are listed by ``allied lab fit``.

**Aid, ordinary least squares (the Gaussian maximum likelihood).** A donor's aid
allocated in a year, as % of its 2021 GDP, is ``log(aid_y + EPS) = a + b*log(aid_{y-1} +
EPS) + c*x + e``, ``e ~ Normal(0, sigma)``, where ``x`` is the lab's default support
position (``AID_FEATURES`` lists the candidates; the one with the lowest leave-one-out
mean absolute error on the training years is used, chosen on training data only).

**Uncertainty.** A bootstrap: ratification rows resampled within each accession and
episodes resampled, donors resampled for aid; each replicate refitted. The intervals are
the 10th and 90th percentiles of the replicates. Everything draws from one
``numpy.random.SeedSequence(seed)``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize, signal, special  # type: ignore[import-untyped]

from allied.lab import record
from allied.lab.actors import ActorTable, load_actors

F = npt.NDArray[np.float64]
GRID = 1024  # days on the convolution grid (the longest bound in the record is < 700)
EPS = 0.01  # % of GDP added before taking logs of aid (ASSUMPTION: zero-aid years exist)
# weak priors of the penalised likelihood: (mean, sd) on the unconstrained scale
PRIORS: dict[str, tuple[float, float]] = {
    "log_ratify_median_days": (math.log(30.0), 2.0),
    "log_ratify_sigma": (0.0, 1.0),
    "logit_holdup_p": (-3.0, 2.0),
    "log_holdup_median_days": (math.log(90.0), 2.0),
    "log_holdup_sigma": (0.0, 1.0),
}
START = np.array([m for m, _ in PRIORS.values()])
AID_FEATURES = ("none", "support", "proximity")
ASSUMPTIONS = (
    "the priors of the penalised likelihood (PRIORS): weak normals that matter only when "
    "the record before an origin is short",
    "one hold-up duration for ratifications and for NAC/Council decisions, and one "
    "probability per ally per protocol, used for Council members too",
    "ratifications of one accession are independent given the coefficients; allies do "
    "not differ in their hold-up probability (the data cannot tell them apart)",
    "EPS = 0.01 % of GDP added before taking logs of aid (years of zero aid exist)",
    "the default support position (docs/lab.md) as the aid model's structural feature",
    "every other coefficient of the engine (objection, join, consent, pause, package, "
    "escalation and cohesion blocks): the ASSUMPTIONS of docs/lab.md, not estimated",
)


@dataclass(frozen=True)
class DelayData:
    """Interval bounds in days (``inf``: right-censored) for ratifications and episodes."""

    ratify: F  # (k, 3): low, high, held up (1), not (0) or not known (nan)
    episodes: F  # (m, 2)


@dataclass(frozen=True)
class Delays:
    ratify_median_days: float
    ratify_sigma: float
    holdup_p: float
    holdup_median_days: float
    holdup_sigma: float

    @classmethod
    def from_theta(cls, theta: F) -> Delays:
        return cls(
            float(np.exp(theta[0])),
            float(np.exp(theta[1])),
            float(special.expit(theta[2])),
            float(np.exp(theta[3])),
            float(np.exp(theta[4])),
        )


def _bounds(lo_day: float, hi_day: float | None) -> tuple[float, float]:
    """Days known to a day become ``[d - 0.5, d + 0.5]``; ``None`` is still going."""
    lo = max(lo_day - 0.5, 0.0)
    return lo, (math.inf if hi_day is None else hi_day + 0.5)


def delay_data(origin: dt.date | None = None, exclude: frozenset[str] = frozenset()) -> DelayData:
    """The record as known on ``origin`` (everything when None), leaving out the
    accessions and episodes named in ``exclude``. Only NAC and Council episodes enter
    as episodes: hold-ups of ratifications are already in the ratification rows."""
    signed = {a.id: a.signed_on for a in record.accessions()}
    # who held up a ratification, as known on the origin; for an accession with recorded
    # hold-ups every other ally is known not to have held it up
    held: dict[str, set[str]] = {}
    for e in record.episodes():
        if e.venue == "ratification" and (origin is None or e.start < origin):
            held.setdefault(e.accession, set()).add(e.blocker)
    rat: list[tuple[float, float, float]] = []
    for r in record.ratifications():
        s = signed[r.accession]
        if r.accession in exclude or (origin is not None and s >= origin):
            continue
        h = float(r.state in held[r.accession]) if r.accession in held else math.nan
        if origin is None or r.by < origin:
            rat.append((*_bounds((r.after - s).days, (r.by - s).days), h))
        else:  # not known to have ratified on the origin: at least this long
            rat.append((*_bounds((min(r.after, origin) - s).days, None), h))
    eps: list[tuple[float, float]] = []
    for e in record.episodes():
        if e.venue == "ratification" or e.id in exclude:
            continue
        if origin is not None and e.start >= origin:
            continue
        on = record.RECORD_END if origin is None else origin - dt.timedelta(days=1)
        days, ended = e.duration(on)
        eps.append(_bounds(days, days if ended else None))
    return DelayData(np.array(rat, dtype=float).reshape(-1, 3), np.array(eps).reshape(-1, 2))


def _lognorm_cdf(x: F, mu: float, sigma: float) -> F:
    out: F = np.where(x <= 0, 0.0, special.ndtr((np.log(np.maximum(x, 1e-300)) - mu) / sigma))
    return out


def _sum_cdf(bounds: F, mu_l: float, s_l: float, mu_e: float, s_e: float) -> F:
    """CDF of ``L + E`` at half-day bounds (0 and inf allowed), by convolution."""
    half: F = np.arange(GRID, dtype=np.float64) + 0.5
    cdf_l = _lognorm_cdf(half, mu_l, s_l)
    pmf_l = np.diff(np.concatenate([[0.0], cdf_l]))  # mass of L in [k - 0.5, k + 0.5)
    at_half = signal.fftconvolve(pmf_l, _lognorm_cdf(half, mu_e, s_e))[:GRID]
    idx = np.clip(np.floor(np.minimum(bounds, GRID)).astype(int), 0, GRID - 1)
    out: F = np.where(bounds <= 0, 0.0, np.where(np.isinf(bounds), 1.0, at_half[idx]))
    return out


def neg_log_posterior(theta: F, data: DelayData) -> float:
    mu_l, s_l = theta[0], math.exp(theta[1])
    p = float(special.expit(theta[2]))
    mu_e, s_e = theta[3], math.exp(theta[4])
    ll = 0.0
    if data.ratify.size:
        lo, hi, h = data.ratify[:, 0], data.ratify[:, 1], data.ratify[:, 2]
        plain = _lognorm_cdf(hi, mu_l, s_l) - _lognorm_cdf(lo, mu_l, s_l)
        held = _sum_cdf(hi, mu_l, s_l, mu_e, s_e) - _sum_cdf(lo, mu_l, s_l, mu_e, s_e)
        lik = np.where(
            np.isnan(h),
            (1 - p) * plain + p * held,  # not known whether held up: the mixture
            np.where(h == 1, p * held, (1 - p) * plain),
        )
        ll += float(np.log(np.maximum(lik, 1e-300)).sum())
    if data.episodes.size:
        lo, hi = data.episodes[:, 0], data.episodes[:, 1]
        mass = _lognorm_cdf(hi, mu_e, s_e) - _lognorm_cdf(lo, mu_e, s_e)
        ll += float(np.log(np.maximum(mass, 1e-300)).sum())
    prior = sum(((t - m) / s) ** 2 / 2.0 for t, (m, s) in zip(theta, PRIORS.values(), strict=True))
    return -ll + float(prior)


def fit_delays(data: DelayData, start: F | None = None) -> tuple[Delays, F, float]:
    """The penalised maximum-likelihood estimate (L-BFGS-B; Nelder-Mead from where it
    stopped if it reports no convergence)."""
    x0 = START if start is None else start
    res = optimize.minimize(neg_log_posterior, x0, args=(data,), method="L-BFGS-B")
    if not res.success:
        res = optimize.minimize(
            neg_log_posterior,
            res.x,
            args=(data,),
            method="Nelder-Mead",
            options={"xatol": 1e-4, "fatol": 1e-6, "maxiter": 4000},
        )
    theta = np.asarray(res.x, dtype=float)
    return Delays.from_theta(theta), theta, float(res.fun)


def bootstrap_delays(
    data: DelayData, groups: npt.NDArray[np.int64], theta: F, reps: int, rng: np.random.Generator
) -> list[Delays]:
    """Refit on ``reps`` resamples: ratification rows within their accession (``groups``),
    episodes among themselves; each refit starts from the full-data estimate."""
    out = []
    for _ in range(reps):
        idx = (
            np.concatenate(
                [
                    rng.choice(np.flatnonzero(groups == g), (groups == g).sum())
                    for g in np.unique(groups)
                ]
            )
            if data.ratify.size
            else np.zeros(0, dtype=np.int64)
        )
        m = data.episodes.shape[0]
        eidx = rng.integers(0, m, m) if m else np.zeros(0, dtype=np.int64)
        sample = DelayData(data.ratify[idx], data.episodes[eidx])
        out.append(fit_delays(sample, theta)[0])
    return out


def ratification_groups(origin: dt.date | None, exclude: frozenset[str]) -> npt.NDArray[np.int64]:
    """The accession (0, 1, ...) of each row of ``delay_data(origin, exclude).ratify``."""
    order = {a.id: i for i, a in enumerate(record.accessions())}
    signed = {a.id: a.signed_on for a in record.accessions()}
    return np.array(
        [
            order[r.accession]
            for r in record.ratifications()
            if r.accession not in exclude and (origin is None or signed[r.accession] < origin)
        ],
        dtype=np.int64,
    )


# --- aid ---------------------------------------------------------------------------


def kiel_years(actors: ActorTable) -> tuple[list[str], dict[int, F]]:
    """Donors (modelled actors in the Kiel extract) and their aid per year, % of 2021 GDP."""
    gdp: dict[str, float] = {}
    from allied.lab.actors import _rows

    for r in _rows("lab/kiel_aid.csv"):
        gdp[r["iso3"]] = float(r["gdp_2021_eur_bn"])
    donors = sorted(c for c in gdp if c in actors.codes)
    by: dict[int, dict[str, float]] = {}
    for k in record.kiel_monthly():
        if k.iso3 in gdp:
            year = by.setdefault(k.year, {})
            year[k.iso3] = year.get(k.iso3, 0.0) + k.total_eur_bn
    years = {y: np.array([100.0 * v.get(c, 0.0) / gdp[c] for c in donors]) for y, v in by.items()}
    return donors, years


def _feature(actors: ActorTable, donors: list[str], name: str) -> F:
    idx = [actors.index(c) for c in donors]
    if name == "support":
        out: F = actors.default_support()[idx]
    elif name == "proximity":
        out = actors.proximity()[idx]
    else:
        out = np.zeros(len(donors))
    return out


def _design(prev: F, x: F, name: str) -> F:
    cols = [np.ones_like(prev), np.log(prev + EPS)]
    if name != "none":
        cols.append(x)
    return np.column_stack(cols)


@dataclass(frozen=True)
class AidFit:
    feature: str
    coef: tuple[float, ...]  # a, b (persistence of log aid), c (feature)
    sigma: float
    loo_mae: dict[str, float]
    train_years: tuple[int, ...]

    def predict_log(self, prev: F, x: F) -> F:
        out: F = _design(prev, x, self.feature) @ np.array(self.coef)
        return out


def fit_aid(years: dict[int, F], x_by: dict[str, F], before: int) -> AidFit:
    """Fit on the year pairs (y - 1, y) with y < ``before``; choose the feature by
    leave-one-out MAE on those pairs."""
    pairs = [(years[y - 1], years[y]) for y in sorted(years) if y < before and y - 1 in years]
    if not pairs:
        raise ValueError(f"no aid year pairs before {before}")
    prev = np.concatenate([p for p, _ in pairs])
    now = np.concatenate([q for _, q in pairs])
    loo: dict[str, float] = {}
    for name in AID_FEATURES:
        x = np.concatenate([x_by[name]] * len(pairs))
        z, y = _design(prev, x, name), np.log(now + EPS)
        errs = []
        for k in range(len(y)):
            keep = np.arange(len(y)) != k
            beta = np.linalg.lstsq(z[keep], y[keep], rcond=None)[0]
            errs.append(abs(math.exp(float(z[k] @ beta)) - EPS - now[k]))
        loo[name] = float(np.mean(errs))
    best = min(AID_FEATURES, key=lambda n: (loo[n], AID_FEATURES.index(n)))
    x = np.concatenate([x_by[best]] * len(pairs))
    z, y = _design(prev, x, best), np.log(now + EPS)
    beta = np.linalg.lstsq(z, y, rcond=None)[0]
    resid = y - z @ beta
    sigma = float(np.sqrt(resid @ resid / max(len(y) - z.shape[1], 1)))
    years_used = tuple(sorted(y for y in years if y < before and y - 1 in years))
    return AidFit(best, tuple(float(b) for b in beta), sigma, loo, years_used)


def aid_samples(
    fit: AidFit,
    boot: list[AidFit],
    prev: F,
    x_by: dict[str, F],
    draws: int,
    rng: np.random.Generator,
) -> F:
    """Predictive draws (draws x donors) of next year's aid, % of GDP: each draw takes a
    bootstrap replicate's coefficients and a normal residual of its sigma."""
    fits = boot or [fit]
    out = np.empty((draws, prev.size))
    for i in range(draws):
        f = fits[i % len(fits)]
        mean = f.predict_log(prev, x_by[f.feature])
        out[i] = np.exp(mean + rng.normal(0.0, f.sigma, prev.size)) - EPS
    return np.maximum(out, 0.0)


def bootstrap_aid(
    years: dict[int, F], x_by: dict[str, F], before: int, reps: int, rng: np.random.Generator
) -> list[AidFit]:
    n = next(iter(years.values())).size
    out = []
    for _ in range(reps):
        idx = rng.integers(0, n, n)
        out.append(
            fit_aid(
                {y: v[idx] for y, v in years.items()}, {k: v[idx] for k, v in x_by.items()}, before
            )
        )
    return out


def aid_inputs(actors: ActorTable) -> tuple[list[str], dict[int, F], dict[str, F]]:
    donors, years = kiel_years(actors)
    return donors, years, {n: _feature(actors, donors, n) for n in AID_FEATURES}


# --- the whole fit -----------------------------------------------------------------


@dataclass
class FitResult:
    seed: int
    reps: int
    delays: Delays
    delays_boot: list[Delays] = field(repr=False)
    aid: AidFit
    aid_boot: list[AidFit] = field(repr=False)
    n_ratifications: int = 0
    n_episodes: int = 0

    def rows(self) -> list[dict[str, Any]]:
        """One row per coefficient: estimate, bootstrap 10th-90th percentiles, what."""

        def band(values: list[float]) -> tuple[float, float]:
            lo, hi = np.quantile(values, [0.1, 0.9])
            return float(lo), float(hi)

        out: list[dict[str, Any]] = []
        what = {
            "ratify_median_days": "ratification: median days an ally takes without a hold-up",
            "ratify_sigma": "ratification: log-sd of those days",
            "holdup_p": "hold-up: probability an ally (or Council member) holds a decision",
            "holdup_median_days": "hold-up: median days until released",
            "holdup_sigma": "hold-up: log-sd of the days until released",
        }
        for key, text in what.items():
            lo, hi = band([getattr(d, key) for d in self.delays_boot])
            out.append(
                {
                    "mechanism": key.split("_")[0] if key != "holdup_p" else "holdup",
                    "coefficient": key,
                    "estimate": round(getattr(self.delays, key), 4),
                    "p10": round(lo, 4),
                    "p90": round(hi, 4),
                    "method": "penalised ML, "
                    f"{self.n_ratifications} ratifications + {self.n_episodes} episodes",
                    "meaning": text,
                }
            )
        names = ["a (intercept)", "b (persistence of log aid)", f"c ({self.aid.feature})"]
        same = [b for b in self.aid_boot if b.feature == self.aid.feature] or [self.aid]
        for j, name in enumerate(names[: len(self.aid.coef)]):
            lo, hi = band([b.coef[j] for b in same])
            out.append(
                {
                    "mechanism": "aid",
                    "coefficient": name,
                    "estimate": round(self.aid.coef[j], 4),
                    "p10": round(lo, 4),
                    "p90": round(hi, 4),
                    "method": f"OLS on {len(self.aid.train_years)} year pair(s) "
                    f"{'+'.join(map(str, self.aid.train_years))}",
                    "meaning": "log(aid_y + 0.01) on log(aid_{y-1} + 0.01), % of GDP "
                    f"(band over the {len(same)} of {len(self.aid_boot)} replicates that "
                    "chose the same feature)",
                }
            )
        lo, hi = band([b.sigma for b in self.aid_boot])
        out.append(
            {
                "mechanism": "aid",
                "coefficient": "sigma",
                "estimate": round(self.aid.sigma, 4),
                "p10": round(lo, 4),
                "p90": round(hi, 4),
                "method": "residual sd",
                "meaning": "sd of a donor's log aid around the forecast",
            }
        )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "bootstrap_replicates": self.reps,
            "delays": asdict(self.delays),
            "aid": asdict(self.aid),
            "coefficients": self.rows(),
            "priors": {k: list(v) for k, v in PRIORS.items()},
        }


def fit(seed: int = 2022, reps: int = 200, before_aid: int = 2025) -> FitResult:
    """Fit everything on the whole record (aid: the year pairs before ``before_aid``)."""
    if reps < 2:
        raise ValueError("reps must be at least 2")
    ss = np.random.SeedSequence(seed)
    rng_d, rng_a = (np.random.default_rng(s) for s in ss.spawn(2))
    data = delay_data()
    delays, theta, _ = fit_delays(data)
    boot = bootstrap_delays(data, ratification_groups(None, frozenset()), theta, reps, rng_d)
    actors = load_actors()
    _, years, x_by = aid_inputs(actors)
    aid = fit_aid(years, x_by, before_aid)
    aid_boot = bootstrap_aid(years, x_by, before_aid, reps, rng_a)
    return FitResult(
        seed, reps, delays, boot, aid, aid_boot, data.ratify.shape[0], data.episodes.shape[0]
    )


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))
