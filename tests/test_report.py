"""`regime backtest --report DIR`: predictions, metrics with intervals, baselines, plots."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def report_dir(run_cli, small_config_path: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    proc = run_cli("backtest", "--config", small_config_path, "--report", out)
    assert proc.returncode == 0, proc.stderr
    assert "the model against simple rules" in proc.stdout
    return out


def test_predictions_csv_has_the_columns_a_quant_needs(report_dir: Path):
    frame = pd.read_csv(report_dir / "predictions.csv", parse_dates=["date"], index_col="date")
    for column in ("probability", "label", "climatology", "fold"):
        assert column in frame
    pillars = [c for c in frame if c.startswith("contribution:")]
    assert {p.split(":", 1)[1] for p in pillars} >= {"flows", "earnings_revisions"}
    for name in ("momentum", "contrarian", "pillar:earnings_revisions"):
        assert f"baseline:{name}" in frame
        assert frame[f"baseline:{name}"].between(0, 1).all()
    assert frame.index.is_monotonic_increasing and frame["label"].isin([0, 1]).all()


def test_metrics_json_carries_intervals_baselines_and_the_overlay(report_dir: Path):
    metrics = json.loads((report_dir / "metrics.json").read_text())
    low, high = metrics["auc_interval"]
    assert low <= metrics["auc"] <= high
    low, high = metrics["brier_skill_interval"]
    assert low <= metrics["brier_skill"] <= high
    assert 0 <= metrics["ece"] <= 1 and metrics["effective_horizons"] > 1
    forecasts = [row["forecast"] for row in metrics["baselines"]]
    assert forecasts[:4] == ["model", "climatology", "momentum", "contrarian"]
    for key in ("annual_return", "sharpe", "max_drawdown", "deflated_sharpe"):
        assert key in metrics["overlay"]
    low, median, high = metrics["overlay"]["sharpe_across_starts"]
    assert low <= metrics["overlay"]["sharpe"] <= high and low <= median <= high
    assert metrics["stance_overweight_calls"] <= metrics["overweight_calls"]
    assert metrics["stance_underweight_calls"] <= metrics["underweight_calls"]
    bins = metrics["reliability"]
    assert sum(row["rows"] for row in bins) == metrics["oos_rows"]
    gaps = sum(row["rows"] * abs(row["observed"] - row["predicted"]) for row in bins)
    assert gaps / metrics["oos_rows"] == pytest.approx(metrics["ece"])
    for row in bins:
        assert row["lower"] <= row["predicted"] <= row["upper"]
    checks = {row["feature"]: row for row in metrics["sign_check"]}
    assert checks["earnings_revisions.breadth_spread"]["prior"] == 1
    assert {row["verdict"] for row in checks.values()} <= {
        "held", "reversed", "unclear", "no prior", "too few"
    }  # fmt: skip


def test_report_html_is_self_contained_with_every_plot(report_dir: Path):
    page = (report_dir / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 5
    assert "SYNTHETIC DATA" in page and "The model against simple rules" in page
    assert "<h2>Calibration</h2>" in page
    assert "<th>out-of-sample days</th>" in page and "configuration(s) tried on them" in page
    assert "Declared signs, out of sample" in page
    assert "sustained outperformance over 63 trading days" in page
    metrics = json.loads((report_dir / "metrics.json").read_text())
    for side in ("overweight", "underweight"):  # a side with no call says so, not "n/a of 0"
        calls = metrics[f"stance_{side}_calls"]
        assert (f"{side} none" in page) == (calls == 0), (side, calls)
    assert "n/a right of 0" not in page
    for name in ("probability", "reliability", "contributions", "overlay", "skill_by_year"):
        assert (report_dir / f"{name}.png").stat().st_size > 5000


def test_each_kind_of_call_is_read_against_making_it_every_day(report_dir: Path):
    """A hit rate means nothing beside the base rate: always-overweight is right that often."""
    page = (report_dir / "report.html").read_text()
    metrics = json.loads((report_dir / "metrics.json").read_text())
    horizon = metrics["horizon"]
    for side, always in (
        ("overweight", metrics["base_rate"]),
        ("underweight", 1.0 - metrics["base_rate"]),
    ):
        calls = metrics[f"{side}_calls"]
        if calls:
            line = (
                f"{metrics[f'{side}_hit_rate']:.3f} right of {calls} trading days (about "
                f"{calls / horizon:.1f} horizons; always {side}: {always:.3f})"
            )
            assert line in page, line
        else:
            assert re.search(rf"{side} calls \(probability \w+ [0-9.]+\)</th><td>none<", page)


def test_a_recalibrated_model_is_shown_beside_its_raw_walk_forward(
    run_cli, small_config: dict, tmp_path: Path
):
    from conftest import _dump

    small_config["model"]["calibration"] = "shrink"
    small_config["evaluation"]["min_calibration_days"] = 126
    (tmp_path / "shrunk.yaml").write_text(_dump(small_config), encoding="utf-8")
    proc = run_cli("backtest", "--config", tmp_path / "shrunk.yaml", "--report", tmp_path / "r")
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(tmp_path / "r" / "predictions.csv", index_col="date")
    assert list(frame.columns[:2]) == ["probability", "raw"]
    recalibrated = frame.loc[frame["probability"] != frame["raw"]]
    assert len(recalibrated) > 0  # the later folds are shrunk toward their base rate
    shrunk = (recalibrated["probability"] - recalibrated["climatology"]).abs()
    assert (shrunk <= (recalibrated["raw"] - recalibrated["climatology"]).abs() + 1e-12).all()
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    forecasts = [row["forecast"] for row in metrics["baselines"]]
    assert forecasts[:3] == ["model", "model before recalibration", "climatology"]


def test_a_pillar_the_config_leaves_out_gets_no_column(run_cli, small_config: dict, tmp_path):
    from conftest import _dump

    kept = ("valuations.", "rate_expectations.", "earnings_revisions.")
    small_config["features"] = [
        f for f in small_config["features"] if f["builder"].startswith(kept)
    ]
    (tmp_path / "three.yaml").write_text(_dump(small_config), encoding="utf-8")
    proc = run_cli("backtest", "--config", tmp_path / "three.yaml", "--report", tmp_path / "r")
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(tmp_path / "r" / "predictions.csv", index_col="date")
    pillars = [c.split(":", 1)[1] for c in frame if c.startswith("contribution:")]
    assert pillars == ["valuations", "rate_expectations", "earnings_revisions"]
    alone = [c.removeprefix("baseline:pillar:") for c in frame if c.startswith("baseline:pillar:")]
    assert alone == pillars


def test_stance_hit_rates_count_only_the_calls_a_record_allowed():
    from types import SimpleNamespace

    from regime.config import StanceConfig
    from regime.evaluation.report import stance_hit_rates

    skilled = {"brier_skill_interval": [0.01, 0.05]}
    unskilled = {"brier_skill_interval": [-0.01, 0.05]}
    folds = [
        SimpleNamespace(fold=0, record=None),
        SimpleNamespace(fold=1, record=unskilled),
        SimpleNamespace(fold=2, record=skilled),
    ]
    predictions = pd.DataFrame(
        {
            "probability": [0.9, 0.1, 0.9, 0.5, 0.9, 0.9, 0.1, 0.5],
            "label": [1, 0, 1, 1, 1, 0, 1, 0],
            "fold": [0, 0, 1, 1, 2, 2, 2, 2],
        }
    )
    stance = StanceConfig(overweight_above=0.6, underweight_below=0.4)
    rates = stance_hit_rates(predictions, folds, stance)
    assert rates == {
        "stance_overweight_calls": 2,  # fold 2 only
        "stance_overweight_hit_rate": 0.5,
        "stance_underweight_calls": 1,
        "stance_underweight_hit_rate": 0.0,
        "stance_held_at_neutral": 3,  # folds 0 and 1: no record, or one that includes no skill
    }


@pytest.mark.parametrize(
    ("dates", "window"),
    [
        (pd.bdate_range("2000-01-03", periods=400), 252),
        (pd.date_range("2000-01-04", periods=120, freq="W-TUE"), 52),
        (pd.date_range("1990-01-31", periods=40, freq="ME"), 12),
    ],
)
def test_momentum_baseline_looks_back_twelve_months_whatever_the_legs_spacing(dates, window):
    from regime.evaluation.report import relative_momentum

    rng = np.random.default_rng(7)
    legs = pd.DataFrame(
        {"small": rng.normal(0, 0.01, len(dates)), "large": rng.normal(0, 0.01, len(dates))},
        index=dates,
    )
    legs["known_at"] = dates
    momentum = relative_momentum(legs)
    assert momentum.iloc[: window - 1].isna().all() and momentum.iloc[window - 1 :].notna().all()
    last = np.log1p(legs["small"]) - np.log1p(legs["large"])
    assert momentum.iloc[-1] == pytest.approx(last.iloc[-window:].sum(), rel=1e-12)


def test_momentum_baseline_reads_only_the_returns_published_by_each_day():
    """Monthly legs published two months late: on day t the signal ends two months back,
    and changing a return not yet out on t leaves t's signal as it was."""
    from regime.evaluation.report import relative_momentum

    dates = pd.date_range("1990-01-31", periods=40, freq="ME")
    rng = np.random.default_rng(3)
    legs = pd.DataFrame(
        {"small": rng.normal(0, 0.03, 40), "large": rng.normal(0, 0.01, 40)}, index=dates
    )
    legs["known_at"] = dates.shift(2, freq="ME")
    momentum = relative_momentum(legs)
    relative = np.log1p(legs["small"]) - np.log1p(legs["large"])
    assert momentum.iloc[:13].isna().all()
    assert momentum.iloc[13] == pytest.approx(relative.iloc[:12].sum(), rel=1e-12)
    assert momentum.iloc[-1] == pytest.approx(relative.iloc[-14:-2].sum(), rel=1e-12)
    later = legs.copy()
    later.loc[dates[-1], "small"] += 0.5  # out two months after the last day
    assert relative_momentum(later).iloc[-1] == momentum.iloc[-1]
    between = relative_momentum(legs, pd.DatetimeIndex([dates[20] + pd.Timedelta(days=3)]))
    assert between.iloc[0] == momentum.iloc[20]
