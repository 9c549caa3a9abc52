"""`regime data check`: gaps on trading days and staleness per series, on hand-made tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from regime.calendar import trading_days
from regime.data.check import check_table, count_gaps, format_table, longest_run
from regime.data.observations import make_observations

TODAY = pd.Timestamp("2024-12-31")
# 2024-01-02..2024-06-28 holds MLK day, Presidents' Day, Good Friday (03-29),
# Memorial Day and Juneteenth.
DAYS = trading_days("2024-01-02", "2024-06-28")
HOLE = trading_days("2024-03-04", "2024-03-22")  # three weeks, 15 trading days
BEFORE_HOLE, AFTER_HOLE = pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-25")


def _daily(series: str, days: pd.DatetimeIndex, lag_days: int = 0) -> pd.DataFrame:
    """One observation per day, known ``lag_days`` calendar days later."""
    return make_observations(
        series, days, np.arange(len(days), dtype=float), days + pd.Timedelta(days=lag_days)
    )


def _row(table: pd.DataFrame, series: str) -> pd.Series:
    (row,) = table.loc[table["series"] == series].to_dict("records")
    return pd.Series(row)


def _check(
    frame: pd.DataFrame, max_age: dict[str, int] | None = None, today: pd.Timestamp = TODAY
) -> pd.DataFrame:
    table, _ = check_table([("hand", frame)], max_age or {}, today)
    return table


# -- gaps ----------------------------------------------------------------------


def test_daily_series_over_good_friday_and_long_weekends_has_no_gap():
    assert pd.Timestamp("2024-03-29") not in DAYS and pd.Timestamp("2024-05-27") not in DAYS
    assert count_gaps(DAYS) == 0
    row = _row(_check(_daily("X", DAYS)), "X")
    assert row["gaps"] == 0
    # A long weekend (4 calendar days) stays within the inferred 5-day maximum age.
    assert (row["max_age"], row["stale_share"], row["longest_stale"]) == ("5*", 0.0, "-")


def test_daily_series_missing_single_trading_days_counts_each_run():
    missing = pd.DatetimeIndex(["2024-02-06", "2024-04-10", "2024-04-11"])
    assert count_gaps(DAYS.difference(missing)) == 2


def test_daily_observations_on_holidays_count_on_the_session_before():
    # Business days (FRED style): holidays are dated but are no trading days.
    assert count_gaps(pd.bdate_range("2024-01-02", "2024-06-28")) == 0


def test_weekly_series_counts_gaps_in_trading_days():
    fridays = pd.date_range("2023-01-06", "2024-12-27", freq="W-FRI")
    # Good Friday: released on the Thursday before instead (4 trading days after).
    weekly = fridays.map(
        lambda d: d - pd.Timedelta(days=1) if d == pd.Timestamp("2024-03-29") else d
    )
    assert count_gaps(pd.DatetimeIndex(weekly)) == 0
    holed = fridays[(fridays < "2024-03-01") | (fridays > "2024-03-22")]
    assert count_gaps(holed) == 1


def test_monthly_series_has_no_gap_and_a_missing_quarter_is_one():
    months = pd.date_range("2020-01-31", "2024-12-31", freq="ME")
    assert count_gaps(months) == 0
    assert count_gaps(months.delete([20, 21, 22])) == 1


# -- staleness -----------------------------------------------------------------


def _stale_stretch(max_age: int) -> pd.DatetimeIndex:
    """Trading days in the hole on which the newest observation is older than max_age."""
    return trading_days(
        BEFORE_HOLE + pd.Timedelta(days=max_age + 1), AFTER_HOLE - pd.Timedelta(days=1)
    )


def test_three_week_hole_is_one_gap_and_the_longest_stale_stretch():
    frame = _daily("X", DAYS.difference(HOLE))
    row = _row(_check(frame), "X")
    assert row["gaps"] == 1
    assert row["max_age"] == "5*"  # ceil(1.5 x 1 day) + 0 lag + 3
    stretch = _stale_stretch(5)
    assert (stretch[0], stretch[-1]) == (pd.Timestamp("2024-03-07"), pd.Timestamp("2024-03-22"))
    assert row["longest_stale"] == f"{len(stretch)} days (2024-03-07..2024-03-22)"
    assert len(stretch) == len(HOLE) - 3  # the hole minus the 3 trading days within max_age
    assert row["stale_share"] == len(stretch) / len(DAYS)
    assert row["stale"] == "no"


def _stale_by_hand(dates: pd.DatetimeIndex, lag_days: int, max_age: int, span) -> int:
    """Days of ``span`` whose newest known date (``date + lag_days <= day``) is too old."""
    lag = pd.Timedelta(days=lag_days)
    return sum(day - dates[dates + lag <= day].max() > pd.Timedelta(days=max_age) for day in span)


def test_stale_share_matches_a_hand_count_from_the_first_known_day():
    # X is known 2 days after its date, so its span starts after the panel's first day.
    dates = DAYS.difference(HOLE)
    frame = pd.concat([_daily("X", dates, lag_days=2), _daily("Y", DAYS)])
    row = _row(_check(frame), "X")
    assert row["max_age"] == "7*"  # ceil(1.5 x 1 day) + 2 days lag + 3
    # from the first known_at to the session on or after the last (a Sunday, 06-30)
    span = trading_days("2024-01-04", "2024-07-01")
    stale = _stale_by_hand(dates, 2, 7, span)
    assert stale == len(trading_days("2024-03-11", "2024-03-26"))  # until 03-25 is known
    assert row["stale_share"] == stale / len(span)
    assert row["longest_stale"] == f"{stale} days (2024-03-11..2024-03-26)"


def test_configured_max_age_is_used_over_the_inferred_one():
    frame = pd.concat([_daily("X", DAYS.difference(HOLE)), _daily("Y", DAYS.difference(HOLE))])
    table = _check(frame, max_age={"X": 10})
    configured, inferred = _row(table, "X"), _row(table, "Y")
    assert (configured["max_age"], inferred["max_age"]) == ("10", "5*")
    stretch = _stale_stretch(10)
    assert stretch[0] == pd.Timestamp("2024-03-12")
    assert configured["longest_stale"] == f"{len(stretch)} days (2024-03-12..2024-03-22)"
    assert configured["stale_share"] == len(stretch) / len(DAYS)
    assert inferred["stale_share"] == len(_stale_stretch(5)) / len(DAYS)


def test_the_panel_ends_today_when_rows_are_known_later():
    frame = _daily("X", DAYS.difference(HOLE))
    row = _row(_check(frame, today=pd.Timestamp("2024-03-15")), "X")
    assert row["stale"] == "yes"
    assert row["longest_stale"] == "7 days (2024-03-07..2024-03-15)"
    assert row["age_days"] == (pd.Timestamp("2024-03-15") - DAYS[-1]).days  # all rows, as before


def test_longest_run_takes_the_first_of_equal_runs():
    flags = pd.Series([False, True, True, False, True, True], index=DAYS[:6])
    assert longest_run(flags) == (2, DAYS[1], DAYS[2])
    assert longest_run(flags & False) is None


def test_format_table_prints_percentages_and_footnotes():
    table, panel = check_table([("hand", _daily("X", DAYS.difference(HOLE)))], {}, TODAY)
    text = format_table(table, panel, TODAY)
    header = text.splitlines()[0].split()
    assert header[-4:] == ["max_age", "stale_share", "longest_stale", "stale"]
    assert f"{12 / len(DAYS):.1%}" in text and "5*" in text
    assert "* max_age inferred" in text
    assert (
        "to 2024-06-28; age_days and stale are on 2024-06-28 (the first session by which "
        "everything was known; today is 2024-12-31)" in text
    )
    assert _row(table, "X")["age_days"] == 0  # on the day stale is judged, not today


def test_a_value_known_on_a_holiday_is_judged_on_the_next_session():
    days = trading_days("2024-06-03", "2024-07-03")
    table, panel = check_table([("hand", _daily("X", days, lag_days=1))], {}, TODAY)
    assert _row(table, "X")["last_known_at"] == "2024-07-04"  # Independence Day
    assert panel.calendar[-1] == pd.Timestamp("2024-07-05")
    assert _row(table, "X")["age_days"] == 2  # 07-03's value, known by then


def test_a_series_from_two_sources_is_counted_once_in_the_panel():
    table, panel = check_table([("a", _daily("X", DAYS)), ("b", _daily("X", DAYS[:10]))], {}, TODAY)
    assert list(table["source"]) == ["a", "b"]
    assert list(table["max_age"]) == ["5*", "-"]
    assert panel is not None and len(panel.rows("X")) == len(DAYS)


# -- CLI -----------------------------------------------------------------------


def test_cli_data_check_shows_the_staleness_columns(run_cli, small_config_path: Path):
    proc = run_cli("data", "check", "--config", small_config_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = lines[0].split()
    for column in ("gaps", "age_days", "max_age", "stale_share", "longest_stale", "stale"):
        assert column in header, column
    smalls = [line for line in lines if line.split()[:1] == ["SMALL_TR"]]
    assert len(smalls) == 1 and "%" in smalls[0]
    assert any(line.startswith("* max_age inferred") for line in lines)


def test_cli_data_check_reports_every_broken_input_in_one_pass(run_cli, tmp_path: Path):
    (tmp_path / "flows.csv").write_text("date,SMALL_ETF_FLOW\n2024-01-02,1.0\n")
    config = tmp_path / "broken.yaml"
    config.write_text(
        """
