"""The backtest report: predictions.csv, metrics.json and a self-contained report.html.

Everything in it is out of sample: the walk-forward's own predictions, each
made by a model fitted on labels known before that day, scored against
baselines refitted on the same folds, and the economic view of trading them.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regime import plots
from regime._io import atomic_write_text, json_safe
from regime.config import Config, StanceConfig
from regime.evaluation.baselines import (
    baseline_table,
    standard_baselines,
    walk_forward_folds,
)
from regime.evaluation.metrics import brier_skill, evaluate, hit_rates, reliability_table
from regime.evaluation.overlay import model_overlay
from regime.evaluation.priors import MIN_VERDICT_HORIZONS, sign_check
from regime.evaluation.walk_forward import WalkForwardResult
from regime.fitted import FittedModel
from regime.labels import horizon_unit, rows_noun, steps_per_year
from regime.scorecard import pillar_shapley, record_allows_a_call


@dataclass(frozen=True)
class Report:
    """What the report holds: predictions with contributions and baselines, and the numbers."""

    predictions: pd.DataFrame
    metrics: dict[str, Any]
    baselines: pd.DataFrame
    overlay: pd.DataFrame
    priors: pd.DataFrame  # each feature's declared sign checked on the scored days
    reliability: pd.DataFrame  # by 0.1-wide probability bin: predicted, observed, rows


def oos_contributions(
    result: WalkForwardResult, X: pd.DataFrame, pillar_of: dict[str, str], pillars: list[str]
) -> pd.DataFrame:
    """Pillar contributions (probability points) of every out-of-sample prediction.

    Each row is attributed with the fold model that predicted it, against that
    model's own neutral values, so baseline plus contributions equals the
    reported probability.
    """
    parts = []
    for model in result.folds:
        days = result.predictions.index[result.predictions["fold"].to_numpy() == model.fold]
        if days.empty:
            continue
        neutral = pd.Series(model.neutral, dtype="float64")[list(X.columns)]
        attribution = pillar_shapley(model.predict_proba, X.loc[days], neutral, pillar_of, pillars)
        parts.append(attribution.contributions)
    return pd.concat(parts).reindex(result.predictions.index)


def relative_momentum(legs: pd.DataFrame, dates: pd.DatetimeIndex | None = None) -> pd.Series:
    """Trailing 12-month relative log return of the legs, as known on each of ``dates``.

    Twelve months of the legs' own steps: 252 trading days, 52 weeks or 12
    months. On day t it sums the latest twelve months of returns published by
    t (column ``known_at``; a return counts once it and every earlier one are
    known), so a leg published with a lag is not read before it was out.
    ``dates`` defaults to the legs' own dates; NaN until a year is known.
    """
    periods = steps_per_year(legs.index)
    relative = (np.log1p(legs["small"]) - np.log1p(legs["large"])).to_numpy(dtype="float64")
    total = np.concatenate([[0.0], np.cumsum(relative)])
    published = pd.DatetimeIndex(legs["known_at"].cummax()).as_unit("ns").asi8
    dates = legs.index if dates is None else dates
    known = np.searchsorted(published, pd.DatetimeIndex(dates).as_unit("ns").asi8, side="right")
    values = total[known] - total[np.maximum(known - periods, 0)]
    return pd.Series(np.where(known >= periods, values, np.nan), index=dates)


#: The row of the model's walk-forward probabilities before recalibration.
RAW = "model before recalibration"


def build_report(
    config: Config,
    result: WalkForwardResult,
    X: pd.DataFrame,
    y: pd.Series,
    legs: pd.DataFrame,
    pillar_of: dict[str, str],
    pillars: list[str],
    reps: int = 500,
    signs: Mapping[str, int] | None = None,
) -> Report:
    """Compute everything the report shows (nothing is written).

    ``signs`` are the features' declared signs (absent: no prior), checked on
    the scored days by :func:`regime.evaluation.priors.sign_check`.
    """
    horizon = config.target.horizon_days
    stance = config.stance
    predictions = result.predictions[["probability", "label", "climatology", "fold"]].copy()
    folds = walk_forward_folds(result.predictions, result.folds, y.index)
    # Pillars the config gives no feature say nothing: no column, no baseline.
    pillars = [p for p in pillars if any(pillar_of[c] == p for c in X.columns)]
    by_pillar = {pillar: X[[c for c in X.columns if pillar_of[c] == pillar]] for pillar in pillars}
    momentum = relative_momentum(legs, X.index)
    baselines = standard_baselines(predictions, y, folds, momentum, by_pillar)
    if config.model.calibration != "none":
        # The same walk-forward before recalibration: what the recalibration cost or gained.
        baselines = {RAW: result.predictions["raw"], **baselines}
    table = baseline_table(predictions, baselines, horizon, reps=reps)
    contributions = oos_contributions(result, X, pillar_of, pillars)
    out = predictions.join(contributions.add_prefix("contribution:"))
    for name, series in baselines.items():
        if name == RAW:
            out.insert(1, "raw", series.reindex(out.index))
        elif name != "climatology":
            out[f"baseline:{name}"] = series.reindex(out.index)
    overlay, economics, _ = model_overlay(predictions, legs, horizon, config.evaluation.trials)
    metrics = evaluate(
        predictions, horizon, stance.overweight_above, stance.underweight_below, reps=reps
    )
    metrics.update(stance_hit_rates(predictions, result.folds, stance))
    metrics["overlay"] = economics.as_dict()
    metrics["configurations_tried"] = config.evaluation.trials
    metrics["baselines"] = _records(table, "forecast")
    reliability = reliability_table(predictions["label"], predictions["probability"])
    metrics["reliability"] = _records(reliability, "bin")
    priors = sign_check(X, predictions["label"], signs or {}, pillar_of, horizon, reps=reps)
    metrics["sign_check"] = _records(priors, "feature")
    return Report(out, metrics, table, overlay, priors, reliability)


def stance_hit_rates(
    predictions: pd.DataFrame, folds: list[FittedModel], stance: StanceConfig
) -> dict[str, float | int]:
    """Hit rates of the stances the scorecard would have printed, day by day.

    A day's stance is an overweight or underweight call only when the fold
    model that scored it had a record whose Brier skill interval lay above
    zero (:func:`regime.scorecard.record_allows_a_call`); otherwise it was
    held at neutral. ``stance_held_at_neutral`` counts the days whose
    probability alone would have made a call.
    """
    allowed = {model.fold: record_allows_a_call(model.record) for model in folds}
    earned = predictions["fold"].map(allowed).fillna(False).astype(bool).to_numpy()
    y, p = predictions["label"].to_numpy(), predictions["probability"].to_numpy()
    thresholds = (stance.overweight_above, stance.underweight_below)
    hits = hit_rates(y[earned], p[earned], *thresholds)
    held = hit_rates(y[~earned], p[~earned], *thresholds)
    return {
        "stance_overweight_calls": hits.overweight_calls,
        "stance_overweight_hit_rate": hits.overweight_hit_rate,
        "stance_underweight_calls": hits.underweight_calls,
        "stance_underweight_hit_rate": hits.underweight_hit_rate,
        "stance_held_at_neutral": held.overweight_calls + held.underweight_calls,
    }


def skill_by_year(predictions: pd.DataFrame) -> pd.Series:
    """Brier skill over the training base rate in each calendar year."""
    return predictions.groupby(predictions.index.year).apply(
        lambda g: brier_skill(g["label"], g["probability"], g["climatology"])
    )


def write_report(report: Report, config: Config, directory: Path) -> Path:
    """Write predictions.csv, metrics.json, the PNGs and report.html into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    frame = report.predictions.copy()
    frame.index.name = "date"
    atomic_write_text(directory / "predictions.csv", frame.to_csv(date_format="%Y-%m-%d"))
    atomic_write_text(
        directory / "metrics.json", json.dumps(json_safe(report.metrics), indent=2) + "\n"
    )
    synthetic = config.synthetic
    name = config.name
    stance = config.stance
    contributions = report.predictions.filter(like="contribution:")
    contributions.columns = [c.split(":", 1)[1] for c in contributions.columns]
    figures = {
        "probability.png": plots.probability_with_outcomes(
            report.predictions,
            (stance.overweight_above, stance.underweight_below),
            f"{name}: out-of-sample probability and outcomes",
            synthetic,
            directory / "probability.png",
        ),
        "reliability.png": plots.reliability_diagram(
            report.reliability,
            f"{name}: reliability (out of sample)",
            synthetic,
            directory / "reliability.png",
        ),
        "contributions.png": plots.contributions_through_time(
            contributions,
            f"{name}: pillar contributions (monthly mean)",
            synthetic,
            directory / "contributions.png",
        ),
        "overlay.png": plots.cumulative_overlay(
            report.overlay["return"],
            f"{name}: long-small/short-large overlay",
            synthetic,
            directory / "overlay.png",
        ),
        "skill_by_year.png": plots.skill_by_year(
            skill_by_year(report.predictions),
            f"{name}: Brier skill by year",
            synthetic,
            directory / "skill_by_year.png",
        ),
    }
    page = _html(report, config, figures)
    path = directory / "report.html"
    atomic_write_text(path, page)
    return path


