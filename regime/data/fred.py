"""The ``kind: fred`` source: FRED latest values or ALFRED vintages over FRED's HTTP API.

Two modes, chosen by :attr:`FredSource.vintages`:

* ``vintages: true`` (the default) reads every release (ALFRED, output_type 1
  over the whole real-time axis), so ``known_at`` is the day each value entered
  the record, its ``realtime_start`` (clipped up to the observation date for the
  rare series, such as projections, that publish values for future dates).
  :meth:`FredSource.load` returns the four canonical columns;
  :meth:`FredSource.load_raw` and the cache files also keep ``realtime_end``
  (NaT while the value is still current, FRED's ``9999-12-31``).
* ``vintages: false`` reads each series' latest values (``fred/series/observations``
  with FRED's default real-time period, today). Nothing says when a value was
  first published, so ``known_at`` is the observation date plus a per-series
  publication lag in business days (``lag_days``, counted from the observation
  date, which FRED puts at the *start* of the period: set a monthly series' lag
  from the first of the month to its release). There is no default lag: a
  value is only usable once published, and a guessed lag would let the model
  see it weeks early, so every series needs one (config error otherwise).

FRED refuses an observations request whose real-time period spans more than
2,000 vintage dates, so :meth:`FredClient.all_releases` first lists the vintage
dates, splits the real-time axis into consecutive chunks of at most 2,000 of
them, and stitches the answers back together: FRED clips each row's real-time
period to the requested one, so rows cut at a chunk boundary are merged again
(:func:`coalesce_vintages`). Observations and vintage dates are paged
(``limit``/``offset``, at FRED's maximum of 100,000 and 10,000 rows per
request); paging stops with :class:`~regime.exceptions.DataFormatError` when a
page brings no new rows before FRED's ``count`` is reached, and never asks for
more than ``count // limit + 1`` pages.

:class:`FredClient` calls FRED's three endpoints (``fred/series``,
``fred/series/vintagedates``, ``fred/series/observations``) itself, with
urllib, and parses FRED's XML; from ``fredapi`` it takes only the public
``Fred.root_url`` (the default API root), so no fredapi release (and none of
its private methods) can change how it fetches.
Every request goes through :meth:`FredClient._fetch_xml`: a timeout on each
request, a throttle (default two requests a second, FRED's limit being 120 a
minute), bounded retries with exponential backoff on HTTP 429 (honouring
``Retry-After``), 5xx, timeouts and connection errors, and FRED's XML error
bodies turned into this package's exceptions. The API key never appears in a
message, log line, cache file or repr: everything that could carry it goes
through :func:`scrub`.

**The deadline.** A command (one load of a config's sources) has a time budget
for FRED, ``deadline_seconds`` (default 180). Its clock starts at the first
FRED request of the command and is shared by every series of every fred source
of that command: the sources of one command find the same :class:`FredRun`
through :func:`run_for` (keyed by the command's
:class:`~regime.data._base.LoadContext` object), and each gets a
:class:`Deadline` of its own ``deadline_seconds`` on that shared clock, which
its client checks before each attempt, uses to shorten the request timeout, and
checks before each wait. No single wait (``Retry-After`` or backoff) is longer
than ``max_wait_seconds`` (default 60), and a wait that would pass the deadline
is not made. When the budget runs out the load stops with
:class:`FredDeadlineError` (exit 3), naming the series being fetched, the time
spent, the series already fetched and cached, and what to do. Series fetched
by a run the deadline stopped are listed in ``<cache dir>/fred-resume.json``;
the next online run within :data:`RESUME_SECONDS` reuses their cached copies
instead of fetching them again (and removes the file), so a rerun resumes
where the stopped one ended. Any other run fetches every series.

The key comes from the ``FRED_API_KEY`` environment variable or, when that is
unset or empty, from the first line of ``api_key_file``; it is never a config
field. ``api_root`` (config) or ``REGIME_FRED_API_ROOT`` (environment; the
config wins) overrides :data:`DEFAULT_API_ROOT`.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import math
import os
import re
import threading
import time
import weakref
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, quote, quote_plus, urlencode, urlsplit, urlunsplit
from urllib.request import OpenerDirector, build_opener

import fredapi
import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from regime._io import atomic_write_text
from regime.data._base import LoadContext, SourceBase
from regime.data.cache import ObservationCache
from regime.data.observations import (
    add_business_days,
    concat_observations,
    make_observations,
    validate_observations,
)
from regime.exceptions import (
    CacheError,
    ConfigError,
    DataError,
    DataFormatError,
    DownloadError,
    MissingSeriesError,
)

logger = logging.getLogger(__name__)

API_KEY_ENV = "FRED_API_KEY"
"""Environment variable holding the FRED API key."""

API_ROOT_ENV = "REGIME_FRED_API_ROOT"
"""Environment variable overriding :data:`DEFAULT_API_ROOT` (the config field wins)."""

DEFAULT_API_ROOT: str = fredapi.Fred.root_url
"""FRED's API root, as fredapi publishes it (``https://api.stlouisfed.org/fred``)."""

MISSING_VALUE = "."
"""FRED's marker of a missing observation value."""

DEFAULT_DEADLINE_SECONDS = 180.0
"""Default time budget of one command's FRED requests (``deadline_seconds``)."""

DEFAULT_MAX_WAIT_SECONDS = 60.0
"""Default cap of any single wait before a retry (``max_wait_seconds``)."""

RESUME_FILE = "fred-resume.json"
"""File, in the cache directory, listing the series a run stopped by its deadline fetched."""

RESUME_SECONDS = 3600.0
"""How long after a run stopped by its deadline the next run reuses what it fetched."""

MAX_VINTAGE_DATES = 2000
"""Most vintage dates FRED accepts in the real-time period of one request."""

MAX_OBSERVATIONS_PER_REQUEST = 100_000
"""FRED's maximum ``limit`` for ``fred/series/observations``."""

MAX_VINTAGE_DATES_PER_REQUEST = 10_000
"""FRED's maximum ``limit`` for ``fred/series/vintagedates``."""

EARLIEST_REALTIME = "1776-07-04"
LATEST_REALTIME = "9999-12-31"

KEY_REJECTED = "FRED rejected the API key; set FRED_API_KEY to a valid key"

_DATE_FORMAT = "%Y-%m-%d"
_SERIES_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KEY_PARAM = re.compile(r"(api_key=)[^&\s'\"<>]*", re.IGNORECASE)
_RETRYABLE_STATUS = frozenset({429, *range(500, 600)})
_READ_CHUNK = 1 << 16
_INFO_FIELDS = (
    "title",
    "frequency_short",
    "units",
    "seasonal_adjustment_short",
    "observation_start",
    "observation_end",
    "last_updated",
)


def scrub(text: object, key: str | None) -> str:
    """Return ``str(text)`` with every trace of the API key replaced by ``***``.

    Replaces the key itself, its URL-quoted forms, and the value of any
    ``api_key=`` query parameter (so a URL is safe even if the key is unknown).

    Parameters
    ----------
    text : object
        Message, URL or exception to clean.
    key : str or None
        The API key (None or empty: only ``api_key=`` parameters are masked).

    Returns
    -------
    str
        The cleaned text.
    """
    out = _KEY_PARAM.sub(r"\1***", str(text))
    if key:
        variants = {key, quote_plus(key), quote(key, safe="")}
        for variant in sorted(variants, key=len, reverse=True):
            out = out.replace(variant, "***")
    return out


