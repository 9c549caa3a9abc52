"""The shrink recalibration: as far toward the base rate as the record demands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from regime.calibration import Recalibrator, fit_recalibrator, shrink_weight


def _record(n: int, skill: float, block: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities around 0.4 and outcomes that follow them with weight ``skill``.

    Each outcome is repeated over ``block`` rows, as overlapping horizons are.
    """
    rng = np.random.default_rng(seed)
    p = np.repeat(0.4 + rng.uniform(-0.25, 0.25, n // block), block)
    truth = 0.4 + skill * (p - 0.4)
    y = np.repeat(rng.uniform(size=n // block), block) < truth
    return p, y.astype(float)


def test_no_skill_says_the_base_rate():
    p, y = _record(6000, skill=0.0, block=63, seed=1)
    calibrator = Recalibrator("shrink", base_rate=0.4).fit(p, y, block=63)
    assert calibrator.weight_ == 0.0
    np.testing.assert_allclose(calibrator.transform(np.array([0.1, 0.9])), [0.4, 0.4])


def test_a_long_calibrated_record_keeps_most_of_the_spread():
    p, y = _record(20000, skill=1.0, block=1, seed=2)
    weight = Recalibrator("shrink", base_rate=0.4).fit(p, y, block=1).weight_
    assert 0.8 < weight <= 1.0


def test_overlapping_outcomes_count_for_less():
    """The same record, outcomes shared by 63 rows, earns a smaller weight than i.i.d. rows."""
    p, y = _record(3000, skill=0.7, block=63, seed=0)
    c = np.full(len(p), 0.4)
    naive = shrink_weight(p - c, y - c, block=1)
    honest = shrink_weight(p - c, y - c, block=63)
    assert honest < naive


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(5, 400),
    block=st.integers(1, 80),
)
def test_weight_is_in_unit_interval_and_below_the_point_estimate(seed: int, n: int, block: int):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.3, 0.3, n)
    y = rng.integers(0, 2, n) - 0.4
    weight = shrink_weight(x, y, block)
    slope = float(np.sum(x * y) / np.sum(x * x))
    assert 0.0 <= weight <= 1.0
    assert weight <= max(slope, 0.0) + 1e-12


@pytest.mark.parametrize("x", [np.zeros(10), np.array([])])
def test_no_spread_gives_zero_weight(x: np.ndarray):
    assert shrink_weight(x, np.zeros(len(x)), block=5) == 0.0


def _overlapping_record(n: int, horizon: int, rng: np.random.Generator) -> tuple:
    """A persistent forecast with no skill against outcomes of overlapping horizons.

    The forecast follows a slow AR(1) signal; each outcome is the sign of the
    next ``horizon`` steps of an independent random walk, so neighbouring
    outcomes share most of their steps, as a daily record of 3-month runs does.
    Both are returned measured from 0.5, as :func:`shrink_weight` takes them.
    """
    phi, burn = 0.99, 500
    signal = np.zeros(n + burn)
    shocks = rng.standard_normal(n + burn) * np.sqrt(1 - phi**2)
    for t in range(1, n + burn):
        signal[t] = phi * signal[t - 1] + shocks[t]
    walk = np.concatenate([[0.0], np.cumsum(rng.standard_normal(n + horizon))])
    outcome = (walk[horizon : horizon + n] - walk[:n] > 0).astype(float)
    forecast = 1.0 / (1.0 + np.exp(-0.5 * signal[burn:]))
    return forecast - 0.5, outcome - 0.5


def _one_standard_error(x: np.ndarray, y: np.ndarray, block: int) -> tuple[float, float]:
    """The slope through the origin and its error, equal weights over ``block - 1`` lags."""
    slope = float(np.sum(x * y) / np.sum(x * x))
    score = x * (y - slope * x)
    lags = [float(np.sum(score[k:] * score[: len(score) - k])) for k in range(block)]
    return slope, float(np.sqrt(lags[0] + 2.0 * sum(lags[1:])) / np.sum(x * x))


def test_a_forecast_with_no_skill_earns_weight_about_one_time_in_six():
    """The one-standard-error rule trusts a no-skill record about one time in six.

    On this seed it does so in 17.9% of 1,500 records (nominal 15.9%).
    Bartlett weights over the overlap alone understated the error of such
    records and trusted 20.9% of them.
    """
    rng = np.random.default_rng(11)
    weights = [shrink_weight(*_overlapping_record(2520, 63, rng), 63) for _ in range(1500)]
    assert 0.12 < float(np.mean(np.array(weights) > 0.0)) < 0.195


def test_the_margin_is_one_standard_error_at_the_records_degrees_of_freedom():
    p, y = _record(1200, skill=1.0, block=12, seed=2)
    x, y = p - 0.4, y - 0.4
    slope, error = _one_standard_error(x, y, 12)
    margin = stats.t.ppf(stats.norm.cdf(1.0), df=1200 / 12 - 1)
    assert 0.0 < slope - margin * error < 1.0
    assert shrink_weight(x, y, 12) == pytest.approx(min(slope - margin * error, 1.0))


def test_equal_weights_that_give_a_negative_variance_fall_back_to_bartlett():
    """Alternating scores: equal lag weights cancel the variance, Bartlett's keep some."""
    x = np.ones(40)
    y = np.tile([1.0, -1.0], 20) * 0.3 + 0.05
    slope = float(np.sum(x * y) / np.sum(x * x))
    assert 0.0 <= shrink_weight(x, y, 4) < slope


def test_a_record_of_few_horizons_must_show_more_than_one_standard_error():
    """Ten independent horizons: the margin is Student t's with nine degrees of freedom."""
    rng = np.random.default_rng(8)
    x = np.repeat(rng.uniform(-0.2, 0.2, 10), 20)
    y = 0.8 * x + np.repeat(rng.normal(0, 0.05, 10), 20)
    slope, error = _one_standard_error(x, y, 20)
    margin = stats.t.ppf(stats.norm.cdf(1.0), df=9)
    assert margin > 1.05
    assert 0.0 < slope - margin * error < 1.0
    assert shrink_weight(x, y, 20) == pytest.approx(slope - margin * error)


def test_a_record_under_ten_horizons_keeps_nothing_however_strong_it_looks():
    """Nine horizons whose outcomes follow the forecast closely still say the base rate."""
    rng = np.random.default_rng(8)
    x = np.repeat(rng.uniform(-0.2, 0.2, 10), 20)
    y = 0.8 * x + np.repeat(rng.normal(0, 0.05, 10), 20)
    assert shrink_weight(x, y, 20) > 0.3  # ten horizons: the record earns a weight
    assert shrink_weight(x[:180], y[:180], 20) == 0.0  # nine: too few to tell


def test_a_record_too_thin_to_fit_gives_shrink_the_base_rate_and_the_others_nothing():
    """Below ``min_rows`` shrink says the base rate; sigmoid and isotonic give None (raw)."""
    p, y = _record(600, skill=1.0, block=12, seed=4)
    oos = pd.DataFrame({"raw": p, "label": y, "climatology": 0.4})
    thin = fit_recalibrator("shrink", oos.iloc[:100], min_rows=252, base_rate=0.45, block=12)
    assert thin is not None and thin.weight_ == 0.0 and thin.rows_ == 0  # nothing was fitted
    np.testing.assert_allclose(thin.transform(np.array([0.1, 0.9])), [0.45, 0.45])
    one_class = oos.loc[oos["label"] == 1.0]
    assert fit_recalibrator("shrink", one_class, min_rows=20, base_rate=0.45).weight_ == 0.0
    assert fit_recalibrator("sigmoid", oos.iloc[:100], min_rows=252, base_rate=0.45) is None
    assert fit_recalibrator("isotonic", oos.iloc[:100], min_rows=252, base_rate=0.45) is None
    assert fit_recalibrator("none", oos, min_rows=252, base_rate=0.45) is None
    assert fit_recalibrator("shrink", oos, min_rows=252, base_rate=0.45, block=12).weight_ > 0.0
