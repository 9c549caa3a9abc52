"""Baselines scored on the model's own out-of-sample rows and folds.

A model earns its keep only against simple rules scored the same way: the
training base rate (climatology), 12-month relative momentum, its contrarian
mirror and each feature pillar alone. Every baseline here is fitted fold by
fold on that fold's training rows only and predicts that fold's test rows,
exactly like the walk-forward model, so the comparison in
:func:`baseline_table` is like for like.

A *fold* is a pair ``(train_index, test_index)`` of index labels (e.g.
dates) of the signal and label series; :func:`walk_forward_folds` rebuilds
them from a walk-forward's predictions and fold models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from regime.evaluation.metrics import (
    auc_interval,
    brier_skill_interval,
    expected_calibration_error,
)

Fold = tuple[pd.Index, pd.Index]

#: Largest shift of a fixed-direction rule away from the fold's base rate.
DIRECTIONAL_STEP = 0.1


class _FoldModel(Protocol):
    fold: int | None
    trained_through: pd.Timestamp


def walk_forward_folds(
    predictions: pd.DataFrame, models: Iterable[_FoldModel], index: pd.Index
) -> list[Fold]:
    """The walk-forward's folds as ``(train_index, test_index)`` pairs of index labels.

    Parameters
    ----------
    predictions : pandas.DataFrame
        The walk-forward's predictions (column ``fold``), indexed by date.
    models : iterable
        The fold models (``WalkForwardResult.folds``): objects with ``fold``
        and ``trained_through`` (the last training day).
    index : pandas.Index
        The dates of the labelled rows the walk-forward trained on (the index
        of its ``y``); a fold's training rows are those up to its model's
        ``trained_through``.

    Returns
    -------
    list of (pandas.Index, pandas.Index)
        One pair per fold that made predictions, in fold order.
    """
    folds: list[Fold] = []
    for model in sorted(models, key=lambda m: -1 if m.fold is None else m.fold):
        test = predictions.index[predictions["fold"].to_numpy() == model.fold]
        if model.fold is None or test.empty:
            continue
        folds.append((index[index <= model.trained_through], test))
    return folds


def _training_labels(labels: pd.Series, train: pd.Index) -> pd.Series:
    """The fold's training labels that are known (NaN dropped)."""
    return labels.reindex(pd.Index(train)).dropna()


def _check_disjoint(folds: Sequence[Fold]) -> None:
    tests = [pd.Index(test) for _, test in folds]
    if tests and tests[0].append(tests[1:]).has_duplicates:
        raise ValueError("folds' test rows overlap")


def default_estimator() -> Any:
    """Median imputation, standardisation and an L2 logistic regression."""
    return make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(),
    )


def fold_baseline(
    signals: pd.DataFrame,
    labels: pd.Series,
    folds: Sequence[Fold],
    make_estimator: Callable[[], Any] = default_estimator,
) -> pd.Series:
    """Refit a classifier on each fold's training rows and predict its test rows.

    Parameters
    ----------
    signals : pandas.DataFrame
        Signal columns known on each day (NaN allowed, and so are fold rows
        missing from the index: median-imputed with the training rows'
        medians by the default estimator).
    labels : pandas.Series
        0/1 labels (NaN or absent where unknown; such rows are never trained
        on).
    folds : sequence of (train_index, test_index)
        Index labels of each fold's training and test rows; test rows must
        not overlap across folds.
    make_estimator : callable, default :func:`default_estimator`
        Returns a fresh unfitted scikit-learn classifier.

    Returns
    -------
    pandas.Series
        Out-of-sample probability of label 1 for every test row, named
        ``probability``. A fold whose training labels hold a single class
        predicts its training base rate; one without training labels, NaN.
    """
    _check_disjoint(folds)
    parts: list[pd.Series] = []
    for train, test in folds:
        y_train = _training_labels(labels, train)
        X_test = signals.reindex(pd.Index(test))
        if y_train.nunique() < 2:
            rate = float(y_train.mean()) if len(y_train) else float("nan")
            parts.append(pd.Series(rate, index=X_test.index))
            continue
        estimator = make_estimator().fit(signals.reindex(y_train.index), y_train.astype(int))
        parts.append(pd.Series(estimator.predict_proba(X_test)[:, 1], index=X_test.index))
    return _joined(parts)


