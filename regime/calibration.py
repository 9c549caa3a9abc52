"""Recalibration of a model's probabilities on out-of-sample predictions only.

A :class:`Recalibrator` is fitted on pairs (probability, outcome) where every
probability came from a model that never saw that row, and whose training
labels ended before the row (the walk-forward's own predictions). It is never
refitted on bootstrap resamples: the bootstrap refits of a model share its
recalibrator.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

Method = Literal["sigmoid", "isotonic"]
_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype="float64"), _EPS, 1.0 - _EPS)
    return np.log(p / (1.0 - p))


class Recalibrator:
    """A monotone map from raw to calibrated probabilities.

    Parameters
    ----------
    method : {"sigmoid", "isotonic"}
        ``sigmoid``: Platt scaling, a logistic regression on the logit of the
        raw probability (it shrinks toward the base rate when the raw
        probability has little skill, and says the base rate when higher raw
        probabilities did not win more often). ``isotonic``: a non-decreasing step
        function.
    """

    def __init__(self, method: Method = "sigmoid") -> None:
        self.method = method

    def fit(self, probability: np.ndarray, label: np.ndarray) -> Recalibrator:
        """Fit on out-of-sample probabilities and their realized 0/1 labels."""
        p = np.asarray(probability, dtype="float64")
        y = np.asarray(label, dtype="float64")
        if self.method == "isotonic":
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
        if self.method == "isotonic":
            return self.model_.predict(p)
        return 1.0 / (1.0 + np.exp(-(self.slope_ * _logit(p) + self.intercept_)))


def fit_recalibrator(
    method: str, probability: np.ndarray, label: np.ndarray, min_rows: int
) -> Recalibrator | None:
    """A fitted recalibrator, or None when ``method`` is ``none`` or the data are too thin.

    Thin: fewer than ``min_rows`` predictions, or a single outcome class.
    """
    if method == "none" or len(probability) < min_rows or len(np.unique(label)) < 2:
        return None
    return Recalibrator(method).fit(probability, label)  # type: ignore[arg-type]
