"""Tests of the FRED source: real HTTP against a local FRED-format server."""

from __future__ import annotations

import itertools
import json
import logging
import subprocess
import time
import traceback
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fred_server import FIXTURES, FakeSeries, FredTestServer, load_fixture_series, serve
from pydantic import ValidationError
from short_configs import SHORT_MODEL, SHORT_TARGET_AND_FEATURES

from regime.data._base import LoadContext
from regime.data.cache import ObservationCache
from regime.data.fred import (
    API_KEY_ENV,
    API_ROOT_ENV,
    KEY_REJECTED,
    MAX_VINTAGE_DATES,
    RESUME_FILE,
    RESUME_SECONDS,
    Deadline,
    FredClient,
    FredDeadlineError,
    FredSource,
    FredUnavailableError,
    _count,
    _parse_observations,
    coalesce_vintages,
    parse_retry_after,
    run_for,
    scrub,
    take_resume_file,
    vintage_chunks,
    write_resume_file,
)
from regime.exceptions import (
    CacheError,
    ConfigError,
    DataError,
    DataFormatError,
    DownloadError,
    MissingSeriesError,
)

KEY = "test-key-0123456789abcdef"
SENTINEL = "SENTINEL-KEY-1234567890"
TS = pd.Timestamp
NAT = pd.NaT


