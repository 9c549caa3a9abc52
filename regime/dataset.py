"""From a config to the point-in-time panel, the feature frame and the labels."""

from __future__ import annotations

import hashlib
from collections.abc import Container, Iterable
from dataclasses import dataclass

import pandas as pd

from features import CORE_PILLARS, FeatureBuilder, declared_signs, get_builder
from regime.config import Config
from regime.data._base import LoadContext
from regime.data.panel import PointInTimePanel
from regime.data.sources import load_sources
from regime.exceptions import ConfigError, DataError


@dataclass(frozen=True)
class FeatureSet:
    """The configured builders, each with its effective pillar."""

    builders: tuple[tuple[FeatureBuilder, str], ...]

    @classmethod
    def from_config(cls, config: Config) -> FeatureSet:
        """Instantiate every builder named in ``config.features``."""
        builders = []
        for spec in config.features:
            builder = get_builder(spec.builder)
            builders.append((builder.model_validate(spec.params), spec.pillar or builder.pillar))
        return cls(tuple(builders))

    @property
    def input_series(self) -> list[str]:
        """Every series id some builder reads, in config order, without repeats."""
        return list(
            dict.fromkeys(s for builder, _ in self.builders for s in builder.input_series())
        )

    @property
    def units(self) -> dict[str, str]:
        """Units that builders set from their parameters, by feature column (``pillar.name``)."""
        return {
            f"{pillar}.{name}": text
            for builder, pillar in self.builders
            for name, text in builder.units().items()
        }

    @property
    def superseded(self) -> dict[str, str]:
        """Every builder's ``{predecessor: successor}`` series (see ``superseded``)."""
        pairs: dict[str, str] = {}
        for builder, _ in self.builders:
            pairs.update(builder.superseded())
        return pairs

    def current(self, series: Iterable[str], with_data: Container[str]) -> list[str]:
        """``series`` without the spliced series that are idle, given the series ``with_data``.

        Idle: a predecessor once its successor has data, and a successor that
        has none yet while its predecessor has.
        """
        idle = set()
        for old, new in self.superseded.items():
            if new in with_data:
                idle.add(old)
            elif old in with_data:
                idle.add(new)
        return [s for s in series if s not in idle]

    def check_inputs(self, available: list[str]) -> None:
        """Raise ConfigError naming the first builder input that no source provides."""
        for index, (builder, _) in enumerate(self.builders):
            for series in builder.input_series():
                if series not in available:
                    raise ConfigError(
                        f"features[{index}] ({builder.name}): input series {series!r} is not "
                        f"provided by any data source; available: {', '.join(sorted(available))}"
                    )

    def compute(self, panel: PointInTimePanel) -> tuple[pd.DataFrame, dict[str, str]]:
        """Feature frame on the panel calendar and the pillar of each feature column."""
        frames, pillar_of = [], {}
        for builder, pillar in self.builders:
            frame = builder.compute(panel, pillar)
            for column in frame.columns:
                if column in pillar_of:
                    raise ConfigError(
                        f"feature {column!r} is built twice; give one of the builders "
                        "different params or a different pillar"
                    )
                pillar_of[column] = pillar
            frames.append(frame)
        return pd.concat(frames, axis=1), pillar_of

    @property
    def signs(self) -> dict[str, int]:
        """Declared sign (+1, -1 or 0) of every feature column ``PILLAR.FEATURE``."""
        return declared_signs(self.builders)

    @property
    def pillars(self) -> list[str]:
        """The five core pillars, then any extra pillar in config order."""
        extra = [p for _, p in self.builders if p not in CORE_PILLARS]
        return [*CORE_PILLARS, *dict.fromkeys(extra)]


@dataclass
class Dataset:
    """Observations, their point-in-time panel and the features built from it."""

    config: Config
    observations: pd.DataFrame
    panel: PointInTimePanel
    feature_set: FeatureSet
    features: pd.DataFrame
    pillar_of: dict[str, str]

    @property
    def used_series(self) -> list[str]:
        """The target legs, then every builder input."""
        return required_series(self.config, self.feature_set)

    @property
    def max_age(self) -> dict[str, int]:
        """Maximum age in days of every series the config uses (configured or inferred)."""
        return self.panel.max_ages(self.used_series)


def required_series(config: Config, feature_set: FeatureSet | None = None) -> list[str]:
    """The series a config needs: the target legs, then every builder input, once each."""
    inputs = (feature_set or FeatureSet.from_config(config)).input_series
    return list(dict.fromkeys([config.target.small, config.target.large, *inputs]))


def series_fingerprints(observations: pd.DataFrame, series: list[str]) -> dict[str, str]:
    """SHA-256 of each series' rows, canonical (sorted, exact float repr)."""
    out = {}
    for name in series:
        rows = observations.loc[observations["series"] == name].sort_values(["date", "known_at"])
        digest = hashlib.sha256()
        for column in ("date", "known_at"):
            digest.update(rows[column].to_numpy(dtype="datetime64[ns]").view("int64").tobytes())
        digest.update(rows["value"].to_numpy(dtype="float64").tobytes())
        out[name] = digest.hexdigest()
    return out


def load_dataset(
    config: Config,
    context: LoadContext,
    end: pd.Timestamp | None = None,
    observations: pd.DataFrame | None = None,
    max_age: dict[str, int] | None = None,
) -> Dataset:
    """Load the sources, check the builders' inputs, and build the features.

    ``end`` is the knowledge cutoff (rows known after it are ignored); default
    ``training.as_of``, else the last day any needed series became known (and
    not after ``context.today``). ``max_age`` fixes series' maximum ages (a
    trained model passes its own); otherwise they come from the sources'
    ``max_age_days`` or are inferred by the panel.
    """
    configured: dict[str, int] = {}
    if observations is None:
        observations, configured = load_sources(list(config.data.sources), context)
    feature_set = FeatureSet.from_config(config)
    available = sorted(observations["series"].unique())
    feature_set.check_inputs(available)
    for role in ("small", "large"):
        series = getattr(config.target, role)
        if series not in available:
            raise ConfigError(
                f"target.{role}: series {series!r} is not provided by any data source; "
                f"available: {', '.join(available)}"
            )
    if end is None:
        end = default_cutoff(observations, config, context.today)
        first_known = observations["known_at"].min()
        if config.training.as_of is not None and pd.notna(first_known) and end < first_known:
            raise DataError(
                f"training.as_of (or --as-of) {end:%Y-%m-%d} is before the first observation "
                f"is known ({first_known:%Y-%m-%d}); pick a later cutoff"
            )
    panel = PointInTimePanel(observations, end=end, max_age={**configured, **(max_age or {})})
    features, pillar_of = feature_set.compute(panel)
    return Dataset(config, observations, panel, feature_set, features, pillar_of)


def default_cutoff(observations: pd.DataFrame, config: Config, today: pd.Timestamp) -> pd.Timestamp:
    """``training.as_of`` if set, else the last day any series the config needs became known.

    Never after ``today``.
    """
    if config.training.as_of is not None:
        return pd.Timestamp(config.training.as_of)
    needed = observations.loc[observations["series"].isin(required_series(config))]
    return min(pd.Timestamp(needed["known_at"].max()), pd.Timestamp(today))
