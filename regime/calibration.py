"""Recalibration of a model's probabilities on out-of-sample predictions only.

A :class:`Recalibrator` is fitted on pairs (probability, outcome) where every
probability came from a model that never saw that row, and whose training
labels ended before the row (the walk-forward's own predictions). It is never
refitted on bootstrap resamples: the bootstrap refits of a model share its
recalibrator.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

Method = Literal["shrink", "sigmoid", "isotonic"]
_EPS = 1e-6

#: Independent horizons a record needs before ``shrink`` keeps any of the model's
#: spread. Over fewer, the error of the slope is itself too noisy: in simulation a
#: forecast with no skill kept its full raw spread in 14% of 4-horizon records and
#: 4% of 10-horizon ones.
MIN_RECORD_HORIZONS = 10


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype="float64"), _EPS, 1.0 - _EPS)
    return np.log(p / (1.0 - p))


class Recalibrator:
    """A monotone map from raw to calibrated probabilities.

    Parameters
    ----------
    method : {"shrink", "sigmoid", "isotonic"}
        ``shrink``: ``base_rate + w * (p - base_rate)``, the raw probability
        shrunk toward the model's own training base rate by the weight
        ``w`` in [0, 1] that the record supports: the least-squares slope of
        the outcome on the probability (both measured from each row's own
        fold base rate) less one standard error, the error estimated with
        equal weights over ``block`` lags because the outcomes of
        overlapping horizons are not independent (see :func:`shrink_weight`).
        No skill, or a record too short to tell (fewer than
        :data:`MIN_RECORD_HORIZONS` independent horizons), gives ``w = 0`` and
        the base rate; a long well-calibrated record ``w`` near 1. It keeps the
        ranking and anchors the level at the base rate.
        ``sigmoid``: Platt scaling, a logistic regression on the logit of the
        raw probability (it shrinks toward the base rate when the raw
        probability has little skill, and says the base rate when higher raw
        probabilities did not win more often). ``isotonic``: a non-decreasing step
        function.
    """

    def __init__(self, method: Method = "shrink", base_rate: float = 0.5) -> None:
        self.method = method
        self.base_rate = base_rate

    def fit(
        self,
        probability: np.ndarray,
        label: np.ndarray,
        climatology: np.ndarray | None = None,
        block: int = 1,
    ) -> Recalibrator:
        """Fit on out-of-sample probabilities, their 0/1 labels and each row's base rate.

        ``block`` is the number of consecutive rows whose outcomes overlap
        (the horizon, for daily rows); ``shrink`` uses it for its standard error.
        """
        p = np.asarray(probability, dtype="float64")
        y = np.asarray(label, dtype="float64")
        if self.method == "shrink":
            c = np.full(len(p), self.base_rate) if climatology is None else np.asarray(climatology)
            self.weight_ = shrink_weight(p - c, y - c, block)
        elif self.method == "isotonic":
            self.model_ = IsotonicRegression(y_min=_EPS, y_max=1 - _EPS, out_of_bounds="clip")
            self.model_.fit(p, y)
        else:
            fit = LogisticRegression(C=1e4, max_iter=1000).fit(_logit(p)[:, None], y.astype(int))
            self.slope_ = float(fit.coef_[0, 0])
            self.intercept_ = float(fit.intercept_[0])
            if self.slope_ <= 0.0:
                # A higher raw probability did not mean more wins: no skill to keep, say
                # the base rate of these rows.
                rate = float(np.clip(y.mean(), _EPS, 1 - _EPS))
                self.slope_, self.intercept_ = 0.0, float(np.log(rate / (1 - rate)))
        self.rows_ = len(p)
        return self

    def transform(self, probability: np.ndarray) -> np.ndarray:
        """Calibrated probabilities."""
        p = np.asarray(probability, dtype="float64")
        if self.method == "shrink":
            return self.base_rate + self.weight_ * (p - self.base_rate)
        if self.method == "isotonic":
            return self.model_.predict(p)
        return 1.0 / (1.0 + np.exp(-(self.slope_ * _logit(p) + self.intercept_)))

    def to_state(self) -> dict[str, Any]:
        """The fitted recalibrator as plain values; :meth:`from_state` rebuilds it.

        ``shrink`` keeps its ``weight``, ``sigmoid`` its ``slope`` and
        ``intercept`` (floats); ``isotonic`` keeps its fitted
        ``IsotonicRegression`` as ``model``, a scikit-learn object.
        """
        state: dict[str, Any] = {
            "method": self.method,
            "base_rate": float(self.base_rate),
            "rows": int(self.rows_),
        }
        if self.method == "shrink":
            state["weight"] = float(self.weight_)
        elif self.method == "isotonic":
            state["model"] = self.model_
        else:
            state["slope"], state["intercept"] = float(self.slope_), float(self.intercept_)
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Recalibrator:
        """The fitted recalibrator that :meth:`to_state` described.

        Raises ValueError for an unknown method, and KeyError for a missing value.
        """
        method = state["method"]
        if method not in ("shrink", "sigmoid", "isotonic"):
            raise ValueError(f"`method` must be shrink, sigmoid or isotonic, got {method!r}")
        calibrator = cls(method, float(state["base_rate"]))
        calibrator.rows_ = int(state["rows"])
        if method == "shrink":
            calibrator.weight_ = float(state["weight"])
        elif method == "isotonic":
            if not isinstance(state["model"], IsotonicRegression):
                found = type(state["model"]).__name__
                raise ValueError(f"`model` must be an IsotonicRegression, got {found}")
            calibrator.model_ = state["model"]
        else:
            calibrator.slope_ = float(state["slope"])
            calibrator.intercept_ = float(state["intercept"])
        return calibrator


def shrink_weight(x: np.ndarray, y: np.ndarray, block: int) -> float:
    """The slope of ``y`` on ``x`` through the origin less one standard error, in [0, 1].

    Overlapping outcomes share their errors over ``block - 1`` lags. The
    standard error weighs those lags equally (Hansen-Hodrick), falling back to
    Bartlett weights (Newey-West) if equal weights give a negative variance:
    Bartlett weights over the overlap alone understate the variance of a
    record of overlapping horizons by about a fifth. "One standard error" is
    the one-sided 84% Student-t quantile with one degree of freedom fewer
    than the record's independent horizons (``len(x) / block``), so a record
    of a few horizons must show more than one that holds many; a record of
    fewer than :data:`MIN_RECORD_HORIZONS` gets 0.
    """
    spread = float(np.sum(x * x))
    horizons = len(x) / max(block, 1)
    if spread <= 0.0 or horizons < MIN_RECORD_HORIZONS:
        return 0.0
    slope = float(np.sum(x * y) / spread)
    error = _slope_error(x * (y - slope * x), block) / spread
    margin = float(stats.t.ppf(stats.norm.cdf(1.0), df=max(horizons - 1.0, 1.0)))
    return float(np.clip(slope - margin * error, 0.0, 1.0))


def _slope_error(score: np.ndarray, block: int) -> float:
    """The long-run standard deviation of ``score``, autocovariances over ``block - 1`` lags.

    Equal weights (Hansen-Hodrick); Bartlett weights (Newey-West) when equal
    weights give a negative variance.
    """
    lags = range(1, min(block, len(score)))
    autocovariances = [float(np.sum(score[lag:] * score[:-lag])) for lag in lags]
    variance = float(np.sum(score * score))
    flat = variance + 2.0 * sum(autocovariances)
    if flat > 0.0:
        return float(np.sqrt(flat))
    bartlett = variance + 2.0 * sum(
        (1.0 - lag / block) * value for lag, value in zip(lags, autocovariances, strict=True)
    )
    return float(np.sqrt(max(bartlett, 0.0)))


def record_too_thin(oos: pd.DataFrame, min_rows: int) -> bool:
    """Whether a record (column ``label``) is too thin to recalibrate on.

    Fewer than ``min_rows`` predictions, or a single outcome among them.
    """
    return len(oos) < min_rows or oos["label"].nunique() < 2


def fit_recalibrator(
    method: str,
    oos: pd.DataFrame,
    min_rows: int,
    base_rate: float,
    block: int = 1,
) -> Recalibrator | None:
    """A recalibrator fitted on ``oos`` (columns ``raw``, ``label``, ``climatology``).

    ``base_rate`` is the training base rate of the model it will calibrate
    (``shrink`` pulls toward it); ``block`` the rows one outcome overlaps (see
    :meth:`Recalibrator.fit`). None when ``method`` is ``none``. A record too
    thin to fit (fewer than ``min_rows`` predictions, or a single outcome
    class) gives ``shrink`` the weight 0, the base rate, since it shows no
    skill, fitted on 0 rows; the other methods give None, the raw probability.
    """
    if method == "none":
        return None
    if record_too_thin(oos, min_rows):
        if method != "shrink":
            return None
        state = {"method": method, "base_rate": base_rate, "rows": 0, "weight": 0.0}  # no fit
        return Recalibrator.from_state(state)
    calibrator = Recalibrator(method, base_rate)  # type: ignore[arg-type]
    return calibrator.fit(
        oos["raw"].to_numpy(), oos["label"].to_numpy(), oos["climatology"].to_numpy(), block
    )