def _html(report: Report, config: Config, figures: dict[str, Path]) -> str:
    m = report.metrics
    o = m["overlay"]
    banner = (
        "<p class='banner'>SYNTHETIC DATA: the bundled simulated sample, not market data</p>"
        if config.synthetic
        else ""
    )
    unit = horizon_unit(report.predictions.index)
    rows = rows_noun(unit)  # "days" or "months"
    starts = min(m["horizon"], m["oos_rows"])  # the overlay's possible start dates
    images = "".join(
        f"<figure><img alt='{html.escape(label)}' src='data:image/png;base64,"
        f"{base64.b64encode(path.read_bytes()).decode()}'><figcaption>{html.escape(label)}"
        "</figcaption></figure>"
        for label, path in figures.items()
    )
    summary = [
        (f"out-of-sample {rows}", f"{m['oos_rows']} ({m['oos_start']} to {m['oos_end']})"),
        ("refits", m["folds"]),
        ("independent horizons", f"{m['effective_horizons']:.1f}"),
        ("AUC", f"{m['auc']:.3f} (90% {m['auc_interval'][0]:.3f} to {m['auc_interval'][1]:.3f})"),
        (
            "Brier skill",
            f"{m['brier_skill']:+.3f} (90% {m['brier_skill_interval'][0]:+.3f} to "
            f"{m['brier_skill_interval'][1]:+.3f})",
        ),
        ("log loss", f"{m['log_loss']:.4f}"),
        ("expected calibration error", f"{m['ece']:.3f}"),
        (
            f"overweight calls (probability above {config.stance.overweight_above:.2f})",
            _calls(m, "", "overweight", unit),
        ),
        (
            f"underweight calls (probability below {config.stance.underweight_below:.2f})",
            _calls(m, "", "underweight", unit),
        ),
        (
            "stances the scorecard printed (a call only while the record showed skill)",
            f"overweight {_calls(m, 'stance_', 'overweight', unit)}; underweight "
            f"{_calls(m, 'stance_', 'underweight', unit)}; {m['stance_held_at_neutral']} calls "
            "of the probability held at neutral by the record",
        ),
        (
            "overlay (sized by the probability, whether or not the scorecard made a call)",
            f"annual return {_pct(o['annual_return'])}, volatility "
            f"{_pct(o['annual_volatility'])}, Sharpe {_cell(o['sharpe'])} "
            f"({_starts(o['sharpe_across_starts'], starts)}), max drawdown at "
            f"rebalance dates {_pct(o['max_drawdown'])}, deflated Sharpe "
            f"{_cell(o['deflated_sharpe'])} ({m['configurations_tried']} configuration(s) tried)",
        ),
    ]
    facts = "".join(f"<tr><th>{k}</th><td>{html.escape(str(v))}</td></tr>" for k, v in summary)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(config.name)}: backtest report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;
