"""Builders whose pillars mean what they say: hand-checked values, declared signs, point in time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from features import BUILDERS, FeatureBuilder, declared_signs, get_builder
from regime.calendar import trading_days
from regime.config import parse_config
from regime.data.observations import concat_observations, make_observations
from regime.data.panel import PointInTimePanel
from regime.exceptions import ConfigError

DAYS = trading_days("2022-06-01", "2023-12-29")


def _daily(series: dict[str, np.ndarray], lag: int = 0) -> pd.DataFrame:
    frames = [
        make_observations(name, DAYS, values, DAYS + pd.offsets.BDay(lag))
        for name, values in series.items()
    ]
    return concat_observations(frames)


def _panel(series: dict[str, np.ndarray], lag: int = 0) -> PointInTimePanel:
    return PointInTimePanel(_daily(series, lag), end=DAYS[-1], start=DAYS[0])


def _month_ends() -> pd.DatetimeIndex:
    return pd.date_range("2022-06-30", "2023-11-30", freq="ME")


def _monthly(name: str, values: np.ndarray, lag_days: int = 5) -> pd.DataFrame:
    dates = _month_ends()
    return make_observations(name, dates, values, dates + pd.Timedelta(days=lag_days))


def _build(name: str, panel: PointInTimePanel, **params) -> pd.DataFrame:
    return get_builder(name).model_validate(params).build(panel)


# --- declared signs -----------------------------------------------------------------


#: One instance of every registered builder, with the params its required fields need.
INSTANCES: dict[str, dict] = {
    "flows.relative_flow": {},
    "valuations.relative_pe": {},
    "valuations.relative_value": {"small": "S", "large": "L", "measure": "book_to_market"},
    "positioning.net_spec_z": {},
    "rate_expectations.cuts_priced": {},
    "rate_expectations.cuts_delivered": {},
    "earnings_revisions.breadth_spread": {},
    "earnings_revisions.megacap_spread": {},
    "momentum.relative_return": {},
    "macro.series_change": {"series": "BAA10Y"},
    "macro.level": {"series": "T10Y2Y"},
    "macro.spread": {"a": "BAA", "b": "DGS10"},
}

EXPECTED_SIGNS: dict[str, dict[str, int]] = {
    "flows.relative_flow": {
        "rel_flow_1d": 0,
        "rel_flow_20d": 1,
        "event_share_20d": 0,
        "vs_ytd_pace": 1,
    },
    "valuations.relative_pe": {"rel_pe": -1, "rel_pe_pctile": -1},
    "valuations.relative_value": {"rel_value": -1, "rel_value_pctile": -1, "rel_value_z": -1},
    "positioning.net_spec_z": {"net_spec_z": -1},
    "rate_expectations.cuts_priced": {"cuts_priced_12m": 1},
    "rate_expectations.cuts_delivered": {"cuts_delivered_6m": 1},
    "earnings_revisions.breadth_spread": {"breadth_spread": 1, "breadth_spread_chg": 1},
    "earnings_revisions.megacap_spread": {"megacap_spread": -1, "megacap_spread_chg": -1},
    "momentum.relative_return": {"rel_return_252d": 1},
    "macro.series_change": {"baa10y_chg": 0, "baa10y_z": 0},
    "macro.level": {"t10y2y": 0, "t10y2y_z": 0},
    "macro.spread": {"baa_minus_dgs10": 0, "baa_minus_dgs10_z": 0},
}


def test_every_builder_declares_a_sign_for_each_feature_it_builds():
    assert set(INSTANCES) == set(BUILDERS)
    rng = np.random.default_rng(0)
    n = len(DAYS)
    ids = {
        series
        for name, params in INSTANCES.items()
        for series in get_builder(name).model_validate(params).input_series()
    }
    panel = _panel({s: 1.0 + 0.01 * rng.random(n) for s in sorted(ids)})
    for name, params in INSTANCES.items():
        builder = get_builder(name).model_validate(params)
        assert builder.signs() == EXPECTED_SIGNS[name], name
        assert list(builder.build(panel).columns) == builder.feature_names(), name
        assert set(builder.signs().values()) <= {-1, 0, 1}


def test_momentum_sign_depends_on_the_window():
    rr = get_builder("momentum.relative_return")
    assert rr(window_days=126).signs() == {"rel_return_126d": 1}
    assert rr(window_days=252, skip_days=21).signs() == {"rel_return_252d_skip21": 1}
    assert rr(window_days=755).signs() == {"rel_return_755d": 1}
    assert rr(window_days=756).signs() == {"rel_return_756d": -1}
    assert rr(window_days=1260).signs() == {"rel_return_1260d": -1}


def test_macro_sign_param():
    assert get_builder("macro.series_change")(series="BAA10Y", sign=-1).signs() == {
        "baa10y_chg": -1,
        "baa10y_z": -1,
    }
    assert get_builder("macro.level")(series="ICSA", sign=1).signs() == {"icsa": 1, "icsa_z": 1}
    spread = get_builder("macro.spread")(a="BAA", b="DGS10", name="baa_spread", sign=-1)
    assert spread.signs() == {"baa_spread": -1, "baa_spread_z": -1}
    with pytest.raises(ValidationError):
        get_builder("macro.level")(series="ICSA", sign=2)


def test_sign_of_a_feature_column_and_declared_signs():
    level = get_builder("macro.level")(series="BAA10Y", sign=-1)
    flows = get_builder("flows.relative_flow")(trend_days=10)
    assert flows.sign_of("flows.rel_flow_10d") == 1
    assert flows.sign_of("rel_flow_1d") == 0
    assert level.sign_of("credit.baa10y") == -1  # pillar override in the column name
    with pytest.raises(KeyError):
        flows.sign_of("flows.rel_flow_20d")
    assert declared_signs([(level, "credit"), (flows, None)]) == {
        "credit.baa10y": -1,
        "credit.baa10y_z": -1,
        "flows.rel_flow_1d": 0,
        "flows.rel_flow_10d": 1,
        "flows.event_share_10d": 0,
        "flows.vs_ytd_pace": 1,
    }


def test_the_base_default_is_no_prior():
    class Plain(FeatureBuilder):
        name = "test.plain"
        pillar = "macro"
        input_fields = ("series",)
        series: str = "X"

        def feature_names(self) -> list[str]:
            return ["a", "b"]

    assert Plain().signs() == {"a": 0, "b": 0}


# --- momentum -----------------------------------------------------------------------


def test_momentum_daily_window_and_skip():
    n = len(DAYS)
    small = 0.001 * (np.arange(n) % 7)
    large = np.full(n, 0.002)
    panel = _panel({"SM": small, "LG": large})
    step = np.log1p(small) - np.log1p(large)
    t = n - 1
    plain = _build("momentum.relative_return", panel, small="SM", large="LG", window_days=10)
    assert plain["rel_return_10d"].iloc[t] == pytest.approx(step[t - 9 : t + 1].sum())
    skipped = _build(
        "momentum.relative_return", panel, small="SM", large="LG", window_days=10, skip_days=3
    )
    assert skipped["rel_return_10d_skip3"].iloc[t] == pytest.approx(step[t - 9 : t - 2].sum())
    assert plain["rel_return_10d"].iloc[:10].isna().all()  # warm-up
    assert plain["rel_return_10d"].iloc[10] == pytest.approx(step[1:11].sum())


def test_momentum_on_levels():
    n = len(DAYS)
    panel = _panel({"SM": 100.0 * 1.01 ** np.arange(n), "LG": np.full(n, 50.0)})
    out = _build(
        "momentum.relative_return", panel, small="SM", large="LG", window_days=5, kind="price"
    )
    assert out["rel_return_5d"].iloc[-1] == pytest.approx(5 * np.log(1.01))


def _monthly_returns() -> tuple[pd.DataFrame, np.ndarray]:
    k = len(_month_ends())
    small = 0.01 * np.arange(1, k + 1)
    large = np.full(k, 0.005)
    obs = concat_observations([_monthly("MS", small), _monthly("ML", large)])
    # A revision of February 2023's small-cap return a month later: first releases count.
    revised = make_observations(
        "MS", pd.DatetimeIndex(["2023-02-28"]), np.array([0.5]), pd.DatetimeIndex(["2023-03-31"])
    )
    return concat_observations([obs, revised]), np.log1p(small) - np.log1p(large)


def test_momentum_on_a_monthly_series_counts_releases_known_in_the_window():
    obs, step = _monthly_returns()
    panel = PointInTimePanel(obs, end=DAYS[-1], start=DAYS[0])
    month = {m.strftime("%Y-%m"): i for i, m in enumerate(_month_ends())}
    day = pd.Timestamp("2023-04-05")  # March's return is released today (31 March + 5 days)
    # 63 trading days before 5 April 2023 is 4 January: December (released 5 January),
    # January, February and March are in the window; November (5 December) is not.
    out = _build("momentum.relative_return", panel, small="MS", large="ML", window_days=63)
    expected = step[[month["2022-12"], month["2023-01"], month["2023-02"], month["2023-03"]]]
    assert out.loc[day, "rel_return_63d"] == pytest.approx(expected.sum())
    # Skipping 21 days (to 7 March) drops March, released today.
    skip = _build(
        "momentum.relative_return", panel, small="MS", large="ML", window_days=63, skip_days=21
    )
    assert skip.loc[day, "rel_return_63d_skip21"] == pytest.approx(expected[:3].sum())
    # The day before March's release, the window (3 January to 4 April) holds December to February.
    before = DAYS[DAYS.get_loc(day) - 1]
    assert out.loc[before, "rel_return_63d"] == pytest.approx(expected[:3].sum())


def test_momentum_is_missing_when_a_leg_is_stale():
    obs, _ = _monthly_returns()
    obs = obs.loc[~((obs["series"] == "ML") & (obs["date"] >= "2023-06-01"))]
    panel = PointInTimePanel(obs, end=DAYS[-1], start=DAYS[0])
    out = _build("momentum.relative_return", panel, small="MS", large="ML", window_days=63)
    assert np.isfinite(out.loc["2023-06-01", "rel_return_63d"])  # May's pair known 5 June
    assert np.isnan(out.loc["2023-09-01", "rel_return_63d"])  # large leg last dated 31 May


def test_momentum_params_are_validated():
    rr = get_builder("momentum.relative_return")
    assert rr().input_series() == ["SMALL_TR", "LARGE_TR"]
    with pytest.raises(ValidationError, match="skip_days"):
        rr(window_days=20, skip_days=20)
    with pytest.raises(ValidationError):
        rr(window_days=1)
    with pytest.raises(ValidationError):
        rr(kind="excess")


# --- valuations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "small_dearer"),
    [
        ("pe", lambda k: 15.0 * k),  # P/E rises: dearer
        ("pb", lambda k: 2.0 * k),
        ("earnings_yield", lambda k: 0.06 / k),  # earnings yield falls: dearer
        ("book_to_market", lambda k: 0.8 / k),
    ],
)
def test_relative_value_higher_means_small_caps_dearer(measure, small_dearer):
    n = len(DAYS)
    k = np.linspace(1.0, 2.0, n)
    small = small_dearer(k)
    large = np.full(n, small[0])  # equal to small on day one
    panel = _panel({"S": small, "L": large})
    out = _build(
        "valuations.relative_value",
        panel,
        small="S",
        large="L",
        measure=measure,
        window_days=100,
        min_days=50,
    )
    assert out["rel_value"].iloc[0] == pytest.approx(1.0)
    assert out["rel_value"].iloc[-1] == pytest.approx(2.0)  # twice as dear
    assert out["rel_value_pctile"].iloc[-1] == pytest.approx(1.0)
    window = out["rel_value"].iloc[-100:]
    expected_z = (window.iloc[-1] - window.mean()) / window.std()
    assert out["rel_value_z"].iloc[-1] == pytest.approx(expected_z)
    assert expected_z > 1
    assert out["rel_value_pctile"].iloc[:49].isna().all()


def test_relative_value_of_size_sorted_book_to_market():
    # French-style BE/ME: small caps at 0.9, large at 0.3 -> small caps a third as dear.
    n = len(DAYS)
    panel = _panel({"S": np.full(n, 0.9), "L": np.full(n, 0.3)})
    out = _build("valuations.relative_value", panel, small="S", large="L", measure="book_to_market")
    assert out["rel_value"].iloc[-1] == pytest.approx(1 / 3)


def test_relative_value_ignores_non_positive_inputs():
    n = len(DAYS)
    small = np.full(n, 10.0)
    small[-1] = -5.0
    panel = _panel({"S": small, "L": np.full(n, 20.0)})
    out = _build("valuations.relative_value", panel, small="S", large="L", measure="pe")
    assert out["rel_value"].iloc[-2] == pytest.approx(0.5)
    assert np.isnan(out["rel_value"].iloc[-1])


# --- rate expectations --------------------------------------------------------------


def _rates_panel() -> PointInTimePanel:
    n = len(DAYS)
    return _panel(
        {
            "DFF": np.full(n, 5.25),
            "FF12": np.full(n, 95.75),  # implied 4.25: four cuts
            "DGS1": np.full(n, 4.75),  # two cuts
            "DTB6": np.full(n, 5.00),  # one cut
            "DGS2": np.full(n, 5.50),  # one hike
        },
        lag=1,
    )


@pytest.mark.parametrize(
    ("params", "inputs", "cuts"),
    [
        ({"futures": "FF12"}, ["DFF", "FF12"], 4.0),
        ({"bill": "DGS1"}, ["DFF", "DGS1"], 2.0),
        ({"bill": "DTB6"}, ["DFF", "DTB6"], 1.0),
        ({"two_year": "DGS2"}, ["DFF", "DGS2"], -1.0),
        ({"policy_rate": "DFF", "two_year": "DGS2"}, ["DFF", "DGS2"], -1.0),  # existing configs
        ({}, ["DFF", "DGS1"], 2.0),  # the default for configs naming none: the 1-year
    ],
)
def test_cuts_priced_modes(params, inputs, cuts):
    builder = get_builder("rate_expectations.cuts_priced").model_validate(params)
    assert builder.input_series() == inputs
    out = builder.build(_rates_panel())
    assert list(out.columns) == ["cuts_priced_12m"]
    assert out["cuts_priced_12m"].iloc[-1] == pytest.approx(cuts)
    assert np.isnan(out["cuts_priced_12m"].iloc[0])  # lagged one day


def test_a_contract_months_out_names_its_horizon():
    from regime.explain import units_of

    builder = get_builder("rate_expectations.cuts_priced").model_validate(
        {"futures": "FF12", "months": 4}
    )
    out = builder.build(_rates_panel())
    assert list(out.columns) == ["cuts_priced_4m"] and builder.signs() == {"cuts_priced_4m": 1}
    assert out["cuts_priced_4m"].iloc[-1] == pytest.approx(4.0)
    assert units_of("fed_funds_futures.cuts_priced_4m") == "25 bp cuts priced over 4 months"
    assert units_of("rate_expectations.cuts_priced_12m") == "25 bp cuts priced over 12 months"


def test_cuts_delivered_states_the_units_of_its_mode():
    from regime.dataset import FeatureSet

    cls = get_builder("rate_expectations.cuts_delivered")
    assert cls().units() == {"cuts_delivered_6m": "cuts delivered, 25 bp steps of the FOMC target"}
    assert cls(policy_rate="DFF", months=3).units() == {
        "cuts_delivered_3m": "cuts delivered, percentage points"
    }
    features = FeatureSet(((cls(policy_rate="DFF"), "rates"),))
    assert features.units == {"rates.cuts_delivered_6m": "cuts delivered, percentage points"}


def test_relative_value_states_which_leg_is_over_which():
    from regime.dataset import FeatureSet

    cls = get_builder("valuations.relative_value")
    assert cls(small="S", large="L").units() == {
        "rel_value": "P/E ratio, small over large; higher = small caps dearer"
    }
    beme = cls(small="S", large="L", measure="book_to_market")
    assert beme.units() == {"rel_value": "B/M ratio, large over small; higher = small caps dearer"}
    assert FeatureSet(((beme, "valuations"),)).units == {
        "valuations.rel_value": "B/M ratio, large over small; higher = small caps dearer"
    }


def test_macro_features_name_their_series_and_span():
    change = get_builder("macro.series_change")(series="TBILL", change_days=126)
    assert change.units() == {"tbill_chg": "TBILL change, in its own units, over 126 sessions"}
    logged = get_builder("macro.series_change")(series="CORE_CPI", change_days=252, log=True)
    assert logged.units() == {"core_cpi_chg": "CORE_CPI change of its log over 252 sessions"}
    spread = get_builder("macro.spread").model_validate({"a": "BAA", "b": "AAA", "name": "credit"})
    assert spread.units() == {"credit": "BAA minus AAA, in their own units"}
    level = get_builder("macro.level")(series="HY_OAS")
    assert level.units() == {"hy_oas": "HY_OAS, newest value, in its own units"}


def test_the_default_pricing_is_one_constant(monkeypatch):
    from features import rate_expectations

    cls = get_builder("rate_expectations.cuts_priced")
    monkeypatch.setattr(rate_expectations, "DEFAULT_PRICING", {"bill": "DTB6"})
    builder = cls()
    assert (builder.mode, builder.input_series()) == ("bill", ["DFF", "DTB6"])
    assert cls(two_year="DGS2").mode == "two_year"  # an explicit mode wins


def test_cuts_priced_with_more_than_one_mode_is_an_error():
    cls = get_builder("rate_expectations.cuts_priced")
    with pytest.raises(
        ValidationError, match=r"only one of futures, bill, two_year.*got bill, two_year"
    ):
        cls(bill="DGS1", two_year="DGS2")
    with pytest.raises(ValueError, match="futures, bill"):
        cls.model_validate({"futures": "FF12", "bill": "DTB6"})
    assert cls(bill=None, two_year="DGS2").mode == "two_year"


def test_cuts_priced_with_two_modes_is_a_config_error():
    text = """
