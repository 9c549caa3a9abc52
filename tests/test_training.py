"""Training: purged walk-forward, estimator choices, the bootstrap interval."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from regime.calendar import trading_days
from regime.config import EvaluationConfig, parse_config
from regime.data._base import LoadContext
from regime.evaluation import FitSettings, walk_forward
from regime.fitted import block_bootstrap_indices
from regime.scoring import load_model
from regime.training import train_config

SEEN: list[int] = []


class RecordingClassifier(DummyClassifier):
    """Predicts the prior; remembers the last training row of each fit (column ``a`` is it)."""

    def fit(self, X, y, sample_weight=None):
        SEEN.append(int(np.asarray(X)[-1, 0]))
        return super().fit(X, y, sample_weight)


def test_walk_forward_purges_the_horizon_before_each_test_block():
    index = pd.bdate_range("2010-01-01", periods=700)
    X = pd.DataFrame({"a": np.arange(700.0)}, index=index)
    y = pd.Series(np.arange(700) % 2, index=index)
    SEEN.clear()
    known = pd.Series(index.shift(30), index=index)  # each label known 30 rows later
    result = walk_forward(
        FitSettings(make=lambda seed, params: RecordingClassifier(strategy="prior")),
        X,
        y,
        known,
        EvaluationConfig(min_train_days=200, step_days=100),
        purge=30,
    )
    starts = result.predictions.groupby("fold").apply(lambda g: g.index[0])
    assert len(SEEN) == len(starts) == 5
    for last_train, test_start in zip(SEEN, starts, strict=True):
        gap = index.get_loc(test_start) - last_train
        assert gap == 31  # 30 purged rows between the last training row and the test block
    # Out-of-sample predictions never come from a model that saw them.
    assert result.predictions.index[0] == index[230]
    assert result.metrics["oos_rows"] == 470


def test_block_bootstrap_indices_are_blocks_of_consecutive_rows():
    idx = block_bootstrap_indices(100, 10, np.random.default_rng(0))
    assert len(idx) == 100 and idx.min() >= 0 and idx.max() < 100
    blocks = idx.reshape(10, 10)
    assert (np.diff(blocks, axis=1) == 1).all()


@pytest.mark.parametrize(
    ("estimator", "calibration", "combine"),
    [
        ("gradient_boosting", "isotonic", "none"),
        ("logistic", "sigmoid", "none"),
        ("logistic", "shrink", "pillars"),
        ("signed", "shrink", "pillars"),
    ],
)
def test_other_estimators_train_and_score(
    tmp_path: Path, estimator: str, calibration: str, combine: str
):
    config = parse_config(
        f"""
name: alt_{estimator}_{combine}
data: {{sources: [{{kind: sample, seed: 3, start: 2012-01-02, end: 2018-12-31}}]}}
target: {{small: SMALL_TR, large: LARGE_TR, horizon_days: 42}}
features:
  - builder: earnings_revisions.breadth_spread
  - builder: rate_expectations.cuts_delivered
  - builder: valuations.relative_pe
    params: {{window_days: 504, min_days: 126}}
model: {{estimator: {estimator}, calibration: {calibration}, bootstrap: 2,
         params: {{}}, combine: {combine}}}
evaluation: {{min_train_days: 504, step_days: 252}}
""",
        "alt.yaml",
    )
    result = train_config(config, Path("."), tmp_path, LoadContext())
    assert 0.0 <= result.card["metrics"]["auc"] <= 1.0
    card = load_model(result.artifact_path).score("2018-06-01")
    assert 0.0 <= card.probability <= 1.0
    total = card.baseline + sum(card.contributions.values())
    assert total == pytest.approx(card.probability, abs=1e-9)
    assert card.interval is not None and card.interval[0] <= card.interval[1]
    assert card.contributions["flows"] == 0.0  # no flows features in this config
    if estimator != "gradient_boosting":  # the card lists one coefficient per feature
        features = load_model(result.artifact_path).feature_names
        assert [row["feature"] for row in result.card["sign_priors"]] == features
    if estimator == "signed":  # its coefficients are the declared signs: none breaks them
        assert not any(row["breaks_prior"] for row in result.card["sign_priors"])


def test_plot_history_draws_probability_interval_and_thresholds(tmp_path: Path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    config = parse_config(
        """
name: plot
data: {sources: [{kind: sample, seed: 2, start: 2014-01-02, end: 2018-12-31}]}
target: {small: SMALL_TR, large: LARGE_TR, horizon_days: 42}
features:
  - builder: earnings_revisions.breadth_spread
  - builder: rate_expectations.cuts_delivered
