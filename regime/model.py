"""The classifier: a scikit-learn Pipeline chosen from the config."""

from __future__ import annotations

import typing
import warnings
from collections.abc import Iterable
from numbers import Real
from typing import Any

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    clone,
)
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval

from regime.config import ModelConfig
from regime.exceptions import ConfigError


class SignConstrained(ClassifierMixin, BaseEstimator):
    """A linear classifier held to declared coefficient signs by dropping offenders.

    Fits ``estimator``; while some input ``i`` with ``signs[i] != 0`` gets a
    coefficient of the opposite sign, drops the worst offender and refits.
    Dropped inputs have a coefficient of exactly 0. When every input is
    dropped (e.g. a pillar of one feature that breaks its prior), the model
    says the training base rate. Inputs beyond ``len(signs)`` have no prior.
    """

    def __init__(self, estimator: Any = None, signs: tuple[int, ...] = ()) -> None:
        self.estimator = estimator
        self.signs = signs

    def fit(self, X: Any, y: Any) -> SignConstrained:
        """Fit, dropping inputs whose coefficient breaks its sign, one at a time."""
        X = np.asarray(X, dtype="float64")
        y = np.asarray(y)
        signs = np.zeros(X.shape[1])
        signs[: len(self.signs)] = self.signs
        keep = np.ones(X.shape[1], dtype=bool)
        fitted = None
        while fitted is None and keep.any():
            candidate = clone(self.estimator).fit(X[:, keep], y)
            breaks = signs[keep] * candidate.coef_[0]
            if breaks.min() >= 0:
                fitted = candidate
            else:
                keep[np.flatnonzero(keep)[int(np.argmin(breaks))]] = False
        coef = np.zeros(X.shape[1])
        if fitted is not None:
            coef[keep] = fitted.coef_[0]
        self.keep_, self.coef_, self.estimator_ = keep, coef[None, :], fitted
        if fitted is None:  # every input broke its prior: the base rate
            self.classes_ = np.unique(y)
            rate = float(np.mean(y == self.classes_[-1]))
            self.base_rate_ = rate
            self.intercept_ = np.array([np.log(rate / (1.0 - rate)) if 0 < rate < 1 else 0.0])
        else:
            self.classes_, self.intercept_ = fitted.classes_, fitted.intercept_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities from the inputs that were kept (the base rate if none was)."""
        X = np.asarray(X, dtype="float64")
        if self.estimator_ is None:
            return np.tile([1.0 - self.base_rate_, self.base_rate_], (len(X), 1))
        return self.estimator_.predict_proba(X[:, self.keep_])

    def predict(self, X: Any) -> np.ndarray:
        """Most likely class."""
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


class SignedComposite(ClassifierMixin, BaseEstimator):
    """A scorecard with no fitted coefficient: each feature pushes the way its prior says.

    Training sets only the base rate and each feature's centre (median) and
    scale (standard deviation) over the training rows. A row's score is the
    mean, over the features with a declared sign that have a value, of
    ``sign * clip((x - centre) / scale, -clip, clip) / clip``, in [-1, 1];
    its probability is ``base rate + step * score``. Features with sign 0,
    or no spread in training, take no part. The labels set the base rate
    alone, so the direction of every input is the economic prior, never a
    coefficient estimated from few independent horizons (the sign
    restrictions of Campbell and Thompson 2008, taken to their limit).
    """

    _parameter_constraints: typing.ClassVar[dict[str, list[Any]]] = {
        "signs": [tuple, list],
        "step": [Interval(Real, 0.0, 0.5, closed="right")],
        "clip": [Interval(Real, 0.0, None, closed="neither")],
    }

    def __init__(self, signs: tuple[int, ...] = (), step: float = 0.1, clip: float = 1.0) -> None:
        self.signs = signs
        self.step = step
        self.clip = clip

    def fit(self, X: Any, y: Any) -> SignedComposite:
        """Record the base rate and each feature's training centre and scale."""
        self._validate_params()
        X = np.asarray(X, dtype="float64")
        y = np.asarray(y, dtype="float64")
        signs = np.zeros(X.shape[1])
        signs[: len(self.signs)] = self.signs[: X.shape[1]]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no centre
            centre = np.nanmedian(X, axis=0)
            scale = np.nanstd(X, axis=0)
        usable = (signs != 0) & np.isfinite(centre) & np.isfinite(scale) & (scale > 0)
        self.centre_ = np.where(usable, centre, 0.0)
        self.scale_ = np.where(usable, scale, 1.0)
        self.coef_ = np.where(usable, signs, 0.0)[None, :]
        self.base_rate_ = float(y.mean())
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = X.shape[1]
        return self

    def composite(self, X: Any) -> np.ndarray:
        """Each row's signed composite in [-1, 1] (0 when no signed feature has a value)."""
        X = np.asarray(X, dtype="float64")
        used = self.coef_[0] != 0
        z = np.clip((X[:, used] - self.centre_[used]) / self.scale_[used], -self.clip, self.clip)
        pushes = self.coef_[0, used] * z / self.clip
        counted = np.isfinite(pushes).sum(axis=1)
        total = np.nansum(pushes, axis=1)
        return np.divide(total, counted, out=np.zeros(len(X)), where=counted > 0)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Base rate moved by ``step`` times the composite."""
        positive = np.clip(self.base_rate_ + self.step * self.composite(X), 0.0, 1.0)
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: Any) -> np.ndarray:
        """Most likely class."""
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


class PillarAverage(ClassifierMixin, BaseEstimator):
    """An equal-weight combination: one model per pillar, their probabilities averaged.

    ``members`` holds ``(pillar, columns, pipeline)``: each pipeline is fitted
    on its pillar's columns alone (indexes into ``X``). A pillar none of whose
    columns has a value in the training rows has nothing to say and is left
    out of the average. With few independent outcomes a model of every
    feature at once overfits; the average of small models, each with one or
    two inputs, is the classic remedy (forecast combination: Timmermann 2006;
    Rapach, Strauss and Zhou 2010).
    """

    def __init__(self, members: list[tuple[str, tuple[int, ...], Any]] | None = None) -> None:
        self.members = members

    def fit(self, X: Any, y: Any) -> PillarAverage:
        """Fit each pillar's pipeline on its own columns."""
        X = np.asarray(X, dtype="float64")
        fitted = []
        for pillar, columns, pipeline in self.members or []:
            part = X[:, list(columns)]
            if np.isnan(part).all():
                continue
            fitted.append((pillar, tuple(columns), clone(pipeline).fit(part, y)))
        if not fitted:
            raise ValueError("no pillar has a value in the training rows")
        self.members_ = fitted
        self.classes_ = fitted[0][2].classes_
        self.n_features_in_ = X.shape[1]
        return self

    def pillar_probabilities(self, X: Any) -> dict[str, np.ndarray]:
        """Each fitted pillar's probability of the positive class."""
        X = np.asarray(X, dtype="float64")
        return {
            pillar: pipeline.predict_proba(X[:, list(columns)])[:, 1]
            for pillar, columns, pipeline in self.members_
        }

    def predict_proba(self, X: Any) -> np.ndarray:
        """The average of the pillars' class probabilities."""
        positive = np.mean(list(self.pillar_probabilities(X).values()), axis=0)
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: Any) -> np.ndarray:
        """Most likely class."""
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


