"""Walk-forward on real history: French size terciles as legs, FRED rates and CFTC positioning.

Reads ../shared/data/real (see its MANIFEST.md); skips when it is absent. The
config is written to a temporary directory and points at those files, which
are never copied into the repository. Run from the repository root:

    python benchmarks/real_history.py

Legs: Kenneth French daily value-weighted size portfolios, Lo 30 vs Hi 30
(1926-07 to 2025-05). Features: cuts priced (DFF - DGS2) and cuts delivered over
six months, from FRED's daily DFF and DGS2 (1976-06 to 2024-01), read as
vendor CSVs (`kind: csv`) with a one-business-day publication lag; and the
CFTC leveraged-funds net position in the Russell 2000 E-mini (TFF, from
2017-08, with gaps), a pillar that starts decades after the others and must not
truncate the training window. Knowledge cutoff 2024-01-25, where the FRED files
end.

Then the cutoff check: the observations are written to two long CSV files with
their ``known_at``, all of them and only those known by 2020-12-31; a model
trained ``as_of: 2020-12-31`` on the first and one trained on the second must
score every day up to the cutoff identically. Prints the out-of-sample metrics,
the check and timings.
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
    - kind: cftc
      report: tff
      paths: [{real}/cftc/TFF_equity_index_CME_2017-2026_extract.csv]
      contracts: {{"239742": RTY}}
target: {{small: SMALL_TR, large: LARGE_TR, horizon_days: 63,
          sustained: {{min_excess_return: 0.0, min_share_of_days: 0.6}}}}
features:
  - builder: rate_expectations.cuts_priced
  - builder: rate_expectations.cuts_delivered
    params: {{months: 6}}
  - builder: positioning.net_spec_z
    params: {{net_position: RTY_LEV_NET_OI, window_days: 756, min_days: 104}}
training: {{start: 1977-01-03, as_of: 2024-01-25}}
model: {{estimator: logistic, params: {{C: 0.01}}, bootstrap: 10}}
evaluation: {{min_train_days: 2520, step_days: 252}}
"""


CUTOFF = "2020-12-31"


def backtest(config: Path) -> tuple[dict, float]:
    """Run ``regime backtest --json`` on ``config``; return its metrics and the wall time."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "regime.cli", "backtest", "--config", str(config), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr.strip())
    return json.loads(proc.stdout)["metrics"], time.perf_counter() - start


def cutoff_check(config: Path, tmp: Path) -> float:
    """Largest probability difference, up to the cutoff, between the two cutoff models."""
    from regime.config import load_config
    from regime.data._base import LoadContext
    from regime.data.sources import load_observations
    from regime.scoring import load_model
    from regime.training import train

    base = load_config(config)
    observations = load_observations(list(base.data.sources), LoadContext(base_dir=tmp))
    known = observations.loc[observations["known_at"] <= CUTOFF]
    text = config.read_text(encoding="utf-8")
    features = text[text.index("target:") :].replace("as_of: 2024-01-25", "as_of: " + CUTOFF)
    models = []
    for name, table, as_of in (("cut_full", observations, True), ("cut_known", known, False)):
        csv = tmp / f"{name}.csv"
        table.to_csv(csv, index=False, date_format="%Y-%m-%d")
        body = features if as_of else features.replace(", as_of: " + CUTOFF, "")
        path = tmp / f"{name}.yaml"
        path.write_text(
            f"name: {name}\ndata: {{sources: [{{kind: csv, path: {csv}, layout: long}}]}}\n"
            + body.replace("bootstrap: 10", "bootstrap: 0"),
            encoding="utf-8",
        )
        models.append(load_model(train(path, tmp / "models").artifact_path))
    gaps = []
    for in_sample in (False, True):
        a, b = (m.history("1990-01-02", CUTOFF, in_sample=in_sample) for m in models)
        gaps.append(float((a["probability"] - b["probability"]).abs().max()))
        assert list(a.index) == list(b.index)
    return max(gaps)


def main() -> int:
    """Run the walk-forward and the cutoff check on real history; print figures."""
    if not REAL.is_dir():
        print(f"skipped: {REAL} not found (real data is not shipped with the repository)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "real_rates.yaml"
        config.write_text(CONFIG.format(real=REAL), encoding="utf-8")
        metrics, elapsed = backtest(config)
        print(
            "real history: French Lo 30 vs Hi 30, 63-day sustained outperformance; "
            "rate expectations (FRED DFF, DGS2) and positioning (CFTC TFF Russell E-mini, "
            "from 2017)"
        )
        print(
            f"  out of sample {metrics['oos_start']}..{metrics['oos_end']}, "
            f"{metrics['oos_rows']} days, {metrics['folds']} refits"
        )
        for key in ("auc", "brier", "brier_climatology", "brier_skill", "base_rate"):
            print(f"  {key:<18} {metrics[key]:.4f}")
        print(f"  backtest wall time {elapsed:.1f} s")
        start = time.perf_counter()
        gap = cutoff_check(config, Path(tmp))
        print(
            f"cutoff check: as_of {CUTOFF} on all data vs on the rows known by then: "
            f"largest probability difference up to the cutoff {gap:.1e} "
            f"({time.perf_counter() - start:.1f} s)"
        )
    print("repeat with: python benchmarks/real_history.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