name: x
data:
  sources:
    - {kind: sample, seed: 1, start: 2010-01-04, end: 2012-12-31}
target: {small: SMALL_TR, large: LARGE_TR, horizon_days: 21}
features:
  - builder: rate_expectations.cuts_priced
    params: {futures: FF12, two_year: DGS2}
"""
    with pytest.raises(ConfigError, match="futures, two_year"):
        parse_config(text, "x.yaml")


def _target_observations() -> pd.DataFrame:
    """Single target until 2022-12-15 (with a bogus tail after), then the range's top."""
    splice = pd.Timestamp("2022-12-16")
    before_days = DAYS[DAYS < splice]
    after_days = DAYS[DAYS >= splice]
    before = np.where(before_days < "2022-09-01", 2.50, 3.30)  # +80 bp (rounds to 3 steps)
    upper = np.where(after_days < "2023-03-01", 3.00, 2.50)
    tail = DAYS[DAYS >= "2022-12-21"]
    return concat_observations(
        [
            make_observations("TGT", before_days, before, before_days + pd.offsets.BDay(1)),
            # the old series keeps printing once the range is known: it must be ignored
            make_observations("TGT", tail, np.full(len(tail), 9.0), tail),
            make_observations("TGTU", after_days, upper, after_days + pd.offsets.BDay(1)),
        ]
    )


