"""Pillar attribution is exact Shapley: additive, symmetric, zero for dummy pillars."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regime.config import CaveatsConfig, StanceConfig
from regime.scorecard import SeriesFreshness, caveats_for, pillar_shapley, split_pillars

PILLARS = ["flows", "valuations", "positioning", "rate_expectations", "earnings_revisions"]
PILLAR_OF = {
    "f1": "flows",
    "f2": "flows",
    "v": "valuations",
    "p": "positioning",
    "r": "rate_expectations",
    "e": "earnings_revisions",
}


def _logistic(X: pd.DataFrame) -> np.ndarray:
    z = 0.8 * X["f1"] - 0.5 * X["f2"] * X["v"] + 0.3 * X["p"] ** 2 - X["r"] + 0.1
    return 1.0 / (1.0 + np.exp(-z.to_numpy()))


rows = st.lists(st.floats(-3, 3), min_size=6, max_size=6)


@settings(max_examples=50, deadline=None)
@given(values=st.lists(rows, min_size=1, max_size=4), neutral=rows)
def test_baseline_plus_contributions_equals_probability(values, neutral):
    X = pd.DataFrame(values, columns=list(PILLAR_OF))
    result = pillar_shapley(
        _logistic, X, pd.Series(neutral, index=list(PILLAR_OF)), PILLAR_OF, PILLARS
    )
    total = result.baseline + result.contributions.sum(axis=1)
    np.testing.assert_allclose(total, result.probability, atol=1e-12)
    np.testing.assert_allclose(result.probability, _logistic(X), atol=1e-15)
    # earnings_revisions has a feature the model ignores: a dummy player gets 0.
    np.testing.assert_allclose(result.contributions["earnings_revisions"], 0.0, atol=1e-15)


def test_matches_brute_force_shapley():
    X = pd.DataFrame([[1.0, -2.0, 0.5, 1.5, -1.0, 3.0]], columns=list(PILLAR_OF))
    neutral = pd.Series(0.0, index=list(PILLAR_OF))
    result = pillar_shapley(_logistic, X, neutral, PILLAR_OF, PILLARS)

    def value(coalition: set[str]) -> float:
        row = neutral.copy()
        for feature, pillar in PILLAR_OF.items():
            if pillar in coalition:
                row[feature] = X.iloc[0][feature]
        return float(_logistic(row.to_frame().T)[0])

    n = len(PILLARS)
    for pillar in PILLARS:
        others = [p for p in PILLARS if p != pillar]
        phi = 0.0
        for size in range(n):
            for subset in itertools.combinations(others, size):
                w = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
                phi += w * (value({*subset, pillar}) - value(set(subset)))
        assert result.contributions[pillar].iloc[0] == pytest.approx(phi, abs=1e-12)


def test_pillar_without_features_contributes_zero():
    pillar_of = {"f1": "flows", "r": "rate_expectations"}
    X = pd.DataFrame([[1.0, 2.0]], columns=["f1", "r"])
    result = pillar_shapley(
        lambda d: 1 / (1 + np.exp(-(d["f1"] - d["r"]).to_numpy())),
        X,
        pd.Series(0.0, index=["f1", "r"]),
        pillar_of,
        PILLARS,
    )
    assert result.contributions.loc[:, "valuations"].iloc[0] == 0.0
    assert list(result.contributions.columns) == PILLARS


def test_split_pillars_orders_and_ignores_the_neutral_band():
    tail, head = split_pillars(
        {
            "flows": 0.03,
            "valuations": 0.09,
            "positioning": 0.001,
            "rate_expectations": -0.12,
            "earnings_revisions": -0.02,
        },
        band=0.005,
    )
    assert tail == ["valuations", "flows"]
    assert head == ["rate_expectations", "earnings_revisions"]


def test_a_pillar_with_no_data_is_neither_a_tailwind_nor_a_headwind():
    contributions = {"flows": 0.05, "valuations": -0.04, "positioning": 0.02}
    tail, head = split_pillars(contributions, band=0.005, silent=["flows", "valuations"])
    assert tail == ["positioning"] and head == []


NUMBERS = {
    "probability": 0.5,
    "baseline": 0.45,
    "overweight_above": 0.55,
    "underweight_below": 0.40,
    "in_sample": 0.0,
    "contribution.rate_expectations": 0.03,
    "contribution.flows": 0.02,
}


def test_caveats():
    features = pd.Series(
        {
            "rate_expectations.cuts_delivered_6m": 0.0,
            "flows.event_share_20d": 0.8,
            "flows.rel_flow_20d": 1.2,
            "flows.vs_ytd_pace": 2.0,  # the year-to-date pace is 1.2 - 2.0 < 0: outflows
            "valuations.rel_pe": np.nan,
        }
    )
    fresh = {
        "DGS2": SeriesFreshness("2024-01-02", 40, True),
        "DFF": SeriesFreshness("2024-02-10", 1, False),
    }
    notes = caveats_for(features, (0.2, 0.6), fresh, CaveatsConfig(), True, NUMBERS)
    text = "\n".join(notes)
    assert "no Fed cuts delivered in the last 6 months while the model leans" in text
    assert "single day (80%" in text and "does not a trend make" in text
    assert "against year-to-date outflows" in text
    assert "within the model's own uncertainty of a stance threshold" in text
    assert "interval 0.20-0.60 is wide" in text
    assert "valuations.rel_pe" in text
    assert "DGS2 is stale" in text and "DFF" not in text
    assert "synthetic" in text
    calm = caveats_for(
        pd.Series(
            {
                "rate_expectations.cuts_delivered_6m": 0.5,
                "flows.event_share_20d": 0.2,
                "flows.rel_flow_20d": 1.2,
                "flows.vs_ytd_pace": 0.5,
            }
        ),
        (0.45, 0.5),
        {},
        CaveatsConfig(),
        False,
        NUMBERS,
    )
    assert calm == []
    # No cuts delivered, but the model does not lean on rate expectations: no caveat.
    leaning_away = {**NUMBERS, "contribution.rate_expectations": -0.02}
    notes = caveats_for(features, None, {}, CaveatsConfig(), False, leaning_away)
    assert not any("no Fed cuts" in note for note in notes)


def test_config_caveat_rules_fill_their_sentence_and_are_checked_at_load():
    from regime.caveats import CaveatRule

    rule = CaveatRule(
        when="age.DGS2 > 30 and probability > 0.4", say="DGS2 is {age.DGS2:.0f} days old"
    )
    config = CaveatsConfig(rules=[rule], defaults=False, stale_data=False)
    fresh = {"DGS2": SeriesFreshness("2024-01-02", 40, True)}
    notes = caveats_for(
        pd.Series({"flows.event_share_20d": 0.9}), None, fresh, config, False, NUMBERS
    )
    assert notes == ["DGS2 is 40 days old"]  # defaults off: no single-day caveat


def test_stance_config_rejects_inverted_thresholds():
    with pytest.raises(ValueError, match="underweight_below"):
        StanceConfig(overweight_above=0.4, underweight_below=0.6)


def test_many_stale_series_make_one_caveat():
    fresh = {f"S{i}": SeriesFreshness("2024-01-02", 40 + i, True) for i in range(5)}
    notes = caveats_for(pd.Series(dtype=float), None, fresh, CaveatsConfig(), synthetic=False)
    assert notes == [
        "5 series are stale: S0 (40 days old), S1 (41 days old), S2 (42 days old), "
        "S3 (43 days old), S4 (44 days old)"
    ]


RECORD = {
    "rows": 2000,
    "start": "2010-01-04",
    "end": "2017-12-29",
    "auc": 0.58,
    "brier_skill": 0.01,
    "brier_skill_interval": [-0.02, 0.04],
    "reliability": [
        {"bin": 2, "lower": 0.2, "upper": 0.3, "predicted": 0.26, "observed": 0.45, "rows": 400},
        {"bin": 4, "lower": 0.4, "upper": 0.5, "predicted": 0.45, "observed": 0.47, "rows": 900},
        {"bin": 6, "lower": 0.6, "upper": 0.7, "predicted": 0.62, "observed": 0.61, "rows": 12},
    ],
}


def test_a_record_that_does_not_rule_out_no_skill_holds_the_stance_at_neutral():
    from regime.scorecard import earned_stance

    config = StanceConfig(overweight_above=0.55, underweight_below=0.40)
    stance, note = earned_stance(0.2, config, RECORD)
    assert stance == "neutral" and "does not rule out no skill" in note
    assert "the probability alone says underweight" in note
    skilled = {**RECORD, "brier_skill_interval": [0.005, 0.04]}
    assert earned_stance(0.2, config, skilled) == ("underweight", None)
    assert earned_stance(0.7, config, None)[0] == "neutral"


def test_a_model_at_its_base_rate_says_so_instead_of_a_suppressed_call():
    """With no weight kept, 0.39 below a 0.45 line is the base rate, not an underweight view."""
    import numpy as np

    from regime.calibration import Recalibrator
    from regime.fitted import FittedModel
    from regime.scorecard import earned_stance

    config = StanceConfig(overweight_above=0.55, underweight_below=0.45)
    stance, note = earned_stance(0.39, config, RECORD, at_base_rate=True)
    assert stance == "neutral" and "says" not in note.split(":")[-1]
    assert "earns its forecast no weight" in note
    assert "the probability is the training base rate (0.39), not a view" in note
    day = pd.Timestamp("2020-01-02")
    rng = np.random.default_rng(0)
    noise = rng.uniform(0.2, 0.6, 400)
    unskilled = Recalibrator("shrink", base_rate=0.39).fit(noise, rng.integers(0, 2, 400), block=1)
    skilled = Recalibrator("shrink", base_rate=0.39).fit(noise, (noise > 0.4).astype(int), block=1)
    assert unskilled.weight_ == 0 and skilled.weight_ > 0
    models = [
        FittedModel(None, c, [], {}, [], day, day, day, 400) for c in (unskilled, skilled, None)
    ]
    assert [m.at_base_rate for m in models] == [True, False, False]
    assert [m.base_rate for m in models] == [0.39, 0.39, None]
    # a little weight kept, the same side of the line as the base rate: said, not hidden
    _, near = earned_stance(0.40, config, RECORD, base_rate=0.39)
    assert "says underweight, as the training base rate 0.39 would" in near
    _, own = earned_stance(0.40, config, RECORD, base_rate=0.48)
    assert own.endswith("(the probability alone says underweight)")


def test_calibration_caveat_names_thin_and_poorly_calibrated_levels():
    from regime.scorecard import calibration_caveat

    assert "poorly calibrated" in calibration_caveat(0.25, RECORD, 126)
    assert calibration_caveat(0.45, RECORD, 126) is None
    assert "thin record" in calibration_caveat(0.65, RECORD, 126)
    assert "says nothing" in calibration_caveat(0.95, RECORD, 126)
    assert calibration_caveat(0.45, None, 126) is None
    # monthly legs: every caveat counts months, none says days
    for probability in (0.25, 0.65, 0.95):
        said = calibration_caveat(probability, RECORD, 126, rows="months")
        assert "month" in said and "day" not in said, said
