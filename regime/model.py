"""The classifier: a scikit-learn Pipeline chosen from the config."""

from __future__ import annotations

from typing import Any

from sklearn.base import ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from regime.config import ModelConfig
from regime.exceptions import ConfigError

ESTIMATORS: dict[str, tuple[type[ClassifierMixin], dict[str, Any]]] = {
    "logistic": (LogisticRegression, {"C": 0.1, "max_iter": 1000}),
    "gradient_boosting": (
        HistGradientBoostingClassifier,
        {"max_depth": 3, "learning_rate": 0.05, "max_iter": 200, "min_samples_leaf": 100},
    ),
}


def make_estimator(config: ModelConfig, horizon_days: int, seed: int | None = None) -> Any:
    """Build the unfitted pipeline: median imputation, scaling, estimator, optional calibration.

    Calibration (``sigmoid`` or ``isotonic``) wraps the pipeline in
    ``CalibratedClassifierCV`` over time-ordered folds separated by a gap of
    ``horizon_days``, so no calibration fold sees labels that overlap its
    training rows.
    """
    cls, defaults = ESTIMATORS[config.estimator]
    params = {**defaults, **config.params}
    if "random_state" in cls().get_params():
        params.setdefault("random_state", config.random_state if seed is None else seed)
    try:
        estimator = cls(**params)
    except TypeError as exc:
        raise ConfigError(f"model.params: {exc}; see the {cls.__name__} documentation") from None
    pipeline = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("estimator", estimator),
        ]
    ).set_output(transform="pandas")
    if config.calibration == "none":
        return pipeline
    return CalibratedClassifierCV(
        pipeline, method=config.calibration, cv=TimeSeriesSplit(n_splits=3, gap=horizon_days)
    )
