"""Out-of-sample metrics a quant trusts: skill, calibration, hit rates and honest intervals.

The walk-forward's predictions overlap: a label at day ``t`` is about the
next ``horizon`` days, so consecutive rows share most of their future and a
daily out-of-sample series of ``n`` rows holds only about ``n / horizon``
independent outcomes. Every interval here therefore comes from a block
bootstrap of rows with blocks of ``horizon`` rows, and :func:`evaluate`
reports the number of effective (non-overlapping) horizons next to the row
count.

All functions are pure: they take arrays (or a predictions frame with columns
``probability``, ``label``, ``climatology``, ``fold``) and return numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from arch.bootstrap import CircularBlockBootstrap, MovingBlockBootstrap
from scipy.stats import rankdata
from sklearn.metrics import log_loss

ArrayLike = np.ndarray | pd.Series | list[float]


@dataclass(frozen=True)
class Interval:
    """A statistic, its bootstrap percentile interval and the resamples behind it.

    Attributes
    ----------
    estimate : float
        The statistic on the original rows.
    lower, upper : float
        Percentile bounds of the statistic across the valid resamples (NaN
        when no resample gave a finite value).
    coverage : float
        Nominal coverage of ``[lower, upper]``.
    valid_reps : int
        Resamples on which the statistic was defined (finite); resamples where
        it is not (e.g. AUC on a single class) are skipped.
    """

    estimate: float
    lower: float
    upper: float
    coverage: float
    valid_reps: int

    def as_list(self) -> list[float]:
        """``[lower, upper]`` as plain floats."""
        return [float(self.lower), float(self.upper)]


@dataclass(frozen=True)
class HitRates:
    """How often the model's strong calls were right.

    Attributes
    ----------
    overweight_calls : int
        Rows with probability above the overweight threshold.
    overweight_hit_rate : float
        Share of those rows whose label was 1 (NaN without calls).
    underweight_calls : int
        Rows with probability below the underweight threshold.
    underweight_hit_rate : float
        Share of those rows whose label was 0 (NaN without calls).
    """

    overweight_calls: int
    overweight_hit_rate: float
    underweight_calls: int
    underweight_hit_rate: float


def _arrays(y: ArrayLike, p: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities as float arrays, checked for shape and range."""
    y_arr = np.asarray(y, dtype=float).ravel()
    p_arr = np.asarray(p, dtype=float).ravel()
    if y_arr.shape != p_arr.shape:
        raise ValueError(f"labels and probabilities differ in length: {y_arr.size} != {p_arr.size}")
    if not np.isin(y_arr, (0.0, 1.0)).all():
        raise ValueError("labels must be 0 or 1 (no missing values)")
    if np.isnan(p_arr).any() or (p_arr < 0).any() or (p_arr > 1).any():
        raise ValueError("probabilities must lie in [0, 1] (no missing values)")
    return y_arr, p_arr


def brier_score(y: ArrayLike, p: ArrayLike) -> float:
    """Mean squared error of the probabilities against the 0/1 labels.

    Parameters
    ----------
    y : array-like of {0, 1}
        Labels.
    p : array-like of float in [0, 1]
        Predicted probabilities of label 1.

    Returns
    -------
    float
        ``mean((p - y) ** 2)``; NaN on no rows.
    """
    y_arr, p_arr = _arrays(y, p)
    return float(np.mean((p_arr - y_arr) ** 2)) if y_arr.size else float("nan")


def brier_skill(y: ArrayLike, p: ArrayLike, reference: ArrayLike) -> float:
    """Brier skill score of ``p`` over a reference forecast.

    Parameters
    ----------
    y : array-like of {0, 1}
        Labels.
    p : array-like of float
        Probabilities being scored.
    reference : array-like of float
        Reference probabilities for the same rows (usually the training base
        rate, the ``climatology`` column).

    Returns
    -------
    float
        ``1 - Brier(p) / Brier(reference)``: 0 is no better than the
        reference, 1 is perfect, negative is worse. NaN when the reference's
        Brier score is 0 (or there are no rows).
    """
    reference_brier = brier_score(y, reference)
    if not reference_brier > 0:
        return float("nan")
    return float(1.0 - brier_score(y, p) / reference_brier)


def auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve (ties count one half), NaN with a single class.

    Parameters
    ----------
    y : array-like of {0, 1}
        Labels.
    p : array-like of float
        Scores; higher means label 1 is more likely.

    Returns
    -------
    float
        The probability that a random positive row scores above a random
        negative one (equal to :func:`sklearn.metrics.roc_auc_score`), or NaN
        when the labels hold one class only.
    """
    y_arr, p_arr = _arrays(y, p)
    positives = int(y_arr.sum())
    negatives = y_arr.size - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(p_arr)
    rank_sum = float(ranks[y_arr == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def clipped_log_loss(y: ArrayLike, p: ArrayLike, eps: float = 1e-6) -> float:
    """Log loss with probabilities clipped to ``[eps, 1 - eps]`` (as the walk-forward reports it).

    Returns
    -------
    float
        Mean negative log-likelihood of the labels; NaN on no rows.
    """
    y_arr, p_arr = _arrays(y, p)
    if not y_arr.size:
        return float("nan")
    return float(log_loss(y_arr, np.clip(p_arr, eps, 1.0 - eps), labels=[0, 1]))


def _bin_of(p: np.ndarray, bins: int) -> np.ndarray:
    """Equal-width bin of each probability: ``[k/bins, (k+1)/bins)``, 1.0 in the last bin."""
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    return np.minimum(np.floor(p * bins).astype(int), bins - 1)


def reliability_table(y: ArrayLike, p: ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Observed frequency against mean predicted probability, by equal-width bin.

    Parameters
    ----------
    y : array-like of {0, 1}
        Labels.
    p : array-like of float in [0, 1]
        Predicted probabilities.
    bins : int, default 10
        Number of equal-width bins on [0, 1]. Bin ``k`` holds
        ``k / bins <= p < (k + 1) / bins``; the last bin also holds ``p = 1``.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty bin (index ``bin``, the bin number), columns
        ``lower``, ``upper`` (bin edges), ``predicted`` (mean probability),
        ``observed`` (share of label 1) and ``rows``.
    """
    y_arr, p_arr = _arrays(y, p)
    frame = pd.DataFrame({"bin": _bin_of(p_arr, bins), "p": p_arr, "y": y_arr})
    table = frame.groupby("bin").agg(
        predicted=("p", "mean"), observed=("y", "mean"), rows=("y", "size")
    )
    table.insert(0, "lower", table.index.to_numpy() / bins)
    table.insert(1, "upper", (table.index.to_numpy() + 1) / bins)
    table["rows"] = table["rows"].astype(int)
    return table


def expected_calibration_error(y: ArrayLike, p: ArrayLike, bins: int = 10) -> float:
    """Row-weighted mean gap between predicted and observed frequency over equal-width bins.

    Parameters
    ----------
    y : array-like of {0, 1}
        Labels.
    p : array-like of float in [0, 1]
        Predicted probabilities.
    bins : int, default 10
        Number of equal-width bins (see :func:`reliability_table`).

    Returns
    -------
    float
        ``sum_b rows_b / n * |predicted_b - observed_b|``; NaN on no rows.
    """
    table = reliability_table(y, p, bins)
    total = table["rows"].sum()
    if total == 0:
        return float("nan")
    gaps = (table["predicted"] - table["observed"]).abs()
    return float((gaps * table["rows"]).sum() / total)


def hit_rates(
    y: ArrayLike, p: ArrayLike, overweight_above: float, underweight_below: float
) -> HitRates:
    """Share of overweight calls that were right and of underweight calls that were right.

    Parameters
    ----------
    y : array-like of {0, 1}
        Labels.
    p : array-like of float in [0, 1]
        Predicted probabilities.
    overweight_above : float
        A row with ``p > overweight_above`` is an overweight call; it is right
        when its label is 1.
    underweight_below : float
        A row with ``p < underweight_below`` is an underweight call; it is
        right when its label is 0.

    Returns
    -------
    HitRates
        Counts and hit rates of both kinds of call (rates NaN without calls).
    """
    if underweight_below > overweight_above:
        raise ValueError(
            f"underweight_below ({underweight_below}) must not exceed "
            f"overweight_above ({overweight_above})"
        )
    y_arr, p_arr = _arrays(y, p)
    over = p_arr > overweight_above
    under = p_arr < underweight_below
    return HitRates(
        overweight_calls=int(over.sum()),
        overweight_hit_rate=float(y_arr[over].mean()) if over.any() else float("nan"),
        underweight_calls=int(under.sum()),
        underweight_hit_rate=float(1.0 - y_arr[under].mean()) if under.any() else float("nan"),
    )


