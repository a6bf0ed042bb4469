"""The fit: recovers known coefficients, sees only the record before an origin, is
reproducible from one seed, and the shipped scenarios carry its estimates."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from allied.lab import fit as ft
from allied.lab import scenario as sc
from allied.lab.actors import load_actors
from allied.lab.backtest import crps


def _synthetic(rng: np.random.Generator, truth: ft.Delays, n: int, m: int) -> ft.DelayData:
    lo_l = rng.lognormal(math.log(truth.ratify_median_days), truth.ratify_sigma, n)
    held = rng.random(n) < truth.holdup_p
    e = rng.lognormal(math.log(truth.holdup_median_days), truth.holdup_sigma, n)
    days = np.round(lo_l + held * e)
    # a third of the rows are only known to lie in a 60-day window; held up: not known
    rat = np.column_stack([np.maximum(days - 0.5, 0), days + 0.5, np.full(n, np.nan)])
    wide = rng.random(n) < 1 / 3
    rat[wide, 0] = np.maximum(days[wide] - 30.5, 0)
    rat[wide, 1] = days[wide] + 30.5
    ep = np.round(rng.lognormal(math.log(truth.holdup_median_days), truth.holdup_sigma, m))
    episodes = np.column_stack([np.maximum(ep - 0.5, 0), ep + 0.5])
    return ft.DelayData(rat, episodes)


def test_the_likelihood_recovers_the_coefficients_it_was_given() -> None:
    truth = ft.Delays(12.0, 1.0, 0.08, 150.0, 0.8)
    data = _synthetic(np.random.default_rng(4), truth, 3000, 150)
    est, _, _ = ft.fit_delays(data)
    assert est.ratify_median_days == pytest.approx(12.0, rel=0.1)
    assert est.ratify_sigma == pytest.approx(1.0, rel=0.1)
    assert est.holdup_p == pytest.approx(0.08, rel=0.3)
    assert est.holdup_median_days == pytest.approx(150.0, rel=0.2)
    assert est.holdup_sigma == pytest.approx(0.8, rel=0.2)


def test_an_origin_sees_only_what_was_known_before_it() -> None:
    before_sweden = ft.delay_data(dt.date(2022, 7, 5))
    assert before_sweden.ratify.shape[0] == 28 + 29  # Montenegro and North Macedonia
    assert before_sweden.episodes.shape[0] == 2  # the two episodes started before
    assert np.isnan(before_sweden.ratify[:, 2]).all()  # no hold-up known for them
    epf = ft.delay_data(dt.date(2023, 5, 15))
    censored = epf.ratify[np.isinf(epf.ratify[:, 1])]
    # Sweden: Turkiye and Hungary had not ratified on 2023-05-15, known to be holding it
    assert censored.shape[0] == 2 and (censored[:, 2] == 1).all()
    assert censored[0, 0] == pytest.approx((dt.date(2023, 5, 15) - dt.date(2022, 7, 5)).days - 0.5)
    without = ft.delay_data(exclude=frozenset({"NATO-SWE-2022", "eu-epf-reimbursement"}))
    assert without.ratify.shape[0] == ft.delay_data().ratify.shape[0] - 30
    assert without.episodes.shape[0] == ft.delay_data().episodes.shape[0] - 1


def test_the_aid_fit_uses_training_years_only() -> None:
    donors, years, x_by = ft.aid_inputs(load_actors())
    fit = ft.fit_aid(years, x_by, 2024)
    assert fit.train_years == (2023,)
    changed = {**years, 2024: years[2024] * 10}
    assert ft.fit_aid(changed, x_by, 2024) == fit
    # the feature is the one with the lowest leave-one-out error on the training pair
    assert fit.feature == min(fit.loo_mae, key=lambda k: fit.loo_mae[k])
    assert len(donors) == years[2023].size


def test_one_seed_gives_the_same_fit_another_other_bands() -> None:
    a = ft.fit(seed=5, reps=4).to_dict()
    b = ft.fit(seed=5, reps=4).to_dict()
    c = ft.fit(seed=6, reps=4).to_dict()
    assert a == b
    assert a["delays"] == c["delays"]  # the estimate does not depend on the seed
    assert a["coefficients"] != c["coefficients"]  # its bootstrap band does


def test_the_shipped_scenarios_carry_the_fitted_hold_up() -> None:
    est, _, _ = ft.fit_delays(ft.delay_data())
    for name in ("epf-tranche", "accession-ukraine"):
        raw, _ = sc.load_raw(name)
        h = raw["decision"]["holdup"]
        assert h["start"]["base"] == pytest.approx(ft.logit(est.holdup_p), abs=1e-3)
        assert h["median_days"] == pytest.approx(est.holdup_median_days, abs=0.01)
        assert h["sigma"] == pytest.approx(est.holdup_sigma, abs=1e-3)
    rat = sc.load_raw("accession-ukraine")[0]["ratification"]
    assert rat["median_days"] == pytest.approx(est.ratify_median_days, abs=1e-3)
    assert rat["sigma"] == pytest.approx(est.ratify_sigma, abs=1e-3)
    assert rat["holdup_median_days"] == pytest.approx(est.holdup_median_days, abs=0.01)


def test_crps_is_the_absolute_error_for_a_point_and_matches_its_definition() -> None:
    assert crps(np.array([3.0]), 5.0) == pytest.approx(2.0)
    x = np.random.default_rng(1).normal(0, 1, 400)
    brute = np.abs(x - 0.3).mean() - 0.5 * np.abs(x[:, None] - x[None, :]).mean()
    assert crps(x, 0.3) == pytest.approx(brute)
