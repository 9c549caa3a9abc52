"""Tests of the CFTC Commitments of Traders source (``regime.data.cftc``).

Fixtures in ``tests/fixtures/cftc``:

``FinFutYY_2024_trimmed.txt``
    Eleven lines cut unchanged (header, quoting, padding, CRLF) from the CFTC's
    ``FinFutYY.txt`` Traders in Financial Futures file of 2024: CANADIAN DOLLAR
    090741 (2 weeks), NASDAQ-100 Consolidated 20974+ (1), NASDAQ MINI 209742 (3)
    and RUSSELL E-MINI 239742 (2024-07-02 to 2024-07-23, 4 weeks).
``TFF_extract_trimmed.csv``
    Six lines of the same report as rewritten by Python's csv writer (no
    quotes): E-MINI RUSSELL 2000 INDEX 239742 on 2021-01-05 and 2021-01-12,
    E-MINI S&P 500 13874A, and RUSSELL E-MINI 239742 on 2024-07-16 and
    2024-07-23, identical to the rows of the file above (for the dedupe).
``legacy_annual_synthetic.txt``
    No real legacy file was available, so this one is written from the CFTC's
    documented legacy futures-only column names (the 129-column ``annual.txt``
    header: "Market and Exchange Names", "As of Date in Form YYMMDD", ...,
    "Open Interest (All)", "Noncommercial Positions-Long (All)", ..., including
    the header's leading blank in " Total Reportable Positions-Long (All)"),
    laid out like the CFTC text files (quoted names, space-padded numbers,
    CRLF). Its position numbers are synthetic but internally consistent
    (reportable + nonreportable = open interest).

The expected numbers below are computed by hand from those rows.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from regime.data._base import LoadContext
from regime.data.cftc import CftcSource, detect_report, read_cot_file
from regime.exceptions import DataError, DataFormatError, MissingSeriesError

FIXTURES = Path(__file__).parent / "fixtures" / "cftc"
TFF_TXT = "FinFutYY_2024_trimmed.txt"
TFF_CSV = "TFF_extract_trimmed.csv"
LEGACY = "legacy_annual_synthetic.txt"
TODAY = pd.Timestamp("2026-11-25")


def context(base: Path = FIXTURES, today: pd.Timestamp = TODAY) -> LoadContext:
    return LoadContext(base_dir=base, today=today)


def source(**overrides: object) -> CftcSource:
    config: dict[str, object] = {
        "kind": "cftc",
        "paths": [TFF_TXT],
        "contracts": {"239742": "RTY", "209742": "NQ"},
    }
    config.update(overrides)
    return CftcSource.model_validate(config)


def value(frame: pd.DataFrame, series: str, date: str) -> float:
    row = frame.loc[(frame["series"] == series) & (frame["date"] == pd.Timestamp(date))]
    assert len(row) == 1, (series, date, len(row))
    return float(row["value"].iloc[0])


def edit_field(text: str, line: int, column: str, new: str) -> str:
    """Replace one field of one line (1-based), keeping everything else byte-exact."""
    lines = text.split("\r\n")
    header = next(csv.reader([lines[0]]))
    index = [name.strip() for name in header].index(column)
    pieces = lines[line - 1].split(",")
    assert len(pieces) == len(header), "edit_field needs a line without quoted commas"
    pieces[index] = new
    lines[line - 1] = ",".join(pieces)
    return "\r\n".join(lines)


def copy_fixture(tmp_path: Path, name: str, text: str | None = None) -> Path:
    target = tmp_path / name
    target.write_bytes((FIXTURES / name).read_bytes() if text is None else text.encode("utf-8"))
    return target


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode("utf-8")


def assert_one_line(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    assert "\n" not in str(excinfo.value)


# --------------------------------------------------------------------------- parser


def test_fixtures_keep_the_cftc_format() -> None:
    raw = (FIXTURES / TFF_TXT).read_bytes()
    assert raw.startswith(b'"Market_and_Exchange_Names","As_of_Date_In_Form_YYMMDD",')
    assert raw.count(b"\r\n") == 11
    assert b'"RUSSELL E-MINI - CHICAGO MERCANTILE EXCHANGE",240723,2024-07-23,239742,CME ,' in raw
    header = next(csv.reader(io.StringIO(raw.decode())))
    assert len(header) == 87
    legacy = next(csv.reader(io.StringIO(fixture_text(LEGACY))))
    assert len(legacy) == 129 and " Total Reportable Positions-Long (All)" in legacy


def test_read_tff_original_keeps_codes_as_strings_and_strips_padding() -> None:
    frame = read_cot_file(FIXTURES / TFF_TXT)
    assert frame.attrs["report"] == "tff"
    assert list(frame["code"]) == ["090741"] * 2 + ["20974+"] + ["209742"] * 3 + ["239742"] * 4
    assert frame["market"].iloc[0] == "CANADIAN DOLLAR - CHICAGO MERCANTILE EXCHANGE"
    assert list(frame["line"]) == list(range(2, 12))
    russell = frame.loc[frame["line"] == 8].iloc[0]
    assert russell["report_date"] == pd.Timestamp("2024-07-23")
    assert russell["market"] == "RUSSELL E-MINI - CHICAGO MERCANTILE EXCHANGE"
    expected = {
        "open_interest": 482645,
        "dealer_long": 84904,
        "dealer_short": 102077,
        "asset_mgr_long": 226066,
        "asset_mgr_short": 139313,
        "lev_money_long": 62244,
        "lev_money_short": 125962,
    }
    assert {k: int(russell[k]) for k in expected} == expected
    assert frame["report_date"].dtype == "datetime64[ns]"
    assert frame["open_interest"].dtype == "int64"


def test_read_csv_writer_variant_matches_original_rows() -> None:
    original = read_cot_file(FIXTURES / TFF_TXT)
    rewritten = read_cot_file(FIXTURES / TFF_CSV)
    assert rewritten.attrs["report"] == "tff"
    assert list(rewritten["code"]) == ["239742", "239742", "13874A", "239742", "239742"]
    values = ["report_date", "code", "market", "open_interest", "lev_money_long"]
    a = original.loc[original["code"] == "239742", values].head(2)
    recent = (rewritten["code"] == "239742") & (rewritten["report_date"] >= "2024-07-16")
    b = rewritten.loc[recent, values].iloc[::-1]
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_read_legacy_layout() -> None:
    frame = read_cot_file(FIXTURES / LEGACY)
    assert frame.attrs["report"] == "legacy"
    row = frame.loc[(frame["code"] == "239742") & (frame["report_date"] == "2024-07-23")]
    assert int(row.iloc[0]["open_interest"]) == 482645
    assert row.iloc[0][["noncomm_long", "noncomm_short"]].tolist() == [130250, 141000]
    assert row.iloc[0][["comm_long", "comm_short"]].tolist() == [310400, 309000]
    assert "lev_money_long" not in frame.columns


def test_read_text_and_bytes() -> None:
    text = fixture_text(TFF_TXT)
    from_text = read_cot_file(text, "inline")
    from_bytes = read_cot_file(text.encode())
    assert from_text.attrs["origin"] == "inline"
    assert from_bytes.attrs["origin"] == "<bytes>"
    pd.testing.assert_frame_equal(
        from_text.drop(columns="origin"), from_bytes.drop(columns="origin")
    )


def test_us_style_report_dates_of_the_2006_2016_history() -> None:
    text = edit_field(fixture_text(TFF_TXT), 8, "Report_Date_as_YYYY-MM-DD", "07/23/2024")
    text = edit_field(text, 9, "Report_Date_as_YYYY-MM-DD", "7/16/2024 12:00:00 AM")
    frame = read_cot_file(text, "us.txt")
    assert frame["report_date"].iloc[6:8].tolist() == [
        pd.Timestamp("2024-07-23"),
        pd.Timestamp("2024-07-16"),
    ]


def test_detect_report() -> None:
    assert detect_report(["Lev_Money_Positions_Long_All"]) == "tff"
    assert detect_report(["Noncommercial Positions-Long (All)"]) == "legacy"
    assert detect_report(["M_Money_Positions_Long_All"]) is None


def test_read_zip_made_like_the_cftc(tmp_path: Path) -> None:
    archive = tmp_path / "fut_fin_txt_2024.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("FinFutYY.txt", (FIXTURES / TFF_TXT).read_bytes())
    frame = read_cot_file(archive)
    assert frame.attrs["origin"].endswith("fut_fin_txt_2024.zip[FinFutYY.txt]")
    plain = read_cot_file(FIXTURES / TFF_TXT)
    pd.testing.assert_frame_equal(frame.drop(columns="origin"), plain.drop(columns="origin"))
    loaded = source(paths=[str(archive)], contracts={"239742": "RTY"}).load(context(tmp_path))
    assert value(loaded, "RTY_LEV_NET", "2024-07-23") == 62244 - 125962


def test_zip_with_two_files_is_rejected(tmp_path: Path) -> None:
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "x")
        z.writestr("b.txt", "y")
    with pytest.raises(DataFormatError, match=r"two\.zip: zip archive must hold exactly one") as e:
        read_cot_file(archive)
    assert_one_line(e)


# --------------------------------------------------------------------------- source


def test_tff_series_exact_values_and_friday_known_at() -> None:
    frame = source().load(context())
    assert set(frame["series"]) == {
        f"{p}_{s}"
        for p in ("RTY", "NQ")
        for s in ("LEV_NET", "LEV_NET_OI", "AM_NET", "AM_NET_OI", "OI")
    }
    # RUSSELL E-MINI 239742, 2024-07-23: lev 62244 - 125962, am 226066 - 139313, OI 482645.
    assert value(frame, "RTY_LEV_NET", "2024-07-23") == -63718
    assert value(frame, "RTY_LEV_NET_OI", "2024-07-23") == pytest.approx(-63718 / 482645)
    assert value(frame, "RTY_AM_NET", "2024-07-23") == 86753
    assert value(frame, "RTY_AM_NET_OI", "2024-07-23") == pytest.approx(86753 / 482645)
    assert value(frame, "RTY_OI", "2024-07-23") == 482645
    # 2024-07-02: lev 56661 - 145678, am 181806 - 153174.
    assert value(frame, "RTY_LEV_NET", "2024-07-02") == -89017
    assert value(frame, "RTY_AM_NET", "2024-07-02") == 28632
    # NASDAQ MINI 209742, 2024-07-16: lev 39874 - 82573 over OI 256571.
    assert value(frame, "NQ_LEV_NET", "2024-07-16") == -42699
    assert value(frame, "NQ_LEV_NET_OI", "2024-07-16") == pytest.approx(-42699 / 256571)
    # Tuesday report dates, released the Friday after.
    assert (frame["date"].dt.day_of_week == 1).all()
    assert (frame["known_at"].dt.day_of_week == 4).all()
    assert ((frame["known_at"] - frame["date"]) == pd.Timedelta(days=3)).all()
    assert frame.loc[frame["date"] == "2024-07-23", "known_at"].unique().tolist() == [
        pd.Timestamp("2024-07-26")
    ]
    assert frame["date"].is_monotonic_increasing
    assert list(frame.columns) == ["series", "date", "value", "known_at"]


def test_code_selection_is_exact() -> None:
    nq = source(contracts={"209742": "NQ"}).load(context())
    assert len(nq.loc[nq["series"] == "NQ_OI"]) == 3  # not the 20974+ consolidated row
    assert value(nq, "NQ_OI", "2024-07-23") == 243913
    consolidated = source(contracts={"20974+": "NQC", "090741": "CAD"}).load(context())
    assert value(consolidated, "NQC_OI", "2024-07-23") == 252187
    assert value(consolidated, "CAD_LEV_NET", "2024-07-16") == 15994 - 87584
    assert set(consolidated["series"].str.split("_").str[0]) == {"NQC", "CAD"}


def test_legacy_series() -> None:
    frame = source(paths=[LEGACY], report="legacy", contracts={"239742": "RTY"}).load(context())
    assert set(frame["series"]) == {"RTY_NONCOMM_NET", "RTY_NONCOMM_NET_OI", "RTY_OI"}
    assert value(frame, "RTY_NONCOMM_NET", "2024-07-23") == 130250 - 141000
    assert value(frame, "RTY_NONCOMM_NET_OI", "2024-07-16") == pytest.approx(-30000 / 488061)
    assert value(frame, "RTY_OI", "2024-07-09") == 447956
    assert frame["date"].tolist() == sorted(frame["date"])
    assert (frame["known_at"] == frame["date"] + pd.Timedelta(days=3)).all()


def test_dedupe_identical_rows_across_files() -> None:
    frame = source(paths=[TFF_TXT, TFF_CSV], contracts={"239742": "RTY"}).load(context())
    oi = frame.loc[frame["series"] == "RTY_OI"]
    assert oi["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2021-01-05",
        "2021-01-12",
        "2024-07-02",
        "2024-07-09",
        "2024-07-16",
        "2024-07-23",
    ]
    # 2021-01-12 only in the csv file: lev 74761 - 129920.
    assert value(frame, "RTY_LEV_NET", "2021-01-12") == -55159
    assert value(frame, "RTY_LEV_NET", "2024-07-16") == 85333 - 121376
    same_file_twice = source(paths=[TFF_TXT, TFF_TXT]).load(context())
    pd.testing.assert_frame_equal(same_file_twice, source().load(context()))


def test_conflicting_duplicate_is_an_error(tmp_path: Path) -> None:
    copy_fixture(tmp_path, TFF_TXT)
    # Line 6 of the csv fixture is RUSSELL E-MINI 2024-07-23; change its leveraged long.
    changed = edit_field(fixture_text(TFF_CSV), 6, "Lev_Money_Positions_Long_All", "   62245")
    copy_fixture(tmp_path, TFF_CSV, changed)
    with pytest.raises(
        DataFormatError,
        match=r"FinFutYY_2024_trimmed\.txt:8 and .*TFF_extract_trimmed\.csv:6: contract 239742 "
        r"on 2024-07-23 has lev_money_long 62244 in one file and 62245 in the other",
    ) as e:
        source(paths=[TFF_TXT, TFF_CSV]).load(context(tmp_path))
    assert_one_line(e)


def test_release_calendar_and_lag() -> None:
    # The report of 2024-07-02 came out on Monday 2024-07-08 (Independence Day week).
    frame = source(release_calendar={"2024-07-02": "2024-07-08"}).load(context())
    known = frame.groupby("date")["known_at"].unique()
    assert known[pd.Timestamp("2024-07-02")].tolist() == [pd.Timestamp("2024-07-08")]
    assert known[pd.Timestamp("2024-07-09")].tolist() == [pd.Timestamp("2024-07-12")]
    same_day = source(release_lag_days=0).load(context())
    assert (same_day["known_at"] == same_day["date"]).all()


def test_zero_open_interest_gives_no_share(tmp_path: Path) -> None:
    text = edit_field(fixture_text(TFF_TXT), 8, "Open_Interest_All", "       0")
    copy_fixture(tmp_path, TFF_TXT, text)
    frame = source(contracts={"239742": "RTY"}).load(context(tmp_path))
    assert np.isfinite(frame["value"]).all()
    assert not ((frame["series"] == "RTY_LEV_NET_OI") & (frame["date"] == "2024-07-23")).any()
    assert value(frame, "RTY_LEV_NET", "2024-07-23") == -63718


def test_label() -> None:
    assert source(paths=[TFF_TXT, TFF_CSV, LEGACY]).label() == (
        f"cftc tff ({TFF_TXT}, {TFF_CSV}, +1 more)"
    )


# --------------------------------------------------------------------------- errors


def test_missing_contract_names_code_files_and_available_codes() -> None:
    with pytest.raises(
        MissingSeriesError,
        match=r"contract code '90741' \(CAD\) is in none of the CFTC files .*FinFutYY_2024_trimmed"
        r"\.txt; codes there include 090741 \(CANADIAN DOLLAR - CHICAGO MERCANTILE EXCHANGE\)",
    ) as e:
        source(contracts={"90741": "CAD"}).load(context())
    assert "209742 (NASDAQ MINI" in str(e.value)
    assert_one_line(e)


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"FinFut2019\.txt: CFTC COT file not found") as e:
        source(paths=["FinFut2019.txt"]).load(context(tmp_path))
    assert not isinstance(e.value, DataFormatError)
    assert_one_line(e)
    with pytest.raises(DataError, match="not found"):
        read_cot_file(tmp_path / "nope.txt")


def test_malformed_number_names_file_line_and_column(tmp_path: Path) -> None:
    text = edit_field(fixture_text(TFF_TXT), 9, "Lev_Money_Positions_Short_All", "    125x")
    copy_fixture(tmp_path, TFF_TXT, text)
    with pytest.raises(
        DataFormatError,
        match=r"FinFutYY_2024_trimmed\.txt:9: column Lev_Money_Positions_Short_All holds '125x', "
        r"not a whole number",
    ) as e:
        source().load(context(tmp_path))
    assert_one_line(e)


def test_malformed_date_and_disagreeing_yymmdd() -> None:
    text = edit_field(fixture_text(TFF_TXT), 5, "Report_Date_as_YYYY-MM-DD", "2024-13-01")
    with pytest.raises(
        DataFormatError, match=r"t\.txt:5: column Report_Date_as_YYYY-MM-DD holds '2024-13-01'"
    ):
        read_cot_file(text, "t.txt")
    text = edit_field(fixture_text(TFF_TXT), 5, "Report_Date_as_YYYY-MM-DD", "2024-07-24")
    with pytest.raises(
        DataFormatError,
        match=r"t\.txt:5: column As_of_Date_In_Form_YYMMDD holds '240723', which disagrees",
    ):
        read_cot_file(text, "t.txt")


def test_row_after_today_is_rejected() -> None:
    with pytest.raises(
        DataFormatError,
        match=r"FinFutYY_2024_trimmed\.txt:2: contract 090741 has report date 2024-07-23, "
        r"after today 2024-07-20",
    ) as e:
        source().load(context(today=pd.Timestamp("2024-07-20")))
    assert_one_line(e)


def test_report_mismatch() -> None:
    with pytest.raises(
        DataFormatError, match=r"legacy_annual_synthetic\.txt:1: this is a legacy COT file"
    ):
        source(paths=[LEGACY]).load(context())


def test_unknown_header_empty_file_and_short_row(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"d\.txt:1: header is neither"):
        read_cot_file('"Market_and_Exchange_Names","M_Money_Positions_Long_All"\r\n', "d.txt")
    with pytest.raises(DataFormatError, match=r"e\.txt:1: empty file"):
        read_cot_file(b"", "e.txt")
    lines = fixture_text(TFF_TXT).split("\r\n")
    lines[3] = lines[3].rsplit(",", 5)[0]
    with pytest.raises(DataFormatError, match=r"s\.txt:4: 82 fields, the header has 87"):
        read_cot_file("\r\n".join(lines), "s.txt")
    header_only = fixture_text(TFF_TXT).split("\r\n")[0]
    lacking = header_only.replace('"Open_Interest_All",', "")
    with pytest.raises(DataFormatError, match=r"h\.txt:1: tff COT header lacks column 'Open_Int"):
        read_cot_file(lacking + "\r\n", "h.txt")


def test_header_only_file_holds_no_contract(tmp_path: Path) -> None:
    header = fixture_text(TFF_TXT).split("\r\n")[0]
    copy_fixture(tmp_path, TFF_TXT, header + "\r\n")
    assert len(read_cot_file(tmp_path / TFF_TXT)) == 0
    with pytest.raises(MissingSeriesError, match="codes there include none"):
        source().load(context(tmp_path))


def test_config_validation() -> None:
    with pytest.raises(ValidationError, match="must be a quoted string"):
        source(contracts={239742: "RTY"})
    with pytest.raises(ValidationError, match="not a CFTC contract market code"):
        source(contracts={"2397 42": "RTY"})
    with pytest.raises(ValidationError, match="before its report date"):
        source(release_calendar={"2024-07-02": "2024-07-01"})
    with pytest.raises(ValidationError):
        source(release_lag_days=-1)
    with pytest.raises(ValidationError):
        source(paths=[])
    with pytest.raises(ValidationError):
        source(extra_field=1)


def test_codes_sharing_a_prefix_splice_one_history_by_open_interest(tmp_path: Path):
    """Two exchanges' Russell contracts: the liquid one gives the values on shared dates."""
    lines = (FIXTURES / "FinFutYY_2024_trimmed.txt").read_text().splitlines()
    russell = [line for line in lines if ",239742," in line]
    moved = []
    for line in russell:
        fields = line.split(",")
        fields[0] = '"RUSSELL 2000 MINI - ICE FUTURES U.S."'
        fields[3] = "23977A"
        fields[7] = "   10000"  # a thin contract: open interest far below the CME one
        moved.append(",".join(fields))
    early = russell[-1].split(",")  # one report date only the old exchange covers
    early[0], early[1], early[2], early[3] = (
        '"RUSSELL 2000 MINI - ICE FUTURES U.S."',
        "231226",
        "2023-12-26",
        "23977A",
    )
    path = tmp_path / "spliced.txt"
    path.write_text("\n".join([lines[0], *russell, *moved, ",".join(early)]) + "\n")
    source = CftcSource(
        kind="cftc", paths=[str(path)], contracts={"239742": "RTY", "23977A": "RTY"}
    )
    obs = source.load(LoadContext(base_dir=tmp_path))
    oi = obs.loc[obs["series"] == "RTY_OI"].set_index("date")["value"]
    assert not oi.index.duplicated().any()
    assert oi[pd.Timestamp("2024-07-23")] == 482645  # the CME contract wins
    assert pd.Timestamp("2023-12-26") in oi.index  # the ICE-only date extends the history


def test_a_pattern_reads_every_file_it_matches_like_listing_them(tmp_path: Path):
    """``paths: [fut_fin_txt_*.zip]``: the yearly CFTC downloads, read in name order."""
    lines = (FIXTURES / TFF_TXT).read_text().splitlines()
    header, rows = lines[0], lines[1:]
    for year, part in (("2023", rows[:5]), ("2024", rows[5:])):
        with zipfile.ZipFile(tmp_path / f"fut_fin_txt_{year}.zip", "w") as archive:
            archive.writestr("FinFutYY.txt", "\n".join([header, *part]) + "\n")
    (tmp_path / "notes.txt").write_text("not a COT file\n")
    listed = source(paths=["fut_fin_txt_2023.zip", "fut_fin_txt_2024.zip"])
    pattern = source(paths=["fut_fin_txt_*.zip"])
    expected = source().load(context())
    pd.testing.assert_frame_equal(listed.load(context(tmp_path)), expected)
    pd.testing.assert_frame_equal(pattern.load(context(tmp_path)), expected)
    with pytest.raises(DataError, match=r"no CFTC COT file matches .*'fut_fin_txt_19\*\.zip'"):
        source(paths=["fut_fin_txt_19*.zip"]).load(context(tmp_path))
