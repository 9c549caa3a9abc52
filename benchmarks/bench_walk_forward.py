"""Wall time of a walk-forward over 20 years of daily data with monthly refits.

Run from the repository root:  python benchmarks/bench_walk_forward.py [--repeat N]

The bundled sample from 2000 to 2024 (every pillar, 11 features), the logistic
model, a 5-year first window, then 20 years predicted with a refit every 21
trading days: about 240 fits. Prints the fits, the median wall time of the walk-forward
alone (the data load is timed apart) and the goal (under 30 s on 2 cores).
"""

from __future__ import annotations

import argparse
import statistics
import time

from regime.config import parse_config
from regime.data._base import LoadContext
from regime.training import backtest

CONFIG = """
name: bench_walk_forward
data: {sources: [{kind: sample, seed: 7, start: 2000-01-03, end: 2024-12-31}]}
target: {small: SMALL_TR, large: LARGE_TR, horizon_days: 63}
features:
  - builder: flows.relative_flow
  - builder: valuations.relative_pe
  - builder: positioning.net_spec_z
  - builder: rate_expectations.cuts_priced
  - builder: rate_expectations.cuts_delivered
  - builder: earnings_revisions.breadth_spread
model: {estimator: logistic, params: {C: 0.01}, calibration: shrink, sign_priors: report}
evaluation: {min_train_days: 1260, step_days: 21}
"""


def main() -> None:
    """Time the walk-forward ``--repeat`` times and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = parse_config(CONFIG, "bench_walk_forward.yaml")
    times, folds = [], 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = backtest(config, LoadContext())
        times.append(time.perf_counter() - start)
        folds = int(result.metrics["folds"])
    print(
        f"walk-forward, 20 years daily, monthly refits: {folds} fits, "
        f"median {statistics.median(times):.1f} s (min {min(times):.1f}, max {max(times):.1f}) "
        f"over {args.repeat} runs, data load and features included; goal under 30 s"
    )
    print("repeat with: python benchmarks/bench_walk_forward.py --repeat 3")


if __name__ == "__main__":
    main()
