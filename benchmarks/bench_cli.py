"""Wall time of `regime score` against the import floor, and of `make run` on a warm .venv.

Run from the repository root:  python benchmarks/bench_cli.py [--repeat N]
(`make bench` does the same). Needs a trained `models/demo.joblib` (it trains
one if missing). Prints medians over N runs of each command.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], repeat: int) -> float:
    """Median wall time of ``command`` over ``repeat`` runs (output discarded)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print the figures and the command to repeat them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    if not (ROOT / "models" / "demo.joblib").exists():
        subprocess.run(
            [python, "-m", "regime.cli", "train", "--config", "configs/demo.yaml"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    from regime.data.sample import simulate_sample

    start = time.perf_counter()
    simulate_sample(7, "2000-01-03", "2024-12-31")
    sample = time.perf_counter() - start

    floor = timed([python, "-c", "import pandas, sklearn"], args.repeat)
    score = timed(
        [python, "-m", "regime.cli", "score", "--model", "models/demo.joblib"], args.repeat
    )
    score_json = timed(
        [python, "-m", "regime.cli", "score", "--model", "models/demo.joblib", "--json"],
        args.repeat,
    )
    make_run = timed(["make", "run"], max(1, args.repeat // 2))
    print(f"sample 2000-2024 build (in process):       {sample:6.2f} s  (goal < 2 s)")
    print(f"import floor  python -c 'import pandas, sklearn': {floor:6.2f} s")
    print(
        f"regime score --model models/demo.joblib:   {score:6.2f} s  "
        f"= {score / floor:.2f} x floor  (goal <= 1.5 x)"
    )
    print(
        f"regime score ... --json:                   {score_json:6.2f} s  "
        f"= {score_json / floor:.2f} x floor"
    )
    print(f"make run (warm .venv: train + score):      {make_run:6.2f} s  (goal < 20 s)")
    print(
        f"medians of {args.repeat} runs; repeat with: python benchmarks/bench_cli.py "
        f"--repeat {args.repeat}"
    )


if __name__ == "__main__":
    main()
