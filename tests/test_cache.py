"""Tests of the on-disk observation cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regime.data.cache import HEADER_PREFIX, ObservationCache, default_cache_dir
from regime.data.observations import make_observations
from regime.exceptions import CacheError, DataError

FETCHED = pd.Timestamp("2024-06-28 12:00:00", tz="UTC")


def sample_frame(with_realtime_end: bool = True) -> pd.DataFrame:
    """A small observation table with awkward floats and a NaT realtime_end."""
    frame = make_observations(
        "UNRATE",
        pd.to_datetime(["2023-11-01", "2023-11-01", "2023-12-01", "2024-01-01"]),
        np.array([0.1 + 0.2, -0.0, 1e-300, 123456789.123456789]),
        pd.to_datetime(["2024-01-05", "2024-02-09", "2024-01-05", "2024-02-02"]),
    )
    if with_realtime_end:
        frame["realtime_end"] = pd.DatetimeIndex(["2024-02-08", None, None, "2024-03-07"]).as_unit(
            "ns"
        )
    return frame


@pytest.fixture
def cache(tmp_path: Path) -> ObservationCache:
    return ObservationCache(tmp_path / "cache")


def test_round_trip_is_exact(cache: ObservationCache) -> None:
    frame = sample_frame()
    path = cache.write("fred-vintages", "UNRATE", frame, {"source": "fred"}, fetched_at=FETCHED)
    assert path == cache.root / "fred-vintages" / "UNRATE.csv"
    entry = cache.read("fred-vintages", "UNRATE")
    assert entry is not None
    back, header = entry
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert np.signbit(back["value"].iloc[1])  # -0.0 survives
    assert header["meta"] == {"source": "fred"}
    assert header["rows"] == 4
    assert header["columns"] == ["series", "date", "value", "known_at", "realtime_end"]
    assert cache.fetched_at("fred-vintages", "UNRATE") == FETCHED


def test_round_trip_without_realtime_end_and_empty(cache: ObservationCache) -> None:
    frame = sample_frame(with_realtime_end=False)
    cache.write("fred-latest", "UNRATE", frame, {}, fetched_at=FETCHED)
    back, _ = cache.read("fred-latest", "UNRATE")  # type: ignore[misc]
    pd.testing.assert_frame_equal(back, frame, check_exact=True)

    empty = frame.iloc[0:0].reset_index(drop=True)
    cache.write("fred-latest", "EMPTY", empty.assign(series=empty["series"]), {})
    back, header = cache.read("fred-latest", "EMPTY")  # type: ignore[misc]
    assert header["rows"] == 0
    pd.testing.assert_frame_equal(back, empty, check_exact=True)


def test_file_format_is_deterministic_and_readable(cache: ObservationCache) -> None:
    frame = sample_frame()
    path = cache.write("fred-vintages", "UNRATE", frame, {"b": 1, "a": 2}, fetched_at=FETCHED)
    first = path.read_bytes()
    cache.write("fred-vintages", "UNRATE", frame, {"a": 2, "b": 1}, fetched_at=FETCHED)
    assert path.read_bytes() == first
    lines = first.decode("utf-8").splitlines()
    assert lines[0].startswith(HEADER_PREFIX)
    assert lines[1] == "series,date,value,known_at,realtime_end"
    assert lines[2] == "UNRATE,2023-11-01,0.30000000000000004,2024-01-05,2024-02-08"
    assert lines[3] == "UNRATE,2023-11-01,-0.0,2024-02-09,"
    assert [p.name for p in path.parent.iterdir()] == ["UNRATE.csv"]  # no temp files left


def test_missing_entry_reads_none(cache: ObservationCache) -> None:
    assert cache.read("fred-latest", "NOPE") is None
    assert cache.fetched_at("fred-latest", "NOPE") is None


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda b: b.replace(b"123456789.", b"123456788."), "checksum"),
        (lambda b: b[: len(b) - 20], "checksum"),
        (lambda b: b.split(b"\n", 1)[0][:30], "header"),
        (lambda b: b"", "header"),
        (lambda b: b"series,date,value,known_at\n" + b.split(b"\n", 1)[1], "header"),
        (lambda b: HEADER_PREFIX.encode() + b"{not json\n" + b.split(b"\n", 1)[1], "header"),
    ],
    ids=["edited", "truncated", "header-truncated", "empty", "no-header", "bad-json"],
)
def test_corrupt_file_raises_cache_error(cache: ObservationCache, damage, reason: str) -> None:
    path = cache.write("fred-latest", "UNRATE", sample_frame(False), {}, fetched_at=FETCHED)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(CacheError) as info:
        cache.read("fred-latest", "UNRATE")
    message = str(info.value)
    assert str(path) in message
    assert "delete it and run `regime data pull`" in message
    assert reason in message
    assert isinstance(info.value, DataError)


def test_header_tampering_with_valid_checksum_is_caught(cache: ObservationCache) -> None:
    path = cache.write("fred-latest", "UNRATE", sample_frame(False), {}, fetched_at=FETCHED)
    first, body = path.read_bytes().split(b"\n", 1)
    header = json.loads(first[len(HEADER_PREFIX) :])
    header["rows"] = 3
    path.write_bytes(HEADER_PREFIX.encode() + json.dumps(header).encode() + b"\n" + body)
    with pytest.raises(CacheError, match="rows"):
        cache.read("fred-latest", "UNRATE")


def test_write_rejects_bad_frames(cache: ObservationCache) -> None:
    frame = sample_frame(False)
    with pytest.raises(ValueError, match="other series"):
        cache.write("fred-latest", "GDP", frame, {})
    with pytest.raises(ValueError, match="unexpected column"):
        cache.write("fred-latest", "UNRATE", frame.assign(extra=1.0), {})
    with pytest.raises(ValueError, match="lacks"):
        cache.write("fred-latest", "UNRATE", frame.drop(columns="known_at"), {})
    with pytest.raises(ValueError, match="cannot name a cache file"):
        cache.write("fred-latest", "../UNRATE", frame, {})
    with pytest.raises(ValueError, match="cannot name a cache file"):
        cache.path("../x", "UNRATE")


def test_default_cache_dir_honours_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "smallcap-regime"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    assert default_cache_dir() == Path.home() / ".cache" / "smallcap-regime"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "smallcap-regime"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(
        st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=50
    )
)
def test_any_finite_float_round_trips(cache: ObservationCache, values: list[float]) -> None:
    dates = pd.date_range("2020-01-01", periods=len(values), freq="D")
    frame = make_observations("X", dates, np.array(values), dates)
    cache.write("prop", "X", frame, {})
    back, _ = cache.read("prop", "X")  # type: ignore[misc]
    assert back["value"].to_numpy().tobytes() == frame["value"].to_numpy().tobytes()


def test_random_floats_round_trip_bitwise(cache: ObservationCache) -> None:
    rng = np.random.default_rng(7)
    values = rng.standard_normal(5000) * 10.0 ** rng.integers(-310, 300, 5000)
    values = values[np.isfinite(values)]
    dates = pd.date_range("1900-01-01", periods=len(values), freq="D")
    frame = make_observations("X", dates, values, dates)
    cache.write("prop", "X", frame, {})
    back, _ = cache.read("prop", "X")  # type: ignore[misc]
    assert back["value"].to_numpy().tobytes() == frame["value"].to_numpy().tobytes()


def test_unwritable_cache_is_cache_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(CacheError, match="cannot write cache file"):
        ObservationCache(blocker).write("fred-latest", "UNRATE", sample_frame(False), {})