def _scrub_tree(value: Any, key: str | None) -> Any:
    """Scrub every string inside nested dicts and lists."""
    if isinstance(value, str):
        return scrub(value, key)
    if isinstance(value, dict):
        return {k: _scrub_tree(v, key) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_tree(v, key) for v in value]
    return value


class FredUnavailableError(DownloadError):
    """FRED could not be reached: connection errors, timeouts, or HTTP 429/5xx
    still failing after every retry. :class:`FredSource` falls back to the
    cache on this error (and only on this one)."""


class FredDeadlineError(DownloadError):
    """The command's FRED time budget (``deadline_seconds``) ran out.

    Not a :class:`FredUnavailableError`: the load stops (exit 3) instead of
    falling back to the cache.

    Parameters
    ----------
    message : str
        The one-line message.
    series_id : str or None
        The series being fetched when the budget ran out.
    spent : float
        Seconds spent since the run's first FRED request.
    """

    def __init__(self, message: str, series_id: str | None = None, spent: float = 0.0) -> None:
        super().__init__(message)
        self.series_id = series_id
        self.spent = spent


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date).

    Returns None when the header is absent or unparseable; never negative.
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


class RateLimiter:
    """Spaces calls at least ``1 / rate`` seconds apart.

    Parameters
    ----------
    rate : float
        Most calls per second.
    clock : callable, optional
        Monotonic clock in seconds (default :func:`time.monotonic`).
    sleep : callable, optional
        Sleeps for the given seconds (default :func:`time.sleep`).
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        self.interval = 1.0 / rate
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._next: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next call is allowed; return the seconds slept."""
        with self._lock:
            now = self._clock()
            delay = 0.0
            if self._next is not None and now < self._next:
                delay = self._next - now
                self._sleep(delay)
                now = max(self._clock(), self._next)
            self._next = now + self.interval
            return delay


class FredRun:
    """The FRED requests of one command: a clock started by the first request,
    and the series obtained so far.

    Every fred source loaded in one command shares one run (see
    :func:`run_for`); each measures its own ``deadline_seconds`` on the run's
    clock through a :class:`Deadline`.

    Parameters
    ----------
    clock : callable, optional
        Monotonic clock in seconds (default :func:`time.monotonic`).

    Attributes
    ----------
    started : float or None
        Clock reading at the run's first request (None before it).
    obtained : dict of (str, str) to pandas.Timestamp or None
        ``(source_key, series_id)`` of every series fetched (or reused from
        the cache of a stopped run) in this run, in order, with the fetch time
        of its cached copy (None when there is no cache).
    resumable : dict of (str, str) to pandas.Timestamp, or None
        The series a stopped run left for this one to reuse, with the fetch
        time of their cached copies; None until :meth:`take_resume` is called.
    sources : set of int
        Identities of the sources loaded in this run (see :func:`run_for`).
    """

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.clock = clock or time.monotonic
        self.started: float | None = None
        self.obtained: dict[tuple[str, str], pd.Timestamp | None] = {}
        self.resumable: dict[tuple[str, str], pd.Timestamp] | None = None
        self.sources: set[int] = set()

    def start(self) -> None:
        """Start the clock (only the first call counts)."""
        if self.started is None:
            self.started = self.clock()

    def elapsed(self) -> float:
        """Seconds since the first request (0 before it)."""
        if self.started is None:
            return 0.0
        return max(0.0, self.clock() - self.started)

    def deadline(self, seconds: float) -> Deadline:
        """A :class:`Deadline` of ``seconds`` on this run's clock."""
        return Deadline(seconds, run=self)

    def take_resume(self, cache_root: Path) -> None:
        """Read and remove the resume file of ``cache_root`` (once per run).

        See :func:`take_resume_file`.
        """
        if self.resumable is None:
            self.resumable = take_resume_file(cache_root)

    def write_resume(self, cache_root: Path) -> None:
        """List this run's obtained, cached series in the resume file of ``cache_root``."""
        write_resume_file(cache_root, {k: v for k, v in self.obtained.items() if v is not None})