def test_cuts_delivered_on_the_spliced_target_in_25bp_steps():
    obs = _target_observations()
    panel = PointInTimePanel(obs, end=DAYS[-1], start=DAYS[0])
    builder = get_builder("rate_expectations.cuts_delivered")(
        target_upper="TGTU", target_before="TGT", months=3
    )
    assert builder.input_series() == ["TGTU", "TGT"]
    out = builder.build(panel)["cuts_delivered_3m"]
    at = DAYS.get_loc
    # 63 trading days after the +80 bp hike on 1 September (known the next day): -3 steps.
    assert out.iloc[at(pd.Timestamp("2022-10-03"))] == -3.0
    # 16 December: the range is not known until the 19th, the single target (3.30) is used.
    assert out.loc["2022-12-16"] == 0.0
    # From 19 December the top of the range (3.00) is compared with 3.30 three months back:
    # -30 bp is 1.2 steps of cut, rounded to 1; the bogus 9.0 of the old series is ignored.
    assert out.loc["2022-12-19"] == 1.0
    # 2.50 from March 2023: 50 bp of cuts within three months, then none.
    assert out.loc["2023-04-03"] == 2.0
    assert out.iloc[at(pd.Timestamp("2023-03-02")) + 63] == 0.0
    assert set(out.dropna().unique()) <= {-3.0, 0.0, 1.0, 2.0, 3.0}


