"""The driver loop of a sweep: resume, load the data once, run, retry, record.

Layout of the output directory::

    DIR/sweep.json                  the plan: base config, grid, every variant's values
    DIR/variants/ID/config.yaml     the variant's resolved config (every field)
    DIR/variants/ID/predictions.csv its out-of-sample predictions (status ok)
    DIR/variants/ID/result.json     status, one-line error, metrics, runtime, attempts
    DIR/variants/ID/models/         its artifact, with --train

``result.json`` is written last and atomically: a variant is done when it
exists with status ``ok`` (and, with ``--train``, an artifact), and a rerun
with the same ``--out`` skips it. Failed variants are tried again.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import logging
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from regime._io import atomic_write_text, json_safe
from regime.exceptions import ConfigError
from regime.sweep.engine import Engine
from regime.sweep.grid import SweepPlan, Variant
from regime.sweep.sources import load_source_sets, source_key_of, source_sets
from regime.sweep.task import VariantOutcome, VariantTask, one_line, run_variant

logger = logging.getLogger(__name__)

#: Times a variant is started before a worker death counts as its failure.
MAX_ATTEMPTS = 3

SWEEP_FILE = "sweep.json"
RESULT_FILE = "result.json"
PREDICTIONS_FILE = "predictions.csv"


@dataclass
class SweepRun:
    """What one invocation did."""

    engine: str
    planned: int
    skipped: list[str] = field(default_factory=list)
    ok: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retried: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    source_sets: int = 0
    wall_s: float = 0.0


def variant_dir(out: Path, variant_id: str) -> Path:
    """``DIR/variants/ID``."""
    return out / "variants" / variant_id


def prepare_out(plan: SweepPlan, out: Path) -> None:
    """Write the plan and every variant's resolved config (before anything runs)."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    sweep = {
        "base": str(plan.base_path.resolve()),
        "grid": str(plan.grid_path.resolve()),
        "config_dir": str(plan.config_dir),
        "swept": plan.swept_paths,
        "set": plan.fixed,
        "duplicates": plan.duplicates,
        "variants": [
            {"id": v.id, "index": v.index, "assignment": v.assignment} for v in plan.variants
        ],
    }
    atomic_write_text(out / SWEEP_FILE, json.dumps(json_safe(sweep), indent=2, default=str) + "\n")
    for variant in plan.variants:
        path = variant_dir(out, variant.id) / "config.yaml"
        header = (
            f"# sweep variant {variant.id}: {variant.describe()}\n"
            f"# resolved config (every field); relative paths are relative to {plan.config_dir}\n"
        )
        text = header + yaml.safe_dump(variant.resolved, sort_keys=False, allow_unicode=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            atomic_write_text(path, text)


def read_result(out: Path, variant_id: str) -> dict[str, Any] | None:
    """The recorded result of a variant, or None (not run, or unreadable)."""
    try:
        return json.loads((variant_dir(out, variant_id) / RESULT_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def is_done(out: Path, variant_id: str, train: bool) -> bool:
    """True when the variant finished ``ok`` (with its artifact, when training)."""
    result = read_result(out, variant_id)
    if result is None or result.get("status") != "ok":
        return False
    return not train or bool(result.get("artifact") and Path(result["artifact"]).exists())


def record(
    out: Path, variant: Variant, outcome: VariantOutcome, attempts: int, engine: str
) -> dict[str, Any]:
    """Write the variant's predictions, then its ``result.json`` (the done marker)."""
    directory = variant_dir(out, variant.id)
    if outcome.predictions is not None:
        frame = outcome.predictions.copy()
        frame.index.name = "date"
        atomic_write_text(directory / PREDICTIONS_FILE, frame.to_csv(date_format="%Y-%m-%d"))
    result = {
        "id": variant.id,
        "status": outcome.status,
        "error": outcome.error,
        "assignment": variant.assignment,
        "metrics": outcome.metrics,
        "artifact": outcome.artifact,
        "runtime_s": outcome.runtime_s,
        "attempts": attempts,
        "worker": outcome.worker,
        "engine": engine,
        "synthetic": variant.config.synthetic,
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    atomic_write_text(directory / RESULT_FILE, json.dumps(json_safe(result), indent=2) + "\n")
    return result


class _Bar:
    """The sweep's progress bar: done, failed, running (tqdm on stderr, when asked for)."""

    def __init__(self, total: int, enabled: bool, echo: Callable[[str], None]) -> None:
        self._bar = None
        self._echo = echo
        if enabled and total:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc="sweep", unit="variant", leave=False)

    def update(self, finished: int, ok: int, failed: int, running: int) -> None:
        if self._bar is None:
            return
        self._bar.update(finished - self._bar.n)
        self._bar.set_postfix_str(f"done {ok}, failed {failed}, running {running}")

    def say(self, message: str) -> None:
        if self._bar is not None:
            self._bar.write(message, file=sys.stderr)
        else:
            self._echo(message)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def run_sweep(
    plan: SweepPlan,
    engine: Engine,
    out: Path,
    *,
    train: bool = False,
    cache_dir: str | None = None,
    offline: bool = False,
    reps: int = 500,
    task_fn: Callable[..., VariantOutcome] = run_variant,
    progress: bool = False,
    echo: Callable[[str], None] = _stderr,
) -> SweepRun:
    """Run every variant of ``plan`` not already done in ``out`` on ``engine``.

    Parameters
    ----------
    plan : SweepPlan
        The validated variants (:func:`regime.sweep.grid.build_plan`).
    engine : Engine
        Where they run; started here and closed before returning (or on any
        exception, Ctrl-C included, with outstanding work cancelled).
    out : pathlib.Path
        The output directory (see the module docstring).
    train : bool
        Also write each variant's artifact under ``out/variants/ID/models``.
    cache_dir, offline
        ``--cache-dir`` and ``--offline`` of the data load (done here, once
        per distinct source set, before any variant starts).
    reps : int
        Block-bootstrap resamples of each variant's metric intervals.
    task_fn : callable
        What runs on the worker (default :func:`regime.sweep.task.run_variant`).
    progress : bool
        Show a progress bar of variants done, failed and running.
    echo : callable
        Prints one line (the cluster and its dashboard, worker deaths).

    Returns
    -------
    SweepRun
    """
    started = time.perf_counter()
    prepare_out(plan, out)
    by_id = {v.id: v for v in plan.variants}
    run = SweepRun(engine.kind, len(plan.variants))
    run.skipped = [v.id for v in plan.variants if is_done(out, v.id, train)]
    todo = [v for v in plan.variants if v.id not in set(run.skipped)]
    if not todo:
        run.wall_s = time.perf_counter() - started
        return run
    sets = source_sets(todo, plan.config_dir, cache_dir, offline)
    run.source_sets = len(sets)
    loaded, load_errors = load_source_sets(sets, by_id)
    key_of = source_key_of(sets)
    for variant in todo:
        error = load_errors.get(key_of[variant.id])
        if error is not None:
            record(out, variant, VariantOutcome(variant.id, "failed", error=error), 0, engine.kind)
            run.failed.append(variant.id)
    queue = deque(v for v in todo if key_of[v.id] in loaded)
    if not queue:
        run.wall_s = time.perf_counter() - started
        return run

    # Local processes the variants leave idle fit folds; Dask workers run one thing each.
    fold_jobs = max(1, engine.slots // len(queue)) if engine.kind == "loky" else 1

    def task_of(variant: Variant) -> VariantTask:
        models = variant_dir(out, variant.id).resolve() / "models" if train else None
        cache = sets[key_of[variant.id]].context.cache_dir
        return VariantTask(
            variant.id,
            variant.config,
            str(plan.config_dir),
            None if cache is None else str(cache),
            train=train,
            models_dir=None if models is None else str(models),
            reps=reps,
            fold_jobs=fold_jobs,
        )

    bar = _Bar(len(queue), progress, echo)
    attempts: dict[str, int] = {}
    inflight: dict[cf.Future, tuple[Variant, int]] = {}
    try:
        engine.start({key: loaded[key] for key in loaded})
        bar.say(f"running on {engine.describe()}")
        if engine.dashboard:
            bar.say(f"dashboard: {engine.dashboard}")
        finished = 0
        while queue or inflight:
            while queue and len(inflight) < engine.slots:
                variant = queue.popleft()
                attempts[variant.id] = attempts.get(variant.id, 0) + 1
                generation = engine.generation
                future = engine.submit(task_fn, task_of(variant), key_of[variant.id])
                inflight[future] = (variant, generation)
            done, _ = cf.wait(list(inflight), timeout=0.5, return_when=cf.FIRST_COMPLETED)
            for future in done:
                variant, generation = inflight.pop(future)
                outcome = _outcome(future, variant, generation, engine, attempts, run, queue, bar)
                if outcome is None:
                    continue  # resubmitted
                record(out, variant, outcome, attempts[variant.id], engine.kind)
                (run.ok if outcome.status == "ok" else run.failed).append(variant.id)
                finished += 1
            for message in engine.events():
                run.notes.append(message)
                bar.say(message)
            bar.update(finished, len(run.ok), len(run.failed), len(inflight))
    except BaseException:  # Ctrl-C, SIGTERM or a bug: drop outstanding work, stop the workers
        bar.close()
        engine.close(cancel=True)
        raise
    bar.close()
    engine.close()
    run.wall_s = time.perf_counter() - started
    return run


def _outcome(
    future: cf.Future,
    variant: Variant,
    generation: int,
    engine: Engine,
    attempts: dict[str, int],
    run: SweepRun,
    queue: deque,
    bar: _Bar,
) -> VariantOutcome | None:
    """The variant's outcome, or None when it was resubmitted after its worker died."""
    try:
        return future.result()
    except cf.CancelledError:
        exc: BaseException = cf.CancelledError("cancelled")
    except Exception as error:
        exc = error
    if engine.lost_worker(exc):
        engine.recover(generation)
        tries = attempts[variant.id]
        if tries < MAX_ATTEMPTS:
            message = (
                f"worker died while running variant {variant.id} ({engine.describe_loss(exc)}); "
                f"retrying (attempt {tries + 1} of {MAX_ATTEMPTS})"
            )
            run.retried[variant.id] = tries
            run.notes.append(message)
            bar.say(message)
            queue.appendleft(variant)
            return None
        error_text = f"worker died on each of {tries} attempts: {engine.describe_loss(exc)}"
    else:
        error_text = one_line(exc)
    return VariantOutcome(variant.id, "failed", error=error_text)
