"""Size, save time and load time of a model as joblib (a pickle) and as skops (runs no code).

Run from the repository root:
    python benchmarks/bench_model_formats.py [--config configs/demo.yaml] [--repeat N]

Trains the config once (the demo by default: 15 walk-forward folds and the
final model, each with 30 bootstrap refits), then writes its artifact, in a
temporary directory, as persistence does: ``joblib.dump(..., compress=3)`` and
:func:`regime.safe_format.dump_safe`. Save is serialize and write; load is
read and rebuild (``joblib.load``; ``load_safe``, which first reads every
type in the file and checks it against the trusted list). Prints the file
sizes, the median save and load times of ``--repeat`` interleaved rounds, and
whether the skops model's probabilities and intervals equal the original's.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np

import regime.training as training
from regime.config import load_config
from regime.data._base import LoadContext
from regime.safe_format import dump_safe, load_safe

ROOT = Path(__file__).resolve().parents[1]


class _Captured(Exception):
    """Stops train_config once it hands its artifact to persistence."""


def train_artifact(config_path: Path) -> tuple[dict[str, Any], Any]:
    """The artifact dict as ``train_config`` builds it (nothing saved) and the training X."""
    seen: dict[str, Any] = {}
    prepare, write = training.prepare_training, training.write_artifact

    def prepare_and_keep(*args: Any, **kwargs: Any) -> Any:
        seen["prepared"] = prepare(*args, **kwargs)
        return seen["prepared"]

    def capture(*args: Any, **kwargs: Any) -> Any:
        (seen["artifact"],) = [a for a in [*args, *kwargs.values()] if isinstance(a, dict)]
        raise _Captured

    config = load_config(config_path)
    training.prepare_training, training.write_artifact = prepare_and_keep, capture
    try:
        with tempfile.TemporaryDirectory(prefix="bench_formats_models_") as models:
            training.train_config(config, config_path.parent, Path(models), LoadContext())
    except _Captured:
        pass
    finally:
        training.prepare_training, training.write_artifact = prepare, write
    return seen["artifact"], seen["prepared"][1].X


def dump_joblib(artifact: dict[str, Any]) -> bytes:
    """The artifact as persistence writes a .joblib file."""
    buffer = io.BytesIO()
    joblib.dump(artifact, buffer, compress=3)
    return buffer.getvalue()


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Wall time of one call and its result."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main() -> None:
    """Print the figures and the command to repeat them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "demo.yaml")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    seconds, (artifact, X) = timed(lambda: train_artifact(args.config))
    models = [artifact["final"], *artifact["folds"]]
    refits = sum(len(m.bootstrap) for m in models)
    print(
        f"{args.config.name}: {len(models)} models ({len(artifact['folds'])} folds and the final), "
        f"{refits} bootstrap refits, {artifact['config']['model']['estimator']}; "
        f"trained in {seconds:.0f} s"
    )

    formats = {
        "joblib": (dump_joblib, lambda payload, path: joblib.load(io.BytesIO(payload))),
        "skops": (dump_safe, lambda payload, path: load_safe(payload, str(path))),
    }
    times: dict[str, dict[str, list[float]]] = {f: {"save": [], "load": []} for f in formats}
    sizes: dict[str, int] = {}
    loaded: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench_formats_") as work:
        for _ in range(args.repeat):
            for name, (dump, load) in formats.items():
                path = Path(work) / f"model.{name}"
                save, _ = timed(lambda dump=dump, path=path: path.write_bytes(dump(artifact)))
                took, loaded[name] = timed(
                    lambda load=load, path=path: load(path.read_bytes(), path)
                )
                times[name]["save"].append(save)
                times[name]["load"].append(took)
                sizes[name] = path.stat().st_size

    same = all(
        np.array_equal(a.predict_proba(X), b.predict_proba(X))
        and np.array_equal(a.interval(X, 0.9), b.interval(X, 0.9))
        for a, b in zip(models, [loaded["skops"]["final"], *loaded["skops"]["folds"]], strict=True)
    )
    print(f"{'format':<8} {'size':>10} {'save (median)':>14} {'load (median)':>14}")
    for name in formats:
        save, load = (statistics.median(times[name][k]) for k in ("save", "load"))
        print(f"{name:<8} {sizes[name] / 1e6:>7.2f} MB {save:>12.3f} s {load:>12.3f} s")
    ratio = {
        k: statistics.median(times["skops"][k]) / statistics.median(times["joblib"][k])
        for k in ("save", "load")
    }
    print(
        f"skops / joblib: size {sizes['skops'] / sizes['joblib']:.1f} x, "
        f"save {ratio['save']:.1f} x, load {ratio['load']:.1f} x"
    )
    print(f"skops model scores identically (every model, probability and interval): {same}")
    config = args.config.resolve()
    shown = config.relative_to(ROOT) if config.is_relative_to(ROOT) else config
    print(
        f"medians of {args.repeat} interleaved rounds; repeat with: "
        f"python benchmarks/bench_model_formats.py --config {shown} --repeat {args.repeat}"
    )


if __name__ == "__main__":
    main()