def test_cuts_delivered_keeps_the_effective_rate_mode_and_needs_both_targets():
    cls = get_builder("rate_expectations.cuts_delivered")
    assert cls().input_series() == ["DFEDTARU", "DFEDTAR"]  # the default: the FOMC target
    assert cls.model_validate({"months": 3}).uses_target
    assert cls(policy_rate="DFF").input_series() == ["DFF"]  # naming a rate keeps it
    n = len(DAYS)
    noisy = 5.33 + np.where(np.arange(n) % 2 == 0, 0.0, -0.01)
    out = cls(policy_rate="FF", months=1).build(_panel({"FF": noisy}))["cuts_delivered_1m"]
    assert out.iloc[-1] in (pytest.approx(0.0), pytest.approx(0.01), pytest.approx(-0.01))
    with pytest.raises(ValidationError, match="both target_upper and target_before"):
        cls(target_upper="DFEDTARU")
    with pytest.raises(ValidationError, match="both target_upper and target_before"):
        cls(target_before="DFEDTAR")


# --- earnings revisions and macro ---------------------------------------------------


def test_megacap_spread():
    n = len(DAYS)
    mega = np.where(np.arange(n) < n - 10, 0.30, 0.50)
    panel = _panel({"MEGACAP_REV_BREADTH": mega, "LARGE_EX_TOP10_REV_BREADTH": np.full(n, 0.1)})
    builder = get_builder("earnings_revisions.megacap_spread")(change_days=21)
    assert builder.input_series() == ["MEGACAP_REV_BREADTH", "LARGE_EX_TOP10_REV_BREADTH"]
    out = builder.compute(panel)
    assert out["earnings_revisions.megacap_spread"].iloc[-1] == pytest.approx(0.4)
    assert out["earnings_revisions.megacap_spread"].iloc[0] == pytest.approx(0.2)
    assert out["earnings_revisions.megacap_spread_chg"].iloc[-1] == pytest.approx(0.2)
    assert out["earnings_revisions.megacap_spread_chg"].iloc[-30] == pytest.approx(0.0)


