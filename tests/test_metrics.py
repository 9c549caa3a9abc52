"""Metrics, baselines and the overlay: hand-computed examples and leak checks."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from regime.evaluation.baselines import (
    baseline_table,
    climatology_baseline,
    contrarian_baseline,
    default_estimator,
    fold_baseline,
    momentum_baseline,
    pillar_baselines,
    standard_baselines,
    walk_forward_folds,
)
from regime.evaluation.metrics import (
    auc,
    auc_interval,
    block_bootstrap_interval,
    brier_skill,
    brier_skill_interval,
    effective_horizons,
    evaluate,
    expected_calibration_error,
    hit_rates,
    reliability_table,
)
from regime.evaluation.overlay import (
    deflated_sharpe_ratio,
    max_drawdown,
    overlay_returns,
    overlay_stats,
    probabilistic_sharpe_ratio,
    sharpe_across_starts,
)
from regime.evaluation.walk_forward import score_predictions

REPS = 150


def _noisy(n: int, strength: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities that carry ``strength`` of signal."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(float)
    p = np.clip(0.5 + strength * (y - 0.5) + rng.normal(0, 0.2, n), 0.0, 1.0)
    return y, p


def _predictions(n: int = 600, folds: int = 3, seed: int = 0) -> pd.DataFrame:
    y, p = _noisy(n, 0.3, seed)
    fold = np.repeat(np.arange(folds), int(np.ceil(n / folds)))[:n]
    return pd.DataFrame(
        {
            "probability": p,
            "raw": p,
            "label": y.astype(int),
            "climatology": 0.4 + 0.05 * fold,
            "fold": fold,
        },
        index=pd.bdate_range("2015-01-01", periods=n),
    )


# --- point metrics ---------------------------------------------------------------


def test_brier_skill_by_hand():
    y = [1, 0, 1, 0]
    p = [0.8, 0.2, 0.6, 0.4]  # Brier (0.04 + 0.04 + 0.16 + 0.16) / 4 = 0.1
    ref = [0.5] * 4  # Brier 0.25
    assert brier_skill(y, p, ref) == pytest.approx(1 - 0.1 / 0.25)
    assert brier_skill(y, ref, ref) == pytest.approx(0.0)
    assert math.isnan(brier_skill([1, 1], [0.5, 0.5], [1.0, 1.0]))  # perfect reference


def test_reliability_table_and_ece_by_hand():
    y = [0, 1, 0, 1, 1, 1]
    p = [0.05, 0.15, 0.3, 0.35, 0.95, 1.0]
    table = reliability_table(y, p, bins=10)
    # bins: 0 -> {0.05}, 1 -> {0.15}, 3 -> {0.3, 0.35}, 9 -> {0.95, 1.0}
    assert list(table.index) == [0, 1, 3, 9]
    assert list(table.columns) == ["lower", "upper", "predicted", "observed", "rows"]
    assert table.loc[3, "lower"] == pytest.approx(0.3)
    assert table.loc[3, "upper"] == pytest.approx(0.4)
    assert table.loc[3, "predicted"] == pytest.approx(0.325)
    assert table.loc[3, "observed"] == pytest.approx(0.5)
    assert table["rows"].tolist() == [1, 1, 2, 2]
    expected = (1 * 0.05 + 1 * 0.85 + 2 * 0.175 + 2 * 0.025) / 6
    assert expected_calibration_error(y, p, bins=10) == pytest.approx(expected)


def test_ece_two_bins():
    # bin [0, .5): p .2 .2, observed 0.5 -> gap .3; bin [.5, 1]: p .9, observed 1 -> gap .1
    assert expected_calibration_error([0, 1, 1], [0.2, 0.2, 0.9], bins=2) == pytest.approx(
        (2 * 0.3 + 1 * 0.1) / 3
    )


def test_hit_rates_by_hand():
    y = [1, 1, 0, 0, 0, 1, 1]
    p = [0.8, 0.7, 0.65, 0.5, 0.2, 0.3, 0.1]
    hits = hit_rates(y, p, overweight_above=0.6, underweight_below=0.4)
    assert hits.overweight_calls == 3
    assert hits.overweight_hit_rate == pytest.approx(2 / 3)
    assert hits.underweight_calls == 3
    assert hits.underweight_hit_rate == pytest.approx(1 / 3)
    none = hit_rates([1, 0], [0.5, 0.5], 0.6, 0.4)
    assert none.overweight_calls == 0 and math.isnan(none.overweight_hit_rate)


def test_effective_horizons():
    assert effective_horizons(2520, 63) == pytest.approx(40.0)
    assert effective_horizons(100, 1) == 100
    with pytest.raises(ValueError):
        effective_horizons(10, 0)


def test_auc_matches_sklearn_with_ties_and_is_nan_on_one_class():
    y, p = _noisy(300, 0.2, 3)
    p = np.round(p, 1)  # many ties
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p))
    assert math.isnan(auc([1, 1, 1], [0.2, 0.5, 0.7]))


def test_inputs_are_validated():
    with pytest.raises(ValueError):
        brier_skill([0, 1], [0.5], [0.5, 0.5])
    with pytest.raises(ValueError):
        auc([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError):
        auc([0, 1], [0.1, 1.2])


# --- bootstrap intervals ------------------------------------------------------------


def test_bootstrap_interval_contains_estimate_and_narrows_with_more_rows():
    widths = []
    for n in (200, 3000):
        y, p = _noisy(n, 0.3, 1)
        ci = auc_interval(y, p, block=10, reps=REPS, seed=0)
        assert ci.lower <= ci.estimate <= ci.upper
        assert ci.valid_reps == REPS
        widths.append(ci.upper - ci.lower)
    assert widths[1] < widths[0] / 2


def test_perfect_predictor_has_auc_interval_at_one():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400).astype(float)
    p = 0.2 + 0.6 * y
    ci = auc_interval(y, p, block=20, reps=REPS)
    assert (ci.estimate, ci.lower, ci.upper) == (1.0, 1.0, 1.0)


def test_random_predictor_auc_interval_contains_half():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 1000).astype(float)
    p = rng.uniform(size=1000)
    ci = auc_interval(y, p, block=20, reps=REPS)
    assert ci.lower < 0.5 < ci.upper


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(2, 120),
    block=st.integers(1, 30),
    levels=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_auc_interval_is_the_auc_of_each_block_resample(rows, block, levels, seed):
    """The counting shortcut gives the AUC of the very resamples a generic bootstrap draws,
    ties and single-class resamples included."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, rows).astype(float)
    p = rng.integers(0, levels, rows) / max(levels - 1, 1)  # few levels: many ties
    fast = auc_interval(y, p, block=block, reps=40, seed=seed)
    slow = block_bootstrap_interval(auc, y, p, block=block, reps=40, seed=seed)
    assert fast.valid_reps == slow.valid_reps
    np.testing.assert_allclose(
        [fast.estimate, fast.lower, fast.upper], [slow.estimate, slow.lower, slow.upper]
    )


