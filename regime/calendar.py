"""The exchange's trading days (NYSE sessions), from ``pandas_market_calendars``.

Every day the product scores or trains on is an NYSE session: weekends,
holidays and special closures (2001-09-11 to 14, 2012-10-29 and 30, days of
national mourning) are not sessions, and before 1952 some Saturdays are.

The sessions of the whole supported span (:data:`FIRST_DAY` to
:data:`LAST_DAY`; the library's NYSE holiday rules start in 1885) are computed
once per process, on first use, and then sliced, so calls are cheap.
``pandas_market_calendars`` is imported only then, not when this module is.
"""

from __future__ import annotations

import importlib.metadata
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from regime.exceptions import DataError

FIRST_DAY = pd.Timestamp("1885-01-01")
LAST_DAY = pd.Timestamp("2100-12-31")

DateLike = str | date | pd.Timestamp | np.datetime64


@lru_cache(maxsize=1)
def _sessions() -> pd.DatetimeIndex:
    """All NYSE sessions from FIRST_DAY to LAST_DAY: tz-naive, ``datetime64[ns]``, midnight.

    Building them (importing ``pandas_market_calendars`` and evaluating its
    holiday rules) costs about 0.3 s, so the result is kept in the user cache
    (``calendar/``) under the library's version: a new version of its rules
    builds them again. A missing, unreadable or corrupt file is rebuilt.
    """
    path = _sessions_file()
    if path is not None:
        try:
            days = np.load(path, allow_pickle=False)
            if days.dtype == np.dtype("datetime64[D]") and len(days) > 1000:
                return pd.DatetimeIndex(days.astype("datetime64[ns]"), name=None)
        except (OSError, ValueError):
            pass
    import pandas_market_calendars as mcal

    built = mcal.get_calendar("NYSE").valid_days(FIRST_DAY, LAST_DAY)
    naive = built.tz_localize(None).normalize().as_unit("ns")
    sessions = pd.DatetimeIndex(naive.to_numpy(), name=None)
    if path is not None:
        _save(path, sessions.to_numpy().astype("datetime64[D]"))
    return sessions


def _sessions_file() -> Path | None:
    """Where the sessions are kept for this version of the calendar library (None: nowhere)."""
    try:
        version = importlib.metadata.version("pandas_market_calendars")
    except importlib.metadata.PackageNotFoundError:
        return None
    from regime.data.cache import default_cache_dir

    name = f"nyse-{version}-{FIRST_DAY:%Y%m%d}-{LAST_DAY:%Y%m%d}.npy"
    return default_cache_dir() / "calendar" / name


def _save(path: Path, days: np.ndarray) -> None:
    """Write the sessions atomically; a cache that cannot be written is skipped."""
    import io

    from regime._io import atomic_write_bytes

    buffer = io.BytesIO()
    np.save(buffer, days, allow_pickle=False)
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except OSError:
        pass


def _day(value: DateLike) -> pd.Timestamp:
    """``value`` as a tz-naive midnight Timestamp inside the supported span."""
    day = pd.Timestamp(value)
    if pd.isna(day):
        raise ValueError(f"not a date: {value!r}")
    if day.tzinfo is not None:
        day = day.tz_localize(None)
    day = day.normalize()
    if not FIRST_DAY <= day <= LAST_DAY:
        raise DataError(
            f"{day:%Y-%m-%d} is outside the trading calendar, which covers "
            f"{FIRST_DAY:%Y-%m-%d} to {LAST_DAY:%Y-%m-%d}; check the dates of the data"
        )
    return day


def _session_at(position: int, what: str) -> pd.Timestamp:
    """The session at ``position``, or ValueError naming ``what`` when there is none."""
    sessions = _sessions()
    if not 0 <= position < len(sessions):
        raise DataError(f"no trading day {what} within the trading calendar (1885-2100)")
    return sessions[position]


def median_spacing_days(dates: pd.Index) -> float:
    """Median gap between consecutive ``dates``, in calendar days (1.0 for fewer than two).

    Whatever the index's resolution: 1.0 for daily rows, about 30 for monthly ones.
    """
    if len(dates) < 2:
        return 1.0
    seconds = pd.DatetimeIndex(dates).as_unit("s").asi8
    return float(np.median(np.diff(seconds))) / 86_400


def trading_days(start: DateLike, end: DateLike) -> pd.DatetimeIndex:
    """NYSE sessions in ``[start, end]``.

    Parameters
    ----------
    start, end : date-like
        First and last day, inclusive (a time of day is ignored).

    Returns
    -------
    pandas.DatetimeIndex
        Sorted, tz-naive ``datetime64[ns]`` midnights, without ``freq``;
        empty when ``end`` is before ``start``.

    Raises
    ------
    ValueError
        If ``start`` or ``end`` is outside the supported span.
    """
    lo, hi = _day(start), _day(end)
    sessions = _sessions()
    return sessions[sessions.searchsorted(lo) : sessions.searchsorted(hi, side="right")]


def is_trading_day(day: DateLike) -> bool:
    """Whether ``day`` is an NYSE session.

    Parameters
    ----------
    day : date-like
        The day (a time of day is ignored).

    Returns
    -------
    bool
    """
    target = _day(day)
    sessions = _sessions()
    position = sessions.searchsorted(target)
    return bool(position < len(sessions) and sessions[position] == target)


def trading_day_on_or_before(day: DateLike) -> pd.Timestamp:
    """``day`` if it is a session, else the last session before it.

    Parameters
    ----------
    day : date-like
        The day (a time of day is ignored).

    Returns
    -------
    pandas.Timestamp
        A tz-naive midnight.
    """
    target = _day(day)
    position = int(_sessions().searchsorted(target, side="right")) - 1
    return _session_at(position, f"on or before {target:%Y-%m-%d}")


def trading_day_on_or_after(day: DateLike) -> pd.Timestamp:
    """``day`` if it is a session, else the first session after it.

    Parameters
    ----------
    day : date-like
        The day (a time of day is ignored).

    Returns
    -------
    pandas.Timestamp
        A tz-naive midnight.
    """
    target = _day(day)
    position = int(_sessions().searchsorted(target, side="left"))
    return _session_at(position, f"on or after {target:%Y-%m-%d}")


def previous_trading_day(day: DateLike, n: int = 1) -> pd.Timestamp:
    """The ``n``-th session strictly before ``day``.

    Parameters
    ----------
    day : date-like
        The day (a session or not).
    n : int, default 1
        How many sessions back; at least 1.

    Returns
    -------
    pandas.Timestamp
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    target = _day(day)
    position = int(_sessions().searchsorted(target, side="left")) - n
    return _session_at(position, f"{n} session(s) before {target:%Y-%m-%d}")


def next_trading_day(day: DateLike, n: int = 1) -> pd.Timestamp:
    """The ``n``-th session strictly after ``day``.

    Parameters
    ----------
    day : date-like
        The day (a session or not).
    n : int, default 1
        How many sessions ahead; at least 1.

    Returns
    -------
    pandas.Timestamp
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    target = _day(day)
    position = int(_sessions().searchsorted(target, side="right")) + n - 1
    return _session_at(position, f"{n} session(s) after {target:%Y-%m-%d}")


def count_trading_days(start: DateLike, end: DateLike) -> int:
    """Number of NYSE sessions in ``[start, end]`` (0 when ``end`` is before ``start``).

    Parameters
    ----------
    start, end : date-like
        First and last day, inclusive.

    Returns
    -------
    int
    """
    lo, hi = _day(start), _day(end)
    sessions = _sessions()
    return max(int(sessions.searchsorted(hi, side="right") - sessions.searchsorted(lo)), 0)
