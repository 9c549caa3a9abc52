"""Walk-forward on real daily history with ``configs/real_us_daily.yaml``, in two periods.

Reads the public files of ``../shared/data/real`` (see its MANIFEST.md) or of
``--data-dir DIR``; prints a one-line skip message and exits 0 when the folder
is absent. Run from anywhere:

    python benchmarks/real_history.py [--data-dir DIR] [--report-dir DIR]

The config is copied to a temporary directory with its ``../../shared/data/real``
prefix replaced by the absolute data folder (the files are never copied into
the repository). The walk-forward then runs twice, ``regime backtest --report``
with ``evaluation.start/end`` set to 1995-01-01..2018-12-31 and to
2019-01-01..the last out-of-sample day; for each period it prints the report's
first table (the model against climatology, momentum, contrarian and each
pillar alone, AUC and Brier skill with 90% block-bootstrap intervals, ECE,
from ``metrics.json``'s ``baselines``), each feature's declared sign checked
alone on the same days (``sign_check``), the model's ECE and Brier skill, and
the wall time.

``--window development`` runs the same walk-forward scoring 1940-1994 only,
the out-of-sample years before the reported ones (about 227 independent
horizons, where 1985-1994 alone held about 40): try variants there
(``--config`` takes a variant of the config), and report a variant on the two
periods above once, saying how many were tried.

Then the knowledge-cutoff check: the config's observations are written to two
long CSV files with their ``known_at``, all of them and only those known by
2020-12-31; a model trained ``as_of: 2020-12-31`` on the first and one trained
without a cutoff on the second must score every day up to the cutoff
identically (fold models and final model). The check uses the config's
features and model with no bootstrap and yearly refits, to keep it cheap: the
property does not depend on either.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "real_us_daily.yaml"
PREFIX = "../../shared/data/real"
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "real"
#: The reported periods. Try variants on DEVELOPMENT only, then report them here once.
PERIODS: tuple[tuple[str, str, str | None], ...] = (
    ("1995-2018", "1995-01-01", "2018-12-31"),
    ("2019-end", "2019-01-01", None),
)
#: Out-of-sample years before the reported ones, for trying variants (--window development).
DEVELOPMENT: tuple[tuple[str, str, str | None], ...] = (("1940-1994", "1940-01-01", "1994-12-31"),)
CUTOFF = "2020-12-31"


def real_config(data_dir: Path, tmp: Path, source: Path = CONFIG) -> tuple[Path, dict[str, Any]]:
    """Write the config with its data prefix replaced by ``data_dir``; return path and mapping."""
    text = source.read_text(encoding="utf-8").replace(PREFIX, data_dir.resolve().as_posix())
    raw = yaml.safe_load(text)
    relative = [
        path
        for entry in raw["data"]["sources"]
        for key, value in entry.items()
        if key in ("path", "paths") or key.endswith("_path")
        for path in (value if isinstance(value, list) else [value])
        if path is not None and not Path(path).is_absolute()
    ]
    if relative:
        raise SystemExit(f"error: {source}: source path {relative[0]!r} is not under {PREFIX}")
    path = tmp / source.name
    path.write_text(text, encoding="utf-8")
    return path, raw


def period_config(raw: dict[str, Any], tmp: Path, label: str, start: str, end: str | None) -> Path:
    """Write a copy of the config scoring only ``start..end`` (``end`` None: to the last day)."""
    config = json.loads(json.dumps(raw, default=str))
    evaluation = config.setdefault("evaluation", {})
    evaluation["start"] = start
    if end is None:
        evaluation.pop("end", None)
    else:
        evaluation["end"] = end
    path = tmp / f"{raw['name']}_{label}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def backtest(config: Path, report: Path) -> tuple[dict[str, Any], float]:
    """Run ``regime backtest --report``; return ``metrics.json`` and the wall time in seconds."""
    start = time.perf_counter()
    command = ["regime.cli", "backtest", "--config", str(config), "--report", str(report)]
    proc = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr.strip() or f"regime backtest exited {proc.returncode}")
    metrics = json.loads((report / "metrics.json").read_text(encoding="utf-8"))
    return metrics, elapsed


def print_period(label: str, metrics: dict[str, Any], elapsed: float, rows: str = "days") -> None:
    """Print one period: the model against the baselines, then its ECE and Brier skill.

    ``rows`` names the scored rows: days, or months for monthly legs.
    """
    print(
        f"\n{label}: out of sample {metrics['oos_start']}..{metrics['oos_end']}, "
        f"{metrics['oos_rows']} {rows}, {metrics['folds']} refits, "
        f"{metrics['effective_horizons']:.1f} independent horizons, "
        f"base rate {metrics['base_rate']:.3f}"
    )
    print(
        f"  {'forecast':<26} {'rows':>6}  {'AUC':>5} {'(90% interval)':<16}"
        f" {'Brier skill':>11} {'(90% interval)':<18} {'ECE':>5}  AUC over climatology"
    )
    for row in metrics["baselines"]:
        print(
            f"  {row['forecast']:<26} {row['rows']:>6}  {row['auc']:.3f} "
            f"({row['auc_lower']:.3f}..{row['auc_upper']:.3f})  "
            f"{row['brier_skill']:>+11.4f} ({row['brier_skill_lower']:+.4f}.."
            f"{row['brier_skill_upper']:+.4f}) {row['ece']:.3f}  "
            f"{row['auc_over_climatology']:.3f} ({row['auc_over_climatology_lower']:.3f}.."
            f"{row['auc_over_climatology_upper']:.3f})"
        )
    print(f"  {'declared sign, feature alone':<42} {'prior':>5} {'rows':>6}  {'AUC':>5} (90%)")
    for row in metrics.get("sign_check", []):
        auc = (
            f"{row['auc']:.3f} ({row['auc_lower']:.3f}..{row['auc_upper']:.3f})"
            if row["auc"] is not None
            else "n/a"
        )
        prior = f"{row['prior']:+d}" if row["prior"] else "none"
        print(f"  {row['feature']:<42} {prior:>5} {row['rows']:>6}  {auc} {row['verdict']}")
    low, high = metrics["brier_skill_interval"]
    print(
        f"  model: ECE {metrics['ece']:.4f}, Brier skill {metrics['brier_skill']:+.4f} "
        f"(90% {low:+.4f}..{high:+.4f}), Brier {metrics['brier']:.4f} vs climatology "
        f"{metrics['brier_climatology']:.4f}; wall time {elapsed:.1f} s"
    )


def score_periods(
    args: argparse.Namespace,
    raw: dict[str, Any],
    tmp: Path,
    periods: tuple[tuple[str, str, str | None], ...],
    rows: str = "days",
) -> None:
    """Backtest ``raw`` over each (label, start, end) period and print its figures.

    A period's files are named by its label's first word.
    """
    for label, start, end in periods:
        slug = label.split(" ")[0]
        report = report_folder(args, tmp, slug)
        metrics, elapsed = backtest(period_config(raw, tmp, slug, start, end), report)
        print_period(label, metrics, elapsed, rows=rows)


def cutoff_check(config: Path, raw: dict[str, Any], tmp: Path) -> float:
    """Largest probability difference, up to the cutoff, between the two cutoff models."""
    from regime.config import load_config
    from regime.data._base import LoadContext
    from regime.data.sources import load_observations
    from regime.scoring import load_model
    from regime.training import train

    base = load_config(config)
    observations = load_observations(list(base.data.sources), LoadContext(base_dir=tmp))
    known = observations.loc[observations["known_at"] <= CUTOFF]
    models = []
    for name, table, as_of in (("cut_full", observations, CUTOFF), ("cut_known", known, None)):
        csv = tmp / f"{name}.csv"
        table.to_csv(csv, index=False, date_format="%Y-%m-%d")
        body = json.loads(json.dumps(raw, default=str))
        body["name"] = name
        body["data"] = {"sources": [{"kind": "csv", "path": str(csv), "layout": "long"}]}
        body["model"] = {**body.get("model", {}), "bootstrap": 0}
        body["evaluation"] = {**body.get("evaluation", {}), "step_days": 252}
        training = {k: v for k, v in body.get("training", {}).items() if k != "as_of"}
        if as_of is not None:
            training["as_of"] = as_of
        body["training"] = training
        path = tmp / f"{name}.yaml"
        path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
        models.append(load_model(train(path, tmp / "models").artifact_path))
    gaps = []
    for in_sample in (False, True):
        a, b = (m.history("1990-01-02", CUTOFF, in_sample=in_sample) for m in models)
        if list(a.index) != list(b.index):
            raise SystemExit("cutoff check: the two models score different days")
        gaps.append(float((a["probability"] - b["probability"]).abs().max()))
    return max(gaps)


def data_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--data-dir`` and ``--report-dir``, the options every real-history benchmark takes."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA,
        help="folder of the real files, laid out as in its MANIFEST.md "
        "(default: ../shared/data/real from the repository root)",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=None,
        help="keep each period's report (report.html, metrics.json, predictions.csv) in "
        "DIR/PERIOD (default: a temporary directory, removed afterwards)",
    )


def data_folder(args: argparse.Namespace) -> Path | None:
    """``--data-dir`` resolved, or None after printing the skip message when it is absent."""
    data_dir = args.data_dir.expanduser().resolve()
    if not data_dir.is_dir():
        print(f"skipped: {data_dir} not found (real data is not shipped with the repository)")
        return None
    return data_dir


def report_folder(args: argparse.Namespace, tmp: Path, label: str) -> Path:
    """Where one period's report goes: ``--report-dir``/label, or a fresh temporary folder."""
    report = (args.report_dir or tmp / "reports") / label
    if report.exists() and args.report_dir is None:
        shutil.rmtree(report)
    return report