def test_single_class_resamples_are_skipped():
    y = np.array([0.0] * 36 + [1.0] * 4)
    p = np.linspace(0.1, 0.9, 40)
    ci = auc_interval(y, p, block=10, reps=REPS)
    assert 0 < ci.valid_reps < REPS
    assert ci.lower <= ci.upper
    empty = auc_interval(np.zeros(10), np.full(10, 0.3), block=5, reps=20)
    assert empty.valid_reps == 0 and math.isnan(empty.lower) and math.isnan(empty.upper)
    days = pd.bdate_range("2020-01-01", periods=40)
    frame = pd.DataFrame({"probability": p, "label": y, "climatology": 0.1, "fold": 0}, days)
    metrics = evaluate(frame, horizon=10, overweight_above=0.6, underweight_below=0.4, reps=REPS)
    assert metrics["bootstrap_reps"] == REPS and metrics["bootstrap_valid_reps"] == ci.valid_reps


def test_bootstrap_is_seeded_circular_works_and_block_is_clamped():
    y, p = _noisy(100, 0.3, 2)
    first = auc_interval(y, p, block=10, reps=50, seed=4)
    assert auc_interval(y, p, block=10, reps=50, seed=4) == first
    circular = block_bootstrap_interval(auc, y, p, block=10, reps=50, circular=True)
    assert circular.lower <= circular.upper
    huge = block_bootstrap_interval(auc, y, p, block=10_000, reps=5)  # one block: the data
    assert huge.lower == pytest.approx(huge.estimate)


