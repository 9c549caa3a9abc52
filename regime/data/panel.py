"""The point-in-time panel: what was known on each day of a calendar.

Feature builders never see the raw observation table. They ask the panel for a
series on its daily calendar, and every value the panel returns for day ``t``
comes from rows with ``known_at <= t`` only. Causal transforms of those daily
series (rolling windows, lags) therefore stay point in time: removing every row
known after ``t`` leaves the values at ``t`` unchanged.

For a revised series (FRED vintages) the daily series is the *real-time path*:
on each day, the latest vintage of the newest observation known that day.

The calendar is the exchange's trading days (:mod:`regime.calendar`). Stale is
missing: every series has a maximum age in calendar days (configured, or
inferred from its release spacing and lag), and on days when its newest known
observation is older than that, the panel gives NaN instead of carrying the
last value forward.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regime.calendar import median_spacing_days, trading_days
from regime.exceptions import DataError, MissingSeriesError


@dataclass(frozen=True)
class SeriesStatus:
    """Freshness of one series as of a day."""

    last_date: pd.Timestamp | None
    last_known_at: pd.Timestamp | None
    age_days: int | None
    stale: bool


class PointInTimePanel:
    """Observations viewed on the trading-day calendar, as of each day.

    Parameters
    ----------
    observations : pandas.DataFrame
        The long table (``series, date, value, known_at``).
    end : date-like, optional
        The knowledge cutoff: rows known after it are ignored, and the calendar
        ends on the last trading day on or before it. Default: the last
        ``known_at`` in the table.
    start : date-like, optional
        First day of the calendar; default the first observation date known by
        ``end``.
    max_age : mapping of str to int, optional
        Maximum age in calendar days of each series' newest observation before
        the series counts as stale (missing). Series not in it get
        :meth:`inferred_max_age`.
    declared : iterable of str, optional
        Further series known to exist, though maybe not yet by ``end``. Every
        series in ``observations`` is declared: one whose first row became
        known after ``end`` has no value yet (all NaN), like a series on the
        days before it started, instead of being unknown.
    """

    def __init__(
        self,
        observations: pd.DataFrame,
        end: pd.Timestamp | str | None = None,
        start: pd.Timestamp | str | None = None,
        max_age: Mapping[str, int] | None = None,
        declared: Iterable[str] = (),
    ) -> None:
        end_ts = pd.Timestamp(end if end is not None else observations["known_at"].max())
        known = observations.loc[observations["known_at"] <= end_ts]
        self._declared = frozenset(observations["series"].unique()) | frozenset(declared)
        self._no_rows = observations.iloc[:0]
        if known.empty:
            raise DataError(f"no observation is known by {end_ts:%Y-%m-%d}; pick a later date")
        start_ts = pd.Timestamp(start if start is not None else known["date"].min())
        self.calendar: pd.DatetimeIndex = trading_days(start_ts, end_ts)
        if self.calendar.empty:
            raise DataError(
                f"no trading day between {start_ts:%Y-%m-%d} and {end_ts:%Y-%m-%d}; "
                "pick a later date"
            )
        self.end: pd.Timestamp = end_ts
        self._rows = {
            name: group.sort_values(["known_at", "date"], kind="stable")
            for name, group in known.groupby("series", sort=True)
        }
        self._max_age = dict(max_age or {})
        self._cache: dict[tuple[str, str], pd.Series] = {}
        self._newest_rows: dict[str, pd.DataFrame] = {}

    @property
    def series_ids(self) -> list[str]:
        """Ids of the series with at least one row known by the panel's end."""
        return list(self._rows)

    def truncate(self, day: pd.Timestamp | str) -> PointInTimePanel:
        """The panel as it would have been built on ``day`` (same maximum ages)."""
        table = pd.concat(list(self._rows.values()), ignore_index=True)
        ages = self.max_ages(self.series_ids)
        return PointInTimePanel(
            table, end=day, start=self.calendar[0], max_age=ages, declared=self._declared
        )

    def rows(self, series: str) -> pd.DataFrame:
        """Raw rows of ``series`` known by the panel's end, in known_at order.

        No rows (an empty frame) for a declared series not yet known by the end;
        MissingSeriesError for a series no source provides.
        """
        try:
            return self._rows[series]
        except KeyError:
            if series in self._declared:
                return self._no_rows
            close = difflib.get_close_matches(series, self._rows, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise MissingSeriesError(
                f"series {series!r} is in no data source known by {self.end:%Y-%m-%d}{hint}"
            ) from None

    def as_of(self, series: str, day: pd.Timestamp | str) -> pd.Series:
        """The series as it stood on ``day``: one value per observation date.

        Each date carries its latest vintage known by ``day``; dates first
        published after ``day`` are absent. Indexed by observation date.
        """
        frame = self.as_of_frame(series, day)
        return frame["value"].rename(series)

    def as_of_frame(self, series: str, day: pd.Timestamp | str) -> pd.DataFrame:
        """Like :meth:`as_of`, with the ``known_at`` of each value beside it."""
        rows = self.rows(series)
        known = rows.loc[rows["known_at"] <= pd.Timestamp(day)]
        latest = known.drop_duplicates("date", keep="last").sort_values("date")
        return pd.DataFrame(
            {"value": latest["value"].to_numpy(), "known_at": latest["known_at"].to_numpy()},
            index=pd.DatetimeIndex(latest["date"]),
        )

    def _newest(self, series: str) -> pd.DataFrame:
        """Rows that were the newest observation (latest vintage) when they became known."""
        if series not in self._newest_rows:
            rows = self.rows(series)
            dates = rows["date"].to_numpy()
            self._newest_rows[series] = rows.loc[dates >= np.maximum.accumulate(dates)]
        return self._newest_rows[series]

    def _on_calendar(self, values: pd.Series) -> pd.Series:
        """Put values indexed by known_at on the calendar, carrying the last one forward."""
        values = values[~values.index.duplicated(keep="last")]
        position = self.calendar.searchsorted(values.index, side="left")
        out = pd.Series(np.nan, index=self.calendar, dtype="float64")
        inside = position < len(self.calendar)
        last_per_day = pd.Series(values.to_numpy()[inside]).groupby(position[inside]).last()
        out.iloc[last_per_day.index.to_numpy()] = last_per_day.to_numpy()
        return out.ffill()

    def latest(self, series: str) -> pd.Series:
        """Daily series: on each day, the newest value known that day.

        NaN before the first release and on every day the series is stale
        (its newest observation older than :meth:`max_age_days`).
        """
        key = (series, "latest")
        if key not in self._cache:
            rows = self._newest(series)
            values = pd.Series(rows["value"].to_numpy(), index=pd.DatetimeIndex(rows["known_at"]))
            carried = self._on_calendar(values).rename(series)
            self._cache[key] = carried.where(~self.stale(series))
        return self._cache[key]

    def latest_date(self, series: str) -> pd.Series:
        """Daily series of the observation date of :meth:`latest` (NaT before any)."""
        key = (series, "latest_date")
        if key not in self._cache:
            rows = self._newest(series)
            stamps = rows["date"].to_numpy().astype("int64").astype("float64")
            values = pd.Series(stamps, index=pd.DatetimeIndex(rows["known_at"]))
            on_calendar = self._on_calendar(values)
            self._cache[key] = pd.Series(
                pd.to_datetime(on_calendar.to_numpy(), unit="ns"), index=self.calendar
            )
        return self._cache[key]

    def events(self, series: str, max_age_days: int | None = None) -> pd.Series:
        """Daily sum of first-release values that became known that day.

        For flow-like series (fund flows): days with nothing new are 0, days
        before the first release are NaN. A value released on a weekend or a
        holiday counts on the next trading day. Days on which the newest known
        observation is older than ``max_age_days`` (default
        :meth:`max_age_days`) are NaN too: a feed that stopped is missing
        data, not zero flows.
        """
        key = (series, f"events:{max_age_days}")
        if key not in self._cache:
            rows = self.rows(series)
            first = rows.sort_values("known_at", kind="stable").drop_duplicates("date")
            position = self.calendar.searchsorted(first["known_at"].to_numpy(), side="left")
            inside = position < len(self.calendar)
            sums = pd.Series(first["value"].to_numpy()[inside]).groupby(position[inside]).sum()
            out = np.zeros(len(self.calendar))
            out[sums.index.to_numpy()] = sums.to_numpy()
            if len(sums):
                out[: int(sums.index.min())] = np.nan
            else:
                out[:] = np.nan
            limit = self.max_age_days(series) if max_age_days is None else max_age_days
            out[self.stale(series, limit).to_numpy()] = np.nan
            self._cache[key] = pd.Series(out, index=self.calendar, name=series)
        return self._cache[key]

    def age_days(self, series: str) -> pd.Series:
        """Daily age in calendar days of the newest observation known that day (NaN before any)."""
        key = (series, "age")
        if key not in self._cache:
            age = self.calendar.to_series() - self.latest_date(series)
            self._cache[key] = (age.dt.total_seconds() / 86_400.0).rename(series)
        return self._cache[key]

    def stale(self, series: str, max_age_days: int | None = None) -> pd.Series:
        """Daily flag: True when no observation is known yet or the newest is too old."""
        limit = self.max_age_days(series) if max_age_days is None else max_age_days
        age = self.age_days(series)
        return age.isna() | (age > limit)

    def max_age_days(self, series: str) -> int:
        """The configured maximum age of ``series``, else :meth:`inferred_max_age`."""
        if series not in self._max_age:
            self._max_age[series] = self.inferred_max_age(series)
        return self._max_age[series]

    def max_ages(self, series: list[str]) -> dict[str, int]:
        """Maximum age of each of ``series`` (configured or inferred)."""
        return {name: self.max_age_days(name) for name in series}

    def last_date(self, series: str) -> pd.Timestamp | None:
        """Observation date of the newest row known by the panel's end."""
        rows = self._rows.get(series)
        return None if rows is None or rows.empty else pd.Timestamp(rows["date"].max())

    def fresh_through(self, series: str) -> pd.Timestamp | None:
        """The last day on which ``series`` is not stale, given what is known by the end."""
        last = self.last_date(series)
        return None if last is None else last + pd.Timedelta(days=self.max_age_days(series))

    def status(self, series: str, day: pd.Timestamp) -> SeriesStatus:
        """Freshness of ``series`` as of ``day``: last observation date, its age, stale or not."""
        rows = self.rows(series)
        known = rows.loc[rows["known_at"] <= day]
        if known.empty:
            return SeriesStatus(None, None, None, True)
        last_date = pd.Timestamp(known["date"].max())
        age = int((day - last_date).days)
        return SeriesStatus(
            last_date,
            pd.Timestamp(known["known_at"].max()),
            age,
            age > self.max_age_days(series),
        )

    def inferred_max_age(self, series: str) -> int:
        """Maximum age inferred from the rows: 1.5 x the usual spacing plus the usual lag + 3.

        Uses only rows known by the panel's end, so it is point in time too.
        """
        rows = self._newest(series)
        dates = pd.DatetimeIndex(rows["date"]).unique().sort_values()
        spacing = median_spacing_days(dates)
        lag = float(np.median((rows["known_at"] - rows["date"]).dt.days)) if len(rows) else 0.0
        return int(np.ceil(1.5 * spacing + lag)) + 3
