"""Forward labels: did small caps outperform large caps in a *sustained* way?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from regime.calendar import median_spacing_days
from regime.config import TargetConfig
from regime.data.panel import PointInTimePanel
from regime.exceptions import DataError


def leg_returns(panel: PointInTimePanel, target: TargetConfig) -> pd.DataFrame:
    """Daily returns of both legs on their common observation dates.

    Uses each leg's latest vintage per date (as known at the panel's end): labels
    are training targets, they are never features. Column ``known_at`` is the
    day both legs' values of that date were known.
    """
    legs, known = {}, []
    for role, series in (("small", target.small), ("large", target.large)):
        leg = panel.as_of_frame(series, panel.end)
        values = leg["value"]
        if target.kind == "price":
            if (values <= 0).any():
                raise DataError(f"target leg {series!r}: prices must be positive")
            values = values.pct_change()
        legs[role] = values
        known.append(leg["known_at"])
    frame = pd.DataFrame(legs).dropna()
    frame["known_at"] = pd.concat(known, axis=1).max(axis=1).reindex(frame.index)
    if len(frame) <= target.horizon_days:
        span = f" ({frame.index[0]:%Y-%m-%d} to {frame.index[-1]:%Y-%m-%d})" if len(frame) else ""
        raise DataError(
            f"target legs {target.small!r} and {target.large!r} share only {len(frame)} "
            f"dates{span}, too few for a label over target.horizon_days={target.horizon_days}; "
            "give the sources a longer history or shorten target.horizon_days"
        )
    return frame


def sustained_outperformance(
    small: pd.Series,
    large: pd.Series,
    horizon_days: int,
    min_excess_return: float,
    min_share_of_days: float,
) -> pd.Series:
    """Label each date t by what happens over the next ``horizon_days`` observations.

    1.0 when the small leg's compounded return beats the large leg's by more than
    ``min_excess_return`` over (t, t+h] *and* the relative wealth path stays
    above its level at t on at least ``min_share_of_days`` of those days; 0.0
    otherwise; NaN for the last ``horizon_days`` dates, whose future is unknown.
    The label at t uses only returns dated after t.
    """
    relative = np.log1p(small.to_numpy()) - np.log1p(large.to_numpy())
    path = np.concatenate([[0.0], np.cumsum(relative)])  # path[i + 1]: wealth after day i
    n, h = len(relative), horizon_days
    labels = np.full(n, np.nan)
    if n > h:
        ahead = sliding_window_view(path[2:], h)[: n - h]  # ahead[i] = path[i+2 : i+2+h]
        base = path[1 : n - h + 1, None]
        excess = np.expm1(ahead[:, -1] - base[:, 0])
        share = (ahead > base).mean(axis=1)
        labels[: n - h] = ((excess > min_excess_return) & (share >= min_share_of_days)).astype(
            float
        )
    return pd.Series(labels, index=small.index, name="label")


def horizon_unit(dates: pd.Index) -> str:
    """What one step of the legs is, from the median spacing of their dates.

    ``trading days`` (up to 4 calendar days apart), ``weeks`` (up to 10),
    ``months`` (up to 40), else ``observations``: ``target.horizon_days``
    counts these steps.
    """
    spacing = median_spacing_days(dates)
    for unit, most in (("trading days", 4), ("weeks", 10), ("months", 40)):
        if spacing <= most:
            return unit
    return "observations"


#: Steps of the legs in a year, per :func:`horizon_unit`.
STEPS_PER_YEAR = {"trading days": 252, "weeks": 52, "months": 12}


def steps_per_year(dates: pd.Index) -> int:
    """Steps of the legs in a year: 252 trading days, 52 weeks or 12 months.

    Other spacings (``observations``) count calendar days: 365.25 over the
    median spacing, at least 1.
    """
    unit = horizon_unit(dates)
    if unit in STEPS_PER_YEAR:
        return STEPS_PER_YEAR[unit]
    return max(1, round(365.25 / median_spacing_days(dates)))


def rows_noun(unit: str) -> str:
    """What rows of a ``unit`` are called in a sentence: ``days`` for trading days."""
    return "days" if unit == "trading days" else unit


def horizon_known_at(known_at: pd.Series, horizon_days: int) -> pd.Series:
    """The day the whole horizon of each date's label was known (NaT without a label).

    The label of the i-th date needs the legs up to date i + h; it is known once
    every value up to there is, i.e. at the running maximum of ``known_at``.
    """
    running = known_at.cummax().to_numpy()
    out = np.full(len(known_at), np.datetime64("NaT"), dtype="datetime64[ns]")
    if len(known_at) > horizon_days:
        out[: len(known_at) - horizon_days] = running[horizon_days:]
    return pd.Series(out, index=known_at.index, name="label_known_at")


def make_labels(panel: PointInTimePanel, target: TargetConfig) -> pd.DataFrame:
    """Labels of the config's target on the legs' common dates, with the day each was known.

    Columns ``label`` (1.0, 0.0, or NaN for the last ``horizon_days`` dates)
    and ``label_known_at``. Every label comes from data known by the panel's
    end, so a panel with a knowledge cutoff keeps only labels whose whole
    horizon ended by then.
    """
    legs = leg_returns(panel, target)
    rule = target.sustained
    labels = sustained_outperformance(
        legs["small"],
        legs["large"],
        target.horizon_days,
        rule.min_excess_return,
        rule.min_share_of_days,
    )
    return pd.DataFrame(
        {"label": labels, "label_known_at": horizon_known_at(legs["known_at"], target.horizon_days)}
    )
