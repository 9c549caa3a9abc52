"""Walk-forward evaluation: expanding window, purged, refit on a fixed step.

Every probability it reports for a day comes from a model fitted only on rows
whose labels were fully known before that day: the training rows of a block
end ``purge_days`` rows before it, and no earlier than the last row whose
label's whole horizon was known before the block's first day. Each fold's
probabilities are recalibrated (when the config asks for it) on the earlier
folds' out-of-sample predictions whose labels were known by then, never on
rows the fold's model was fitted on. The fold models are kept: they score
past days out of sample.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import log_loss
from sklearn.model_selection import ParameterGrid
from threadpoolctl import threadpool_limits

from regime.calibration import fit_recalibrator
from regime.config import EvaluationConfig
from regime.evaluation.metrics import (
    auc_interval,
    brier_skill_interval,
    reliability_table,
    score_predictions,
)
from regime.exceptions import ConfigError, DataError
from regime.fitted import FittedModel, bootstrap_fits
from regime.progress import progress


@dataclass(frozen=True)
class WalkForwardResult:
    """Out-of-sample predictions, their metrics and the fold models that made them."""

    predictions: pd.DataFrame  # columns: probability, raw, label, climatology, fold
    metrics: dict[str, float | int | str]
    calibration: pd.DataFrame  # by 0.1-wide probability bin: mean predicted, observed, rows
    folds: list[FittedModel]


@dataclass(frozen=True)
class FitSettings:
    """How each model of a run is fitted: pipeline factory, search, calibration, bootstrap."""

    make: Callable[[int | None, dict[str, Any]], Any]  # (seed, params) -> unfitted pipeline
    calibration: str = "none"
    min_calibration_rows: int = 252
    bootstrap: int = 0
    block: int = 1
    seed: int = 0
    search: dict[str, list[Any]] = field(default_factory=dict)
    inner_folds: int = 3
    purge: int = 0
    n_jobs: int = 1  # processes fitting the walk-forward's folds


@dataclass
class Refresh:
    """The slow part of a fit, redone only every so often: search, bootstrap, record."""

    params: dict[str, Any]
    bootstrap: list[Any]
    record: dict[str, Any] | None


def track_record(oos: pd.DataFrame, horizon: int, reps: int = 500) -> dict[str, Any] | None:
    """The out-of-sample record a model can cite: the predictions issued before it.

    ``oos`` holds earlier walk-forward predictions (columns ``probability``,
    ``label``, ``climatology``) whose labels were known before the model
    starts scoring. Returns rows, AUC and Brier skill over the training base
    rate, each with its 90% block-bootstrap interval (block = ``horizon``),
    and the reliability table; None without rows of both outcomes.
    """
    if len(oos) < 2 * horizon or oos["label"].nunique() < 2:
        return None
    y, p, clim = (oos[c].to_numpy(dtype="float64") for c in ("label", "probability", "climatology"))
    skill = brier_skill_interval(y, p, clim, block=horizon, reps=reps)
    ranking = auc_interval(y, p, block=horizon, reps=reps)
    table = reliability_table(y, p)
    return {
        "rows": len(oos),
        "start": f"{oos.index[0]:%Y-%m-%d}",
        "end": f"{oos.index[-1]:%Y-%m-%d}",
        "auc": ranking.estimate,
        "auc_interval": ranking.as_list() if ranking.valid_reps else None,
        "brier_skill": skill.estimate,
        "brier_skill_interval": skill.as_list(),
        "reliability": table.reset_index().to_dict("records"),
    }


def select_params(
    settings: FitSettings, X: pd.DataFrame, y: pd.Series, label_known_at: pd.Series
) -> dict[str, Any]:
    """The ``settings.search`` candidate with the lowest log loss on purged inner folds.

    The second half of the window is cut into ``inner_folds`` consecutive
    blocks; each is predicted by a fit on the rows before it, purged like the
    walk-forward (``purge`` rows, and labels known before the block). Nothing
    outside ``X`` is used, so the choice is made inside each training window.
    """
    grid = list(ParameterGrid(settings.search)) if settings.search else [{}]
    if len(grid) == 1:
        return grid[0]
    n = len(X)
    values = X.to_numpy(dtype="float64")  # models are fitted on arrays
    known = label_known_at.to_numpy()[:n]
    edges = np.linspace(n // 2, n, settings.inner_folds + 1).astype(int)
    losses = np.zeros(len(grid))
    for lo, hi in itertools.pairwise(edges):
        end = min(lo - settings.purge, int(np.searchsorted(known, X.index[lo].to_datetime64())))
        if end < 2 or y.iloc[:end].nunique() < 2 or hi <= lo:
            continue
        for g, params in enumerate(grid):
            model = clone(settings.make(None, params)).fit(values[:end], y.iloc[:end])
            p = np.clip(model.predict_proba(values[lo:hi])[:, 1], 1e-6, 1 - 1e-6)
            losses[g] += log_loss(y.iloc[lo:hi], p, labels=[0, 1]) * (hi - lo)
    return grid[int(np.argmin(losses))]


def refresh(
    settings: FitSettings,
    X: pd.DataFrame,
    y: pd.Series,
    label_known_at: pd.Series,
    fold: int | None,
    oos: pd.DataFrame,
) -> Refresh:
    """Choose the parameters, refit the bootstrap (each refit its own seed), take the record."""
    params, refits = refresh_fits(settings, X, y, label_known_at, fold)
    return Refresh(params, refits, track_record(oos, settings.block))


def refresh_fits(
    settings: FitSettings,
    X: pd.DataFrame,
    y: pd.Series,
    label_known_at: pd.Series,
    fold: int | None,
) -> tuple[dict[str, Any], list[Any]]:
    """The fits of a refresh: the chosen parameters and the bootstrap refits."""
    with threadpool_limits(limits=1, user_api="blas"):
        params = select_params(settings, X, y, label_known_at)
        seed = settings.seed + 1_000_003 * (0 if fold is None else fold + 1)
        refits = bootstrap_fits(
            lambda s: settings.make(s, params), X, y, settings.bootstrap, settings.block, seed
        )
    return params, refits


def fit_estimator(settings: FitSettings, params: dict[str, Any], X: pd.DataFrame, y: pd.Series):
    """The model's pipeline with ``params``, fitted on ``X`` (as an array)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return clone(settings.make(None, params)).fit(X.to_numpy(dtype="float64"), y)


