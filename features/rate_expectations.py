"""Rate-expectations pillar: cuts priced for the next year, and cuts delivered."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from features._base import FeatureBuilder, register
from regime.data.panel import PointInTimePanel

BUSINESS_DAYS_PER_MONTH = 21


@register
class CutsPriced(FeatureBuilder):
    """Cuts priced for the next 12 months, in 25 bp steps: (policy rate - 2y yield) / 0.25.

    Feature: ``cuts_priced_12m``. The 2-year yield is a proxy for the expected
    policy path; positive values mean the market prices cuts.
    """

    name: ClassVar[str] = "rate_expectations.cuts_priced"
    pillar: ClassVar[str] = "rate_expectations"
    input_fields: ClassVar[tuple[str, ...]] = ("policy_rate", "two_year")

    policy_rate: str = "DFF"
    two_year: str = "DGS2"

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Cuts-priced feature on the panel calendar."""
        spread = panel.latest(self.policy_rate) - panel.latest(self.two_year)
        return pd.DataFrame({"cuts_priced_12m": spread / 0.25})


@register
class CutsDelivered(FeatureBuilder):
    """Cuts delivered over the last ``months``, in percentage points (positive = cuts).

    Feature: ``cuts_delivered_{months}m``.
    """

    name: ClassVar[str] = "rate_expectations.cuts_delivered"
    pillar: ClassVar[str] = "rate_expectations"
    input_fields: ClassVar[tuple[str, ...]] = ("policy_rate",)

    policy_rate: str = "DFF"
    months: int = Field(6, ge=1, le=36)

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Cuts-delivered feature on the panel calendar."""
        rate = panel.latest(self.policy_rate)
        delivered = rate.shift(self.months * BUSINESS_DAYS_PER_MONTH) - rate
        return pd.DataFrame({f"cuts_delivered_{self.months}m": delivered})
