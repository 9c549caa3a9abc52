"""Rate-expectations pillar: cuts priced for the next year, and cuts delivered.

Declared signs: ``cuts_priced_{M}m`` +1 and ``cuts_delivered_{M}m`` +1 (easier
policy, priced or delivered, is a tailwind for small caps).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from features._base import FeatureBuilder, register
from regime.data.panel import PointInTimePanel

BUSINESS_DAYS_PER_MONTH = 21

#: One policy step, in percentage points.
STEP = 0.25

#: The ways :class:`CutsPriced` can price the next year's policy path, in order.
PRICING_MODES: tuple[str, ...] = ("futures", "bill", "two_year")

#: The mode a config naming none of futures / bill / two_year gets: the 1-year Treasury.
DEFAULT_PRICING: dict[str, str] = {"bill": "DGS1"}

#: The target a ``cuts_delivered`` naming no rate gets: FRED's range top, then the single
#: target before December 2008.
DEFAULT_TARGET: dict[str, str] = {"target_upper": "DFEDTARU", "target_before": "DFEDTAR"}


@register
class CutsPriced(FeatureBuilder):
    """Cuts priced for the next 12 months, in 25 bp steps: (policy rate - implied rate) / 0.25.

    Feature: ``cuts_priced_{months}m`` (``cuts_priced_12m`` by default);
    positive values mean the market prices cuts (declared sign +1).
    ``policy_rate`` (default DFF) is compared with the rate implied for about
    a year ahead, priced in exactly one of three ways:

    * ``futures``: a fed funds futures *price* about 12 months out; the
      implied rate is 100 - price. The cleanest read of the expected path.
    * ``bill``: the 1-year Treasury (DGS1) or 6-month bill (DTB6) yield: no
      term premium to speak of, the horizon matches. Recommended.
    * ``two_year``: the 2-year Treasury yield (DGS2), the original proxy. Kept
      for existing configs: the 2-year carries a term premium and reaches
      beyond 12 months, so (policy - 2y) reads "hikes priced" on most days
      since 1990 even when the market expects no move.

    A config naming none of the three gets :data:`DEFAULT_PRICING`,
    ``bill: DGS1``; a config that names ``two_year: DGS2`` keeps the 2-year.
    Naming more than one of ``futures``,
    ``bill`` and ``two_year`` is a config error. Only the chosen mode's series
    is an input. ``months`` (default 12) says how far ahead the priced rate
    reaches and names the feature: give a futures contract's months out, e.g.
    ``months: 4`` for the fourth contract, so the card does not call it a year.
    """

    name: ClassVar[str] = "rate_expectations.cuts_priced"
    pillar: ClassVar[str] = "rate_expectations"
    input_fields: ClassVar[tuple[str, ...]] = ("policy_rate", *PRICING_MODES)

    policy_rate: str = "DFF"
    futures: str | None = None
    bill: str | None = None
    two_year: str | None = None
    months: int = Field(12, ge=1, le=36)

    @model_validator(mode="before")
    @classmethod
    def _one_pricing_mode(cls, data: Any) -> Any:
        """Exactly one of futures / bill / two_year; none means :data:`DEFAULT_PRICING`."""
        if not isinstance(data, dict):
            return data
        given = [mode for mode in PRICING_MODES if data.get(mode) is not None]
        if len(given) > 1:
            raise ValueError(
                f"give only one of futures, bill, two_year to price cuts (got {', '.join(given)})"
            )
        if not given:
            data = {**data, **DEFAULT_PRICING}
        return data

    @property
    def mode(self) -> str:
        """The pricing mode in use: ``futures``, ``bill`` or ``two_year``."""
        return next(mode for mode in PRICING_MODES if getattr(self, mode) is not None)

    def feature_names(self) -> list[str]:
        """``cuts_priced_{months}m``."""
        return [f"cuts_priced_{self.months}m"]

    def signs(self) -> dict[str, int]:
        """Cuts priced are a tailwind: +1."""
        return dict.fromkeys(self.feature_names(), 1)

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Cuts-priced feature on the panel calendar."""
        mode = self.mode
        market = panel.latest(getattr(self, mode))
        implied = 100.0 - market if mode == "futures" else market
        spread = panel.latest(self.policy_rate) - implied
        return pd.DataFrame({self.feature_names()[0]: spread / STEP})