class Deadline:
    """A FRED time budget: ``seconds`` counted from the first request of its run.

    Parameters
    ----------
    seconds : float
        The budget (``deadline_seconds``).
    run : FredRun, optional
        The run whose clock counts; default a new run of its own.
    clock : callable, optional
        Clock of that new run (ignored when ``run`` is given).
    """

    def __init__(
        self,
        seconds: float = DEFAULT_DEADLINE_SECONDS,
        *,
        run: FredRun | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not seconds > 0:
            raise ValueError(f"deadline seconds must be positive, got {seconds!r}")
        self.seconds = float(seconds)
        self.run = run if run is not None else FredRun(clock)

    def __repr__(self) -> str:
        return f"Deadline(seconds={self.seconds:g}, spent={self.run.elapsed():.3f})"

    def start(self) -> None:
        """Start the run's clock, if it has not started yet."""
        self.run.start()

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return self.seconds - self.run.elapsed()

    def error(self, series_id: str | None, endpoint: str, detail: str = "") -> FredDeadlineError:
        """The error saying the budget ran out while fetching ``series_id``.

        Parameters
        ----------
        series_id : str or None
            The series being fetched.
        endpoint : str
            The FRED endpoint being called, e.g. ``series/observations``.
        detail : str
            Appended to the message (e.g. why the next wait cannot be made).
        """
        spent = self.run.elapsed()
        name = series_id or "FRED"
        return FredDeadlineError(
            f"FRED time budget of {self.seconds:g} s (deadline_seconds) ran out while fetching "
            f"{name} ({endpoint}) after {spent:.1f} s{detail}",
            series_id=series_id,
            spent=spent,
        )


_RUNS: dict[int, FredRun] = {}
_RUNS_LOCK = threading.Lock()


def run_for(context: LoadContext, source: object | None = None) -> FredRun:
    """The :class:`FredRun` of the command that ``context`` belongs to.

    A command loads all its sources with one :class:`LoadContext` object, so
    runs are kept per context object (by identity, forgotten when it is
    garbage-collected). A source loaded a second time with the same context
    starts a new run: that is a new command (e.g. a notebook reusing a
    context), which gets a fresh budget.

    Parameters
    ----------
    context : LoadContext
        The command's load context.
    source : object, optional
        The source about to be loaded; None only looks the run up.

    Returns
    -------
    FredRun
    """
    key = id(context)
    with _RUNS_LOCK:
        run = _RUNS.get(key)
        if run is None:
            weakref.finalize(context, _forget_run, key)
        if run is None or id(source) in run.sources:
            run = _RUNS[key] = FredRun()
        if source is not None:
            run.sources.add(id(source))
        return run


def _forget_run(key: int) -> None:
    """Drop the run of a garbage-collected context."""
    with _RUNS_LOCK:
        _RUNS.pop(key, None)


def _resume_path(cache_root: Path) -> Path:
    return Path(cache_root) / RESUME_FILE


def take_resume_file(
    cache_root: Path, now: pd.Timestamp | None = None
) -> dict[tuple[str, str], pd.Timestamp]:
    """Read and remove ``<cache_root>/fred-resume.json``; its entries if recent.

    The file lists the series a run stopped by its deadline had fetched and
    cached, with their fetch times. It is consumed by the next online run: its
    entries are returned when it was written less than :data:`RESUME_SECONDS`
    before ``now``, and nothing otherwise. An unreadable file is ignored (the
    series are fetched again).

    Parameters
    ----------
    cache_root : pathlib.Path
        The cache directory.
    now : pandas.Timestamp, optional
        The current UTC time (default now).

    Returns
    -------
    dict of (str, str) to pandas.Timestamp
        ``(source_key, series_id)`` to the fetch time of its cached copy.
    """
    path = _resume_path(cache_root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        logger.warning("cannot read the FRED resume file %s (%s)", path, exc.strerror or exc)
        return {}
    try:
        path.unlink()
    except OSError as exc:
        logger.warning("cannot remove the FRED resume file %s (%s)", path, exc.strerror or exc)
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    try:
        raw = json.loads(text)
        age = (now - pd.Timestamp(raw["written_at"])).total_seconds()
        entries = {
            (str(e["source_key"]), str(e["series"])): pd.Timestamp(e["fetched_at"])
            for e in raw["series"]
        }
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        logger.warning("ignoring the FRED resume file %s (%s)", path, exc)
        return {}
    return entries if 0 <= age <= RESUME_SECONDS else {}


def write_resume_file(cache_root: Path, entries: dict[tuple[str, str], pd.Timestamp]) -> None:
    """Write ``<cache_root>/fred-resume.json`` (atomically) listing ``entries``.

    Parameters
    ----------
    cache_root : pathlib.Path
        The cache directory.
    entries : dict of (str, str) to pandas.Timestamp
        ``(source_key, series_id)`` to the fetch time of its cached copy.
    """
    payload = {
        "written_at": pd.Timestamp.now(tz="UTC").isoformat(),
        "series": [
            {"source_key": key, "series": series, "fetched_at": stamp.isoformat()}
            for (key, series), stamp in entries.items()
        ],
    }
    path = _resume_path(cache_root)
    try:
        atomic_write_text(path, json.dumps(payload, indent=1) + "\n")
    except OSError as exc:
        logger.warning("cannot write the FRED resume file %s (%s)", path, exc.strerror or exc)


def vintage_chunks(
    vintage_dates: Iterable[pd.Timestamp | str],
    realtime_start: str = EARLIEST_REALTIME,
    realtime_end: str = LATEST_REALTIME,
    max_dates: int = MAX_VINTAGE_DATES,
) -> list[tuple[str, str]]:
    """Split a real-time period into consecutive chunks of at most ``max_dates`` vintages.

    The chunks tile ``[realtime_start, realtime_end]`` without gaps or overlap:
    chunk *k* starts on its first vintage date (the first chunk on
    ``realtime_start``) and ends the day before the next chunk's first vintage
    date (the last chunk on ``realtime_end``).

    Parameters
    ----------
    vintage_dates : iterable of Timestamp or str
        The series' vintage dates inside the period.
    realtime_start, realtime_end : str
        The period, ``YYYY-MM-DD``.
    max_dates : int
        Most vintage dates per chunk (FRED's limit is 2,000).

    Returns
    -------
    list of (str, str)
        ``(realtime_start, realtime_end)`` of each chunk.
    """
    if max_dates < 1:
        raise ValueError(f"max_dates must be at least 1, got {max_dates}")
    dates = sorted({pd.Timestamp(d).normalize() for d in vintage_dates})
    if len(dates) <= max_dates:
        return [(realtime_start, realtime_end)]
    chunks: list[tuple[str, str]] = []
    for first in range(0, len(dates), max_dates):
        following = first + max_dates
        start = realtime_start if first == 0 else dates[first].strftime(_DATE_FORMAT)
        if following >= len(dates):
            end = realtime_end
        else:
            end = (dates[following] - pd.Timedelta(days=1)).strftime(_DATE_FORMAT)
        chunks.append((start, end))
    return chunks


def coalesce_vintages(frame: pd.DataFrame) -> pd.DataFrame:
    """Merge rows of one value whose real-time periods touch or overlap.

    FRED clips every row's real-time period to the requested one, so a value
    that stayed unchanged across a chunk boundary comes back as two rows; this
    restores the single row FRED would have sent for an unchunked request.
    Exact duplicates are dropped too.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``date``, ``value``, ``realtime_start``, ``realtime_end``
        (NaT = still current).

    Returns
    -------
    pandas.DataFrame
        Sorted by ``date`` and ``realtime_start``, with a fresh index.
    """
    if frame.empty:
        return frame.reset_index(drop=True)
    rows = (
        frame.drop_duplicates()
        .sort_values(["date", "realtime_start"], kind="stable")
        .reset_index(drop=True)
    )
    previous = rows.shift(1)
    touches = previous["realtime_end"] + pd.Timedelta(days=1) >= rows["realtime_start"]
    continued = (rows["date"] == previous["date"]) & (rows["value"] == previous["value"])
    starts = ~(continued & touches)  # NaT / NaN comparisons are False
    ends = starts.shift(-1, fill_value=True).astype(bool)
    out = rows.loc[starts.to_numpy()].reset_index(drop=True)
    out["realtime_end"] = rows.loc[ends.to_numpy(), "realtime_end"].to_numpy()
    return out


def _parse_day(text: str | None, what: str, column: str) -> str:
    """Check a ``YYYY-MM-DD`` attribute is present."""
    if text is None:
        raise DataFormatError(f"FRED response for {what} has an observation without {column!r}")
    return text


def _parse_observations(rows: Sequence[ET.Element], what: str) -> pd.DataFrame:
    """Turn ``<observation>`` elements into a frame.

    Columns ``date``, ``value`` (NaN for FRED's ``.``), ``realtime_start`` and
    ``realtime_end`` (NaT for ``9999-12-31``).
    """
    dates, values, starts, ends = [], [], [], []
    for row in rows:
        dates.append(_parse_day(row.get("date"), what, "date"))
        starts.append(_parse_day(row.get("realtime_start"), what, "realtime_start"))
        end = _parse_day(row.get("realtime_end"), what, "realtime_end")
        ends.append(None if end == LATEST_REALTIME else end)
        raw = row.get("value")
        if raw is None:
            raise DataFormatError(f"FRED response for {what} has an observation without a value")
        if raw.strip() == MISSING_VALUE:
            values.append(math.nan)
            continue
        try:
            values.append(float(raw))
        except ValueError:
            raise DataFormatError(
                f"FRED response for {what} has a non-numeric value {raw[:40]!r}"
            ) from None

    def parse(column: str, texts: list[str | None]) -> pd.DatetimeIndex:
        try:
            parsed = pd.to_datetime(pd.Series(texts, dtype=object), format=_DATE_FORMAT)
        except (ValueError, TypeError, OverflowError) as exc:
            raise DataFormatError(
                f"FRED response for {what} has an unparseable {column}: {exc}"
            ) from None
        return pd.DatetimeIndex(parsed).as_unit("ns")

    return pd.DataFrame(
        {
            "date": parse("date", dates),
            "value": np.asarray(values, dtype="float64"),
            "realtime_start": parse("realtime_start", starts),
            "realtime_end": parse("realtime_end", ends),
        }
    )


def _public_root(url: str) -> str:
    """The API root without credentials, query or fragment (for cache meta)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class FredClient:
    """A client of FRED's HTTP API with timeouts, retries, throttling, a deadline
    and safe errors.

    It calls the three endpoints this package needs itself (:meth:`series_info`,
    :meth:`vintage_dates`, :meth:`observations`, and on top of them
    :meth:`latest` and :meth:`all_releases`), pages through results, keeps
    ``realtime_end``, and parses FRED's XML; it does not use fredapi's request code. It
    uses its own urllib opener, which honours the usual proxy environment
    variables (including ``no_proxy``) without installing a process-wide one.

    Parameters
    ----------
    api_key : str
        FRED API key.
    api_root : str, optional
        Replaces :data:`DEFAULT_API_ROOT`.
    timeout : float
        Seconds before a request (connect or read) times out; shortened to
        what is left of the deadline.
    max_retries : int
        Retries after the first attempt on 429, 5xx, timeouts and connection
        errors.
    backoff_seconds : float
        First retry delay; doubled on each further retry.
    max_wait_seconds : float
        Cap of any single wait before a retry, a server-requested
        ``Retry-After`` included.
    requests_per_second : float
        Throttle: most requests per second.
    max_vintage_dates : int
        Most vintage dates per observations request (FRED: 2,000).
    page_size : int
        ``limit`` of one observations request (FRED: at most 100,000).
    deadline : Deadline, optional
        The time budget; default :data:`DEFAULT_DEADLINE_SECONDS` counted from
        this client's first request. :class:`FredSource` passes one sharing
        the command's :class:`FredRun`.
    clock, sleep : callable, optional
        Injected monotonic clock and sleep (tests); ``clock`` also drives the
        default deadline.
    opener : urllib.request.OpenerDirector, optional
        Injected urllib opener.
    """

    def __init__(
        self,
        api_key: str,
        *,
        api_root: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff_seconds: float = 1.0,
        max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
        requests_per_second: float = 2.0,
        max_vintage_dates: int = MAX_VINTAGE_DATES,
        page_size: int = MAX_OBSERVATIONS_PER_REQUEST,
        deadline: Deadline | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        opener: OpenerDirector | None = None,
    ) -> None:
        key = (api_key or "").strip()
        if not key:
            raise DownloadError(
                f"no FRED API key: set {API_KEY_ENV} or api_key_file in the fred source config"
            )
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries!r}")
        if not max_wait_seconds > 0:
            raise ValueError(f"max_wait_seconds must be positive, got {max_wait_seconds!r}")
        if not 1 <= page_size <= MAX_OBSERVATIONS_PER_REQUEST:
            raise ValueError(f"page_size must be in 1..{MAX_OBSERVATIONS_PER_REQUEST}")
        if not 1 <= max_vintage_dates <= MAX_VINTAGE_DATES:
            raise ValueError(f"max_vintage_dates must be in 1..{MAX_VINTAGE_DATES}")
        self.api_key = key
        self.root_url = (api_root or DEFAULT_API_ROOT).rstrip("/")
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff_seconds = float(backoff_seconds)
        self.max_wait_seconds = float(max_wait_seconds)
        self.max_vintage_dates = int(max_vintage_dates)
        self.page_size = int(page_size)
        self.deadline = deadline if deadline is not None else Deadline(clock=clock)
        self._sleep = sleep or time.sleep
        self._throttle = RateLimiter(requests_per_second, clock=clock, sleep=self._sleep)
        self._opener = opener or build_opener()

    def __repr__(self) -> str:
        return (
            f"FredClient(root_url={self.scrub(_public_root(self.root_url))!r}, "
            f"timeout={self.timeout}, "
            f"max_retries={self.max_retries}, api_key='***')"
        )

    def scrub(self, text: object) -> str:
        """:func:`scrub` with this client's key."""
        return scrub(text, self.api_key)

    # -- the HTTP path -----------------------------------------------------

    def _describe(self, url: str) -> tuple[str, str | None]:
        """Endpoint and series id of a request URL, for messages."""
        parts = urlsplit(url)
        root_path = urlsplit(self.root_url).path.rstrip("/")
        path = parts.path
        endpoint = path[len(root_path) :] if path.startswith(root_path) else path
        series_id = parse_qs(parts.query).get("series_id", [None])[0]
        return endpoint.strip("/") or "/", series_id

    def _backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt + 1``."""
        return self.backoff_seconds * (2.0**attempt)

    def _http_get(self, url: str, timeout: float) -> bytes:
        """One GET of ``url`` with the key appended; urllib's exceptions propagate.

        The keyed URL exists only in this frame, so the exceptions raised by
        :meth:`_fetch_xml` (raised outside any ``except`` block: no chained
        context) hold no reference to it.
        """
        separator = "&" if "?" in url else "?"
        keyed = f"{url}{separator}api_key={quote_plus(self.api_key)}"
        with self._opener.open(keyed, timeout=timeout) as response:
            return self._read(response)

    def _read(self, response: Any) -> bytes:
        """A response's body, read in chunks so a slow body cannot outlast the deadline.

        Raises
        ------
        TimeoutError
            If the deadline passes while reading (retried like any timeout,
            which then stops on the deadline).
        """
        read = getattr(response, "read1", response.read)  # read1: what has arrived, no more
        chunks = []
        while chunk := read(_READ_CHUNK):
            chunks.append(chunk)
            if self.deadline.remaining() <= 0:
                raise TimeoutError("the deadline passed while reading the response")
        return b"".join(chunks)

    def _check_deadline(self, endpoint: str, series_id: str | None, problem: str) -> float:
        """Seconds left before the deadline.

        Raises
        ------
        FredDeadlineError
            If the deadline has passed (``problem``: the last attempt's, if any).
        """
        left = self.deadline.remaining()
        if left <= 0:
            detail = f" (last attempt: {problem})" if problem else ""
            raise self.deadline.error(series_id, endpoint, detail)
        return left

    def _retry_delay(
        self,
        attempt: int,
        requested: float | None,
        endpoint: str,
        series_id: str | None,
        problem: str,
    ) -> float:
        """Seconds to wait before the next attempt, at most ``max_wait_seconds``.

        Raises
        ------
        FredDeadlineError
            If that wait would end at or past the deadline (it is not made).
        """
        wanted = self._backoff(attempt) if requested is None else requested
        delay = min(wanted, self.max_wait_seconds)
        left = self.deadline.remaining()
        if delay >= left:
            raise self.deadline.error(
                series_id,
                endpoint,
                f"; the retry after {problem} would wait {delay:g} s, with {max(left, 0):.1f} s "
                "left",
            )
        return delay

    def _attempt(
        self, url: str, timeout: float, what: str, series_id: str | None
    ) -> tuple[bytes | None, str, float | None, DataError | None]:
        """One GET of ``url``.

        Returns
        -------
        tuple
            ``(body, "", None, None)`` on success; otherwise ``None``, the
            problem (for messages), the delay the server asked for
            (``Retry-After``, or None) and the error to raise at once (a
            refusal, or None when the attempt may be retried).
        """
        try:
            return self._http_get(url, timeout), "", None, None
        except HTTPError as exc:
            status = exc.code
            try:
                error_body = exc.read()
            except (OSError, http.client.HTTPException):
                error_body = b""
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
            exc.close()
            if status not in _RETRYABLE_STATUS:
                return (
                    None,
                    f"HTTP {status}",
                    None,
                    self._refusal(status, error_body, what, series_id),
                )
            requested = parse_retry_after(retry_after)
            problem = f"HTTP {status}"
            if requested is not None:
                problem += f", Retry-After {(retry_after or '').strip()}"
            return None, problem, requested, None
        except ValueError as exc:  # urllib rejects a malformed URL; its text holds the URL
            failure = DownloadError(
                f"cannot request FRED {what}: {self.scrub(exc)} (check api_root / {API_ROOT_ENV})"
            )
            return None, "bad URL", None, failure
        except (OSError, http.client.HTTPException) as exc:
            reason = exc.reason if isinstance(exc, URLError) else exc
            return None, self.scrub(f"{type(reason).__name__}: {reason}"), None, None

    def _fetch_xml(self, url: str) -> ET.Element:
        """GET ``url`` (the key is appended by :meth:`_http_get`), retrying, and parse the XML.

        Starts the deadline's clock on the run's first request, and never
        waits or requests past the deadline.

        Raises
        ------
        DownloadError
            The key was rejected, or FRED refused the request.
        MissingSeriesError
            FRED does not know the series.
        FredUnavailableError
            Connection errors, timeouts, 429 or 5xx after every retry.
        FredDeadlineError
            The deadline passed, or the next wait would pass it.
        DataFormatError
            The response is not XML.
        """
        endpoint, series_id = self._describe(url)
        what = f"{endpoint} of {series_id}" if series_id else endpoint
        safe_url = self.scrub(f"{url}{'&' if '?' in url else '?'}api_key=***")
        self.deadline.start()
        attempt, problem = 0, ""
        while True:
            waited = self._throttle.wait()
            timeout = min(self.timeout, self._check_deadline(endpoint, series_id, problem))
            logger.debug("GET %s (attempt %d, throttled %.3f s)", safe_url, attempt + 1, waited)
            body, problem, requested, failure = self._attempt(url, timeout, what, series_id)
            # Raised here, outside the except blocks, so no urllib exception (whose
            # attributes hold the keyed URL) is chained as __context__.
            if failure is not None:
                raise failure
            if body is not None:
                return self._parse_xml(body, what, series_id)
            self._check_deadline(endpoint, series_id, problem)  # a timeout cut by it: stop
            if attempt >= self.max_retries:
                raise FredUnavailableError(
                    f"FRED request for {what} failed after {attempt + 1} attempt(s): "
                    f"{problem} ({self.scrub(_public_root(self.root_url))})"
                )
            delay = self._retry_delay(attempt, requested, endpoint, series_id, problem)
            logger.warning(
                "FRED request for %s failed (%s); retry %d of %d in %.3g s",
                what,
                problem,
                attempt + 1,
                self.max_retries,
                delay,
            )
            if delay > 0:
                self._sleep(delay)
            attempt += 1

    def _parse_xml(self, body: bytes, what: str, series_id: str | None) -> ET.Element:
        """Parse a 200 response; an ``<error>`` document is treated as a refusal."""
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            raise DataFormatError(
                f"FRED response for {what} is not valid XML ({self.scrub(exc)})"
            ) from None
        if root.tag == "error":
            raise self._refusal(int(root.get("code") or 400), body, what, series_id)
        return root

    def _refusal(self, status: int, body: bytes, what: str, series_id: str | None) -> DataError:
        """Map a non-retryable FRED error response to an exception."""
        message = ""
        try:
            root = ET.fromstring(body) if body else None
            if root is not None:
                message = root.get("message") or ""
        except ET.ParseError:
            message = body[:200].decode("utf-8", "replace")
        message = self.scrub(" ".join(message.split()))
        lowered = message.lower()
        if "api_key" in lowered or "api key" in lowered or status == 401:
            return DownloadError(f"{KEY_REJECTED} (HTTP {status}: {message or 'no message'})")
        if "series does not exist" in lowered:
            return MissingSeriesError(
                f"FRED has no series {series_id!r} (HTTP {status}: {message}); "
                "check the id in the fred source's `series`"
            )
        return DownloadError(
            f"FRED refused the request for {what}: HTTP {status}: {message or 'no message'}"
        )

    def _get(self, endpoint: str, params: dict[str, Any]) -> ET.Element:
        """GET ``<root_url>/<endpoint>?<params>`` through :meth:`_fetch_xml`."""
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return self._fetch_xml(f"{self.root_url}/{endpoint}?{query}")

    def _paged(
        self, endpoint: str, series_id: str, params: dict[str, Any], page_size: int
    ) -> list[ET.Element]:
        """Every row of a paged endpoint (``limit``/``offset``) up to FRED's ``count``.

        Raises
        ------
        DataFormatError
            If a page brings no new rows before ``count`` is reached, or
            ``count // page_size + 1`` pages do not reach it (an answer that
            would otherwise page for ever), or ``count`` is not a number.
        """
        what = f"FRED {endpoint} of {series_id}"
        rows: list[ET.Element] = []
        seen: set[tuple[Any, ...]] = set()
        offset = pages = most_pages = 0
        while True:
            root = self._get(
                endpoint, {"series_id": series_id, **params, "limit": page_size, "offset": offset}
            )
            total = _count(root, what)
            pages += 1
            if pages == 1:
                most_pages = total // page_size + 1
            page = list(root)
            fresh = _new_rows(page, seen)
            rows.extend(fresh)
            offset += len(page)
            if offset >= total:
                return rows
            if not fresh:
                raise DataFormatError(
                    f"{what}: the page at offset {offset} brought no new rows although FRED's "
                    f"count is {total} (an inconsistent answer); try again later, or use "
                    "--offline to read the cache"
                )
            if pages >= most_pages:
                raise DataFormatError(
                    f"{what}: {offset} rows in {pages} page(s) of at most {page_size}, short of "
                    f"FRED's count of {total}, and count/limit allows no more pages (an "
                    "inconsistent answer); try again later, or use --offline to read the cache"
                )

    # -- endpoints ---------------------------------------------------------

    def series_info(self, series_id: str) -> dict[str, str]:
        """Metadata of a series (``fred/series``): title, frequency, units, ...

        Raises
        ------
        MissingSeriesError
            If FRED does not know the series.
        """
        root = self._get("series", {"series_id": series_id})
        found = [child for child in root if child.tag == "series"]
        if not found:
            raise MissingSeriesError(
                f"FRED has no series {series_id!r} (fred/series answered without it); "
                "check the id in the fred source's `series`"
            )
        return {str(k): self.scrub(v) for k, v in found[0].attrib.items()}

    def vintage_dates(
        self,
        series_id: str,
        realtime_start: str = EARLIEST_REALTIME,
        realtime_end: str = LATEST_REALTIME,
        page_size: int = MAX_VINTAGE_DATES_PER_REQUEST,
    ) -> pd.DatetimeIndex:
        """All vintage dates of a series in a real-time period, paging as needed."""
        rows = self._paged(
            "series/vintagedates",
            series_id,
            {"realtime_start": realtime_start, "realtime_end": realtime_end},
            page_size,
        )
        found = [(row.text or "").strip() for row in rows]
        try:
            return pd.DatetimeIndex(pd.to_datetime(found, format=_DATE_FORMAT)).as_unit("ns")
        except (ValueError, TypeError) as exc:
            raise DataFormatError(
                f"FRED vintage dates of {series_id} are unparseable: {exc}"
            ) from None

    def observations(self, series_id: str, **params: Any) -> pd.DataFrame:
        """Every row of ``fred/series/observations`` for ``params``, paging by ``offset``.

        Returns
        -------
        pandas.DataFrame
            ``date``, ``value`` (NaN for ``.``), ``realtime_start``,
            ``realtime_end`` (NaT for ``9999-12-31``), in FRED's order.
        """
        rows = self._paged("series/observations", series_id, params, self.page_size)
        return _parse_observations(rows, f"series/observations of {series_id}")

    def latest(self, series_id: str, observation_start: str | None = None) -> pd.DataFrame:
        """Latest values of a series: ``date``, ``value``; FRED's ``.`` rows dropped."""
        frame = self.observations(series_id, observation_start=observation_start)
        frame = frame.loc[frame["value"].notna(), ["date", "value"]]
        return frame.sort_values("date", kind="stable").reset_index(drop=True)

    def all_releases(
        self,
        series_id: str,
        observation_start: str | None = None,
        realtime_start: str = EARLIEST_REALTIME,
        realtime_end: str = LATEST_REALTIME,
    ) -> pd.DataFrame:
        """Every release of a series (ALFRED), chunked by vintage dates.

        What ALFRED's ``output_type=1`` gives over the whole real-time axis,
        keeping ``realtime_end``, paging, and splitting the real-time period so
        no request spans more than :attr:`max_vintage_dates` vintage dates.

        Returns
        -------
        pandas.DataFrame
            ``date``, ``value``, ``realtime_start``, ``realtime_end`` (NaT while
            current), one row per value and real-time period, sorted by date
            then ``realtime_start``; FRED's ``.`` rows dropped.
        """
        vintages = self.vintage_dates(series_id, realtime_start, realtime_end)
        chunks = vintage_chunks(vintages, realtime_start, realtime_end, self.max_vintage_dates)
        if len(chunks) > 1:
            logger.info(
                "FRED series %s has %d vintage dates; fetching them in %d chunks",
                series_id,
                len(vintages),
                len(chunks),
            )
        parts = [
            self.observations(
                series_id,
                observation_start=observation_start,
                realtime_start=start,
                realtime_end=end,
            )
            for start, end in chunks
        ]
        frame = pd.concat(parts, ignore_index=True)
        frame = frame.loc[frame["value"].notna()]
        return coalesce_vintages(frame)


def _count(root: ET.Element, what: str) -> int:
    """FRED's ``count`` attribute of a paged answer (0 when absent)."""
    text = root.get("count")
    try:
        return int(text) if text else 0
    except ValueError:
        raise DataFormatError(f"{what}: FRED's count {text[:40]!r} is not a number") from None


def _new_rows(page: list[ET.Element], seen: set[tuple[Any, ...]]) -> list[ET.Element]:
    """The rows of ``page`` not seen before (adding them to ``seen``)."""
    fresh = []
    for row in page:
        key = (row.tag, tuple(sorted(row.attrib.items())), (row.text or "").strip())
        if key not in seen:
            seen.add(key)
            fresh.append(row)
    return fresh


class FredSource(SourceBase):
    """Config and loader of a ``kind: fred`` source.

    Attributes
    ----------
    series : list of str
        FRED series ids; they stay the series ids of the panel.
    vintages : bool
        True (default): ALFRED releases, ``known_at`` = ``realtime_start``.
        False: latest values, ``known_at`` = date + ``lag_days`` business days.
    lag_days : int, dict of str to int, or None
        Publication lag in business days, counted from the observation date
        (``vintages: false`` only, where it is required for every series). A
        dict maps series ids, and optionally ``default``, to lags. None
        (default): unset, which is an error in latest mode.
    api_key_file : str, optional
        File whose first line is the key, used when ``FRED_API_KEY`` is unset.
    api_root : str, optional
        API root URL; overrides ``REGIME_FRED_API_ROOT`` and :data:`DEFAULT_API_ROOT`.
    start : str, optional
        ``observation_start``, ``YYYY-MM-DD``.
    timeout_seconds, max_retries, requests_per_second, backoff_seconds
        Request timeout, retries after the first attempt, throttle, and the
        first backoff delay (doubling).
    deadline_seconds : float
        Time budget of the command's FRED requests, counted from its first
        one and shared by every fred source of the command (default 180).
    max_wait_seconds : float
        Longest single wait before a retry, a server's ``Retry-After``
        included (default 60).
    """

    kind: Literal["fred"] = "fred"
    series: list[str] = Field(min_length=1)
    vintages: bool = True
    lag_days: int | dict[str, int] | None = None
    api_key_file: str | None = None
    api_root: str | None = None
    start: str | None = None
    timeout_seconds: float = Field(30.0, gt=0)
    max_retries: int = Field(4, ge=0, le=20)
    requests_per_second: float = Field(2.0, gt=0)
    backoff_seconds: float = Field(1.0, ge=0)
    deadline_seconds: float = Field(DEFAULT_DEADLINE_SECONDS, gt=0)
    max_wait_seconds: float = Field(DEFAULT_MAX_WAIT_SECONDS, gt=0)

    @field_validator("series")
    @classmethod
    def _check_series(cls, value: list[str]) -> list[str]:
        bad = [s for s in value if not _SERIES_ID.match(s)]
        if bad:
            raise ValueError(f"not FRED series ids: {bad}")
        duplicated = sorted({s for s in value if value.count(s) > 1})
        if duplicated:
            raise ValueError(f"series listed twice: {duplicated}")
        return value

    @field_validator("start")
    @classmethod
    def _check_start(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return datetime.strptime(value, _DATE_FORMAT).strftime(_DATE_FORMAT)
        except ValueError:
            raise ValueError(f"start must be a YYYY-MM-DD date, got {value!r}") from None

    @field_validator("api_root")
    @classmethod
    def _check_api_root(cls, value: str | None) -> str | None:
        if value is None:
            return None
        _check_root(value)
        return value

    @model_validator(mode="after")
    def _check_lags(self) -> FredSource:
        if self.lag_days is None:
            lags: dict[str, int] = {}
        elif isinstance(self.lag_days, dict):
            lags = self.lag_days
        else:
            lags = {"*": self.lag_days}
        negative = {k: v for k, v in lags.items() if v < 0}
        if negative:
            raise ValueError(f"lag_days must be >= 0, got {negative}")
        if isinstance(self.lag_days, dict):
            unknown = sorted(set(self.lag_days) - set(self.series) - {"default"})
            if unknown:
                raise ValueError(f"lag_days names series not in `series`: {unknown}")
        if self.vintages and self.lag_days is not None:
            raise ValueError(
                "lag_days only applies with vintages: false (vintages, the default, take "
                "known_at from each ALFRED release); remove lag_days, or set vintages: false "
                "to read latest values with this lag"
            )
        if not self.vintages:
            unset = [s for s in self.series if self._lag_or_none(s) is None]
            if unset:
                raise ValueError(_no_lag_message(unset))
        return self

    # -- settings ----------------------------------------------------------

    def label(self) -> str:
        """``fred`` (``fred (vintages)`` in vintage mode)."""
        return "fred (vintages)" if self.vintages else "fred"

    @property
    def source_key(self) -> str:
        """Cache sub-directory: ``fred-vintages`` or ``fred-latest``."""
        return "fred-vintages" if self.vintages else "fred-latest"

    def _lag_or_none(self, series_id: str) -> int | None:
        """The configured lag of a series (its own, else ``default``), or None."""
        if isinstance(self.lag_days, dict):
            return self.lag_days.get(series_id, self.lag_days.get("default"))
        return self.lag_days

    def lag_for(self, series_id: str) -> int:
        """Publication lag of a series in business days (latest mode).

        Parameters
        ----------
        series_id : str
            A FRED series id of this source.

        Returns
        -------
        int
            Business days from the observation date to ``known_at``.

        Raises
        ------
        ConfigError
            If no lag is configured for the series (there is no default lag).
        """
        lag = self._lag_or_none(series_id)
        if lag is None:
            raise ConfigError(_no_lag_message([series_id]))
        return int(lag)

    def settings_for(self, series_id: str) -> dict[str, Any]:
        """The settings that shape a series' cached rows; a cache entry pulled
        with other settings is not used."""
        return {
            "vintages": self.vintages,
            "observation_start": self.start,
            "lag_days": None if self.vintages else self.lag_for(series_id),
        }

    def resolve_api_root(self) -> str | None:
        """``api_root``, else ``REGIME_FRED_API_ROOT``, else None (:data:`DEFAULT_API_ROOT`)."""
        if self.api_root:
            return self.api_root
        env = os.environ.get(API_ROOT_ENV, "").strip()
        if env:
            try:
                _check_root(env)
            except ValueError as exc:
                raise ConfigError(f"{API_ROOT_ENV}: {exc}") from None
            return env
        return None

    def resolve_api_key(self, context: LoadContext) -> str:
        """The key from ``FRED_API_KEY``, else from ``api_key_file``.

        Raises
        ------
        DownloadError
            If there is no key.
        ConfigError
            If ``api_key_file`` cannot be read.
        """
        key = os.environ.get(API_KEY_ENV, "").strip()
        if key:
            return key
        if self.api_key_file:
            path = context.resolve(self.api_key_file)
            try:
                with open(path, encoding="utf-8") as handle:
                    key = handle.readline().strip()
            except OSError as exc:
                raise ConfigError(
                    f"fred source: cannot read api_key_file {path}: {exc.strerror or exc}"
                ) from None
            if not key:
                raise ConfigError(f"fred source: api_key_file {path} is empty")
            return key
        raise DownloadError(
            f"no FRED API key: set {API_KEY_ENV} or api_key_file in the fred source config "
            "(or load offline from the cache)"
        )

    def make_client(
        self,
        context: LoadContext,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        deadline: Deadline | None = None,
        **overrides: Any,
    ) -> FredClient:
        """Build the :class:`FredClient` this config describes.

        ``deadline`` defaults to ``deadline_seconds`` counted from the
        client's own first request (:meth:`load_raw` passes one on the
        command's shared :class:`FredRun` instead). ``overrides`` are passed on
        to :class:`FredClient` (e.g. ``max_vintage_dates`` or ``page_size``).
        """
        options: dict[str, Any] = {
            "api_root": self.resolve_api_root(),
            "timeout": self.timeout_seconds,
            "max_retries": self.max_retries,
            "backoff_seconds": self.backoff_seconds,
            "max_wait_seconds": self.max_wait_seconds,
            "requests_per_second": self.requests_per_second,
            "deadline": deadline or Deadline(self.deadline_seconds, clock=clock),
            "clock": clock,
            "sleep": sleep,
        }
        options.update(overrides)
        return FredClient(self.resolve_api_key(context), **options)

    # -- loading -----------------------------------------------------------

    def fetch_series(self, client: FredClient, series_id: str) -> tuple[pd.DataFrame, dict]:
        """Download one series; return its raw frame and the cache meta.

        The frame has the canonical columns, plus ``realtime_end`` in vintage
        mode, sorted by date and ``known_at``.
        """
        info = client.series_info(series_id)
        meta: dict[str, Any] = {
            "source": "fred",
            "series_id": series_id,
            "settings": self.settings_for(series_id),
            "api_root": _public_root(client.root_url),
            "info": {k: info[k] for k in _INFO_FIELDS if k in info},
        }
        if self.vintages:
            releases = client.all_releases(series_id, observation_start=self.start)
            known_at = releases["realtime_start"].where(
                releases["realtime_start"] >= releases["date"], releases["date"]
            )
            frame = make_observations(
                series_id, releases["date"], releases["value"].to_numpy(), known_at
            )
            frame["realtime_end"] = pd.DatetimeIndex(releases["realtime_end"]).as_unit("ns")
            meta["realtime"] = [EARLIEST_REALTIME, LATEST_REALTIME]
        else:
            latest = client.latest(series_id, observation_start=self.start)
            lag = self.lag_for(series_id)
            frame = make_observations(
                series_id,
                latest["date"],
                latest["value"].to_numpy(),
                add_business_days(latest["date"], lag),
            )
        frame = frame.sort_values(["date", "known_at"], kind="stable").reset_index(drop=True)
        meta["rows"] = len(frame)
        return frame, _scrub_tree(meta, client.api_key)

    def _cached(self, cache: ObservationCache | None, series_id: str) -> pd.DataFrame:
        """A series from the cache, or DataError saying to pull it."""
        if cache is None:
            raise DataError(
                f"FRED series {series_id!r}: no cache directory to read it from; "
                "set a cache directory and run `regime data pull`"
            )
        entry = cache.read(self.source_key, series_id)
        path = cache.path(self.source_key, series_id)
        if entry is None:
            raise DataError(
                f"FRED series {series_id!r} is not in the cache ({path}); "
                "run `regime data pull` while online"
            )
        frame, header = entry
        stored = header.get("meta", {}).get("settings")
        wanted = self.settings_for(series_id)
        if stored != wanted:
            raise DataError(
                f"cached FRED series {series_id!r} ({path}) was pulled with settings {stored}, "
                f"the config asks for {wanted}; run `regime data pull`"
            )
        expected = ["series", "date", "value", "known_at"]
        if self.vintages:
            expected.append("realtime_end")
        if list(frame.columns) != expected:
            raise CacheError(
                f"cache file {path} has columns {list(frame.columns)}, expected {expected}; "
                "delete it and run `regime data pull`"
            )
        return frame

    def load_raw(self, context: LoadContext, *, client: FredClient | None = None) -> pd.DataFrame:
        """Observations with ``realtime_end`` kept (vintage mode).

        Online: fetch each series, write it to the cache (if
        ``context.cache_dir``), and fall back to the cache with a warning when
        FRED is unreachable (:class:`FredUnavailableError`; a rejected key or
        an unknown series is raised, never hidden). Offline: read the cache only.

        Online loads share the command's :class:`FredRun` (:func:`run_for`)
        and stop with :class:`FredDeadlineError` when ``deadline_seconds``
        runs out; the series this run had fetched are then listed for the next
        run to reuse (see the module docstring), and a series a stopped run
        listed is read from the cache instead of fetched.

        Parameters
        ----------
        context : LoadContext
            Cache directory and offline flag.
        client : FredClient, optional
            Client to use instead of :meth:`make_client` (tests); its
            deadline's run is the run.

        Returns
        -------
        pandas.DataFrame
            The canonical columns (plus ``realtime_end`` in vintage mode),
            sorted by series, date and known_at.

        Raises
        ------
        FredDeadlineError
            The command's FRED time budget ran out.
        """
        cache = ObservationCache(context.cache_dir) if context.cache_dir is not None else None
        if context.offline:
            frames = []
            for series_id in self.series:
                frames.append(self._cached(cache, series_id))
                logger.debug("FRED series %s read from the cache (offline)", series_id)
            return self._finish(frames)

        run = client.deadline.run if client is not None else run_for(context, self)
        client = client or self.make_client(context, deadline=run.deadline(self.deadline_seconds))
        if cache is not None:
            run.take_resume(cache.root)
        try:
            frames = self._load_online(client, cache, run)
        except FredDeadlineError as exc:
            stopped = exc
        else:
            return self._finish(frames)
        raise self._stopped(stopped, cache, run)

    def _load_online(
        self, client: FredClient, cache: ObservationCache | None, run: FredRun
    ) -> list[pd.DataFrame]:
        """Each series: reused from a stopped run, fetched and cached, or (outage) cached."""
        frames: list[pd.DataFrame] = []
        outage: FredUnavailableError | None = None
        for series_id in self.series:
            reused = self._resumed(cache, run, series_id)
            if reused is not None:
                frames.append(reused)
                continue
            if outage is None:
                try:
                    frame, meta = self.fetch_series(client, series_id)
                except FredUnavailableError as exc:
                    outage = exc
                else:
                    frames.append(self._keep(cache, run, series_id, frame, meta))
                    continue
            frames.append(self._fallback(cache, series_id, outage))
        return frames

    def _keep(
        self,
        cache: ObservationCache | None,
        run: FredRun,
        series_id: str,
        frame: pd.DataFrame,
        meta: dict[str, Any],
    ) -> pd.DataFrame:
        """Cache a fetched series and record it in the run; return the frame."""
        stamp = None
        if cache is not None:
            stamp = pd.Timestamp.now(tz="UTC")
            cache.write(self.source_key, series_id, frame, meta, fetched_at=stamp)
        run.obtained[(self.source_key, series_id)] = stamp
        logger.info("FRED series %s: %d rows fetched", series_id, len(frame))
        return frame

    def _resumed(
        self, cache: ObservationCache | None, run: FredRun, series_id: str
    ) -> pd.DataFrame | None:
        """The cached copy a stopped run fetched and listed for reuse, else None.

        Only the very file that run wrote (same fetch time) with this config's
        settings is reused; anything else is fetched again.
        """
        stamp = (run.resumable or {}).get((self.source_key, series_id))
        if cache is None or stamp is None:
            return None
        try:
            fetched = cache.fetched_at(self.source_key, series_id)
            frame = self._cached(cache, series_id) if fetched == stamp else None
        except DataError:
            frame = None
        if frame is None:
            return None
        run.obtained[(self.source_key, series_id)] = stamp
        logger.info(
            "FRED series %s: reusing the copy fetched at %s by the run its deadline stopped",
            series_id,
            stamp.isoformat(),
        )
        return frame

    def _stopped(
        self, exc: FredDeadlineError, cache: ObservationCache | None, run: FredRun
    ) -> FredDeadlineError:
        """The one-line error of a load stopped by the deadline; lists the run's
        cached series in the resume file for the next run."""
        done = [series for _, series in run.obtained]
        left = [s for s in self.series if (self.source_key, s) not in run.obtained]
        rerun = "rerun"
        if cache is not None:
            run.write_resume(cache.root)
            kept = f"fetched and cached this run: {', '.join(done) or 'none'}"
            if done:
                minutes = RESUME_SECONDS / 60
                rerun = f"rerun within {minutes:.0f} minutes (the cached series are reused)"
        else:
            kept = f"fetched this run (no cache directory, not kept): {', '.join(done) or 'none'}"
        return FredDeadlineError(
            f"{exc}; {kept}; not fetched: {', '.join(left)}; raise deadline_seconds in the "
            f"fred source, {rerun}, or use --offline to read the cache only",
            series_id=exc.series_id,
            spent=exc.spent,
        )

    def _fallback(
        self, cache: ObservationCache | None, series_id: str, outage: FredUnavailableError
    ) -> pd.DataFrame:
        """The cached copy of a series after a network failure, with a warning."""
        try:
            frame = self._cached(cache, series_id)
        except CacheError:
            raise
        except DataError as exc:
            raise FredUnavailableError(f"{outage}; and no usable cached copy: {exc}") from None
        assert cache is not None  # _cached raised otherwise
        fetched = cache.fetched_at(self.source_key, series_id)
        age = pd.Timestamp.now(tz="UTC") - fetched if fetched is not None else None
        logger.warning(
            "FRED is unreachable (%s); using the cached copy of %s fetched %s (%s old)",
            outage,
            series_id,
            fetched.isoformat() if fetched is not None else "at an unknown time",
            _format_age(age),
        )
        return frame

    def _finish(self, frames: list[pd.DataFrame]) -> pd.DataFrame:
        """Stack per-series frames in the canonical order."""
        if not frames:
            return concat_observations([])
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values(["series", "date", "known_at"], kind="stable").reset_index(drop=True)

    def load(self, context: LoadContext, *, client: FredClient | None = None) -> pd.DataFrame:
        """Return validated observations (the four canonical columns).

        See :meth:`load_raw` for the online, offline and fallback behaviour.
        """
        return validate_observations(self.load_raw(context, client=client), self.label())


def _no_lag_message(series: list[str]) -> str:
    """One line saying which latest-mode series lack a publication lag and what to do."""
    names = ", ".join(series)
    have = "has" if len(series) == 1 else "have"
    return (
        f"fred series {names} {have} no lag_days (vintages: false reads latest values, which "
        "carry no release date); set lag_days (business days from the observation date, which "
        "FRED puts at the start of the period, to the release) per source or per series, e.g. "
        "{UMCSENT: 25, default: 1}, or use vintages: true"
    )


def _check_root(value: str) -> None:
    """Raise ValueError unless ``value`` is an http(s) URL with a host."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"api_root must be an http(s) URL, got {value!r}")


def _format_age(age: pd.Timedelta | None) -> str:
    """A cache age for humans, e.g. ``3.2 hours``."""
    if age is None or pd.isna(age):
        return "unknown age"
    seconds = max(0.0, age.total_seconds())
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"
