"""`regime score` on a large vendor CSV: cold (parse) vs warm (parsed-file cache).

Run from the repository root:  python benchmarks/bench_cache.py [--repeat N] [--keep]

Writes, in a temporary directory, a long-layout vendor CSV (series, date, value,
known_at) of eight daily series of the simulated sample over 1975-2024 (>= 100,000
rows): the two legs, ETF flows and assets, forward P/Es. A config reads only that
file; a small model (flows, valuations, momentum) is trained on it. Then
`regime score` is timed against the `python -c "import pandas, sklearn"` floor
in interleaved rounds (as benchmarks/bench_cli.py does): *cold* runs delete
`<cache>/parsed/` first, so the CSV is parsed; *warm* runs read the parsed
table from the cache. Ratios are medians of per-round ratios. The goal is a
warm score at most 1.5 x the floor.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERIES = (
    "SMALL_TR",
    "LARGE_TR",
    "SMALL_ETF_FLOW",
    "LARGE_ETF_FLOW",
    "SMALL_ETF_AUM",
    "LARGE_ETF_AUM",
    "SMALL_FWD_PE",
    "LARGE_FWD_PE",
)
CONFIG = """\
name: bench_cache
description: Eight daily series of the simulated sample, read from one long vendor CSV.
data:
  sources:
    - kind: csv
      path: vendor.csv
      layout: long
target: {small: SMALL_TR, large: LARGE_TR, kind: return, horizon_days: 63}
features:
  - builder: flows.relative_flow
    params: {trend_days: 20}
  - builder: valuations.relative_pe
    params: {window_days: 2520, min_days: 504}
  - builder: momentum.relative_return
model:
  estimator: logistic
  params: {C: 0.1}
  bootstrap: 10
evaluation: {min_train_days: 5040, step_days: 1260}
"""


def write_inputs(work: Path) -> int:
    """Write ``vendor.csv`` and ``bench.yaml`` into ``work``; return the CSV's rows."""
    from regime.data.sample import simulate_sample

    sample = simulate_sample(7, "1975-01-02", "2024-12-31")
    rows = sample.loc[sample["series"].isin(SERIES)].sort_values(["series", "date", "known_at"])
    out = rows.assign(
        date=rows["date"].dt.strftime("%Y-%m-%d"),
        known_at=rows["known_at"].dt.strftime("%Y-%m-%d"),
        value=[repr(float(v)) for v in rows["value"]],
    )
    out.to_csv(work / "vendor.csv", index=False, columns=["series", "date", "value", "known_at"])
    (work / "bench.yaml").write_text(CONFIG)
    return len(out)


def timed(command: list[str]) -> float:
    """Wall time of one run of ``command`` (output discarded)."""
    start = time.perf_counter()
    subprocess.run(
        command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> None:
    """Print the figures and the command to repeat them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    python = sys.executable
    # Byte-compile as a regular install would (PYTHONDONTWRITEBYTECODE may be set).
    subprocess.run([python, "-m", "compileall", "-q", "regime", "features"], cwd=ROOT, check=True)

    work = Path(tempfile.mkdtemp(prefix="bench_cache_"))
    try:
        rows = write_inputs(work)
        size = (work / "vendor.csv").stat().st_size
        cache = work / "cache"
        parsed = cache / "parsed"
        common = ["--cache-dir", str(cache)]
        subprocess.run(
            [python, "-m", "regime.cli", "train", "--config", str(work / "bench.yaml"),
             "--models-dir", str(work / "models"), *common],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        model = str(work / "models" / "bench_cache.joblib")
        score = [python, "-m", "regime.cli", "score", "--model", model, *common, "--json"]

        shutil.rmtree(parsed, ignore_errors=True)
        cold_out = subprocess.run(score, cwd=ROOT, check=True, capture_output=True).stdout
        warm_out = subprocess.run(score, cwd=ROOT, check=True, capture_output=True).stdout
        same = cold_out == warm_out

        times: dict[str, list[float]] = {"floor": [], "cold": [], "warm": []}
        for _ in range(args.repeat):
            times["floor"].append(timed([python, "-c", "import pandas, sklearn"]))
            shutil.rmtree(parsed, ignore_errors=True)
            times["cold"].append(timed(score))
            times["warm"].append(timed(score))  # the cold run just wrote the entry
        floor = statistics.median(times["floor"])

        def ratio(name: str) -> float:
            pairs = zip(times[name], times["floor"], strict=True)
            return statistics.median(t / f for t, f in pairs)

        print(f"vendor CSV: {rows:,} rows, {size / 1e6:.1f} MB (long layout, 8 series)")
        print(f"import floor  python -c 'import pandas, sklearn': {floor:6.2f} s")
        for name, what in (("cold", "no cache, parses"), ("warm", "parsed-file cache")):
            print(
                f"regime score ({name}, {what}): {statistics.median(times[name]):6.2f} s  "
                f"= {ratio(name):.2f} x floor" + ("  (goal <= 1.5 x)" if name == "warm" else "")
            )
        print(f"cold and warm scorecards identical: {same}")
        print(f"score command: {' '.join(score)}")
        print(
            f"medians of {args.repeat} interleaved rounds; repeat with: "
            f"python benchmarks/bench_cache.py --repeat {args.repeat}"
        )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