def test_macro_spread_and_level():
    n = len(DAYS)
    baa = np.linspace(5.0, 6.0, n)
    panel = _panel({"BAA": baa, "DGS10": np.full(n, 4.0)})
    spread = get_builder("macro.spread")(a="BAA", b="DGS10", window_days=50, min_days=20)
    out = spread.compute(panel, pillar="credit")
    assert list(out.columns) == ["credit.baa_minus_dgs10", "credit.baa_minus_dgs10_z"]
    assert out["credit.baa_minus_dgs10"].iloc[-1] == pytest.approx(2.0)
    window = baa[-50:] - 4.0
    assert out["credit.baa_minus_dgs10_z"].iloc[-1] == pytest.approx(
        (window[-1] - window.mean()) / window.std(ddof=1)
    )
    named = get_builder("macro.spread").model_validate({"a": "BAA", "b": "DGS10", "name": "baa"})
    assert list(named.build(panel).columns) == ["baa", "baa_z"]
    level = get_builder("macro.level")(series="BAA", window_days=50, min_days=20).build(panel)
    assert list(level.columns) == ["baa", "baa_z"]
    assert level["baa"].iloc[-1] == pytest.approx(6.0)
    assert level["baa_z"].iloc[-1] == pytest.approx(
        (baa[-1] - baa[-50:].mean()) / baa[-50:].std(ddof=1)
    )
    assert level["baa_z"].iloc[:19].isna().all()
    with pytest.raises(ValidationError):
        get_builder("macro.level")(series="BAA", window_days=50, min_days=60)
    with pytest.raises(ValidationError):
        get_builder("macro.spread").model_validate({"a": "A", "b": "B", "name": "Not ok"})