def _joined(parts: list[pd.Series]) -> pd.Series:
    if not parts:
        return pd.Series(dtype=float, name="probability")
    return pd.concat(parts).astype(float).rename("probability")


def directional_baseline(
    signal: pd.Series,
    labels: pd.Series,
    folds: Sequence[Fold],
    direction: float,
    step: float = DIRECTIONAL_STEP,
) -> pd.Series:
    """A fixed-direction rule around each fold's base rate.

    For a test row with signal ``s``::

        probability = c + step * clip(direction * s / scale, -1, 1)

    where ``c`` is the fold's training base rate (its climatology) and
    ``scale`` the standard deviation of the signal on the fold's training
    rows, so a one-standard-deviation signal moves the probability by the
    full ``step`` (0.1 by default) in the rule's own direction. Nothing is
    fitted to the labels beyond the base rate, so momentum and contrarian
    rules keep opposite directions whatever the training period said.

    Parameters
    ----------
    signal : pandas.Series
        Signal known on each day.
    labels : pandas.Series
        0/1 labels on the same index (NaN where unknown).
    folds : sequence of (train_index, test_index)
        See :func:`fold_baseline`.
    direction : float
        ``+1`` (a high signal favours small caps) or ``-1``.
    step : float, default 0.1
        Largest move away from the base rate.

    Returns
    -------
    pandas.Series
        Probabilities for every test row, clipped to [0, 1]. A missing signal
        (or a zero training scale) gives the base rate.
    """
    _check_disjoint(folds)
    parts: list[pd.Series] = []
    for train, test in folds:
        y_train = _training_labels(labels, train)
        base = float(y_train.mean()) if len(y_train) else float("nan")
        scale = float(signal.reindex(pd.Index(train)).std())
        test_signal = signal.reindex(pd.Index(test)).astype(float)
        if not np.isfinite(scale) or scale <= 0:
            tilt = pd.Series(0.0, index=test_signal.index)
        else:
            tilt = (direction * test_signal / scale).clip(-1.0, 1.0).fillna(0.0)
        parts.append((base + step * tilt).clip(0.0, 1.0))
    return _joined(parts)


def climatology_baseline(predictions: pd.DataFrame) -> pd.Series:
    """The training base rate of each row's fold (the ``climatology`` column)."""
    return predictions["climatology"].astype(float).rename("probability")


def momentum_baseline(
    relative_return_12m: pd.Series,
    labels: pd.Series,
    folds: Sequence[Fold],
    step: float = DIRECTIONAL_STEP,
) -> pd.Series:
    """Small caps keep leading after a strong trailing 12 months (see :func:`directional_baseline`).

    ``relative_return_12m`` is the trailing 12-month return of small over large
    caps known on each day.
    """
    return directional_baseline(relative_return_12m, labels, folds, +1.0, step)


def contrarian_baseline(
    relative_return_12m: pd.Series,
    labels: pd.Series,
    folds: Sequence[Fold],
    step: float = DIRECTIONAL_STEP,
) -> pd.Series:
    """Small caps mean-revert after a strong trailing 12 months (signal: minus the return)."""
    return directional_baseline(relative_return_12m, labels, folds, -1.0, step)


def pillar_baselines(
    pillars: Mapping[str, pd.DataFrame],
    labels: pd.Series,
    folds: Sequence[Fold],
    make_estimator: Callable[[], Any] = default_estimator,
) -> dict[str, pd.Series]:
    """Each pillar alone: a small logistic on the pillar's columns, refitted per fold.

    Parameters
    ----------
    pillars : mapping of str to pandas.DataFrame
        Per pillar, its feature columns (or its single contribution column).
    labels, folds, make_estimator
        See :func:`fold_baseline`.

    Returns
    -------
    dict of str to pandas.Series
        Out-of-sample probabilities keyed by pillar name.
    """
    return {
        name: fold_baseline(frame, labels, folds, make_estimator) for name, frame in pillars.items()
    }


