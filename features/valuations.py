"""Valuations pillar: small-cap forward P/E relative to large caps."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from features._base import FeatureBuilder, register
from regime.data.panel import PointInTimePanel


@register
class RelativePE(FeatureBuilder):
    """Relative forward P/E (small / large) and its trailing percentile.

    Features: ``rel_pe`` and ``rel_pe_pctile`` (rank of today's value within the
    trailing ``window_days``, 0 = cheapest on record, 1 = dearest).
    """

    name: ClassVar[str] = "valuations.relative_pe"
    pillar: ClassVar[str] = "valuations"
    input_fields: ClassVar[tuple[str, ...]] = ("small_pe", "large_pe")

    small_pe: str = "SMALL_FWD_PE"
    large_pe: str = "LARGE_FWD_PE"
    window_days: int = Field(2520, ge=20)
    min_days: int = Field(504, ge=20)

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Valuation features on the panel calendar."""
        small = panel.latest(self.small_pe)
        large = panel.latest(self.large_pe)
        ratio = small / large.where(large > 0)
        ratio = ratio.where(small > 0)
        pctile = ratio.rolling(self.window_days, min_periods=self.min_days).rank(pct=True)
        return pd.DataFrame({"rel_pe": ratio, "rel_pe_pctile": pctile})