def member_pipelines(estimator: Any, feature_names: list[str]) -> list[tuple[Any, list[str]]]:
    """Each fitted pipeline of a model, with the names of the features it reads.

    The pillar models of a :class:`PillarAverage` (a pillar left out of the
    average is absent), else the model itself with every feature.
    """
    if isinstance(estimator, PillarAverage):
        return [
            (pipeline, [feature_names[i] for i in columns])
            for _, columns, pipeline in estimator.members_
        ]
    return [(estimator, list(feature_names))]


def dropped_by_sign(estimator: Any, feature_names: list[str]) -> list[str]:
    """The features a fitted model has no weight on because their fit broke the declared sign.

    Only a logistic model under ``sign_priors: enforce`` (a
    :class:`SignConstrained` last step) drops features; its steps before that
    keep one column per feature, in order.
    """
    dropped = []
    for pipeline, features in member_pipelines(estimator, feature_names):
        last = pipeline[-1]
        if isinstance(last, SignConstrained):
            dropped += [f for f, kept in zip(features, last.keep_, strict=True) if not kept]
    return dropped


class FillEmptyColumns(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Sets to 0 the columns that had no value at all in training; others keep their NaN.

    Gradient boosting handles missing values natively but fails on a column
    without a single value, which a pillar that starts after the training
    window ends gives. A constant column offers no split, so the model is the
    same as without it.
    """

    def fit(self, X: Any, y: Any = None) -> FillEmptyColumns:
        """Record which columns are empty."""
        values = np.asarray(X, dtype="float64")
        self.n_features_in_ = values.shape[1]
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.empty_ = np.isnan(values).all(axis=0)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """``X`` with the training-empty columns set to 0."""
        values = np.array(X, dtype="float64")
        values[:, self.empty_] = 0.0
        return values


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
    # No coefficient fitted: declared signs, training centres and scales (see SignedComposite).
    "signed": (SignedComposite, {"step": 0.1, "clip": 1.0}),
}


def require_signs_for_signed(config: ModelConfig, signs: Iterable[int]) -> None:
    """ConfigError when ``estimator: signed`` has no feature with a declared sign."""
    if config.estimator == "signed" and not any(signs):
        raise ConfigError(
            "model.estimator: signed needs features with a declared sign, and none of the "
            "configured features has one; add one (e.g. a macro builder's `sign`) or use "
            "logistic or gradient_boosting"
        )


def make_estimator(
    config: ModelConfig,
    seed: int | None = None,
    overrides: dict[str, Any] | None = None,
    signs: tuple[int, ...] = (),
    pillars: tuple[str, ...] = (),
) -> Pipeline | PillarAverage:
    """Build the unfitted pipeline; missing feature values are handled inside it.

    ``logistic``: median imputation (a missing value is set to the training
    median, so it moves nothing), scaling, then ``LogisticRegression``.
    ``gradient_boosting``: ``HistGradientBoostingClassifier`` on the raw
    features, which handles NaN natively (a column empty in training is set
    to 0, see :class:`FillEmptyColumns`). ``signed``: a :class:`SignedComposite`
    of the features with a declared sign (with ``combine: pillars``, pillars
    without one are left out). ``seed`` overrides
    ``config.random_state`` (bootstrap refits each get their own);
    ``overrides`` are parameters chosen by ``model.search``. ``signs`` (one
    per feature, in column order) are the declared effect signs, used when
    ``model.sign_priors`` is ``enforce``. With ``model.combine: pillars``,
    ``pillars`` (one per feature, in column order) group the columns, and the
    model is a :class:`PillarAverage` of one such pipeline per pillar.
    Calibration is not part of the pipeline: see :mod:`regime.calibration`.
    """
    require_signs_for_signed(config, signs)
    signed = config.estimator == "signed"
    if config.combine == "pillars" and pillars:
        signs = tuple(signs) or (0,) * len(pillars)
        members = []
        for pillar in dict.fromkeys(pillars):
            columns = tuple(i for i, p in enumerate(pillars) if p == pillar)
            own = tuple(signs[i] for i in columns)
            if signed and not any(own):
                continue  # a pillar with no prior has nothing to say to a signed composite
            members.append((pillar, columns, _pipeline(config, seed, overrides, own)))
        return PillarAverage(members)
    return _pipeline(config, seed, overrides, signs)


def _pipeline(
    config: ModelConfig,
    seed: int | None,
    overrides: dict[str, Any] | None,
    signs: tuple[int, ...],
) -> Pipeline:
    cls, defaults = ESTIMATORS[config.estimator]
    params = {**defaults, **config.params, **(overrides or {})}
    if "random_state" in cls().get_params():
        params.setdefault("random_state", config.random_state if seed is None else seed)
    try:
        estimator = cls(**params)
    except TypeError as exc:
        raise ConfigError(f"model.params: {exc}; see the {cls.__name__} documentation") from None
    if config.estimator == "signed":
        # It handles missing values itself; an imputer's indicators would carry no sign.
        return Pipeline([("estimator", estimator.set_params(signs=tuple(signs)))])
    enforce = config.sign_priors == "enforce" and any(signs)
    if config.estimator == "gradient_boosting":
        if enforce:
            estimator.set_params(monotonic_cst=list(signs))
        steps: list[tuple[str, Any]] = [
            ("fill_empty", FillEmptyColumns()),
            ("estimator", estimator),
        ]
    else:
        steps = [
            # A missing value is the training median and nothing else: no indicator, whose
            # weight would carry the era in which a source had not yet started into a day
            # whose input is merely stale.
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("estimator", SignConstrained(estimator, tuple(signs)) if enforce else estimator),
        ]
    return Pipeline(steps)
