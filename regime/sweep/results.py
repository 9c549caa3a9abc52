"""The sweep's table: one row per variant tried in the output directory.

Every variant with a ``result.json`` under ``DIR/variants`` is a row, the
current grid's first (in grid order), then any left by earlier grids run
into the same directory: they were tried, so they count. Columns: ``rank``
(by out-of-sample AUC among the variants that finished), ``id``, every swept
field, ``status`` and ``error``, the out-of-sample metrics with their 90%
block-bootstrap intervals, the overlay's statistics, the deflated Sharpe
ratio given the variants tried, ``runtime_s``, ``attempts``, ``worker``,
``engine`` and ``artifact``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from regime._io import atomic_write_bytes, atomic_write_text, json_safe
from regime.sweep.grid import SweepPlan
from regime.sweep.runner import PREDICTIONS_FILE, RESULT_FILE, variant_dir
from regime.sweep.selection import SelectionView, deflated_sharpe, selection_view, trials_of

METRIC_COLUMNS = [
    "auc",
    "auc_lower",
    "auc_upper",
    "brier_skill",
    "brier_skill_lower",
    "brier_skill_upper",
    "brier",
    "brier_climatology",
    "log_loss",
    "ece",
    "base_rate",
    "mean_probability",
    "oos_rows",
    "oos_start",
    "oos_end",
    "folds",
    "effective_horizons",
    "horizon",
    "overweight_calls",
    "overweight_hit_rate",
    "underweight_calls",
    "underweight_hit_rate",
    "overlay_periods",
    "overlay_annual_return",
    "overlay_annual_volatility",
    "overlay_sharpe",
    "overlay_max_drawdown",
    "deflated_sharpe",
]
COUNT_COLUMNS = {
    "oos_rows",
    "folds",
    "horizon",
    "overweight_calls",
    "underweight_calls",
    "overlay_periods",
}
RUN_COLUMNS = ["runtime_s", "attempts", "worker", "engine", "artifact"]
#: Columns that depend on where and when a variant ran, not on what it computed.
RUN_DEPENDENT = ["runtime_s", "attempts", "worker", "engine"]


@dataclass(frozen=True)
class SweepResults:
    """The table, the selection view and the raw records behind them."""

    table: pd.DataFrame
    selection: SelectionView
    records: list[dict[str, Any]]
    swept: list[str]
    in_grid: int


def read_records(out: Path, plan: SweepPlan) -> list[dict[str, Any]]:
    """Every recorded variant: the plan's in grid order, then the others by id."""
    ids = [v.id for v in plan.variants]
    others = sorted(
        p.parent.name
        for p in (out / "variants").glob(f"*/{RESULT_FILE}")
        if p.parent.name not in set(ids)
    )
    records = []
    for variant_id in [*ids, *others]:
        path = variant_dir(out, variant_id) / RESULT_FILE
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return records


def read_predictions(out: Path, variant_id: str) -> pd.DataFrame:
    """A variant's out-of-sample predictions (written with round-trip float precision)."""
    return pd.read_csv(
        variant_dir(out, variant_id) / PREDICTIONS_FILE,
        index_col="date",
        parse_dates=["date"],
    )


def collect(out: Path, plan: SweepPlan, reps: int = 500) -> SweepResults:
    """Read every recorded variant of ``out`` into the table and the selection view."""
    records = read_records(out, plan)
    ok = [r for r in records if r.get("status") == "ok"]
    trials = trials_of(len(ok), plan.base.evaluation.trials)
    metrics = {r["id"]: r.get("metrics") or {} for r in ok}
    predictions = {}
    for record in ok:
        try:
            predictions[record["id"]] = read_predictions(out, record["id"])
        except (OSError, ValueError, KeyError):
            continue
    view = selection_view(metrics, predictions, trials, reps=reps)
    swept = list(plan.swept_paths)
    for record in records:
        for path in record.get("assignment") or {}:
            if path not in swept:
                swept.append(path)
    table = results_table(records, swept, trials)
    return SweepResults(table, view, records, swept, len(plan.variants))


def results_table(records: list[dict[str, Any]], swept: list[str], trials: int) -> pd.DataFrame:
    """One row per record, columns as in the module docstring."""
    rows = []
    for record in records:
        metrics = record.get("metrics") or {}
        row: dict[str, Any] = {"id": record["id"]}
        assignment = record.get("assignment") or {}
        row.update({path: assignment.get(path) for path in swept})
        row["status"] = record.get("status")
        row["error"] = record.get("error")
        for column in METRIC_COLUMNS:
            row[column] = metrics.get(column)
        if record.get("status") == "ok":
            row["deflated_sharpe"] = deflated_sharpe(metrics, trials)
        row.update({column: record.get(column) for column in RUN_COLUMNS})
        rows.append(row)
    columns = ["id", *swept, "status", "error", *METRIC_COLUMNS, *RUN_COLUMNS]
    table = pd.DataFrame(rows, columns=columns)
    for column in METRIC_COLUMNS:
        if column in COUNT_COLUMNS:
            table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
        elif column not in ("oos_start", "oos_end"):
            table[column] = pd.to_numeric(table[column], errors="coerce").astype("float64")
    ranked = table["auc"].where(table["status"] == "ok")
    rank = ranked.rank(ascending=False, method="first")
    table.insert(0, "rank", rank.astype("Int64"))
    return table


def write_results(out: Path, results: SweepResults) -> list[Path]:
    """``results.csv``, ``results.parquet`` (when pyarrow is installed) and ``selection.json``."""
    written = []
    csv_path = out / "results.csv"
    atomic_write_text(csv_path, results.table.to_csv(index=False))
    written.append(csv_path)
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        pass
    else:
        import io

        buffer = io.BytesIO()
        results.table.astype({c: "string" for c in results.swept}).to_parquet(buffer, index=False)
        parquet = out / "results.parquet"
        atomic_write_bytes(parquet, buffer.getvalue())
        written.append(parquet)
    selection = {
        **results.selection.as_dict(),
        "sentence": results.selection.sentence(),
        "variants_recorded": len(results.records),
        "variants_in_grid": results.in_grid,
    }
    path = out / "selection.json"
    atomic_write_text(path, json.dumps(json_safe(selection), indent=2) + "\n")
    written.append(path)
    return written


def format_number(value: Any, spec: str = ".3f") -> str:
    """A number for the summary, ``-`` when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)
