"""The bundled sample: a seeded simulation of a US small-vs-large market.

``docs/sample-data.md`` states the ground truth. In short, a persistent latent
regime and a Fed policy cycle drive the daily small-minus-large return; each
pillar is a noisy, lagged window on those drivers:

- ``earnings_revisions``: the revision-breadth spread reflects the latent
  regime (positive sign), monthly, known 10 business days after month end;
- ``rate_expectations``: cuts priced (``DFF - DGS1``, the 1-year yield being
  the expected policy rate over the next year; ``DFF - DGS2`` with a term
  premium) anticipate cuts, and cuts delivered over six months raise the
  expected relative return (positive); the FOMC target (``DFEDTAR`` on every
  day, ``DFEDTARU`` from 2008-12-16) is the simulated policy rate;
- ``valuations``: small caps get cheap after underperforming, and cheapness
  mean-reverts (cheap relative P/E -> positive);
- ``positioning``: speculators chase the last quarter; crowded longs hurt
  (contrarian, negative sign), weekly, dated Tuesday, known Friday;
- ``flows``: persistent 20-day flow trends lean with the regime, one-day
  events are noise; flows chase past performance; known next business day.
"""

from __future__ import annotations

import math
from datetime import date
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationInfo, field_validator

from regime.calendar import FIRST_DAY, LAST_DAY, trading_days
from regime.data._base import LoadContext, SourceBase
from regime.data.observations import add_business_days, concat_observations, make_observations
from regime.exceptions import DataError

SAMPLE_SERIES: tuple[str, ...] = (
    "SMALL_TR",
    "LARGE_TR",
    "SMALL_ETF_FLOW",
    "SMALL_ETF_AUM",
    "LARGE_ETF_FLOW",
    "LARGE_ETF_AUM",
    "SMALL_FWD_PE",
    "LARGE_FWD_PE",
    "RTY_LEV_NET_OI",
    "DFF",
    "DGS2",
    "DGS1",
    "DFEDTAR",
    "DFEDTARU",
    "SMALL_REV_BREADTH",
    "LARGE_REV_BREADTH",
)

#: First day of the FOMC's target range (FRED DFEDTARU; FRED's DFEDTAR ends the day before).
TARGET_RANGE_FROM = pd.Timestamp("2008-12-16")

# Ground-truth coefficients of the expected daily small-minus-large return.
REGIME_DRIFT = 0.00080  # +/- per day in the favourable / unfavourable regime
CUTS_DRIFT = 0.00030  # per percentage point of cuts delivered over 126 days
CHEAPNESS_DRIFT = 0.00030  # per unit of -log(relative P/E) below its mean
POSITIONING_DRIFT = -0.00012  # per standard deviation of net speculative length
NOISE_SCALE = 0.0050  # scale of the fat-tailed daily relative-return noise


def _student_t(rng: np.random.Generator, dof: float, size: int) -> np.ndarray:
    """Unit-variance Student-t draws (fat tails)."""
    return rng.standard_t(dof, size) / math.sqrt(dof / (dof - 2.0))


def _policy_path(rng: np.random.Generator, n: int) -> np.ndarray:
    """Fed funds path: meetings every 30 business days, persistent easing/tightening phases."""
    rate = np.empty(n)
    level, phase = 6.5, 0  # phase: -1 easing, 0 hold, +1 tightening
    for start in range(0, n, 30):
        if rng.random() < 0.18:
            phase = int(rng.choice([-1, 0, 1], p=[0.4, 0.25, 0.35]))
        move = 0.0
        if phase == -1 and rng.random() < 0.75:
            move = -0.5 if rng.random() < 0.3 else -0.25
        elif phase == 1 and rng.random() < 0.6:
            move = 0.25
        level = min(max(level + move, 0.08), 7.0)
        if level <= 0.08 and phase == -1:
            phase = 0
        rate[start : start + 30] = level
    return rate


