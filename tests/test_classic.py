"""``kind: classic``: real US monthly history from ``arch.data``, read offline."""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from regime.calendar import is_trading_day, trading_day_on_or_before
from regime.config import load_config
from regime.data._base import LoadContext
from regime.data.classic import CLASSIC_SERIES, ClassicSource, french_months
from regime.data.observations import COLUMNS, add_business_days, validate_observations
from regime.data.sources import SOURCE_TYPES, load_observations
from regime.exceptions import DataError, DataFormatError

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "classic_us.yaml"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return ClassicSource().load(LoadContext())


def rows(table: pd.DataFrame, series: str) -> pd.DataFrame:
    return table.loc[table["series"] == series].set_index("date")


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# -- the source and its registration ----------------------------------------------------


def test_registered_and_real():
    assert ClassicSource in SOURCE_TYPES
    source = ClassicSource()
    assert source.kind == "classic"
    assert source.synthetic is False
    assert source.label() == "classic (arch.data)"


def test_end_before_start_is_refused():
    with pytest.raises(ValidationError):
        ClassicSource(start=date(2000, 1, 1), end=date(1999, 1, 1))


def test_every_series_present_and_valid(table):
    assert list(table.columns) == list(COLUMNS)
    assert sorted(table["series"].unique()) == sorted(CLASSIC_SERIES)
    validate_observations(table, "classic")
    assert not table.duplicated(["series", "date"]).any()
    spans = table.groupby("series")["date"].agg(["min", "max"])
    assert spans.loc["AAA", "min"] == day("1919-01-31")
    assert spans.loc["AAA", "max"] == day("2018-12-31")
    assert spans.loc["CORE_CPI", "min"] == day("1957-01-31")
    assert spans.loc["CORE_CPI", "max"] == day("2018-11-30")
    assert spans.loc["SMB_LEG", "max"] == day("2018-11-30")


# -- dates: the French index repair and month-end trading days ---------------------------


def test_french_index_repair():
    broken = pd.DatetimeIndex(pd.to_datetime([192607, 192608, 201811], unit="ns"))
    months = french_months(broken)
    assert [str(m) for m in months] == ["1926-07", "1926-08", "2018-11"]
    fixed = pd.DatetimeIndex(["1926-07-31", "2018-11-30"])  # a future arch with real dates
    assert [str(m) for m in french_months(fixed)] == ["1926-07", "2018-11"]


def test_first_factor_month_is_july_1926_on_its_last_trading_day(table):
    smb = rows(table, "SMB_LEG")
    first = smb.index[0]
    # July 31, 1926 was a Saturday: the NYSE calendar (regime.calendar) counts the
    # Saturday sessions before 1952, so the month's last trading day is the 31st.
    assert first == trading_day_on_or_before("1926-07-31")
    assert (first.year, first.month) == (1926, 7)
    assert is_trading_day(first)


