"""Walk-forward on real history: French size terciles as legs, FRED rates as the only pillar.

Reads ../shared/data/real (see its MANIFEST.md); skips when it is absent. The
config is written to a temporary directory and points at those files, which
are never copied into the repository. Run from the repository root:

    python benchmarks/real_history.py

Legs: Kenneth French daily value-weighted size portfolios, Lo 30 vs Hi 30
(1926-07 to 2025-05). Features: cuts priced (DFF - DGS2) and cuts delivered over
six months, from FRED's daily DFF and DGS2 (1976-06 to 2024-01), read as
vendor CSVs (`kind: csv`) with a one-business-day publication lag. Training
ends where the FRED files end. Prints the out-of-sample metrics and timings.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"

CONFIG = """
name: real_rates
description: French Lo 30 vs Hi 30, rate-expectations pillar only (real history).
data:
  sources:
    - kind: french
      path: {real}/french/Portfolios_Formed_on_ME_Daily_VW_2025-05.csv
      table: 0
      columns: {{"Lo 30": SMALL_TR, "Hi 30": LARGE_TR}}
    - kind: csv
      path: {real}/fred/hist_to_2024-01/DFF.csv
      date_column: DATE
      date_format: "%m/%d/%Y"
      lag_days: 1
    - kind: csv
      path: {real}/fred/hist_to_2024-01/DGS2.csv
      date_column: DATE
      lag_days: 1
target: {{small: SMALL_TR, large: LARGE_TR, horizon_days: 63,
          sustained: {{min_excess_return: 0.0, min_share_of_days: 0.6}}}}
features:
  - builder: rate_expectations.cuts_priced
  - builder: rate_expectations.cuts_delivered
    params: {{months: 6}}
training: {{start: 1977-01-03, end: 2024-01-25}}
model: {{estimator: logistic, params: {{C: 0.01}}, bootstrap: 10}}
evaluation: {{min_train_days: 2520, step_days: 252}}
"""


def main() -> int:
    """Run the backtest and training on real history; print figures and the command."""
    if not REAL.is_dir():
        print(f"skipped: {REAL} not found (real data is not shipped with the repository)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "real_rates.yaml"
        config.write_text(CONFIG.format(real=REAL), encoding="utf-8")
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "regime.cli", "backtest", "--config", str(config), "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            print(proc.stderr.strip())
            return proc.returncode
        metrics = json.loads(proc.stdout)["metrics"]
    print(
        "real history: French Lo 30 vs Hi 30, 63-day sustained outperformance; "
        "rate-expectations pillar (FRED DFF, DGS2)"
    )
    print(
        f"  out of sample {metrics['oos_start']}..{metrics['oos_end']}, "
        f"{metrics['oos_rows']} days, {metrics['folds']} refits"
    )
    for key in ("auc", "brier", "brier_climatology", "brier_skill", "base_rate"):
        print(f"  {key:<18} {metrics[key]:.4f}")
    print(f"  backtest wall time {elapsed:.1f} s")
    print("repeat with: python benchmarks/real_history.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
