"""Positioning pillar: speculative net positioning in small-cap futures."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from features._base import FeatureBuilder, register, trailing_zscore
from regime.data.panel import PointInTimePanel


@register
class NetSpeculativeZ(FeatureBuilder):
    """Z-score of net speculative positioning against its trailing window.

    Feature: ``net_spec_z``. Read contrarian: crowded longs are a headwind.
    The input is a net position (contracts, or a share of open interest) as
    released, e.g. the CFTC leveraged-funds net of the Russell 2000 E-mini.

    Declared sign: ``net_spec_z`` -1 (crowded positioning is a headwind).
    """

    name: ClassVar[str] = "positioning.net_spec_z"
    pillar: ClassVar[str] = "positioning"
    input_fields: ClassVar[tuple[str, ...]] = ("net_position",)

    net_position: str = "RTY_LEV_NET_OI"
    window_days: int = Field(756, ge=20)
    min_days: int = Field(126, ge=10)

    def feature_names(self) -> list[str]:
        """``net_spec_z``."""
        return ["net_spec_z"]

    def signs(self) -> dict[str, int]:
        """Crowded longs are a headwind: -1."""
        return {"net_spec_z": -1}

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Positioning features on the panel calendar."""
        net = panel.latest(self.net_position)
        return pd.DataFrame({"net_spec_z": trailing_zscore(net, self.window_days, self.min_days)})
