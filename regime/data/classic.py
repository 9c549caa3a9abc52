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
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import model_validator

from regime.calendar import trading_days
from regime.data._base import LoadContext, SourceBase
from regime.data.csv_source import CsvSource
from regime.data.french import FrenchSource
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

    ``arch.data`` ends in 2018. Newer downloads of the same public data extend
    its three sets, each on its own (paths resolved against the config's
    folder): a file's months after the set's last month are appended, and the
    months before stay ``arch.data``'s, so the history up to 2018 is the same
    with or without the files (FRED-MD's yields, which start in 1959, do not
    shorten it). The series, dates and ``known_at`` rules stay the same:

    - ``factors_path``: the French library's ``F-F_Research_Data_Factors``
      CSV (or ``_CSV.zip``); its first table, the monthly factors in percent.
    - ``yields_path``: a FRED-MD monthly CSV (``sasdate`` as M/D/YYYY, its
      ``Transform:`` row under the header) with Moody's ``AAA`` and ``BAA``.
    - ``core_cpi_path``: FRED's download of ``CPILFESL``
      (``observation_date,CPILFESL``).
    """

    kind: Literal["classic"] = "classic"
    start: date | None = None
    end: date | None = None
    factors_path: str | None = None
    yields_path: str | None = None
    core_cpi_path: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ClassicSource:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"`end` ({self.end}) is before `start` ({self.start})")
        return self

    def load(self, context: LoadContext) -> pd.DataFrame:
        """Read the three sets from ``arch.data``, extended by the files given."""
        frames: list[pd.DataFrame] = []

        factors = self._factors(context)
        _, dated = _month_ends(factors.index)
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

        for data, lag in (
            (self._yields(context), YIELD_LAG_DAYS),
            (self._cpi(context), CPI_LAG_DAYS),
        ):
            calendar_end, dated = _month_ends(data.index)
            known = add_business_days(calendar_end, lag)
            for series in data.columns:
                frames.append(make_observations(series, dated, data[series].to_numpy(), known))

        table = concat_observations(frames)
        keep = np.ones(len(table), dtype=bool)
        if self.start is not None:
            keep &= (table["date"] >= pd.Timestamp(self.start)).to_numpy()
        if self.end is not None:
            keep &= (table["date"] <= pd.Timestamp(self.end)).to_numpy()
        return table.loc[keep].reset_index(drop=True)

    def label(self) -> str:
        """Name for messages: ``classic (arch.data)``, with the files that extend it."""
        files = [
            Path(p).name for p in (self.factors_path, self.yields_path, self.core_cpi_path) if p
        ]
        return "classic (arch.data" + (f" + {', '.join(files)})" if files else ")")

    def _factors(self, context: LoadContext) -> pd.DataFrame:
        """``Mkt-RF``, ``SMB``, ``HML`` and ``RF`` in percent, indexed by month."""
        import arch.data.frenchdata

        data = arch.data.frenchdata.load()
        history = data[list(FACTORS)].set_axis(french_months(data.index))
        if self.factors_path is None:
            return history
        source = FrenchSource(
            kind="french",
            path=self.factors_path,
            table=0,
            columns={column: f"FACTOR_{i}" for i, column in enumerate(FACTORS)},
            percent=False,
        )
        wide = _monthly(source.load(context), source.label())
        return _extend(history, wide.set_axis(list(FACTORS), axis=1))

    def _yields(self, context: LoadContext) -> pd.DataFrame:
        """Moody's ``AAA`` and ``BAA`` (percent), indexed by month."""
        import arch.data.default

        data = arch.data.default.load()
        history = data[["AAA", "BAA"]].set_axis(pd.DatetimeIndex(data.index).to_period("M"))
        return _extend_from_csv(
            history,
            context,
            path=self.yields_path,
            date_column="sasdate",
            date_format="%m/%d/%Y",
            series={"AAA": "AAA", "BAA": "BAA"},
            skip_rows=1,
        )

    def _cpi(self, context: LoadContext) -> pd.DataFrame:
        """``CORE_CPI``, the core CPI index level, indexed by month."""
        import arch.data.core_cpi

        data = arch.data.core_cpi.load()
        history = pd.DataFrame(
            {"CORE_CPI": data["CPILFESL"].to_numpy()},
            index=pd.DatetimeIndex(data.index).to_period("M"),
        )
        return _extend_from_csv(
            history,
            context,
            path=self.core_cpi_path,
            date_column="observation_date",
            series={"CPILFESL": "CORE_CPI"},
        )


def _extend_from_csv(
    history: pd.DataFrame, context: LoadContext, path: str | None, **settings: Any
) -> pd.DataFrame:
    """``history`` extended by the monthly CSV at ``path`` (read by ``kind: csv`` with
    ``settings``); ``history`` itself when ``path`` is None."""
    if path is None:
        return history
    source = CsvSource(kind="csv", path=path, lag_days=0, **settings)
    return _extend(history, _monthly(source.load(context), source.label()))


def _extend(history: pd.DataFrame, newer: pd.DataFrame) -> pd.DataFrame:
    """``history`` followed by the months of ``newer`` after its last one (same columns)."""
    later = newer.loc[newer.index > history.index.max(), list(history.columns)]
    return pd.concat([history, later])


#: The French factor columns the source reads.
FACTORS: tuple[str, ...] = ("Mkt-RF", "SMB", "HML", "RF")


def _monthly(observations: pd.DataFrame, origin: str) -> pd.DataFrame:
    """Observations as one column per series, indexed by month; an error if not monthly.

    A file of the wrong frequency (daily factors, weekly yields) would otherwise
    be read as months: two dates in one month are refused, naming the file.
    """
    wide = observations.pivot(index="date", columns="series", values="value")
    months = pd.DatetimeIndex(wide.index).to_period("M")
    if months.has_duplicates:
        month = months[months.duplicated()][0]
        raise DataFormatError(
            f"{origin}: two rows in {month}; kind: classic reads monthly files only "
            "(one row per month)"
        )
    return wide.set_axis(months).rename_axis(None, axis=1)