def test_brier_skill_interval_is_joint_over_rows():
    y, p = _noisy(500, 0.3, 5)
    clim = np.full_like(p, y.mean())
    ci = brier_skill_interval(y, p, clim, block=10, reps=REPS)
    assert ci.lower <= ci.estimate <= ci.upper
    same = brier_skill_interval(y, clim, clim, block=10, reps=50)
    assert same.lower == pytest.approx(0.0) and same.upper == pytest.approx(0.0)


# --- evaluate -----------------------------------------------------------------------


def test_evaluate_keeps_score_predictions_keys_and_values():
    predictions = _predictions()
    result = evaluate(predictions, horizon=20, overweight_above=0.6, underweight_below=0.4, reps=50)
    today = score_predictions(predictions)
    for key, value in today.items():
        if isinstance(value, float):
            assert result[key] == pytest.approx(value, abs=1e-12), key
        else:
            assert result[key] == value, key
    assert set(result) >= {
        "auc_interval",
        "brier_skill_interval",
        "ece",
        "overweight_calls",
        "overweight_hit_rate",
        "underweight_calls",
        "underweight_hit_rate",
        "effective_horizons",
    }
    assert result["effective_horizons"] == pytest.approx(30.0)
    lo, hi = result["auc_interval"]
    assert lo <= result["auc"] <= hi
    json.loads(json.dumps(result))  # plain Python types throughout
    assert all(type(v) in (int, float, str, list) for v in result.values())


# --- baselines ----------------------------------------------------------------------