name: broken
data:
  sources:
    - {kind: sample, seed: 1, start: 2020-01-02, end: 2021-12-31}
    - {kind: csv, path: missing_file.csv, lag_days: 1}
    - {kind: french, path: also_missing.CSV, table: 0, columns: {"Lo 30": SMALL_X}}
    - {kind: csv, path: flows.csv, lag_days: 1}
target: {small: SMALL_TR, large: LARGE_TR, horizon_days: 21}
features:
  - builder: macro.level
    params: {series: NOT_ANYWHERE}
"""
    )
    proc = run_cli("data", "check", "--config", config)
    assert proc.returncode == 3, proc.stderr
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
    assert "data.sources[1]" in line and "missing_file.csv" in line
    assert "data.sources[2]" in line and "also_missing.CSV" in line
    assert (
        "'NOT_ANYWHERE' needed by the config is in no source that loaded; add a source that "
        "provides it or mend the source that failed above" in line
    )
    assert "comes from both" in line  # SMALL_ETF_FLOW: the sample and flows.csv
    assert "SMALL_TR" in proc.stdout  # the sources that loaded are still tabled
    listed = proc.stdout.split("4 problems:\n", 1)[1].splitlines()  # each in full, one a line
    assert len(listed) == 4 and all(line.startswith("  - ") for line in listed), proc.stdout
    assert listed[0].startswith("  - data.sources[1] (") and "missing_file.csv" in listed[0]


def test_a_spliced_predecessor_is_needed_until_its_successor(small_config_text: str):
    from regime.config import parse_config
    from regime.data._base import LoadContext
    from regime.data.check import check_sources

    config = parse_config(small_config_text, "small")  # cuts_delivered: DFEDTARU after DFEDTAR
    text, problems, _ = check_sources(config, LoadContext())
    rows = {line.split()[0]: line for line in text.splitlines()[1:] if line.strip()}
    assert rows["DFEDTAR"].endswith("until DFEDTARU") and rows["DFEDTARU"].endswith("yes")
    assert problems == []
