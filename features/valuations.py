"""Valuations pillar: small-cap valuation relative to large caps (higher = small dearer)."""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field, model_validator

from features._base import FeatureBuilder, register, trailing_zscore
from regime.data.panel import PointInTimePanel


@register
class RelativePE(FeatureBuilder):
    """Relative forward P/E (small / large) and its trailing percentile.

    Features: ``rel_pe`` and ``rel_pe_pctile`` (rank of today's value within the
    trailing ``window_days``, 0 = cheapest on record, 1 = dearest). Declared
    signs: both -1 (dear small caps are a headwind, cheap ones a tailwind).
    """

    name: ClassVar[str] = "valuations.relative_pe"
    pillar: ClassVar[str] = "valuations"
    input_fields: ClassVar[tuple[str, ...]] = ("small_pe", "large_pe")

    small_pe: str = "SMALL_FWD_PE"
    large_pe: str = "LARGE_FWD_PE"
    window_days: int = Field(2520, ge=20)
    min_days: int = Field(504, ge=20)

    def feature_names(self) -> list[str]:
        """``rel_pe``, ``rel_pe_pctile``."""
        return ["rel_pe", "rel_pe_pctile"]

    def signs(self) -> dict[str, int]:
        """Both -1: higher relative P/E means small caps dearer."""
        return dict.fromkeys(self.feature_names(), -1)

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Valuation features on the panel calendar."""
        small = panel.latest(self.small_pe)
        large = panel.latest(self.large_pe)
        ratio = small / large.where(large > 0)
        ratio = ratio.where(small > 0)
        pctile = ratio.rolling(self.window_days, min_periods=self.min_days).rank(pct=True)
        return pd.DataFrame({"rel_pe": ratio, "rel_pe_pctile": pctile})


#: Measures where a higher value means dearer (price over fundamentals).
PRICE_OVER_VALUE = ("pe", "pb")
#: How each measure is written in a feature's units.
MEASURE_LABELS = {"pe": "P/E", "earnings_yield": "E/P", "pb": "P/B", "book_to_market": "B/M"}


@register
class RelativeValue(FeatureBuilder):
    """Relative valuation of small caps, oriented so that higher always means "small dearer".

    ``measure`` says what the inputs are. For price-over-fundamental measures
    (``pe``, ``pb``) the ratio is small / large; for fundamental-over-price
    measures (``earnings_yield``, ``book_to_market``) it is large / small, so
    e.g. the Fama-French size-sorted BE/ME breakpoints work without swapping
    the inputs. Non-positive inputs give a missing value.

    Features: ``rel_value`` (the oriented ratio), ``rel_value_pctile`` (its
    rank in the trailing ``window_days``, 0 = cheapest, 1 = dearest) and
    ``rel_value_z`` (its trailing z-score). Declared signs: all -1 (dear small
    caps are a headwind).
    """

    name: ClassVar[str] = "valuations.relative_value"
    pillar: ClassVar[str] = "valuations"
    input_fields: ClassVar[tuple[str, ...]] = ("small", "large")

    small: str
    large: str
    measure: Literal["pe", "earnings_yield", "pb", "book_to_market"] = "pe"
    window_days: int = Field(2520, ge=20)
    min_days: int = Field(504, ge=10)

    @model_validator(mode="after")
    def _min_within_window(self) -> RelativeValue:
        if self.min_days > self.window_days:
            raise ValueError(f"min_days ({self.min_days}) exceeds window_days ({self.window_days})")
        return self

    def feature_names(self) -> list[str]:
        """``rel_value``, ``rel_value_pctile``, ``rel_value_z``."""
        return ["rel_value", "rel_value_pctile", "rel_value_z"]

    def signs(self) -> dict[str, int]:
        """All -1: higher means small caps dearer."""
        return dict.fromkeys(self.feature_names(), -1)

    def units(self) -> dict[str, str]:
        """The ratio's units: which leg's ``measure`` is over which depends on the measure."""
        label = MEASURE_LABELS[self.measure]
        order = "small over large" if self.measure in PRICE_OVER_VALUE else "large over small"
        return {"rel_value": f"{label} ratio, {order}; higher = small caps dearer"}

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Relative-value features on the panel calendar."""
        small = panel.latest(self.small)
        large = panel.latest(self.large)
        small, large = small.where(small > 0), large.where(large > 0)
        ratio = small / large if self.measure in PRICE_OVER_VALUE else large / small
        rolling = ratio.rolling(self.window_days, min_periods=self.min_days)
        return pd.DataFrame(
            {
                "rel_value": ratio,
                "rel_value_pctile": rolling.rank(pct=True),
                "rel_value_z": trailing_zscore(ratio, self.window_days, self.min_days),
            }
        )