def standard_baselines(
    predictions: pd.DataFrame,
    labels: pd.Series,
    folds: Sequence[Fold],
    relative_return_12m: pd.Series | None = None,
    pillars: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, pd.Series]:
    """Climatology, then momentum and contrarian (with a 12-month signal), then each pillar.

    Returns
    -------
    dict of str to pandas.Series
        Keys ``climatology``, ``momentum``, ``contrarian`` and
        ``pillar:<name>`` per pillar, in that order (the optional ones only
        when their inputs are given).
    """
    baselines = {"climatology": climatology_baseline(predictions)}
    if relative_return_12m is not None:
        baselines["momentum"] = momentum_baseline(relative_return_12m, labels, folds)
        baselines["contrarian"] = contrarian_baseline(relative_return_12m, labels, folds)
    for name, series in pillar_baselines(pillars or {}, labels, folds).items():
        baselines[f"pillar:{name}"] = series
    return baselines


def _table_row(
    y: np.ndarray,
    p: np.ndarray,
    climatology: np.ndarray,
    horizon: int,
    settings: dict[str, Any],
    bins: int,
) -> dict[str, float | int]:
    auc_ci = auc_interval(y, p, horizon, **settings)
    # the order of the gap to the fold's base rate ((gap + 1) / 2 keeps it in [0, 1])
    net_ci = auc_interval(y, (p - climatology + 1.0) / 2.0, horizon, **settings)
    skill_ci = brier_skill_interval(y, p, climatology, horizon, **settings)
    return {
        "rows": len(y),
        "auc": auc_ci.estimate,
        "auc_lower": auc_ci.lower,
        "auc_upper": auc_ci.upper,
        "auc_over_climatology": net_ci.estimate,
        "auc_over_climatology_lower": net_ci.lower,
        "auc_over_climatology_upper": net_ci.upper,
        "brier_skill": skill_ci.estimate,
        "brier_skill_lower": skill_ci.lower,
        "brier_skill_upper": skill_ci.upper,
        "ece": expected_calibration_error(y, p, bins) if len(y) else float("nan"),
    }


def baseline_table(
    predictions: pd.DataFrame,
    baselines: Mapping[str, pd.Series],
    horizon: int,
    coverage: float = 0.9,
    reps: int = 500,
    seed: int = 0,
    bins: int = 10,
    model_name: str = "model",
) -> pd.DataFrame:
    """The model against each baseline on the model's out-of-sample rows.

    Each forecast is scored on the prediction rows where it has a value
    (normally all of them); Brier skill is over the ``climatology`` column of
    those rows, and intervals come from the same block bootstrap (block =
    ``horizon``, same seed) so they are paired across forecasts.

    Parameters
    ----------
    predictions : pandas.DataFrame
        The walk-forward's predictions (``probability``, ``label``,
        ``climatology``), indexed by date.
    baselines : mapping of str to pandas.Series
        Out-of-sample probabilities of each baseline, indexed by date.
    horizon : int
        Label horizon in rows (the bootstrap block).
    coverage, reps, seed : float, int, int
        Bootstrap settings (see :func:`~regime.evaluation.metrics.block_bootstrap_interval`).
    bins : int, default 10
        Bins of the expected calibration error.
    model_name : str, default "model"
        Name of the model's row.

    Returns
    -------
    pandas.DataFrame
        Indexed by forecast name (the model first, then the baselines in the
        given order), columns ``rows``, ``auc``, ``auc_lower``, ``auc_upper``,
        ``auc_over_climatology`` and its ``_lower`` and ``_upper``,
        ``brier_skill``, ``brier_skill_lower``, ``brier_skill_upper``,
        ``ece``. ``auc_over_climatology`` is the AUC
        of the forecast's gap to the ``climatology`` column: its ranking of
        the outcomes net of the base rate's drift from fold to fold, which a
        pooled AUC mixes in (climatology itself scores 0.5 there).
    """
    settings = {"coverage": coverage, "reps": reps, "seed": seed}
    forecasts = {model_name: predictions["probability"], **baselines}
    rows = {}
    for name, forecast in forecasts.items():
        aligned = forecast.reindex(predictions.index).astype(float)
        keep = aligned.notna().to_numpy()
        rows[name] = _table_row(
            predictions["label"].to_numpy(dtype=float)[keep],
            aligned.to_numpy()[keep],
            predictions["climatology"].to_numpy(dtype=float)[keep],
            horizon,
            settings,
            bins,
        )
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "forecast"
    return table