def simulate_sample(seed: int, start: str | date, end: str | date) -> pd.DataFrame:
    """Simulate the sample market and return its long observation table.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed gives the same table.
    start, end : date-like
        First and last day of the simulation.

    Returns
    -------
    pandas.DataFrame
        Observations (``series, date, value, known_at``) of :data:`SAMPLE_SERIES`.
    """
    rng = np.random.default_rng(seed)
    # The simulation steps through business days (plus the Saturday sessions
    # before 1952); market series exist on NYSE sessions only.
    sessions = trading_days(start, end)
    days = pd.bdate_range(start, end).union(sessions)
    open_ = np.asarray(days.isin(sessions))
    n = len(days)
    if not open_.any():
        raise DataError(
            f"sample: no trading day between start {start} and end {end}; widen the window"
        )

    # Latent small-vs-large regime: two states, mean spell about 120 business days.
    regime = np.empty(n)
    state = 1.0 if rng.random() < 0.5 else -1.0
    switches = rng.random(n) < 1.0 / 120.0
    for i in range(n):
        if switches[i]:
            state = -state
        regime[i] = state

    policy = _policy_path(rng, n)
    lag_126 = np.concatenate([np.full(min(126, n), policy[0]), policy[: max(n - 126, 0)]])
    cuts_delivered = lag_126 - policy
    ahead_252 = np.concatenate([policy[252:], np.full(min(252, n), policy[-1])])[:n]
    two_year_noise = np.cumsum(rng.normal(0.0, 0.02, n))
    two_year_noise -= pd.Series(two_year_noise).rolling(60, min_periods=1).mean().to_numpy()
    two_year = policy - 0.75 * (policy - ahead_252) + 0.15 + two_year_noise

    rel_noise = _student_t(rng, 4.0, n) * NOISE_SCALE
    market = 0.0003 + _student_t(rng, 4.0, n) * 0.011
    pe_noise = rng.normal(0.0, 0.002, n)
    pos_noise = rng.normal(0.0, 0.06, n)

    rel = np.empty(n)
    log_rel_pe = np.empty(n)
    positioning = np.empty(n)
    m, pos, mom = 0.0, 0.0, 0.0
    for i in range(n):
        if i % 5 == 1:  # weekly re-positioning: chase the last quarter's relative return
            pos = 0.7 * pos + 0.3 * (4.0 * mom) + pos_noise[i]
        mu = (
            REGIME_DRIFT * regime[i]
            + CUTS_DRIFT * cuts_delivered[i]
            - CHEAPNESS_DRIFT * m / 0.15
            + POSITIONING_DRIFT * pos / 0.25
        )
        r = mu + rel_noise[i]
        rel[i] = r
        m = (1.0 - 1.0 / 400.0) * m + 0.8 * r + pe_noise[i]
        mom = mom * (62.0 / 63.0) + r
        log_rel_pe[i] = m
        positioning[i] = pos

    large_ret = market
    small_ret = (1.0 + market) * (1.0 + rel) - 1.0

    # ETF flows: trend leans with the regime, chases the last month, fat-tailed one-day events.
    rel_20 = pd.Series(rel).rolling(20, min_periods=1).sum().to_numpy()
    events = (rng.random(n) < 0.01) * rng.choice([-1.0, 1.0], n) * rng.uniform(0.01, 0.03, n)
    small_rate = 0.0004 * regime + 0.006 * rel_20 + _student_t(rng, 3.0, n) * 0.0015 + events
    large_rate = 0.0002 + _student_t(rng, 3.0, n) * 0.001
    small_aum = 30e9 * np.cumprod((1.0 + small_ret) * (1.0 + small_rate))
    large_aum = 100e9 * np.cumprod((1.0 + large_ret) * (1.0 + large_rate))
    small_flow = small_aum * small_rate / (1.0 + small_rate)
    large_flow = large_aum * large_rate / (1.0 + large_rate)

    large_pe = 17.0 * np.exp(np.cumsum(rng.normal(0.0, 0.004, n)) * 0.3)
    small_pe = large_pe * 1.1 * np.exp(log_rel_pe)

    def daily(series: str, values: np.ndarray, lag: int, mask: np.ndarray = open_) -> pd.DataFrame:
        dates = days[mask]
        return make_observations(series, dates, values[mask], add_business_days(dates, lag))

    # One vendor outage of flow data: five missing days in 2013.
    outage = np.asarray((days >= "2013-06-10") & (days <= "2013-06-14"))
    flow_mask = open_ & ~outage
    frames = [
        daily("SMALL_TR", small_ret, 0),
        daily("LARGE_TR", large_ret, 0),
        daily("SMALL_ETF_FLOW", small_flow, 1, flow_mask),
        daily("SMALL_ETF_AUM", small_aum, 1, flow_mask),
        daily("LARGE_ETF_FLOW", large_flow, 1, flow_mask),
        daily("LARGE_ETF_AUM", large_aum, 1, flow_mask),
        daily("SMALL_FWD_PE", small_pe, 0),
        daily("LARGE_FWD_PE", large_pe, 0),
        daily("DFF", policy, 1, np.ones(n, dtype=bool)),
        daily("DGS2", two_year, 1),
    ]

    tuesdays = np.asarray(days.day_of_week == 1) & open_
    tue_dates = days[tuesdays]
    frames.append(
        make_observations(
            "RTY_LEV_NET_OI",
            tue_dates,
            positioning[tuesdays],
            tue_dates + pd.Timedelta(days=3),
        )
    )

    last_is_month_end = days[-1] == days[-1] + pd.offsets.BMonthEnd(0)
    month_end = np.r_[np.asarray(days.month[1:] != days.month[:-1]), last_is_month_end]
    me_dates = days[month_end]
    spread_noise = pd.Series(rng.normal(0.0, 0.06, n)).ewm(span=40).mean().to_numpy()
    common = pd.Series(rng.normal(0.0, 0.08, n)).ewm(span=60).mean().to_numpy()
    spread = 0.12 * regime + 3.0 * spread_noise
    small_breadth = np.clip(-0.05 + common + spread / 2.0, -0.95, 0.95)
    large_breadth = np.clip(-0.02 + common - spread / 2.0, -0.95, 0.95)
    for series, values in (
        ("SMALL_REV_BREADTH", small_breadth),
        ("LARGE_REV_BREADTH", large_breadth),
    ):
        frames.append(
            make_observations(series, me_dates, values[month_end], add_business_days(me_dates, 10))
        )

    # The 1-year yield: the policy rate expected over the next 252 days plus a small term
    # premium. Drawn last, so the series above are those of earlier releases.
    expected = pd.Series(policy[::-1]).rolling(252, min_periods=1).mean().to_numpy()[::-1]
    one_year_noise = np.cumsum(rng.normal(0.0, 0.01, n))
    one_year_noise -= pd.Series(one_year_noise).rolling(60, min_periods=1).mean().to_numpy()
    frames.append(daily("DGS1", expected + 0.05 + one_year_noise, 1))
    # The FOMC target the simulated fed funds rate sits on: DFEDTARU, the upper bound of
    # the range, from 2008-12-16 as on FRED; DFEDTAR, the single target, on every day
    # (FRED's stops on 2008-12-15), so that a sample starting later still has both
    # series a target-based feature names; the splice reads DFEDTARU once it exists.
    every_day = np.ones(n, dtype=bool)
    frames.append(daily("DFEDTAR", policy, 1, every_day))
    frames.append(daily("DFEDTARU", policy, 1, every_day & np.asarray(days >= TARGET_RANGE_FROM)))
    return concat_observations(frames)


