"""The ``kind: fred`` source: FRED latest values or ALFRED vintages via ``fredapi``.

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
(:func:`coalesce_vintages`). Observations are paged (``limit``/``offset``) at
FRED's maximum of 100,000 rows per request. (``fredapi.Fred.max_results_per_request``
only governs fredapi's own search helpers and is left alone.)

Every request goes through :meth:`FredClient._fetch_xml`, which replaces
fredapi's private fetch: a timeout on each request, a throttle (default two
requests a second, FRED's limit being 120 a minute), bounded retries with
exponential backoff on HTTP 429 (honouring ``Retry-After``), 5xx, timeouts and
connection errors, and FRED's XML error bodies turned into this package's
exceptions. The API key never appears in a message, log line, cache file or
repr: everything that could carry it goes through :func:`scrub`.

The key comes from the ``FRED_API_KEY`` environment variable or, when that is
unset or empty, from the first line of ``api_key_file``; it is never a config
field. ``api_root`` (config) or ``REGIME_FRED_API_ROOT`` (environment; the
config wins) overrides fredapi's ``https://api.stlouisfed.org/fred``.
"""

from __future__ import annotations

import email.utils
import http.client
import logging
import math
import os
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, quote, quote_plus, urlencode, urlsplit, urlunsplit
from urllib.request import OpenerDirector, build_opener

import fredapi
import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

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
"""Environment variable overriding fredapi's API root (the config field wins)."""

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
        if raw.strip() == fredapi.Fred.nan_char:
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