def test_every_value_dated_on_its_months_last_trading_day(table):
    dates = pd.DatetimeIndex(table["date"].unique())
    assert all(is_trading_day(d) for d in dates[:: max(len(dates) // 200, 1)])
    months = dates.to_period("M")
    assert not pd.Series(months).duplicated().any()
    # no trading day later in the same month
    for d in [day("2018-03-29"), day("1999-12-31"), day("1957-01-31"), day("1919-01-31")]:
        assert d in dates
        assert d == trading_day_on_or_before(d.to_period("M").end_time)
    assert day("2018-03-30") not in dates  # Good Friday 2018: the 29th is the last session


def test_values_are_fractions_and_smb_leg_is_rf_plus_smb(table):
    # arch.data.frenchdata 1926-07: Mkt-RF 2.96, SMB -2.30, HML -2.87, RF 0.22 (percent)
    first = day("1926-07-31")
    assert rows(table, "SMB_LEG").loc[first, "value"] == pytest.approx(0.0022 - 0.0230)
    assert rows(table, "RF_LEG").loc[first, "value"] == pytest.approx(0.0022)
    assert rows(table, "MKT_RF").loc[first, "value"] == pytest.approx(0.0296)
    assert rows(table, "HML").loc[first, "value"] == pytest.approx(-0.0287)
    assert rows(table, "TBILL").loc[first, "value"] == pytest.approx(0.22 * 12)

    import arch.data.frenchdata

    raw = arch.data.frenchdata.load()
    smb_leg = rows(table, "SMB_LEG")["value"].to_numpy()
    rf_leg = rows(table, "RF_LEG")["value"].to_numpy()
    np.testing.assert_allclose(rf_leg, raw["RF"].to_numpy() / 100.0)
    np.testing.assert_allclose(smb_leg - rf_leg, raw["SMB"].to_numpy() / 100.0, atol=1e-12)
    for series in ("SMB_LEG", "RF_LEG", "MKT_RF", "HML"):
        assert rows(table, series)["value"].abs().max() < 1.0, series


def test_yields_and_cpi_levels(table):
    # arch.data.default 2018-12: AAA 4.02, BAA 5.13; core CPI 2018-11: 259.481
    assert rows(table, "AAA").loc[day("2018-12-31"), "value"] == pytest.approx(4.02)
    assert rows(table, "BAA").loc[day("2018-12-31"), "value"] == pytest.approx(5.13)
    assert rows(table, "CORE_CPI").loc[day("2018-11-30"), "value"] == pytest.approx(259.481)
    assert rows(table, "CORE_CPI").loc[day("1957-01-31"), "value"] == pytest.approx(28.5)


# -- known_at ----------------------------------------------------------------------------


def test_factors_known_20_business_days_after_the_month(table):
    expected = add_business_days(pd.DatetimeIndex([day("2018-11-30")]), 20)[0]
    assert expected == day("2018-12-28")
    for series in ("SMB_LEG", "RF_LEG", "MKT_RF", "HML", "TBILL"):
        assert rows(table, series).loc[day("2018-11-30"), "known_at"] == expected, series
    smb = rows(table, "SMB_LEG")
    np.testing.assert_array_equal(
        smb["known_at"].to_numpy(),
        add_business_days(smb.index, 20).to_numpy(),
    )


def test_yields_known_next_business_day_after_the_month_end(table):
    aaa = rows(table, "AAA")
    assert aaa.loc[day("2018-11-30"), "known_at"] == day("2018-12-03")  # Friday -> Monday
    assert rows(table, "BAA").loc[day("2018-11-30"), "known_at"] == day("2018-12-03")
    # June 2018 ended on a Saturday: the average is complete then, known Monday July 2
    assert aaa.loc[day("2018-06-29"), "known_at"] == day("2018-07-02")
    # March 2018: the last session is Thursday the 29th (Good Friday), but the month's
    # average needs the 30th and 31st too
    assert aaa.loc[day("2018-03-29"), "known_at"] == day("2018-04-02")


def test_core_cpi_known_12_business_days_after_the_month_end(table):
    cpi = rows(table, "CORE_CPI")
    expected = add_business_days(pd.DatetimeIndex([day("2018-11-30")]), 12)[0]
    assert cpi.loc[day("2018-11-30"), "known_at"] == expected == day("2018-12-18")
    assert (cpi["known_at"] > cpi.index).all()
    assert (cpi["known_at"].dt.month != cpi.index.month).all()  # always the next month


# -- start / end -------------------------------------------------------------------------


def test_start_and_end_cut_the_history():
    cut = ClassicSource(start=date(1960, 1, 1), end=date(1969, 12, 31)).load(LoadContext())
    assert sorted(cut["series"].unique()) == sorted(CLASSIC_SERIES)
    assert cut["date"].min() == day("1960-01-29")
    assert cut["date"].max() == day("1969-12-31")
    assert (cut.groupby("series").size() == 120).all()


def test_start_alone_and_loaded_through_the_registry():
    (source,) = load_config(CONFIG).data.sources
    assert isinstance(source, ClassicSource)
    late = ClassicSource(start=date(2018, 11, 1))
    table = load_observations([late], LoadContext())
    assert table["date"].min() == day("2018-11-30")
    assert set(table.loc[table["date"] == day("2018-12-31"), "series"]) == {"AAA", "BAA"}


# -- the bundled config ------------------------------------------------------------------


def test_config_parses():
    config = load_config(CONFIG)
    assert config.name == "classic_us"
    assert config.synthetic is False
    assert (config.target.small, config.target.large) == ("SMB_LEG", "RF_LEG")
    assert config.target.horizon_days == 12
    assert config.evaluation.min_train_days == 240
    assert config.evaluation.step_days == 12
    assert config.training.as_of == date(2018, 12, 31)
    assert config.model.estimator == "logistic"
    assert config.model.params == {"C": 0.1}
    assert config.model.bootstrap == 10
    pillars = {spec.pillar for spec in config.features}
    assert pillars == {"rate_expectations", "credit", "inflation", "term", None}  # None: momentum
    inputs = {
        value
        for spec in config.features
        for key, value in spec.params.items()
        if key in ("series", "a", "b", "small", "large")
    }
    assert inputs <= set(CLASSIC_SERIES)


def test_backtest_end_to_end(run_cli):
    proc = run_cli("backtest", "--config", CONFIG, "--json", timeout=120)
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(proc.stdout)["metrics"]
    start = pd.Timestamp(metrics["oos_start"])
    assert 1940 <= start.year <= 1959, metrics
    assert pd.Timestamp(metrics["oos_end"]) <= day("2018-12-31")
    assert metrics["oos_rows"] > 500
    assert 0.0 <= metrics["auc"] <= 1.0


@pytest.mark.slow
def test_a_trained_classic_model_counts_its_horizon_in_months(run_cli, tmp_path):
    trained = run_cli("train", "--config", CONFIG, "--models-dir", tmp_path, timeout=300)
    assert trained.returncode == 0, trained.stderr
    model = tmp_path / "classic_us.joblib"
    text = run_cli("score", "--model", model, timeout=120)
    assert text.returncode == 0, text.stderr
    assert "| horizon 12 months" in text.stdout
    assert " months 1950-" in text.stdout and " days 1950-" not in text.stdout
    card = json.loads(run_cli("score", "--model", model, "--json", timeout=120).stdout)
    assert (card["horizon_days"], card["horizon_unit"]) == (12, "months")
    # December's yields are known on 2019-01-01, a holiday: first usable the next session
    assert card["as_of"] == "2019-01-02" and card["data"]["BAA"]["last_known"] == "2018-12-31"
    # credit data exists from 1919, the legs (and the first label) only from 1926-07
    early = run_cli("score", "--model", model, "--date", "1920-01-02", timeout=120)
    assert early.returncode == 3, early.stdout
    assert "before the model's history, which starts 1926-07" in early.stderr
    analogs = run_cli("analogs", "--model", model, "--json", timeout=120)
    assert analogs.returncode == 0, analogs.stderr
    found = json.loads(analogs.stdout)
    starts = [pd.Timestamp(e["date"]) for e in found["episodes"]]
    # ten, less the nearest days that tie at one distance (days scored at the base rate)
    assert len(starts) == 10 or (2 <= len(starts) < 10 and "tie at distance" in found["note"])
    for a, b in itertools.combinations(sorted(starts), 2):
        assert (b.year - a.year) * 12 + b.month - a.month >= 12  # one horizon: 12 months
    assert found["legs"] == {"small": "SMB_LEG", "large": "RF_LEG"}
    text = run_cli("analogs", "--model", model, timeout=120).stdout
    assert "episodes at least 12 months apart" in text
    assert "small = SMB_LEG, large = RF_LEG" in text


# -- newer downloads extend arch.data ------------------------------------------------------

FRENCH = Path(__file__).parent / "fixtures" / "french"
FRED_MD = (  # FRED-MD's layout: header, transformation codes, then months (M/D/YYYY)
    "sasdate,RPI,AAA,BAA\n"
    "Transform:,5,2,2\n"
    "11/1/2018,17000.1,9.99,9.99\n"  # arch.data has this month: its value is kept
    "12/1/2018,17010.2,9.99,9.99\n"
    "1/1/2019,17020.3,3.93,5.12\n"
    "2/1/2019,17030.4,3.79,5.02\n"
)
CORE_CPI_FRED = "observation_date,CPILFESL\n2018-11-01,999.0\n2018-12-01,258.0\n2019-01-01,260.1\n"


def extended(tmp_path: Path, **paths: str) -> ClassicSource:
    (tmp_path / "FRED-MD.csv").write_text(FRED_MD)
    (tmp_path / "CPILFESL.csv").write_text(CORE_CPI_FRED)
    shutil.copy(FRENCH / "F-F_Research_Data_Factors.CSV", tmp_path)
    files = {
        "factors_path": "F-F_Research_Data_Factors.CSV",
        "yields_path": "FRED-MD.csv",
        "core_cpi_path": "CPILFESL.csv",
    }
    return ClassicSource(**{**files, **paths})


def test_newer_files_append_the_months_after_arch_data_and_keep_its_history(table, tmp_path):
    source = extended(tmp_path)
    assert source.label() == (
        "classic (arch.data + F-F_Research_Data_Factors.CSV, FRED-MD.csv, CPILFESL.csv)"
    )
    out = source.load(LoadContext(base_dir=tmp_path, today=pd.Timestamp("2026-12-01")))
    validate_observations(out, "extended")
    keys = ["series", "date"]
    merged = out.merge(table, on=keys, how="left", suffixes=("", "_arch"), indicator=True)
    kept = merged.loc[merged["_merge"] == "both"]
    assert len(kept) == len(table)  # the history is arch.data's, to the row
    assert (kept["value"] == kept["value_arch"]).all()
    assert (kept["known_at"] == kept["known_at_arch"]).all()
    after = merged.loc[merged["_merge"] == "left_only"].set_index(keys)
    assert len(after) == 2 * 5 + 2 * 2 + 2  # factor, yield and CPI months after arch.data
    # The factors file's months after 2018-11 (its 1926 months are arch.data's already).
    nov = day("2024-11-29")  # November 2024's last trading day
    assert after.loc[("SMB_LEG", nov), "value"] == pytest.approx((0.40 + 4.63) / 100)
    assert after.loc[("RF_LEG", nov), "value"] == pytest.approx(0.0040)
    assert after.loc[("TBILL", nov), "value"] == pytest.approx(0.40 * 12)
    assert (
        after.loc[("SMB_LEG", nov), "known_at"] == add_business_days(pd.DatetimeIndex([nov]), 20)[0]
    )
    assert after.loc[("SMB_LEG", day("2024-12-31")), "value"] == pytest.approx((0.37 - 2.73) / 100)
    # FRED-MD after arch.data's last yield month (2018-12); the 9.99 of 2018 are not read.
    assert after.loc[("AAA", day("2019-01-31")), "value"] == 3.93
    assert after.loc[("BAA", day("2019-02-28")), "value"] == 5.02
    assert after.loc[("BAA", day("2019-02-28")), "known_at"] == day("2019-03-01")
    assert (out.loc[out["series"].isin(["AAA", "BAA"]), "value"] != 9.99).all()
    # Core CPI after arch.data's 2018-11: December 2018 and January 2019, known mid-month.
    cpi = after.xs("CORE_CPI")
    assert list(cpi.index) == [day("2018-12-31"), day("2019-01-31")]
    assert list(cpi["value"]) == [258.0, 260.1]
    assert cpi.loc[day("2019-01-31"), "known_at"] == day("2019-02-18")


def test_an_extending_file_must_be_monthly(tmp_path):
    shutil.copy(FRENCH / "F-F_Research_Data_Factors_daily.CSV", tmp_path)
    source = extended(tmp_path, factors_path="F-F_Research_Data_Factors_daily.CSV")
    with pytest.raises(DataFormatError, match=r"F-F_Research_Data_Factors_daily\.CSV.*two rows in"):
        source.load(LoadContext(base_dir=tmp_path, today=pd.Timestamp("2026-12-01")))
    missing = extended(tmp_path, core_cpi_path="nope.csv")
    with pytest.raises(DataError, match=r"nope\.csv"):
        missing.load(LoadContext(base_dir=tmp_path, today=pd.Timestamp("2026-12-01")))


def test_the_extended_config_is_classic_us_on_more_data():
    """Same target, features, model, evaluation and stance: only data and as_of differ."""
    frozen = load_config(CONFIG).model_dump()
    extended_config = load_config(ROOT / "configs" / "classic_us_extended.yaml").model_dump()
    for section in ("target", "features", "model", "evaluation", "stance", "caveats"):
        assert extended_config[section] == frozen[section], section
    training = {k: v for k, v in extended_config["training"].items() if k != "as_of"}
    assert training == {k: v for k, v in frozen["training"].items() if k != "as_of"}
    (source,) = load_config(ROOT / "configs" / "classic_us_extended.yaml").data.sources
    assert source.kind == "classic" and source.factors_path and source.yields_path
