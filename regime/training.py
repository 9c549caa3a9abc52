"""Train from a config: panel, features, labels, walk-forward, fit, save."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from regime.calibration import record_too_thin
from regime.config import Config, ModelConfig, RequiredFeatures, TrainingConfig, load_config
from regime.data._base import LoadContext
from regime.dataset import Dataset, load_dataset, series_fingerprints
from regime.evaluation import FitSettings, WalkForwardResult, fit_model, walk_forward
from regime.evaluation.metrics import evaluate
from regime.exceptions import DataError
from regime.fitted import FittedModel
from regime.labels import horizon_unit, leg_returns, make_labels, rows_noun
from regime.model import dropped_by_sign, make_estimator, member_pipelines
from regime.model_store import KEEP_VERSIONS, model_lock
from regime.persistence import ARTIFACT_FORMAT, FITTED_KEYS, library_versions, write_artifact

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """What a training run wrote and measured."""

    artifact_path: Path
    card: dict[str, Any]
    evaluation: WalkForwardResult


@dataclass(frozen=True)
class TrainingData:
    """The trainable rows: features, labels, when each label was known, and why they start."""

    X: pd.DataFrame
    y: pd.Series
    label_known_at: pd.Series
    start_reason: str


def trainable_mask(
    features: pd.DataFrame, pillar_of: dict[str, str], rule: RequiredFeatures
) -> pd.Series:
    """Rows whose features satisfy ``rule`` (see ``training.require_features``)."""
    present = features.notna()
    if rule == "all":
        return present.all(axis=1)
    if rule == "any":
        return present.any(axis=1)
    ok = present.any(axis=1)
    for pillar in dict.fromkeys(pillar_of.values()):
        columns = [c for c in features.columns if pillar_of[c] == pillar]
        has_data = present[columns].any(axis=1)
        started = has_data.cummax()
        ok &= has_data | ~started
    return ok


def training_rows(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    pillar_of: dict[str, str],
    window: TrainingConfig,
) -> TrainingData:
    """Rows with a known label and the required features, from ``training.start`` on.

    Missing feature values stay NaN: the pipeline handles them.
    """
    frame = features.join(labels, how="inner")
    frame = frame.loc[frame["label"].notna()]
    frame = frame.loc[
        trainable_mask(frame[list(features.columns)], pillar_of, window.require_features)
    ]
    if window.start is not None:
        frame = frame.loc[frame.index >= pd.Timestamp(window.start)]
    if frame.empty or frame["label"].nunique() < 2:
        raise DataError(
            f"no trainable rows: {len(frame)} labelled rows with the required features "
            f"(training.require_features: {window.require_features})"
            + (" and a single class" if len(frame) else "")
            + "; widen training.start/as_of or check the sources' history"
        )
    X = frame[list(features.columns)]
    return TrainingData(
        X,
        frame["label"].astype(int),
        frame["label_known_at"],
        _start_reason(features, labels, X, window),
    )


def _start_reason(
    features: pd.DataFrame, labels: pd.DataFrame, X: pd.DataFrame, window: TrainingConfig
) -> str:
    """Why the training window starts on its first day, in words."""
    first = X.index[0]
    if window.start is not None and first <= pd.Timestamp(window.start) + pd.Timedelta(days=7):
        return f"training.start is {window.start:%Y-%m-%d}"
    first_feature = features.apply(lambda column: column.first_valid_index())
    first_label = labels["label"].first_valid_index()
    earliest = first_feature.dropna().sort_values()
    if first_label is not None and (earliest.empty or first_label >= earliest.iloc[0]):
        return f"the target legs' first label is on {first_label:%Y-%m-%d}"
    return f"the first feature with data is {earliest.index[0]} ({earliest.iloc[0]:%Y-%m-%d})"


def feature_coverage(features: pd.DataFrame, X: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each feature's first date with data and its share of training rows with data."""
    return {
        name: {
            "first_date": None
            if features[name].first_valid_index() is None
            else f"{features[name].first_valid_index():%Y-%m-%d}",
            "training_share": float(X[name].notna().mean()),
        }
        for name in X.columns
    }


def _source_kinds(card: dict[str, Any]) -> str:
    """The kinds of the config's sources, once each in order: ``csv, french, cftc``."""
    kinds = (source.get("kind", "?") for source in card["config"]["data"]["sources"])
    return ", ".join(dict.fromkeys(kinds))


