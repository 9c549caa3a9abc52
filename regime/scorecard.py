"""From a probability to a strategist's scorecard: attribution, stance, caveats.

Pillar contributions are exact Shapley values over the pillars: the value of a
coalition of pillars is the model's probability with those pillars' features at
their actual values and every other feature at its neutral (training median)
value. ``baseline`` is the empty coalition, so baseline plus the contributions
equals the probability.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Literal

import numpy as np
import pandas as pd

from regime._io import json_safe
from regime.caveats import default_rules, rule_names
from regime.caveats import evaluate as evaluate_rules
from regime.config import CaveatsConfig, StanceConfig
from regime.labels import rows_noun

Stance = Literal["overweight", "neutral", "underweight"]
Predict = Callable[[pd.DataFrame], np.ndarray]


@dataclass(frozen=True)
class Attribution:
    """Probabilities, baselines and per-pillar contributions for a set of days."""

    probability: pd.Series
    baseline: pd.Series
    contributions: pd.DataFrame  # rows: days, columns: pillars


def pillar_shapley(
    predict: Predict,
    X: pd.DataFrame,
    neutral: pd.Series,
    pillar_of: dict[str, str],
    pillars: Sequence[str],
) -> Attribution:
    """Exact Shapley values of the pillars for every row of ``X``.

    Evaluates the model on all ``2**P`` coalitions of the pillars that have
    features (one batch), then weights the marginal gains. Pillars without
    features get a contribution of exactly 0.
    """
    active = [p for p in pillars if any(pillar_of[c] == p for c in X.columns)]
    k = len(active)
    masks = list(product([False, True], repeat=k))
    # membership[m, c]: feature column c takes its actual value in coalition m.
    pillar_index = np.array([active.index(pillar_of[c]) for c in X.columns])
    membership = np.array(masks, dtype=bool)[:, pillar_index]
    actual = X.to_numpy(dtype="float64")
    neutral_row = neutral[X.columns].to_numpy(dtype="float64")
    stacked = np.where(membership[:, None, :], actual[None, :, :], neutral_row[None, None, :])
    batch = pd.DataFrame(stacked.reshape(-1, X.shape[1]), columns=X.columns)
    values = predict(batch).reshape(len(masks), len(X))
    index_of = {mask: i for i, mask in enumerate(masks)}
    contributions = pd.DataFrame(0.0, index=X.index, columns=list(pillars))
    for j, pillar in enumerate(active):
        total = np.zeros(len(X))
        for mask in masks:
            if mask[j]:
                continue
            size = sum(mask)
            weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            with_j = (*mask[:j], True, *mask[j + 1 :])
            total += weight * (values[index_of[with_j]] - values[index_of[mask]])
        contributions[pillar] = total
    probability = pd.Series(values[index_of[tuple([True] * k)]], index=X.index)
    baseline = pd.Series(values[index_of[tuple([False] * k)]], index=X.index)
    return Attribution(probability, baseline, contributions)


def stance_for(probability: float, config: StanceConfig) -> Stance:
    """Overweight above ``overweight_above``, underweight below ``underweight_below``."""
    if probability > config.overweight_above:
        return "overweight"
    if probability < config.underweight_below:
        return "underweight"
    return "neutral"


def record_allows_a_call(record: dict[str, Any] | None) -> bool:
    """True when the out-of-sample Brier skill interval lies above zero."""
    return record is not None and record["brier_skill_interval"][0] > 0.0


def earned_stance(
    probability: float,
    config: StanceConfig,
    record: dict[str, Any] | None,
    rows: str = "days",
    at_base_rate: bool = False,
    base_rate: float | None = None,
) -> tuple[Stance, str | None]:
    """The stance the model has earned, and the caveat when its record holds it at neutral.

    A model whose out-of-sample Brier skill interval includes zero (or that
    has no record yet) stays neutral whatever its probability says. ``rows``
    names the record's rows in the caveat (:func:`rows_noun`). ``at_base_rate``:
    the recalibration kept none of the raw forecast, so the probability is the
    training base rate and its place against the thresholds says nothing.
    ``base_rate``: when the training base rate alone falls on the same side of
    a threshold as the probability, the caveat says so (the call is then the
    base rate's as much as the model's).
    """
    stance = stance_for(probability, config)
    if record_allows_a_call(record):
        return stance, None
    said = ""
    if stance != "neutral" and not at_base_rate:
        shared = base_rate is not None and stance_for(base_rate, config) == stance
        also = f", as the training base rate {base_rate:.2f} would" if shared else ""
        said = f" (the probability alone says {stance}{also})"
    if record is None:
        return "neutral", f"no out-of-sample record yet: stance held at neutral{said}"
    low, high = record["brier_skill_interval"]
    facts = (
        f"Brier skill {record['brier_skill']:+.3f}, 90% interval {low:+.3f} to {high:+.3f}, AUC "
        f"{record['auc']:.2f}, {record['rows']} {rows} {record['start']}..{record['end']}"
    )
    if at_base_rate:
        return "neutral", (
            f"the model's out-of-sample record earns its forecast no weight ({facts}): the "
            f"probability is the training base rate ({probability:.2f}), not a view; stance neutral"
        )
    return "neutral", (
        f"the model's out-of-sample record does not rule out no skill ({facts}): "
        f"stance held at neutral{said}"
    )


def calibration_caveat(
    probability: float, record: dict[str, Any] | None, min_rows: int, rows: str = "days"
) -> str | None:
    """A caveat when the probability falls in a thin or poorly calibrated reliability bin.

    ``rows`` names the record's rows in the caveat (:func:`rows_noun`).
    """
    if record is None:
        return None
    for row in record["reliability"]:
        if row["lower"] <= probability < row["upper"] or (probability == 1.0 == row["upper"]):
            if row["rows"] < min_rows:
                return (
                    f"thin record at this level: only {row['rows']} out-of-sample {rows} had a "
                    f"probability of {row['lower']:.1f}-{row['upper']:.1f}"
                )
            if abs(row["observed"] - row["predicted"]) > 0.10:
                return (
                    f"poorly calibrated at this level: out-of-sample {rows} with a probability of "
                    f"{row['lower']:.1f}-{row['upper']:.1f} (mean {row['predicted']:.2f}) "
                    f"saw outperformance {row['observed']:.0%} of the time"
                )
            return None
    return (
        f"no out-of-sample {rows.removesuffix('s')} had a probability near {probability:.2f}: "
        "the record says nothing about this level"
    )


def split_pillars(
    contributions: dict[str, float], band: float, silent: Collection[str] = ()
) -> tuple[list[str], list[str]]:
    """Tailwinds (largest first) and headwinds (most negative first) outside the neutral band.

    A ``silent`` pillar (none of its features has a value that day) is neither:
    a model that reads missing values natively (gradient boosting) can still
    move the probability for it, but that is no view of the pillar.
    """
    ordered = sorted(
        ((p, c) for p, c in contributions.items() if p not in silent),
        key=lambda item: item[1],
        reverse=True,
    )
    tailwinds = [p for p, c in ordered if c > band]
    headwinds = [p for p, c in reversed(ordered) if c < -band]
    return tailwinds, headwinds


@dataclass(frozen=True)
class SeriesFreshness:
    """Age of one input series on the scored day."""

    last_known: str | None
    age_days: int | None
    stale: bool


def caveats_for(
    features: pd.Series,
    interval: tuple[float, float] | None,
    freshness: dict[str, SeriesFreshness],
    config: CaveatsConfig,
    synthetic: bool,
    numbers: dict[str, float] | None = None,
) -> list[str]:
    """The caveats a strategist would attach to the call.

    The rules (:mod:`regime.caveats`: the defaults, then the config's) see
    the features and ``numbers`` (probability, contributions, thresholds,
    series ages...); then the built-ins: a wide interval, missing features,
    stale inputs, synthetic data.
    """
    rules = default_rules(list(features.index), config.single_day_flow_share)
    rules = [*rules, *config.rules] if config.defaults else list(config.rules)
    values = {**{k: float(v) for k, v in features.items()}, **(numbers or {})}
    low, high = interval if interval is not None else (np.nan, np.nan)
    values.update(interval_low=low, interval_high=high, interval_width=high - low)
    for series, status in freshness.items():
        values.setdefault(f"age.{series}", np.nan if status.age_days is None else status.age_days)
    usable = [r for r in rules if rule_names(r.when) <= set(values)]
    notes = evaluate_rules(usable, values)
    if interval is not None and interval[1] - interval[0] > config.wide_interval:
        notes.append(
            f"bootstrap models disagree: interval {interval[0]:.2f}-{interval[1]:.2f} is wide"
        )
    missing = [name for name, value in features.items() if pd.isna(value)]
    if missing:
        notes.append(
            f"no current data for {', '.join(missing)}: imputed inside the model (the logistic "
            "model's training median), and a pillar with none is no tailwind or headwind"
        )
    unborn = [series for series, status in freshness.items() if status.age_days is None]
    if unborn:
        notes.append(f"no data yet for {', '.join(unborn)}: the history starts later")
    if config.stale_data:
        stale = [
            (series, status)
            for series, status in freshness.items()
            if status.stale and status.age_days is not None
        ]
        if len(stale) > 3:
            listed = ", ".join(f"{series} ({_age(status)})" for series, status in stale)
            notes.append(f"{len(stale)} series are stale: {listed}")
        else:
            notes.extend(
                f"{series} is stale: last observation {status.last_known} ({_age(status)})"
                for series, status in stale
            )
    if synthetic:
        notes.append("synthetic data: the bundled simulated sample, not a market view")
    return notes


def _age(status: SeriesFreshness) -> str:
    return f"{status.age_days} days old"


@dataclass(frozen=True)
class Scorecard:
    """One day's call: probability, stance, pillars, caveats and data freshness."""

    model: str
    as_of: pd.Timestamp
    horizon_days: int
    probability: float
    baseline: float
    interval: tuple[float, float] | None
    stance: Stance
    contributions: dict[str, float]
    features: dict[str, dict[str, float | None]]
    tailwinds: list[str]
    headwinds: list[str]
    caveats: list[str]
    data: dict[str, SeriesFreshness]
    synthetic: bool
    thresholds: StanceConfig = field(default_factory=StanceConfig)
    requested: pd.Timestamp | None = None  # the day asked for (a weekend maps to Friday)
    in_sample: bool = False
    model_trained_through: pd.Timestamp | None = None
    record: dict[str, Any] | None = None  # the scoring model's out-of-sample record
    notes: dict[str, str] = field(default_factory=dict)  # each pillar in words
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)  # since 1w and 1m before
    horizon_unit: str = "trading days"  # what horizon_days counts: months for monthly legs

    def to_dict(self) -> dict[str, Any]:
        """The scorecard JSON (see the README), as a dict."""
        return {
            "model": self.model,
            "as_of": self.as_of.strftime("%Y-%m-%d"),
            "horizon_days": self.horizon_days,
            "horizon_unit": self.horizon_unit,
            "probability": self.probability,
            "baseline": self.baseline,
            "interval": list(self.interval) if self.interval is not None else None,
            "stance": self.stance,
            "pillars": {
                pillar: {
                    "contribution": self.contributions[pillar],
                    "features": self.features.get(pillar, {}),
                }
                for pillar in self.contributions
            },
            "tailwinds": self.tailwinds,
            "headwinds": self.headwinds,
            "caveats": self.caveats,
            "data": {
                series: {"last_known": s.last_known, "age_days": s.age_days, "stale": s.stale}
                for series, s in self.data.items()
            },
            "synthetic": self.synthetic,
            "in_sample": self.in_sample,
            "model_trained_through": _day(self.model_trained_through),
            "requested": _day(self.requested if self.requested is not None else self.as_of),
            "oos_auc": None if self.record is None else self.record["auc"],
            "oos_auc_interval": None if self.record is None else self.record.get("auc_interval"),
            "oos_brier_skill": None if self.record is None else self.record["brier_skill"],
            "oos_brier_skill_interval": None
            if self.record is None
            else self.record["brier_skill_interval"],
            "thresholds": {
                "overweight_above": self.thresholds.overweight_above,
                "underweight_below": self.thresholds.underweight_below,
            },
            "pillar_notes": self.notes,
            "changes": self.changes,
        }

    def to_json(self) -> str:
        """One JSON object (NaN written as null)."""
        return json.dumps(json_safe(self.to_dict()), indent=2)

    def to_text(self) -> str:
        """The scorecard as a strategist reads it."""
        lines = []
        if self.synthetic:
            lines.append(SYNTHETIC_BANNER)
        asked = ""
        if self.requested is not None and self.requested != self.as_of:
            asked = f" (requested {self.requested:%Y-%m-%d}, not a trading day)"
        lines.append(
            f"smallcap-regime | model {self.model} | as of {self.as_of:%Y-%m-%d}{asked} | "
            f"horizon {self.horizon_days} {self.horizon_unit}"
        )
        if self.model_trained_through is not None:
            sample = (
                "IN SAMPLE: the model saw this day's label" if self.in_sample else "out of sample"
            )
            lines.append(f"Model trained through {self.model_trained_through:%Y-%m-%d}: {sample}")
        if self.record is not None:
            low, high = self.record["brier_skill_interval"]
            ranking = self.record.get("auc_interval")  # models trained before it had none
            spread = "" if ranking is None else f" (90% {ranking[0]:.2f} to {ranking[1]:.2f})"
            lines.append(
                f"Out-of-sample record: AUC {self.record['auc']:.3f}{spread}, Brier skill "
                f"{self.record['brier_skill']:+.3f} (90% {low:+.3f} to {high:+.3f}), "
                f"{self.record['rows']} {rows_noun(self.horizon_unit)} "
                f"{self.record['start']}..{self.record['end']}"
            )
        interval = f"{self.interval[0]:.2f}-{self.interval[1]:.2f}" if self.interval else "n/a"
        lines.append(
            f"P(sustained small-cap outperformance) = {self.probability:.2f}   "
            f"(interval {interval}; baseline {self.baseline:.2f})"
        )
        t = self.thresholds
        lines.append(
            f"Stance: {self.stance.upper()} small caps "
            f"(overweight above {t.overweight_above:.2f}, underweight below "
            f"{t.underweight_below:.2f})"
        )
        lines.append("")
        lines.append(f"{'pillar':<20} {'contribution':>12}   features")
        for pillar, value in self.contributions.items():
            feats = ", ".join(
                f"{name.split('.', 1)[1]}={_fmt(v)}"
                for name, v in self.features.get(pillar, {}).items()
            )
            lines.append(f"{pillar:<20} {value:>+12.3f}   {feats or '(no features)'}")
        lines.append("")
        lines.append(f"Tailwinds: {', '.join(self.tailwinds) or 'none'}")
        lines.extend(f"  + {p}: {self.notes[p]}" for p in self.tailwinds if p in self.notes)
        lines.append(f"Headwinds: {', '.join(self.headwinds) or 'none'}")
        lines.extend(f"  - {p}: {self.notes[p]}" for p in self.headwinds if p in self.notes)
        for label, change in self.changes.items():
            moved = ", ".join(
                f"{p} {v:+.3f}" for p, v in change["pillars"].items() if abs(v) >= 0.005
            )
            if abs(change.get("baseline", 0.0)) >= 0.0005:
                refit = f"a refit moved the baseline {change['baseline']:+.3f}"
                moved = f"{moved}; {refit}" if moved else refit
            lines.append(
                f"Since {change['since']} ({label}): probability {change['probability']:+.3f}"
                + (f" ({moved})" if moved else "")
            )
        lines.append("Caveats:" if self.caveats else "Caveats: none")
        lines.extend(f"  - {note}" for note in self.caveats)
        lines.append("Data:")
        for series, s in self.data.items():
            flag = "no data yet" if s.age_days is None else "STALE" if s.stale else "ok"
            age = "-" if s.age_days is None else f"{s.age_days}d"
            lines.append(f"  {series:<22} last {s.last_known or '-':<10}  age {age:>5}  {flag}")
        return "\n".join(lines)


SYNTHETIC_BANNER = "*** SYNTHETIC DATA: the bundled simulated sample, not market data ***"


def _day(value: pd.Timestamp | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d")


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.3g}"
