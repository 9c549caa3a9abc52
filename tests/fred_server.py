"""A local HTTP server that speaks FRED's XML API, for tests.

:class:`FredTestServer` runs a :class:`http.server.ThreadingHTTPServer` on
127.0.0.1 (port 0: the OS picks one) in a background thread and serves, from
in-memory series with vintages, the three endpoints :mod:`regime.data.fred`
calls:

* ``/fred/series/observations``: output_type 1 (observations by real-time
  period) and 4 (initial release only); ``realtime_start``/``realtime_end``
  (default: the server's ``today``), ``observation_start``/``observation_end``,
  ``limit`` (1..100000, default 100000), ``offset``, ``sort_order``. Like
  FRED, every row's real-time period is clipped to the requested one, ``count``
  is the number of rows before paging, missing values are ``.``, and a
  real-time period spanning more than ``max_vintage_dates`` vintage dates is
  refused with FRED's HTTP 400 message;
* ``/fred/series/vintagedates``: ``realtime_start``/``realtime_end`` (default
  the whole axis), ``limit`` (1..10000), ``offset``, ``sort_order``;
* ``/fred/series``: the series' metadata.

Errors use FRED's XML error body: HTTP 400 for an unset or unregistered
``api_key`` and for an unknown series. Failures can be scripted with
:meth:`FredTestServer.fail_next` (a 429 with ``Retry-After``, a 5xx, a slow
answer or a trickled body to trigger client timeouts and deadlines, an error
message echoing the key; for one endpoint or one series), and every request is
logged in
:attr:`FredTestServer.requests`. Paging can be made inconsistent, as a broken
server or proxy would: ``count_extra`` claims more rows than are served,
``ignore_offset`` serves the first page whatever the offset, and
``max_page_rows`` serves fewer rows a page than ``limit``.

Usage::

    with FredTestServer(load_fixture_series(), api_keys={"k"}) as server:
        client = FredClient("k", api_root=server.root_url)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

EARLIEST = "1776-07-04"
LATEST = "9999-12-31"
OBSERVATION_EARLIEST = "1600-01-01"
MAX_VINTAGE_DATES = 2000
MAX_OBSERVATIONS_LIMIT = 100_000
MAX_VINTAGE_DATES_LIMIT = 10_000
FIXTURES = Path(__file__).parent / "fixtures" / "fred"

XML_DECLARATION = '<?xml version="1.0" encoding="utf-8" ?>\n'
KEY_NOT_SET = "Bad Request.  Variable api_key has not been set."
KEY_NOT_REGISTERED = (
    "Bad Request.  The value for variable api_key is not registered.  "
    "Read https://fred.stlouisfed.org/docs/api/api_key.html for more information."
)
SERIES_MISSING = "Bad Request.  The series does not exist."


@dataclass(frozen=True)
class Row:
    """One ALFRED row: ``value`` of ``date`` during ``[realtime_start, realtime_end]``."""

    date: str
    value: str
    realtime_start: str
    realtime_end: str = LATEST


@dataclass
class FakeSeries:
    """A series with its full real-time history."""

    id: str
    rows: list[Row]
    title: str = ""
    frequency: str = "Monthly"
    frequency_short: str = "M"
    units: str = "Percent"
    seasonal_adjustment_short: str = "NSA"
    last_updated: str = "2024-06-07 07:46:02-05"

    @classmethod
    def from_snapshots(
        cls, series_id: str, snapshots: dict[str, dict[str, str]], **info: Any
    ) -> FakeSeries:
        """Build the rows from whole-series snapshots keyed by vintage date.

        A value keeps its row while later snapshots repeat it; a change (or
        its disappearance) closes the row the day before that snapshot.
        """
        rows: list[Row] = []
        current: dict[str, tuple[str, str]] = {}
        for vintage in sorted(snapshots):
            snapshot = snapshots[vintage]
            day_before = (date.fromisoformat(vintage) - timedelta(days=1)).isoformat()
            for obs_date in list(current):
                value, start = current[obs_date]
                if snapshot.get(obs_date) != value:
                    rows.append(Row(obs_date, value, start, day_before))
                    del current[obs_date]
            for obs_date, value in snapshot.items():
                if obs_date not in current:
                    current[obs_date] = (value, vintage)
        rows.extend(Row(d, v, s, LATEST) for d, (v, s) in current.items())
        rows.sort(key=lambda r: (r.date, r.realtime_start))
        return cls(series_id, rows, **info)

    @property
    def vintage_dates(self) -> list[str]:
        """Days on which the series changed: every distinct ``realtime_start``."""
        return sorted({r.realtime_start for r in self.rows})


def load_fixture_series(name: str = "series.json") -> dict[str, FakeSeries]:
    """Series defined in ``tests/fixtures/fred/<name>`` (see its ``_comment``)."""
    raw = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    out: dict[str, FakeSeries] = {}
    for series_id, spec in raw.items():
        if series_id.startswith("_"):
            continue
        spec = dict(spec)
        snapshots = spec.pop("snapshots")
        out[series_id] = FakeSeries.from_snapshots(series_id, snapshots, **spec)
    return out


@dataclass
class Failure:
    """A scripted answer replacing the normal one.

    Attributes
    ----------
    status : int or None
        HTTP status to answer with; None answers normally (after ``delay``).
    retry_after : str or None
        ``Retry-After`` header value.
    delay : float
        Seconds to wait before answering (a slow server).
    message : str or None
        FRED error message; ``{api_key}`` is replaced by the request's key.
    endpoint : str or None
        Only requests to this endpoint (e.g. ``series/observations``).
    series_id : str or None
        Only requests for this series.
    trickle : float
        Seconds between the 16-byte pieces of the body (a slow body; 0: all at once).
    """

    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    message: str | None = None
    endpoint: str | None = None
    series_id: str | None = None
    trickle: float = 0.0

    def matches(self, endpoint: str, params: dict[str, str]) -> bool:
        """Whether this failure answers a request to ``endpoint`` with ``params``."""
        return self.endpoint in (None, endpoint) and self.series_id in (
            None,
            params.get("series_id"),
        )


@dataclass(frozen=True)
class Request:
    """A request the server received."""

    endpoint: str
    params: dict[str, str]
    url: str
    time: float


class _BadRequest(Exception):
    """Answer with FRED's HTTP 400 error body."""


