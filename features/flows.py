"""Flows pillar: ETF creations/redemptions of the small-cap fund vs the large fund."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from features._base import FeatureBuilder, register
from regime.data.panel import PointInTimePanel


@register
class RelativeFlow(FeatureBuilder):
    """Net flows as % of assets, small fund minus large fund.

    Features: ``rel_flow_1d`` (flows that became known today), ``rel_flow_{N}d``
    (the trend over ``trend_days``), ``event_share_{N}d`` (largest single day's
    share of the gross flow over the trend window: near 1 when one day drives
    the signal), ``vs_ytd_pace`` (trend minus the year-to-date pace over the
    same number of days, or the trailing year's pace in the first weeks of a
    year: positive when flows turn against a negative tide). Days on which the
    newest flow is older than ``max_age_days`` calendar days (default: the
    series' maximum age in the panel) are missing, not zero.

    Declared signs: ``rel_flow_{N}d`` +1 and ``vs_ytd_pace`` +1 (money moving
    into small caps is a tailwind); ``rel_flow_1d`` and ``event_share_{N}d`` 0
    (one day's flow is noise; the event share qualifies the trend, no prior).
    """

    name: ClassVar[str] = "flows.relative_flow"
    pillar: ClassVar[str] = "flows"
    input_fields: ClassVar[tuple[str, ...]] = (
        "small_flow",
        "small_assets",
        "large_flow",
        "large_assets",
    )

    small_flow: str = "SMALL_ETF_FLOW"
    small_assets: str = "SMALL_ETF_AUM"
    large_flow: str = "LARGE_ETF_FLOW"
    large_assets: str = "LARGE_ETF_AUM"
    trend_days: int = Field(20, ge=2, le=260)
    max_age_days: int | None = Field(None, ge=1)

    def feature_names(self) -> list[str]:
        """``rel_flow_1d``, ``rel_flow_{N}d``, ``event_share_{N}d``, ``vs_ytd_pace``."""
        n = self.trend_days
        return ["rel_flow_1d", f"rel_flow_{n}d", f"event_share_{n}d", "vs_ytd_pace"]

    def signs(self) -> dict[str, int]:
        """Trend and pace against the year +1; the one-day flow and event share 0."""
        return dict(zip(self.feature_names(), (0, 1, 0, 1), strict=True))

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Flow features on the panel calendar."""
        age = self.max_age_days
        small = panel.events(self.small_flow, age) / panel.latest(self.small_assets)
        large = panel.events(self.large_flow, age) / panel.latest(self.large_assets)
        daily = 100.0 * (small - large)
        n = self.trend_days
        trend = daily.rolling(n, min_periods=n).sum()
        gross = daily.abs().rolling(n, min_periods=n).sum()
        largest = daily.abs().rolling(n, min_periods=n).max()
        year = daily.index.year
        ytd_sum = daily.fillna(0.0).groupby(year).cumsum()
        ytd_days = daily.notna().astype("float64").groupby(year).cumsum()
        ytd_pace = ytd_sum / ytd_days.where(ytd_days >= n) * n
        # Early in January the year-to-date tide is a handful of days: use the last year's.
        trailing_pace = daily.rolling(252, min_periods=n).mean() * n
        ytd_pace = ytd_pace.fillna(trailing_pace)
        return pd.DataFrame(
            {
                "rel_flow_1d": daily,
                f"rel_flow_{n}d": trend,
                f"event_share_{n}d": largest / gross.where(gross > 0),
                "vs_ytd_pace": trend - ytd_pace,
            }
        )
