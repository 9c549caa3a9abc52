"""How much of the best variant's record is selection: the multiple-testing view of a sweep.

Picking the best of many variants flatters it: even if none had skill, the
best AUC of many noisy estimates sits above 0.5. Two corrections, both using
the number of variants tried:

**AUC: a max-statistic block bootstrap** (White's reality check, as in
Romano and Wolf's step-down tests). The out-of-sample predictions of every
variant that ran are aligned on their dates, and the dates are resampled in
moving blocks of the longest horizon (so overlapping labels stay together
and every variant sees the same resample, which keeps the variants'
correlation). In each resample every variant's AUC moves by
``AUC*_v - AUC_v``; the largest of these moves over the variants is how far
the best of them can drift by chance alone. Then

- *selection alone* is the mean of that largest move: the edge over 0.5 the
  best variant would show, on average, if none had any skill;
- the *adjusted lower bound* of the winner's AUC is its AUC minus the 95th
  percentile of the largest move, valid for every variant at once and so for
  the one that was picked (the lower end of a 90% interval, as elsewhere in
  the project);
- the *adjusted p-value* is the share of resamples whose largest move reaches
  the winner's edge: the chance that the best of these variants looks this
  good with no skill at all.

Unlike a Bonferroni bound, which treats the variants as independent, the max
statistic uses their actual correlation: forty variants that differ in a
regularisation constant cost little, forty different feature sets cost more.

**Sharpe ratio: the deflated Sharpe ratio** of the long-small/short-large
overlay (:func:`regime.evaluation.overlay.deflated_sharpe_ratio`), with
``N`` the variants tried: every variant that ran to the end in this output
directory, plus the configurations the base config already declares as
tried before it (``evaluation.trials - 1``). The variance of the Sharpe ratio
across trials is the one of an unskilled strategy over the same periods,
``1 / (T - 1)``, which treats the variants as independent: conservative
when they are correlated.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from arch.bootstrap import MovingBlockBootstrap

from regime.evaluation.metrics import auc
from regime.evaluation.overlay import deflated_sharpe_ratio, expected_maximum_sharpe

#: One-sided level of the adjusted lower bound (the lower end of a 90% interval).
ALPHA = 0.05


@dataclass(frozen=True)
class MaxStatistic:
    """The max-statistic bootstrap of a set of variants' AUCs."""

    variants: int
    block: int
    reps: int
    valid_reps: int
    luck: float  # mean over resamples of max_v (AUC*_v - AUC_v)
    critical: float  # its (1 - ALPHA) quantile
    exceed: np.ndarray  # per resample, max_v (AUC*_v - AUC_v)


@dataclass(frozen=True)
class SelectionView:
    """The winner of a sweep and how much of its record selection alone would explain.

    Attributes
    ----------
    trials : int
        Variants counted as tried (deflated Sharpe ratio).
    compared : int
        Variants whose predictions enter the max-statistic bootstrap.
    winner : str or None
        Id of the variant with the highest out-of-sample AUC.
    auc : float
        Its AUC.
    edge : float
        ``auc - 0.5``.
    luck : float
        Mean largest AUC move over 0.5 among ``compared`` unskilled variants.
    luck_share : float
        ``luck / edge`` clipped to [0, 1] (NaN when the edge is not positive).
    adjusted_lower : float
        The winner's AUC minus the 95th percentile of the largest move.
    p_value : float
        Share of resamples in which the largest move reaches ``edge``.
    sharpe, sharpe_by_luck : float
        The winner's annualised overlay Sharpe ratio, and the annualised
        Sharpe ratio the best of ``trials`` unskilled variants would show
        (the deflation threshold).
    deflated_sharpe : float
        The winner's deflated Sharpe ratio given ``trials``.
    block, reps : int
        Bootstrap block (rows) and resamples.
    """

    trials: int
    compared: int
    winner: str | None
    auc: float
    edge: float
    luck: float
    luck_share: float
    adjusted_lower: float
    p_value: float
    sharpe: float
    sharpe_by_luck: float
    deflated_sharpe: float
    block: int
    reps: int

    def as_dict(self) -> dict[str, Any]:
        """The view as a plain dict."""
        return asdict(self)

    def sentence(self) -> str:
        """The plain-words verdict the report and the command print."""
        if self.winner is None:
            return "No variant finished, so there is no winner to judge."
        if not self.edge > 0:
            return (
                f"The best variant ({self.winner}) has no edge over a coin flip "
                f"(AUC {self.auc:.3f}); there is nothing for selection to explain."
            )
        share = "all" if self.luck_share >= 1 else f"about {self.luck_share:.0%}"
        chance = "below 0.01" if self.p_value < 0.01 else f"{self.p_value:.2f}"
        return (
            f"Selection alone would explain {share} of the winner's edge: the best of "
            f"{self.compared} variants with no skill would show an AUC of "
            f"{0.5 + self.luck:.3f} on average, against the winner's {self.auc:.3f}. "
            f"Adjusted for the {self.compared} variants compared, its AUC is at least "
            f"{self.adjusted_lower:.3f} (one-sided 95%), and the chance that the best of them "
            f"looks this good with no skill is {chance}."
        )


