"""The parsed-file cache of the file sources (csv, french, cftc).

No test mocks our code. That a load is served from the cache is shown by
forging a *valid* entry (right key, right checksum, one value changed): the
next load returns the forged value, which only reading the cache can give. An
entry whose checksum no longer matches is never used: the load parses again,
returns the true table and rewrites the entry.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regime._io import sha256_bytes
from regime.data._base import LoadContext, SourceBase
from regime.data.cftc import CftcSource
from regime.data.csv_source import CsvSource
from regime.data.french import FrenchSource
from regime.data.parsed_cache import HEADER_PREFIX, PARSED_DIR
from regime.exceptions import DataError, DataFormatError

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Case:
    """One file source on a copy of a fixture, and how to change it."""

    fixture: str
    config: dict[str, object]
    today: str
    edit: tuple[str, str]  # (unique text, replacement) changing one value
    setting: dict[str, object]  # a setting change that changes the table
    too_early: str  # a run date before some row of the file
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return Path(self.fixture).name

    def source(self, **overrides: object) -> SourceBase:
        config = {**self.config, **overrides}
        kind = config["kind"]
        model = {"csv": CsvSource, "french": FrenchSource, "cftc": CftcSource}[kind]
        return model.model_validate(config)


CASES = {
    "csv-long": Case(
        fixture="csv/long_revisions.csv",
        config={"kind": "csv", "path": "long_revisions.csv", "layout": "long", "lag_days": 1},
        today="2024-06-28",
        edit=("LARGE_REV_BREADTH,2024-01-31,0.042,", "LARGE_REV_BREADTH,2024-01-31,0.043,"),
        setting={"lag_days": 2},
        too_early="2024-02-01",
    ),
    "csv-wide": Case(
        fixture="csv/wide_flows.csv",
        config={"kind": "csv", "path": "wide_flows.csv", "lag_days": 1},
        today="2024-06-28",
        edit=("2024-01-02,-412000000,", "2024-01-02,-413000000,"),
        setting={"lag_days": 3},
        too_early="2024-01-03",
    ),
    "french": Case(
        fixture="french/F-F_Research_Data_Factors.CSV",
        config={
            "kind": "french",
            "path": "F-F_Research_Data_Factors.CSV",
            "columns": {"SMB": "SMB", "RF": "RF"},
        },
        today="2025-06-30",
        edit=("192607,    2.96,   -2.56,", "192607,    2.96,   -2.57,"),
        setting={"lag_days": 1},
        too_early="2024-06-30",
    ),
    "cftc": Case(
        fixture="cftc/FinFutYY_2024_trimmed.txt",
        config={
            "kind": "cftc",
            "paths": ["FinFutYY_2024_trimmed.txt"],
            "contracts": {"239742": "RTY", "209742": "NQ"},
        },
        today="2026-11-25",
        edit=(",  482645,", ",  482646,"),
        setting={"release_lag_days": 4},
        too_early="2024-07-10",
    ),
}


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


def setup(tmp_path: Path, case: Case) -> tuple[Path, Callable[..., LoadContext]]:
    """Copy the fixture into ``tmp_path/data``; return it and a context maker."""
    data = tmp_path / "data"
    data.mkdir()
    target = data / case.name
    target.write_bytes((FIXTURES / case.fixture).read_bytes())

    def context(today: str = case.today, cache: bool = True) -> LoadContext:
        return LoadContext(
            base_dir=data,
            cache_dir=tmp_path / "cache" if cache else None,
            today=pd.Timestamp(today),
        )

    return target, context


def entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / PARSED_DIR).glob("*.npz"))


def split(path: Path) -> tuple[dict[str, object], bytes]:
    data = path.read_bytes()
    newline = data.index(b"\n")
    assert data.startswith(HEADER_PREFIX)
    return json.loads(data[len(HEADER_PREFIX) : newline]), data[newline + 1 :]


def forge(path: Path, row: int, value: float) -> None:
    """Rewrite a cache entry with one value changed and a *matching* checksum."""
    header, body = split(path)
    with np.load(io.BytesIO(body), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["value"] = arrays["value"].copy()
    arrays["value"][row] = value
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    body = buffer.getvalue()
    header = {**header, "sha256": sha256_bytes(body), "bytes": len(body)}
    path.write_bytes(HEADER_PREFIX + json.dumps(header).encode() + b"\n" + body)


def test_cached_table_equals_the_parsed_one(tmp_path: Path, case: Case) -> None:
    _, context = setup(tmp_path, case)
    source = case.source()
    parsed = source.load(context(cache=False))
    assert not (tmp_path / "cache").exists()
    first = source.load(context())  # miss: parses and writes the entry
    assert len(entries(tmp_path)) == 1
    second = source.load(context())  # hit
    assert len(parsed) > 0
    pd.testing.assert_frame_equal(first, parsed)
    pd.testing.assert_frame_equal(second, parsed)
    assert second["series"].dtype == parsed["series"].dtype
    header, body = split(entries(tmp_path)[0])
    assert header["rows"] == len(parsed)
    assert header["sha256"] == sha256_bytes(body)


def test_second_load_reads_the_cache(tmp_path: Path, case: Case) -> None:
    _, context = setup(tmp_path, case)
    source = case.source()
    parsed = source.load(context())
    forge(entries(tmp_path)[0], 0, 12345.5)
    cached = source.load(context())
    assert cached["value"].iloc[0] == 12345.5  # only the cache holds this value
    pd.testing.assert_frame_equal(cached.iloc[1:], parsed.iloc[1:])
    # A later run date still uses the entry: the key does not hold today.
    later = source.load(context(today=str(pd.Timestamp(case.today) + pd.Timedelta(days=40))))
    assert later["value"].iloc[0] == 12345.5


def test_entry_with_a_bad_checksum_is_ignored_and_rewritten(
    tmp_path: Path, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    _, context = setup(tmp_path, case)
    source = case.source()
    parsed = source.load(context())
    path = entries(tmp_path)[0]
    data = bytearray(path.read_bytes())
    data[-40] ^= 0xFF  # one flipped byte in the payload, checksum unchanged
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="regime.data.parsed_cache"):
        again = source.load(context())
    assert "checksum mismatch" in caplog.text
    pd.testing.assert_frame_equal(again, parsed)
    header, body = split(path)
    assert header["sha256"] == sha256_bytes(body)  # rewritten


def test_truncated_entry_is_ignored_and_rewritten(
    tmp_path: Path, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    _, context = setup(tmp_path, case)
    source = case.source()
    parsed = source.load(context())
    path = entries(tmp_path)[0]
    whole = path.read_bytes()
    for cut in (len(whole) // 2, 10, 0):
        path.write_bytes(whole[:cut])
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="regime.data.parsed_cache"):
            again = source.load(context())
        assert "ignoring parsed-file cache" in caplog.text
        pd.testing.assert_frame_equal(again, parsed)
        assert path.read_bytes() == whole  # same table, same entry


def test_editing_one_value_reparses(tmp_path: Path, case: Case) -> None:
    target, context = setup(tmp_path, case)
    source = case.source()
    before = source.load(context())
    old, new = case.edit
    text = target.read_bytes()
    assert text.count(old.encode()) == 1
    target.write_bytes(text.replace(old.encode(), new.encode()))
    after = source.load(context())
    pd.testing.assert_frame_equal(after, source.load(context(cache=False)))
    changed = (before["value"] != after["value"]).to_numpy()
    assert changed.sum() >= 1
    # The entry of the old file is replaced, not kept beside the new one.
    assert len(entries(tmp_path)) == 1
    pd.testing.assert_frame_equal(source.load(context()), after)


def test_changing_a_setting_changes_the_key(tmp_path: Path, case: Case) -> None:
    _, context = setup(tmp_path, case)
    base = case.source().load(context())
    first = entries(tmp_path)
    changed_source = case.source(**case.setting)
    changed = changed_source.load(context())
    second = entries(tmp_path)
    assert len(first) == 1
    assert len(second) == 2
    assert first[0] in second  # another setting is another entry
    assert not changed["known_at"].equals(base["known_at"])
    pd.testing.assert_frame_equal(changed, changed_source.load(context(cache=False)))
    pd.testing.assert_frame_equal(case.source().load(context()), base)


def test_rows_after_today_are_still_refused(tmp_path: Path, case: Case) -> None:
    _, context = setup(tmp_path, case)
    source = case.source()
    source.load(context())
    with pytest.raises(DataFormatError, match="today"):
        source.load(context(today=case.too_early))
    with pytest.raises(DataFormatError, match="today"):
        source.load(context(today=case.too_early, cache=False))


def test_missing_file_is_the_source_error(tmp_path: Path, case: Case) -> None:
    target, context = setup(tmp_path, case)
    target.unlink()
    with pytest.raises(DataError):
        case.source().load(context())
    assert entries(tmp_path) == []


def test_parser_warnings_are_replayed_on_a_hit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    case = Case(
        fixture="french/Portfolios_Formed_on_ME.CSV",
        config={
            "kind": "french",
            "path": "Portfolios_Formed_on_ME.CSV",
            "table": "Number of Firms",
            "columns": {"Lo 30": "SMALL_N"},
        },
        today="2025-06-30",
        edit=("", ""),
        setting={},
        too_early="",
    )
    _, context = setup(tmp_path, case)
    source = case.source()
    messages = []
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="regime"):
            source.load(context())
        messages.append([r.getMessage() for r in caplog.records if r.name.endswith("french")])
    assert messages[0] and messages[0] == messages[1]
    assert "percent" in messages[0][0]
