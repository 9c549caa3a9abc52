"""Macro builders for extra pillars (growth, credit, curve): a series' level, change,
z-score, or the spread of two series.

Declared signs: every macro feature has the builder's ``sign`` parameter
(-1, 0 or 1; default 0, no prior). Set it in the config when the direction is
known, e.g. ``sign: -1`` for a credit spread (wider spreads, a headwind for
small caps).
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field, model_validator

from features._base import FeatureBuilder, Sign, register, trailing_zscore
from regime.data.panel import PointInTimePanel


class _MacroBuilder(FeatureBuilder):
    """Shared parts: a ``sign`` for every feature, and a trailing z-score window."""

    sign: Sign = 0
    window_days: int = Field(756, ge=20)
    min_days: int = Field(252, ge=10)

    @model_validator(mode="after")
    def _min_within_window(self) -> _MacroBuilder:
        if self.min_days > self.window_days:
            raise ValueError(f"min_days ({self.min_days}) exceeds window_days ({self.window_days})")
        return self

    def signs(self) -> dict[str, int]:
        """The ``sign`` parameter for every feature."""
        return dict.fromkeys(self.feature_names(), int(self.sign))


@register
class SeriesChange(_MacroBuilder):
    """Change of one series over ``change_days`` and its level's trailing z-score.

    Features: ``{series}_chg`` and ``{series}_z`` (series id lower-cased). Give
    the feature a pillar in the config, e.g. ``pillar: credit`` for BAA10Y or
    ``pillar: growth`` for ICSA. ``log: true`` uses the log of the series.
    Declared signs: ``sign`` (default 0) for both.
    """

    name: ClassVar[str] = "macro.series_change"
    pillar: ClassVar[str] = "macro"
    input_fields: ClassVar[tuple[str, ...]] = ("series",)

    series: str
    change_days: int = Field(63, ge=1)
    log: bool = False

    def feature_names(self) -> list[str]:
        """``{series}_chg``, ``{series}_z``."""
        stem = self.series.lower()
        return [f"{stem}_chg", f"{stem}_z"]

    def units(self) -> dict[str, str]:
        """The change's span and scale (the z-score's units come from its name)."""
        span = f"over {self.change_days} sessions"
        what = f"change of its log {span}" if self.log else f"change, in its own units, {span}"
        return {self.feature_names()[0]: f"{self.series} {what}"}

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Change and z-score features on the panel calendar."""
        values = panel.latest(self.series)
        if self.log:
            values = values.where(values > 0).transform("log")
        chg, z = self.feature_names()
        return pd.DataFrame(
            {
                chg: values.diff(self.change_days),
                z: trailing_zscore(values, self.window_days, self.min_days),
            }
        )


@register
class Level(_MacroBuilder):
    """One series' level and its trailing z-score.

    Features: ``{series}`` (the newest value known each day) and
    ``{series}_z`` (series id lower-cased). Declared signs: ``sign``
    (default 0) for both.
    """

    name: ClassVar[str] = "macro.level"
    pillar: ClassVar[str] = "macro"
    input_fields: ClassVar[tuple[str, ...]] = ("series",)

    series: str

    def feature_names(self) -> list[str]:
        """``{series}``, ``{series}_z``."""
        stem = self.series.lower()
        return [stem, f"{stem}_z"]

    def units(self) -> dict[str, str]:
        """The level is the series' newest value, in its own units."""
        return {self.feature_names()[0]: f"{self.series}, newest value, in its own units"}

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Level and z-score features on the panel calendar."""
        values = panel.latest(self.series)
        level, z = self.feature_names()
        return pd.DataFrame(
            {level: values, z: trailing_zscore(values, self.window_days, self.min_days)}
        )


@register
class Spread(_MacroBuilder):
    """The spread ``a - b`` of two series and its trailing z-score.

    Features: ``{name}`` (a - b, each the newest value known that day) and
    ``{name}_z``; ``name`` defaults to ``{a}_minus_{b}`` (ids lower-cased).
    E.g. ``a: BAA, b: DGS10, name: baa_spread``. Declared signs: ``sign``
    (default 0) for both.
    """

    name: ClassVar[str] = "macro.spread"
    pillar: ClassVar[str] = "macro"
    input_fields: ClassVar[tuple[str, ...]] = ("a", "b")

    a: str
    b: str
    # ``name`` is taken by the registry key (a ClassVar): the param ``name`` fills ``feature``.
    feature: str | None = Field(None, alias="name", pattern=r"^[a-z][a-z0-9_]*$")

    def feature_names(self) -> list[str]:
        """``{name}``, ``{name}_z``."""
        stem = self.feature or f"{self.a.lower()}_minus_{self.b.lower()}"
        return [stem, f"{stem}_z"]

    def units(self) -> dict[str, str]:
        """The spread is ``a`` minus ``b``, in their units."""
        return {self.feature_names()[0]: f"{self.a} minus {self.b}, in their own units"}

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        """Spread and z-score features on the panel calendar."""
        values = panel.latest(self.a) - panel.latest(self.b)
        level, z = self.feature_names()
        return pd.DataFrame(
            {level: values, z: trailing_zscore(values, self.window_days, self.min_days)}
        )
