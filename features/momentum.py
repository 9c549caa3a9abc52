"""Momentum pillar: the trailing relative return of small caps over large caps."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from features._base import FeatureBuilder, register
from regime.data.panel import PointInTimePanel

#: Windows of at least this many trading days (three years) read as reversal, not trend.
REVERSAL_DAYS = 756


@register
class RelativeReturn(FeatureBuilder):
    """Trailing log return of small over large over ``window_days``, ending ``skip_days`` ago.

    Feature: ``rel_return_{window_days}d`` (``_skip{skip_days}`` appended when
    ``skip_days`` > 0), in log points: sum of log(1 + small) - log(1 + large)
    over the observations that became known between ``window_days`` and
    ``skip_days`` trading days ago. ``kind: price`` reads the legs as price or
    total-return index levels instead: the change of log(small / large) of the
    newest observation known then.

    Point in time for daily and monthly series alike: each date's pair of
    first releases (the pair counts when both legs are known) is added to a
    running sum in the order the pairs became known; the running sum is
    carried forward on the calendar (what was known by each day), and the
    feature is ``cum.shift(skip_days) - cum.shift(window_days)``. A monthly
    series over ``window_days: 252`` thus sums the twelve months released in
    the last year. Missing on days either leg is stale. A return at or below
    -100% (or, for prices, a non-positive level) is ignored.

    Declared sign: +1 for windows under 756 trading days (6-12 month trend
    persists), -1 from 756 days (three years or more: long-horizon reversal).
    """

    name: ClassVar[str] = "momentum.relative_return"
    pillar: ClassVar[str] = "momentum"
    input_fields: ClassVar[tuple[str, ...]] = ("small", "large")

    small: str = "SMALL_TR"
    large: str = "LARGE_TR"
    window_days: int = Field(252, ge=2, le=2520)
    skip_days: int = Field(0, ge=0, le=252)
    kind: Literal["return", "price"] = "return"

    @model_validator(mode="after")
    def _skip_within_window(self) -> RelativeReturn:
        if self.skip_days >= self.window_days:
            raise ValueError(
                f"skip_days ({self.skip_days}) must be less than window_days ({self.window_days})"
            )
        return self

    def feature_names(self) -> list[str]:
        """``rel_return_{window_days}d`` (+ ``_skip{skip_days}``)."""
        skip = f"_skip{self.skip_days}" if self.skip_days else ""
        return [f"rel_return_{self.window_days}d{skip}"]

    def signs(self) -> dict[str, int]:
        """+1 below 756 trading days (trend), -1 from 756 (reversal)."""
        return dict.fromkeys(self.feature_names(), -1 if self.window_days >= REVERSAL_DAYS else 1)

    def _pairs(self, panel: PointInTimePanel) -> pd.DataFrame:
        """First releases of both legs, paired by date, known when the later leg is known."""
        legs = []
        for leg, series in (("small", self.small), ("large", self.large)):
            rows = panel.rows(series).sort_values("known_at", kind="stable")
            first = rows.drop_duplicates("date", keep="first")
            legs.append(
                first[["date", "value", "known_at"]].rename(
                    columns={"value": leg, "known_at": f"known_{leg}"}
                )
            )
        pairs = legs[0].merge(legs[1], on="date", how="inner")
        pairs["known_at"] = pairs[["known_small", "known_large"]].max(axis=1)
        return pairs.sort_values(["known_at", "date"], kind="stable").reset_index(drop=True)

    def _cumulative(self, panel: PointInTimePanel) -> pd.Series:
        """Running log relative return (or log ratio) known by each calendar day."""
        pairs = self._pairs(panel)
        small, large = pairs["small"].to_numpy(), pairs["large"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "return":
                step = np.log1p(np.where(small > -1, small, np.nan)) - np.log1p(
                    np.where(large > -1, large, np.nan)
                )
                values = np.nancumsum(step)  # a return at or below -100% is ignored
            else:
                dates = pairs["date"].to_numpy()
                newest = dates >= np.maximum.accumulate(dates) if len(dates) else dates
                ratio = np.log(
                    np.where(small > 0, small, np.nan) / np.where(large > 0, large, np.nan)
                )
                values = np.where(newest, ratio, np.nan)
        calendar = panel.calendar
        position = calendar.searchsorted(pairs["known_at"].to_numpy(), side="left")
        inside = position < len(calendar)
        frame = pd.DataFrame({"position": position[inside], "value": values[inside]})
        if self.kind == "price":
            frame = frame.dropna()
        last = frame.groupby("position")["value"].last()
        out = pd.Series(np.nan, index=calendar, dtype="float64")
        out.iloc[last.index.to_numpy()] = last.to_numpy()
        return out.ffill()

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Relative-return feature on the panel calendar."""
        cum = self._cumulative(panel)
        relative = cum.shift(self.skip_days) - cum.shift(self.window_days)
        stale = panel.stale(self.small) | panel.stale(self.large)
        return pd.DataFrame({self.feature_names()[0]: relative.where(~stale)})