text-align:right}}th{{background:#f4f4f4}}.banner{{color:#b22;font-weight:bold}}
img{{max-width:100%}}</style></head><body>
{banner}<h1>{html.escape(config.name)}: out-of-sample backtest</h1>
<p>Target: {html.escape(config.target.small)} vs {html.escape(config.target.large)},
sustained outperformance over {config.target.horizon_days} {unit}. Every number
below is out of sample: each {rows.removesuffix("s")} was predicted by a model
fitted only on labels known before it; baselines were refitted on the same folds.
Intervals: 90%, block bootstrap with block = horizon. Out of sample is not free of
selection: the configuration itself was chosen by someone who may have seen these
{rows} scored before. {config.evaluation.trials} configuration(s) tried on them
(<code>evaluation.trials</code>), which the deflated Sharpe ratio below accounts for.</p>
<h2>The model against simple rules</h2>
<p>The AUC pools days from every refit, so it also counts how the training base rate
drifted from one refit to the next (climatology's own row).
<code>auc_over_climatology</code> ranks each forecast's gap to its refit's base rate
instead: its ranking net of that drift (0.5 for climatology).</p>
{_html_table(report.baselines, "forecast")}
<h2>Summary</h2><table>{facts}</table>
<h2>Calibration</h2>
<p>Out-of-sample {rows} by probability bin (0.1 wide, empty bins left out): the mean
probability against how often small caps went on to outperform. The expected calibration
error above is the row-weighted mean gap between the two.</p>
{_html_table(report.reliability, "bin")}
<h2>Declared signs, out of sample</h2>
<p>Each feature alone, taken in the direction its builder declares (its raw
direction when it declares none), as a forecast of the same outcomes on the same
days: nothing is fitted. AUC above 0.5: higher values in that direction went with
more wins. Verdict: held (interval above 0.5), reversed (below), unclear; too few
under {MIN_VERDICT_HORIZONS} independent horizons of rows. In simulation a persistent
feature with no power got a verdict in about a fifth of checks over 10-40 horizons
(these intervals come out narrower than their 90%), so among many features several
verdicts are chance.</p>
{_html_table(report.priors, "feature")}
{images}
</body></html>
"""


def _html_table(table: pd.DataFrame, key: str) -> str:
    """``table`` as an HTML table, its index as the first column named ``key``."""
    frame = table.copy()
    frame.insert(0, key, frame.index)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in record) + "</tr>"
        for record in frame.itertuples(index=False)
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def _calls(metrics: Mapping[str, Any], prefix: str, side: str, unit: str) -> str:
    """How often ``side``'s calls were right, against making that call every day.

    The calls are overlapping rows, so their count is also given in independent
    horizons; the reference is the share of all scored rows whose outcome that call
    would have matched (the base rate for overweight, its complement for
    underweight), which a hit rate must beat to mean anything. "none" without calls.
    """
    calls = metrics[f"{prefix}{side}_calls"]
    if not calls:
        return "none"
    always = metrics["base_rate"] if side == "overweight" else 1.0 - metrics["base_rate"]
    return (
        f"{_cell(metrics[f'{prefix}{side}_hit_rate'])} right of {calls} {unit} (about "
        f"{calls / metrics['horizon']:.1f} horizons; always {side}: {_cell(always)})"
    )


def _starts(spread: Sequence[float] | None, starts: int) -> str:
    """The Sharpe ratio's range over the overlay's possible start dates, in words."""
    if spread is None or not all(math.isfinite(v) for v in spread):
        return "no range over start dates"
    low, median, high = spread
    return (
        f"{_cell(low)} to {_cell(high)}, median {_cell(median)}, over the {starts} "
        "possible start dates"
    )


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.3f}"
    return html.escape(str(value))


def _pct(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.1%}"


def _records(table: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    out = table.copy()
    out.insert(0, key, out.index)
    return out.to_dict("records")
