"""The feature-builder contract and the closed registry of builders.

A builder is a small pydantic model: its fields are its parameters (input
series ids among them), ``pillar`` is declared on the class, and
:meth:`FeatureBuilder.compute` turns the point-in-time panel into a frame of
named features on the panel's calendar. Only causal operations are allowed in
``build`` (rolling windows, lags), so a feature at day ``t`` depends only on
what the panel knew by ``t``.

Declared signs. Every builder names the features it builds
(:meth:`FeatureBuilder.feature_names`, without the pillar prefix) and declares,
in :meth:`FeatureBuilder.signs`, the expected sign of each feature's effect on
the probability that small caps outperform: ``+1`` (higher value, higher
probability), ``-1`` (higher value, lower probability) or ``0`` (no prior).
The default is ``0`` for every feature. The rule the builders follow:

* valuations: higher always means "small caps dearer", so every valuation
  feature is ``-1`` (cheap small caps are a tailwind);
* rate expectations: cuts priced and cuts delivered ``+1``;
* positioning: crowded speculative longs ``-1`` (contrarian);
* earnings revisions: small-minus-large breadth and its change ``+1``;
  the mega-cap profit premium (top 10 minus the rest of the large-cap index)
  ``-1``;
* flows: the multi-day trend and ``vs_ytd_pace`` ``+1``; the one-day flow and
  the event share ``0``;
* momentum: ``+1`` for windows shorter than 756 trading days (6-12 month
  trend), ``-1`` for windows of three years or more (long-horizon reversal);
* macro builders: ``0`` unless their ``sign`` parameter says otherwise.

A caller gets the sign of a feature column ``PILLAR.FEATURE`` with
``builder.sign_of("PILLAR.FEATURE")`` (the pillar prefix is optional and may be
an override), or every column of a list of ``(builder, pillar)`` pairs at once
with :func:`declared_signs`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import ClassVar, Literal

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

#: The allowed declared signs: +1 tailwind, -1 headwind, 0 no prior.
Sign = Literal[-1, 0, 1]

BUILDERS: dict[str, type[FeatureBuilder]] = {}


class FeatureBuilder(BaseModel):
    """Base class of feature builders: parameters are the model's fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ClassVar[str]
    pillar: ClassVar[str]
    input_fields: ClassVar[tuple[str, ...]]

    def input_series(self) -> list[str]:
        """The series ids this builder reads from the panel (fields set to None are skipped)."""
        values = (getattr(self, field) for field in self.input_fields)
        return [value for value in values if value is not None]

    def feature_names(self) -> list[str]:  # pragma: no cover - abstract
        """Names of the columns :meth:`build` returns, without the pillar prefix."""
        raise NotImplementedError

    def signs(self) -> dict[str, int]:
        """Expected sign (+1, -1 or 0) of each feature's effect on the probability.

        Keys are :meth:`feature_names` (no pillar prefix). Default: 0 (no prior)
        for every feature; builders override it (see the module docstring).
        """
        return dict.fromkeys(self.feature_names(), 0)

    def units(self) -> dict[str, str]:
        """Units of features whose units depend on the parameters (name without pillar).

        Default: none; the units then come from the feature's name.
        """
        return {}

    def superseded(self) -> dict[str, str]:
        """Series read only until another takes over, as ``{predecessor: successor}``.

        E.g. the single FOMC target DFEDTAR, which ended when the range's upper
        bound DFEDTARU began. Once the successor has data, the predecessor's end
        is no staleness; before it starts, the successor's absence is none
        either. Default: none.
        """
        return {}

    def sign_of(self, feature: str) -> int:
        """Declared sign of one feature, named ``FEATURE`` or ``PILLAR.FEATURE``."""
        signs = self.signs()
        if feature in signs:
            return signs[feature]
        _, _, bare = feature.partition(".")
        if bare in signs:
            return signs[bare]
        raise KeyError(f"{self.name} builds no feature {feature!r} (builds: {sorted(signs)})")

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


def declared_signs(builders: Iterable[tuple[FeatureBuilder, str | None]]) -> dict[str, int]:
    """Declared sign of every column ``PILLAR.FEATURE`` of ``(builder, pillar)`` pairs.

    ``pillar`` None means the builder's own (as in :meth:`FeatureBuilder.compute`);
    pass ``FeatureSet.builders`` directly.
    """
    out: dict[str, int] = {}
    for builder, pillar in builders:
        for feature, value in builder.signs().items():
            out[f"{pillar or builder.pillar}.{feature}"] = value
    return out


def trailing_zscore(values: pd.Series, window: int, min_periods: int) -> pd.Series:
    """Z-score of each value against its own trailing window (causal)."""
    rolling = values.rolling(window, min_periods=min_periods)
    return (values - rolling.mean()) / rolling.std()