def fit_model(
    settings: FitSettings,
    X: pd.DataFrame,
    y: pd.Series,
    label_known_at: pd.Series,
    available_from: pd.Timestamp,
    oos: pd.DataFrame,
    fold: int | None,
    reuse: Refresh | None = None,
    estimator: Any = None,
) -> FittedModel:
    """Fit one model on all of ``X`` with its recalibrator and bootstrap refits.

    ``oos`` holds earlier out-of-sample predictions (columns ``raw``,
    ``label``) whose labels were known before ``available_from``; the
    recalibrator is fitted on them alone. ``reuse`` takes the parameters and
    bootstrap refits of an earlier refresh (fitted on a prefix of ``X``)
    instead of redoing them; ``estimator`` is the pipeline already fitted on
    ``X`` with those parameters (see :func:`fit_estimator`).
    """
    slow = reuse or refresh(settings, X, y, label_known_at, fold, oos)
    if estimator is None:
        estimator = fit_estimator(settings, slow.params, X, y)
    calibrator = fit_recalibrator(
        settings.calibration, oos, settings.min_calibration_rows, float(y.mean()), settings.block
    )
    return FittedModel(
        estimator=estimator,
        calibrator=calibrator,
        bootstrap=slow.bootstrap,
        neutral={k: float(v) for k, v in X.median().items()},
        feature_names=list(X.columns),
        trained_through=pd.Timestamp(X.index[-1]),
        labels_known_through=pd.Timestamp(label_known_at.iloc[len(X) - 1]),
        available_from=pd.Timestamp(available_from),
        rows=len(X),
        fold=fold,
        calibrated_on=(
            None if calibrator is None or not calibrator.rows_ else (oos.index[0], oos.index[-1])
        ),
        params=slow.params,
        record=slow.record,
    )