@register
class CutsDelivered(FeatureBuilder):
    """Cuts delivered over the last ``months`` (positive = cuts).

    Feature: ``cuts_delivered_{months}m``, the rate ``months`` x 21 trading
    days ago minus today's (declared sign +1). Two modes:

    * target rate (``target_upper`` and ``target_before`` both given, e.g.
      DFEDTARU and DFEDTAR): the FOMC target, spliced - ``target_before`` (the
      single target) until ``target_upper`` (the top of the range, from
      December 2008) has its first observation, then ``target_upper`` - and the
      feature counts 25 bp steps, rounded to the nearest step (half away from
      zero). Preferred: the target moves only when the FOMC acts.
    * effective rate (``policy_rate`` given, no target): the difference of
      ``policy_rate`` (e.g. DFF) in percentage points. The effective rate
      drifts a few basis points from day to day (month and quarter ends,
      reserve conditions), so "no cuts delivered" (<= 0) fires at random
      while the target is unchanged.

    A config naming none of the three gets :data:`DEFAULT_TARGET` (DFEDTARU
    spliced with DFEDTAR). Giving only one of the two target params is a
    config error.
    """

    name: ClassVar[str] = "rate_expectations.cuts_delivered"
    pillar: ClassVar[str] = "rate_expectations"
    input_fields: ClassVar[tuple[str, ...]] = ("policy_rate", "target_upper", "target_before")

    policy_rate: str = "DFF"
    months: int = Field(6, ge=1, le=36)
    target_upper: str | None = None
    target_before: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _target_by_default(cls, data: Any) -> Any:
        """No ``policy_rate`` and no target named: the FOMC target (:data:`DEFAULT_TARGET`)."""
        if isinstance(data, dict) and not {"policy_rate", "target_upper", "target_before"} & {
            key for key, value in data.items() if value is not None
        }:
            return {**data, **DEFAULT_TARGET}
        return data

    @model_validator(mode="after")
    def _both_targets_or_neither(self) -> CutsDelivered:
        if (self.target_upper is None) != (self.target_before is None):
            raise ValueError("give both target_upper and target_before, or neither")
        return self

    @property
    def uses_target(self) -> bool:
        """True in the target-rate mode."""
        return self.target_upper is not None

    def input_series(self) -> list[str]:
        """The two target series in the target mode, else ``policy_rate``."""
        if self.uses_target:
            return [self.target_upper, self.target_before]  # type: ignore[list-item]
        return [self.policy_rate]

    def units(self) -> dict[str, str]:
        """25 bp steps of the FOMC target, or percentage points of ``policy_rate``."""
        what = "25 bp steps of the FOMC target" if self.uses_target else "percentage points"
        return dict.fromkeys(self.feature_names(), f"cuts delivered, {what}")

    def superseded(self) -> dict[str, str]:
        """In the target mode, ``target_before`` until ``target_upper`` starts."""
        if self.uses_target:
            return {self.target_before: self.target_upper}  # type: ignore[dict-item]
        return {}

    def feature_names(self) -> list[str]:
        """``cuts_delivered_{months}m``."""
        return [f"cuts_delivered_{self.months}m"]

    def signs(self) -> dict[str, int]:
        """Cuts delivered are a tailwind: +1."""
        return dict.fromkeys(self.feature_names(), 1)

    def target_rate(self, panel: PointInTimePanel) -> pd.Series:
        """The spliced target: ``target_before`` until ``target_upper`` is first known.

        A panel cut off before ``target_upper`` existed (e.g. as of 2005 for
        DFEDTARU) has the single target only.
        """
        before = panel.latest(self.target_before)  # type: ignore[arg-type]
        if self.target_upper not in panel.series_ids:
            return before
        upper = panel.latest(self.target_upper)  # type: ignore[arg-type]
        started = panel.latest_date(self.target_upper).notna()  # type: ignore[arg-type]
        return upper.where(started, before)

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Cuts-delivered feature on the panel calendar."""
        lag = self.months * BUSINESS_DAYS_PER_MONTH
        if self.uses_target:
            rate = self.target_rate(panel)
            steps = (rate.shift(lag) - rate) / STEP
            delivered = np.sign(steps) * np.floor(steps.abs() + 0.5)
        else:
            rate = panel.latest(self.policy_rate)
            delivered = rate.shift(lag) - rate
        return pd.DataFrame({f"cuts_delivered_{self.months}m": delivered})
