"""Wall time of `regime score` against the import floor, and of `make run` on a warm .venv.

Run from the repository root:  python benchmarks/bench_cli.py [--repeat N]
(`make bench` does the same). Needs a trained `models/demo.joblib` (it trains
one if missing). Runs the commands in interleaved rounds and prints medians; the ratio to the
import floor is the median of the per-round ratios, which is steadier than a
ratio of medians on a machine whose load drifts.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str]) -> float:
    """Wall time of one run of ``command`` (output discarded)."""
    start = time.perf_counter()
    subprocess.run(
        command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def interleaved(commands: dict[str, list[str]], repeat: int) -> dict[str, list[float]]:
    """Run the commands in turn, ``repeat`` rounds, so load drift hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            times[name].append(timed(command))
    return times


def main() -> None:
    """Print the figures and the command to repeat them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    # Byte-compile the package as a regular install would: with PYTHONDONTWRITEBYTECODE
    # set (as on this machine) every run would otherwise recompile it from source.
    subprocess.run([python, "-m", "compileall", "-q", "regime", "features"], cwd=ROOT, check=True)
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

    times = interleaved(
        {
            "floor": [python, "-c", "import pandas, sklearn"],
            "score": [python, "-m", "regime.cli", "score", "--model", "models/demo.joblib"],
            "json": [
                python,
                "-m",
                "regime.cli",
                "score",
                "--model",
                "models/demo.joblib",
                "--json",
            ],
        },
        args.repeat,
    )
    floor = statistics.median(times["floor"])
    score = statistics.median(times["score"])
    score_json = statistics.median(times["json"])
    ratio = statistics.median(s / f for s, f in zip(times["score"], times["floor"], strict=True))
    ratio_json = statistics.median(
        s / f for s, f in zip(times["json"], times["floor"], strict=True)
    )
    make_run = statistics.median(timed(["make", "run"]) for _ in range(max(1, args.repeat // 3)))
    print(f"sample 2000-2024 build (in process):       {sample:6.2f} s  (goal < 2 s)")
    print(f"import floor  python -c 'import pandas, sklearn': {floor:6.2f} s")
    print(
        f"regime score --model models/demo.joblib:   {score:6.2f} s  "
        f"= {ratio:.2f} x floor  (goal <= 1.5 x; median of per-round ratios)"
    )
    print(
        f"regime score ... --json:                   {score_json:6.2f} s  "
        f"= {ratio_json:.2f} x floor"
    )
    print(f"make run (warm .venv: train + score):      {make_run:6.2f} s  (goal < 20 s)")
    print(
        f"medians of {args.repeat} runs; repeat with: python benchmarks/bench_cli.py "
        f"--repeat {args.repeat}"
    )


if __name__ == "__main__":
    main()
