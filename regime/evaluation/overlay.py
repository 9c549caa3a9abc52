"""The economic view: a small-minus-large overlay sized by the model's conviction.

Once per horizon the overlay goes long small caps and short large caps (or
the reverse) with weight::

    weight = clip((probability - climatology) / WEIGHT_SCALE, -1, 1)

so a probability 25 points above the fold's training base rate is a full
unit long small / short large, one at the base rate holds nothing, and one 25
points below is a full unit the other way. The position is held for one
horizon and only then rebalanced, so the period returns do not overlap and
their statistics need no overlap correction. Costs are ignored.

The statistics include the deflated Sharpe ratio of Bailey and López de
Prado (2014), which discounts the Sharpe ratio for the number of variants
tried before this one was picked.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import kurtosis as sample_kurtosis
from scipy.stats import norm
from scipy.stats import skew as sample_skew

#: Probability gap over the base rate that makes a full-size position.
WEIGHT_SCALE = 0.25


@dataclass(frozen=True)
class OverlayStats:
    """Performance of the overlay's non-overlapping period returns.

    Attributes
    ----------
    periods : int
        Number of holding periods.
    annual_return : float
        Geometric: ``prod(1 + r) ** (periods_per_year / periods) - 1``.
    annual_volatility : float
        ``std(r, ddof=1) * sqrt(periods_per_year)``.
    sharpe : float
        Annualised ``mean(r) / std(r) * sqrt(periods_per_year)``; no risk-free
        rate is subtracted, the long-short position being self-financing.
    max_drawdown : float
        Worst peak-to-trough change of wealth ``prod(1 + r)`` (starting at 1),
        a number in ``[-1, 0]``.
    skew : float
        Sample skewness of the period returns.
    kurtosis : float
        Sample (Pearson, not excess: 3 for normal) kurtosis of the period returns.
    deflated_sharpe : float
        :func:`deflated_sharpe_ratio` of the per-period Sharpe given ``n_trials``.
    n_trials : int
        Number of strategy variants the deflation accounts for.
    sharpe_across_starts : tuple of float, optional
        Lowest, median and highest annualised Sharpe ratio of the same
        overlay started on each of the first ``horizon`` prediction dates
        (:func:`sharpe_across_starts`): how much of ``sharpe`` is the luck of
        the rebalancing calendar. None when not computed.
    """

    periods: int
    annual_return: float
    annual_volatility: float
    sharpe: float
    max_drawdown: float
    skew: float
    kurtosis: float
    deflated_sharpe: float
    n_trials: int
    sharpe_across_starts: tuple[float, float, float] | None = None

    def as_dict(self) -> dict[str, float | int]:
        """The statistics as a plain dict."""
        return asdict(self)


def overlay_weights(
    probability: pd.Series, climatology: pd.Series | float, scale: float = WEIGHT_SCALE
) -> pd.Series:
    """Position in small minus large caps: ``clip((probability - climatology) / scale, -1, 1)``."""
    return ((probability - climatology) / scale).clip(-1.0, 1.0)


def overlay_returns(
    probability: pd.Series,
    climatology: pd.Series,
    small_returns: pd.Series,
    large_returns: pd.Series,
    horizon: int,
    scale: float = WEIGHT_SCALE,
    first: int = 0,
) -> pd.DataFrame:
    """Returns of a long-small/short-large position rebalanced once per horizon.

    The clock is the returns' dates. The first position is taken at the
    ``first`` prediction date ``t0`` (the earliest by default) and earns the
    returns of the next ``horizon`` return dates after it (``(t0, t_h]``, the
    label's own window); the next one is taken at the last date of that
    window, with the latest prediction known on that date, and so on: the
    periods are contiguous and never overlap. Positions stop when a rebalance date falls
    after the last prediction or a full horizon of returns is no longer
    available.

    Parameters
    ----------
    probability, climatology : pandas.Series
        The walk-forward's ``probability`` and ``climatology`` columns,
        indexed by date.
    small_returns, large_returns : pandas.Series
        Daily simple returns of the two legs, indexed by date (dates where
        either is missing are dropped).
    horizon : int
        Holding period in return dates.
    scale : float, default 0.25
        Probability gap over the base rate that makes a full-size position.
    first : int, default 0
        Position of the first rebalance date among the prediction dates.

    Returns
    -------
    pandas.DataFrame
        Indexed by rebalance date, columns ``end`` (last return date of the
        period), ``weight``, ``small`` and ``large`` (compounded leg returns
        over the period), ``excess`` (``small - large``) and ``return``
        (``weight * excess``, the period return).
    """
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, got {horizon}")
    legs = pd.concat({"small": small_returns, "large": large_returns}, axis=1).dropna()
    weights = overlay_weights(probability, climatology, scale).dropna().sort_index()
    columns = ["end", "weight", "small", "large", "excess", "return"]
    rows: list[dict[str, object]] = []
    if first < len(weights):
        growth = np.vstack([np.ones(2), np.cumprod(1.0 + legs.to_numpy(), axis=0)])
        dates = legs.index
        rebalance = weights.index[first]
        anchor = int(dates.searchsorted(rebalance, side="right")) - 1
        while rebalance <= weights.index[-1] and anchor + horizon < len(dates):
            weight = float(weights.loc[:rebalance].iloc[-1])
            small, large = (
                float(v) for v in growth[anchor + 1 + horizon] / growth[anchor + 1] - 1.0
            )
            rows.append(
                {
                    "date": rebalance,
                    "end": dates[anchor + horizon],
                    "weight": weight,
                    "small": small,
                    "large": large,
                    "excess": small - large,
                    "return": weight * (small - large),
                }
            )
            anchor += horizon
            rebalance = dates[anchor]
    frame = pd.DataFrame(rows, columns=["date", *columns]).set_index("date")
    frame.index.name = None
    return frame


def max_drawdown(period_returns: pd.Series | np.ndarray) -> float:
    """Worst peak-to-trough change of wealth ``prod(1 + r)``, starting from 1 (a value <= 0)."""
    returns = np.asarray(period_returns, dtype=float)
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + returns)])
    return float((wealth / np.maximum.accumulate(wealth) - 1.0).min())


def probabilistic_sharpe_ratio(
    sharpe: float, n_periods: int, skew: float, kurtosis: float, benchmark: float = 0.0
) -> float:
    """Probability that the true Sharpe ratio exceeds ``benchmark`` (Bailey & López de Prado 2012).

    ``PSR = Phi((SR - SR*) * sqrt(T - 1) / sqrt(1 - skew * SR + (kurtosis - 1) / 4 * SR**2))``
    with every Sharpe ratio per period (not annualised), ``T`` periods and
    Pearson kurtosis (3 for normal returns).
    """
    if n_periods < 2 or not math.isfinite(sharpe):
        return float("nan")
    spread = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if not spread > 0:
        return float("nan")
    z = (sharpe - benchmark) * math.sqrt(n_periods - 1) / math.sqrt(spread)
    return float(norm.cdf(z))


def expected_maximum_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """Expected largest Sharpe ratio of ``n_trials`` unskilled (true Sharpe 0) trials.

    ``sqrt(V) * ((1 - g) * Phi^-1(1 - 1/N) + g * Phi^-1(1 - 1/(N e)))`` with
    ``g`` the Euler-Mascheroni constant; 0 for a single trial.
    """
    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    if n_trials == 1:
        return 0.0
    gamma = float(np.euler_gamma)
    quantiles = (1.0 - gamma) * norm.ppf(1.0 - 1.0 / n_trials) + gamma * norm.ppf(
        1.0 - 1.0 / (n_trials * math.e)
    )
    return float(math.sqrt(sharpe_variance) * quantiles)


def deflated_sharpe_ratio(
    sharpe: float,
    n_periods: int,
    n_trials: int,
    skew: float,
    kurtosis: float,
    sharpe_variance_across_trials: float | None = None,
) -> float:
    """Deflated Sharpe ratio (Bailey & López de Prado 2014).

    The probability that the true Sharpe ratio exceeds the Sharpe ratio the
    best of ``n_trials`` unskilled strategies would show by luck::

        SR0 = sqrt(V) * ((1 - g) * Phi^-1(1 - 1/N) + g * Phi^-1(1 - 1/(N e)))
        DSR = Phi((SR - SR0) * sqrt(T - 1) / sqrt(1 - skew * SR + (kurtosis - 1) / 4 * SR**2))

    With ``n_trials = 1``, ``SR0 = 0`` and the DSR is the probabilistic
    Sharpe ratio against 0.

    Parameters
    ----------
    sharpe : float
        Observed Sharpe ratio **per period** (not annualised), e.g. per
        quarter for a 63-day overlay.
    n_periods : int
        Number of returns ``T`` behind ``sharpe``.
    n_trials : int
        Number ``N`` of (independent) strategy variants tried, this one included.
    skew : float
        Skewness of the period returns.
    kurtosis : float
        Pearson kurtosis of the period returns (3 for normal, not excess).
    sharpe_variance_across_trials : float, optional
        ``V``, the variance of the per-period Sharpe ratios across the trials.
        Default: ``1 / (T - 1)``, the sampling variance of the Sharpe ratio of
        an unskilled strategy over ``T`` periods.

    Returns
    -------
    float
        A probability in [0, 1]; NaN when ``T < 2`` or the Sharpe is undefined.
    """
    if n_periods < 2:
        return float("nan")
    variance = (
        1.0 / (n_periods - 1)
        if sharpe_variance_across_trials is None
        else sharpe_variance_across_trials
    )
    threshold = expected_maximum_sharpe(n_trials, variance)
    return probabilistic_sharpe_ratio(sharpe, n_periods, skew, kurtosis, benchmark=threshold)


def overlay_stats(
    period_returns: pd.Series | np.ndarray, periods_per_year: float, n_trials: int = 1
) -> OverlayStats:
    """Annual return and volatility, Sharpe, drawdown and deflated Sharpe of period returns.

    Parameters
    ----------
    period_returns : pandas.Series or numpy.ndarray
        Non-overlapping period returns (the ``return`` column of
        :func:`overlay_returns`).
    periods_per_year : float
        E.g. ``252 / horizon`` for periods of ``horizon`` trading days.
    n_trials : int, default 1
        Strategy variants tried, for the deflated Sharpe ratio.

    Returns
    -------
    OverlayStats
        NaN statistics where undefined (fewer than 2 periods, zero volatility).
    """
    returns = np.asarray(period_returns, dtype=float)
    n = returns.size
    nan = float("nan")
    if n == 0:
        return OverlayStats(0, nan, nan, nan, 0.0, nan, nan, nan, n_trials)
    annual_return = float(np.prod(1.0 + returns) ** (periods_per_year / n) - 1.0)
    std = float(returns.std(ddof=1)) if n > 1 else nan
    per_period_sharpe = float(returns.mean() / std) if std > 0 else nan
    skew = float(sample_skew(returns)) if n > 2 and std > 0 else nan
    kurt = float(sample_kurtosis(returns, fisher=False)) if n > 3 and std > 0 else nan
    deflated = deflated_sharpe_ratio(
        per_period_sharpe,
        n,
        n_trials,
        0.0 if math.isnan(skew) else skew,
        3.0 if math.isnan(kurt) else kurt,
    )
    return OverlayStats(
        periods=n,
        annual_return=annual_return,
        annual_volatility=std * math.sqrt(periods_per_year),
        sharpe=per_period_sharpe * math.sqrt(periods_per_year),
        max_drawdown=max_drawdown(returns),
        skew=skew,
        kurtosis=kurt,
        deflated_sharpe=deflated,
        n_trials=n_trials,
    )


def sharpe_across_starts(
    predictions: pd.DataFrame, legs: pd.DataFrame, horizon: int, periods_per_year: float
) -> tuple[float, float, float]:
    """Lowest, median and highest Sharpe of the overlay over its possible start dates.

    Rebalancing once per horizon, the overlay could have started on any of
    the first ``horizon`` prediction dates; each start gives other periods
    and another Sharpe ratio. The spread says how much the reported one owes
    to the calendar. NaN where no start gives a Sharpe ratio.
    """
    sharpes = [
        overlay_stats(
            overlay_returns(
                predictions["probability"],
                predictions["climatology"],
                legs["small"],
                legs["large"],
                horizon,
                first=first,
            )["return"],
            periods_per_year,
        ).sharpe
        for first in range(min(horizon, len(predictions)))
    ]
    finite = [s for s in sharpes if math.isfinite(s)]
    if not finite:
        return (math.nan, math.nan, math.nan)
    return (min(finite), float(np.median(finite)), max(finite))


def model_overlay(
    predictions: pd.DataFrame, legs: pd.DataFrame, horizon: int, n_trials: int = 1
) -> tuple[pd.DataFrame, OverlayStats, float]:
    """The overlay of walk-forward ``predictions`` on the target ``legs``, and its statistics.

    ``predictions`` has ``probability`` and ``climatology``, ``legs`` the
    ``small`` and ``large`` daily returns. Returns the overlay's periods (see
    :func:`overlay_returns`), their :class:`OverlayStats` (with the Sharpe
    ratio's spread over the possible start dates) and the number of
    non-overlapping periods per year.
    """
    years = max((legs.index[-1] - legs.index[0]).days / 365.25, 1e-9)
    periods_per_year = len(legs) / years / horizon
    overlay = overlay_returns(
        predictions["probability"],
        predictions["climatology"],
        legs["small"],
        legs["large"],
        horizon,
    )
    stats = replace(
        overlay_stats(overlay["return"], periods_per_year, n_trials),
        sharpe_across_starts=sharpe_across_starts(predictions, legs, horizon, periods_per_year),
    )
    return overlay, stats, periods_per_year
