"""The bundled sample: seeded, complete, with the publication lags docs/sample-data.md states."""

from __future__ import annotations

import pandas as pd

from regime.calendar import trading_days
from regime.data._base import LoadContext
from regime.data.sample import SAMPLE_SERIES, SampleSource, simulate_sample


def test_same_seed_same_table_and_different_seed_differs():
    a = simulate_sample(3, "2015-01-01", "2016-12-31")
    b = simulate_sample(3, "2015-01-01", "2016-12-31")
    c = simulate_sample(4, "2015-01-01", "2016-12-31")
    pd.testing.assert_frame_equal(a, b)
    assert not a["value"].equals(c["value"])


def test_all_series_and_their_calendars():
    obs = SampleSource(start="2000-01-03", end="2024-12-31").load(LoadContext())
    assert set(obs["series"]) == set(SAMPLE_SERIES)
    by = {name: group for name, group in obs.groupby("series")}
    positioning = by["RTY_LEV_NET_OI"]
    assert (positioning["date"].dt.day_of_week == 1).all()  # dated Tuesday
    assert ((positioning["known_at"] - positioning["date"]).dt.days == 3).all()  # known Friday
    revisions = by["SMALL_REV_BREADTH"]
    assert len(revisions) == 300  # monthly, 25 years
    assert (revisions["known_at"] > revisions["date"] + pd.Timedelta(days=10)).all()
    flows = by["SMALL_ETF_FLOW"]
    assert (flows["known_at"] > flows["date"]).all()  # next business day
    prices = by["SMALL_TR"]
    assert pd.Timestamp("2020-12-25") not in set(prices["date"])  # holidays are closed
    assert pd.Timestamp("2013-06-12") not in set(flows["date"])  # the vendor outage
    assert pd.Timestamp("2013-06-12") in set(prices["date"])
    sessions = trading_days("2000-01-03", "2024-12-31")
    for series in ("SMALL_TR", "LARGE_TR", "SMALL_FWD_PE", "LARGE_FWD_PE", "DGS2"):
        assert pd.DatetimeIndex(by[series]["date"]).equals(sessions), series  # NYSE sessions
    outage = pd.date_range("2013-06-10", "2013-06-14")
    assert pd.DatetimeIndex(flows["date"]).equals(sessions.difference(outage))
    # Hurricane Sandy, a day of mourning, Good Friday, 9/11.
    for closed in ("2012-10-29", "2018-12-05", "2020-04-10", "2001-09-14"):
        assert pd.Timestamp(closed) not in set(prices["date"])
    policy = by["DFF"]  # the policy rate has a value every business day
    assert pd.DatetimeIndex(policy["date"]).equals(pd.bdate_range("2000-01-03", "2024-12-31"))


def test_saturday_sessions_before_1952_are_trading_days():
    obs = simulate_sample(1, "1950-01-01", "1951-12-31")
    prices = pd.DatetimeIndex(obs.loc[obs["series"] == "SMALL_TR", "date"])
    assert prices.equals(trading_days("1950-01-01", "1951-12-31"))
    assert (prices.day_of_week == 5).any()


def test_sample_is_marked_synthetic():
    assert SampleSource().synthetic
