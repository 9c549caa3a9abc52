"""Wall time of a sweep of 8 demo variants: serial, loky processes and a Dask LocalCluster.

Run from the repository root:  python benchmarks/bench_sweep.py [--n-jobs N]

The sweep is ``configs/demo.yaml`` times ``configs/sweeps/demo_grid.yaml``
(2 calibrations x 2 horizons x 2 feature sets, the full 2000-2024 sample,
yearly refits). Each engine runs it from scratch into its own temporary
directory; the time is the wall time of the whole run: the data load (once),
starting the workers (or the cluster), the 8 walk-forwards and their
metrics, and the shutdown. Prints each time, the speed-up over serial, and
whether every result equals the serial run's bit for bit; the goal is at
least 1.6x over serial on 2 cores.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import pandas as pd

from regime.sweep import DaskEngine, LokyEngine, SerialEngine, build_plan, run_sweep
from regime.sweep.engine import usable_cores
from regime.sweep.results import RUN_DEPENDENT, collect

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "configs" / "demo.yaml"
GRID = ROOT / "configs" / "sweeps" / "demo_grid.yaml"
GOAL = 1.6


def main() -> None:
    """Run the sweep on each engine and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n-jobs", type=int, default=usable_cores(), help="processes or workers (default: cores)"
    )
    args = parser.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    plan = build_plan(BASE, GRID)
    n = args.n_jobs
    engines = [
        ("serial", lambda: SerialEngine()),
        (f"loky, {n} processes", lambda: LokyEngine(n)),
        (f"Dask LocalCluster, {n} worker processes", lambda: DaskEngine(None, n)),
    ]
    print(
        f"sweep of {len(plan.variants)} variants ({BASE.relative_to(ROOT)} x "
        f"{GRID.relative_to(ROOT)}) on {usable_cores()} core(s)"
    )
    times: dict[str, float] = {}
    tables: dict[str, pd.DataFrame] = {}
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        for index, (label, make) in enumerate(engines):
            out = Path(tmp) / f"run{index}"
            start = time.perf_counter()
            run = run_sweep(plan, make(), out, echo=lambda message: None)
            times[label] = time.perf_counter() - start
            assert len(run.ok) == len(plan.variants), run.failed
            tables[label] = collect(out, plan, reps=0).table.drop(columns=RUN_DEPENDENT)
            speedup = times["serial"] / times[label]
            print(f"  {label:<40} {times[label]:6.1f} s   {speedup:4.2f}x")
    reference = tables["serial"]
    same = {label: reference.equals(table) for label, table in tables.items() if label != "serial"}
    print(
        "results identical to the serial run: "
        + ", ".join(f"{'yes' if ok else 'NO'} ({label})" for label, ok in same.items())
    )
    print(f"goal: at least {GOAL}x over serial on 2 cores")
    print("repeat with: python benchmarks/bench_sweep.py")
    print(
        f"the same sweep from the command line: regime sweep --config {BASE.relative_to(ROOT)} "
        f"--grid {GRID.relative_to(ROOT)} --out DIR [--n-jobs 1 | --n-jobs {n} | "
        f"--cluster local --n-jobs {n}]"
    )


if __name__ == "__main__":
    main()
