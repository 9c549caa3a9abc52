"""Train from a config: panel, features, labels, walk-forward, fit, save."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from regime.config import Config, TrainingConfig, load_config
from regime.data._base import LoadContext
from regime.dataset import Dataset, load_dataset, series_fingerprints
from regime.evaluation import WalkForwardResult, walk_forward
from regime.exceptions import DataError
from regime.labels import make_labels
from regime.model import make_estimator
from regime.persistence import ARTIFACT_FORMAT, library_versions, write_artifact

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """What a training run wrote and measured."""

    artifact_path: Path
    card: dict[str, Any]
    evaluation: WalkForwardResult


def training_rows(
    features: pd.DataFrame, labels: pd.Series, window: TrainingConfig
) -> tuple[pd.DataFrame, pd.Series]:
    """Rows with a known label and every feature past its warm-up, inside the window."""
    frame = features.join(labels, how="inner")
    frame = frame.loc[frame["label"].notna()]
    frame = frame.dropna(subset=list(features.columns))
    if window.start is not None:
        frame = frame.loc[frame.index >= pd.Timestamp(window.start)]
    if window.end is not None:
        frame = frame.loc[frame.index <= pd.Timestamp(window.end)]
    if frame.empty or frame["label"].nunique() < 2:
        raise DataError(
            f"no trainable rows: {len(frame)} labelled rows with all features known"
            + (" and a single class" if len(frame) else "")
            + "; widen training.start/end or check the sources' history"
        )
    return frame[list(features.columns)], frame["label"].astype(int)


def block_bootstrap_indices(n: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """Moving-block bootstrap: random blocks of ``block`` consecutive rows, n rows in all."""
    block = max(1, min(block, n))
    starts = rng.integers(0, n - block + 1, size=int(np.ceil(n / block)))
    return (starts[:, None] + np.arange(block)[None, :]).ravel()[:n]


def bootstrap_fits(
    estimator: Any, X: pd.DataFrame, y: pd.Series, count: int, block: int, seed: int
) -> list[Any]:
    """Refit ``count`` copies on block-bootstrap resamples (their spread is the interval).

    The refits take plain arrays (columns in ``X``'s order) and return arrays:
    scoring calls all of them on every request, and pandas output costs about
    five times the prediction itself.
    """
    rng = np.random.default_rng(seed)
    values, labels = X.to_numpy(), y.to_numpy()
    fits = []
    while len(fits) < count:
        idx = block_bootstrap_indices(len(X), block, rng)
        if len(np.unique(labels[idx])) < 2:
            continue
        refit = clone(estimator)
        if isinstance(refit, Pipeline):
            refit.set_output(transform="default")
        fits.append(refit.fit(values[idx], labels[idx]))
    return fits


def model_card_markdown(card: dict[str, Any]) -> str:
    """The human-readable model card."""
    m = card["metrics"]
    w = card["training_window"]
    lines = [
        f"# Model card: {card['name']}",
        "",
        "**Synthetic data**: trained on the bundled simulated sample.\n"
        if card["synthetic"]
        else "Trained on the config's live sources.\n",
        f"- Trained at: {card['trained_at']}",
        "- Artifact SHA-256: {sha256}",
        f"- Estimator: {card['config']['model']['estimator']} "
        f"(calibration: {card['config']['model']['calibration']}, "
        f"bootstrap refits: {card['config']['model']['bootstrap']})",
        f"- Target: {card['config']['target']['small']} vs {card['config']['target']['large']}, "
        f"horizon {card['config']['target']['horizon_days']} days, sustained rule "
        f"{card['config']['target']['sustained']}",
        f"- Training window: {w['start']} to {w['end']}, {w['rows']} rows, "
        f"positive share {w['positive_share']:.3f}",
        "",
        "## Walk-forward (out of sample)",
        "",
        f"Expanding window, {m['folds']:.0f} refits, purge {card['purge_days']} days, "
        f"{m['oos_start']} to {m['oos_end']} ({m['oos_rows']:.0f} days).",
        "",
        "| metric | value |",
        "| --- | --- |",
    ]
    for key in (
        "auc",
        "brier",
        "brier_climatology",
        "brier_skill",
        "log_loss",
        "base_rate",
        "mean_probability",
    ):
        lines.append(f"| {key} | {m[key]:.4f} |")
    lines += [
        "",
        "### Calibration (out of sample)",
        "",
        "| bin | predicted | observed | rows |",
        "| --- | --- | --- | --- |",
    ]
    for row in card["calibration"]:
        lines.append(
            f"| {row['bin']} | {row['predicted']:.3f} | {row['observed']:.3f} | {row['rows']} |"
        )
    lines += [
        "",
        "## Features",
        "",
        "| feature | pillar | neutral (training median) |",
        "| --- | --- | --- |",
    ]
    for name in card["feature_names"]:
        lines.append(f"| {name} | {card['pillar_of'][name]} | {card['neutral'][name]:.4g} |")
    lines += ["", "## Data fingerprints (SHA-256 of each series' rows)", ""]
    lines += [f"- {s}: `{h[:16]}`" for s, h in card["fingerprints"].items()]
    lines += ["", "## Library versions", ""]
    lines += [f"- {k}: {v}" for k, v in card["versions"].items()]
    return "\n".join(lines) + "\n"


def prepare_training(
    config: Config, context: LoadContext
) -> tuple[Dataset, pd.DataFrame, pd.Series]:
    """Load the data and return the dataset with its training features and labels."""
    dataset = load_dataset(config, context)
    labels = make_labels(dataset.panel, config.target)
    X, y = training_rows(dataset.features, labels, config.training)
    return dataset, X, y


def backtest(config: Config, context: LoadContext) -> WalkForwardResult:
    """The walk-forward evaluation of ``config`` alone (nothing is saved)."""
    _, X, y = prepare_training(config, context)
    horizon = config.target.horizon_days
    return walk_forward(make_estimator(config.model, horizon), X, y, config.evaluation, horizon)


def train_config(
    config: Config,
    config_dir: Path,
    models_dir: Path,
    context: LoadContext | None = None,
) -> TrainResult:
    """Run the whole training job for ``config`` and write ``models_dir/NAME.joblib``."""
    context = context or LoadContext.for_config(config_dir, config.data.cache_dir)
    dataset, X, y = prepare_training(config, context)
    horizon = config.target.horizon_days
    estimator = make_estimator(config.model, horizon)
    logger.info("walk-forward on %d rows", len(X))
    evaluation = walk_forward(estimator, X, y, config.evaluation, horizon)
    fitted = clone(estimator).fit(X, y)
    boot = bootstrap_fits(
        estimator, X, y, config.model.bootstrap, block=horizon, seed=config.model.random_state
    )
    calibration = [
        {
            "bin": b,
            "predicted": float(r.predicted),
            "observed": float(r.observed),
            "rows": int(r.rows),
        }
        for b, r in evaluation.calibration.iterrows()
    ]
    artifact = {
        "format": ARTIFACT_FORMAT,
        "name": config.name,
        "synthetic": config.synthetic,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "config": config.model_dump(mode="json"),
        "config_dir": str(config_dir.resolve()),
        "feature_names": list(X.columns),
        "pillar_of": dataset.pillar_of,
        "pillars": dataset.feature_set.pillars,
        "neutral": {k: float(v) for k, v in X.median().items()},
        "label": config.target.model_dump(mode="json"),
        "training_window": {
            "start": X.index[0].strftime("%Y-%m-%d"),
            "end": X.index[-1].strftime("%Y-%m-%d"),
            "rows": len(X),
            "positive_share": float(y.mean()),
            "class_balance": {"0": int((y == 0).sum()), "1": int((y == 1).sum())},
        },
        "purge_days": horizon
        if config.evaluation.purge_days is None
        else config.evaluation.purge_days,
        "fingerprints": series_fingerprints(dataset.observations, dataset.used_series),
        "metrics": evaluation.metrics,
        "calibration": calibration,
        "versions": library_versions(),
        "estimator": fitted,
        "bootstrap": boot,
    }
    card_preview = {k: v for k, v in artifact.items() if k not in ("estimator", "bootstrap")}
    path = models_dir / f"{config.name}.joblib"
    card = write_artifact(path, artifact, model_card_markdown(card_preview))
    return TrainResult(path, card, evaluation)


def train(
    config_path: str | Path, models_dir: str | Path = "models", context: LoadContext | None = None
) -> TrainResult:
    """Load the YAML config at ``config_path`` and train it into ``models_dir``."""
    path = Path(config_path)
    config = load_config(path)
    return train_config(config, path.parent, Path(models_dir), context)
