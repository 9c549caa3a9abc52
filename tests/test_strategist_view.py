"""explain, what-if and analogs: the call, feature by feature; scenarios; past episodes."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regime.exceptions import ConfigError
from regime.scoring import load_model

DAY = "2018-06-01"


@pytest.fixture(scope="module")
def model(trained_model: Path):
    return load_model(trained_model)


def test_feature_contributions_sum_to_their_pillars_and_the_probability(model):
    explanation = model.explain(DAY)
    card, features = explanation.scorecard, explanation.features
    by_pillar = features.groupby("pillar")["contribution"].sum()
    for pillar, value in card.contributions.items():
        assert by_pillar.get(pillar, 0.0) == pytest.approx(value, abs=1e-9)
    assert card.baseline + features["contribution"].sum() == pytest.approx(card.probability)
    assert features["percentile"].dropna().between(0, 1).all()
    assert (features["units"] != "").all()
    assert explanation.binding_constraint == (card.headwinds[0] if card.headwinds else None)
    for _, flip in explanation.flips.iterrows():
        assert flip["stance"] != ("neutral" if 0.40 <= card.probability <= 0.55 else "x")


def test_what_would_flip_crosses_a_threshold_when_applied(model):
    explanation = model.explain(DAY)
    thresholds = explanation.thresholds
    for _, flip in explanation.flips.iterrows():
        crossed = flip["probability"] > thresholds.overweight_above or (
            flip["probability"] < thresholds.underweight_below
        )
        now = explanation.scorecard.probability
        inside_now = thresholds.underweight_below <= now <= thresholds.overweight_above
        assert crossed if inside_now else True


def test_explain_cli_json_and_plot(run_cli, trained_model: Path, tmp_path: Path):
    png = tmp_path / "explain.png"
    proc = run_cli("explain", "--model", trained_model, "--date", DAY, "--json", "--plot", png)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert {"scorecard", "features", "binding_constraint", "what_would_flip"} <= set(payload)
    assert payload["distance_to_overweight"] == pytest.approx(
        0.55 - payload["scorecard"]["probability"]
    )
    assert png.stat().st_size > 10_000


def test_a_big_one_day_inflow_moves_flows_up_and_is_flagged(model):
    what_if = model.what_if({"SMALL_ETF_FLOW": 3e9, "LARGE_ETF_FLOW": -8e9}, date=DAY)
    assert what_if.pillar_changes()["flows"] > 0.01
    assert what_if.scenario.probability > what_if.base.probability
    assert any("single day" in c for c in what_if.scenario.caveats)
    assert not any("single day" in c for c in what_if.base.caveats)
    # Only the flow features moved; other pillars' contributions shift only through the
    # model's interactions (the logistic link), their features not at all.
    for pillar in ("valuations", "positioning", "rate_expectations", "earnings_revisions"):
        assert what_if.scenario.features[pillar] == what_if.base.features[pillar]


def test_a_past_flow_assumed_is_that_days_news_not_todays(model):
    """A flow assumed for an earlier day counts on the day its real report came out."""
    day = pd.Timestamp(DAY)
    recent = day - pd.offsets.BDay(5)
    near = model.what_if({"SMALL_ETF_FLOW": (3e9, f"{recent:%Y-%m-%d}")}, date=DAY)
    before, after = near.base.features["flows"], near.scenario.features["flows"]
    assert after["flows.rel_flow_1d"] == before["flows.rel_flow_1d"]  # not today's flow
    assert after["flows.rel_flow_20d"] > before["flows.rel_flow_20d"]  # but in the trend
    assert "flows.rel_flow_1d" not in near.changed_features()
    far = model.what_if({"SMALL_ETF_FLOW": (3e9, "2013-01-03")}, date=DAY)
    assert far.changed_features() == []
    assert far.scenario.probability == pytest.approx(far.base.probability, abs=1e-12)
    assert "no feature changed on this day" in far.to_text()


def test_a_what_if_value_must_be_finite(run_cli, trained_model: Path):
    for value in ("nan", "inf", "-inf"):
        proc = run_cli("score", "--model", trained_model, "--set", f"SMALL_ETF_FLOW={value}")
        assert proc.returncode == 2, proc.stderr
        assert "must be a finite number" in proc.stderr and "Traceback" not in proc.stderr


def test_what_if_cli_prints_both_scorecards(run_cli, trained_model: Path, tmp_path: Path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("- {series: SMALL_ETF_FLOW, value: 3.0e9}\n")
    proc = run_cli(
        "score",
        "--model",
        trained_model,
        "--date",
        DAY,
        "--scenario",
        scenario,
        "--set",
        "LARGE_ETF_FLOW=-8e9",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert set(payload) == {"base", "scenario"}
    assert payload["scenario"]["probability"] > payload["base"]["probability"]
    bad = run_cli("score", "--model", trained_model, "--set", "SMALL_ETF_FLOWS=1")
    assert bad.returncode == 2 and "did you mean 'SMALL_ETF_FLOW'" in bad.stderr
    malformed = run_cli("score", "--model", trained_model, "--set", "SMALL_ETF_FLOW")
    assert malformed.returncode == 2 and "SERIES=VALUE" in malformed.stderr


def test_rule_analogs_match_a_hand_computation(model):
    rule = "earnings_revisions.breadth_spread > 0.05"
    analogs = model.analogs(DAY, when=rule)
    dataset = model.dataset(DAY)
    assert len(analogs.table) >= 2
    observations = model.observations()
    legs = {
        name: observations.loc[observations["series"] == series].set_index("date")["value"]
        for name, series in (("small", "SMALL_TR"), ("large", "LARGE_TR"))
    }
    calendar = dataset.features.index
    held = dataset.features["earnings_revisions.breadth_spread"] > 0.05
    for day, row in analogs.table.iterrows():
        assert held[day]
        dates = legs["small"].index
        after = dates[dates > day][:63]
        small = np.prod(1 + legs["small"].loc[after]) - 1
        large = np.prod(1 + legs["large"].loc[after]) - 1
        assert row["small_3m"] == pytest.approx(small, rel=1e-9)
        assert row["large_3m"] == pytest.approx(large, rel=1e-9)
        six_months_on = dates[dates > day][125]
        assert six_months_on <= pd.Timestamp(DAY)  # the outcome was known by the day
    starts = [calendar.get_loc(d) for d in analogs.table.index]
    assert all(b - a >= 42 for a, b in itertools.pairwise(starts))


def test_monthly_legs_give_outcomes_in_months_and_episodes_a_horizon_of_months_apart():
    from regime.analogs import episodes, forward_returns

    months = pd.date_range("1990-01-31", periods=30, freq="ME")
    legs = pd.DataFrame({"small": 0.01, "large": 0.0}, index=months)
    outcomes = forward_returns(legs)
    first = outcomes.iloc[0]
    for name, n in (("1m", 1), ("3m", 3), ("6m", 6)):
        assert first[f"small_{name}"] == pytest.approx(1.01**n - 1, rel=1e-12)
        assert first[f"relative_{name}"] == pytest.approx(1.01**n - 1, rel=1e-12)
    assert outcomes["small_6m"].iloc[-6:].isna().all() and outcomes["small_6m"].iloc[-7] > 0
    held = months[[0, 1, 5, 12, 13, 25]]
    assert list(episodes(held, months, 12)) == list(months[[0, 12, 25]])


def test_nearest_analogs_and_a_bad_rule(model, run_cli, trained_model: Path):
    nearest = model.analogs(DAY, k=4)
    assert len(nearest.table) == 4 and nearest.table["distance"].is_monotonic_increasing
    with pytest.raises(ConfigError, match="unknown name 'BREADTH'"):
        model.analogs(DAY, when="BREADTH > 1")
    with pytest.raises(ConfigError, match="is not allowed"):
        model.analogs(DAY, when="__import__('os').system('true')")
    proc = run_cli("analogs", "--model", trained_model, "--date", DAY, "--when", "NOPE > 1")
    assert proc.returncode == 2 and "unknown name 'NOPE'" in proc.stderr


def test_scorecard_reads_like_a_note_with_changes_since_a_week_and_a_month(model):
    card = model.score(DAY)
    payload = card.to_dict()
    assert set(payload["changes"]) == {"1w", "1m"}
    week = model.score(payload["changes"]["1w"]["since"])
    assert payload["changes"]["1w"]["probability"] == pytest.approx(
        card.probability - week.probability, abs=1e-12
    )
    for pillar, change in payload["changes"]["1m"]["pillars"].items():
        month = model.score(payload["changes"]["1m"]["since"])
        assert change == pytest.approx(
            card.contributions[pillar] - month.contributions[pillar], abs=1e-12
        )
    for pillar in card.tailwinds + card.headwinds:
        assert "percentile of" in payload["pillar_notes"][pillar]
    text = card.to_text()
    assert "Since " in text and "percentile of" in text


def test_an_out_of_sample_day_never_leans_on_the_in_sample_final_model(trained_model: Path):
    """Days before the first fold are scored by the final model, which saw later labels.

    A day scored out of sample must not compare itself with them: swapping in
    another final model leaves its analogs and its changes since a week and a
    month as they were (the month-ago day, before the first fold, has no
    change at all).
    """
    model = load_model(trained_model)
    first = model.folds[0].available_from
    calendar = model.history(end=first + pd.Timedelta(days=40)).index
    day = calendar[calendar.searchsorted(first) + 10]
    card = model.score(day)
    assert not card.in_sample and "1w" in card.changes and "1m" not in card.changes
    other = load_model(trained_model)
    other.final = dataclasses.replace(model.folds[-1], available_from=model.final.available_from)
    assert other.score(day).changes == card.changes
    early = model.analogs(day, k=3)  # no out-of-sample day has a known outcome yet
    assert early.table.empty and "days before the first walk-forward fold" in early.to_text()
    later = pd.Timestamp(DAY)  # two years on: out-of-sample days with known outcomes exist
    analogs = model.analogs(later, k=3).to_dict()
    assert analogs["episodes"], analogs
    assert other.analogs(later, k=3).to_dict() == analogs
    assert (
        other.history(end=day)["probability"]
        .loc[:first]
        .ne(model.history(end=day)["probability"].loc[:first])
        .any()
    ), "the swapped final model scores the in-sample days differently"
