"""The feature-builder contract and the closed registry of builders.

A builder is a small pydantic model: its fields are its parameters (input
series ids among them), ``pillar`` is declared on the class, and
:meth:`FeatureBuilder.compute` turns the point-in-time panel into a frame of
named features on the panel's calendar. Only causal operations are allowed in
``build`` (rolling windows, lags), so a feature at day ``t`` depends only on
what the panel knew by ``t``.
"""

from __future__ import annotations

import difflib
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from regime.data.panel import PointInTimePanel
from regime.exceptions import ConfigError

CORE_PILLARS: tuple[str, ...] = (
    "flows",
    "valuations",
    "positioning",
    "rate_expectations",
    "earnings_revisions",
)

BUILDERS: dict[str, type[FeatureBuilder]] = {}


class FeatureBuilder(BaseModel):
    """Base class of feature builders: parameters are the model's fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ClassVar[str]
    pillar: ClassVar[str]
    input_fields: ClassVar[tuple[str, ...]]

    def input_series(self) -> list[str]:
        """The series ids this builder reads from the panel."""
        return [getattr(self, field) for field in self.input_fields]

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:  # pragma: no cover - abstract
        """Return features on ``panel.calendar``, columns named without the pillar."""
        raise NotImplementedError

    def compute(self, panel: PointInTimePanel, pillar: str | None = None) -> pd.DataFrame:
        """Build and name the features ``PILLAR.FEATURE``; infinities become NaN."""
        frame = self.build(panel)
        frame = frame.replace([np.inf, -np.inf], np.nan).astype("float64")
        frame.columns = [f"{pillar or self.pillar}.{column}" for column in frame.columns]
        return frame


def register(cls: type[FeatureBuilder]) -> type[FeatureBuilder]:
    """Class decorator adding a builder to the registry under ``cls.name``."""
    if cls.name in BUILDERS:
        raise ValueError(f"builder {cls.name!r} registered twice")
    BUILDERS[cls.name] = cls
    return cls


def get_builder(name: str) -> type[FeatureBuilder]:
    """Look a builder up by name; unknown names raise ConfigError with the closest one."""
    try:
        return BUILDERS[name]
    except KeyError:
        close = difflib.get_close_matches(name, BUILDERS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {sorted(BUILDERS)}"
        raise ConfigError(f"unknown feature builder {name!r}{hint}") from None


def trailing_zscore(values: pd.Series, window: int, min_periods: int) -> pd.Series:
    """Z-score of each value against its own trailing window (causal)."""
    rolling = values.rolling(window, min_periods=min_periods)
    return (values - rolling.mean()) / rolling.std()
