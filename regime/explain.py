"""Explain one day's call: each feature's value, percentile, units and own contribution.

A feature's contribution is its Owen value: the Shapley value of the pillars
(the scorecard's pillar contributions), shared out inside each pillar by exact
Shapley over that pillar's features. Coalitions of the other pillars are
weighted as in the pillar-level Shapley value, so the features of a pillar add
up to that pillar's contribution exactly, and baseline plus all features equals
the probability.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from regime.config import StanceConfig
from regime.scorecard import Scorecard, record_allows_a_call, stance_for

Predict = Callable[[pd.DataFrame], np.ndarray]

#: Units of a feature, by the end of its name (first match wins).
UNITS: tuple[tuple[str, str], ...] = (
    (r"_pctile$", "percentile of its trailing window (0 = lowest)"),
    (r"_z$", "z-score against its trailing window"),
    (r"cuts_priced_(\d+)m$", "25 bp cuts priced over {0} months"),
    (r"cuts_delivered_\d+m$", "cuts delivered"),
    (r"rel_flow_\d+d$|rel_flow_1d$|vs_ytd_pace$", "% of assets, small fund minus large"),
    (r"event_share_\d+d$", "share of the window's gross flow on its largest day"),
    (r"rel_pe$", "P/E ratio, small over large; higher = small caps dearer"),
    (r"breadth_spread$|megacap_spread$", "revision breadth, (up - down) / total"),
    (r"_chg$", "change over the window"),
    (r"rel_return_\d+d", "relative log return, small minus large"),
)


def units_of(feature: str) -> str:
    """Units of a feature column, from its name ("level of the series" when unknown).

    A pattern's groups fill the units' ``{0}``...: ``cuts_priced_4m`` is "25 bp
    cuts priced over 4 months".
    """
    for pattern, units in UNITS:
        match = re.search(pattern, feature)
        if match:
            return units.format(*match.groups())
    return "level of the series"


def owen_values(
    predict: Predict,
    row: pd.Series,
    neutral: pd.Series,
    pillar_of: dict[str, str],
    pillars: Sequence[str],
) -> pd.Series:
    """Each feature's contribution (probability points) to one row's probability.

    Exact Owen values with the pillars as groups; a feature's value in a
    coalition is its actual value, else its neutral value. One batch of
    predictions: for every pillar, all coalitions of the other pillars times
    all subsets of its own features.
    """
    features = list(row.index)
    active = [p for p in pillars if any(pillar_of[f] == p for f in features)]
    k = len(active)
    actual = row.to_numpy(dtype="float64")
    base = neutral[features].to_numpy(dtype="float64")
    member_of = np.array([active.index(pillar_of[f]) for f in features])
    batches, plans = [], []
    for j, pillar in enumerate(active):
        own = [i for i, f in enumerate(features) if pillar_of[f] == pillar]
        others = [p for p in range(k) if p != j]
        for outside in product([False, True], repeat=k - 1):
            on_pillars = {others[t] for t, flag in enumerate(outside) if flag}
            for inside in product([False, True], repeat=len(own)):
                values = np.where(np.isin(member_of, list(on_pillars)), actual, base)
                values[own] = np.where(np.array(inside, dtype=bool), actual[own], base[own])
                batches.append(values)
                plans.append((j, outside, inside))
    frame = pd.DataFrame(np.vstack(batches), columns=features)
    predictions = predict(frame)
    value = {plan: predictions[n] for n, plan in enumerate(plans)}
    out = pd.Series(0.0, index=features)
    for j, pillar in enumerate(active):
        own = [i for i, f in enumerate(features) if pillar_of[f] == pillar]
        m = len(own)
        for (jj, outside, inside), v in value.items():
            if jj != j:
                continue
            t = sum(outside)
            outer = math.factorial(t) * math.factorial(k - t - 1) / math.factorial(k)
            for position, i in enumerate(own):
                if inside[position]:
                    continue
                s = sum(inside)
                inner = math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m)
                with_i = (*inside[:position], True, *inside[position + 1 :])
                out.iloc[i] += outer * inner * (value[(j, outside, with_i)] - v)
    return out


@dataclass(frozen=True)
class Explanation:
    """One day's call, feature by feature, with what would change the stance."""

    scorecard: Scorecard
    features: pd.DataFrame  # index feature: pillar, value, units, percentile, neutral,
    # contribution, dropped_by_sign
    binding_constraint: str | None
    flips: pd.DataFrame  # per pillar: the percentile level that would cross a threshold
    thresholds: StanceConfig

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the scorecard, every feature, distances, binding constraint, flips.

        Each distance is how far the probability has to move to reach that
        threshold: ``distance_to_overweight`` is the overweight threshold minus
        the probability, ``distance_to_underweight`` the probability minus the
        underweight threshold. Positive: the threshold is still ahead; negative:
        the probability is already past it (in that stance's territory).
        """
        card = self.scorecard
        return {
            "scorecard": card.to_dict(),
            "features": [
                {"feature": name, **{k: _plain(v) for k, v in row.items()}}
                for name, row in self.features.iterrows()
            ],
            "distance_to_overweight": self.thresholds.overweight_above - card.probability,
            "distance_to_underweight": card.probability - self.thresholds.underweight_below,
            "binding_constraint": self.binding_constraint,
            "what_would_flip": [
                {"pillar": p, **{k: _plain(v) for k, v in row.items()}}
                for p, row in self.flips.iterrows()
            ],
        }

    def to_text(self) -> str:
        """The explanation as a strategist reads it."""
        card = self.scorecard
        lines = [
            f"{card.model} | as of {card.as_of:%Y-%m-%d} | P = {card.probability:.3f} "
            f"(baseline {card.baseline:.3f}) | stance {card.stance.upper()}",
            threshold_line(card.probability, self.thresholds, card.stance),
            "",
            f"{'feature':<40} {'value':>10} {'pctile':>7} {'contrib':>8}  units",
        ]
        for name, row in self.features.iterrows():
            value = "n/a" if pd.isna(row["value"]) else f"{row['value']:.3g}"
            pct = "n/a" if pd.isna(row["percentile"]) else f"{row['percentile']:.0%}"
            lines.append(
                f"{name:<40} {value:>10} {pct:>7} {row['contribution']:>+8.3f}  {row['units']}"
            )
        dropped = list(self.features.index[self.features["dropped_by_sign"]])
        if dropped:
            lines.append(
                f"No weight in this model: {', '.join(dropped)} (each broke its declared sign "
                "when fitted, so sign_priors: enforce left it out)"
            )
        lines.append("")
        if self.binding_constraint:
            lines.append(f"Binding constraint: {self.binding_constraint} (the largest headwind)")
        for pillar, row in self.flips.iterrows():
            now = (
                "n/a: no data on the day"
                if pd.isna(row["from_percentile"])
                else f"{row['from_percentile']:.0%}"
            )
            lines.append(
                f"What would flip it: {pillar} at its {row['to_percentile']:.0%} training level "
                f"(now {now}) gives P = {_on_its_side(row['probability'], self.thresholds)}: "
                f"{row['stance']}"
            )
        if self.flips.empty:
            lines.append("What would flip it: no single pillar within its training range")
        elif not record_allows_a_call(card.record):
            lines.append(
                "(these cross the probability's thresholds; the stance stays neutral until the "
                "model's out-of-sample record rules out no skill)"
            )
        return "\n".join(lines)

    def plot(self, path: Any) -> Any:
        """Bar chart of the feature contributions (needs matplotlib); returns the path."""
        from regime import plots

        return plots.feature_contributions(
            self.features["contribution"],
            self.features["pillar"],
            f"{self.scorecard.model}: what drives P on {self.scorecard.as_of:%Y-%m-%d}",
            self.scorecard.synthetic,
            path,
        )


def _plain(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value


def threshold_line(probability: float, thresholds: StanceConfig, stance: str | None = None) -> str:
    """Where the probability stands against each stance threshold, in words.

    E.g. ``P is 0.161 below overweight (0.55) and 0.061 below underweight
    (0.45): in underweight territory``. The same signs as
    :meth:`Explanation.to_dict`'s distances: "below overweight" is a positive
    ``distance_to_overweight``, "below underweight" a negative
    ``distance_to_underweight``. ``stance``, the one the scorecard printed, is
    named when the record held it elsewhere.
    """
    over = _versus(probability, thresholds.overweight_above, "overweight")
    under = _versus(probability, thresholds.underweight_below, "underweight")
    band = stance_for(probability, thresholds)
    where = "inside the neutral band" if band == "neutral" else f"in {band} territory"
    if stance not in (None, band):
        where += f"; the stance is held at {stance} (see the caveats)"
    return f"P is {over} and {under}: {where}"


def _on_its_side(probability: float, thresholds: StanceConfig) -> str:
    """The probability to three decimals, or more when three would round it across a
    threshold (0.44958 is "0.4496", not "0.450", beside an underweight line at 0.45)."""
    band = stance_for(probability, thresholds)
    digits = 3
    while digits < 6 and stance_for(round(probability, digits), thresholds) != band:
        digits += 1
    return f"{probability:.{digits}f}"


def _versus(probability: float, threshold: float, name: str) -> str:
    """``0.061 below underweight (0.45)``, ``0.020 above ...`` or ``at ...`` (within 0.0005)."""
    gap = probability - threshold
    if round(gap, 3) == 0:
        return f"at {name} ({threshold:.2f})"
    return f"{abs(gap):.3f} {'above' if gap > 0 else 'below'} {name} ({threshold:.2f})"


def _pillar_level(percentile: pd.Series) -> float:
    """A pillar's mean training percentile over its features with data today.

    NaN (no warning) when none of them has data on the day.
    """
    known = percentile.dropna()
    return float(known.mean()) if len(known) else math.nan


def percentiles(training: pd.DataFrame, row: pd.Series) -> pd.Series:
    """Share of training rows at or below today's value, per feature (NaN when missing)."""
    out = {}
    for name, value in row.items():
        history = training[name].dropna()
        out[name] = np.nan if pd.isna(value) or history.empty else float((history <= value).mean())
    return pd.Series(out)


def stance_flips(
    predict: Predict,
    row: pd.Series,
    training: pd.DataFrame,
    pillar_of: dict[str, str],
    thresholds: StanceConfig,
    probability: float,
) -> pd.DataFrame:
    """For each pillar, the nearest training level that would move the probability across a
    stance threshold, with every other pillar as it is.

    A pillar's level ``q`` sets each of its features to the ``q`` quantile of
    its training history (q from 0.05 to 0.95); the result lists, per pillar,
    the closest such level (to the pillar's current mean percentile) whose
    probability crosses the nearest threshold in either direction. Sorted by
    how far the pillar would have to move.

    A pillar with no data on the day has no current percentile:
    ``from_percentile`` and ``distance`` are NaN, its level is the crossing
    nearest the middle of its training range (0.5), and it sorts last.
    """
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    current = percentiles(training, row)
    rows, plans = [], []
    for pillar in dict.fromkeys(pillar_of[f] for f in row.index):
        own = [f for f in row.index if pillar_of[f] == pillar]
        if all(training[f].dropna().empty for f in own):
            continue
        for q in grid:
            moved = row.copy()
            for f in own:
                moved[f] = training[f].quantile(q)
            rows.append(moved)
            plans.append((pillar, q, _pillar_level(current[own])))
    if not rows:
        return pd.DataFrame()
    probabilities = predict(pd.DataFrame(rows))
    now = stance_for(probability, thresholds)
    best: dict[str, dict[str, Any]] = {}
    for (pillar, q, start), p in zip(plans, probabilities, strict=True):
        band = stance_for(float(p), thresholds)
        if band == now:
            continue
        move = abs(q - (0.5 if math.isnan(start) else start))
        if pillar not in best or move < best[pillar]["move"]:
            best[pillar] = {
                "from_percentile": start,
                "to_percentile": float(q),
                "probability": float(p),
                "stance": band,
                "distance": abs(q - start),  # NaN without data on the day
                "move": move,
            }
    frame = pd.DataFrame.from_dict(best, orient="index")
    if frame.empty:
        return frame
    return frame.sort_values("distance", na_position="last").drop(columns="move")
