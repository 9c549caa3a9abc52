"""The long observation table every source produces.

One row per (series, observation date, vintage): ``series`` (str), ``date``
(the observation date), ``value`` (float) and ``known_at`` (the first day the
value could have been known). Dates are tz-naive ``datetime64[ns]`` normalised
to midnight.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regime.exceptions import DataFormatError

COLUMNS: tuple[str, ...] = ("series", "date", "value", "known_at")


def make_observations(
    series: str | pd.Series | np.ndarray,
    date: pd.Series | pd.DatetimeIndex | np.ndarray,
    value: pd.Series | np.ndarray,
    known_at: pd.Series | pd.DatetimeIndex | np.ndarray,
) -> pd.DataFrame:
    """Build an observation table with the canonical columns and dtypes.

    Rows whose ``value`` is NaN are dropped: a missing value is no observation.
    """
    dates = _midnight(date)
    frame = pd.DataFrame(
        {
            "series": pd.array(
                np.broadcast_to(np.asarray(series, dtype=object), len(dates)), dtype="str"
            ),
            "date": dates,
            "value": np.asarray(value, dtype="float64"),
            "known_at": _midnight(known_at),
        }
    )
    frame = frame.loc[frame["value"].notna()]
    return frame.reset_index(drop=True)


def _midnight(values: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Datetimes as ``datetime64[ns]`` floored to the day (cheaper than ``normalize``)."""
    days = pd.DatetimeIndex(values).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return days.astype("datetime64[ns]")


def empty_observations() -> pd.DataFrame:
    """An observation table with no rows."""
    return make_observations("", pd.DatetimeIndex([]), np.array([]), pd.DatetimeIndex([]))


def concat_observations(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack observation tables, sorted by series, date and known_at."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_observations()
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["series", "date", "known_at"], kind="stable").reset_index(drop=True)


def validate_observations(frame: pd.DataFrame, origin: str) -> pd.DataFrame:
    """Check the canonical columns and invariants; raise naming ``origin``.

    Invariants: the four columns exist, dates parse, values are finite, and no
    value is known before its observation date.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataFormatError(f"{origin}: observation table lacks column(s) {missing}")
    if frame["date"].isna().any() or frame["known_at"].isna().any():
        raise DataFormatError(f"{origin}: observation with a missing date or known_at")
    values = frame["value"].to_numpy(dtype="float64")
    if not np.isfinite(values).all():
        bad = frame.loc[~np.isfinite(values), "series"].iloc[0]
        raise DataFormatError(f"{origin}: series {bad!r} has a non-finite value")
    early = frame["known_at"] < frame["date"]
    if early.any():
        row = frame.loc[early].iloc[0]
        raise DataFormatError(
            f"{origin}: series {row['series']!r} value dated {row['date']:%Y-%m-%d} "
            f"is known at {row['known_at']:%Y-%m-%d}, before its own date"
        )
    return frame[list(COLUMNS)]


def add_business_days(dates: pd.DatetimeIndex | pd.Series, days: int) -> pd.DatetimeIndex:
    """Shift dates forward by ``days`` business days (publication lags)."""
    index = pd.DatetimeIndex(dates)
    if days == 0:
        return index
    return index + pd.offsets.BDay(days)