def effective_horizons(n_rows: int, horizon: int) -> float:
    """Number of independent (non-overlapping) horizons in ``n_rows`` daily rows.

    A label at day ``t`` describes the next ``horizon`` days, so labels of
    consecutive days overlap in all but one day and ``n_rows`` daily
    predictions carry about as much independent evidence as
    ``n_rows / horizon`` non-overlapping outcomes. That is the sample size to
    keep in mind when reading any metric: 2,520 daily rows with a 63-day
    horizon are 40 independent outcomes, not 2,520.

    Parameters
    ----------
    n_rows : int
        Out-of-sample rows (one per day).
    horizon : int
        Label horizon in rows (trading days), at least 1.

    Returns
    -------
    float
        ``n_rows / horizon``.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, got {horizon}")
    return n_rows / horizon


def block_bootstrap_interval(
    statistic: Callable[..., float],
    *data: np.ndarray | pd.Series | pd.DataFrame,
    block: int,
    coverage: float = 0.9,
    reps: int = 500,
    seed: int = 0,
    circular: bool = False,
) -> Interval:
    """Percentile interval of a statistic of rows under a block bootstrap of those rows.

    Rows are resampled jointly across ``data`` in blocks of ``block``
    consecutive rows (moving-block bootstrap, or circular-block with
    ``circular=True``, from :mod:`arch.bootstrap`), which keeps the overlap of
    neighbouring labels inside each block. Use ``block = horizon``.

    Parameters
    ----------
    statistic : callable
        ``statistic(*resampled_data) -> float``. A non-finite result (e.g.
        AUC of a single-class resample) marks the resample as invalid; it is
        skipped.
    *data : arrays, Series or DataFrames
        Same number of rows each; resampled by the same row positions.
    block : int
        Block length in rows (clamped to ``[1, rows]``).
    coverage : float, default 0.9
        Central coverage of the percentile interval.
    reps : int, default 500
        Number of resamples.
    seed : int, default 0
        Seed of the resampling; the same seed and row count draw the same
        resamples, so intervals of different forecasts on the same rows are
        paired.
    circular : bool, default False
        Use the circular-block instead of the moving-block bootstrap.

    Returns
    -------
    Interval
        The statistic on all rows and the ``(1 - coverage) / 2`` and
        ``(1 + coverage) / 2`` quantiles across valid resamples (NaN bounds
        when none was valid).
    """
    if not data:
        raise ValueError("block_bootstrap_interval needs at least one array")
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must lie in (0, 1), got {coverage}")
    n = len(data[0])
    if any(len(d) != n for d in data):
        raise ValueError("all data must have the same number of rows")
    arrays = [
        d.to_numpy() if isinstance(d, pd.Series | pd.DataFrame) else np.asarray(d) for d in data
    ]
    estimate = float(statistic(*arrays))
    draws = [
        float(statistic(*(a[positions] for a in arrays)))
        for positions in _resampled_positions(n, block, reps, seed, circular)
    ]
    return _percentile_interval(estimate, draws, coverage)


def _resampled_positions(
    n: int, block: int, reps: int, seed: int, circular: bool
) -> Iterator[np.ndarray]:
    """The row positions of each block-bootstrap resample (none without rows or reps)."""
    if n == 0 or reps <= 0:
        return
    kind = CircularBlockBootstrap if circular else MovingBlockBootstrap
    sampler = kind(max(1, min(int(block), n)), np.arange(n), seed=seed)
    for (positions,), _ in sampler.bootstrap(reps):
        yield positions


def _percentile_interval(estimate: float, draws: list[float], coverage: float) -> Interval:
    """The percentile interval of the finite ``draws`` (NaN bounds when none is finite)."""
    valid = [d for d in draws if math.isfinite(d)]
    tail = (1.0 - coverage) / 2.0
    lower, upper = (
        (float(np.quantile(valid, tail)), float(np.quantile(valid, 1.0 - tail)))
        if valid
        else (float("nan"), float("nan"))
    )
    return Interval(estimate, lower, upper, coverage, len(valid))


def auc_interval(
    y: ArrayLike,
    p: ArrayLike,
    block: int,
    coverage: float = 0.9,
    reps: int = 500,
    seed: int = 0,
) -> Interval:
    """Block-bootstrap interval of the AUC (single-class resamples skipped).

    The resamples of :func:`block_bootstrap_interval` with the same
    ``block``, ``reps`` and ``seed``; each one's AUC is computed from how
    many times it drew each row (a weighted Mann-Whitney count over the rows
    sorted once), not by ranking the resample again.
    """
    y_arr, p_arr = _arrays(y, p)
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must lie in (0, 1), got {coverage}")
    n = y_arr.size
    _, level = np.unique(p_arr, return_inverse=True)  # tied scores share a level
    levels = int(level.max()) + 1 if n else 0
    positive = y_arr == 1.0

    def drawn_auc(counts: np.ndarray) -> float:
        wins = np.bincount(level[positive], weights=counts[positive], minlength=levels)
        losses = np.bincount(level[~positive], weights=counts[~positive], minlength=levels)
        pairs = wins.sum() * losses.sum()
        if pairs == 0:
            return math.nan
        below = np.cumsum(losses) - losses  # negatives scored strictly lower, per level
        return float((wins * (below + 0.5 * losses)).sum() / pairs)

    draws = [
        drawn_auc(np.bincount(positions, minlength=n).astype("float64"))
        for positions in _resampled_positions(n, block, reps, seed, circular=False)
    ]
    return _percentile_interval(auc(y_arr, p_arr), draws, coverage)


def brier_skill_interval(
    y: ArrayLike,
    p: ArrayLike,
    reference: ArrayLike,
    block: int,
    coverage: float = 0.9,
    reps: int = 500,
    seed: int = 0,
) -> Interval:
    """Block-bootstrap interval of the Brier skill over ``reference`` (rows resampled jointly)."""
    y_arr, p_arr = _arrays(y, p)
    _, ref_arr = _arrays(y_arr, reference)
    return block_bootstrap_interval(
        brier_skill, y_arr, p_arr, ref_arr, block=block, coverage=coverage, reps=reps, seed=seed
    )


def score_predictions(predictions: pd.DataFrame) -> dict[str, Any]:
    """The point metrics of out-of-sample predictions, without intervals.

    Keys ``oos_rows``, ``oos_start``, ``oos_end``, ``folds``, ``auc``,
    ``brier``, ``brier_climatology``, ``brier_skill`` (over the
    ``climatology`` column), ``log_loss``, ``base_rate`` and
    ``mean_probability`` (NaN where undefined).
    """
    y, p = _arrays(predictions["label"], predictions["probability"])
    _, clim = _arrays(y, predictions["climatology"])
    return {
        "oos_rows": len(y),
        "oos_start": predictions.index[0].strftime("%Y-%m-%d"),
        "oos_end": predictions.index[-1].strftime("%Y-%m-%d"),
        "folds": int(predictions["fold"].nunique()),
        "auc": auc(y, p),
        "brier": brier_score(y, p),
        "brier_climatology": brier_score(y, clim),
        "brier_skill": brier_skill(y, p, clim),
        "log_loss": clipped_log_loss(y, p),
        "base_rate": float(y.mean()),
        "mean_probability": float(p.mean()),
    }


def evaluate(
    predictions: pd.DataFrame,
    horizon: int,
    overweight_above: float,
    underweight_below: float,
    reps: int = 500,
    seed: int = 0,
    coverage: float = 0.9,
    bins: int = 10,
) -> dict[str, Any]:
    """Every out-of-sample metric of a walk-forward's predictions in one JSON-safe dict.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Indexed by date, columns ``probability``, ``label`` (0/1),
        ``climatology`` (the training base rate of the row's fold) and
        ``fold``.
    horizon : int
        Label horizon in rows; the bootstrap block length and the divisor of
        the effective sample size.
    overweight_above, underweight_below : float
        Thresholds of the strong calls (see :func:`hit_rates`).
    reps, seed, coverage : int, int, float
        Block bootstrap settings of the intervals (see
        :func:`block_bootstrap_interval`).
    bins : int, default 10
        Equal-width bins of the expected calibration error.

    Returns
    -------
    dict
        Plain ``str``/``int``/``float``/``list`` values (NaN where a metric is
        undefined, as in ``score_predictions``). The keys of
        ``score_predictions`` (``oos_rows``, ``oos_start``, ``oos_end``,
        ``folds``, ``auc``, ``brier``, ``brier_climatology``, ``brier_skill``,
        ``log_loss``, ``base_rate``, ``mean_probability``) with the same
        values, plus ``auc_interval`` and ``brier_skill_interval``
        (``[lower, upper]``), ``ece``, ``overweight_calls``,
        ``overweight_hit_rate``, ``underweight_calls``,
        ``underweight_hit_rate``, ``effective_horizons``, ``horizon``,
        ``interval_coverage``, ``bootstrap_reps`` and ``bootstrap_valid_reps``
        (the resamples both intervals could use: one with a single outcome
        has no AUC and is skipped).
    """
    if predictions.empty:
        raise ValueError("evaluate needs at least one prediction")
    y, p = _arrays(predictions["label"], predictions["probability"])
    _, clim = _arrays(y, predictions["climatology"])
    settings = {"block": horizon, "coverage": coverage, "reps": reps, "seed": seed}
    hits = hit_rates(y, p, overweight_above, underweight_below)
    ranking = auc_interval(y, p, **settings)
    skill = brier_skill_interval(y, p, clim, **settings)
    return {
        **score_predictions(predictions),
        "auc_interval": ranking.as_list(),
        "brier_skill_interval": skill.as_list(),
        "ece": expected_calibration_error(y, p, bins),
        "overweight_calls": hits.overweight_calls,
        "overweight_hit_rate": hits.overweight_hit_rate,
        "underweight_calls": hits.underweight_calls,
        "underweight_hit_rate": hits.underweight_hit_rate,
        "effective_horizons": float(effective_horizons(len(y), horizon)),
        "horizon": int(horizon),
        "interval_coverage": float(coverage),
        "bootstrap_reps": int(reps),
        "bootstrap_valid_reps": min(ranking.valid_reps, skill.valid_reps),
    }
