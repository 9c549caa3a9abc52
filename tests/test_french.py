"""Tests of the Kenneth French data library source (``kind: french``).

The fixtures in ``tests/fixtures/french`` are trimmed from real library files,
byte for byte per kept line (CRLF, padding, titles, copyright):

* ``Portfolios_Formed_on_ME.CSV``: six monthly/annual tables, with the prose
  preamble restored as the library writes it (the public copy had lost it).
* ``F-F_Research_Data_Factors.CSV``: untitled monthly table + annual table, no
  preamble (as in the public copy).
* ``F-F_Research_Data_Factors_daily.CSV``: original daily layout, no preamble,
  no copyright and no final newline (as in the public copy).
* ``Portfolios_Formed_on_ME_Daily_VW_excel.csv``: the Excel re-save (``Date,``
  header, unpadded numbers, ``2-Dec`` column names).

``25_Portfolios_5x5_layout.CSV`` has the layout of the 25 size x BE/ME
portfolios file (header first as in the public copy, padded columns, the
multi-line BE/ME titles, CRLF) with invented values.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from regime.data._base import LoadContext
from regime.data.french import (
    FrenchSource,
    parse_french_csv,
    read_french_file,
)
from regime.data.observations import COLUMNS
from regime.exceptions import DataError, DataFormatError

FIXTURES = Path(__file__).parent / "fixtures" / "french"
ME = "Portfolios_Formed_on_ME.CSV"
FACTORS = "F-F_Research_Data_Factors.CSV"
DAILY = "F-F_Research_Data_Factors_daily.CSV"
EXCEL = "Portfolios_Formed_on_ME_Daily_VW_excel.csv"
TODAY = pd.Timestamp("2025-06-30")


def _context(base: Path = FIXTURES, today: pd.Timestamp = TODAY) -> LoadContext:
    return LoadContext(base_dir=base, today=today)


def _source(path: str, columns: dict[str, str], **kwargs: object) -> FrenchSource:
    return FrenchSource.model_validate(
        {"kind": "french", "path": path, "columns": columns, **kwargs}
    )


def _series(frame: pd.DataFrame, series: str) -> pd.Series:
    rows = frame.loc[frame["series"] == series]
    return pd.Series(rows["value"].to_numpy(), index=pd.DatetimeIndex(rows["date"]))


def _fixture_lines(name: str) -> list[str]:
    return (FIXTURES / name).read_bytes().decode("ascii").split("\r\n")


def _write(tmp_path: Path, lines: list[str], name: str = ME) -> Path:
    target = tmp_path / name
    target.write_bytes("\r\n".join(lines).encode("ascii"))
    return target


def _zip(tmp_path: Path, members: dict[str, bytes], name: str = "Portfolios_Formed_on_ME_CSV.zip"):
    target = tmp_path / name
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return target


# --------------------------------------------------------------------------- fixtures as shipped


def test_fixtures_keep_the_real_layout():
    for name in (ME, FACTORS, DAILY, EXCEL):
        data = (FIXTURES / name).read_bytes()
        assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
        assert data.count(b"\r\n") < 60
    assert not (FIXTURES / DAILY).read_bytes().endswith(b"\r\n")


# --------------------------------------------------------------------------- parser


def test_monthly_multi_table_file_is_split_into_its_six_tables():
    french = read_french_file(FIXTURES / ME)
    assert french.titles() == [
        "Value Weight Returns -- Monthly",
        "Equal Weight Returns -- Monthly",
        "Value Weight Returns -- Annual from January to December",
        "Equal Weight Returns -- Annual from January to December",
        "Number of Firms in Portfolios",
        "Average Firm Size",
    ]
    assert [t.frequency for t in french.tables] == [
        "monthly",
        "monthly",
        "annual",
        "annual",
        "monthly",
        "monthly",
    ]
    assert french.preamble[0] == (
        "This file was created by CMPT_ME_RETS using the 202412 CRSP database.  It contains"
    )
    assert french.preamble[-1] == "Missing data are indicated by -99.99 or -999."
    assert french.copyright == "Copyright 2024 Eugene F. Fama and Kenneth R. French"
    assert french.origin == str(FIXTURES / ME)


def test_monthly_values_dates_and_line_numbers():
    vw = read_french_file(FIXTURES / ME).tables[0]
    assert vw.columns[:4] == ("<= 0", "Lo 30", "Med 40", "Hi 30")
    assert vw.columns[9:11] == ("Lo 10", "Dec 2") and vw.columns[-1] == "Hi 10"
    assert vw.header_line == 13 and vw.lines == (14, 15, 16, 17, 18)
    assert list(vw.data.index) == list(
        pd.to_datetime(["1926-07-31", "1926-08-31", "1926-09-30", "2024-11-30", "2024-12-31"])
    )
    assert vw.data.index.dtype == "datetime64[ns]" and vw.data.index.name == "date"
    assert vw.data.loc["1926-07-31", "Lo 30"] == 0.14
    assert vw.data.loc["1926-07-31", "Hi 10"] == 3.71
    assert vw.data.loc["2024-12-31", "Lo 30"] == -6.67
    assert vw.data["<= 0"].isna().all()


def test_annual_rows_are_dated_december_31():
    annual = read_french_file(FIXTURES / ME).tables[2]
    assert list(annual.data.index) == list(
        pd.to_datetime(["1927-12-31", "1928-12-31", "2024-12-31"])
    )
    assert annual.data.loc["1927-12-31", "Lo 30"] == 36.37


def test_as_dict_keys_tables_by_index_and_title():
    tables = read_french_file(FIXTURES / FACTORS).as_dict()
    assert set(tables) == {"0", "1", "Annual Factors: January-December"}
    assert tables["1"] is tables["Annual Factors: January-December"]
    assert tables["0"].loc["1926-07-31", "SMB"] == -2.56


def test_first_table_without_title_is_named_by_its_frequency():
    french = read_french_file(FIXTURES / FACTORS)
    assert french.preamble == ()
    assert [t.title for t in french.tables] == ["", "Annual Factors: January-December"]
    assert french.titles()[0] == "untitled monthly table"
    assert french.select("monthly").index == 0
    assert french.select("annual").index == 1


def test_daily_original_layout_without_preamble_copyright_or_final_newline():
    french = read_french_file(FIXTURES / DAILY)
    assert french.preamble == () and french.copyright is None
    (table,) = french.tables
    assert table.frequency == "daily" and table.columns == ("Mkt-RF", "SMB", "HML", "RF")
    assert len(table.data) == 14 and table.lines[-1] == 15
    assert table.data.loc["1926-07-01", "RF"] == 0.009
    assert table.data.loc["2024-12-31", "SMB"] == 0.0  # a zero is a value, not a gap
    assert table.data.index[-1] == pd.Timestamp("2024-12-31")


def test_excel_resaved_variant_with_date_header():
    (table,) = read_french_file(FIXTURES / EXCEL).tables
    assert table.frequency == "daily" and table.title == ""
    assert table.columns[:2] == ("<= 0", "Lo 30") and "2-Dec" in table.columns
    assert table.data.loc["1926-07-01", "Lo 30"] == 0.38
    assert table.data.loc["1926-07-06", "Qnt 2"] == 0.0
    assert table.data.loc["2025-05-30", "Hi 10"] == 0.01
    assert table.data["<= 0"].isna().all()


def test_sentinels_minus_999_and_lf_line_endings():
    text = (
        "This file was created using the 202412 CRSP database.\n"
        "\n"
        "  Average Value Weighted Returns -- Daily\n"
        ",Lo 30,Hi 30\n"
        "20241230,  -999,    0.50\n"
        "20241231,  -99.99,  -999.00\n"
    )
    (table,) = parse_french_csv(text, "x.CSV").tables
    assert table.title == "Average Value Weighted Returns -- Daily"
    assert table.data.isna().sum().sum() == 3
    assert table.data.loc["2024-12-30", "Hi 30"] == 0.5


def test_title_may_span_lines_and_later_titles_need_no_indent():
    text = (
        ",A\r\n"
        "192607, 1.00\r\n"
        "\r\n"
        "\r\n"
        "  For portfolios formed in June of year t\r\n"
        "  Value Weight Average of BE/ME Calculated as:\r\n"
        ",A\r\n"
        "192607, 0.50\r\n"
        "\r\n"
        "Annual Factors: January-December\r\n"
        ",A\r\n"
        "1927, 2.00\r\n"
    )
    french = parse_french_csv(text, "x.CSV")
    assert french.titles() == [
        "untitled monthly table",
        "For portfolios formed in June of year t Value Weight Average of BE/ME Calculated as:",
        "Annual Factors: January-December",
    ]
    assert french.select("be/me").index == 1


def test_unindented_text_right_above_the_first_header_is_preamble():
    text = "This file was created using the 202412 CRSP database.\n,Mom\n192607, 0.36\n"
    french = parse_french_csv(text, "x.CSV")
    assert french.preamble == ("This file was created using the 202412 CRSP database.",)
    assert french.tables[0].title == ""


def test_cp1252_and_utf8_bom_are_decoded(tmp_path: Path):
    lines = _fixture_lines(ME)
    lines[1] = "value- and equal-weighted returns \u2013 size portfolios"
    cp1252 = tmp_path / "cp.CSV"
    cp1252.write_bytes("\r\n".join(lines).encode("cp1252"))
    assert read_french_file(cp1252).preamble[1].endswith("\u2013 size portfolios")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / EXCEL).read_bytes())
    assert read_french_file(bom).tables[0].data.loc["1926-07-01", "Lo 30"] == 0.38


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.decimals(min_value=-95, max_value=500, places=2, allow_nan=False),
        min_size=1,
        max_size=30,
    )
)
def test_padded_values_round_trip(values):
    rows = [
        f"{(pd.Timestamp('1990-01-31') + pd.offsets.MonthEnd(i)):%Y%m},{float(v):8.2f}"
        for i, v in enumerate(values)
    ]
    (table,) = parse_french_csv("\r\n".join([",X", *rows]), "x.CSV").tables
    assert table.data["X"].tolist() == [float(v) for v in values]


# --------------------------------------------------------------------------- source


def test_source_loads_monthly_size_portfolios_as_fractions():
    source = _source(ME, {"Lo 30": "SMALL", "Hi 30": "LARGE", "<= 0": "NEG"})
    frame = source.load(_context())
    assert list(frame.columns) == list(COLUMNS)
    assert frame["date"].dtype == "datetime64[ns]" and frame["known_at"].dtype == "datetime64[ns]"
    small = _series(frame, "SMALL")
    assert small.loc["1926-07-31"] == 0.0014
    assert small.loc["2024-12-31"] == -0.0667
    assert _series(frame, "LARGE").loc["1926-07-31"] == 0.0342
    assert "NEG" not in set(frame["series"])  # all -99.99: dropped
    assert (frame["known_at"] == frame["date"]).all()
    assert len(frame) == 10


def test_source_selects_tables_by_title_and_by_index():
    by_title = _source(ME, {"Lo 30": "SMALL"}, table="equal weight returns -- MONTHLY")
    by_index = _source(ME, {"Lo 30": "SMALL"}, table=1)
    first = by_title.load(_context())
    pd.testing.assert_frame_equal(first, by_index.load(_context()))
    assert _series(first, "SMALL").loc["1926-07-31"] == -0.0043
    annual = _source(ME, {"Lo 30": "SMALL"}, table="Value Weight Returns -- Annual").load(
        _context()
    )
    assert _series(annual, "SMALL").loc["1927-12-31"] == 0.3637


def test_source_counts_table_without_percent():
    source = _source(ME, {"Lo 30": "N_SMALL"}, table="Number of Firms", percent=False)
    assert _series(source.load(_context()), "N_SMALL").tolist() == [153.0, 153.0, 2183.0]


def test_percent_on_a_non_percent_table_logs_a_warning(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING, logger="regime.data.french"):
        _source(ME, {"Lo 30": "SIZE"}, table="Average Firm Size").load(_context())
    assert "set percent: false" in caplog.text


def test_source_lag_days_shift_known_at_by_business_days():
    monthly = _source(FACTORS, {"SMB": "SMB"}, lag_days=2).load(_context())
    first = monthly.iloc[0]
    assert first["date"] == pd.Timestamp("1926-07-31")  # a Saturday
    assert first["known_at"] == pd.Timestamp("1926-08-03")
    daily = _source(DAILY, {"Mkt-RF": "MKT"}, lag_days=2).load(_context())
    last = daily.iloc[-1]
    assert last["date"] == pd.Timestamp("2024-12-31")
    assert last["known_at"] == pd.Timestamp("2025-01-02")
    assert last["value"] == -0.0046


def test_source_reads_daily_and_excel_variants():
    daily = _source(DAILY, {"RF": "RF"}).load(_context())
    assert _series(daily, "RF").loc["1926-07-01"] == 0.00009
    excel = _source(EXCEL, {"Lo 30": "SMALL", "2-Dec": "DEC2", "<= 0": "NEG"}).load(_context())
    assert _series(excel, "SMALL").loc["1926-07-01"] == 0.0038
    assert _series(excel, "DEC2").loc["1926-07-01"] == -0.0012
    assert set(excel["series"]) == {"SMALL", "DEC2"}


def test_source_reads_the_csv_out_of_a_zip(tmp_path: Path):
    _zip(tmp_path, {ME: (FIXTURES / ME).read_bytes()})
    zipped = _source("Portfolios_Formed_on_ME_CSV.zip", {"Lo 30": "SMALL"}, table=1)
    plain = _source(ME, {"Lo 30": "SMALL"}, table=1)
    pd.testing.assert_frame_equal(zipped.load(_context(tmp_path)), plain.load(_context(FIXTURES)))
    french = read_french_file(tmp_path / "Portfolios_Formed_on_ME_CSV.zip")
    assert french.origin.endswith("Portfolios_Formed_on_ME_CSV.zip!Portfolios_Formed_on_ME.CSV")
    assert len(french.tables) == 6


def test_source_label_and_absolute_path():
    source = _source(str(FIXTURES / DAILY), {"RF": "RF"})
    assert source.label() == f"french:{DAILY}"
    assert len(source.load(_context(Path("/nonexistent")))) == 14


# --------------------------------------------------------------------------- error paths


def test_missing_file_is_a_data_error_naming_the_path(tmp_path: Path):
    source = _source("nope/Portfolios_Formed_on_ME.CSV", {"Lo 30": "SMALL"})
    with pytest.raises(
        DataError, match=r"nope/Portfolios_Formed_on_ME\.CSV: .*not found; download"
    ):
        source.load(_context(tmp_path))
    with pytest.raises(DataError, match=r"is a directory"):
        read_french_file(tmp_path)


def test_unknown_column_names_column_file_and_available_columns():
    source = _source(ME, {"Lo 30": "SMALL", "Dec 11": "X"})
    with pytest.raises(
        DataError,
        match=r"Portfolios_Formed_on_ME\.CSV: table #0 'Value Weight Returns -- Monthly' "
        r"has no column 'Dec 11'; its columns are \['<= 0', 'Lo 30', .*'Hi 10'\]; fix `columns`",
    ):
        source.load(_context())


def test_excel_renamed_decile_is_unknown_under_its_original_name():
    with pytest.raises(DataError, match=r"no column 'Dec 2'; its columns are .*'2-Dec'"):
        _source(EXCEL, {"Dec 2": "DEC2"}).load(_context())


def test_unknown_table_title_lists_the_tables():
    source = _source(ME, {"Lo 30": "SMALL"}, table="Value Weighted Returns -- Daily")
    with pytest.raises(
        DataError,
        match=r"no table title contains 'Value Weighted Returns -- Daily'; the tables are: "
        r"#0 'Value Weight Returns -- Monthly' \(monthly\), .*#5 'Average Firm Size' \(monthly\)",
    ):
        source.load(_context())


def test_ambiguous_table_title_lists_the_matches():
    with pytest.raises(DataError, match=r"'value weight' matches 2 tables: #0 .*, #2 .*index"):
        _source(ME, {"Lo 30": "SMALL"}, table="value weight").load(_context())


def test_table_index_out_of_range():
    with pytest.raises(DataError, match=r"there is no table #2; the file has 2 table\(s\): #0 "):
        _source(FACTORS, {"SMB": "SMB"}, table=2).load(_context())


def test_row_after_today_is_a_format_error_naming_its_line():
    source = _source(ME, {"Lo 30": "SMALL"})
    with pytest.raises(
        DataFormatError,
        match=r"Portfolios_Formed_on_ME\.CSV:17: row dated 2024-11-30 is after today "
        r"\(2024-11-29\)",
    ):
        source.load(_context(today=pd.Timestamp("2024-11-29")))
    # the last day of the month itself is fine
    assert len(source.load(_context(today=pd.Timestamp("2024-12-31")))) == 5


@pytest.mark.parametrize(
    ("line", "replacement", "message"),
    [
        (15, "192608,  -99.99,    3.19", r":15: row has 3 fields but the header on line 13 has 20"),
        (15, "1926-08," + ",".join(["1.00"] * 19), r":15: column 'date': cannot read '1926-08'"),
        (15, "192613," + ",".join(["1.00"] * 19), r":15: column 'date': '192613' is not a valid"),
        (15, "19260801," + ",".join(["1.00"] * 19), r":15: column 'date': '19260801' is a daily"),
        (15, "192607," + ",".join(["1.00"] * 19), r":15: column 'date': 192607 repeats line 14"),
        (15, "192608," + ",".join(["1.00"] * 18) + ",   n/a", r":15: column 'Hi 10': cannot"),
        (15, "192608,    0.10,      ," + ",".join(["1.00"] * 17), r":15: column 'Lo 30': cannot"),
        (15, "192608,     inf," + ",".join(["1.00"] * 18), r":15: column '<= 0': cannot read"),
        (21, "192612," + ",".join(["1.00"] * 19), r":21: data row with no header line above"),
        (22, ",<= 0,Lo 30,Lo 30," + ",".join(["X"] * 16), r":22: column 'Lo 30' appears twice"),
        (22, ",<= 0,,Med 40," + ",".join(["X"] * 16), r":22: header field 3 is empty"),
    ],
)
def test_malformed_rows_name_file_line_and_column(tmp_path, line, replacement, message):
    lines = _fixture_lines(ME)
    lines[line - 1] = replacement
    path = _write(tmp_path, lines)
    with pytest.raises(DataFormatError, match=rf"^{path}" + message):
        _source(str(path), {"Lo 30": "SMALL"}).load(_context())


def test_malformed_row_inside_a_zip_is_named_by_archive_and_member(tmp_path: Path):
    lines = _fixture_lines(ME)
    lines[14] = "192608,  -99.99,    3.19"
    _zip(tmp_path, {ME: "\r\n".join(lines).encode("ascii")})
    with pytest.raises(DataFormatError, match=r"_CSV\.zip!Portfolios_Formed_on_ME\.CSV:15: row"):
        _source("Portfolios_Formed_on_ME_CSV.zip", {"Lo 30": "S"}).load(_context(tmp_path))


def test_header_without_rows_and_file_without_tables():
    with pytest.raises(DataFormatError, match=r"^x\.CSV:2: table header with no data rows"):
        parse_french_csv("title\n,A,B\n\nCopyright 2024\n", "x.CSV")
    with pytest.raises(DataFormatError, match=r"^x\.CSV: no table found"):
        parse_french_csv("just prose\n\nno header here\n", "x.CSV")
    with pytest.raises(DataFormatError, match=r"^x\.CSV: no table found"):
        parse_french_csv("", "x.CSV")


def test_bad_zips(tmp_path: Path):
    _zip(tmp_path, {"a.CSV": b",A\r\n192607,1\r\n", "b.csv": b",A\r\n192607,1\r\n"}, "two.zip")
    with pytest.raises(DataFormatError, match=r"two\.zip: the zip should hold exactly one CSV"):
        read_french_file(tmp_path / "two.zip")
    broken = tmp_path / "broken_CSV.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataFormatError, match=r"broken_CSV\.zip: not a readable zip"):
        read_french_file(broken)


def test_single_non_csv_member_zip_is_read(tmp_path: Path):
    _zip(tmp_path, {"data.txt": (FIXTURES / FACTORS).read_bytes()}, "odd.zip")
    assert read_french_file(tmp_path / "odd.zip").tables[1].frequency == "annual"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"columns": {}}, "at least one French column"),
        ({"columns": {"Lo 30": "X", "Hi 30": "X"}}, "given to both 'Lo 30' and 'Hi 30'"),
        ({"columns": {" ": "X"}}, "empty column name"),
        ({"lag_days": -1}, "greater than or equal to 0"),
        ({"table": -1}, "table index must be 0 or more"),
        ({"table": "  "}, "table title must not be empty"),
        ({"path": ""}, "at least 1 character"),
        ({"kind": "fred"}, "Input should be 'french'"),
        ({"url": "http://x"}, "Extra inputs are not permitted"),
    ],
)
def test_config_validation(override, message):
    config = {"kind": "french", "path": ME, "columns": {"Lo 30": "SMALL"}, **override}
    with pytest.raises(ValidationError, match=message):
        FrenchSource.model_validate(config)


FIVE_BY_FIVE = "25_Portfolios_5x5_layout.CSV"
SMALL_ROW = ["SMALL LoBM", "ME1 BM2", "ME1 BM3", "ME1 BM4", "SMALL HiBM"]
BIG_ROW = ["BIG LoBM", "ME5 BM2", "ME5 BM3", "ME5 BM4", "BIG HiBM"]


def _size_rows(**kwargs: object) -> FrenchSource:
    return FrenchSource.model_validate(
        {
            "kind": "french",
            "path": FIVE_BY_FIVE,
            "table": "Average of BE/ME",
            "groups": {"SMALL_BEME": SMALL_ROW, "LARGE_BEME": BIG_ROW},
            "weight_tables": ["Number of Firms", "Average Market Cap"],
            "percent": False,
            **kwargs,
        }
    )


def test_groups_are_market_value_weighted_averages_of_their_cells():
    frame = _size_rows(lag_days=45).load(_context())
    file = read_french_file(FIXTURES / FIVE_BY_FIVE)
    beme, firms, cap = (
        file.select(t).data for t in ("Average of BE/ME", "Number of Firms", "Average Market Cap")
    )
    for series, row in (("SMALL_BEME", SMALL_ROW), ("LARGE_BEME", BIG_ROW)):
        weight = firms[row] * cap[row]
        expected = (beme[row] * weight).sum(axis=1) / weight.sum(axis=1)
        got = _series(frame, series)
        assert got.loc["1926-07-31"] == pytest.approx(expected.loc["1926-07-31"], rel=1e-12)
        assert got.loc["1926-08-31"] == pytest.approx(expected.loc["1926-08-31"], rel=1e-12)
    # ME5 BM4 is -99.99 in September: the big row is missing then, not averaged over four cells
    assert "1926-09-30" not in _series(frame, "LARGE_BEME").index
    assert "1926-09-30" in _series(frame, "SMALL_BEME").index
    assert set(frame["known_at"] - frame["date"]) >= {pd.Timedelta(days=63)}  # 45 business days


def test_groups_and_columns_mix_and_a_single_cell_group_is_that_cell():
    frame = _size_rows(columns={"ME1 BM3": "CELL"}, groups={"ONE": ["ME1 BM3"]}).load(_context())
    pd.testing.assert_series_equal(_series(frame, "ONE"), _series(frame, "CELL"))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"weight_tables": []}, "groups needs weight_tables"),
        ({"groups": {"SMALL_BEME": []}}, "at least one column"),
        ({"columns": {"ME1 BM3": "SMALL_BEME"}}, "in both columns and groups"),
    ],
)
def test_group_config_errors(override, message):
    with pytest.raises(ValidationError, match=message):
        _size_rows(**override)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"groups": {"X": ["ME1 BM9"]}}, "has no column 'ME1 BM9'.*fix `groups`"),
        ({"weight_tables": ["Average Market Cap", "Average of BE/ME"]}, "is the table"),
        ({"weight_tables": ["Average Firm Size"]}, "no table title contains 'Average Firm Size'"),
    ],
)
def test_group_data_errors_name_the_file_and_what_to_fix(override, message):
    with pytest.raises(DataError, match=message):
        _size_rows(**override).load(_context())


def test_config_defaults():
    source = _source(ME, {" Lo 30 ": "SMALL"})
    assert (source.table, source.percent, source.lag_days) == (0, True, 0)
    assert source.columns == {"Lo 30": "SMALL"}
    assert np.isfinite(source.load(_context())["value"]).all()
