"""`regime data pull` and `regime data check`: refresh and inspect a config's sources."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from regime.config import Config
from regime.data._base import LoadContext
from regime.data.observations import validate_observations
from regime.dataset import required_series


def pull_sources(config: Config, context: LoadContext) -> str:
    """Load every source online (remote ones refresh the cache); one line per source."""
    online = replace(context, offline=False)
    lines = []
    for source in config.data.sources:
        frame = validate_observations(source.load(online), source.label())
        lines.append(f"{source.label()}: {frame['series'].nunique()} series, {len(frame)} rows")
    if context.cache_dir is not None:
        lines.append(f"cache: {context.cache_dir}")
    return "\n".join(lines)


def count_gaps(dates: pd.DatetimeIndex) -> int:
    """Spacings more than twice the series' median spacing (missing periods)."""
    if len(dates) < 3:
        return 0
    spacing = np.diff(dates.asi8)
    return int((spacing > 2 * np.median(spacing)).sum())


def series_table(frame: pd.DataFrame, origin: str, today: pd.Timestamp) -> pd.DataFrame:
    """One row per series of one source's observations."""
    rows = []
    for series, group in frame.groupby("series", sort=True):
        dates = pd.DatetimeIndex(group["date"].unique()).sort_values()
        rows.append(
            {
                "series": series,
                "source": origin,
                "first": dates[0].strftime("%Y-%m-%d"),
                "last": dates[-1].strftime("%Y-%m-%d"),
                "last_known_at": group["known_at"].max().strftime("%Y-%m-%d"),
                "rows": len(group),
                "gaps": count_gaps(dates),
                "age_days": int((today - dates[-1]).days),
            }
        )
    return pd.DataFrame(rows)


def check_sources(config: Config, context: LoadContext) -> tuple[str, list[str]]:
    """The per-series table and the list of problems (required series missing)."""
    tables = [
        series_table(
            validate_observations(source.load(context), source.label()),
            source.label(),
            context.today,
        )
        for source in config.data.sources
    ]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    present = set(table["series"]) if len(table) else set()
    required = required_series(config)
    problems = [
        f"series {s!r} needed by the config is in no source; add a source that provides it"
        for s in required
        if s not in present
    ]
    if len(table):
        table["needed"] = table["series"].isin(required).map({True: "yes", False: ""})
    return table.to_string(index=False), problems