def aligned_predictions(
    predictions: dict[str, pd.DataFrame],
) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """Every variant's probability and label on the union of their dates (NaN where absent)."""
    index = pd.DatetimeIndex(sorted(set().union(*(p.index for p in predictions.values()))))
    p = np.full((len(index), len(predictions)), np.nan)
    y = np.full((len(index), len(predictions)), np.nan)
    for column, frame in enumerate(predictions.values()):
        rows = index.get_indexer(frame.index)
        p[rows, column] = frame["probability"].to_numpy(dtype=float)
        y[rows, column] = frame["label"].to_numpy(dtype=float)
    return index, p, y


def _auc_of(y: np.ndarray, p: np.ndarray) -> float:
    present = ~np.isnan(p)
    return auc(y[present], p[present]) if present.any() else math.nan


def max_statistic(
    predictions: dict[str, pd.DataFrame], block: int, reps: int = 500, seed: int = 0
) -> MaxStatistic:
    """Max-statistic moving-block bootstrap of the variants' AUCs (see the module docstring)."""
    _, p, y = aligned_predictions(predictions)
    n, variants = p.shape
    observed = np.array([_auc_of(y[:, v], p[:, v]) for v in range(variants)])
    exceed: list[float] = []
    if n and reps:
        sampler = MovingBlockBootstrap(max(1, min(block, n)), np.arange(n), seed=seed)
        for (positions,), _ in sampler.bootstrap(reps):
            moves = [
                _auc_of(y[positions, v], p[positions, v]) - observed[v] for v in range(variants)
            ]
            finite = [m for m in moves if math.isfinite(m)]
            if finite:
                exceed.append(max(finite))
    draws = np.asarray(exceed)
    return MaxStatistic(
        variants=variants,
        block=block,
        reps=reps,
        valid_reps=draws.size,
        luck=float(draws.mean()) if draws.size else math.nan,
        critical=float(np.quantile(draws, 1.0 - ALPHA)) if draws.size else math.nan,
        exceed=draws,
    )


def trials_of(ok_variants: int, base_trials: int = 1) -> int:
    """Variants counted as tried: those that ran, plus the base config's declared earlier ones."""
    return max(1, ok_variants + max(0, base_trials - 1))


def deflated_sharpe(metrics: dict[str, Any], trials: int) -> float:
    """A variant's deflated Sharpe ratio as if it were picked among ``trials``."""
    sharpe = metrics.get("overlay_sharpe_per_period")
    periods = int(metrics.get("overlay_periods") or 0)
    if sharpe is None or not math.isfinite(sharpe) or periods < 2:
        return math.nan
    skew = metrics.get("overlay_skew")
    kurt = metrics.get("overlay_kurtosis")
    return deflated_sharpe_ratio(
        sharpe,
        periods,
        trials,
        0.0 if skew is None or not math.isfinite(skew) else skew,
        3.0 if kurt is None or not math.isfinite(kurt) else kurt,
    )


def selection_view(
    metrics: dict[str, dict[str, Any]],
    predictions: dict[str, pd.DataFrame],
    trials: int,
    reps: int = 500,
    seed: int = 0,
) -> SelectionView:
    """The winner by out-of-sample AUC and the share of its edge selection would explain.

    Parameters
    ----------
    metrics : dict of str to dict
        Each finished variant's metrics (``auc``, ``horizon``, ``overlay_*``).
    predictions : dict of str to pandas.DataFrame
        Each finished variant's out-of-sample predictions (``probability``,
        ``label``), indexed by date.
    trials : int
        Variants tried (:func:`trials_of`).
    reps, seed : int
        Bootstrap resamples and seed.
    """
    nan = math.nan
    scored = {k: m for k, m in metrics.items() if k in predictions and _finite(m.get("auc"))}
    if not scored:
        return SelectionView(trials, 0, None, nan, nan, nan, nan, nan, nan, nan, nan, nan, 0, 0)
    winner = max(scored, key=lambda k: (scored[k]["auc"], k))
    best = scored[winner]
    block = max(int(m.get("horizon") or 1) for m in scored.values())
    stat = max_statistic({k: predictions[k] for k in scored}, block, reps, seed)
    edge = float(best["auc"]) - 0.5
    share = min(1.0, max(0.0, stat.luck / edge)) if edge > 0 and _finite(stat.luck) else nan
    p_value = float((stat.exceed >= edge).mean()) if stat.valid_reps else nan
    per_year = best.get("overlay_periods_per_year") or nan
    periods = int(best.get("overlay_periods") or 0)
    threshold = expected_maximum_sharpe(trials, 1.0 / (periods - 1)) if periods > 1 else nan
    return SelectionView(
        trials=trials,
        compared=len(scored),
        winner=winner,
        auc=float(best["auc"]),
        edge=edge,
        luck=stat.luck,
        luck_share=share,
        adjusted_lower=float(best["auc"]) - stat.critical,
        p_value=p_value,
        sharpe=float(best["overlay_sharpe"]) if _finite(best.get("overlay_sharpe")) else nan,
        sharpe_by_luck=threshold * math.sqrt(per_year) if _finite(per_year) else nan,
        deflated_sharpe=deflated_sharpe(best, trials),
        block=block,
        reps=reps,
    )


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
