"""What a worker does with one variant: walk-forward (or train), then score it out of sample.

The worker never loads a source: it receives the observations of its
variant's source set (loaded once by the driver, see
:mod:`regime.sweep.sources`) and builds the panel, features and labels from
them, exactly as :func:`regime.training.backtest` does after loading. A
variant that raises records its one-line error instead of stopping the
sweep; only the loss of the worker itself reaches the driver as an exception.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from regime.config import Config
from regime.data._base import LoadContext

#: Threads each variant may use for BLAS and OpenMP. One, on every scale: the
#: sweep's parallelism is across variants (as many at once as there are
#: cores or worker threads), and a fixed count keeps every floating-point
#: reduction in the same order, so parallel results equal the serial run's.
THREADS_PER_VARIANT = 1

#: Columns of the out-of-sample predictions a variant returns.
PREDICTION_COLUMNS = ["probability", "label", "climatology", "fold"]

Status = Literal["ok", "failed"]


@dataclass(frozen=True)
class SharedKey:
    """Names a source set installed in the worker process (local process pools)."""

    key: str


@dataclass(frozen=True)
class SourceData:
    """One source set's observations and the maximum ages its sources configure."""

    key: str
    observations: pd.DataFrame
    max_age: dict[str, int]


#: Source sets installed in this process by :func:`install_shared` (loky workers).
_SHARED: dict[str, SourceData] = {}


def install_shared(shared: dict[str, SourceData]) -> None:
    """Process-pool initializer: keep every source set in this worker for its lifetime.

    The worker also ignores Ctrl-C: the terminal sends it to the whole process
    group, and stopping the workers is the driver's job (it kills them).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _SHARED.clear()
    _SHARED.update(shared)


def resolve_shared(handle: SourceData | SharedKey) -> SourceData:
    """The source set a task was given: itself, or the copy installed in this worker."""
    if isinstance(handle, SharedKey):
        try:
            return _SHARED[handle.key]
        except KeyError:
            raise RuntimeError(f"source set {handle.key} is not installed in this worker") from None
    return handle


@dataclass(frozen=True)
class VariantTask:
    """Everything a worker needs to run one variant (the data comes separately)."""

    id: str
    config: Config
    config_dir: str
    cache_dir: str | None
    train: bool = False
    models_dir: str | None = None
    reps: int = 500
    fold_jobs: int = 1  # processes for the variant's walk-forward folds


@dataclass(frozen=True)
class VariantOutcome:
    """What one variant gave: its status, metrics and out-of-sample predictions."""

    id: str
    status: Status
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    predictions: pd.DataFrame | None = None
    artifact: str | None = None
    runtime_s: float = 0.0
    worker: str = ""


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message`` (the message alone for the package's own errors)."""
    from regime.exceptions import RegimeError

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, RegimeError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def worker_name() -> str:
    """``host:pid`` of the process running the variant."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_variant(task: VariantTask, data: SourceData | SharedKey) -> VariantOutcome:
    """Run one variant and return its outcome; never raises for a problem of the variant."""
    start = time.perf_counter()
    try:
        with threadpool_limits(limits=THREADS_PER_VARIANT):
            predictions, legs, artifact = _evaluate(task, resolve_shared(data))
            metrics = variant_metrics(task.config, predictions, legs, task.reps)
    except Exception as exc:
        import logging

        logging.getLogger(__name__).debug("variant %s failed:\n%s", task.id, traceback.format_exc())
        return VariantOutcome(
            task.id,
            "failed",
            error=one_line(exc),
            runtime_s=time.perf_counter() - start,
            worker=worker_name(),
        )
    return VariantOutcome(
        task.id,
        "ok",
        metrics=metrics,
        predictions=predictions[PREDICTION_COLUMNS].copy(),
        artifact=artifact,
        runtime_s=time.perf_counter() - start,
        worker=worker_name(),
    )


def _evaluate(task: VariantTask, data: SourceData) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """The walk-forward's predictions, the target legs' returns and the artifact (``train``)."""
    from regime.dataset import load_dataset
    from regime.labels import leg_returns
    from regime.training import backtest, train_config

    # The sweep decides how many processes a variant's folds get (the cores its
    # variants leave free), whatever the variant's evaluation.n_jobs says.
    config = task.config.model_copy(
        update={"evaluation": task.config.evaluation.model_copy(update={"n_jobs": task.fold_jobs})}
    )
    context = LoadContext(
        base_dir=Path(task.config_dir),
        cache_dir=None if task.cache_dir is None else Path(task.cache_dir),
        offline=True,
    )
    dataset = load_dataset(config, context, observations=data.observations, max_age=data.max_age)
    legs = leg_returns(dataset.panel, config.target)
    if task.train:
        assert task.models_dir is not None
        result = train_config(
            config, Path(task.config_dir), Path(task.models_dir), context, dataset=dataset
        )
        return result.evaluation.predictions, legs, str(result.artifact_path)
    return backtest(config, context, dataset=dataset).predictions, legs, None


def variant_metrics(
    config: Config, predictions: pd.DataFrame, legs: pd.DataFrame, reps: int = 500
) -> dict[str, Any]:
    """Out-of-sample metrics with 90% block-bootstrap intervals, and the overlay's statistics.

    The metrics of :func:`regime.evaluation.metrics.evaluate` (intervals
    flattened to ``*_lower``/``*_upper``) and ``overlay_*``: the
    long-small/short-large overlay of :mod:`regime.evaluation.overlay` with
    its per-period Sharpe ratio, skewness and kurtosis, from which the sweep
    computes each variant's deflated Sharpe ratio once it knows how many
    variants were tried.
    """
    from regime.evaluation.metrics import evaluate
    from regime.evaluation.overlay import model_overlay

    horizon = config.target.horizon_days
    stance = config.stance
    metrics = evaluate(
        predictions, horizon, stance.overweight_above, stance.underweight_below, reps=reps
    )
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if key.endswith("_interval") and isinstance(value, list):
            stem = key.removesuffix("_interval")
            out[f"{stem}_lower"], out[f"{stem}_upper"] = value
        else:
            out[key] = value
    overlay, stats, periods_per_year = model_overlay(predictions, legs, horizon)
    returns = overlay["return"].to_numpy(dtype=float)
    std = float(returns.std(ddof=1)) if returns.size > 1 else math.nan
    out.update(
        {
            "overlay_periods": stats.periods,
            "overlay_periods_per_year": periods_per_year,
            "overlay_annual_return": stats.annual_return,
            "overlay_annual_volatility": stats.annual_volatility,
            "overlay_sharpe": stats.sharpe,
            "overlay_sharpe_per_period": float(returns.mean() / std) if std > 0 else math.nan,
            "overlay_max_drawdown": stats.max_drawdown,
            "overlay_skew": stats.skew,
            "overlay_kurtosis": stats.kurtosis,
        }
    )
    return {k: (float(v) if isinstance(v, np.floating) else v) for k, v in out.items()}
