"""Past days are scored out of sample, trading days only, and never past the newest data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from regime.exceptions import ConfigError, DataError
from regime.labels import make_labels
from regime.scoring import load_model
from regime.training import trainable_mask


@pytest.fixture(scope="module")
def model(trained_model: Path):
    return load_model(trained_model)


def test_history_out_of_sample_auc_equals_the_walk_forward_auc(model):
    metrics = model.card["metrics"]
    history = model.history(metrics["oos_start"], metrics["oos_end"])
    assert not history["in_sample"].any()
    dataset = model.dataset(model.card["as_of"])
    labels = make_labels(dataset.panel, model.config.target)["label"].dropna()
    rule = model.config.training.require_features
    trainable = trainable_mask(dataset.features, dataset.pillar_of, rule)
    joined = history.loc[trainable.reindex(history.index)].join(labels, how="inner")
    assert len(joined) == metrics["oos_rows"]
    auc = roc_auc_score(joined["label"], joined["probability"])
    assert auc == pytest.approx(metrics["auc"], abs=1e-12)


def test_a_past_day_is_scored_by_the_newest_model_trained_before_it(model):
    day = pd.Timestamp("2017-03-15")
    card = model.score(day)
    assert not card.in_sample
    assert card.model_trained_through < day
    chosen = model.model_for(day)
    assert chosen.available_from <= day
    later = [m for m in [*model.folds, model.final] if m.available_from > day]
    assert all(m.available_from > chosen.available_from for m in later)
    assert not any("in sample" in c for c in card.caveats)


def test_in_sample_is_flagged_with_a_caveat(model):
    first_fold = model.folds[0].available_from
    early = model.score(first_fold - pd.Timedelta(days=30))
    assert early.in_sample and early.model_trained_through == model.final.trained_through
    assert any(c.startswith("in sample") for c in early.caveats)
    forced = model.score("2017-03-15", in_sample=True)
    assert forced.in_sample and forced.to_dict()["in_sample"] is True


def test_history_is_trading_days_only(model):
    history = model.history("2016-12-01", "2017-01-31")
    days = history.index
    assert pd.Timestamp("2016-12-26") not in days  # Christmas observed
    assert pd.Timestamp("2017-01-16") not in days  # Martin Luther King Jr. Day
    assert (days.day_of_week < 5).all()
    assert {"in_sample", "model_trained_through", "stance"} <= set(history.columns)


def test_weekend_scores_the_friday_before(model):
    card = model.score("2017-03-18").to_dict()
    assert (card["requested"], card["as_of"]) == ("2017-03-18", "2017-03-17")
    assert model.score("2017-03-17").to_dict()["probability"] == card["probability"]


def test_a_date_past_the_newest_data_is_refused(model):
    with pytest.raises(
        DataError, match=r"newest data is from 2019-12-3\d; cannot score 2021-01-04"
    ):
        model.score("2021-01-04")
    stale = model.score("2021-01-04", allow_stale=True)
    assert any("stale" in c for c in stale.caveats)


def test_a_future_date_is_a_usage_error(model):
    with pytest.raises(ConfigError, match="after today"):
        model.score("2999-01-04")


def test_default_day_is_the_newest_day_with_fresh_inputs(model):
    card = model.score()
    # The sample ends 2019-12-31: the newest day is a few days later, while every input
    # is still within its maximum age, and the next trading day has a stale input.
    assert pd.Timestamp("2019-12-31") <= card.as_of <= pd.Timestamp("2020-01-10")
    assert not any(status.stale for status in card.data.values())
    after = model.score(card.as_of + pd.offsets.BDay(1), allow_stale=True)
    assert any(status.stale for status in after.data.values())


def test_cli_past_day_json_carries_the_flags(run_cli, trained_model: Path):
    proc = run_cli("score", "--model", trained_model, "--date", "2017-03-18", "--json")
    assert proc.returncode == 0, proc.stderr
    card = json.loads(proc.stdout)
    assert card["in_sample"] is False
    assert card["requested"] == "2017-03-18" and card["as_of"] == "2017-03-17"
    assert card["model_trained_through"] < "2017-03-17"


def test_cli_date_past_the_data_exits_3(run_cli, trained_model: Path):
    proc = run_cli("score", "--model", trained_model, "--date", "2022-06-01")
    assert proc.returncode == 3, proc.stderr
    assert (
        "newest data is from 2019-12-3" in proc.stderr and "cannot score 2022-06-01" in proc.stderr
    )
    ok = run_cli("score", "--model", trained_model, "--date", "2022-06-01", "--allow-stale")
    assert ok.returncode == 0, ok.stderr
    assert "stale" in ok.stdout


def test_a_dead_feed_holds_the_default_day_back_and_says_so(trained_model: Path, caplog):
    model = load_model(trained_model)
    observations = model.observations()
    dead = (observations["series"] == "RTY_LEV_NET_OI") & (observations["date"] > "2019-06-28")
    model.use_observations(observations.loc[~dead])
    with caplog.at_level("WARNING", logger="regime.scoring"):
        day = model.newest_day()
    assert pd.Timestamp("2019-06-28") < day <= pd.Timestamp("2019-07-16")  # 17-day max age
    assert "RTY_LEV_NET_OI went stale" in caplog.text
    later = model.score("2019-09-03")  # some inputs fresh: scored, the dead one imputed
    assert later.data["RTY_LEV_NET_OI"].stale
    assert later.features["positioning"]["positioning.net_spec_z"] is None


def test_a_day_before_an_input_started_is_scored_with_it_imputed(trained_model: Path):
    model = load_model(trained_model)
    observations = model.observations()
    early = (observations["series"] == "RTY_LEV_NET_OI") & (observations["date"] < "2015-01-01")
    model.use_observations(observations.loc[~early])
    card = model.score("2014-06-02")
    assert card.features["positioning"]["positioning.net_spec_z"] is None
    assert card.data["RTY_LEV_NET_OI"].age_days is None
    assert "no data yet for RTY_LEV_NET_OI: the history starts later" in card.caveats
    assert not any("RTY_LEV_NET_OI is stale" in c for c in card.caveats)
    assert "no data yet" in card.to_text()
    history = model.history("2014-06-02", "2016-06-30")
    assert (history.loc[:"2014-12-31", "missing_features"] == 1).all()  # net_spec_z alone
    assert (history.loc["2016-06-01":, "missing_features"] == 0).all()  # its window filled


def test_the_ended_predecessor_of_a_spliced_target_is_no_staleness(trained_model: Path, caplog):
    """DFEDTAR ends where DFEDTARU begins: neither sets the newest day nor counts as stale."""
    model = load_model(trained_model)
    observations = model.observations()
    series, date = observations["series"], observations["date"]
    ended = (series == "DFEDTAR") & (date >= "2015-01-01")  # the splice moved to 2015
    unborn = (series == "DFEDTARU") & (date < "2015-01-01")
    model.use_observations(observations.loc[~(ended | unborn)])
    with caplog.at_level("WARNING", logger="regime.scoring"):
        day = model.newest_day()
    assert day >= pd.Timestamp("2019-12-01") and "DFEDTAR" not in caplog.text
    card = model.score(day)
    assert "DFEDTAR" not in card.data and "DFEDTARU" in card.data
    assert not any("DFEDTAR " in c for c in card.caveats)
    before = model.score("2014-06-02")  # before the range: the single target, no DFEDTARU
    assert "DFEDTAR" in before.data and "DFEDTARU" not in before.data


def test_a_percentile_names_the_years_its_feature_had_values(trained_model: Path):
    model = load_model(trained_model)
    observations = model.observations()
    early = (observations["series"] == "RTY_LEV_NET_OI") & (observations["date"] < "2015-01-01")
    model.use_observations(observations.loc[~early])
    note = model.score("2019-06-03").notes["positioning"]
    first, last = re.search(r"percentile of (\d{4})-(\d{4})", note).groups()
    assert int(first) >= 2015 and int(last) <= 2019, note


def test_a_refit_between_two_days_is_named_in_the_change(model):
    fold = model.folds[1]
    day = model.score(fold.available_from + pd.Timedelta(days=7))  # a week after a refit
    change = day.changes["1m"]  # from a day the previous model scored
    assert change["probability"] == pytest.approx(
        change["baseline"] + sum(change["pillars"].values()), abs=1e-12
    )
    assert abs(change["baseline"]) > 0.0005  # the two models' neutral probabilities differ
    assert f"a refit moved the baseline {change['baseline']:+.3f}" in day.to_text()
    steady = model.score(fold.available_from + pd.Timedelta(days=60)).changes["1m"]
    assert steady["baseline"] == 0.0


def test_units_come_from_the_builder_where_its_parameters_set_them(model):
    assert model.units_of("rate_expectations.cuts_delivered_6m") == (
        "cuts delivered, 25 bp steps of the FOMC target"
    )
    assert model.units_of("rate_expectations.cuts_priced_12m") == "25 bp cuts priced over 12 months"
    note = model.score("2018-06-01").notes.get("rate_expectations", "")
    assert "percentage points or" not in note
