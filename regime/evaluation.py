"""Walk-forward evaluation: expanding window, purged, refit on a fixed step.

Every probability it reports for a day comes from a model fitted only on rows
whose labels were fully known before that day (the label of row t needs
``horizon_days`` more days, so the last ``purge_days`` rows before each test
block are dropped from its training set).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from regime.config import EvaluationConfig


@dataclass(frozen=True)
class WalkForwardResult:
    """Out-of-sample predictions and their metrics."""

    predictions: pd.DataFrame  # columns: probability, label, climatology, fold
    metrics: dict[str, float | int | str]
    calibration: pd.DataFrame  # by probability decile: mean predicted, observed rate, rows


def walk_forward(
    estimator: object,
    X: pd.DataFrame,
    y: pd.Series,
    config: EvaluationConfig,
    horizon_days: int,
) -> WalkForwardResult:
    """Fit on [0, start - purge), predict [start, start + step), advance by ``step_days``."""
    purge = horizon_days if config.purge_days is None else config.purge_days
    n = len(X)
    rows = []
    fold = 0
    for start in range(config.min_train_days + purge, n, config.step_days):
        train_end = start - purge
        y_train = y.iloc[:train_end]
        if y_train.nunique() < 2:
            continue
        model = clone(estimator).fit(X.iloc[:train_end], y_train)
        stop = min(start + config.step_days, n)
        probability = model.predict_proba(X.iloc[start:stop])[:, 1]
        rows.append(
            pd.DataFrame(
                {
                    "probability": probability,
                    "label": y.iloc[start:stop].to_numpy(),
                    "climatology": float(y_train.mean()),
                    "fold": fold,
                },
                index=X.index[start:stop],
            )
        )
        fold += 1
    if not rows:
        raise ValueError(
            f"walk-forward needs more than min_train_days + purge = "
            f"{config.min_train_days + purge} labelled rows, got {n}"
        )
    predictions = pd.concat(rows)
    return WalkForwardResult(
        predictions, score_predictions(predictions), calibration_table(predictions)
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
