"""One fitted model and what it needs to score a day: the walk-forward folds and the final fit.

Every :class:`FittedModel` knows the last day whose label it saw
(``trained_through``), the day its last training label became known
(``labels_known_through``) and the first day it may score
(``available_from``), so a past day is scored by the model the tool would have
had on that day.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from regime.calibration import Recalibrator


@dataclass(eq=False)  # compared and hashed by identity
class FittedModel:
    """A base pipeline, its recalibrator, its bootstrap refits and its training facts."""

    estimator: Any
    calibrator: Recalibrator | None
    bootstrap: list[Any]
    neutral: dict[str, float]
    feature_names: list[str]
    trained_through: pd.Timestamp
    labels_known_through: pd.Timestamp
    available_from: pd.Timestamp
    rows: int
    fold: int | None = None  # None for the final model
    calibrated_on: tuple[pd.Timestamp, pd.Timestamp] | None = None  # first, last row used
    params: dict[str, Any] = field(default_factory=dict)  # chosen by the search, if any
    record: dict[str, Any] | None = None  # out-of-sample record known when it starts scoring

    @property
    def base_rate(self) -> float | None:
        """The training base rate its recalibration anchors to (None without one)."""
        return None if self.calibrator is None else float(self.calibrator.base_rate)

    @property
    def at_base_rate(self) -> bool:
        """True when its record earned the raw forecast no weight: it says the base rate."""
        calibrator = self.calibrator
        return calibrator is not None and calibrator.method == "shrink" and calibrator.weight_ == 0

    def _calibrated(self, raw: np.ndarray) -> np.ndarray:
        return raw if self.calibrator is None else self.calibrator.transform(raw)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of sustained outperformance for each row (recalibrated)."""
        # Models are fitted on arrays: no feature-name checks on the scoring path.
        raw = self.estimator.predict_proba(X[self.feature_names].to_numpy(dtype="float64"))[:, 1]
        return self._calibrated(raw)

    def interval(self, X: pd.DataFrame, coverage: float) -> pd.DataFrame | None:
        """Central ``coverage`` interval of the bootstrap refits, centred on this model's own
        probability (None without refits).

        The refits' quantiles are taken relative to their median and added to
        the model's probability (clipped to [0, 1]): a fold that reuses the
        refits of an earlier refresh keeps their spread but not their level.
        """
        if not self.bootstrap:
            return None
        values = X[self.feature_names].to_numpy()  # the refits were fitted on arrays
        draws = np.column_stack(
            [self._calibrated(m.predict_proba(values)[:, 1]) for m in self.bootstrap]
        )
        tail = (1.0 - coverage) / 2.0
        low, middle, high = np.quantile(draws, [tail, 0.5, 1.0 - tail], axis=1)
        probability = self.predict_proba(X)
        return pd.DataFrame(
            {
                "lower": np.clip(probability + low - middle, 0.0, 1.0),
                "upper": np.clip(probability + high - middle, 0.0, 1.0),
            },
            index=X.index,
        )

    def summary(self) -> dict[str, Any]:
        """Facts for the model card (JSON-safe)."""
        return {
            "fold": self.fold,
            "rows": self.rows,
            "trained_through": f"{self.trained_through:%Y-%m-%d}",
            "labels_known_through": f"{self.labels_known_through:%Y-%m-%d}",
            "available_from": f"{self.available_from:%Y-%m-%d}",
            "calibration_rows": None if self.calibrator is None else int(self.calibrator.rows_),
            "params": self.params,
            "record": None
            if self.record is None
            else {k: v for k, v in self.record.items() if k != "reliability"},
            "calibrated_on": None
            if self.calibrated_on is None
            else [f"{day:%Y-%m-%d}" for day in self.calibrated_on],
        }

    def to_state(self) -> dict[str, Any]:
        """This model as plain values, with its fitted estimators left as they are.

        Every field of the dataclass becomes one key. Timestamps become
        ``[ISO 8601 text, unit]`` (the unit, e.g. ``"ns"``, keeps the rebuilt
        timestamps identical); the recalibrator becomes
        :meth:`Recalibrator.to_state`; ``estimator`` and the ``bootstrap``
        refits stay the fitted scikit-learn objects (the caller chooses how
        to store them). :meth:`from_state` inverts it.
        """
        return {
            "estimator": self.estimator,
            "calibrator": None if self.calibrator is None else self.calibrator.to_state(),
            "bootstrap": list(self.bootstrap),
            "neutral": dict(self.neutral),
            "feature_names": list(self.feature_names),
            "trained_through": _timestamp_state(self.trained_through),
            "labels_known_through": _timestamp_state(self.labels_known_through),
            "available_from": _timestamp_state(self.available_from),
            "rows": int(self.rows),
            "fold": self.fold,
            "calibrated_on": None
            if self.calibrated_on is None
            else [_timestamp_state(day) for day in self.calibrated_on],
            "params": self.params,
            "record": self.record,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FittedModel:
        """The model that :meth:`to_state` described.

        Raises ValueError when ``state`` does not have exactly the dataclass's
        fields, or holds a malformed timestamp or recalibrator.
        """
        expected = {f.name for f in fields(cls)}
        if set(state) != expected:
            missing, unknown = sorted(expected - set(state)), sorted(set(state) - expected)
            raise ValueError(f"model state: missing fields {missing}, unknown fields {unknown}")
        calibrated_on = state["calibrated_on"]
        return cls(
            estimator=state["estimator"],
            calibrator=None
            if state["calibrator"] is None
            else Recalibrator.from_state(state["calibrator"]),
            bootstrap=list(state["bootstrap"]),
            neutral={str(k): float(v) for k, v in state["neutral"].items()},
            feature_names=[str(name) for name in state["feature_names"]],
            trained_through=_timestamp_from_state(state["trained_through"]),
            labels_known_through=_timestamp_from_state(state["labels_known_through"]),
            available_from=_timestamp_from_state(state["available_from"]),
            rows=int(state["rows"]),
            fold=None if state["fold"] is None else int(state["fold"]),
            calibrated_on=None
            if calibrated_on is None
            else (_timestamp_from_state(calibrated_on[0]), _timestamp_from_state(calibrated_on[1])),
            params=dict(state["params"]),
            record=None if state["record"] is None else dict(state["record"]),
        )


def _timestamp_state(day: pd.Timestamp) -> list[str]:
    """``[ISO 8601 text, unit]`` of a timestamp (see :meth:`FittedModel.to_state`)."""
    day = pd.Timestamp(day)
    return [day.isoformat(), day.unit]


def _timestamp_from_state(value: Any) -> pd.Timestamp:
    """The timestamp :func:`_timestamp_state` described."""
    if not (isinstance(value, list | tuple) and len(value) == 2):
        raise ValueError(f"a timestamp must be [ISO 8601 text, unit], got {value!r:.80}")
    text, unit = value
    if unit not in ("s", "ms", "us", "ns"):
        raise ValueError(f"timestamp unit must be s, ms, us or ns, got {unit!r:.20}")
    return pd.Timestamp(str(text)).as_unit(unit)


def block_bootstrap_indices(n: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """Moving-block bootstrap: random blocks of ``block`` consecutive rows, n rows in all."""
    block = max(1, min(block, n))
    starts = rng.integers(0, n - block + 1, size=int(np.ceil(n / block)))
    return (starts[:, None] + np.arange(block)[None, :]).ravel()[:n]


def bootstrap_fits(
    make: Any, X: pd.DataFrame, y: pd.Series, count: int, block: int, seed: int
) -> list[Any]:
    """Refit ``count`` models on block-bootstrap resamples; their spread is the interval.

    ``make(seed)`` returns an unfitted pipeline: each refit gets its own seed
    (``seed + i``) for both its resample and its estimator. The refits take
    plain arrays (columns in ``X``'s order) and return arrays: scoring calls
    all of them on every request, and pandas output costs about five times
    the prediction itself.
    """
    values, labels = X.to_numpy(), y.to_numpy()
    fits: list[Any] = []
    attempt = 0
    while len(fits) < count and attempt < 10 * count:
        refit_seed = seed + attempt
        attempt += 1
        idx = block_bootstrap_indices(len(X), block, np.random.default_rng(refit_seed))
        if len(np.unique(labels[idx])) < 2:
            continue
        refit = clone(make(refit_seed))
        fits.append(refit.fit(values[idx], labels[idx]))
    return fits