class FredClient(fredapi.Fred):
    """``fredapi.Fred`` with timeouts, retries, throttling and safe errors.

    fredapi's own methods (e.g. :meth:`fredapi.Fred.get_series_info`) keep
    working: they all fetch through the private ``__fetch_data``, which this
    class overrides with :meth:`_fetch_xml`. The methods added here
    (:meth:`latest`, :meth:`all_releases`, :meth:`vintage_dates`) use the same
    path but page through results and keep ``realtime_end``, which fredapi
    drops.

    ``fredapi.Fred.__init__`` is deliberately not called: it would look for the
    key itself, and when ``HTTP(S)_PROXY`` is set it installs a process-wide
    urllib opener. This class uses its own opener, which honours the usual
    proxy environment variables (including ``no_proxy``).

    Parameters
    ----------
    api_key : str
        FRED API key.
    api_root : str, optional
        Replaces fredapi's ``root_url`` (``https://api.stlouisfed.org/fred``).
    timeout : float
        Seconds before a request (connect or read) times out.
    max_retries : int
        Retries after the first attempt on 429, 5xx, timeouts and connection
        errors.
    backoff_seconds : float
        First retry delay; doubled on each further retry.
    max_backoff_seconds : float
        Cap of one backoff delay.
    max_retry_after_seconds : float
        Cap of a server-requested ``Retry-After`` delay.
    requests_per_second : float
        Throttle: most requests per second.
    max_vintage_dates : int
        Most vintage dates per observations request (FRED: 2,000).
    page_size : int
        ``limit`` of one observations request (FRED: at most 100,000).
    clock, sleep : callable, optional
        Injected monotonic clock and sleep (tests).
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
        max_backoff_seconds: float = 60.0,
        max_retry_after_seconds: float = 300.0,
        requests_per_second: float = 2.0,
        max_vintage_dates: int = MAX_VINTAGE_DATES,
        page_size: int = MAX_OBSERVATIONS_PER_REQUEST,
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
        if not 1 <= page_size <= MAX_OBSERVATIONS_PER_REQUEST:
            raise ValueError(f"page_size must be in 1..{MAX_OBSERVATIONS_PER_REQUEST}")
        if not 1 <= max_vintage_dates <= MAX_VINTAGE_DATES:
            raise ValueError(f"max_vintage_dates must be in 1..{MAX_VINTAGE_DATES}")
        # The attributes fredapi's methods rely on (see the class docstring).
        self.api_key = key
        self.proxies = None
        if api_root:
            self.root_url = api_root.rstrip("/")
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff_seconds = float(backoff_seconds)
        self.max_backoff_seconds = float(max_backoff_seconds)
        self.max_retry_after_seconds = float(max_retry_after_seconds)
        self.max_vintage_dates = int(max_vintage_dates)
        self.page_size = int(page_size)
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

    def _Fred__fetch_data(self, url: str) -> ET.Element:
        """Override of fredapi's private fetch: every fredapi call lands here."""
        return self._fetch_xml(url)

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
        return min(self.backoff_seconds * (2.0**attempt), self.max_backoff_seconds)

    def _http_get(self, url: str) -> bytes:
        """One GET of ``url`` with the key appended; urllib's exceptions propagate.

        The keyed URL exists only in this frame, so the exceptions raised by
        :meth:`_fetch_xml` (raised outside any ``except`` block: no chained
        context) hold no reference to it.
        """
        separator = "&" if "?" in url else "?"
        keyed = f"{url}{separator}api_key={quote_plus(self.api_key)}"
        with self._opener.open(keyed, timeout=self.timeout) as response:
            return response.read()

    def _fetch_xml(self, url: str) -> ET.Element:
        """GET ``url`` (the key is appended by :meth:`_http_get`), retrying, and parse the XML.

        Raises
        ------
        DownloadError
            The key was rejected, or FRED refused the request.
        MissingSeriesError
            FRED does not know the series.
        FredUnavailableError
            Connection errors, timeouts, 429 or 5xx after every retry.
        DataFormatError
            The response is not XML.
        """
        endpoint, series_id = self._describe(url)
        what = f"{endpoint} of {series_id}" if series_id else endpoint
        safe_url = self.scrub(f"{url}{'&' if '?' in url else '?'}api_key=***")
        attempt = 0
        while True:
            waited = self._throttle.wait()
            logger.debug("GET %s (attempt %d, throttled %.3f s)", safe_url, attempt + 1, waited)
            delay: float | None = None
            failure: DataError | None = None
            try:
                body = self._http_get(url)
            except HTTPError as exc:
                status = exc.code
                try:
                    error_body = exc.read()
                except (OSError, http.client.HTTPException):
                    error_body = b""
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                exc.close()
                problem = f"HTTP {status}"
                if status not in _RETRYABLE_STATUS:
                    failure = self._refusal(status, error_body, what, series_id)
                else:
                    requested = parse_retry_after(retry_after)
                    if requested is not None:
                        delay = min(requested, self.max_retry_after_seconds)
                        problem += f", Retry-After {(retry_after or '').strip()}"
            except ValueError as exc:  # urllib rejects a malformed URL; its text holds the URL
                failure = DownloadError(
                    f"cannot request FRED {what}: {self.scrub(exc)} (check api_root / "
                    f"{API_ROOT_ENV})"
                )
            except (OSError, http.client.HTTPException) as exc:
                reason = exc.reason if isinstance(exc, URLError) else exc
                problem = self.scrub(f"{type(reason).__name__}: {reason}")
            else:
                return self._parse_xml(body, what, series_id)
            # Raised here, outside the except blocks, so no urllib exception (whose
            # attributes hold the keyed URL) is chained as __context__.
            if failure is not None:
                raise failure
            if attempt >= self.max_retries:
                raise FredUnavailableError(
                    f"FRED request for {what} failed after {attempt + 1} attempt(s): "
                    f"{problem} ({self.scrub(_public_root(self.root_url))})"
                )
            if delay is None:
                delay = self._backoff(attempt)
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

    # -- endpoints ---------------------------------------------------------

    def series_info(self, series_id: str) -> dict[str, str]:
        """Metadata of a series (``fred/series``) through fredapi's ``get_series_info``.

        Raises
        ------
        MissingSeriesError
            If FRED does not know the series.
        """
        try:
            info = self.get_series_info(series_id)
        except DataError:
            raise
        except ValueError as exc:  # fredapi: "No info exists for series id"
            raise MissingSeriesError(f"FRED has no series {series_id!r} ({exc})") from None
        return {str(k): self.scrub(v) for k, v in info.to_dict().items()}

    def vintage_dates(
        self,
        series_id: str,
        realtime_start: str = EARLIEST_REALTIME,
        realtime_end: str = LATEST_REALTIME,
        page_size: int = MAX_VINTAGE_DATES_PER_REQUEST,
    ) -> pd.DatetimeIndex:
        """All vintage dates of a series in a real-time period, paging as needed."""
        found: list[str] = []
        offset = 0
        while True:
            root = self._get(
                "series/vintagedates",
                {
                    "series_id": series_id,
                    "realtime_start": realtime_start,
                    "realtime_end": realtime_end,
                    "limit": page_size,
                    "offset": offset,
                },
            )
            page = [(child.text or "").strip() for child in root]
            found.extend(page)
            offset += len(page)
            total = int(root.get("count") or 0)
            if not page or offset >= total:
                break
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
        rows: list[ET.Element] = []
        offset = 0
        while True:
            root = self._get(
                "series/observations",
                {"series_id": series_id, **params, "limit": self.page_size, "offset": offset},
            )
            page = list(root)
            rows.extend(page)
            offset += len(page)
            total = int(root.get("count") or 0)
            if not page or offset >= total:
                break
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

        Like ``fredapi.Fred.get_series_all_releases`` but keeping
        ``realtime_end``, paging, and splitting the real-time period so no
        request spans more than :attr:`max_vintage_dates` vintage dates.

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
        API root URL; overrides ``REGIME_FRED_API_ROOT`` and fredapi's default.
    start : str, optional
        ``observation_start``, ``YYYY-MM-DD``.
    timeout_seconds, max_retries, requests_per_second, backoff_seconds
        Request timeout, retries after the first attempt, throttle, and the
        first backoff delay (doubling).
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
        """``api_root``, else ``REGIME_FRED_API_ROOT``, else None (fredapi's default)."""
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
        **overrides: Any,
    ) -> FredClient:
        """Build the :class:`FredClient` this config describes.

        ``overrides`` are passed on to :class:`FredClient` (e.g.
        ``max_vintage_dates`` or ``page_size``).
        """
        options: dict[str, Any] = {
            "api_root": self.resolve_api_root(),
            "timeout": self.timeout_seconds,
            "max_retries": self.max_retries,
            "backoff_seconds": self.backoff_seconds,
            "requests_per_second": self.requests_per_second,
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
            "fredapi_version": fredapi.__version__,
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

        Parameters
        ----------
        context : LoadContext
            Cache directory and offline flag.
        client : FredClient, optional
            Client to use instead of :meth:`make_client` (tests).

        Returns
        -------
        pandas.DataFrame
            The canonical columns (plus ``realtime_end`` in vintage mode),
            sorted by series, date and known_at.
        """
        cache = ObservationCache(context.cache_dir) if context.cache_dir is not None else None
        frames: list[pd.DataFrame] = []
        if context.offline:
            for series_id in self.series:
                frames.append(self._cached(cache, series_id))
                logger.debug("FRED series %s read from the cache (offline)", series_id)
            return self._finish(frames)

        client = client or self.make_client(context)
        outage: FredUnavailableError | None = None
        for series_id in self.series:
            if outage is None:
                try:
                    frame, meta = self.fetch_series(client, series_id)
                except FredUnavailableError as exc:
                    outage = exc
                else:
                    if cache is not None:
                        cache.write(self.source_key, series_id, frame, meta)
                    logger.info("FRED series %s: %d rows fetched", series_id, len(frame))
                    frames.append(frame)
                    continue
            frames.append(self._fallback(cache, series_id, outage))
        return self._finish(frames)

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