def empty_predictions() -> pd.DataFrame:
    """A predictions frame with no rows."""
    columns = ["probability", "raw", "label", "climatology", "fold"]
    return pd.DataFrame({c: [] for c in columns}, index=pd.DatetimeIndex([]))


def fold_starts(n: int, config: EvaluationConfig, purge: int) -> range:
    """Row positions at which the test blocks start."""
    return range(config.min_train_days + purge, n, config.step_days)


def walk_forward(
    settings: FitSettings,
    X: pd.DataFrame,
    y: pd.Series,
    label_known_at: pd.Series,
    config: EvaluationConfig,
    purge: int,
) -> WalkForwardResult:
    """Fit on the purged past, predict ``[start, start + step)``, advance by ``step_days``.

    The training rows of a block starting at row ``s`` (day ``d``) are the rows
    before ``s - purge`` whose label was known before ``d``
    (``label_known_at`` is non-decreasing, so they are a prefix). The
    parameter search and the bootstrap refits are redone every
    ``interval_every_days`` rows; the folds in between reuse the newest ones.
    Metrics cover the predictions between ``config.start`` and ``config.end``.
    """
    with threadpool_limits(limits=1, user_api="blas"):  # small problems: threads only contend
        return _walk_forward(settings, X, y, label_known_at, config, purge)


@dataclass(frozen=True)
class _Fold:
    """Where one fold's test block starts, where its training rows end, whose refresh it uses."""

    start: int
    train_end: int
    refresh: int  # position (in the fold list) of the fold whose refresh it reuses


def _plan(
    X: pd.DataFrame, y: pd.Series, known: np.ndarray, config: EvaluationConfig, purge: int
) -> list[_Fold]:
    """The folds that can be fitted (both outcomes in training), and their refreshes."""
    folds: list[_Fold] = []
    refresh, refreshed_at = 0, -config.interval_every_days
    for start in fold_starts(len(X), config, purge):
        first_day = X.index[start]
        train_end = min(start - purge, int(np.searchsorted(known, first_day.to_datetime64())))
        if train_end < 1 or y.iloc[:train_end].nunique() < 2:
            continue
        if start - refreshed_at >= config.interval_every_days:
            refresh, refreshed_at = len(folds), start
        folds.append(_Fold(start, train_end, refresh))
    return folds


def _in_parallel(n_jobs: int, calls: list, description: str) -> list:
    """Run ``calls`` (``delayed`` calls) on ``n_jobs`` processes, in order, with progress."""
    if n_jobs == 1:
        return [
            function(*args, **kwargs)
            for function, args, kwargs in progress(calls, description, total=len(calls))
        ]
    runs = Parallel(n_jobs=n_jobs, return_as="generator")(calls)
    return list(progress(runs, description, total=len(calls)))