def _check_date(params: dict[str, str], name: str, default: str) -> str:
    value = params.get(name, default)
    try:
        date.fromisoformat(value)
        ok = len(value) == 10
    except ValueError:
        ok = value == LATEST
    if not ok:
        raise _BadRequest(
            f"Bad Request.  Variable {name} is not a YYYY-MM-DD formatted date (e.g. 2000-02-24)."
        )
    return value


def _check_int(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise _BadRequest(f"Bad Request.  Variable {name} is not between {low} and {high}.")
    return value


def _attrs(pairs: Iterable[tuple[str, object]]) -> str:
    return " ".join(f"{k}={quoteattr(str(v))}" for k, v in pairs)


class FredTestServer:
    """A FRED-format HTTP server on 127.0.0.1 with scriptable failures.

    Parameters
    ----------
    series : dict of str to FakeSeries or iterable of FakeSeries
        The series served.
    api_keys : iterable of str
        Registered keys; any other key gets FRED's HTTP 400.
    today : str
        The server's "today", FRED's default real-time period.
    max_vintage_dates : int
        Most vintage dates one observations request may span (FRED: 2000).
    count_extra : int
        Added to the ``count`` of every paged answer (0: FRED's behaviour); a
        positive value claims rows that are never served.
    ignore_offset : bool
        Serve every paged request from offset 0 (a server that ignores it).
    max_page_rows : int or None
        Serve at most this many rows a page, whatever the ``limit``.
    """

    def __init__(
        self,
        series: dict[str, FakeSeries] | Iterable[FakeSeries] = (),
        api_keys: Iterable[str] = ("test-key",),
        today: str = "2024-06-28",
        max_vintage_dates: int = MAX_VINTAGE_DATES,
        count_extra: int = 0,
        ignore_offset: bool = False,
        max_page_rows: int | None = None,
    ) -> None:
        items = series.values() if isinstance(series, dict) else series
        self.series: dict[str, FakeSeries] = {s.id: s for s in items}
        self.api_keys = set(api_keys)
        self.today = today
        self.max_vintage_dates = max_vintage_dates
        self.count_extra = count_extra
        self.ignore_offset = ignore_offset
        self.max_page_rows = max_page_rows
        self.requests: list[Request] = []
        self._failures: list[Failure] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> FredTestServer:
        """Start serving in a daemon thread; return self."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (slow answers are cut short)."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FredTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        """The API root to give the client, ``http://127.0.0.1:<port>/fred``."""
        return f"http://127.0.0.1:{self.port}/fred"

    # -- scripting and inspection --------------------------------------------

    def fail_next(self, times: int = 1, **failure: Any) -> None:
        """Answer the next ``times`` (matching) requests with a :class:`Failure`."""
        with self._lock:
            self._failures.extend(Failure(**failure) for _ in range(times))

    def requests_to(self, endpoint: str) -> list[Request]:
        """The requests received for one endpoint, in order."""
        with self._lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    @property
    def urls(self) -> list[str]:
        """Every request path with its query, in order."""
        with self._lock:
            return [r.url for r in self.requests]

    def _take_failure(self, endpoint: str, params: dict[str, str]) -> Failure | None:
        with self._lock:
            for i, failure in enumerate(self._failures):
                if failure.matches(endpoint, params):
                    return self._failures.pop(i)
        return None

    def _page(self, rows: list[Any], offset: int, limit: int) -> list[Any]:
        """The rows of one page, as this server's paging settings serve them."""
        start = 0 if self.ignore_offset else offset
        size = limit if self.max_page_rows is None else min(limit, self.max_page_rows)
        return rows[start : start + size]

    # -- answering -------------------------------------------------------------

    def answer(self, path: str) -> tuple[int, str, dict[str, str], float, float]:
        """Status, XML body, extra headers, delay and trickle for a request path."""
        parts = urlsplit(path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        endpoint = parts.path.removeprefix("/fred/").strip("/")
        with self._lock:
            self.requests.append(Request(endpoint, params, path, time.monotonic()))
        failure = self._take_failure(endpoint, params)
        trickle = failure.trickle if failure else 0.0
        status, body, headers, delay = self._answer(endpoint, params, failure)
        return status, body, headers, delay, trickle

    def _answer(
        self, endpoint: str, params: dict[str, str], failure: Failure | None
    ) -> tuple[int, str, dict[str, str], float]:
        """Status, XML body, extra headers and delay: the failure's, else the normal answer."""
        delay = failure.delay if failure else 0.0
        if failure is not None and failure.status is not None:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            default = {429: "Too Many Requests.  Exceeded Rate Limit"}.get(
                failure.status, "Internal Server Error"
            )
            message = (failure.message or default).replace("{api_key}", params.get("api_key", ""))
            return failure.status, self._error(failure.status, message), headers, delay
        try:
            key = params.get("api_key", "")
            if not key:
                raise _BadRequest(KEY_NOT_SET)
            if key not in self.api_keys:
                raise _BadRequest(KEY_NOT_REGISTERED)
            if params.get("file_type", "xml") != "xml":
                raise _BadRequest("Bad Request.  This test server only serves file_type=xml.")
            route = {
                "series/observations": self._observations,
                "series/vintagedates": self._vintagedates,
                "series": self._series,
            }.get(endpoint)
            if route is None:
                return 404, self._error(404, "Not Found."), {}, delay
            series = self.series.get(params.get("series_id", ""))
            if series is None:
                raise _BadRequest(SERIES_MISSING)
            return 200, route(series, params), {}, delay
        except _BadRequest as exc:
            return 400, self._error(400, str(exc)), {}, delay

    @staticmethod
    def _error(code: int, message: str) -> str:
        return f"{XML_DECLARATION}<error {_attrs([('code', code), ('message', message)])}/>"

    def _observations(self, series: FakeSeries, params: dict[str, str]) -> str:
        rt_start = _check_date(params, "realtime_start", self.today)
        rt_end = _check_date(params, "realtime_end", self.today)
        obs_start = _check_date(params, "observation_start", OBSERVATION_EARLIEST)
        obs_end = _check_date(params, "observation_end", LATEST)
        limit = _check_int(params, "limit", MAX_OBSERVATIONS_LIMIT, 1, MAX_OBSERVATIONS_LIMIT)
        offset = _check_int(params, "offset", 0, 0, 10**9)
        output_type = params.get("output_type", "1")
        sort_order = params.get("sort_order", "asc")
        if rt_start > rt_end:
            raise _BadRequest("Bad Request.  The real-time start date is after the end date.")
        if output_type not in ("1", "4"):
            raise _BadRequest(
                f"Bad Request.  output_type {output_type} is not supported by this test server."
            )
        if params.get("units", "lin") != "lin":
            raise _BadRequest("Bad Request.  This test server only serves units=lin.")
        spanned = [v for v in series.vintage_dates if rt_start <= v <= rt_end]
        if len(spanned) > self.max_vintage_dates:
            raise _BadRequest(
                f"Bad Request.  There are {len(spanned)} vintage dates in the specified "
                f"real-time period: {rt_start} to {rt_end}.  This exceeds the maximum number "
                f"of vintage dates allowed ({self.max_vintage_dates})."
            )
        candidates = [r for r in series.rows if obs_start <= r.date <= obs_end]
        if output_type == "4":
            first: dict[str, Row] = {}
            for row in candidates:
                if row.date not in first or row.realtime_start < first[row.date].realtime_start:
                    first[row.date] = row
            candidates = [r for r in first.values() if rt_start <= r.realtime_start <= rt_end]
        rows = [
            Row(r.date, r.value, max(r.realtime_start, rt_start), min(r.realtime_end, rt_end))
            for r in candidates
            if r.realtime_start <= rt_end and r.realtime_end >= rt_start
        ]
        rows.sort(key=lambda r: (r.date, r.realtime_start), reverse=sort_order == "desc")
        page = self._page(rows, offset, limit)
        header = _attrs(
            [
                ("realtime_start", rt_start),
                ("realtime_end", rt_end),
                ("observation_start", obs_start),
                ("observation_end", obs_end),
                ("units", "lin"),
                ("output_type", output_type),
                ("file_type", "xml"),
                ("order_by", "observation_date"),
                ("sort_order", sort_order),
                ("count", len(rows) + self.count_extra),
                ("offset", offset),
                ("limit", limit),
            ]
        )
        lines = "".join(
            "  <observation "
            + _attrs(
                [
                    ("realtime_start", row.realtime_start),
                    ("realtime_end", row.realtime_end),
                    ("date", row.date),
                    ("value", row.value),
                ]
            )
            + "/>\n"
            for row in page
        )
        return XML_DECLARATION + f"<observations {header}>\n{lines}</observations>"

    def _vintagedates(self, series: FakeSeries, params: dict[str, str]) -> str:
        rt_start = _check_date(params, "realtime_start", EARLIEST)
        rt_end = _check_date(params, "realtime_end", LATEST)
        limit = _check_int(params, "limit", MAX_VINTAGE_DATES_LIMIT, 1, MAX_VINTAGE_DATES_LIMIT)
        offset = _check_int(params, "offset", 0, 0, 10**9)
        sort_order = params.get("sort_order", "asc")
        dates = [v for v in series.vintage_dates if rt_start <= v <= rt_end]
        if sort_order == "desc":
            dates.reverse()
        page = self._page(dates, offset, limit)
        header = _attrs(
            [
                ("realtime_start", rt_start),
                ("realtime_end", rt_end),
                ("order_by", "vintage_date"),
                ("sort_order", sort_order),
                ("count", len(dates) + self.count_extra),
                ("offset", offset),
                ("limit", limit),
            ]
        )
        body = "".join(f"  <vintage_date>{escape(d)}</vintage_date>\n" for d in page)
        return XML_DECLARATION + f"<vintage_dates {header}>\n{body}</vintage_dates>"

    def _series(self, series: FakeSeries, params: dict[str, str]) -> str:
        rt_start = _check_date(params, "realtime_start", self.today)
        rt_end = _check_date(params, "realtime_end", self.today)
        dates = [r.date for r in series.rows] or [self.today]
        attrs = _attrs(
            [
                ("id", series.id),
                ("realtime_start", rt_start),
                ("realtime_end", rt_end),
                ("title", series.title),
                ("observation_start", min(dates)),
                ("observation_end", max(dates)),
                ("frequency", series.frequency),
                ("frequency_short", series.frequency_short),
                ("units", series.units),
                ("units_short", series.units),
                ("seasonal_adjustment", series.seasonal_adjustment_short),
                ("seasonal_adjustment_short", series.seasonal_adjustment_short),
                ("last_updated", series.last_updated),
                ("popularity", 50),
                ("notes", ""),
            ]
        )
        header = _attrs([("realtime_start", rt_start), ("realtime_end", rt_end)])
        return XML_DECLARATION + f"<seriess {header}>\n  <series {attrs}/>\n</seriess>"


class _Handler(BaseHTTPRequestHandler):
    fake: FredTestServer

    def do_GET(self) -> None:
        status, body, headers, delay, trickle = self.fake.answer(self.path)
        if delay and self.fake._stopping.wait(delay):
            return
        data = body.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/xml; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self._write(data, trickle)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout)

    def _write(self, data: bytes, trickle: float) -> None:
        """Send the body at once, or in 16-byte pieces ``trickle`` seconds apart."""
        if not trickle:
            self.wfile.write(data)
            return
        for start in range(0, len(data), 16):
            self.wfile.write(data[start : start + 16])
            self.wfile.flush()
            if self.fake._stopping.wait(trickle):
                return

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""


def serve(series: dict[str, FakeSeries] | None = None, **kwargs: Any) -> Iterator[FredTestServer]:
    """Generator for a pytest fixture: yields a started server, stops it after."""
    server = FredTestServer(series if series is not None else load_fixture_series(), **kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


__all__ = [
    "Failure",
    "FakeSeries",
    "FredTestServer",
    "Request",
    "Row",
    "load_fixture_series",
    "serve",
]
