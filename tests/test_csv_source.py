"""Tests of the vendor CSV source (``kind: csv``)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from short_configs import SHORT_MODEL, SHORT_TARGET_AND_FEATURES

from regime.data._base import LoadContext
from regime.data.csv_source import CsvSource
from regime.data.observations import COLUMNS
from regime.exceptions import ConfigError, DataError, DataFormatError

FIXTURES = Path(__file__).parent / "fixtures" / "csv"
TEMPLATES = Path(__file__).resolve().parents[1] / "configs" / "templates"
TODAY = pd.Timestamp("2024-06-28")


def context(base: Path, today: pd.Timestamp = TODAY) -> LoadContext:
    """A load context rooted at ``base``."""
    return LoadContext(base_dir=base, today=today)


def source(path: str, **fields: object) -> CsvSource:
    """A csv source config as the config loader would build it."""
    return CsvSource.model_validate({"kind": "csv", "path": path, **fields})


def load_text(
    tmp_path: Path,
    text: str,
    name: str = "data.csv",
    lag_days: int | dict[str, int] | None = 0,
    **fields: object,
) -> pd.DataFrame:
    """Write ``text`` to ``tmp_path/name`` and load it (``lag_days`` 0 unless given;
    None leaves it unset)."""
    (tmp_path / name).write_text(text, encoding="utf-8", newline="")
    return source(name, lag_days=lag_days, **fields).load(context(tmp_path))


def rows(frame: pd.DataFrame, series: str) -> list[tuple[str, float, str]]:
    """(date, value, known_at) of one series, as ISO strings and floats."""
    part = frame.loc[frame["series"] == series]
    return [
        (f"{d:%Y-%m-%d}", float(v), f"{k:%Y-%m-%d}")
        for d, v, k in zip(part["date"], part["value"], part["known_at"], strict=True)
    ]


def error_pattern(file: str, line: int | None, column: str | None) -> str:
    """Regex for the ``FILE:LINE: column COL:`` error prefix."""
    where = re.escape(file) + ("" if line is None else f":{line}")
    return where + ":" + ("" if column is None else f" column {re.escape(column)}:")


# -- happy paths ---------------------------------------------------------------


def test_wide_exact_values_missing_tokens_and_thousands() -> None:
    frame = source("wide_flows.csv", lag_days=0).load(context(FIXTURES))
    assert list(frame.columns) == list(COLUMNS)
    assert str(frame["date"].dtype) == "datetime64[ns]"
    assert str(frame["known_at"].dtype) == "datetime64[ns]"
    assert frame["value"].dtype == np.float64
    assert sorted(frame["series"].unique()) == [
        "LARGE_ETF_FLOW",
        "SMALL_ETF_AUM",
        "SMALL_ETF_FLOW",
    ]
    assert rows(frame, "SMALL_ETF_FLOW") == [
        ("2024-01-02", -412000000.0, "2024-01-02"),
        ("2024-01-03", 185500000.0, "2024-01-03"),
    ]
    assert rows(frame, "SMALL_ETF_AUM") == [
        ("2024-01-02", 63850000000.0, "2024-01-02"),
        ("2024-01-04", 64300000000.5, "2024-01-04"),
    ]
    assert rows(frame, "LARGE_ETF_FLOW") == [
        ("2024-01-02", 1.25e9, "2024-01-02"),
        ("2024-01-03", -730000000.0, "2024-01-03"),
        ("2024-01-05", 2015000000.0, "2024-01-05"),
    ]
    sorted_frame = frame.sort_values(["series", "date", "known_at"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(frame, sorted_frame)


def test_wide_per_series_lag_dict_with_default() -> None:
    lags = {"default": 1, "LARGE_ETF_FLOW": 0, "SMALL_ETF_AUM": 3}
    frame = source("wide_flows.csv", lag_days=lags).load(context(FIXTURES))
    # 2024-01-05 is a Friday: +1 business day is Monday 2024-01-08.
    assert [k for _, _, k in rows(frame, "SMALL_ETF_FLOW")] == ["2024-01-03", "2024-01-04"]
    assert [k for _, _, k in rows(frame, "SMALL_ETF_AUM")] == ["2024-01-05", "2024-01-09"]
    assert [k for _, _, k in rows(frame, "LARGE_ETF_FLOW")] == [
        "2024-01-02",
        "2024-01-03",
        "2024-01-05",
    ]


def test_wide_lag_int_crosses_weekend(tmp_path: Path) -> None:
    frame = load_text(tmp_path, "date,A\n2024-01-05,1\n", lag_days=1)
    assert rows(frame, "A") == [("2024-01-05", 1.0, "2024-01-08")]


def test_wide_series_mapping_selects_and_renames(tmp_path: Path) -> None:
    text = "date,iwm_flow,spy_flow,junk\n2024-01-02,1.5,2.5,not a number\n"
    frame = load_text(tmp_path, text, series={"iwm_flow": "SMALL_ETF_FLOW"})
    assert rows(frame, "SMALL_ETF_FLOW") == [("2024-01-02", 1.5, "2024-01-02")]
    assert set(frame["series"]) == {"SMALL_ETF_FLOW"}


FRED_MD = (  # FRED-MD's layout: a header, a row of transformation codes, then the months
    "sasdate,RPI,AAA,BAA\n"
    "Transform:,5,2,2\n"
    "1/1/1959,2583.56,4.12,4.87\n"
    "2/1/1959,2593.596,4.14,4.85\n"
)


def test_skip_rows_drops_fred_md_transform_codes(tmp_path: Path) -> None:
    frame = load_text(
        tmp_path,
        FRED_MD,
        date_column="sasdate",
        date_format="%m/%d/%Y",
        skip_rows=1,
        series={"AAA": "AAA", "BAA": "BAA"},
    )
    assert rows(frame, "BAA") == [
        ("1959-01-01", 4.87, "1959-01-01"),
        ("1959-02-01", 4.85, "1959-02-01"),
    ]
    with pytest.raises(DataFormatError, match=r"csv:2: column sasdate: 'Transform:' does not"):
        load_text(tmp_path, FRED_MD, date_column="sasdate", date_format="%m/%d/%Y")
    with pytest.raises(DataFormatError, match="skip_rows: 5 skips every one of the file's 3"):
        load_text(tmp_path, FRED_MD, date_column="sasdate", date_format="%m/%d/%Y", skip_rows=5)


def test_scale_multiplies_per_series(tmp_path: Path) -> None:
    frame = load_text(tmp_path, "date,A,B\n2024-01-02,250,3\n", scale={"A": 0.01})
    assert rows(frame, "A") == [("2024-01-02", 250 * 0.01, "2024-01-02")]
    assert rows(frame, "B") == [("2024-01-02", 3.0, "2024-01-02")]


def test_date_format_and_renamed_date_column() -> None:
    cfg = source(
        "wide_us_dates.csv",
        date_column="Trade Date",
        date_format="%m/%d/%Y",
        series={"Russell 2000 Fwd PE": "SMALL_FWD_PE", "S&P 500 Fwd PE": "LARGE_FWD_PE"},
        lag_days=0,
    )
    frame = cfg.load(context(FIXTURES))
    assert rows(frame, "SMALL_FWD_PE") == [
        ("2024-01-31", 24.8, "2024-01-31"),
        ("2024-02-29", 25.1, "2024-02-29"),
        ("2024-03-28", 25.6, "2024-03-28"),
    ]
    assert [v for _, v, _ in rows(frame, "LARGE_FWD_PE")] == [20.9, 21.3, 21.0]


def test_utf8_bom_and_crlf() -> None:
    assert (FIXTURES / "wide_bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    frame = source("wide_bom.csv", lag_days=0).load(context(FIXTURES))
    assert rows(frame, "SMALL_FWD_PE") == [
        ("2024-01-02", 24.5, "2024-01-02"),
        ("2024-01-03", 24.75, "2024-01-03"),
    ]


def test_wide_descending_dates_are_sorted(tmp_path: Path) -> None:
    frame = load_text(tmp_path, "date,A\n2024-01-03,2\n2024-01-02,1\n")
    assert rows(frame, "A") == [
        ("2024-01-02", 1.0, "2024-01-02"),
        ("2024-01-03", 2.0, "2024-01-03"),
    ]


def test_long_exact_values_known_at_and_lag() -> None:
    cfg = source(
        "long_revisions.csv",
        layout="long",
        lag_days={"default": 3},
        scale={"SMALL_REV_BREADTH": 0.01},
    )
    frame = cfg.load(context(FIXTURES))
    assert list(frame.columns) == list(COLUMNS)
    assert rows(frame, "LARGE_REV_BREADTH") == [
        ("2024-01-31", 0.042, "2024-02-05"),  # explicit known_at
        ("2024-02-29", 0.018, "2024-03-05"),  # empty known_at: date + 3 business days
        ("2024-02-29", 0.021, "2024-03-15"),  # a later vintage of the same date
    ]
    assert rows(frame, "SMALL_REV_BREADTH") == [
        ("2024-01-31", -12.5 * 0.01, "2024-02-05"),
        ("2024-03-28", -8.7 * 0.01, "2024-03-28"),  # NA row dropped
    ]


def test_long_series_mapping_filters_and_renames(tmp_path: Path) -> None:
    text = "series,date,value\nR2K,2024-01-02,1\nSPX,2024-01-02,2\nOTHER,bad date,x\n"
    frame = load_text(tmp_path, text, layout="long", series={"R2K": "SMALL_FWD_PE"})
    assert rows(frame, "SMALL_FWD_PE") == [("2024-01-02", 1.0, "2024-01-02")]
    assert set(frame["series"]) == {"SMALL_FWD_PE"}


def test_long_without_known_at_column(tmp_path: Path) -> None:
    text = "date,value,series\n2024-01-02,1,A\n2024-01-03,2,A\n2024-01-02,5,B\n"
    frame = load_text(tmp_path, text, layout="long", lag_days={"A": 0, "B": 2})
    assert rows(frame, "A") == [
        ("2024-01-02", 1.0, "2024-01-02"),
        ("2024-01-03", 2.0, "2024-01-03"),
    ]
    assert rows(frame, "B") == [("2024-01-02", 5.0, "2024-01-04")]


def test_blank_lines_do_not_shift_line_numbers(tmp_path: Path) -> None:
    text = "date,A\n\n2024-01-02,1\n\n2024-01-03,oops\n"
    with pytest.raises(DataFormatError, match=error_pattern("data.csv", 5, "A")):
        load_text(tmp_path, text)


def test_row_on_today_is_accepted(tmp_path: Path) -> None:
    frame = load_text(tmp_path, f"date,A\n{TODAY:%Y-%m-%d},1\n")
    assert len(frame) == 1


def test_label_is_file_name() -> None:
    assert source("some/dir/etf_flows.csv", lag_days=1).label() == "etf_flows.csv"


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("etf_flows.csv", {"lag_days": 0}),
        ("forward_pe.csv", {"lag_days": 1}),
        ("revisions.csv", {"layout": "long", "lag_days": 2}),
    ],
)
def test_templates_load(name: str, fields: dict[str, object]) -> None:
    frame = source(name, **fields).load(context(TEMPLATES, pd.Timestamp("2030-01-01")))
    assert len(frame) > 0
    assert list(frame.columns) == list(COLUMNS)


def test_template_series_and_ranges() -> None:
    ctx = context(TEMPLATES, pd.Timestamp("2030-01-01"))
    flows = source("etf_flows.csv", lag_days=1).load(ctx)
    assert set(flows["series"]) == {
        "SMALL_ETF_FLOW",
        "SMALL_ETF_AUM",
        "LARGE_ETF_FLOW",
        "LARGE_ETF_AUM",
    }
    pe = source("forward_pe.csv", lag_days=1).load(ctx)
    assert set(pe["series"]) == {"SMALL_FWD_PE", "LARGE_FWD_PE"}
    revisions = source("revisions.csv", layout="long", lag_days=5).load(ctx)
    assert set(revisions["series"]) == {
        "SMALL_REV_BREADTH",
        "LARGE_REV_BREADTH",
        "MEGACAP_REV_BREADTH",
        "LARGE_EX_TOP10_REV_BREADTH",
    }
    assert revisions["value"].between(-1, 1).all()


# -- errors --------------------------------------------------------------------


def test_missing_file_names_path(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=re.escape(str(tmp_path / "nope.csv"))) as info:
        source("nope.csv", lag_days=0).load(context(tmp_path))
    assert "file not found" in str(info.value)


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(DataError, match=r"dir\.csv: cannot read the file"):
        source("dir.csv", lag_days=0).load(context(tmp_path))


@pytest.mark.parametrize(
    ("text", "fields", "line", "column", "detail"),
    [
        pytest.param("", {}, 1, None, "the file is empty", id="empty"),
        pytest.param("\ufeff\n\n", {}, 1, None, "the file is empty", id="bom-only"),
        pytest.param("date,A\n", {}, 2, None, "no data rows", id="header-only"),
        pytest.param(
            "Date,A\n2024-01-02,1\n", {}, 1, "date", "closest is 'Date'", id="missing-date-col"
        ),
        pytest.param(
            "day,SMALL_FWD_PE\n2024-01-02,1\n",
            {"date_column": "dates"},
            1,
            "dates",
            "closest is 'day'",
            id="missing-custom-date-col",
        ),
        pytest.param(
            "date,SMALL_FWD_PE\n2024-01-02,1\n",
            {"series": {"SMALL_PE": "S"}},
            1,
            "SMALL_PE",
            "closest is 'SMALL_FWD_PE'",
            id="missing-series-col",
        ),
        pytest.param(
            "date;A\n2024-01-02;1\n", {}, 1, "date", "separated by ';'", id="semicolon-file"
        ),
        pytest.param(
            "date,A\n2024-01-02,1\n2024-01-03,2\n2024-01-02,3\n",
            {},
            4,
            "date",
            "2024-01-02 already appears on line 2",
            id="duplicate-date-wide",
        ),
        pytest.param(
            "date,A\n2024-01-02,1\n2024/01/03,2\n",
            {},
            3,
            "date",
            "'2024/01/03' is not a YYYY-MM-DD date",
            id="bad-iso-date",
        ),
        pytest.param(
            "date,A\n2024-02-30,1\n", {}, 2, "date", "not a valid calendar date", id="feb-30"
        ),
        pytest.param(
            "date,A\n2024-01-02 00:00:00,1\n", {}, 2, "date", "YYYY-MM-DD", id="datetime-cell"
        ),
        pytest.param(
            "date,A\n01/02/2024,1\n2024-01-03,2\n",
            {"date_format": "%m/%d/%Y"},
            3,
            "date",
            "does not match date_format",
            id="bad-custom-date",
        ),
        pytest.param("date,A\n,1\n", {}, 2, "date", "empty date", id="empty-date"),
        pytest.param(
            "date,A,B\n2024-01-02,1,2\n2024-01-03,1,abc\n",
            {},
            3,
            "B",
            "'abc' is not a number",
            id="non-numeric",
        ),
        pytest.param(
            'date,A\n2024-01-02,"1,23"\n', {}, 2, "A", "thousands separators", id="bad-grouping"
        ),
        pytest.param("date,A\n2024-01-02,5%\n", {}, 2, "A", "scale", id="percent-sign"),
        pytest.param("date,A\n2024-01-02,inf\n", {}, 2, "A", "not a number", id="inf"),
        pytest.param("date,A\n2024-01-02,1e999\n", {}, 2, "A", "float range", id="overflow"),
        pytest.param("date,A\n2024-01-02,1_000\n", {}, 2, "A", "not a number", id="underscore"),
        pytest.param(
            "date,A\n2024-01-02,1e300\n",
            {"scale": {"A": 1e10}},
            2,
            "A",
            "overflows",
            id="scale-overflow",
        ),
        pytest.param(
            "date,A\n2024-06-28,1\n2024-07-01,2\n",
            {},
            3,
            "date",
            r"date 2024-07-01 is after today \(2024-06-28\)",
            id="future-wide",
        ),
        pytest.param(
            "date,A\n2024-01-02,1,234.5\n", {}, 2, None, "row has 3 fields", id="ragged-row"
        ),
        pytest.param(
            'date,A\n2024-01-02,"1\n', {}, 2, None, "malformed CSV", id="unterminated-quote"
        ),
        pytest.param("date,A,A\n2024-01-02,1,2\n", {}, 1, "A", "appears twice", id="dup-header"),
        pytest.param("date,A,\n2024-01-02,1,7\n", {}, 2, "#3", "names no column", id="no-name"),
        pytest.param(
            "series,date,value\nA,2024-01-02,1\n", {}, 1, "series", "layout: long", id="is-long"
        ),
        pytest.param("date\n2024-01-02\n", {}, 1, None, "no column besides", id="no-series"),
    ],
)
def test_wide_errors(
    tmp_path: Path,
    text: str,
    fields: dict[str, object],
    line: int,
    column: str | None,
    detail: str,
) -> None:
    with pytest.raises(DataFormatError, match=error_pattern("data.csv", line, column)) as info:
        load_text(tmp_path, text, **fields)
    message = str(info.value)
    assert re.search(detail, message), message
    assert "\n" not in message
    assert "; " in message  # every error says what to do


@pytest.mark.parametrize(
    ("text", "fields", "line", "column", "detail"),
    [
        pytest.param(
            "series,date,val\nA,2024-01-02,1\n",
            {},
            1,
            "value",
            "closest is 'val'",
            id="missing-value-col",
        ),
        pytest.param("date,A\n2024-01-02,1\n", {}, 1, "series", "layout: wide", id="is-wide"),
        pytest.param(
            "series,date,value,knwon_at\nA,2024-01-02,1,\n",
            {},
            1,
            "knwon_at",
            "closest is 'known_at'",
            id="unknown-col",
        ),
        pytest.param(
            "series,date,value\nA,2024-01-02,1\nB,2024-01-02,1\nA,2024-01-02,2\n",
            {},
            4,
            "date",
            "series 'A' date 2024-01-02 already appears on line 2",
            id="duplicate",
        ),
        pytest.param(
            "series,date,value,known_at\nA,2024-01-02,1,2024-01-05\nA,2024-01-02,2,2024-01-05\n",
            {},
            3,
            "date",
            "known_at 2024-01-05 already appears on line 2",
            id="duplicate-vintage",
        ),
        pytest.param(
            "series,date,value,known_at\nA,2024-01-02,1,2024-01-03\nA,2024-01-02,2,\n",
            {"lag_days": 1},
            3,
            "date",
            "already appears on line 2",
            id="duplicate-vintage-via-lag",
        ),
        pytest.param(
            "series,date,value\nA,2024-01-03,1\nB,2024-01-01,1\nA,2024-01-02,2\n",
            {},
            4,
            "date",
            "2024-01-02 comes after 2024-01-03 on line 2",
            id="unsorted",
        ),
        pytest.param(
            "series,date,value,known_at\nA,2024-01-05,1,2024-01-04\n",
            {},
            2,
            "known_at",
            "known_at 2024-01-04 is before the date 2024-01-05",
            id="known-before-date",
        ),
        pytest.param(
            "series,date,value,known_at\nA,2024-01-05,1,2024-07-01\n",
            {},
            2,
            "known_at",
            "after today",
            id="known-after-today",
        ),
        pytest.param(
            "series,date,value,known_at\nA,2024-01-05,1,soon\n",
            {},
            2,
            "known_at",
            "'soon' is not a YYYY-MM-DD date",
            id="bad-known-at",
        ),
        pytest.param(
            "series,date,value\nA,2024-07-01,1\n",
            {},
            2,
            "date",
            "date 2024-07-01 is after today",
            id="future-long",
        ),
        pytest.param(
            "series,date,value\n,2024-01-02,1\n", {}, 2, "series", "empty series id", id="no-id"
        ),
        pytest.param(
            "series,date,value\nA,2024-01-02,1\nA,2024-01-03,#VALUE!\n",
            {},
            3,
            "value",
            "'#VALUE!' is not a number",
            id="non-numeric",
        ),
        pytest.param(
            "series,date,value\nSMALL_REV,2024-01-02,1\n",
            {"series": {"SMALL_REV_BREADTH": "S"}},
            None,
            "series",
            "no rows for series 'SMALL_REV_BREADTH' \\(closest is 'SMALL_REV'\\)",
            id="mapped-series-absent",
        ),
    ],
)
def test_long_errors(
    tmp_path: Path,
    text: str,
    fields: dict[str, object],
    line: int | None,
    column: str,
    detail: str,
) -> None:
    with pytest.raises(DataFormatError, match=error_pattern("rev.csv", line, column)) as info:
        load_text(tmp_path, text, name="rev.csv", layout="long", **fields)
    message = str(info.value)
    assert re.search(detail, message), message
    assert "\n" not in message


def test_not_utf8_names_line(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_bytes(b"date,A\n2024-01-02,1\n2024-01-03,\xe9\n")
    with pytest.raises(DataFormatError, match=r"data\.csv:3: byte 0xe9 is not UTF-8"):
        source("data.csv", lag_days=0).load(context(tmp_path))


def test_lag_key_for_absent_series_is_config_error(tmp_path: Path) -> None:
    pattern = r"data\.csv: lag_days names series 'SMALL_FLOW'.*'SMALL_ETF_FLOW'"
    with pytest.raises(ConfigError, match=pattern):
        load_text(tmp_path, "date,SMALL_ETF_FLOW\n2024-01-02,1\n", lag_days={"SMALL_FLOW": 1})
    with pytest.raises(ConfigError, match=r"data\.csv: scale names series 'C'"):
        load_text(tmp_path, "series,date,value\nA,2024-01-02,1\n", layout="long", scale={"C": 2})


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"kind": "fred"}, "kind"),
        ({"layout": "tall"}, "layout"),
        ({"path": " "}, "path must not be empty"),
        ({"date_column": ""}, "date_column"),
        ({"date_format": "%Y"}, "year, month and day"),
        ({"date_format": "%Q-%m"}, "not a usable strptime format"),
        ({"series": {}}, "at least one"),
        ({"series": {"a": "X", "b": "X"}}, "same id"),
        ({"series": {"date": "X"}}, "date column"),
        ({"lag_days": -1}, ">= 0"),
        ({"lag_days": {"default": -2}}, ">= 0"),
        ({"scale": {"A": 0.0}}, "non-zero"),
        ({"series": {"a": "A"}, "lag_days": {"B": 1}}, "lag_days names series 'B'"),
        ({"series": {"a": "A"}, "scale": {"B": 1.0}}, "scale names series 'B'"),
        ({"layout": "long", "date_column": "value"}, "clashes"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_config_validation(fields: dict[str, object], detail: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(detail)):
        CsvSource.model_validate({"kind": "csv", "path": "x.csv", **fields})


# -- publication lag: no default -------------------------------------------------

LONG_MIXED = (
    "series,date,value,known_at\n"
    "A,2024-01-02,1,2024-01-04\n"
    "A,2024-01-03,2,2024-01-05\n"
    "B,2024-01-02,5,2024-01-03\n"
    "B,2024-01-03,6,\n"
)


def test_explicit_zero_lag_is_allowed(tmp_path: Path) -> None:
    frame = load_text(tmp_path, "date,A\n2024-01-05,1\n", lag_days=0)
    assert rows(frame, "A") == [("2024-01-05", 1.0, "2024-01-05")]


def test_wide_without_lag_is_a_config_error_naming_the_source() -> None:
    with pytest.raises(ValidationError) as info:
        source("vendor/etf_flows.csv")
    message = str(info.value)
    assert "vendor/etf_flows.csv: a wide file has no known_at and lag_days is not set" in message
    assert "set lag_days" in message


def test_wide_with_series_mapping_names_the_series_without_lag() -> None:
    mapping = {"iwm": "SMALL_ETF_FLOW", "spy": "LARGE_ETF_FLOW"}
    with pytest.raises(ValidationError, match=r"series SMALL_ETF_FLOW, LARGE_ETF_FLOW have no"):
        source("flows.csv", series=mapping)
    pattern = r"flows\.csv: series SMALL_ETF_FLOW has no known_at and no lag_days; set lag_days"
    with pytest.raises(ValidationError, match=pattern):
        source("flows.csv", series=mapping, lag_days={"LARGE_ETF_FLOW": 1})
    assert source("flows.csv", series=mapping, lag_days={"default": 0}).lag_days == {"default": 0}


def test_wide_lag_dict_without_default_missing_a_column(tmp_path: Path) -> None:
    text = "date,SMALL_ETF_FLOW,LARGE_ETF_FLOW\n2024-01-02,1,2\n"
    pattern = (
        re.escape(str(tmp_path / "data.csv"))
        + r": series LARGE_ETF_FLOW has no known_at and no lag_days; set lag_days"
    )
    with pytest.raises(ConfigError, match=pattern) as info:
        load_text(tmp_path, text, lag_days={"SMALL_ETF_FLOW": 1})
    assert "\n" not in str(info.value)


def test_long_with_known_at_on_every_row_needs_no_lag(tmp_path: Path) -> None:
    text = LONG_MIXED.replace("B,2024-01-03,6,\n", "B,2024-01-03,6,2024-01-04\n")
    frame = load_text(tmp_path, text, layout="long", lag_days=None)
    assert rows(frame, "A") == [
        ("2024-01-02", 1.0, "2024-01-04"),
        ("2024-01-03", 2.0, "2024-01-05"),
    ]
    assert rows(frame, "B") == [
        ("2024-01-02", 5.0, "2024-01-03"),
        ("2024-01-03", 6.0, "2024-01-04"),
    ]


def test_long_row_without_known_at_and_without_value_needs_no_lag(tmp_path: Path) -> None:
    text = LONG_MIXED.replace("B,2024-01-03,6,\n", "B,2024-01-03,NA,\n")
    frame = load_text(tmp_path, text, layout="long", lag_days=None)
    assert rows(frame, "B") == [("2024-01-02", 5.0, "2024-01-03")]


def test_long_rows_without_known_at_and_no_lag_name_the_series(tmp_path: Path) -> None:
    pattern = (
        re.escape(str(tmp_path / "rev.csv"))
        + r": series B \(line 5\) has no known_at and no lag_days; set lag_days"
    )
    with pytest.raises(ConfigError, match=pattern) as info:
        load_text(tmp_path, LONG_MIXED, name="rev.csv", layout="long", lag_days=None)
    message = str(info.value)
    assert "\n" not in message and "A" not in message.split(": ", 1)[1].split(";")[0]


def test_long_without_known_at_column_and_no_lag(tmp_path: Path) -> None:
    text = "series,date,value\nA,2024-01-02,1\nB,2024-01-02,2\n"
    with pytest.raises(ConfigError, match=r"series A \(line 2\), B \(line 3\) have no known_at"):
        load_text(tmp_path, text, layout="long", lag_days=None)


def test_long_lag_dict_without_default_missing_a_series(tmp_path: Path) -> None:
    text = "series,date,value\nA,2024-01-02,1\nB,2024-01-02,2\n"
    with pytest.raises(ConfigError, match=r"series B \(line 3\) has no known_at and no lag_days"):
        load_text(tmp_path, text, layout="long", lag_days={"A": 1})
    frame = load_text(tmp_path, LONG_MIXED, layout="long", lag_days={"B": 2})
    assert rows(frame, "B")[-1] == ("2024-01-03", 6.0, "2024-01-05")
    mapped = {"B": "SMALL_REV_BREADTH"}
    with pytest.raises(ConfigError, match=r"series SMALL_REV_BREADTH \(line 5\) has no"):
        load_text(tmp_path, LONG_MIXED, layout="long", series=mapped, lag_days=None)


def _cli_config(tmp_path: Path, csv_entry: str) -> Path:
    """A config with the sample source and one csv source, written to tmp_path."""
    config = tmp_path / "cfg.yaml"
    config.write_text(
        "name: lagcheck\n"
        "data:\n"
        "  sources:\n"
        "    - {kind: sample, seed: 5, start: 2012-01-02, end: 2013-12-31}\n"
        f"    - {csv_entry}\n" + SHORT_TARGET_AND_FEATURES + SHORT_MODEL,
        encoding="utf-8",
    )
    return config


def test_cli_long_csv_without_lag_exits_2_naming_the_series(tmp_path: Path, run_cli) -> None:
    (tmp_path / "extra.csv").write_text(
        LONG_MIXED.replace("A,", "EXTRA_A,").replace("B,", "EXTRA_B,"), encoding="utf-8"
    )
    config = _cli_config(tmp_path, "{kind: csv, path: extra.csv, layout: long}")
    proc = run_cli("data", "check", "--config", config, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert "extra.csv: series EXTRA_B (line 5) has no known_at and no lag_days" in errors[0]
    assert "set lag_days" in errors[0] and "EXTRA_A" not in errors[0]


def test_cli_wide_csv_without_lag_exits_2_at_config_load(tmp_path: Path, run_cli) -> None:
    config = _cli_config(tmp_path, "{kind: csv, path: etf_flows.csv}")
    proc = run_cli("data", "check", "--config", config, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert "cfg.yaml:5: data.sources[1]" in errors[0]
    assert "etf_flows.csv: a wide file has no known_at and lag_days is not set" in errors[0]


# -- property ------------------------------------------------------------------

BDAYS = pd.bdate_range("2000-01-03", periods=2000)


@st.composite
def wide_frames(draw: st.DrawFn) -> tuple[pd.DatetimeIndex, list[list[float]]]:
    """Sorted unique business dates and a row of finite floats per date."""
    n_series = draw(st.integers(min_value=1, max_value=3))
    positions = draw(st.lists(st.integers(0, len(BDAYS) - 1), min_size=1, max_size=40, unique=True))
    dates = BDAYS[sorted(positions)]
    floats = st.floats(allow_nan=False, allow_infinity=False)
    row = st.lists(floats, min_size=n_series, max_size=n_series)
    values = draw(st.lists(row, min_size=len(dates), max_size=len(dates)))
    return dates, values


@settings(max_examples=60, deadline=None)
@given(wide_frames())
def test_wide_round_trip(frame: tuple[pd.DatetimeIndex, list[list[float]]]) -> None:
    dates, values = frame
    names = [f"S{j}" for j in range(len(values[0]))]
    lines = [",".join(["date", *names])]
    lines += [
        ",".join([f"{d:%Y-%m-%d}", *(repr(v) for v in row)])
        for d, row in zip(dates, values, strict=True)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "wide.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        loaded = source("wide.csv", lag_days=0).load(context(Path(tmp), pd.Timestamp("2030-01-01")))
    for j, name in enumerate(names):
        part = loaded.loc[loaded["series"] == name]
        assert list(part["date"]) == list(dates)
        assert list(part["known_at"]) == list(dates)
        got = [repr(v) for v in part["value"]]
        assert got == [repr(float(row[j])) for row in values]