model: {bootstrap: 3}
evaluation: {min_train_days: 252, step_days: 252}
""",
        "plot.yaml",
    )
    path = train_config(config, Path("."), tmp_path, LoadContext()).artifact_path
    model = load_model(path)
    ax = model.plot_history("2018-01-02", "2018-06-29")
    days = len(trading_days("2018-01-02", "2018-06-29"))
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert len(lines["probability"].get_xdata()) == days
    assert "baseline (pillars neutral)" in lines
    labels = ax.get_legend_handles_labels()[1]
    assert "interval (bootstrap refits)" in labels
    over, under = model.config.stance.overweight_above, model.config.stance.underweight_below
    assert f"overweight zone (P > {over:.2f})" in labels
    assert f"underweight zone (P < {under:.2f})" in labels
    assert "small caps went on to outperform (label 1)" in labels
    thresholds = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert sorted(line.get_ydata()[0] for line in thresholds[:2]) == [under, over]
    assert ax.get_ylabel() == "probability"
    top, bottom = ax.figure.axes  # contributions below, sharing the date axis
    assert top is ax and bottom.get_shared_x_axes().joined(top, bottom)
    assert bottom.get_ylabel() == "contribution to the probability (0.05 = 5 points)"
    assert bottom.get_xlabel() == "date"
    assert {"earnings_revisions", "rate_expectations"} <= set(bottom.get_legend_handles_labels()[1])
    ax.figure.savefig(tmp_path / "history.png")
    assert (tmp_path / "history.png").stat().st_size > 10_000
    plt.close(ax.figure)
    own = Figure().subplots()  # only the probability panel into a given ax
    assert model.plot_history("2018-01-02", "2018-06-29", ax=own) is own
    assert len(own.figure.axes) == 1 and own.get_ylabel() == "probability"


def test_sign_constrained_logistic_drops_a_feature_that_breaks_its_prior():
    from sklearn.linear_model import LogisticRegression

    from regime.model import SignConstrained

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    y = (X[:, 0] - 0.8 * X[:, 1] + rng.normal(size=2000) > 0).astype(int)
    free = LogisticRegression().fit(X, y)
    assert free.coef_[0, 1] < 0
    held = SignConstrained(LogisticRegression(), signs=(1, 1, 0)).fit(X, y)
    assert held.coef_[0, 1] == 0.0 and held.coef_[0, 0] > 0
    assert list(held.keep_) == [True, False, True]
    assert held.predict_proba(X).shape == (2000, 2)


def test_a_lone_feature_that_breaks_its_prior_leaves_the_base_rate():
    """A one-feature pillar is held to its sign too: no input left, the training base rate."""
    from sklearn.linear_model import LogisticRegression

    from regime.model import SignConstrained

    rng = np.random.default_rng(1)
    X = rng.normal(size=(1000, 1))
    y = (-X[:, 0] + rng.normal(size=1000) > 0.5).astype(int)  # the prior says +1
    held = SignConstrained(LogisticRegression(), signs=(1,)).fit(X, y)
    assert held.coef_[0, 0] == 0.0 and not held.keep_.any()
    assert held.predict_proba(X)[:, 1] == pytest.approx(np.full(1000, y.mean()))
    assert set(held.predict(X)) == {int(y.mean() >= 0.5)}
    kept = SignConstrained(LogisticRegression(), signs=(-1,)).fit(X, y)
    assert kept.coef_[0, 0] < 0 and kept.keep_.all()


def test_enforced_signs_reach_gradient_boosting_as_monotonic_constraints():
    from regime.config import ModelConfig
    from regime.model import make_estimator

    config = ModelConfig(estimator="gradient_boosting", sign_priors="enforce")
    pipeline = make_estimator(config, signs=(1, -1, 0))
    assert pipeline[-1].monotonic_cst == [1, -1, 0]
    reported = make_estimator(config.model_copy(update={"sign_priors": "report"}), signs=(1, -1))
    assert reported[-1].monotonic_cst is None


@pytest.mark.slow
def test_folds_fitted_in_parallel_give_the_serial_walk_forward_exactly():
    from regime.config import ModelConfig
    from regime.model import make_estimator

    rng = np.random.default_rng(4)
    index = pd.bdate_range("2010-01-01", periods=900)
    X = pd.DataFrame(rng.normal(size=(900, 3)), index=index, columns=["a", "b", "c"])
    X.iloc[:300, 2] = np.nan  # a late pillar
    y = pd.Series((X["a"] + rng.normal(size=900) > 0).astype(int), index=index)
    known = pd.Series(index.shift(20), index=index)
    model = ModelConfig(search={"C": [1.0, 0.01]})

    def run(n_jobs: int):
        settings = FitSettings(
            make=lambda seed, params: make_estimator(model, seed, params),
            calibration="shrink",
            min_calibration_rows=50,
            bootstrap=3,
            block=20,
            search={"C": [1.0, 0.01]},
            purge=20,
            n_jobs=n_jobs,
        )
        config = EvaluationConfig(
            min_train_days=200, step_days=60, min_calibration_days=50, interval_every_days=120
        )
        return walk_forward(settings, X, y, known, config, purge=20)

    serial, parallel = run(1), run(2)
    pd.testing.assert_frame_equal(serial.predictions, parallel.predictions, check_exact=True)
    assert [f.params for f in serial.folds] == [f.params for f in parallel.folds]
    for a, b in zip(serial.folds, parallel.folds, strict=True):
        np.testing.assert_array_equal(a.interval(X, 0.9), b.interval(X, 0.9))
