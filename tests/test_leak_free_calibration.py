"""Calibration and bootstrap never learn from rows that overlap the model they serve."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from regime.calendar import trading_days
from regime.config import EvaluationConfig, ModelConfig
from regime.evaluation import FitSettings, fit_model, walk_forward
from regime.evaluation.walk_forward import empty_predictions
from regime.model import make_estimator


def _data(n: int, horizon: int, lag: int, seed: int):
    rng = np.random.default_rng(seed)
    index = trading_days("2000-01-03", "2010-12-31")[:n]
    X = pd.DataFrame(rng.normal(size=(n, 3)), index=index, columns=["a", "b", "c"])
    signal = X["a"].rolling(horizon, min_periods=1).mean() + rng.normal(scale=1.0, size=n)
    y = (signal > 0).astype(int)
    ends = index.shift(horizon + lag, freq="B")  # each label known horizon (+ lag) days later
    return X, y, pd.Series(ends, index=index)


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(500, 900),
    horizon=st.integers(5, 40),
    extra_purge=st.integers(0, 10),
    lag=st.integers(0, 5),
    step=st.integers(40, 150),
    method=st.sampled_from(["sigmoid", "isotonic"]),
    seed=st.integers(0, 1000),
)
def test_no_calibration_row_overlaps_a_fit_row(n, horizon, extra_purge, lag, step, method, seed):
    X, y, known = _data(n, horizon, lag, seed)
    model = ModelConfig(calibration=method, params={"C": 1.0}, bootstrap=0)
    settings_ = FitSettings(
        make=lambda s, params: make_estimator(model, s, params),
        calibration=method,
        min_calibration_rows=30,
    )
    config = EvaluationConfig(min_train_days=200, step_days=step, purge_days=horizon + extra_purge)
    result = walk_forward(settings_, X, y, known, config, purge=horizon + extra_purge)
    folds = {fold.fold: fold for fold in result.folds}
    predictions = result.predictions
    for fold in result.folds:
        # Every training label of a fold was known before the fold scores its first day.
        assert fold.labels_known_through < fold.available_from
        if fold.calibrated_on is None:
            continue
        first, last = fold.calibrated_on
        rows = predictions.loc[first:last]
        assert len(rows) >= 30
        for day, producer in rows["fold"].items():
            # The model whose prediction is a calibration row was fitted on labels that
            # ended before that row ...
            assert folds[producer].labels_known_through < day
            # ... and the row's own label was known before the calibrated fold starts.
            assert known[day] < fold.available_from
    final = fit_model(settings_, X, y, known, known.iloc[-1], predictions, fold=None)
    if final.calibrated_on is not None:
        for day, producer in predictions["fold"].items():
            assert folds[producer].labels_known_through < day


def test_each_bootstrap_refit_has_its_own_seed():
    X, y, known = _data(600, 20, 0, 3)
    model = ModelConfig(estimator="gradient_boosting", bootstrap=4, params={"max_iter": 20})
    settings_ = FitSettings(
        make=lambda s, params: make_estimator(model, s, params), bootstrap=4, block=20, seed=9
    )
    fitted = fit_model(settings_, X, y, known, known.iloc[-1], empty_predictions(), fold=None)
    seeds = [refit[-1].random_state for refit in fitted.bootstrap]
    assert len(set(seeds)) == 4
    assert fitted.estimator[-1].early_stopping is False


def test_search_is_chosen_inside_each_training_window_on_purged_inner_folds():
    from sklearn.linear_model import LogisticRegression

    X, y, known = _data(700, 20, 0, 5)
    seen: list[tuple[pd.Timestamp, dict]] = []

    class Recording(LogisticRegression):
        def fit(self, X_fit, y_fit, sample_weight=None):
            seen.append((X.index[len(X_fit) - 1], self.get_params()))  # fits take a prefix
            return super().fit(X_fit, y_fit, sample_weight)

    settings_ = FitSettings(
        make=lambda s, params: Recording(**params),
        search={"C": [1.0, 0.01]},
        inner_folds=3,
        purge=20,
    )
    config = EvaluationConfig(min_train_days=300, step_days=100, interval_every_days=1)
    result = walk_forward(settings_, X, y, known, config, purge=20)
    for fold in result.folds:
        assert fold.params["C"] in (1.0, 0.01)
    # Every fit, inner or outer, ended on a row whose label was known before the test block
    # of the fold it served: no fit ever reached the first test day.
    first_test = result.predictions.index[0]
    assert all(last < first_test for last, _ in seen[:7])  # the first fold's 3 x 2 + 1 fits
    assert {params["C"] for _, params in seen} == {1.0, 0.01}
