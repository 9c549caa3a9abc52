"""Earnings-revisions pillar: breadth of estimate revisions, small minus large, and
the mega-cap profit premium inside the large-cap index."""

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
    ``change_days`` business days). Declared signs: both +1 (small caps'
    estimates improving faster than large caps' is a tailwind).
    """

    name: ClassVar[str] = "earnings_revisions.breadth_spread"
    pillar: ClassVar[str] = "earnings_revisions"
    input_fields: ClassVar[tuple[str, ...]] = ("small_breadth", "large_breadth")

    small_breadth: str = "SMALL_REV_BREADTH"
    large_breadth: str = "LARGE_REV_BREADTH"
    change_days: int = Field(63, ge=1)

    def feature_names(self) -> list[str]:
        """``breadth_spread``, ``breadth_spread_chg``."""
        return ["breadth_spread", "breadth_spread_chg"]

    def signs(self) -> dict[str, int]:
        """Both +1."""
        return dict.fromkeys(self.feature_names(), 1)

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Revision features on the panel calendar."""
        spread = panel.latest(self.small_breadth) - panel.latest(self.large_breadth)
        return pd.DataFrame(
            {"breadth_spread": spread, "breadth_spread_chg": spread.diff(self.change_days)}
        )


@register
class MegacapSpread(FeatureBuilder):
    """Revision breadth of the top-10 large-cap index members minus the rest of the index.

    Features: ``megacap_spread`` (mega-cap breadth minus the breadth of the
    large-cap index without its ten largest members) and
    ``megacap_spread_chg`` (its change over ``change_days`` business days).
    A positive spread is a mega-cap profit premium: earnings leadership
    concentrated in a handful of giants, which has kept the cap-weighted large
    index ahead of small caps. Declared signs: both -1 (a headwind).
    """

    name: ClassVar[str] = "earnings_revisions.megacap_spread"
    pillar: ClassVar[str] = "earnings_revisions"
    input_fields: ClassVar[tuple[str, ...]] = ("megacap_breadth", "rest_breadth")

    megacap_breadth: str = "MEGACAP_REV_BREADTH"
    rest_breadth: str = "LARGE_EX_TOP10_REV_BREADTH"
    change_days: int = Field(63, ge=1, le=756)

    def feature_names(self) -> list[str]:
        """``megacap_spread``, ``megacap_spread_chg``."""
        return ["megacap_spread", "megacap_spread_chg"]

    def signs(self) -> dict[str, int]:
        """Both -1: a mega-cap profit premium is a headwind for small caps."""
        return dict.fromkeys(self.feature_names(), -1)

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Mega-cap spread features on the panel calendar."""
        spread = panel.latest(self.megacap_breadth) - panel.latest(self.rest_breadth)
        return pd.DataFrame(
            {"megacap_spread": spread, "megacap_spread_chg": spread.diff(self.change_days)}
        )
