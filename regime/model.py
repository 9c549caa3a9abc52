"""The classifier: a scikit-learn Pipeline chosen from the config."""

from __future__ import annotations

from typing import Any

from sklearn.base import ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from regime.config import ModelConfig
from regime.exceptions import ConfigError

ESTIMATORS: dict[str, tuple[type[ClassifierMixin], dict[str, Any]]] = {
    "logistic": (LogisticRegression, {"C": 0.1, "max_iter": 1000}),
    # No early stopping: its validation split is shuffled, across overlapping labels.
    "gradient_boosting": (
        HistGradientBoostingClassifier,
        {
            "max_depth": 3,
            "learning_rate": 0.05,
            "max_iter": 200,
            "min_samples_leaf": 100,
            "early_stopping": False,
        },
    ),
}


def make_estimator(config: ModelConfig, seed: int | None = None) -> Pipeline:
    """Build the unfitted pipeline; missing feature values are handled inside it.

    ``logistic``: median imputation with a missing-value indicator per feature
    that had gaps in training, scaling, then ``LogisticRegression``.
    ``gradient_boosting``: ``HistGradientBoostingClassifier`` on the raw
    features, which handles NaN natively. ``seed`` overrides
    ``config.random_state`` (bootstrap refits each get their own).
    Calibration is not part of the pipeline: see :mod:`regime.calibration`.
    """
    cls, defaults = ESTIMATORS[config.estimator]
    params = {**defaults, **config.params}
    if "random_state" in cls().get_params():
        params.setdefault("random_state", config.random_state if seed is None else seed)
    try:
        estimator = cls(**params)
    except TypeError as exc:
        raise ConfigError(f"model.params: {exc}; see the {cls.__name__} documentation") from None
    if config.estimator == "gradient_boosting":
        steps: list[tuple[str, Any]] = [("estimator", estimator)]
    else:
        steps = [
            (
                "impute",
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            ),
            ("scale", StandardScaler()),
            ("estimator", estimator),
        ]
    return Pipeline(steps).set_output(transform="pandas")