class FakeTime:
    """An injectable monotonic clock whose sleep just advances it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (API_KEY_ENV, API_ROOT_ENV, "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def server() -> Iterator[FredTestServer]:
    yield from serve(api_keys={KEY, SENTINEL})


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_client(server: FredTestServer, fake: FakeTime | None = None, **options) -> FredClient:
    fake = fake or FakeTime()
    api_key = options.pop("api_key", KEY)
    settings = {
        "api_root": server.root_url,
        "requests_per_second": 1000.0,
        "backoff_seconds": 0.25,
        "timeout": 2.0,
        "clock": fake.clock,
        "sleep": fake.sleep,
    }
    settings.update(options)
    return FredClient(api_key, **settings)


def make_source(server: FredTestServer | None, **fields) -> FredSource:
    settings = {
        "series": ["UNRATE", "FEDFUNDS", "DGS10"],
        "api_root": server.root_url if server is not None else None,
        "requests_per_second": 1000.0,
        "backoff_seconds": 0.001,
        "max_retries": 2,
        "timeout_seconds": 2.0,
    }
    settings.update(fields)
    return FredSource(**settings)


# -- latest values and vintages ---------------------------------------------


def test_latest_values_with_publication_lag(server: FredTestServer, monkeypatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    source = make_source(server, vintages=False, lag_days={"UNRATE": 3, "default": 1})
    frame = source.load(LoadContext())
    assert list(frame.columns) == ["series", "date", "value", "known_at"]
    assert str(frame["series"].dtype) == "str"
    unrate = frame.loc[frame["series"] == "UNRATE"].reset_index(drop=True)
    # Latest values (the 2024-02-09 revision of 2023-11 included), known 3 business days on.
    assert unrate["value"].tolist() == [3.8, 3.7, 3.7, 3.9, 3.8]
    assert unrate["known_at"].iloc[0] == TS("2023-11-06")  # Wed 2023-11-01 + 3 bdays
    assert unrate["known_at"].iloc[2] == TS("2024-01-04")
    fedfunds = frame.loc[frame["series"] == "FEDFUNDS"]
    # FRED's "." (2023-07-01 in the real FEDFUNDS excerpt) is dropped; the `default` lag is 1.
    assert fedfunds["date"].max() == TS("2023-06-01")
    assert fedfunds["value"].tolist() == [4.33, 4.57, 4.65, 4.83, 5.06, 5.08]
    assert fedfunds["known_at"].iloc[0] == TS("2023-01-02")
    assert TS("2024-01-01") not in frame.loc[frame["series"] == "DGS10", "date"].tolist()
    calls = server.requests_to("series/observations")
    assert all("realtime_start" not in r.params for r in calls)  # FRED's default: today


def test_vintages_known_at_is_realtime_start_and_keep_realtime_end(
    server: FredTestServer, monkeypatch
) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    source = make_source(server, series=["UNRATE", "DGS10"], vintages=True)
    raw = source.load_raw(LoadContext())
    assert list(raw.columns) == ["series", "date", "value", "known_at", "realtime_end"]
    unrate = raw.loc[raw["series"] == "UNRATE"].reset_index(drop=True)
    expected = pd.DataFrame(
        {
            "date": pd.to_datetime(
                ["2023-11-01", "2023-11-01", "2023-12-01", "2024-01-01", "2024-02-01", "2024-03-01"]
            ),
            "value": [3.7, 3.8, 3.7, 3.7, 3.9, 3.8],
            "known_at": pd.to_datetime(
                ["2024-01-05", "2024-02-09", "2024-01-05", "2024-02-02", "2024-03-08", "2024-04-05"]
            ),
            "realtime_end": pd.DatetimeIndex(["2024-02-08", NAT, NAT, NAT, NAT, NAT]),
        }
    ).astype({c: "datetime64[ns]" for c in ("date", "known_at", "realtime_end")})
    pd.testing.assert_frame_equal(unrate.drop(columns="series"), expected)
    # "." values never become observations.
    assert TS("2024-01-01") not in raw.loc[raw["series"] == "DGS10", "date"].tolist()
    loaded = source.load(LoadContext())
    assert list(loaded.columns) == ["series", "date", "value", "known_at"]
    pd.testing.assert_frame_equal(loaded, raw.drop(columns="realtime_end"))


def test_values_published_before_their_date_are_known_at_their_date(monkeypatch) -> None:
    projection = FakeSeries.from_snapshots(
        "PROJ", {"2024-01-10": {"2024-01-01": "1.5", "2025-01-01": "2.0"}}
    )
    monkeypatch.setenv(API_KEY_ENV, KEY)
    with FredTestServer([projection], api_keys={KEY}) as server:
        frame = make_source(server, series=["PROJ"], vintages=True).load(LoadContext())
    assert frame["known_at"].tolist() == [TS("2024-01-10"), TS("2025-01-01")]


def test_series_info_goes_through_the_robust_fetch(server: FredTestServer) -> None:
    fake = FakeTime()
    client = make_client(server, fake)
    server.fail_next(status=500, endpoint="series")
    info = client.series_info("UNRATE")
    assert info["title"] == "Unemployment Rate"
    assert info["frequency_short"] == "M"
    assert fake.sleeps == [0.25]
    assert [r.endpoint for r in server.requests] == ["series", "series"]
    with pytest.raises(MissingSeriesError, match="NOSUCH"):
        client.series_info("NOSUCH")


def test_client_relies_on_no_fredapi_internals() -> None:
    # The client calls FRED's endpoints itself: no fredapi base class, no override of
    # fredapi's private (name-mangled) fetch; only fredapi's public root URL is used.
    assert FredClient.__mro__ == (FredClient, object)
    assert not [name for name in dir(FredClient) if name.startswith("_Fred")]
    assert FredClient(KEY).root_url == "https://api.stlouisfed.org/fred"


def test_parse_real_format_sample() -> None:
    root = ET.fromstring((FIXTURES / "observations_sample.xml").read_bytes())
    frame = _parse_observations(list(root), "sample")
    assert frame["value"].isna().tolist() == [False, False, True, False]
    assert frame["realtime_end"].isna().tolist() == [False, True, True, True]
    assert frame["realtime_start"].iloc[0] == TS("2024-01-02")


def test_server_speaks_fred_format(server: FredTestServer) -> None:
    sample = ET.fromstring((FIXTURES / "observations_sample.xml").read_bytes())
    url = f"{server.root_url}/series/observations?series_id=UNRATE&api_key={KEY}"
    with urllib.request.urlopen(url, timeout=2) as response:
        served = ET.fromstring(response.read())
    assert served.tag == sample.tag
    assert served.keys() == sample.keys()
    assert served[0].keys() == sample[0].keys()
    bad = f"{server.root_url}/series/observations?series_id=UNRATE&api_key=nope"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(bad, timeout=2)
    assert info.value.code == 400
    expected = (FIXTURES / "error_bad_key.xml").read_text(encoding="utf-8").strip()
    assert info.value.read().decode("utf-8").strip() == expected


# -- chunking and paging -----------------------------------------------------


def test_chunk_size_defaults_to_fred_limit() -> None:
    assert MAX_VINTAGE_DATES == 2000
    assert FredClient(KEY).max_vintage_dates == 2000
    assert FredTestServer().max_vintage_dates == 2000
    days = pd.date_range("2000-01-01", periods=4500, freq="D")
    chunks = vintage_chunks(days)
    assert len(chunks) == 3
    assert chunks[0][0] == "1776-07-04" and chunks[-1][1] == "9999-12-31"
    for (_, end), (start, _) in itertools.pairwise(chunks):
        assert TS(end) + pd.Timedelta(days=1) == TS(start)  # contiguous, no overlap
    counts = [((days >= TS(a)) & (days <= TS(b))).sum() for a, b in chunks]
    assert counts == [2000, 2000, 500]
    assert vintage_chunks(days[:2000]) == [("1776-07-04", "9999-12-31")]


def test_all_releases_are_chunked_by_vintage_dates() -> None:
    series = load_fixture_series()
    with FredTestServer(series, api_keys={KEY}) as plain:
        unchunked = make_client(plain).all_releases("UNRATE")
    with FredTestServer(series, api_keys={KEY}, max_vintage_dates=2) as strict:
        with pytest.raises(DownloadError, match="exceeds the maximum number of vintage dates"):
            make_client(strict).all_releases("UNRATE")  # one request spanning 5 vintages
        strict.requests.clear()
        chunked = make_client(strict, max_vintage_dates=2).all_releases("UNRATE")
        ranges = [
            (r.params["realtime_start"], r.params["realtime_end"])
            for r in strict.requests_to("series/observations")
        ]
    assert ranges == [
        ("1776-07-04", "2024-02-08"),
        ("2024-02-09", "2024-04-04"),
        ("2024-04-05", "9999-12-31"),
    ]
    # Rows cut at chunk boundaries are merged back: same answer as one request.
    pd.testing.assert_frame_equal(chunked, unchunked)
    assert len(chunked) == 6


def test_coalesce_merges_touching_periods_only() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-01-01"] * 4 + ["2020-02-01"] * 2),
            "value": [1.0, 1.0, 2.0, 1.0, 5.0, 5.0],
            "realtime_start": pd.to_datetime(
                ["2020-02-01", "2020-03-01", "2020-04-01", "2020-06-01", "2020-03-01", "2020-05-01"]
            ),
            "realtime_end": pd.DatetimeIndex(
                ["2020-02-29", "2020-03-31", "2020-05-31", NAT, "2020-03-31", NAT]
            ),
        }
    )
    out = coalesce_vintages(pd.concat([frame, frame.iloc[[0]]], ignore_index=True))
    assert out["value"].tolist() == [1.0, 2.0, 1.0, 5.0, 5.0]  # a gap is not merged
    assert out["realtime_start"].tolist() == [
        TS("2020-02-01"),
        TS("2020-04-01"),
        TS("2020-06-01"),
        TS("2020-03-01"),
        TS("2020-05-01"),
    ]
    assert out["realtime_end"].iloc[0] == TS("2020-03-31")
    assert pd.isna(out["realtime_end"].iloc[2])


def test_observations_are_paged(server: FredTestServer) -> None:
    whole = make_client(server).all_releases("UNRATE")
    server.requests.clear()
    paged = make_client(server, page_size=2).all_releases("UNRATE")
    pd.testing.assert_frame_equal(paged, whole)
    offsets = [r.params["offset"] for r in server.requests_to("series/observations")]
    assert offsets == ["0", "2", "4"]
    server.requests.clear()
    dates = make_client(server).vintage_dates("UNRATE", page_size=2)
    assert len(dates) == 5
    assert [r.params["offset"] for r in server.requests] == ["0", "2", "4"]
    assert FredClient(KEY).page_size == 100_000


@pytest.mark.parametrize(
    ("misbehaviour", "expected"),
    [
        ({"count_extra": 3}, r"at offset 6 brought no new rows although FRED's count is 9"),
        ({"ignore_offset": True}, r"at offset 4 brought no new rows although FRED's count is 6"),
        ({"max_page_rows": 1}, r"4 rows in 4 page\(s\) of at most 2, short of FRED's count of 6"),
    ],
    ids=["count_beyond_rows", "offset_ignored", "short_pages"],
)
def test_paging_stops_on_an_inconsistent_server(misbehaviour: dict, expected: str) -> None:
    with FredTestServer(load_fixture_series(), api_keys={KEY}, **misbehaviour) as bad:
        client = make_client(bad, page_size=2)
        with pytest.raises(DataFormatError, match=expected) as info:
            client.observations("UNRATE", realtime_start="1776-07-04", realtime_end="9999-12-31")
        pages = bad.requests_to("series/observations")
    assert str(info.value).startswith("FRED series/observations of UNRATE: ")
    count = 6 + misbehaviour.get("count_extra", 0)
    assert len(pages) <= count // 2 + 1  # never more than count/limit + 1 pages


def test_vintage_dates_paging_stops_short_of_a_false_count() -> None:
    with FredTestServer(load_fixture_series(), api_keys={KEY}, count_extra=2) as bad:
        with pytest.raises(DataFormatError, match=r"series/vintagedates of UNRATE.*count is 7"):
            make_client(bad).vintage_dates("UNRATE", page_size=3)
        assert [r.params["offset"] for r in bad.requests] == ["0", "3", "5"]  # the last empty
    root = ET.fromstring('<vintage_dates count="many"/>')
    with pytest.raises(DataFormatError, match="count 'many' is not a number"):
        _count(root, "FRED series/vintagedates of X")


# -- throttling, retries, timeouts -------------------------------------------


def test_throttle_spaces_requests(server: FredTestServer, fake_time: FakeTime) -> None:
    assert FredSource(series=["UNRATE"]).requests_per_second == 2.0
    client = make_client(server, fake_time, requests_per_second=2.0)
    for _ in range(3):
        client.vintage_dates("UNRATE")
    assert fake_time.sleeps == [0.5, 0.5]
    assert len(server.requests) == 3


def test_throttle_with_real_clock(server: FredTestServer) -> None:
    client = FredClient(KEY, api_root=server.root_url, requests_per_second=40.0)
    for _ in range(4):
        client.vintage_dates("UNRATE")
    times = [r.time for r in server.requests]
    assert times[-1] - times[0] >= 3 * 0.025 * 0.9


def test_429_then_success_honours_retry_after(
    server: FredTestServer, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(server, fake_time)
    server.fail_next(status=429, retry_after="7", endpoint="series/vintagedates")
    with caplog.at_level(logging.WARNING, logger="regime.data.fred"):
        dates = client.vintage_dates("UNRATE")
    assert len(dates) == 5
    assert fake_time.sleeps == [7.0]
    assert len(server.requests_to("series/vintagedates")) == 2
    assert any("HTTP 429" in r.getMessage() for r in caplog.records)


def test_retry_after_is_capped_and_parsed() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_huge_retry_after_is_capped(server: FredTestServer, fake_time: FakeTime) -> None:
    client = make_client(server, fake_time, max_wait_seconds=30.0)
    server.fail_next(status=429, retry_after="86400")
    client.vintage_dates("UNRATE")
    assert fake_time.sleeps == [30.0]
    assert FredSource(series=["GDP"]).max_wait_seconds == 60.0
    assert FredClient(KEY).max_wait_seconds == 60.0


def test_backoff_is_capped_by_max_wait(server: FredTestServer, fake_time: FakeTime) -> None:
    client = make_client(server, fake_time, backoff_seconds=4.0, max_wait_seconds=10.0)
    server.fail_next(times=3, status=503)
    client.vintage_dates("UNRATE")
    assert fake_time.sleeps == [4.0, 8.0, 10.0]


def test_500_then_success(server: FredTestServer, fake_time: FakeTime) -> None:
    client = make_client(server, fake_time)
    server.fail_next(times=2, status=503)
    assert len(client.latest("UNRATE")) == 5
    assert fake_time.sleeps == [0.25, 0.5]  # exponential backoff


def test_5xx_gives_up_after_max_retries(server: FredTestServer, fake_time: FakeTime) -> None:
    client = make_client(server, fake_time, max_retries=3)
    server.fail_next(times=10, status=500)
    with pytest.raises(FredUnavailableError, match="after 4 attempt"):
        client.latest("UNRATE")
    assert len(server.requests) == 4
    assert fake_time.sleeps == [0.25, 0.5, 1.0]


# -- the deadline ----------------------------------------------------------------


def test_deadline_defaults() -> None:
    assert FredSource(series=["GDP"]).deadline_seconds == 180.0
    assert FredClient(KEY).deadline.seconds == 180.0
    for bad in ({"deadline_seconds": 0}, {"max_wait_seconds": -1}, {"deadline_seconds": "x"}):
        with pytest.raises(ValidationError):
            FredSource.model_validate({"series": ["GDP"], **bad})
    with pytest.raises(ValueError, match="positive"):
        Deadline(0)


def test_retry_after_never_waits_past_the_deadline(
    server: FredTestServer, fake_time: FakeTime
) -> None:
    # The cap (5 s) is shorter than the deadline (12 s): two capped waits, then the
    # third would end past the deadline, so it is not made.
    deadline = Deadline(12.0, clock=fake_time.clock)
    client = make_client(server, fake_time, max_wait_seconds=5.0, deadline=deadline)
    server.fail_next(times=10, status=429, retry_after="100000")
    with pytest.raises(FredDeadlineError) as info:
        client.vintage_dates("UNRATE")
    assert fake_time.sleeps == [5.0, 5.0]
    assert not isinstance(info.value, FredUnavailableError)  # no fallback to the cache
    message = str(info.value)
    assert "deadline_seconds" in message and "UNRATE" in message
    assert "after 10.0 s" in message and "Retry-After 100000" in message
    assert info.value.series_id == "UNRATE" and info.value.spent == 10.0
    assert len(server.requests) == 3


def test_deadline_passed_between_requests(server: FredTestServer, fake_time: FakeTime) -> None:
    client = make_client(server, fake_time, deadline=Deadline(3.0, clock=fake_time.clock))
    client.vintage_dates("UNRATE")  # starts the clock
    fake_time.now += 3.0
    server.requests.clear()
    with pytest.raises(FredDeadlineError, match=r"while fetching DGS10 \(series\) after 3\.0 s"):
        client.series_info("DGS10")
    assert server.requests == []  # nothing is sent past the deadline


def test_request_timeout_is_cut_to_the_deadline(server: FredTestServer) -> None:
    client = make_client(
        server, timeout=30.0, max_retries=3, deadline=Deadline(0.5), sleep=time.sleep
    )
    server.fail_next(delay=10.0)
    began = time.monotonic()
    with pytest.raises(FredDeadlineError, match="timed out"):
        client.vintage_dates("UNRATE")
    assert time.monotonic() - began < 1.5
    assert len(server.requests) == 1
    # Also on the last attempt: a timeout cut by the deadline is no outage (no fallback).
    last = make_client(server, timeout=30.0, max_retries=0, deadline=Deadline(0.3))
    server.fail_next(delay=10.0)
    with pytest.raises(FredDeadlineError, match=r"last attempt: TimeoutError"):
        last.vintage_dates("UNRATE")


def test_slow_body_is_cut_at_the_deadline(server: FredTestServer) -> None:
    client = make_client(
        server, timeout=30.0, max_retries=3, deadline=Deadline(0.5), sleep=time.sleep
    )
    server.fail_next(trickle=0.02, endpoint="series/observations")  # about 2 s of body
    began = time.monotonic()
    with pytest.raises(FredDeadlineError, match="deadline passed while reading"):
        client.observations("UNRATE", realtime_start="1776-07-04", realtime_end="9999-12-31")
    assert time.monotonic() - began < 1.0


def test_one_deadline_for_every_fred_source_of_a_command(
    server: FredTestServer, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    first = make_source(server, series=["UNRATE"])
    second = make_source(server, series=["DGS10"], vintages=False, lag_days=1)
    context = LoadContext(cache_dir=tmp_path)
    first.load(context)
    run = run_for(context)  # the run second.load(context) will join
    assert run.started is not None
    assert list(run.obtained) == [("fred-vintages", "UNRATE")]
    second.load(context)
    assert list(run.obtained) == [("fred-vintages", "UNRATE"), ("fred-latest", "DGS10")]
    assert run_for(LoadContext(cache_dir=tmp_path), first) is not run  # another command
    assert run_for(context, first) is not run  # loaded again: a new command, a fresh budget


def test_resume_file_is_consumed_once_and_expires(tmp_path: Path) -> None:
    stamp = pd.Timestamp("2024-06-01 12:00", tz="UTC")
    write_resume_file(tmp_path, {("fred-vintages", "UNRATE"): stamp})
    path = tmp_path / RESUME_FILE
    assert json.loads(path.read_text())["series"][0]["series"] == "UNRATE"
    assert take_resume_file(tmp_path) == {("fred-vintages", "UNRATE"): stamp}
    assert not path.exists() and take_resume_file(tmp_path) == {}
    write_resume_file(tmp_path, {("fred-vintages", "UNRATE"): stamp})
    later = pd.Timestamp.now(tz="UTC") + pd.Timedelta(seconds=RESUME_SECONDS + 60)
    assert take_resume_file(tmp_path, now=later) == {}
    path.write_text("{not json", encoding="utf-8")
    assert take_resume_file(tmp_path) == {} and not path.exists()


def test_stopped_load_resumes_in_process(
    server: FredTestServer, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    fake = FakeTime()
    source = make_source(server)
    context = LoadContext(cache_dir=tmp_path)
    server.fail_next(status=429, retry_after="100000", series_id="FEDFUNDS")
    client = make_client(server, fake, deadline=Deadline(5.0, clock=fake.clock))
    with pytest.raises(FredDeadlineError) as info:
        source.load(context, client=client)
    message = str(info.value)
    assert "while fetching FEDFUNDS" in message
    assert "fetched and cached this run: UNRATE; not fetched: FEDFUNDS, DGS10" in message
    server.requests.clear()
    resumed = source.load(LoadContext(cache_dir=tmp_path))
    assert sorted(resumed["series"].unique()) == ["DGS10", "FEDFUNDS", "UNRATE"]
    assert "UNRATE" not in {r.params.get("series_id") for r in server.requests}
    assert not (tmp_path / RESUME_FILE).exists()


def test_timeout_is_retried_then_download_error(server: FredTestServer) -> None:
    client = make_client(server, timeout=0.05, max_retries=2)
    server.fail_next(times=3, delay=3.0)
    with pytest.raises(FredUnavailableError) as info:
        client.latest("UNRATE")
    assert isinstance(info.value, DownloadError)
    assert "timed out" in str(info.value)
    assert info.value.__context__ is None  # no urllib error holding the keyed URL
    assert len(server.requests) == 3


def test_timeout_then_success(server: FredTestServer, fake_time: FakeTime) -> None:
    client = make_client(server, fake_time, timeout=0.1)
    server.fail_next(delay=3.0)
    assert len(client.latest("UNRATE")) == 5
    assert len(server.requests) == 2
    assert fake_time.sleeps == [0.25]


def test_connection_refused_is_unavailable(fake_time: FakeTime) -> None:
    stopped = FredTestServer().start()
    root = stopped.root_url
    stopped.stop()
    client = FredClient(KEY, api_root=root, max_retries=1, sleep=fake_time.sleep)
    with pytest.raises(FredUnavailableError, match="after 2 attempt"):
        client.latest("UNRATE")


# -- refusals and secrets ----------------------------------------------------


def test_bad_key_is_download_error_without_the_key(server: FredTestServer) -> None:
    client = make_client(server, api_key="wrong-key-42424242")
    with pytest.raises(DownloadError) as info:
        client.latest("UNRATE")
    assert str(info.value).startswith(KEY_REJECTED)
    assert not isinstance(info.value, FredUnavailableError)
    assert "wrong-key-42424242" not in "".join(traceback.format_exception(info.value))
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert len(server.requests) == 1  # a refusal is not retried


def test_unknown_series_is_missing_series_error(server: FredTestServer, monkeypatch) -> None:
    with pytest.raises(MissingSeriesError, match="NOSUCH"):
        make_client(server).latest("NOSUCH")
    monkeypatch.setenv(API_KEY_ENV, KEY)
    with pytest.raises(MissingSeriesError, match="NOSUCH"):
        make_source(server, series=["UNRATE", "NOSUCH"]).load(LoadContext())


def test_scrub() -> None:
    key = "abc+def/123"
    assert scrub(f"x?series_id=A&api_key={key}&b=1", key) == "x?series_id=A&api_key=***&b=1"
    assert scrub("key abc%2Bdef%2F123 quoted", key) == "key *** quoted"
    assert scrub("https://h/x?api_key=zzz", None) == "https://h/x?api_key=***"
    assert scrub("nothing here", key) == "nothing here"


def test_error_message_echoing_the_key_is_scrubbed(server: FredTestServer) -> None:
    server.fail_next(status=400, message="Bad Request.  Something about {api_key}.")
    with pytest.raises(DownloadError) as info:
        make_client(server).latest("UNRATE")
    assert KEY not in str(info.value)
    assert "***" in str(info.value)


def test_malformed_root_error_is_scrubbed() -> None:
    client = FredClient(KEY, api_root="localhost/fred", max_retries=0)
    with pytest.raises(DownloadError) as info:
        client.latest("UNRATE")
    assert KEY not in "".join(traceback.format_exception(info.value))
    assert info.value.__context__ is None
    assert KEY not in repr(client)


def test_sentinel_key_never_leaks(
    server: FredTestServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(API_KEY_ENV, SENTINEL)
    caplog.set_level(logging.DEBUG)
    context = LoadContext(base_dir=tmp_path, cache_dir=tmp_path / "cache")
    errors: list[BaseException] = []
    server.fail_next(status=429, retry_after="0")
    server.fail_next(status=500)
    server.fail_next(status=400, message="Bad Request.  Echo {api_key}")
    for vintages in (False, True):
        source = make_source(server, vintages=vintages, lag_days=None if vintages else 1)
        try:
            source.load(context)
        except DataError as exc:
            errors.append(exc)
        source.load(context)
        assert SENTINEL not in repr(source) + source.model_dump_json()
        assert SENTINEL not in repr(source.make_client(context))
    try:
        make_source(server, series=["NOSUCH"]).load(context)
    except DataError as exc:
        errors.append(exc)
    server.stop()  # now every request fails: fall back to the cache, with warnings
    make_source(server, vintages=True).load(context)
    try:
        make_source(server, series=["NOTCACHED"]).load(context)
    except DataError as exc:
        errors.append(exc)

    assert len(errors) == 3
    for exc in errors:
        assert SENTINEL not in "".join(traceback.format_exception(exc))
        link: BaseException | None = exc
        while link is not None:  # nothing chained keeps the keyed URL either
            assert SENTINEL not in repr(link.args) + repr(vars(link))
            link = link.__cause__ or link.__context__
    assert any(
        r.levelno == logging.WARNING and "cached copy" in r.getMessage() for r in caplog.records
    )
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    for record in caplog.records:
        assert SENTINEL not in record.getMessage()
        assert SENTINEL not in str(record.args)
        assert SENTINEL not in (record.exc_text or "")
    assert SENTINEL not in caplog.text
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert len(files) == 6
    for path in files:
        assert SENTINEL.encode() not in path.read_bytes()
    assert any(SENTINEL in url for url in server.urls)  # the key really was sent


# -- the cache: offline loads, corruption, fallback ---------------------------


@pytest.mark.parametrize("vintages", [False, True])
def test_offline_load_reproduces_the_online_frame(
    server: FredTestServer, tmp_path: Path, monkeypatch, vintages: bool
) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    source = make_source(server, vintages=vintages, lag_days=None if vintages else 1)
    online = LoadContext(cache_dir=tmp_path)
    fetched_raw = source.load_raw(online)
    fetched = source.load(online)
    server.requests.clear()
    monkeypatch.delenv(API_KEY_ENV)  # offline needs no key
    offline = LoadContext(cache_dir=tmp_path, offline=True)
    pd.testing.assert_frame_equal(source.load(offline), fetched, check_exact=True)
    pd.testing.assert_frame_equal(source.load_raw(offline), fetched_raw, check_exact=True)
    assert server.requests == []
    cache = ObservationCache(tmp_path)
    _, header = cache.read(source.source_key, "UNRATE")  # type: ignore[misc]
    assert header["meta"]["info"]["title"] == "Unemployment Rate"
    assert header["meta"]["settings"]["vintages"] is vintages


def test_offline_without_cache_entry_says_pull(tmp_path: Path) -> None:
    source = make_source(None, series=["UNRATE"])
    with pytest.raises(DataError, match=r"UNRATE.*regime data pull"):
        source.load(LoadContext(cache_dir=tmp_path, offline=True))
    with pytest.raises(DataError, match=r"UNRATE.*regime data pull"):
        source.load(LoadContext(cache_dir=None, offline=True))


def test_offline_with_other_settings_says_pull(
    server: FredTestServer, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    latest = make_source(server, series=["UNRATE"], vintages=False, lag_days=1)
    latest.load(LoadContext(cache_dir=tmp_path))
    changed = make_source(server, series=["UNRATE"], vintages=False, lag_days=5)
    with pytest.raises(DataError, match=r"settings.*regime data pull"):
        changed.load(LoadContext(cache_dir=tmp_path, offline=True))
    # The vintage default reads its own cache entries, never the latest-mode ones.
    with pytest.raises(DataError, match=r"not in the cache.*regime data pull"):
        make_source(server, series=["UNRATE"]).load(LoadContext(cache_dir=tmp_path, offline=True))


def test_corrupt_cache_file_is_cache_error(
    server: FredTestServer, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    source = make_source(server, series=["UNRATE"])
    source.load(LoadContext(cache_dir=tmp_path))
    path = ObservationCache(tmp_path).path(source.source_key, "UNRATE")
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CacheError) as info:
        source.load(LoadContext(cache_dir=tmp_path, offline=True))
    assert str(path) in str(info.value)
    assert "delete it" in str(info.value)


def test_falls_back_to_cache_when_server_is_down(
    server: FredTestServer, tmp_path: Path, monkeypatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    source = make_source(server, vintages=True)
    context = LoadContext(cache_dir=tmp_path)
    fetched = source.load(context)
    server.stop()
    with caplog.at_level(logging.WARNING, logger="regime.data.fred"):
        again = source.load(context)
    pd.testing.assert_frame_equal(again, fetched, check_exact=True)
    warnings = [r.getMessage() for r in caplog.records if "cached copy" in r.getMessage()]
    assert len(warnings) == 3
    assert "UNRATE" in warnings[0] and "seconds old" in warnings[0]
    # Without a cache there is nothing to fall back on.
    with pytest.raises(FredUnavailableError, match="no usable cached copy"):
        source.load(LoadContext(cache_dir=tmp_path / "empty"))


def test_key_rejection_does_not_fall_back(
    server: FredTestServer, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    source = make_source(server, series=["UNRATE"])
    source.load(LoadContext(cache_dir=tmp_path))
    monkeypatch.setenv(API_KEY_ENV, "revoked-key-000000")
    with pytest.raises(DownloadError, match="rejected the API key"):
        source.load(LoadContext(cache_dir=tmp_path))


# -- configuration -------------------------------------------------------------


def test_api_root_from_env_and_config_wins(server: FredTestServer, monkeypatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    monkeypatch.setenv(API_ROOT_ENV, server.root_url)
    from_env = make_source(None, series=["UNRATE"])
    assert len(from_env.load(LoadContext())) == 6  # every UNRATE release (vintages)
    monkeypatch.setenv(API_ROOT_ENV, "http://127.0.0.1:9/nowhere")
    assert make_source(server, series=["UNRATE"]).resolve_api_root() == server.root_url
    monkeypatch.delenv(API_ROOT_ENV)
    assert make_source(None).resolve_api_root() is None
    assert FredClient(KEY).root_url == "https://api.stlouisfed.org/fred"


def test_api_key_sources(server: FredTestServer, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "fred.key").write_text(f"{KEY}\n", encoding="utf-8")
    source = make_source(server, series=["UNRATE"], api_key_file="fred.key")
    context = LoadContext(base_dir=tmp_path)
    assert source.resolve_api_key(context) == KEY
    assert len(source.load(context)) == 6
    monkeypatch.setenv(API_KEY_ENV, "from-env-1234")
    assert source.resolve_api_key(context) == "from-env-1234"
    monkeypatch.delenv(API_KEY_ENV)
    with pytest.raises(ConfigError, match=r"missing\.key"):
        make_source(server, api_key_file="missing.key").resolve_api_key(context)
    with pytest.raises(DownloadError, match=API_KEY_ENV):
        make_source(server).load(LoadContext(base_dir=tmp_path))


def test_config_validation() -> None:
    assert FredSource(series=["GDP"]).kind == "fred"
    FredSource.model_validate(
        {"kind": "fred", "series": ["GDP"], "vintages": False, "lag_days": {"GDP": 20}}
    )
    for bad in (
        {"series": []},
        {"series": ["GDP", "GDP"]},
        {"series": ["../GDP"]},
        {"series": ["GDP"], "vintages": False, "lag_days": {"UNRATE": 1, "GDP": 1}},
        {"series": ["GDP"], "vintages": False, "lag_days": -1},
        {"series": ["GDP"], "start": "2020-13-01"},
        {"series": ["GDP"], "api_root": "localhost/fred"},
        {"series": ["GDP"], "api_key": "secret"},
        {"series": ["GDP"], "kind": "csv"},
    ):
        with pytest.raises(ValidationError):
            FredSource.model_validate(bad)
    source = FredSource(
        series=["GDP", "UNRATE"], vintages=False, lag_days={"UNRATE": 4, "default": 1}
    )
    assert source.lag_for("UNRATE") == 4
    assert source.lag_for("GDP") == 1
    assert source.source_key == "fred-latest"
    assert FredSource(series=["GDP"], vintages=True).source_key == "fred-vintages"


def test_vintages_are_the_default() -> None:
    source = FredSource(series=["GDP"])
    assert source.vintages is True
    assert source.lag_days is None
    assert source.source_key == "fred-vintages"
    assert source.settings_for("GDP") == {
        "vintages": True,
        "observation_start": None,
        "lag_days": None,
    }


@pytest.mark.parametrize(
    ("lag_days", "missing"),
    [
        (None, "GDP, UMCSENT have"),
        ({"GDP": 0}, "UMCSENT has"),
    ],
)
def test_latest_values_need_a_lag_for_every_series(
    lag_days: dict[str, int] | None, missing: str
) -> None:
    fields = {"series": ["GDP", "UMCSENT"], "vintages": False, "lag_days": lag_days}
    with pytest.raises(ValidationError) as info:
        FredSource.model_validate(fields)
    message = str(info.value)
    assert f"fred series {missing} no lag_days (vintages: false" in message
    assert "; set lag_days (business days" in message
    assert "or use vintages: true" in message
    # An explicit 0 (known the same day) or a `default` key covers a series.
    assert FredSource(series=["GDP"], vintages=False, lag_days=0).lag_for("GDP") == 0
    both = FredSource(series=["GDP", "UMCSENT"], vintages=False, lag_days={"default": 2})
    assert [both.lag_for(s) for s in both.series] == [2, 2]


def test_lag_without_latest_mode_is_refused() -> None:
    with pytest.raises(ValidationError, match="lag_days only applies with vintages: false"):
        FredSource(series=["GDP"], lag_days=20)


def test_lag_for_an_unlagged_series_is_a_config_error() -> None:
    source = FredSource.model_construct(series=["GDP"], vintages=False, lag_days=None)
    with pytest.raises(ConfigError, match="fred series GDP has no lag_days"):
        source.lag_for("GDP")


def _fred_cli_config(tmp_path: Path, fred_entry: str) -> Path:
    config = tmp_path / "fred.yaml"
    config.write_text(
        "name: fredlag\n"
        "data:\n"
        "  sources:\n"
        "    - {kind: sample, seed: 5, start: 2012-01-02, end: 2013-12-31}\n"
        f"    - {fred_entry}\n" + SHORT_TARGET_AND_FEATURES + SHORT_MODEL,
        encoding="utf-8",
    )
    return config


def test_cli_latest_values_without_lag_exit_2(tmp_path: Path, run_cli) -> None:
    entry = "{kind: fred, series: [GDP, UMCSENT], vintages: false, lag_days: {GDP: 20}}"
    proc = run_cli(
        "data", "check", "--config", _fred_cli_config(tmp_path, entry), cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert "fred.yaml:5: data.sources[1]" in errors[0]
    assert "fred series UMCSENT has no lag_days" in errors[0] and "set lag_days" in errors[0]


def _pull(
    run_cli, tmp_path: Path, server: FredTestServer, fields: str, name: str = "fred.yaml"
) -> tuple[subprocess.CompletedProcess[str], float]:
    """`regime data pull` of UNRATE, FEDFUNDS, DGS10 from ``server``; the process and the
    seconds from its first FRED request to its end."""
    config = tmp_path / name
    config.write_text(
        "name: fredpull\n"
        "data:\n"
        "  sources:\n"
        "    - {kind: fred, series: [UNRATE, FEDFUNDS, DGS10], requests_per_second: 1000, "
        f"{fields}}}\n" + SHORT_TARGET_AND_FEATURES + SHORT_MODEL,
        encoding="utf-8",
    )
    env = {API_KEY_ENV: KEY, API_ROOT_ENV: server.root_url}
    already = len(server.requests)
    proc = run_cli(
        "data",
        "pull",
        "--config",
        config,
        "--cache-dir",
        tmp_path / "cache",
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    ended = time.monotonic()
    first = server.requests[already].time if len(server.requests) > already else ended
    return proc, ended - first


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert KEY not in proc.stderr + proc.stdout
    return lines[0]


def test_cli_huge_retry_after_stops_at_the_deadline(
    server: FredTestServer, tmp_path: Path, run_cli
) -> None:
    server.fail_next(times=50, status=429, retry_after="100000")
    proc, seconds = _pull(run_cli, tmp_path, server, "deadline_seconds: 2")
    assert proc.returncode == 3, proc.stderr
    assert seconds < 2 + 1
    line = _one_error_line(proc)
    assert "ran out while fetching UNRATE" in line and "Retry-After 100000" in line
    assert "fetched and cached this run: none" in line
    assert "raise deadline_seconds in the fred source, rerun, or use --offline" in line


def test_cli_deadline_mid_run_names_the_fetched_series_and_rerun_reuses_it(
    server: FredTestServer, tmp_path: Path, run_cli
) -> None:
    server.fail_next(delay=30.0, series_id="FEDFUNDS")  # FRED hangs on the second series
    proc, seconds = _pull(run_cli, tmp_path, server, "deadline_seconds: 1.5")
    assert proc.returncode == 3, proc.stderr
    assert seconds < 1.5 + 1
    line = _one_error_line(proc)
    assert "FRED time budget of 1.5 s (deadline_seconds) ran out while fetching FEDFUNDS" in line
    assert "fetched and cached this run: UNRATE; not fetched: FEDFUNDS, DGS10" in line
    assert "rerun within 60 minutes (the cached series are reused)" in line
    assert (tmp_path / "cache" / RESUME_FILE).is_file()

    server.requests.clear()
    proc, _ = _pull(run_cli, tmp_path, server, "deadline_seconds: 60", name="fred60.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "fred (vintages): 3 series" in proc.stdout
    fetched = {r.params.get("series_id") for r in server.requests}
    assert fetched == {"FEDFUNDS", "DGS10"}  # UNRATE came from the cache
    assert not (tmp_path / "cache" / RESUME_FILE).exists()  # the next run fetches everything


def test_cli_count_beyond_the_rows_served_exits_3(tmp_path: Path, run_cli) -> None:
    with FredTestServer(load_fixture_series(), api_keys={KEY}, count_extra=4) as bad:
        proc, _ = _pull(run_cli, tmp_path, bad, "deadline_seconds: 60")
        pages = bad.requests_to("series/vintagedates")
    assert proc.returncode == 3, proc.stderr
    line = _one_error_line(proc)
    assert "FRED series/vintagedates of UNRATE: 5 rows in 1 page(s) of at most 10000" in line
    assert "short of FRED's count of 9" in line
    assert len(pages) == 1  # count // limit + 1 pages at most