# --- point in time ------------------------------------------------------------------


def _history() -> pd.DataFrame:
    """A mix of daily, lagged, monthly and revised series for every new builder."""
    rng = np.random.default_rng(3)
    n = len(DAYS)
    k = len(_month_ends())
    monthly, _ = _monthly_returns()
    daily = _daily(
        {
            "SMALL_TR": rng.normal(0.0004, 0.012, n),
            "LARGE_TR": rng.normal(0.0003, 0.010, n),
            "SPX": 4000 * np.exp(np.cumsum(rng.normal(0, 0.01, n))),
            "RTY": 1800 * np.exp(np.cumsum(rng.normal(0, 0.012, n))),
            "S_PE": 14 + np.cumsum(rng.normal(0, 0.05, n)),
            "L_PE": 19 + np.cumsum(rng.normal(0, 0.05, n)),
            "BAA": 5 + np.cumsum(rng.normal(0, 0.02, n)),
            "DGS10": 3.5 + np.cumsum(rng.normal(0, 0.02, n)),
        },
        lag=1,
    )
    breadth = concat_observations(
        [
            _monthly("MEGACAP_REV_BREADTH", rng.uniform(-0.5, 0.5, k), lag_days=10),
            _monthly("LARGE_EX_TOP10_REV_BREADTH", rng.uniform(-0.5, 0.5, k), lag_days=12),
            # revised book-to-market: a second vintage two months later
            _monthly("S_BM", rng.uniform(0.6, 1.0, k), lag_days=20),
            _monthly("S_BM", rng.uniform(0.6, 1.0, k), lag_days=60),
            _monthly("L_BM", rng.uniform(0.2, 0.4, k), lag_days=20),
        ]
    )
    rates = _daily(
        {
            "DFF": 4 + np.cumsum(rng.normal(0, 0.01, n)),
            "FF12": 96 + np.cumsum(rng.normal(0, 0.02, n)),
            "DGS1": 4 + np.cumsum(rng.normal(0, 0.02, n)),
        },
        lag=1,
    )
    return concat_observations([monthly, daily, breadth, rates, _target_observations()])


