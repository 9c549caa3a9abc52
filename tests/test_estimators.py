"""The estimators the configs build, on the missing data real pillars have."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regime.config import ModelConfig
from regime.exceptions import ConfigError
from regime.model import dropped_by_sign, make_estimator


@pytest.mark.parametrize("sign_priors", ["report", "enforce"])
def test_boosting_fits_a_column_with_no_value_in_training(sign_priors: str):
    """A pillar that starts after the training window: scored as if it were absent."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "late", "c"])
    y = (X["a"] + rng.normal(size=400) > 0).astype(int)
    X["late"] = np.nan
    config = ModelConfig(
        estimator="gradient_boosting", params={"max_iter": 20}, sign_priors=sign_priors
    )
    with_late = make_estimator(config, signs=(1, 1, -1)).fit(X, y)
    without = make_estimator(config, signs=(1, -1)).fit(X[["a", "c"]], y)
    later = X.assign(late=rng.normal(size=400))  # the pillar has data when scoring
    np.testing.assert_allclose(
        with_late.predict_proba(later)[:, 1], without.predict_proba(X[["a", "c"]])[:, 1]
    )


def test_pillar_average_is_the_mean_of_each_pillars_own_model():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 4))
    y = (X[:, 0] - X[:, 2] + rng.normal(size=600) > 0).astype(int)
    pillars = ("credit", "momentum", "credit", "term")
    config = ModelConfig(combine="pillars", sign_priors="enforce")
    combined = make_estimator(config, signs=(1, 1, 1, 0), pillars=pillars).fit(X, y)

    alone = {
        "credit": make_estimator(ModelConfig(sign_priors="enforce"), signs=(1, 1)).fit(
            X[:, [0, 2]], y
        ),
        "momentum": make_estimator(ModelConfig(), signs=(1,)).fit(X[:, [1]], y),
        "term": make_estimator(ModelConfig(), signs=(0,)).fit(X[:, [3]], y),
    }
    columns = {"credit": [0, 2], "momentum": [1], "term": [3]}
    expected = np.mean(
        [model.predict_proba(X[:, columns[p]])[:, 1] for p, model in alone.items()], axis=0
    )
    np.testing.assert_allclose(combined.predict_proba(X)[:, 1], expected)
    assert set(combined.pillar_probabilities(X)) == {"credit", "momentum", "term"}
    # credit's second column breaks its declared sign and is dropped inside credit's model only
    credit = combined.members_[0][2][-1]
    assert list(credit.keep_[:2]) == [True, False]
    names = ["credit.a", "momentum.b", "credit.c", "term.d"]
    assert dropped_by_sign(combined, names) == ["credit.c"]
    single = make_estimator(ModelConfig(sign_priors="enforce"), signs=(1, 1, 1, 0)).fit(X, y)
    assert dropped_by_sign(single, names) == ["credit.c"]
    reported = make_estimator(ModelConfig(sign_priors="report"), signs=(1, 1, 1, 0)).fit(X, y)
    assert dropped_by_sign(reported, names) == []  # breaks its prior, but keeps its weight


def test_a_pillar_with_no_training_value_is_left_out_of_the_average():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(500, 3))
    y = (X[:, 0] + rng.normal(size=500) > 0).astype(int)
    X[:, 2] = np.nan  # the late pillar has not started in the training window
    pillars = ("credit", "momentum", "late")
    combined = make_estimator(ModelConfig(combine="pillars"), pillars=pillars).fit(X, y)
    assert [member[0] for member in combined.members_] == ["credit", "momentum"]
    later = X.copy()
    later[:, 2] = rng.normal(size=500)  # it has values when the model scores
    two = make_estimator(ModelConfig(combine="pillars"), pillars=pillars[:2]).fit(X[:, :2], y)
    np.testing.assert_allclose(
        combined.predict_proba(later)[:, 1], two.predict_proba(X[:, :2])[:, 1]
    )
    empty = np.full((50, 3), np.nan)
    with pytest.raises(ValueError, match="no pillar has a value"):
        make_estimator(ModelConfig(combine="pillars"), pillars=pillars).fit(empty, y[:50])


def test_signed_composite_moves_the_base_rate_by_the_declared_signs_only():
    """Base rate + step x mean of sign x clipped z-score; labels set nothing else."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 3)) * [1.0, 5.0, 2.0] + [0.0, 10.0, -1.0]
    y = (rng.random(400) < 0.3).astype(int)  # labels unrelated to X
    model = make_estimator(ModelConfig(estimator="signed"), signs=(1, 0, -1)).fit(X, y)
    rows = np.array([[3.0, 99.0, -1.0], [np.nan, 0.0, 5.0], [np.nan, 1.0, np.nan]])
    centre, scale = np.median(X, axis=0), X.std(axis=0)
    z0 = np.clip((3.0 - centre[0]) / scale[0], -1, 1)
    z2 = [np.clip((v - centre[2]) / scale[2], -1, 1) for v in (-1.0, 5.0)]
    expected = y.mean() + 0.1 * np.array([(z0 - z2[0]) / 2, -z2[1], 0.0])
    np.testing.assert_allclose(model.predict_proba(rows)[:, 1], expected)
    # the labels' direction plays no part: flipped labels move only the base rate
    flipped = make_estimator(ModelConfig(estimator="signed"), signs=(1, 0, -1)).fit(X, 1 - y)
    np.testing.assert_allclose(
        flipped.predict_proba(rows)[:, 1] - (1 - y.mean()), expected - y.mean()
    )


def test_signed_pillar_average_leaves_out_pillars_without_a_prior():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    config = ModelConfig(estimator="signed", combine="pillars")
    pillars = ("valuations", "credit", "momentum")
    combined = make_estimator(config, signs=(-1, 0, 1), pillars=pillars).fit(X, y)
    assert [member[0] for member in combined.members_] == ["valuations", "momentum"]
    with pytest.raises(ConfigError, match="signed needs features with a declared sign"):
        make_estimator(config, signs=(0, 0, 0), pillars=pillars)


@pytest.mark.parametrize("combine", ["none", "pillars"])
def test_a_missing_value_is_the_training_median_and_moves_nothing(combine: str):
    """A logistic model scores a day whose input is missing as if it sat at its median.

    The "late" input has no value in its first 300 training rows, as a source
    that starts late has not; its missing rows are also the ones where small
    caps ran, so an indicator of missingness would have learned that era.
    """
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(600, 3)), columns=["a", "late", "c"])
    y = ((X["a"] + rng.normal(size=600) > 0) | (np.arange(600) < 300)).astype(int)
    X.loc[:299, "late"] = np.nan
    config = ModelConfig(combine=combine, sign_priors="enforce")
    model = make_estimator(config, signs=(1, 1, -1), pillars=("x", "late", "y")).fit(X, y)
    day = X.iloc[[450]].copy()
    median = X["late"].median()
    stale = day.assign(late=np.nan)
    np.testing.assert_allclose(
        model.predict_proba(stale)[:, 1], model.predict_proba(day.assign(late=median))[:, 1]
    )
