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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from regime.calibration import fit_recalibrator
from regime.config import EvaluationConfig
from regime.fitted import FittedModel, bootstrap_fits


@dataclass(frozen=True)
class WalkForwardResult:
    """Out-of-sample predictions, their metrics and the fold models that made them."""

    predictions: pd.DataFrame  # columns: probability, raw, label, climatology, fold
    metrics: dict[str, float | int | str]
    calibration: pd.DataFrame  # by probability decile: mean predicted, observed rate, rows
    folds: list[FittedModel]


@dataclass(frozen=True)
class FitSettings:
    """How each model of a run is fitted: the pipeline factory, calibration and bootstrap."""

    make: Callable[[int | None], Any]  # seed -> unfitted pipeline
    calibration: str = "none"
    min_calibration_rows: int = 252
    bootstrap: int = 0
    block: int = 1
    seed: int = 0


def fit_model(
    settings: FitSettings,
    X: pd.DataFrame,
    y: pd.Series,
    label_known_at: pd.Series,
    available_from: pd.Timestamp,
    oos: pd.DataFrame,
    fold: int | None,
) -> FittedModel:
    """Fit one model on all of ``X`` with its recalibrator and bootstrap refits.

    ``oos`` holds earlier out-of-sample predictions (columns ``raw``,
    ``label``) whose labels were known before ``available_from``; the
    recalibrator is fitted on them alone.
    """
    estimator = clone(settings.make(None)).fit(X, y)
    calibrator = fit_recalibrator(
        settings.calibration,
        oos["raw"].to_numpy(),
        oos["label"].to_numpy(),
        settings.min_calibration_rows,
    )
    seed = settings.seed + 1_000_003 * (0 if fold is None else fold + 1)
    refits = bootstrap_fits(settings.make, X, y, settings.bootstrap, settings.block, seed)
    return FittedModel(
        estimator=estimator,
        calibrator=calibrator,
        bootstrap=refits,
        neutral={k: float(v) for k, v in X.median().items()},
        feature_names=list(X.columns),
        trained_through=pd.Timestamp(X.index[-1]),
        labels_known_through=pd.Timestamp(label_known_at.iloc[len(X) - 1]),
        available_from=pd.Timestamp(available_from),
        rows=len(X),
        fold=fold,
        calibrated_on=None if calibrator is None else (oos.index[0], oos.index[-1]),
    )


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
    (``label_known_at`` is non-decreasing, so they are a prefix).
    """
    n = len(X)
    known = label_known_at.to_numpy()
    blocks: list[pd.DataFrame] = []
    folds: list[FittedModel] = []
    for start in fold_starts(n, config, purge):
        first_day = X.index[start]
        train_end = min(start - purge, int(np.searchsorted(known, first_day.to_datetime64())))
        y_train = y.iloc[:train_end]
        if train_end < 1 or y_train.nunique() < 2:
            continue
        done = (
            pd.concat(blocks)
            if blocks
            else pd.DataFrame({"raw": [], "label": []}, index=pd.DatetimeIndex([]))
        )
        earlier = done.loc[done.index < X.index[train_end]]
        model = fit_model(
            settings,
            X.iloc[:train_end],
            y_train,
            label_known_at,
            first_day,
            earlier,
            fold=len(folds),
        )
        stop = min(start + config.step_days, n)
        raw = model.estimator.predict_proba(X.iloc[start:stop])[:, 1]
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
        raise ValueError(
            f"walk-forward needs more than min_train_days + purge = "
            f"{config.min_train_days + purge} labelled rows, got {n}"
        )
    predictions = pd.concat(blocks)
    return WalkForwardResult(
        predictions, score_predictions(predictions), calibration_table(predictions), folds
    )


def score_predictions(predictions: pd.DataFrame) -> dict[str, float | int | str]:
    """AUC, Brier (and its skill over the training base rate), log loss, base rate."""
    y = predictions["label"].to_numpy()
    p = predictions["probability"].to_numpy()
    clim = predictions["climatology"].to_numpy()
    brier = brier_score_loss(y, p)
    brier_clim = brier_score_loss(y, clim)
    auc = roc_auc_score(y, p) if len(np.unique(y)) == 2 else float("nan")
    return {
        "oos_rows": len(y),
        "oos_start": predictions.index[0].strftime("%Y-%m-%d"),
        "oos_end": predictions.index[-1].strftime("%Y-%m-%d"),
        "folds": int(predictions["fold"].nunique()),
        "auc": float(auc),
        "brier": float(brier),
        "brier_climatology": float(brier_clim),
        "brier_skill": float(1.0 - brier / brier_clim) if brier_clim > 0 else float("nan"),
        "log_loss": float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])),
        "base_rate": float(y.mean()),
        "mean_probability": float(p.mean()),
    }


def calibration_table(predictions: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Observed frequency against mean predicted probability, by probability bin."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    bucket = pd.cut(predictions["probability"], edges, include_lowest=True)
    table = predictions.groupby(bucket, observed=True).agg(
        predicted=("probability", "mean"), observed=("label", "mean"), rows=("label", "size")
    )
    table.index = table.index.astype(str)
    return table