def _walk_forward(
    settings: FitSettings,
    X: pd.DataFrame,
    y: pd.Series,
    label_known_at: pd.Series,
    config: EvaluationConfig,
    purge: int,
) -> WalkForwardResult:
    """The walk-forward in two passes: the fits (in parallel with ``settings.n_jobs``), then,
    in order, each fold's record, recalibration on the folds before it, and predictions."""
    n = len(X)
    plan = _plan(X, y, label_known_at.to_numpy(), config, purge)
    refreshes = sorted({fold.refresh for fold in plan})
    fits = _in_parallel(
        settings.n_jobs,
        [
            delayed(refresh_fits)(
                settings,
                X.iloc[: plan[r].train_end],
                y.iloc[: plan[r].train_end],
                label_known_at,
                r,
            )
            for r in refreshes
        ],
        "walk-forward refreshes",
    )
    chosen = dict(zip(refreshes, fits, strict=True))
    estimators = _in_parallel(
        settings.n_jobs,
        [
            delayed(fit_estimator)(
                settings,
                chosen[fold.refresh][0],
                X.iloc[: fold.train_end],
                y.iloc[: fold.train_end],
            )
            for fold in plan
        ],
        "walk-forward refits",
    )
    blocks: list[pd.DataFrame] = []
    folds: list[FittedModel] = []
    slow: Refresh | None = None
    for position, (fold, estimator) in enumerate(zip(plan, estimators, strict=True)):
        start, train_end = fold.start, fold.train_end
        y_train = y.iloc[:train_end]
        done = pd.concat(blocks) if blocks else empty_predictions()
        earlier = done.loc[done.index < X.index[train_end]]
        if fold.refresh == position:
            params, refits = chosen[position]
            slow = Refresh(params, refits, track_record(earlier, settings.block))
        model = fit_model(
            settings,
            X.iloc[:train_end],
            y_train,
            label_known_at,
            X.index[start],
            earlier,
            fold=position,
            reuse=slow,
            estimator=estimator,
        )
        stop = min(start + config.step_days, n)
        raw = model.estimator.predict_proba(X.iloc[start:stop].to_numpy(dtype="float64"))[:, 1]
        probability = raw if model.calibrator is None else model.calibrator.transform(raw)
        blocks.append(
            pd.DataFrame(
                {
                    "probability": probability,
                    "raw": raw,
                    "label": y.iloc[start:stop].to_numpy(),
                    "climatology": float(y_train.mean()),
                    "fold": model.fold,
                },
                index=X.index[start:stop],
            )
        )
        folds.append(model)
    if not blocks:
        raise DataError(_no_fold_message(n, len(fold_starts(n, config, purge)), config, purge))
    predictions = in_window(pd.concat(blocks), config)
    return WalkForwardResult(
        predictions, score_predictions(predictions), calibration_table(predictions), folds
    )


def _no_fold_message(rows: int, starts: int, config: EvaluationConfig, purge: int) -> str:
    """Why the walk-forward could fit no fold, and what to change."""
    first = config.min_train_days + purge
    fix = (
        "lower evaluation.min_train_days or target.horizon_days, or give the sources a "
        "longer history"
    )
    if not starts:
        return (
            f"walk-forward: only {rows} trainable rows, but the first test block starts after "
            f"evaluation.min_train_days + purge = {config.min_train_days} + {purge} = {first} "
            f"rows; {fix}"
        )
    return (
        f"walk-forward: none of its {starts} training windows (the first {first} of "
        f"{rows} trainable rows, and on) holds labels of both outcomes known before its test "
        f"block; {fix}"
    )


def in_window(predictions: pd.DataFrame, config: EvaluationConfig) -> pd.DataFrame:
    """The predictions between ``config.start`` and ``config.end`` (inclusive)."""
    out = predictions
    if config.start is not None:
        out = out.loc[out.index >= pd.Timestamp(config.start)]
    if config.end is not None:
        out = out.loc[out.index <= pd.Timestamp(config.end)]
    if out.empty:
        raise ConfigError(
            f"evaluation.start/end: no out-of-sample prediction from "
            f"{config.start or 'the first'} to {config.end or 'the last'}; the walk-forward "
            f"predicts {predictions.index[0]:%Y-%m-%d} to {predictions.index[-1]:%Y-%m-%d}: "
            "move the window into that range or remove it"
        )
    return out


def calibration_table(predictions: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Observed frequency against mean predicted probability, by equal-width bin.

    The bins of :func:`regime.evaluation.metrics.reliability_table` (the ones
    the scorecard's calibration caveat reads), labelled ``[lower, upper)``.
    """
    table = reliability_table(predictions["label"], predictions["probability"], bins)
    labels = [
        f"[{lo:.1f}, {hi:.1f})" for lo, hi in zip(table["lower"], table["upper"], strict=True)
    ]
    out = table[["predicted", "observed", "rows"]].set_axis(labels)
    out.index.name = "probability"
    return out
