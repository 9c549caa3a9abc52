"""The central invariant: nothing at day t changes when rows known after t are removed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from short_configs import SHORT_MODEL, SHORT_TARGET_AND_FEATURES

from regime.calendar import trading_days
from regime.config import parse_config
from regime.data._base import LoadContext
from regime.data.panel import PointInTimePanel
from regime.data.sample import simulate_sample
from regime.dataset import FeatureSet
from regime.scoring import load_model
from regime.training import train_config

CONFIG = (
    """
name: pit
data:
  sources:
    - {kind: sample, seed: 11, start: 2010-01-04, end: 2016-12-30}
"""
    + SHORT_TARGET_AND_FEATURES
    + SHORT_MODEL
)

DAYS = trading_days("2012-06-01", "2016-12-30")


@pytest.fixture(scope="module")
def config():
    return parse_config(CONFIG, "pit.yaml")


@pytest.fixture(scope="module")
def observations(config):
    return simulate_sample(11, "2010-01-04", "2016-12-30")


@pytest.fixture(scope="module")
def full_features(config, observations):
    panel = PointInTimePanel(observations)
    return FeatureSet.from_config(config).compute(panel)[0]


@pytest.fixture(scope="module")
def model_path(config, tmp_path_factory) -> Path:
    models = tmp_path_factory.mktemp("models")
    return train_config(config, Path("."), models, LoadContext()).artifact_path


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=st.sampled_from(list(DAYS)))
def test_features_at_t_ignore_rows_known_after_t(config, observations, full_features, day):
    truncated = observations.loc[observations["known_at"] <= day]
    panel = PointInTimePanel(truncated, end=day, start=observations["date"].min())
    at_t = FeatureSet.from_config(config).compute(panel)[0].loc[day]
    pd.testing.assert_series_equal(at_t, full_features.loc[day], check_names=False)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=st.sampled_from(list(DAYS[DAYS >= "2013-01-01"])))
def test_probability_and_scorecard_at_t_ignore_later_rows(observations, model_path, day):
    full = load_model(model_path).use_observations(observations)
    cut = load_model(model_path).use_observations(observations.loc[observations["known_at"] <= day])
    card_full, card_cut = full.score(day).to_dict(), cut.score(day).to_dict()
    assert card_full == card_cut
    # The history computed once over the whole panel agrees with the truncated score.
    row = full.history(day - pd.Timedelta(days=7), None).loc[day]
    assert row["probability"] == pytest.approx(card_cut["probability"], abs=1e-12)
    for pillar, entry in card_cut["pillars"].items():
        assert row[pillar] == pytest.approx(entry["contribution"], abs=1e-12)


def test_a_look_ahead_builder_would_be_caught(observations):
    """The property test has teeth: a centred window (uses the future) breaks it."""
    panel = PointInTimePanel(observations)
    day = pd.Timestamp("2014-03-03")
    cut = PointInTimePanel(
        observations.loc[observations["known_at"] <= day], end=day, start=observations["date"].min()
    )
    centred_full = panel.latest("SMALL_FWD_PE").rolling(21, center=True).mean().loc[day]
    centred_cut = cut.latest("SMALL_FWD_PE").rolling(21, center=True).mean().get(day, np.nan)
    assert not centred_full == centred_cut
