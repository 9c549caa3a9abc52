"""The closed registry of source kinds and the loader of a config's sources."""

from __future__ import annotations

import logging
from typing import Annotated

import pandas as pd
from pydantic import Field

from regime.data._base import LoadContext, SourceBase
from regime.data.cftc import CftcSource
from regime.data.classic import ClassicSource
from regime.data.csv_source import CsvSource
from regime.data.fred import FredSource
from regime.data.french import FrenchSource
from regime.data.observations import concat_observations, validate_observations
from regime.data.sample import SampleSource
from regime.exceptions import DataError

logger = logging.getLogger(__name__)

SOURCE_TYPES: tuple[type[SourceBase], ...] = (
    SampleSource,
    FredSource,
    FrenchSource,
    CftcSource,
    CsvSource,
    ClassicSource,
)

SourceConfig = Annotated[
    SampleSource | FredSource | FrenchSource | CftcSource | CsvSource | ClassicSource,
    Field(discriminator="kind"),
]


def load_sources(
    sources: list[SourceBase], context: LoadContext
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Load every source; return the stacked observations and the configured maximum ages.

    The second item maps each series whose source sets ``max_age_days`` to
    that age (other series have theirs inferred by the panel). Raises
    DataError when two sources provide the same series id.
    """
    frames = []
    owner: dict[str, SourceBase] = {}
    for source in sources:
        frame = validate_observations(source.load(context), source.label())
        for series in frame["series"].unique():
            if series in owner:
                raise DataError(
                    f"series {series!r} comes from both {owner[series].label()} and "
                    f"{source.label()}; rename one in the config"
                )
            owner[series] = source
        logger.debug("loaded %s rows from %s", len(frame), source.label())
        frames.append(frame)
    max_age = {
        series: age
        for series, source in owner.items()
        if (age := source.max_age_for(series)) is not None
    }
    return concat_observations(frames), max_age


def load_observations(sources: list[SourceBase], context: LoadContext) -> pd.DataFrame:
    """Load every source and stack their observations (see :func:`load_sources`)."""
    return load_sources(sources, context)[0]