PIT_BUILDERS: list[tuple[str, dict]] = [
    ("momentum.relative_return", {"window_days": 21}),
    ("momentum.relative_return", {"window_days": 63, "skip_days": 5}),
    ("momentum.relative_return", {"small": "MS", "large": "ML", "window_days": 63}),
    (
        "momentum.relative_return",
        {"small": "RTY", "large": "SPX", "kind": "price", "window_days": 126},
    ),
    ("valuations.relative_value", {"small": "S_PE", "large": "L_PE", "min_days": 20}),
    (
        "valuations.relative_value",
        {"small": "S_BM", "large": "L_BM", "measure": "book_to_market", "min_days": 20},
    ),
    ("macro.spread", {"a": "BAA", "b": "DGS10", "window_days": 60, "min_days": 20}),
    ("macro.level", {"series": "DGS10", "window_days": 60, "min_days": 20}),
    ("earnings_revisions.megacap_spread", {"change_days": 42}),
    ("rate_expectations.cuts_priced", {"futures": "FF12"}),
    ("rate_expectations.cuts_priced", {"bill": "DGS1"}),
    (
        "rate_expectations.cuts_delivered",
        {"target_upper": "TGTU", "target_before": "TGT", "months": 2},
    ),
]


@pytest.mark.parametrize(("name", "params"), PIT_BUILDERS)
def test_new_builders_are_point_in_time(name, params):
    obs = _history()
    full_panel = PointInTimePanel(obs)
    max_age = full_panel.max_ages(full_panel.series_ids)
    builder = get_builder(name).model_validate(params)
    full = builder.compute(full_panel)
    first_date = obs["date"].min()
    days = [DAYS[i] for i in range(40, len(DAYS), 23)] + [pd.Timestamp("2022-12-16")]
    checked = 0
    for day in days:
        known = obs.loc[obs["known_at"] <= day]
        panel = PointInTimePanel(known, end=day, start=first_date, max_age=max_age)
        at_t = builder.compute(panel).loc[day]
        pd.testing.assert_series_equal(at_t, full.loc[day], check_names=False)
        checked += int(at_t.notna().any())
    assert checked >= len(days) // 2  # the check compares values, not only missing ones
