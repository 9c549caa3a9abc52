"""The NYSE trading calendar: holidays and closures are not days, lookups roll correctly."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from regime.calendar import (
    FIRST_DAY,
    LAST_DAY,
    count_trading_days,
    is_trading_day,
    next_trading_day,
    previous_trading_day,
    trading_day_on_or_after,
    trading_day_on_or_before,
    trading_days,
)

CLOSED = [
    "2001-09-11",  # 9/11, closed through the 14th
    "2001-09-14",
    "2012-10-29",  # Hurricane Sandy, two days
    "2012-10-30",
    "2018-12-05",  # President G. H. W. Bush, national day of mourning
    "2025-01-09",  # President Carter, national day of mourning
    "2024-03-29",  # Good Friday
    "2022-06-20",  # Juneteenth, observed on Monday
    "2021-12-24",  # Christmas observed on Friday
    "1950-12-25",  # Christmas
    "2000-01-08",  # a regular Saturday
    "2024-01-15",  # Martin Luther King Jr. Day
]
OPEN = [
    "2021-12-31",  # New Year's Day 2022 fell on a Saturday and was not observed
    "1950-01-07",  # a Saturday session
    "2001-09-17",  # reopening after 9/11
    "2024-03-28",
]


@pytest.mark.parametrize("day", CLOSED)
def test_holidays_and_closures_are_not_trading_days(day):
    assert not is_trading_day(day)
    assert pd.Timestamp(day) not in trading_days("1950-01-01", "2025-12-31")


@pytest.mark.parametrize("day", OPEN)
def test_sessions_are_trading_days(day):
    assert is_trading_day(day)
    assert pd.Timestamp(day) in trading_days("1950-01-01", "2025-12-31")


def test_result_is_naive_nanosecond_midnights_without_freq():
    days = trading_days("2024-01-01", "2024-12-31")
    assert days.dtype == "datetime64[ns]"
    assert days.tz is None and days.freq is None
    assert (days == days.normalize()).all()
    assert days.is_monotonic_increasing and days.is_unique
    assert len(days) == 252


def test_inputs_may_be_str_date_or_timestamp():
    expected = trading_days("2024-03-25", "2024-04-05")
    assert trading_days(date(2024, 3, 25), pd.Timestamp("2024-04-05 15:30")).equals(expected)
    assert is_trading_day(pd.Timestamp("2024-03-28 10:00", tz="America/New_York"))


def test_roll_back_and_forward():
    assert trading_day_on_or_before("2024-03-29") == pd.Timestamp("2024-03-28")  # Good Friday
    assert trading_day_on_or_after("2024-03-29") == pd.Timestamp("2024-04-01")
    assert trading_day_on_or_before("2024-06-16") == pd.Timestamp("2024-06-14")  # Sunday
    assert trading_day_on_or_after("2024-06-15") == pd.Timestamp("2024-06-17")  # Saturday
    assert trading_day_on_or_before("2024-03-28") == pd.Timestamp("2024-03-28")
    assert trading_day_on_or_after("2024-03-28") == pd.Timestamp("2024-03-28")
    assert trading_day_on_or_after("2001-09-11") == pd.Timestamp("2001-09-17")
    assert trading_day_on_or_before("2012-10-30") == pd.Timestamp("2012-10-26")


def test_previous_and_next_are_strict():
    assert previous_trading_day("2024-04-01") == pd.Timestamp("2024-03-28")
    assert previous_trading_day("2024-03-29") == pd.Timestamp("2024-03-28")
    assert next_trading_day("2024-03-28") == pd.Timestamp("2024-04-01")
    assert next_trading_day("2024-03-28", n=5) == pd.Timestamp("2024-04-05")
    assert previous_trading_day("2024-04-05", n=5) == pd.Timestamp("2024-03-28")
    with pytest.raises(ValueError, match="at least 1"):
        next_trading_day("2024-03-28", n=0)


def test_counts():
    assert count_trading_days("2024-01-01", "2024-12-31") == 252
    assert count_trading_days("2001-09-10", "2001-09-17") == 2
    assert count_trading_days("2024-03-28", "2024-03-28") == 1
    assert count_trading_days("2024-03-29", "2024-03-31") == 0
    assert count_trading_days("2024-04-05", "2024-03-28") == 0


@pytest.mark.parametrize("day", ["1884-12-31", "2101-01-01"])
def test_outside_the_span_is_a_clear_error(day):
    with pytest.raises(ValueError, match="outside the trading calendar"):
        is_trading_day(day)
    with pytest.raises(ValueError, match="outside the trading calendar"):
        trading_days(day, "2000-01-01")


def test_no_session_before_the_first_one():
    with pytest.raises(ValueError, match="no trading day on or before"):
        trading_day_on_or_before(FIRST_DAY)


def test_import_does_not_load_the_calendar_library():
    code = "import sys, regime.calendar; print('pandas_market_calendars' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@given(st.dates(min_value=date(1885, 2, 1), max_value=LAST_DAY.date()))
def test_on_or_before_is_the_latest_session_not_after_the_day(day):
    rolled = trading_day_on_or_before(day)
    target = pd.Timestamp(day)
    assert rolled <= target
    assert is_trading_day(rolled)
    assert count_trading_days(rolled, target) == 1  # nothing strictly between
    assert (rolled == target) == is_trading_day(day)


def test_sessions_are_kept_in_the_user_cache_and_a_corrupt_file_is_rebuilt(tmp_path, monkeypatch):
    from regime import calendar

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calendar._sessions.cache_clear()
    try:
        built = calendar._sessions()
        (path,) = (tmp_path / "smallcap-regime" / "calendar").glob("nyse-*.npy")
        calendar._sessions.cache_clear()
        assert calendar._sessions().equals(built)  # read back from the file
        path.write_bytes(b"not an array")
        calendar._sessions.cache_clear()
        assert calendar._sessions().equals(built)  # rebuilt, and rewritten
        assert len(np.load(path)) == len(built)
    finally:
        calendar._sessions.cache_clear()
