"""Real US monthly history shipped by the ``arch`` package (``kind: classic``).

``arch.data`` bundles three public monthly data sets, so a config built on them
runs offline, with nothing to download:

- ``arch.data.frenchdata``: the Fama-French factors ``Mkt-RF``, ``SMB``,
  ``HML`` and ``RF`` in percent, 1926-07 to 2018-11. Its index is broken: the
  ``YYYYMM`` integers were read as nanoseconds since 1970
  (``1970-01-01 00:00:00.000192607``); :func:`french_months` recovers them.
- ``arch.data.default``: Moody's ``AAA`` and ``BAA`` corporate bond yields,
  monthly averages in percent, 1919-01 to 2018-12, dated the first of the month.
- ``arch.data.core_cpi``: ``CPILFESL``, the core CPI index level, 1957-01 to
  2018-11, dated the first of the month.

Series (fractions are returns per month, e.g. 0.01 = 1%):

================  ===============================================  ==========================
series            value                                            ``known_at``
================  ===============================================  ==========================
``SMB_LEG``       RF + SMB: small-minus-big financed at the bill   20 business days after the
                  rate, as a return leg (fraction)                 month's last trading day
``RF_LEG``        RF, the one-month T-bill return (fraction)       same
``MKT_RF``        market excess return (fraction)                  same
``HML``           high-minus-low value factor (fraction)           same
``TBILL``         RF annualized: RF% x 12 (percent per year)       same
``AAA``           Moody's Aaa yield, monthly average (percent)     next business day after
                                                                   the calendar month end
``BAA``           Moody's Baa yield, monthly average (percent)     same
``CORE_CPI``      core CPI index level (1982-84 = 100)             12 business days after the
                                                                   calendar month end
================  ===============================================  ==========================

With ``target: {small: SMB_LEG, large: RF_LEG}`` the relative return of the
legs is ``log(1 + RF + SMB) - log(1 + RF)``, i.e. about SMB.

Dates: every monthly value is dated on the last NYSE trading day of its month
(:func:`regime.calendar.trading_day_on_or_before` of the month end), the
yields and the CPI too: ``arch.data`` dates them the first of their month, but
they are monthly averages or levels known only after the month has ended.

Point in time (assumptions; these files carry no release dates): the French
library publishes monthly factors with roughly a one-month lag (20 business
days); a monthly average of daily Moody's yields is complete the business day
after the month ends; core CPI is released mid next month (12 business days).
The values are the ones in the files (no vintages): later revisions of CPI and
of the factors are carried back in time.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import model_validator

from regime.calendar import trading_days
from regime.data._base import LoadContext, SourceBase
from regime.data.observations import add_business_days, concat_observations, make_observations
from regime.exceptions import DataFormatError

#: Every series of the source, in the order documented above.
CLASSIC_SERIES: tuple[str, ...] = (
    "SMB_LEG",
    "RF_LEG",
    "MKT_RF",
    "HML",
    "TBILL",
    "AAA",
    "BAA",
    "CORE_CPI",
)

#: Publication lags, in business days (see the module docstring).
FACTOR_LAG_DAYS = 20  # after the month's last trading day
YIELD_LAG_DAYS = 1  # after the calendar month end
CPI_LAG_DAYS = 12  # after the calendar month end


def french_months(index: pd.Index) -> pd.PeriodIndex:
    """Monthly periods of ``arch.data.frenchdata``'s index.

    The file's ``YYYYMM`` integers were parsed as nanoseconds since the epoch,
    so they are the index's ``asi8`` (at nanosecond resolution). An index that
    already holds real dates (a fixed ``arch``) is accepted too.
    """
    stamps = pd.DatetimeIndex(index)
    if len(stamps) and stamps.max() < pd.Timestamp("1970-01-02"):
        codes = stamps.as_unit("ns").asi8
        years, months = np.divmod(codes, 100)
        if not (((months >= 1) & (months <= 12)).all() and ((years > 1800) & (years < 2200)).all()):
            raise DataFormatError(
                "arch.data.frenchdata: the index is neither dates nor YYYYMM codes; "
                "check the installed arch version"
            )
        return pd.PeriodIndex.from_fields(year=years, month=months, freq="M")
    return stamps.to_period("M")


def _month_ends(months: pd.PeriodIndex) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Calendar month ends and the last NYSE trading day of each month."""
    calendar_end = months.asfreq("D", how="end").to_timestamp().as_unit("ns")
    first = months.min().asfreq("D", how="start").to_timestamp()
    sessions = trading_days(first, calendar_end.max())
    position = sessions.searchsorted(calendar_end, side="right") - 1
    if (position < 0).any():
        raise DataFormatError("arch.data: a month without an NYSE trading day")
    last_session = sessions[position]
    # searchsorted can land in an earlier month only if a month had no session.
    if (last_session.to_period("M") != months).any():
        raise DataFormatError("arch.data: a month without an NYSE trading day")
    return pd.DatetimeIndex(calendar_end), pd.DatetimeIndex(last_session)


class ClassicSource(SourceBase):
    """Real US monthly history from ``arch.data`` (``kind: classic``); offline, not synthetic.

    ``start`` and ``end`` cut the history by observation date (the month's
    last trading day), both inclusive. See the module docstring for the series,
    their units and their ``known_at``.
    """

    kind: Literal["classic"] = "classic"
    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ClassicSource:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"`end` ({self.end}) is before `start` ({self.start})")
        return self

    def load(self, context: LoadContext) -> pd.DataFrame:
        """Read the three ``arch.data`` sets (nothing is fetched; the context is not needed)."""
        import arch.data.core_cpi
        import arch.data.default
        import arch.data.frenchdata

        frames: list[pd.DataFrame] = []

        factors = arch.data.frenchdata.load()
        months = french_months(factors.index)
        _, dated = _month_ends(months)
        known = add_business_days(dated, FACTOR_LAG_DAYS)
        rf = factors["RF"].to_numpy(dtype="float64")
        for series, values in (
            ("SMB_LEG", (rf + factors["SMB"].to_numpy(dtype="float64")) / 100.0),
            ("RF_LEG", rf / 100.0),
            ("MKT_RF", factors["Mkt-RF"].to_numpy(dtype="float64") / 100.0),
            ("HML", factors["HML"].to_numpy(dtype="float64") / 100.0),
            ("TBILL", rf * 12.0),
        ):
            frames.append(make_observations(series, dated, values, known))

        for data, columns, lag in (
            (arch.data.default.load(), {"AAA": "AAA", "BAA": "BAA"}, YIELD_LAG_DAYS),
            (arch.data.core_cpi.load(), {"CPILFESL": "CORE_CPI"}, CPI_LAG_DAYS),
        ):
            calendar_end, dated = _month_ends(pd.DatetimeIndex(data.index).to_period("M"))
            known = add_business_days(calendar_end, lag)
            for column, series in columns.items():
                frames.append(make_observations(series, dated, data[column].to_numpy(), known))

        table = concat_observations(frames)
        keep = np.ones(len(table), dtype=bool)
        if self.start is not None:
            keep &= (table["date"] >= pd.Timestamp(self.start)).to_numpy()
        if self.end is not None:
            keep &= (table["date"] <= pd.Timestamp(self.end)).to_numpy()
        return table.loc[keep].reset_index(drop=True)

    def label(self) -> str:
        """Name for messages."""
        return "classic (arch.data)"
