"""Each pillar's builder on small hand-made panels, and the registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features import BUILDERS, CORE_PILLARS, get_builder
from regime.calendar import trading_days
from regime.data.observations import concat_observations, make_observations
from regime.data.panel import PointInTimePanel
from regime.exceptions import ConfigError

DAYS = trading_days("2023-01-02", "2024-03-08")


def _panel(series: dict[str, np.ndarray], lag: int = 0) -> PointInTimePanel:
    frames = [
        make_observations(name, DAYS, values, DAYS + pd.offsets.BDay(lag))
        for name, values in series.items()
    ]
    return PointInTimePanel(concat_observations(frames), end=DAYS[-1], start=DAYS[0])


def test_every_core_pillar_has_a_builder_and_names_are_prefixed():
    assert {cls.pillar for cls in BUILDERS.values()} == {*CORE_PILLARS, "macro", "momentum"}
    for name, cls in BUILDERS.items():
        assert name.startswith(cls.pillar + ".")
        assert cls.input_fields


def test_unknown_builder_suggests_the_closest():
    with pytest.raises(ConfigError, match=r"did you mean 'valuations\.relative_pe'"):
        get_builder("valuation.relative_pe")


def test_relative_flow():
    n = len(DAYS)
    small_flow = np.full(n, 30.0)  # 0.3% of 10,000 a day
    small_flow[-5] = 300.0  # a one-day event
    panel = _panel(
        {
            "SF": small_flow,
            "SA": np.full(n, 10_000.0),
            "LF": np.full(n, 10.0),
            "LA": np.full(n, 10_000.0),
        },
        lag=1,
    )
    out = get_builder("flows.relative_flow")(
        small_flow="SF", small_assets="SA", large_flow="LF", large_assets="LA", trend_days=20
    ).compute(panel)
    last = out.iloc[-1]
    assert last["flows.rel_flow_1d"] == pytest.approx(0.2)  # (30 - 10) / 10,000 in %
    assert last["flows.rel_flow_20d"] == pytest.approx(19 * 0.2 + 2.9)
    assert last["flows.event_share_20d"] == pytest.approx(2.9 / (19 * 0.2 + 2.9))
    assert np.isnan(out["flows.rel_flow_1d"].iloc[0])  # day 1's flow is known on day 2


def test_relative_pe_percentile():
    ratio = np.linspace(1.0, 2.0, len(DAYS))
    panel = _panel({"S": 15.0 * ratio, "L": np.full(len(DAYS), 15.0)})
    out = get_builder("valuations.relative_pe")(
        small_pe="S", large_pe="L", window_days=100, min_days=50
    ).compute(panel)
    assert out["valuations.rel_pe"].iloc[-1] == pytest.approx(2.0)
    assert out["valuations.rel_pe_pctile"].iloc[-1] == pytest.approx(1.0)  # dearest in window
    assert np.isnan(out["valuations.rel_pe_pctile"].iloc[40])  # warm-up


def test_rate_expectations():
    n = len(DAYS)
    policy = np.where(np.arange(n) < 150, 5.25, 4.75)  # two cuts on day 150
    panel = _panel({"FF": policy, "Y2": policy - 0.5})
    priced = get_builder("rate_expectations.cuts_priced")(policy_rate="FF", two_year="Y2")
    delivered = get_builder("rate_expectations.cuts_delivered")(policy_rate="FF", months=6)
    assert priced.compute(panel)["rate_expectations.cuts_priced_12m"].iloc[-1] == pytest.approx(2)
    out = delivered.compute(panel)["rate_expectations.cuts_delivered_6m"]
    assert out.iloc[200] == pytest.approx(0.5)  # within six months of the cuts
    assert out.iloc[-1] == pytest.approx(0.0)  # more than six months later
    assert np.isnan(out.iloc[100])


def test_breadth_spread_and_positioning():
    n = len(DAYS)
    panel = _panel(
        {
            "SB": np.full(n, 0.1),
            "LB": np.full(n, -0.1),
            "NET": np.r_[np.zeros(n - 1), 5.0] + np.sin(np.arange(n)),
        }
    )
    rev = get_builder("earnings_revisions.breadth_spread")(small_breadth="SB", large_breadth="LB")
    assert rev.compute(panel)["earnings_revisions.breadth_spread"].iloc[-1] == pytest.approx(0.2)
    pos = get_builder("positioning.net_spec_z")(net_position="NET", window_days=100, min_days=50)
    assert pos.compute(panel)["positioning.net_spec_z"].iloc[-1] > 3  # crowded long


def test_series_change_with_a_pillar_override():
    n = len(DAYS)
    panel = _panel({"BAA10Y": np.linspace(2.0, 3.0, n)})
    builder = get_builder("macro.series_change")(
        series="BAA10Y", change_days=10, window_days=50, min_days=20
    )
    out = builder.compute(panel, pillar="credit")
    assert list(out.columns) == ["credit.baa10y_chg", "credit.baa10y_z"]
    assert out["credit.baa10y_chg"].iloc[-1] == pytest.approx(10 / (n - 1))
