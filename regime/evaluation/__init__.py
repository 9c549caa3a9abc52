"""Out-of-sample evaluation: the walk-forward, its metrics, baselines and report."""

from __future__ import annotations

from regime.evaluation.walk_forward import (
    FitSettings,
    WalkForwardResult,
    calibration_table,
    fit_model,
    score_predictions,
    walk_forward,
)

__all__ = [
    "FitSettings",
    "WalkForwardResult",
    "calibration_table",
    "fit_model",
    "score_predictions",
    "walk_forward",
]
