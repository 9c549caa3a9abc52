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

#: A contribution is a difference of probabilities: 0.05 moves the probability 5 points.
CONTRIBUTION_AXIS = "contribution to the probability (0.05 = 5 points)"


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    """A figure drawn without pyplot, so any backend (or none) works."""
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _banner(fig: Any, synthetic: bool) -> float:
    """Draw the synthetic-data banner when needed; the top of the room left for the axes."""
    if not synthetic:
        return 1.0
    fig.text(0.5, 0.995, SYNTHETIC_BANNER, ha="center", va="top", color="firebrick")
    return 0.97


def _finish(fig: Any, ax: Any, title: str, synthetic: bool, path: Path) -> Path:
    ax.set_title(title)
    top = _banner(fig, synthetic)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize="small")
    fig.tight_layout(rect=(0, 0, 1, top))
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
    ax.set_ylabel(CONTRIBUTION_AXIS)
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
    ax.bar(skill.index.astype(str), skill.to_numpy(), color=colors)
    ax.legend(
        handles=[
            Patch(color="seagreen", label="Brier skill above 0: beat the base rate"),
            Patch(color="indianred", label="at or below 0: did not"),
        ],
        loc="best",
        fontsize="small",
    )
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
    ax.set_xlabel(CONTRIBUTION_AXIS)
    ax.set_ylabel("feature")
    return _finish(fig, ax, title, synthetic, path)


#: Columns of ``RegimeModel.history`` that are not pillar contributions.
HISTORY_COLUMNS = (
    "probability",
    "baseline",
    "lower",
    "upper",
    "stance",
    "in_sample",
    "model_trained_through",
    "missing_features",
)
#: Size (inches) of the history figure.
HISTORY_SIZE = (12.0, 7.5)


def history_title(model: str, frame: pd.DataFrame) -> str:
    """Title of a history plot: the model and the period (or the one day) it covers."""
    first, last = frame.index[0], frame.index[-1]
    period = f"as of {last:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
    return f"{model}: P(sustained small-cap outperformance), {period}"


def _daily_steps(index: pd.DatetimeIndex, *columns: Any) -> tuple[Any, ...]:
    """``index`` plus one day at its end, and each column with its last value repeated.

    Filled with ``step="post"``, each day then covers the span up to the next
    one (the last day one calendar day), so a single day still shows.
    """
    edges = index.append(pd.DatetimeIndex([index[-1] + pd.Timedelta(days=1)]))
    held = [np.append(np.asarray(c, dtype=float), np.asarray(c, dtype=float)[-1:]) for c in columns]
    return (edges, *held)


def _shade_days(
    ax: Any,
    index: pd.DatetimeIndex,
    days: np.ndarray,
    band: tuple[float, float],
    **style: Any,
) -> None:
    """Shade the ``days`` (a boolean per date) between the axes fractions ``band``."""
    if not days.any():
        return
    edges, held = _daily_steps(index, days)
    ax.fill_between(
        edges,
        *band,
        where=held.astype(bool),
        step="post",
        transform=ax.get_xaxis_transform(),
        lw=0,
        **style,
    )


