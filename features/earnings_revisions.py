"""Earnings-revisions pillar: breadth of estimate revisions, small minus large."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from features._base import FeatureBuilder, register
from regime.data.panel import PointInTimePanel


@register
class BreadthSpread(FeatureBuilder):
    """Revision breadth (up minus down over total) of small caps minus large caps.

    Features: ``breadth_spread`` and ``breadth_spread_chg`` (its change over
    ``change_days`` business days).
    """

    name: ClassVar[str] = "earnings_revisions.breadth_spread"
    pillar: ClassVar[str] = "earnings_revisions"
    input_fields: ClassVar[tuple[str, ...]] = ("small_breadth", "large_breadth")

    small_breadth: str = "SMALL_REV_BREADTH"
    large_breadth: str = "LARGE_REV_BREADTH"
    change_days: int = Field(63, ge=1)

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Revision features on the panel calendar."""
        spread = panel.latest(self.small_breadth) - panel.latest(self.large_breadth)
        return pd.DataFrame(
            {"breadth_spread": spread, "breadth_spread_chg": spread.diff(self.change_days)}
        )