def repeat_command(script: str, args: argparse.Namespace, data_dir: Path) -> str:
    """The command that repeats a run: the script and the data options that were given."""
    command = f"python benchmarks/{script}"
    if data_dir != DEFAULT_DATA.resolve():
        command += f" --data-dir {data_dir}"
    if args.report_dir is not None:
        command += f" --report-dir {args.report_dir}"
    return command


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_arguments(parser)
    parser.add_argument(
        "--config",
        type=Path,
        default=CONFIG,
        help="a variant of configs/real_us_daily.yaml to evaluate (same data prefix)",
    )
    parser.add_argument(
        "--window",
        choices=("report", "development"),
        default="report",
        help="report: the reported periods (1995-2018, 2019 on) and the cutoff check; "
        "development: 1940-1994 only, where variants are tried before being reported",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run both walk-forward periods and the cutoff check on real history; print figures."""
    args = parse_args(argv)
    data_dir = data_folder(args)
    if data_dir is None:
        return 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        config, raw = real_config(data_dir, tmp, args.config.resolve())
        print(
            f"real history: {args.config} on {data_dir}; French Lo 30 vs Hi 30 "
            f"(daily, VW), 63-day sustained outperformance; pillars alone refitted on the same "
            f"folds; intervals 90%, block bootstrap (block = 63 days)"
        )
        score_periods(args, raw, tmp, PERIODS if args.window == "report" else DEVELOPMENT)
        if args.window == "report":
            began = time.perf_counter()
            gap = cutoff_check(config, raw, tmp)
            print(
                f"\ncutoff check: as_of {CUTOFF} on all data vs on the rows known by then: "
                f"largest probability difference up to the cutoff {gap:.1e} "
                f"({time.perf_counter() - began:.1f} s)"
            )
    print(f"total wall time {time.perf_counter() - started:.1f} s")
    command = repeat_command("real_history.py", args, data_dir)
    if args.config != CONFIG:
        command += f" --config {args.config}"
    if args.window != "report":
        command += f" --window {args.window}"
    print(f"repeat with: {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
