"""Plotting helpers shared by the backtest report and the notebook API (matplotlib).

Every figure has labelled axes with units, dates on the time axis, a legend, a
title naming the model, and the synthetic-data banner when the data came from
the bundled sample.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from regime.scorecard import SYNTHETIC_BANNER


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    """A figure drawn without pyplot, so any backend (or none) works."""
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _finish(fig: Any, ax: Any, title: str, synthetic: bool, path: Path) -> Path:
    ax.set_title(title)
    if synthetic:
        fig.text(0.5, 0.995, SYNTHETIC_BANNER, ha="center", va="top", color="firebrick")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize="small")
    fig.tight_layout(rect=(0, 0, 1, 0.97 if synthetic else 1))
    fig.savefig(path, dpi=110)
    return path


def probability_with_outcomes(
    predictions: pd.DataFrame,
    thresholds: tuple[float, float],
    title: str,
    synthetic: bool,
    path: Path,
) -> Path:
    """Out-of-sample probability through time, with realized outcomes and stance thresholds."""
    fig, ax = _figure(11, 4)
    ax.plot(predictions.index, predictions["probability"], lw=0.8, label="probability")
    ax.plot(predictions.index, predictions["climatology"], lw=0.8, ls=":", label="climatology")
    wins = predictions.loc[predictions["label"] == 1]
    ax.scatter(
        wins.index,
        np.full(len(wins), 0.02),
        s=2,
        color="green",
        label="small caps outperformed (label 1)",
    )
    for level, name in zip(thresholds, ("overweight above", "underweight below"), strict=True):
        ax.axhline(level, ls="--", lw=0.7, color="grey", label=f"{name} {level:.2f}")
    ax.set_ylim(0, 1)
    ax.set_xlabel("date")
    ax.set_ylabel("P(sustained outperformance)")
    return _finish(fig, ax, title, synthetic, path)


def reliability_diagram(table: pd.DataFrame, title: str, synthetic: bool, path: Path) -> Path:
    """Observed rate against mean predicted probability by bin, point size by rows."""
    fig, ax = _figure(5.5, 5)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=0.8, label="perfect calibration")
    sizes = 20 + 200 * table["rows"] / max(float(table["rows"].max()), 1.0)
    ax.scatter(table["predicted"], table["observed"], s=sizes, label="bins (size = rows)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed share of outperformance")
    return _finish(fig, ax, title, synthetic, path)


def contributions_through_time(
    contributions: pd.DataFrame, title: str, synthetic: bool, path: Path
) -> Path:
    """Pillar contributions (probability points), monthly means, stacked above and below 0."""
    monthly = contributions.resample("ME").mean()
    fig, ax = _figure(11, 4)
    positive = monthly.clip(lower=0)
    negative = monthly.clip(upper=0)
    bottom_pos = np.zeros(len(monthly))
    bottom_neg = np.zeros(len(monthly))
    width = 25
    for column in monthly.columns:
        color = ax.bar(monthly.index, positive[column], width, bottom=bottom_pos, label=column)[
            0
        ].get_facecolor()
        ax.bar(monthly.index, negative[column], width, bottom=bottom_neg, color=color)
        bottom_pos += positive[column].to_numpy()
        bottom_neg += negative[column].to_numpy()
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlabel("date")
    ax.set_ylabel("contribution (probability points)")
    return _finish(fig, ax, title, synthetic, path)


def cumulative_overlay(returns: pd.Series, title: str, synthetic: bool, path: Path) -> Path:
    """Growth of 1 invested in the long-small/short-large overlay."""
    fig, ax = _figure(11, 4)
    ax.plot(returns.index, (1 + returns).cumprod(), label="overlay, growth of 1")
    ax.axhline(1, color="grey", lw=0.6)
    ax.set_xlabel("date (start of each horizon)")
    ax.set_ylabel("growth of 1 (x)")
    return _finish(fig, ax, title, synthetic, path)


def skill_by_year(skill: pd.Series, title: str, synthetic: bool, path: Path) -> Path:
    """Brier skill over the training base rate, by calendar year."""
    fig, ax = _figure(11, 3.5)
    colors = ["seagreen" if v > 0 else "indianred" for v in skill]
    ax.bar(skill.index.astype(str), skill.to_numpy(), color=colors, label="Brier skill")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlabel("year")
    ax.set_ylabel("Brier skill (1 - Brier / climatology)")
    ax.tick_params(axis="x", rotation=90)
    return _finish(fig, ax, title, synthetic, path)


def feature_contributions(
    contributions: pd.Series, pillar_of: pd.Series, title: str, synthetic: bool, path: Path
) -> Path:
    """Horizontal bars: each feature's contribution in probability points, coloured by pillar."""
    fig, ax = _figure(9, 0.35 * len(contributions) + 1.5)
    pillars = list(dict.fromkeys(pillar_of))
    colors = {p: f"C{i}" for i, p in enumerate(pillars)}
    order = contributions.index[::-1]
    ax.barh(
        list(order),
        contributions[order].to_numpy(),
        color=[colors[pillar_of[name]] for name in order],
    )
    ax.legend(
        handles=[Patch(color=colors[p], label=p) for p in pillars], loc="best", fontsize="small"
    )
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel("contribution to the probability (probability points)")
    ax.set_ylabel("feature")
    return _finish(fig, ax, title, synthetic, path)
