"""The point-in-time panel on hand-made observation tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regime.calendar import trading_days
from regime.data.observations import make_observations, validate_observations
from regime.data.panel import PointInTimePanel
from regime.exceptions import DataFormatError, MissingSeriesError


def _obs(series, dates, values, known):
    return make_observations(
        series, pd.to_datetime(dates), np.array(values, float), pd.to_datetime(known)
    )


def test_latest_takes_the_newest_vintage_known_each_day():
    # ALFRED-style: value for Jan 31 first 1.0 (known Feb 5), revised to 1.5 (known Feb 12).
    obs = _obs(
        "X",
        ["2024-01-31", "2024-01-31", "2024-02-29"],
        [1.0, 1.5, 2.0],
        ["2024-02-05", "2024-02-12", "2024-03-06"],
    )
    latest = PointInTimePanel(obs, start="2024-02-01").latest("X")
    assert np.isnan(latest["2024-02-02"])
    assert latest["2024-02-05"] == 1.0
    assert latest["2024-02-09"] == 1.0
    assert latest["2024-02-12"] == 1.5
    assert latest["2024-03-06"] == 2.0


def test_revision_of_an_old_date_does_not_replace_a_newer_observation():
    obs = _obs(
        "X",
        ["2024-01-31", "2024-02-29", "2024-01-31"],
        [1.0, 2.0, 9.9],
        ["2024-02-05", "2024-03-06", "2024-03-08"],
    )
    panel = PointInTimePanel(obs, start="2024-02-01")
    assert panel.latest("X")["2024-03-08"] == 2.0
    assert panel.latest_date("X")["2024-03-08"] == pd.Timestamp("2024-02-29")


def test_weekend_release_counts_on_monday():
    obs = _obs("F", ["2024-03-01", "2024-03-08"], [5.0, 7.0], ["2024-03-02", "2024-03-11"])
    panel = PointInTimePanel(obs, start="2024-03-01")
    events = panel.events("F")
    assert np.isnan(events["2024-03-01"])  # nothing known yet
    assert events["2024-03-04"] == 5.0  # released Saturday, seen Monday
    assert events["2024-03-05"] == 0.0
    assert events["2024-03-11"] == 7.0
    assert panel.latest("F")["2024-03-04"] == 5.0


def test_events_count_only_the_first_release():
    obs = _obs("F", ["2024-03-04", "2024-03-04"], [5.0, 6.0], ["2024-03-05", "2024-03-07"])
    events = PointInTimePanel(obs, start="2024-03-04").events("F")
    assert events.sum() == 5.0


def test_missing_series_names_the_closest():
    obs = _obs("SMALL_TR", ["2024-03-01"], [0.1], ["2024-03-01"])
    with pytest.raises(MissingSeriesError, match=r"'SMAL_TR'.*did you mean 'SMALL_TR'"):
        PointInTimePanel(obs).latest("SMAL_TR")


def test_a_series_first_known_after_the_end_has_no_value_yet():
    """A series that exists but starts later is missing on earlier days, not unknown."""
    obs = validate_observations(
        pd.concat(
            [
                _obs("A", ["2024-03-01", "2024-03-04"], [1.0, 2.0], ["2024-03-01", "2024-03-04"]),
                _obs("B", ["2024-03-08"], [5.0], ["2024-03-08"]),
            ]
        ),
        "test",
    )
    panel = PointInTimePanel(obs, end="2024-03-05")
    assert panel.series_ids == ["A"]
    assert panel.latest("B").isna().all() and panel.stale("B").all()
    assert panel.status("B", pd.Timestamp("2024-03-05")).age_days is None
    assert panel.truncate("2024-03-04").latest("B").isna().all()
    with pytest.raises(MissingSeriesError, match="'C'"):
        panel.latest("C")


def test_status_reports_age_and_staleness():
    dates = pd.bdate_range("2024-01-01", "2024-03-29")
    obs = make_observations("D", dates, np.ones(len(dates)), dates)
    panel = PointInTimePanel(obs)
    assert panel.max_age_days("D") == 5  # ceil(1.5 x 1 day) + 0 lag + 3
    fresh = panel.status("D", pd.Timestamp("2024-03-28"))
    assert (fresh.age_days, fresh.stale) == (0, False)
    old = panel.status("D", pd.Timestamp("2024-04-30"))
    assert old.stale and old.age_days == 32
    assert (
        PointInTimePanel(obs, max_age={"D": 40}).status("D", pd.Timestamp("2024-04-30")).stale
        is False
    )


def test_stale_is_missing_not_carried_forward():
    dates = trading_days("2024-01-02", "2024-02-29")
    obs = make_observations("D", dates, np.arange(len(dates), dtype=float), dates)
    panel = PointInTimePanel(obs, end="2024-04-30")
    latest = panel.latest("D")
    assert latest["2024-02-29"] == len(dates) - 1
    assert latest["2024-03-05"] == len(dates) - 1  # 5 days old: still fresh
    assert latest["2024-03-06":].isna().all()  # 6 days and more: stale, so missing
    assert panel.stale("D")["2024-03-06":].all() and not panel.stale("D")["2024-03-05"]
    configured = PointInTimePanel(obs, end="2024-04-30", max_age={"D": 90})
    assert configured.latest("D").notna()["2024-01-02":].all()
    assert panel.fresh_through("D") == pd.Timestamp("2024-03-05")


def test_panel_calendar_is_trading_days():
    dates = pd.date_range("2024-03-25", "2024-04-05")  # every calendar day
    obs = make_observations("D", dates, np.ones(len(dates)), dates)
    calendar = PointInTimePanel(obs).calendar
    assert pd.Timestamp("2024-03-29") not in calendar  # Good Friday
    assert pd.Timestamp("2024-03-30") not in calendar  # Saturday
    assert list(calendar) == list(trading_days("2024-03-25", "2024-04-05"))


def test_truncate_is_the_panel_built_on_that_day():
    dates = trading_days("2024-01-02", "2024-02-13")
    obs = make_observations("D", dates, np.arange(30.0), dates + pd.offsets.BDay(1))
    panel = PointInTimePanel(obs)
    day = dates[10]
    assert panel.truncate(day).latest("D").iloc[-1] == panel.latest("D")[day] == 9.0


def test_validate_rejects_values_known_before_their_date():
    obs = _obs("X", ["2024-01-31"], [1.0], ["2024-01-30"])
    with pytest.raises(DataFormatError, match="'X' value dated 2024-01-31 is known at 2024-01-30"):
        validate_observations(obs, "vendor.csv")


def test_events_of_a_stopped_feed_are_missing_not_zero():
    dates = pd.bdate_range("2024-01-01", periods=10)
    obs = make_observations("F", dates, np.ones(10), dates)
    panel = PointInTimePanel(obs, end="2024-01-31")
    assert np.isnan(panel.events("F")["2024-01-31"])  # older than its inferred maximum age
    assert panel.events("F", max_age_days=30)["2024-01-31"] == 0.0
    limited = panel.events("F", max_age_days=7)
    assert limited["2024-01-19"] == 0.0  # 7 days after the last flow (Jan 12)
    assert np.isnan(limited["2024-01-22"])  # 10 days: the feed stopped
    assert limited["2024-01-12"] == 1.0


def test_as_of_takes_one_value_per_date_the_latest_vintage_known_that_day():
    obs = _obs(
        "X",
        ["2024-01-31", "2024-01-31", "2024-02-29", "2024-01-31"],
        [1.0, 1.5, 2.0, 1.7],
        ["2024-02-05", "2024-02-12", "2024-03-06", "2024-03-20"],
    )
    panel = PointInTimePanel(obs)
    assert panel.as_of("X", "2024-02-01").empty
    assert panel.as_of("X", "2024-02-12").to_dict() == {pd.Timestamp("2024-01-31"): 1.5}
    march = panel.as_of("X", "2024-03-10")
    assert list(march.index) == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-29")]
    assert list(march) == [1.5, 2.0]
    assert panel.as_of("X", "2024-03-20")["2024-01-31"] == 1.7