class SampleSource(SourceBase):
    """The bundled simulated sample (``kind: sample``); always ``synthetic``."""

    kind: Literal["sample"] = "sample"
    synthetic: ClassVar[bool] = True
    seed: int = Field(7, ge=0)
    start: date = date(2000, 1, 3)
    end: date = date(2024, 12, 31)

    @field_validator("start")
    @classmethod
    def _start_in_calendar(cls, value: date) -> date:
        first = FIRST_DAY.date()
        if value < first:
            raise ValueError(
                f"`start` ({value}) is before {first}, where the trading calendar begins; "
                f"start on {first} or later"
            )
        return value

    @field_validator("end")
    @classmethod
    def _end_after_start_and_not_future(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError(f"`end` ({value}) must be after `start` ({start}); fix or swap them")
        today = min(date.today(), LAST_DAY.date())
        if value > today:
            raise ValueError(
                f"`end` ({value}) is after today ({today}); the sample simulates history, "
                "not the future: set `end` to today or earlier"
            )
        return value

    def load(self, context: LoadContext) -> pd.DataFrame:
        """Simulate the sample (the context is not needed: nothing is read)."""
        return simulate_sample(self.seed, self.start, self.end)

    def label(self) -> str:
        """Name for messages."""
        return f"sample(seed={self.seed})"
