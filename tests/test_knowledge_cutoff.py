"""A knowledge cutoff is real: training as of D equals training on the data known by D."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from short_configs import SHORT_MODEL, SHORT_TARGET_AND_FEATURES

from regime.config import parse_config
from regime.data._base import LoadContext
from regime.data.sample import simulate_sample
from regime.exceptions import ConfigError
from regime.scoring import load_model
from regime.training import train_config

CUTOFF = pd.Timestamp("2016-06-30")


def _config(name: str, csv: Path, as_of: str | None) -> str:
    training = f"training: {{as_of: {as_of}}}\n" if as_of else ""
    return (
        f"name: {name}\n"
        f"data: {{sources: [{{kind: csv, path: {csv}, layout: long}}]}}\n"
        + SHORT_TARGET_AND_FEATURES
        + SHORT_MODEL
        + training
    )


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory):
    """Two models: cutoff on the full file, and no cutoff on the file filtered to the cutoff."""
    root = tmp_path_factory.mktemp("cutoff")
    observations = simulate_sample(5, "2009-01-02", "2018-12-31")
    full, cut = root / "full.csv", root / "cut.csv"
    observations.to_csv(full, index=False, date_format="%Y-%m-%d")
    observations.loc[observations["known_at"] <= CUTOFF].to_csv(
        cut, index=False, date_format="%Y-%m-%d"
    )
    models = []
    for name, path, as_of in (("asof", full, f"{CUTOFF:%Y-%m-%d}"), ("filtered", cut, None)):
        config = parse_config(_config(name, path, as_of), f"{name}.yaml")
        result = train_config(config, root, root / name, LoadContext(base_dir=root))
        models.append(load_model(result.artifact_path))
    return models


def test_cutoff_equals_filtered_data_on_every_day_up_to_it(pair):
    as_of, filtered = pair
    assert as_of.card["as_of"] == filtered.card["as_of"] == f"{CUTOFF:%Y-%m-%d}"
    for in_sample in (False, True):
        a = as_of.history("2011-01-03", CUTOFF, in_sample=in_sample)
        b = filtered.history("2011-01-03", CUTOFF, in_sample=in_sample)
        assert len(a) > 1000 and a.index[-1] == CUTOFF
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=1e-12)


def test_cutoff_cards_agree_and_labels_ended_by_the_cutoff(pair):
    as_of, filtered = pair
    for key in ("training_window", "metrics", "fingerprints", "models", "max_age_days"):
        assert as_of.card[key] == filtered.card[key], key
    window = as_of.card["training_window"]
    assert pd.Timestamp(window["labels_known_through"]) <= CUTOFF
    # The last label's horizon (42 trading days) ends at the cutoff, not later.
    assert pd.Timestamp(window["end"]) < CUTOFF - pd.Timedelta(days=42)


def test_purge_below_the_horizon_is_a_config_error():
    text = (
        "name: purge\ndata: {sources: [{kind: sample}]}\n"
        + SHORT_TARGET_AND_FEATURES
        + "evaluation: {purge_days: 10}\n"
    )
    with pytest.raises(ConfigError, match=r"purge_days.*\(10\) must be at least .*horizon_days"):
        parse_config(text, "purge.yaml")


def test_training_end_is_replaced_by_as_of():
    text = (
        "name: old\ndata: {sources: [{kind: sample}]}\n"
        + SHORT_TARGET_AND_FEATURES
        + "training: {end: 2020-12-31}\n"
    )
    with pytest.raises(ConfigError, match=r"training.end. is replaced by .training.as_of"):
        parse_config(text, "old.yaml")


def test_labels_known_at_is_the_end_of_the_horizon():
    from regime.labels import horizon_known_at

    days = pd.bdate_range("2020-01-01", periods=10)
    known = pd.Series(days + pd.Timedelta(days=1), index=days)
    out = horizon_known_at(known, 3)
    assert list(out.iloc[:7]) == list(known.iloc[3:])
    assert out.iloc[7:].isna().all()
    assert np.all(np.diff(out.iloc[:7].to_numpy()) > np.timedelta64(0))