def model_card_markdown(card: dict[str, Any]) -> str:
    """The human-readable model card."""
    m = card["metrics"]
    w = card["training_window"]
    unit = card.get("horizon_unit", "trading days")
    rows = rows_noun(unit)
    lines = [
        f"# Model card: {card['name']}",
        "",
        "**Synthetic data**: trained on the bundled simulated sample.\n"
        if card["synthetic"]
        else f"Trained on market data from the config's sources ({_source_kinds(card)}).\n",
        f"- Trained at: {card['trained_at']}",
        "- Artifact SHA-256: {sha256}",
        f"- Estimator: {card['config']['model']['estimator']} "
        f"(calibration: {card['config']['model']['calibration']}, "
        f"bootstrap refits: {card['config']['model']['bootstrap']})",
        f"- Target: {card['config']['target']['small']} vs {card['config']['target']['large']}, "
        f"horizon {card['config']['target']['horizon_days']} {unit}, sustained rule "
        f"{card['config']['target']['sustained']}",
        f"- Knowledge cutoff (as of): {card['as_of']}",
        f"- Training window: {w['start']} to {w['end']} (starts there because "
        f"{w['starts_because']}), {w['rows']} rows, positive share {w['positive_share']:.3f}; "
        f"last label known {w['labels_known_through']}",
        "",
        "## Walk-forward (out of sample)",
        "",
        f"Expanding window, {m['folds']:.0f} refits, purge {card['purge_days']} {rows}, "
        f"{m['oos_start']} to {m['oos_end']} ({m['oos_rows']:.0f} {rows}). Each fold model is "
        "kept: a past day is scored by the newest model whose training labels were all "
        "known before it.",
        "",
        f"| metric | value | {m['interval_coverage']:.0%} interval (block bootstrap) |",
        "| --- | --- | --- |",
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
        bounds = m.get(f"{key}_interval")
        interval = "" if bounds is None else f"{bounds[0]:.4f} to {bounds[1]:.4f}"
        lines.append(f"| {key} | {m[key]:.4f} | {interval} |")
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
        "| feature | pillar | neutral (training median) | first date | training rows with data |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in card["feature_names"]:
        coverage = card["feature_coverage"][name]
        lines.append(
            f"| {name} | {card['pillar_of'][name]} | {card['neutral'][name]:.4g} | "
            f"{coverage['first_date']} | {coverage['training_share']:.0%} |"
        )
    lines += ["", "## Maximum age of each series (days; older is missing)", ""]
    lines += [f"- {s}: {days}" for s, days in card["max_age_days"].items()]
    lines += ["", "## Data fingerprints (SHA-256 of each series' rows)", ""]
    lines += [f"- {s}: `{h[:16]}`" for s, h in card["fingerprints"].items()]
    priors = card.get("sign_priors") or []
    if priors:
        mode = card["config"]["model"]["sign_priors"]
        lines += [
            "",
            f"## Declared signs and fitted coefficients (sign_priors: {mode})",
            "",
            "| feature | declared sign | coefficient | breaks its prior |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {r['feature']} | {r['prior']:+d} | {r['coefficient']:+.4f} | {_prior_verdict(r)} |"
            for r in priors
        ]
    lines += ["", "## Library versions", ""]
    lines += [f"- {k}: {v}" for k, v in card["versions"].items()]
    return "\n".join(lines) + "\n"


def _prior_verdict(row: dict[str, Any]) -> str:
    """The card's "breaks its prior" cell: yes, dropped for it, or empty."""
    if row["dropped"]:
        return "dropped: its fit broke it, so it has no weight"
    return "**yes**" if row["breaks_prior"] else ""


def with_as_of(config: Config, as_of: date | None) -> Config:
    """``config`` with ``training.as_of`` replaced (``--as-of``); unchanged when None."""
    if as_of is None:
        return config
    training = config.training.model_copy(update={"as_of": as_of})
    return config.model_copy(update={"training": training})


def fit_settings(
    config: Config, signs: tuple[int, ...] = (), pillars: tuple[str, ...] = ()
) -> FitSettings:
    """How the walk-forward and the final fit build their models, from the config.

    ``signs`` are the features' declared signs in column order (used by
    ``model.sign_priors: enforce``), ``pillars`` their pillars (used by
    ``model.combine: pillars``).
    """
    model = config.model
    return FitSettings(
        make=partial(_make, model, signs, pillars),
        calibration=model.calibration,
        min_calibration_rows=config.evaluation.min_calibration_days,
        bootstrap=model.bootstrap,
        block=config.target.horizon_days,
        seed=model.random_state,
        search=dict(model.search),
        inner_folds=config.evaluation.inner_folds,
        purge=config.purge_days,
        n_jobs=config.evaluation.n_jobs,
    )


def _make(
    model: ModelConfig,
    signs: tuple[int, ...],
    pillars: tuple[str, ...],
    seed: int | None,
    params: dict,
) -> Any:
    return make_estimator(model, seed, params, signs, pillars)


def dataset_fit_settings(config: Config, dataset: Dataset, X: pd.DataFrame) -> FitSettings:
    """:func:`fit_settings` with the declared sign and the pillar of each column of ``X``."""
    declared = dataset.feature_set.signs
    signs = tuple(declared.get(name, 0) for name in X.columns)
    pillars = tuple(dataset.pillar_of[name] for name in X.columns)
    return fit_settings(config, signs, pillars)


def sign_report(final: FittedModel, declared: dict[str, int]) -> list[dict[str, Any]]:
    """Each feature's declared sign and fitted coefficient (logistic models; else empty).

    A pillar average reports each pillar model's coefficients; a feature of a
    pillar left out of the average (no training value) is not listed.
    ``dropped``: ``sign_priors: enforce`` refitted the model without it (its
    coefficient is 0 because its fit broke the declared sign).
    """
    parts = member_pipelines(final.estimator, final.feature_names)
    dropped = set(dropped_by_sign(final.estimator, final.feature_names))
    coefficients: dict[str, float] = {}
    for pipeline, features in parts:
        if not hasattr(pipeline[-1], "coef_"):
            return []
        steps = pipeline[:-1]
        names = list(steps.get_feature_names_out(features)) if len(steps) else features
        fitted = dict(zip(names, pipeline[-1].coef_[0], strict=True))
        coefficients.update({name: float(fitted[name]) for name in features})
    return [
        {
            "feature": name,
            "prior": declared.get(name, 0),
            "coefficient": coefficients[name],
            "breaks_prior": bool(declared.get(name, 0) * coefficients[name] < 0),
            "dropped": name in dropped,
        }
        for name in final.feature_names
        if name in coefficients
    ]


def warn_if_uncalibrated(config: Config, oos: pd.DataFrame) -> None:
    """Log a warning when the walk-forward record ``oos`` is too thin to recalibrate on.

    The final model is recalibrated on every walk-forward prediction; with
    fewer than ``evaluation.min_calibration_days`` of them (or a single
    outcome among them) ``shrink`` gives the base rate, since the record
    shows no skill, and the other methods keep the raw probability. Training
    goes on: the warning says so and what to change.
    """
    method = config.model.calibration
    need = config.evaluation.min_calibration_days
    if method == "none" or not record_too_thin(oos, need):
        return
    applied = (
        "gives the base rate, having no record of skill" if method == "shrink" else "is not applied"
    )
    logger.warning(
        "model.calibration: %s %s: the walk-forward made %d out-of-sample "
        "predictions (evaluation.min_calibration_days: %d, and both outcomes needed); use a "
        "longer history, a lower evaluation.min_calibration_days or model.calibration: none",
        method,
        applied,
        len(oos),
        need,
    )


def prepare_training(
    config: Config, context: LoadContext, dataset: Dataset | None = None
) -> tuple[Dataset, TrainingData]:
    """Load the data as of the config's cutoff; return the dataset and its trainable rows.

    A ``dataset`` already built for ``config`` (a sweep builds it from
    observations loaded once) is used as it is.
    """
    dataset = dataset or load_dataset(config, context)
    labels = make_labels(dataset.panel, config.target)
    data = training_rows(dataset.features, labels, dataset.pillar_of, config.training)
    return dataset, data


def backtest(
    config: Config,
    context: LoadContext,
    report_dir: Path | None = None,
    dataset: Dataset | None = None,
) -> WalkForwardResult:
    """The walk-forward evaluation of ``config`` alone (no model is saved).

    With ``report_dir``, also writes the backtest report there
    (:mod:`regime.evaluation.report`); ``dataset`` as in :func:`prepare_training`.
    """
    dataset, data = prepare_training(config, context, dataset)
    settings = replace(dataset_fit_settings(config, dataset, data.X), bootstrap=0)
    result = walk_forward(
        settings,
        data.X,
        data.y,
        data.label_known_at,
        config.evaluation,
        config.purge_days,
    )
    if report_dir is not None:
        from regime.evaluation.report import build_report, write_report

        legs = leg_returns(dataset.panel, config.target)
        report = build_report(
            config,
            result,
            data.X,
            data.y,
            legs,
            dataset.pillar_of,
            dataset.feature_set.pillars,
            signs=dataset.feature_set.signs,
        )
        write_report(report, config, report_dir)
        result = replace(result, metrics=report.metrics)
    return result


def train_config(
    config: Config,
    config_dir: Path,
    models_dir: Path,
    context: LoadContext | None = None,
    model_format: str = "joblib",
    keep: int = KEEP_VERSIONS,
    dataset: Dataset | None = None,
) -> TrainResult:
    """Run the whole training job for ``config`` and save it as the next version of its model.

    The model's lock is held from the start, so a second train of the same
    model fails at once; ``models_dir/NAME.joblib`` (or ``.skops`` with
    ``model_format="skops"``) names the new current version; the ``keep``
    newest versions stay; ``dataset`` as in :func:`prepare_training`.
    """
    with model_lock(models_dir, config.name):
        return _train_locked(config, config_dir, models_dir, context, model_format, keep, dataset)


def _train_locked(
    config: Config,
    config_dir: Path,
    models_dir: Path,
    context: LoadContext | None,
    model_format: str,
    keep: int,
    dataset: Dataset | None,
) -> TrainResult:
    context = context or LoadContext.for_config(config_dir, config.data.cache_dir)
    dataset, data = prepare_training(config, context, dataset)
    X, y = data.X, data.y
    settings = dataset_fit_settings(config, dataset, X)
    logger.info("walk-forward on %d rows", len(X))
    evaluation = walk_forward(
        settings, X, y, data.label_known_at, config.evaluation, config.purge_days
    )
    oos = evaluation.predictions
    stance = config.stance
    metrics = evaluate(
        oos, config.target.horizon_days, stance.overweight_above, stance.underweight_below
    )
    final = fit_model(
        settings, X, y, data.label_known_at, data.label_known_at.iloc[-1], oos, fold=None
    )
    warn_if_uncalibrated(config, oos)
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
        "as_of": f"{dataset.panel.end:%Y-%m-%d}",
        "feature_names": list(X.columns),
        "pillar_of": dataset.pillar_of,
        "pillars": dataset.feature_set.pillars,
        "horizon_unit": horizon_unit(X.index),
        "neutral": final.neutral,
        "max_age_days": dataset.max_age,
        "label": config.target.model_dump(mode="json"),
        "training_window": {
            "start": X.index[0].strftime("%Y-%m-%d"),
            "end": X.index[-1].strftime("%Y-%m-%d"),
            "starts_because": data.start_reason,
            "labels_known_through": f"{final.labels_known_through:%Y-%m-%d}",
            "rows": len(X),
            "positive_share": float(y.mean()),
            "class_balance": {"0": int((y == 0).sum()), "1": int((y == 1).sum())},
        },
        "feature_coverage": feature_coverage(dataset.features, X),
        "purge_days": config.purge_days,
        "fingerprints": series_fingerprints(
            dataset.observations.loc[dataset.observations["known_at"] <= dataset.panel.end],
            dataset.used_series,
        ),
        "metrics": metrics,
        "calibration": calibration,
        "models": [model.summary() for model in [*evaluation.folds, final]],
        "sign_priors": sign_report(final, dataset.feature_set.signs),
        "versions": library_versions(),
        "final": final,
        "folds": evaluation.folds,
    }
    card_preview = {k: v for k, v in artifact.items() if k not in FITTED_KEYS}
    path, card = write_artifact(
        models_dir, artifact, model_card_markdown(card_preview), model_format, keep
    )
    return TrainResult(path, card, evaluation)


def train(
    config_path: str | Path, models_dir: str | Path = "models", context: LoadContext | None = None
) -> TrainResult:
    """Load the YAML config at ``config_path`` and train it into ``models_dir``."""
    path = Path(config_path)
    config = load_config(path)
    return train_config(config, path.parent, Path(models_dir), context)