def history_probability_axes(
    ax: Any,
    frame: pd.DataFrame,
    outcomes: pd.Series | None,
    thresholds: tuple[float, float],
) -> Any:
    """The top panel of the history plot, drawn into ``ax``.

    The probability with its interval band and baseline, the overweight and
    underweight zones, in-sample days shaded grey, a strip along the top on
    days whose probability was in a zone but whose stance was held at neutral
    (column ``stance``, when present), and the realized outcomes
    as small markers near 0: green where the label was 1, light grey where it
    was 0, none where it is not known yet (``outcomes``: 1.0, 0.0 or NaN per
    date; None draws no outcomes).
    """
    index = frame.index
    over, under = thresholds
    ax.axhspan(
        over, 1, color="seagreen", alpha=0.12, lw=0, label=f"overweight zone (P > {over:.2f})"
    )
    ax.axhspan(
        0, under, color="indianred", alpha=0.12, lw=0, label=f"underweight zone (P < {under:.2f})"
    )
    for level in thresholds:
        ax.axhline(level, ls="--", lw=0.7, color="grey")
    zones = ax.get_yaxis_transform()  # x in axes fraction, y in probability
    ax.text(
        0.995,
        (over + 1) / 2,
        "overweight",
        transform=zones,
        ha="right",
        va="center",
        color="seagreen",
        fontsize="small",
    )
    ax.text(
        0.995,
        under / 2,
        "underweight",
        transform=zones,
        ha="right",
        va="center",
        color="indianred",
        fontsize="small",
    )
    _shade_days(
        ax,
        index,
        frame["in_sample"].to_numpy(dtype=bool),
        (0.0, 1.0),
        color="grey",
        alpha=0.25,
        label="in sample (scored by a model that saw the label)",
    )
    if "stance" in frame:
        probability = frame["probability"].to_numpy(dtype=float)
        outside = (probability > over) | (probability < under)
        _shade_days(
            ax,
            index,
            outside & (frame["stance"].to_numpy() == "neutral"),
            (0.94, 1.0),
            color="darkorange",
            alpha=0.6,
            label="call held at neutral (the record did not show skill)",
        )
    if "lower" in frame and frame["lower"].notna().any() and len(frame) == 1:
        ax.errorbar(
            index,
            frame["probability"].astype(float),
            yerr=[frame["probability"] - frame["lower"], frame["upper"] - frame["probability"]],
            color="C0",
            alpha=0.5,
            capsize=4,
            ls="none",
            label="interval (bootstrap refits)",
        )
    elif "lower" in frame and frame["lower"].notna().any():
        ax.fill_between(
            index,
            frame["lower"].astype(float),
            frame["upper"].astype(float),
            color="C0",
            alpha=0.25,
            lw=0,
            label="interval (bootstrap refits)",
        )
    ax.plot(
        index,
        frame["probability"],
        color="C0",
        lw=1.0,
        marker="o" if len(frame) == 1 else None,
        label="probability",
    )
    ax.plot(
        index, frame["baseline"], color="black", lw=0.7, ls=":", label="baseline (pillars neutral)"
    )
    if outcomes is not None:
        realized = outcomes.reindex(index)
        for value, color, label in (
            (0, "silver", "did not (label 0)"),
            (1, "darkgreen", "small caps went on to outperform (label 1)"),
        ):
            days = realized.index[realized.to_numpy() == value]
            ax.scatter(
                days, np.full(len(days), 0.03), marker="|", s=25, lw=0.8, color=color, label=label
            )
        known = realized.dropna()
        if known.empty:
            ax.text(
                0.005,
                0.06,
                "no realized outcome known yet for these days",
                transform=ax.transAxes,
                fontsize="small",
            )
        elif known.index[-1] < index[-1]:
            ax.axvline(
                known.index[-1],
                color="black",
                ls="--",
                lw=0.8,
                label=f"outcomes known through {known.index[-1]:%Y-%m-%d}",
            )
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    return ax


def history_contributions_axes(ax: Any, frame: pd.DataFrame) -> Any:
    """The bottom panel of the history plot: pillar contributions stacked above and below 0.

    One colour per pillar, each day filled up to the next; the black line is
    their sum (probability - baseline).
    """
    pillars = [c for c in frame.columns if c not in HISTORY_COLUMNS]
    values = frame[pillars].astype(float).fillna(0.0)
    edges, above, below = _daily_steps(frame.index, np.zeros(len(frame)), np.zeros(len(frame)))
    for i, pillar in enumerate(pillars):
        _, positive, negative = _daily_steps(
            frame.index, values[pillar].clip(lower=0), values[pillar].clip(upper=0)
        )
        color = f"C{i % 10}"
        ax.fill_between(
            edges, above, above + positive, step="post", color=color, lw=0, label=pillar
        )
        ax.fill_between(edges, below, below + negative, step="post", color=color, lw=0)
        above += positive
        below += negative
    _, net = _daily_steps(frame.index, values.sum(axis=1))
    ax.step(edges, net, where="post", color="black", lw=0.8, label="net (probability - baseline)")
    ax.axhline(0, color="black", lw=0.5)
    ax.set_ylabel(CONTRIBUTION_AXIS)
    ax.set_xlabel("date")
    return ax


def draw_history(
    fig: Any,
    frame: pd.DataFrame,
    outcomes: pd.Series | None,
    thresholds: tuple[float, float],
    title: str,
    synthetic: bool,
) -> tuple[Any, Any]:
    """Draw the history plot into ``fig``: two stacked axes sharing the date axis.

    ``frame`` is ``RegimeModel.history(...)``; ``outcomes`` the realized label
    per date (1.0, 0.0 or NaN; None to leave them out); ``thresholds`` is
    (overweight_above, underweight_below). Returns (probability axes,
    contributions axes).
    """
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 2)})
    history_probability_axes(top, frame, outcomes, thresholds)
    history_contributions_axes(bottom, frame)
    if len(frame) == 1:  # a single day: a week around it
        bottom.set_xlim(
            frame.index[0] - pd.Timedelta(days=3), frame.index[0] + pd.Timedelta(days=4)
        )
    locator = AutoDateLocator()
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    top.set_title(title)
    room = _banner(fig, synthetic)
    for ax in (top, bottom):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0, fontsize="small")
    fig.tight_layout(rect=(0, 0, 1, room))
    return top, bottom


def history_figure(
    frame: pd.DataFrame,
    outcomes: pd.Series | None,
    thresholds: tuple[float, float],
    title: str,
    synthetic: bool,
    path: Path,
) -> Path:
    """The history plot (:func:`draw_history`) written to ``path`` as PNG."""
    fig = Figure(figsize=HISTORY_SIZE)
    draw_history(fig, frame, outcomes, thresholds, title, synthetic)
    fig.savefig(path, dpi=110)
    return path