def _fold_data(n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2010-01-01", periods=n)
    labels = pd.Series(rng.integers(0, 2, n).astype(float), index=index)
    folds = [(index[:200], index[210:300]), (index[:290], index[300:400])]
    return index, labels, folds


class _Recording:
    """A classifier that logs the rows it is fitted on and asked about."""

    def __init__(self, log: dict[str, list[pd.Index]]):
        self.log = log

    def fit(self, X: pd.DataFrame, y: pd.Series) -> _Recording:
        self.log["fitted"].append(X.index)
        self.rate_ = float(y.mean())
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        self.log["predicted"].append(X.index)
        return np.column_stack([np.full(len(X), 1 - self.rate_), np.full(len(X), self.rate_)])


def test_fold_baseline_fits_on_training_rows_only():
    index, labels, folds = _fold_data()
    signals = pd.DataFrame({"s": np.arange(len(index), dtype=float)}, index=index)
    labels.iloc[195:200] = np.nan  # labels not yet known: never trained on
    log: dict[str, list[pd.Index]] = {"fitted": [], "predicted": []}
    out = fold_baseline(signals, labels, folds, make_estimator=lambda: _Recording(log))
    assert [list(f) for f in log["fitted"]] == [
        list(index[:195]),
        list(index[:195].append(index[200:290])),
    ]
    assert [list(f) for f in log["predicted"]] == [list(folds[0][1]), list(folds[1][1])]
    assert list(out.index) == list(folds[0][1].append(folds[1][1]))
    assert out.iloc[0] == pytest.approx(labels.iloc[:195].mean())


def test_baselines_never_read_labels_outside_the_training_rows():
    index, labels, folds = _fold_data()
    noise = pd.Series(np.random.default_rng(1).normal(size=len(index)), index=index)
    signals = pd.DataFrame({"s": noise, "t": noise**2}, index=index)
    rules = (
        lambda lab: fold_baseline(signals, lab, folds),
        lambda lab: momentum_baseline(noise, lab, folds),
        lambda lab: contrarian_baseline(noise, lab, folds),
    )
    for train, test in folds:
        flipped = labels.copy()
        outside = ~index.isin(train)
        flipped[outside] = 1.0 - flipped[outside]  # every label the fold may not see
        for rule in rules:
            pd.testing.assert_series_equal(rule(labels).loc[test], rule(flipped).loc[test])


def test_signal_predictive_only_in_the_test_rows_gives_no_skill():
    index, labels, folds = _fold_data()
    noise = np.random.default_rng(1).normal(size=len(index))
    unseen = index >= folds[-1][1][0]  # the last fold's test rows: never trained on
    signal = pd.Series(np.where(unseen, labels.to_numpy() - 0.5, noise), index=index)
    train, test = folds[-1]
    out = fold_baseline(signal.to_frame("s"), labels, [(train, test)])
    base = labels.loc[train].mean()
    # learnt on noise: the probabilities hug the base rate, the perfect test link is unseen
    assert (out - base).abs().max() < 0.05
    # a fit that saw the test labels would have done far better
    leaky = fold_baseline(signal.to_frame("s"), labels, [(index, test)])
    y, reference = labels.loc[test], np.full(len(test), base)
    assert brier_skill(y, leaky, reference) > brier_skill(y, out, reference) + 0.1


def test_fold_baseline_recovers_a_real_signal_out_of_sample():
    index, labels, folds = _fold_data()
    signal = labels + pd.Series(np.random.default_rng(2).normal(0, 0.5, len(index)), index=index)
    out = fold_baseline(signal.to_frame("s"), labels, folds)
    assert auc(labels.loc[out.index], out) > 0.8


def test_momentum_and_contrarian_have_opposite_directions():
    index, labels, folds = _fold_data()
    signal = pd.Series(np.random.default_rng(3).normal(0, 2.0, len(index)), index=index)
    momentum = momentum_baseline(signal, labels, folds)
    contrarian = contrarian_baseline(signal, labels, folds)
    test = momentum.index
    base = pd.Series(
        [labels.loc[folds[0][0]].mean()] * 90 + [labels.loc[folds[1][0]].mean()] * 100, index=test
    )
    # symmetric around the fold base rate, each with its own sign
    pd.testing.assert_series_equal(momentum - base, -(contrarian - base), check_names=False)
    assert np.corrcoef(momentum, signal.loc[test])[0, 1] > 0.9
    assert np.corrcoef(contrarian, signal.loc[test])[0, 1] < -0.9
    # one training standard deviation moves the probability by the full step
    scale = signal.loc[folds[0][0]].std()
    assert (momentum - base).abs().max() == pytest.approx(0.1)
    first = test[0]
    expected = base[first] + 0.1 * np.clip(signal[first] / scale, -1, 1)
    assert momentum[first] == pytest.approx(expected)


def test_pillar_baselines_and_missing_values():
    index, labels, folds = _fold_data()
    rng = np.random.default_rng(4)
    pillars = {
        "macro": pd.DataFrame({"a": rng.normal(size=len(index)), "b": np.nan}, index=index),
        "value": pd.DataFrame({"c": rng.normal(size=len(index))}, index=index),
    }
    pillars["value"].iloc[::7] = np.nan
    out = pillar_baselines(pillars, labels, folds, make_estimator=default_estimator)
    assert set(out) == {"macro", "value"}
    for series in out.values():
        assert len(series) == 190 and series.between(0, 1).all()


def test_walk_forward_folds_from_models():
    predictions = _predictions(n=90, folds=3)
    history = pd.bdate_range("2014-01-01", predictions.index[-1])

    class Model:
        def __init__(self, fold, trained_through):
            self.fold, self.trained_through = fold, trained_through

    models = [Model(f, predictions.index[30 * f] - pd.Timedelta(days=30)) for f in range(3)]
    folds = walk_forward_folds(predictions, models, history)
    assert len(folds) == 3
    for f, (train, test) in enumerate(folds):
        assert train.max() == models[f].trained_through
        assert list(test) == list(predictions.index[30 * f : 30 * (f + 1)])


def test_a_forecast_that_only_follows_the_base_rate_ranks_nothing_net_of_it():
    """Outcomes and base rates both rise fold by fold: a pooled AUC credits a forecast
    that is the base rate plus noise; its AUC over climatology does not."""
    rng = np.random.default_rng(11)
    fold = np.repeat(np.arange(4), 250)
    climatology = 0.2 + 0.2 * fold
    label = (rng.uniform(size=1000) < climatology).astype(int)
    probability = np.clip(climatology + rng.normal(0, 0.05, 1000), 0, 1)
    predictions = pd.DataFrame(
        {"probability": probability, "label": label, "climatology": climatology, "fold": fold},
        index=pd.bdate_range("2015-01-01", periods=1000),
    )
    table = baseline_table(predictions, {}, horizon=10, reps=50)
    assert table.loc["model", "auc"] > 0.65
    low, high = table.loc["model", ["auc_over_climatology_lower", "auc_over_climatology_upper"]]
    assert low < 0.5 < high


def test_baseline_table_puts_the_model_first_and_pairs_rows():
    predictions = _predictions(n=400, folds=2)
    rng = np.random.default_rng(5)
    noise = pd.Series(rng.uniform(size=400), index=predictions.index)
    partial = noise.iloc[100:]
    baselines = standard_baselines(predictions, predictions["label"], [])
    baselines.update({"noise": noise, "partial": partial})
    table = baseline_table(predictions, baselines, horizon=10, reps=50)
    assert list(table.index) == ["model", "climatology", "noise", "partial"]
    assert list(table.columns) == [
        "rows",
        "auc",
        "auc_lower",
        "auc_upper",
        "auc_over_climatology",
        "auc_over_climatology_lower",
        "auc_over_climatology_upper",
        "brier_skill",
        "brier_skill_lower",
        "brier_skill_upper",
        "ece",
    ]
    assert table.loc["partial", "rows"] == 300 and table.loc["model", "rows"] == 400
    assert table.loc["climatology", "brier_skill"] == pytest.approx(0.0)
    assert table.loc["model", "auc"] > table.loc["noise", "auc_upper"]
    assert table.loc["noise", "auc_lower"] < 0.5 < table.loc["noise", "auc_upper"]
    # net of the base rate's drift: climatology ranks nothing; the model's gap ranks as by hand
    assert table.loc["climatology", "auc_over_climatology"] == pytest.approx(0.5)
    gap = predictions["probability"] - predictions["climatology"]
    assert table.loc["model", "auc_over_climatology"] == pytest.approx(
        roc_auc_score(predictions["label"], gap)
    )
    low, high = table.loc["model", ["auc_over_climatology_lower", "auc_over_climatology_upper"]]
    assert low <= table.loc["model", "auc_over_climatology"] <= high
    pd.testing.assert_series_equal(
        climatology_baseline(predictions), predictions["climatology"].rename("probability")
    )


# --- overlay ------------------------------------------------------------------------


def test_overlay_on_two_horizons_by_hand():
    dates = pd.bdate_range("2020-01-06", periods=5)  # d0 .. d4
    probability = pd.Series([0.75, 0.6, 0.4, 0.55], index=dates[:4])
    climatology = pd.Series(0.5, index=dates[:4])
    small = pd.Series([0.0, 0.10, -0.05, 0.00, 0.02], index=dates)
    large = pd.Series([0.0, 0.02, 0.01, 0.03, -0.01], index=dates)
    out = overlay_returns(probability, climatology, small, large, horizon=2)
    assert list(out.index) == [dates[0], dates[2]]
    assert list(out["end"]) == [dates[2], dates[4]]
    assert out["weight"].tolist() == pytest.approx([1.0, -0.4])
    excess_1 = (1.10 * 0.95 - 1) - (1.02 * 1.01 - 1)  # 0.045 - 0.0302
    excess_2 = (1.00 * 1.02 - 1) - (1.03 * 0.99 - 1)  # 0.02 - 0.0197
    assert out["excess"].tolist() == pytest.approx([excess_1, excess_2])
    assert out["return"].tolist() == pytest.approx([excess_1, -0.4 * excess_2])
    # not enough returns left for a third horizon; positions never overlap
    one = overlay_returns(probability, climatology, small, large, horizon=3)
    assert len(one) == 1 and one["end"].iloc[0] == dates[3]


def test_overlay_started_a_day_later_takes_the_other_periods():
    dates = pd.bdate_range("2020-01-06", periods=6)  # d0 .. d5
    probability = pd.Series([0.75, 0.6, 0.4, 0.55, 0.5], index=dates[:5])
    climatology = pd.Series(0.5, index=dates[:5])
    small = pd.Series([0.0, 0.10, -0.05, 0.00, 0.02, 0.01], index=dates)
    large = pd.Series([0.0, 0.02, 0.01, 0.03, -0.01, 0.0], index=dates)
    out = overlay_returns(probability, climatology, small, large, horizon=2, first=1)
    assert list(out.index) == [dates[1], dates[3]]
    assert list(out["end"]) == [dates[3], dates[5]]
    assert out["weight"].tolist() == pytest.approx([0.4, 0.2])
    excess_1 = (0.95 * 1.00 - 1) - (1.01 * 1.03 - 1)
    excess_2 = (1.02 * 1.01 - 1) - (0.99 * 1.00 - 1)
    assert out["return"].tolist() == pytest.approx([0.4 * excess_1, 0.2 * excess_2])
    assert overlay_returns(probability, climatology, small, large, horizon=2, first=5).empty


def test_sharpe_across_starts_spans_every_start_date():
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2010-01-01", periods=400)
    predictions = pd.DataFrame(
        {"probability": rng.uniform(0.2, 0.8, 300), "climatology": 0.5}, index=dates[:300]
    )
    legs = pd.DataFrame({"small": rng.normal(0, 0.01, 400), "large": 0.0}, index=dates)
    sharpes = [
        overlay_stats(
            overlay_returns(
                predictions["probability"], predictions["climatology"],
                legs["small"], legs["large"], horizon=5, first=first,
            )["return"],
            periods_per_year=50,
        ).sharpe
        for first in range(5)
    ]  # fmt: skip
    low, median, high = sharpe_across_starts(predictions, legs, horizon=5, periods_per_year=50)
    assert (low, median, high) == pytest.approx((min(sharpes), np.median(sharpes), max(sharpes)))
    assert low < high  # each start holds other periods


def test_overlay_weight_is_clipped():
    dates = pd.bdate_range("2020-01-06", periods=3)
    out = overlay_returns(
        pd.Series([0.05, 0.05], index=dates[:2]),
        pd.Series([0.6, 0.6], index=dates[:2]),
        pd.Series([0.0, 0.01, 0.02], index=dates),
        pd.Series([0.0, 0.0, 0.0], index=dates),
        horizon=1,
    )
    assert out["weight"].tolist() == [-1.0, -1.0]
    assert out["return"].tolist() == pytest.approx([-0.01, -0.02])


def test_max_drawdown_by_hand():
    returns = [0.1, -0.2, 0.05, -0.1, 0.3]  # wealth 1.1, 0.88, 0.924, 0.8316, 1.08108
    assert max_drawdown(returns) == pytest.approx(0.8316 / 1.1 - 1)
    assert max_drawdown([0.01, 0.02]) == 0.0
    assert max_drawdown([-0.5]) == pytest.approx(-0.5)


def test_overlay_stats_by_hand():
    returns = np.array([0.02, -0.01, 0.03, 0.01])
    stats = overlay_stats(returns, periods_per_year=4)
    assert stats.periods == 4
    assert stats.annual_return == pytest.approx(np.prod(1 + returns) - 1)
    assert stats.annual_volatility == pytest.approx(returns.std(ddof=1) * 2)
    assert stats.sharpe == pytest.approx(returns.mean() / returns.std(ddof=1) * 2)
    assert stats.max_drawdown == pytest.approx(-0.01)
    assert 0.0 <= stats.deflated_sharpe <= 1.0
    assert set(stats.as_dict()) >= {"annual_return", "sharpe", "max_drawdown", "deflated_sharpe"}
    assert overlay_stats(np.array([]), 4).periods == 0


def test_deflated_sharpe_falls_with_trials_and_is_the_psr_for_one_trial():
    sharpe, periods, skew, kurt = 0.3, 40, -0.3, 4.0
    values = [deflated_sharpe_ratio(sharpe, periods, n, skew, kurt) for n in (1, 2, 10, 100, 1000)]
    assert all(a > b for a, b in itertools.pairwise(values))
    assert values[0] == pytest.approx(probabilistic_sharpe_ratio(sharpe, periods, skew, kurt, 0.0))
    # PSR by hand: Phi(SR * sqrt(T - 1) / sqrt(1 - skew SR + (kurt - 1) / 4 SR^2))
    z = 0.3 * math.sqrt(39) / math.sqrt(1 + 0.3 * 0.3 + 0.75 * 0.09)
    assert values[0] == pytest.approx(norm.cdf(z))
    # more dispersion across trials raises the bar further
    assert deflated_sharpe_ratio(sharpe, periods, 10, skew, kurt, 0.1) < values[2]
