"""The central invariant: nothing at day t changes when rows known after t are removed."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from short_configs import SHORT_MODEL, SHORT_TARGET_AND_FEATURES

from features import BUILDERS, FeatureBuilder, get_builder, register
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
def model_path(config, tmp_path_factory) -> Path:
    models = tmp_path_factory.mktemp("models")
    return train_config(config, Path("."), models, LoadContext()).artifact_path


def assert_point_in_time(
    feature_set: FeatureSet, observations: pd.DataFrame, days: list[pd.Timestamp]
) -> None:
    """Features at each day equal those built from the rows known by that day alone.

    Maximum ages are fixed from the full panel, as a trained model fixes them.
    """
    full_panel = PointInTimePanel(observations)
    max_age = full_panel.max_ages(full_panel.series_ids)
    full = feature_set.compute(full_panel)[0]
    for day in days:
        truncated = observations.loc[observations["known_at"] <= day]
        start = observations["date"].min()
        panel = PointInTimePanel(truncated, end=day, start=start, max_age=max_age)
        at_t = feature_set.compute(panel)[0].loc[day]
        pd.testing.assert_series_equal(at_t, full.loc[day], check_names=False)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=st.sampled_from(list(DAYS)))
def test_features_at_t_ignore_rows_known_after_t(config, observations, day):
    assert_point_in_time(FeatureSet.from_config(config), observations, [day])


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


class CentredMean(FeatureBuilder):
    """A deliberately leaky builder: a centred window reads ten days of the future."""

    name: ClassVar[str] = "test.centred_mean"
    pillar: ClassVar[str] = "valuations"
    input_fields: ClassVar[tuple[str, ...]] = ("series",)

    series: str = "SMALL_FWD_PE"

    def build(self, panel: PointInTimePanel) -> pd.DataFrame:
        centred = panel.latest(self.series).rolling(21, center=True, min_periods=1).mean()
        return pd.DataFrame({"centred_pe": centred})


@pytest.fixture
def leaky_builder():
    register(CentredMean)
    yield CentredMean
    del BUILDERS[CentredMean.name]


def test_a_look_ahead_builder_is_caught(observations, leaky_builder):
    """The property test has teeth: the same check fails on a registered leaky builder."""
    leaky = FeatureSet(((leaky_builder(), "valuations"),))
    days = list(DAYS[::97])
    with pytest.raises(AssertionError):
        assert_point_in_time(leaky, observations, days)
    honest = FeatureSet(((get_builder("valuations.relative_pe")(), "valuations"),))
    assert_point_in_time(honest, observations, days)


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=st.sampled_from(list(DAYS[DAYS >= "2014-01-01"])))
def test_explanation_and_analogs_at_t_ignore_later_rows(observations, model_path, day):
    full = load_model(model_path).use_observations(observations)
    cut = load_model(model_path).use_observations(observations.loc[observations["known_at"] <= day])
    assert full.explain(day).to_dict() == cut.explain(day).to_dict()
    assert full.analogs(day, k=3).to_dict() == cut.analogs(day, k=3).to_dict()
