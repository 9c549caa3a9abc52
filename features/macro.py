"""Macro builders for extra pillars (growth, credit, curve): any series' change and z-score."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from features._base import FeatureBuilder, register, trailing_zscore
from regime.data.panel import PointInTimePanel


@register
class SeriesChange(FeatureBuilder):
    """Change of one series over ``change_days`` and its level's trailing z-score.

    Features: ``{series}_chg`` and ``{series}_z`` (series id lower-cased). Give
    the feature a pillar in the config, e.g. ``pillar: credit`` for BAA10Y or
    ``pillar: growth`` for ICSA.
    """

    name: ClassVar[str] = "macro.series_change"
    pillar: ClassVar[str] = "macro"
    input_fields: ClassVar[tuple[str, ...]] = ("series",)

    series: str
    change_days: int = Field(63, ge=1)
    window_days: int = Field(756, ge=20)
    min_days: int = Field(252, ge=10)
    log: bool = False

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Change and z-score features on the panel calendar."""
        values = panel.latest(self.series)
        if self.log:
            values = values.where(values > 0).transform("log")
        stem = self.series.lower()
        return pd.DataFrame(
            {
                f"{stem}_chg": values.diff(self.change_days),
                f"{stem}_z": trailing_zscore(values, self.window_days, self.min_days),
            }
        )
