"""`regime data pull` and `regime data check`: refresh and inspect a config's sources."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from regime.calendar import trading_day_on_or_after, trading_days
from regime.config import Config
from regime.data._base import LoadContext
from regime.data.observations import concat_observations, validate_observations
from regime.data.panel import PointInTimePanel
from regime.data.sources import load_sources
from regime.dataset import FeatureSet, required_series
from regime.exceptions import ConfigError, DataError, RegimeError
from regime.progress import progress

NONE = "-"
INFERRED_MARK = "*"


def pull_sources(config: Config, context: LoadContext) -> str:
    """Load every source online (remote ones refresh the cache); one line per source."""
    online = replace(context, offline=False)
    lines = []
    for source in progress(config.data.sources, "pulling sources", unit="source"):
        frame = validate_observations(source.load(online), source.label())
        lines.append(f"{source.label()}: {frame['series'].nunique()} series, {len(frame)} rows")
    if context.cache_dir is not None:
        lines.append(f"cache: {context.cache_dir}")
    return "\n".join(lines)


# -- gaps ----------------------------------------------------------------------


def trading_spacings(dates: pd.DatetimeIndex) -> np.ndarray:
    """Spacings in trading days between consecutive observation dates.

    Each date counts on the NYSE trading day on or before it (a Saturday on
    the Friday, a holiday on the session before it); dates that land on the
    same trading day count once.

    Parameters
    ----------
    dates : pandas.DatetimeIndex
        Sorted, unique observation dates.

    Returns
    -------
    numpy.ndarray
        ``len(positions) - 1`` positive integers (empty for fewer than two).
    """
    if len(dates) < 2:
        return np.array([], dtype="int64")
    sessions = trading_days(dates[0] - pd.Timedelta(days=10), dates[-1])
    positions = sessions.searchsorted(dates, side="right") - 1
    return np.diff(np.unique(positions[positions >= 0]))


def count_gaps(dates: pd.DatetimeIndex) -> int:
    """Number of missing stretches in a series, counted on trading days.

    Spacings are measured in NYSE trading days (:func:`trading_spacings`), so
    weekends, holidays and long weekends are never gaps. When the usual
    (median) spacing is one trading day, the series is daily and a gap is a
    run of one or more trading days with no observation. Otherwise (weekly,
    monthly, ...) a gap is a spacing more than twice the median spacing.

    Parameters
    ----------
    dates : pandas.DatetimeIndex
        Sorted, unique observation dates.

    Returns
    -------
    int
    """
    spacing = trading_spacings(dates)
    if len(spacing) == 0:
        return 0
    usual = float(np.median(spacing))
    limit = 1.0 if usual <= 1 else 2 * usual
    return int((spacing > limit).sum())


# -- staleness -----------------------------------------------------------------


def longest_run(flags: pd.Series) -> tuple[int, pd.Timestamp, pd.Timestamp] | None:
    """Longest run of consecutive True values of a boolean Series.

    Parameters
    ----------
    flags : pandas.Series
        Booleans indexed by day.

    Returns
    -------
    tuple of (int, pandas.Timestamp, pandas.Timestamp) or None
        Length of the run and its first and last day (the earliest run on a
        tie), or None when no value is True.
    """
    values = flags.to_numpy(dtype=bool)
    if not values.any():
        return None
    padded = np.concatenate([[False], values, [False]]).astype("int8")
    edges = np.diff(padded)
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    best = int(np.argmax(stops - starts))
    first, last = int(starts[best]), int(stops[best]) - 1
    return last - first + 1, flags.index[first], flags.index[last]


def format_run(run: tuple[int, pd.Timestamp, pd.Timestamp] | None) -> str:
    """``N days (YYYY-MM-DD..YYYY-MM-DD)``, or ``-`` for no run."""
    if run is None:
        return NONE
    length, first, last = run
    unit = "day" if length == 1 else "days"
    return f"{length} {unit} ({first:%Y-%m-%d}..{last:%Y-%m-%d})"


def staleness(panel: PointInTimePanel, series: str) -> dict[str, object]:
    """Stale share, longest stale stretch and end-day flag of one series.

    Counted on the panel's trading days from the first day ``series`` is
    known (its earliest ``known_at``, or the next trading day) to the panel's end.

    Parameters
    ----------
    panel : PointInTimePanel
        The panel over every source's observations.
    series : str
        A series id with at least one row known by the panel's end.

    Returns
    -------
    dict
        ``stale_share`` (float in [0, 1]), ``longest_stale`` (text) and
        ``stale`` (``yes``/``no``, on the panel's last day).
    """
    first_known = panel.rows(series)["known_at"].min()
    stale = panel.stale(series)
    span = stale.loc[stale.index >= first_known]
    if span.empty:
        return {"stale_share": np.nan, "longest_stale": NONE, "stale": "yes"}
    return {
        "stale_share": float(span.mean()),
        "longest_stale": format_run(longest_run(span)),
        "stale": "yes" if bool(span.iloc[-1]) else "no",
    }


def build_panel(
    observations: pd.DataFrame, max_age: Mapping[str, int], today: pd.Timestamp
) -> PointInTimePanel | None:
    """One panel over all observations, ending today or at the session on or after the last
    known_at if earlier (a value known on a holiday is first usable the next session).

    Returns None when nothing is known by then (no staleness to report).
    """
    if observations.empty:
        return None
    end = min(pd.Timestamp(today), trading_day_on_or_after(observations["known_at"].max()))
    known = observations.loc[observations["known_at"] <= end]
    if known.empty or trading_days(known["date"].min(), end).empty:
        return None
    return PointInTimePanel(observations, end=end, max_age=max_age)


# -- the table -----------------------------------------------------------------


def series_row(
    series: str,
    group: pd.DataFrame,
    origin: str,
    on: pd.Timestamp,
    panel: PointInTimePanel | None,
    configured: Iterable[str],
) -> dict[str, object]:
    """One row of the check table: dates, rows, gaps, age on ``on`` and staleness of one series."""
    dates = pd.DatetimeIndex(group["date"].unique()).sort_values()
    row: dict[str, object] = {
        "series": series,
        "source": origin,
        "first": dates[0].strftime("%Y-%m-%d"),
        "last": dates[-1].strftime("%Y-%m-%d"),
        "last_known_at": group["known_at"].max().strftime("%Y-%m-%d"),
        "rows": len(group),
        "gaps": count_gaps(dates),
        "age_days": int((on - dates[-1]).days),
        "max_age": NONE,
        "stale_share": np.nan,
        "longest_stale": NONE,
        "stale": NONE,
    }
    if panel is not None and series in panel.series_ids:
        mark = "" if series in configured else INFERRED_MARK
        row["max_age"] = f"{panel.max_age_days(series)}{mark}"
        row.update(staleness(panel, series))
    return row


def check_table(
    frames: Sequence[tuple[str, pd.DataFrame]],
    max_age: Mapping[str, int],
    today: pd.Timestamp,
) -> tuple[pd.DataFrame, PointInTimePanel | None]:
    """The per-series check table of already loaded sources.

    Parameters
    ----------
    frames : sequence of (str, pandas.DataFrame)
        Each source's label and observation table, in config order.
    max_age : mapping of str to int
        Configured maximum ages (series without one have theirs inferred).
    today : pandas.Timestamp
        The day of the check.

    Returns
    -------
    table : pandas.DataFrame
        One row per (source, series), ``stale_share`` as a float.
    panel : PointInTimePanel or None
        The panel the staleness columns come from. A series that two sources
        provide is in it from the first one only; the later rows get ``-``.
    """
    owner: dict[str, str] = {}
    for origin, frame in frames:
        for series in frame["series"].unique():
            owner.setdefault(str(series), origin)
    owned = [frame.loc[frame["series"].map(owner) == origin] for origin, frame in frames]
    panel = build_panel(concat_observations(owned), max_age, today)
    on = today if panel is None else panel.calendar[-1]  # the day stale is judged on
    rows = [
        series_row(
            str(series),
            group,
            origin,
            on,
            panel if owner[str(series)] == origin else None,
            max_age,
        )
        for origin, frame in frames
        for series, group in frame.groupby("series", sort=True)
    ]
    return pd.DataFrame(rows), panel


def format_table(table: pd.DataFrame, panel: PointInTimePanel | None, today: pd.Timestamp) -> str:
    """The table as text, with the footnotes that explain its staleness columns."""
    if table.empty:
        return table.to_string(index=False)
    shown = table.assign(
        stale_share=[NONE if pd.isna(v) else f"{v:.1%}" for v in table["stale_share"]]
    )
    lines = [shown.to_string(index=False)]
    if shown["max_age"].str.endswith(INFERRED_MARK).any():
        lines.append(
            f"{INFERRED_MARK} max_age inferred from the release spacing and lag; "
            "set max_age_days on the source to fix it"
        )
    if panel is not None:
        end = panel.calendar[-1]
        note = (
            ""
            if panel.end >= today
            else f" (the first session by which everything was known; today is {today:%Y-%m-%d})"
        )
        lines.append(
            "stale: newest observation older than max_age calendar days; stale_share and "
            "longest_stale count trading days"
        )
        lines.append(
            f"from each series' first known_at to {end:%Y-%m-%d}; age_days and stale are on "
            f"{end:%Y-%m-%d}{note}"
        )
    return "\n".join(lines)


def check_sources(
    config: Config, context: LoadContext
) -> tuple[str, list[str], RegimeError | None]:
    """The per-series table, every problem found in one pass, and the error to exit with.

    Problems: a source that cannot be loaded (missing file, bad format,
    missing key, missing lag...: each source is tried, a failure does not
    stop the others), a series the config needs that no source provides, a
    series that two sources provide. The error is a ConfigError when every
    problem is a config problem, else a DataError; None without problems.
    Every source is loaded once.
    """
    frames: list[tuple[str, pd.DataFrame]] = []
    max_age: dict[str, int] = {}
    failures: list[RegimeError] = []
    for index, source in enumerate(config.data.sources):
        try:
            frame, ages = load_sources([source], context)
        except RegimeError as exc:
            failures.append(type(exc)(f"data.sources[{index}] ({source.label()}): {exc}"))
            continue
        frames.append((source.label(), frame))
        max_age = {**ages, **max_age}
    if frames:
        table, panel = check_table(frames, max_age, context.today)
    else:
        table, panel = pd.DataFrame(columns=["series"]), None
    problems = [str(exc) for exc in failures] + _duplicate_problems(frames)
    present = set(table["series"]) if len(table) else set()
    feature_set = FeatureSet.from_config(config)
    required = required_series(config, feature_set)
    where = "in no source that loaded" if failures else "in no source"
    problems += [
        f"series {s!r} needed by the config is {where}; add a source that provides it"
        + (" or mend the source that failed above" if failures else "")
        for s in required
        if s not in present
    ]
    if len(table):
        until = feature_set.superseded  # a spliced predecessor: needed until its successor
        table["needed"] = [
            (f"until {until[s]}" if s in until else "yes") if s in required else ""
            for s in table["series"]
        ]
    text = format_table(table, panel, context.today) if panel is not None else "no source loaded"
    if not problems:
        return text, problems, None
    only_config = len(failures) == len(problems) and all(
        isinstance(exc, ConfigError) for exc in failures
    )
    error_type = ConfigError if only_config else DataError
    return text, problems, error_type("; ".join(problems))


def _duplicate_problems(frames: Sequence[tuple[str, pd.DataFrame]]) -> list[str]:
    """One problem per series that more than one source provides."""
    origins: dict[str, list[str]] = {}
    for origin, frame in frames:
        for series in frame["series"].unique():
            origins.setdefault(str(series), []).append(origin)
    return [
        f"series {series!r} comes from both {' and '.join(labels)}; rename one in the config"
        for series, labels in origins.items()
        if len(labels) > 1
    ]
