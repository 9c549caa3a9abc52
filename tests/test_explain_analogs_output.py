"""What explain and analogs print: threshold distances, days without data, tied analogs."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from regime.analogs import Analogs, nearest_days
from regime.config import StanceConfig
from regime.explain import stance_flips
from regime.scoring import load_model

#: The fast test model has no positioning data here (a gap in the simulated CFTC series).
NO_POSITIONING_DAY = "2019-01-09"
#: Scored by a walk-forward model that says the base rate, as are all earlier candidates.
BASE_RATE_DAY = "2017-06-01"
#: Its nearest day was scored by a model with spread; the next nine, by base-rate models.
PARTLY_TIED_DAY = "2019-12-02"


@pytest.fixture(scope="module")
def model(trained_model: Path):
    return load_model(trained_model)


@pytest.fixture(scope="module")
def base_rate_model(
    small_config_path: Path, tmp_path_factory: pytest.TempPathFactory, run_cli
) -> Path:
    """The fast config with the default shrink calibration: its early folds say the base rate."""
    config = yaml.safe_load(small_config_path.read_text(encoding="utf-8"))
    config["name"] = "base_rate"
    config["model"]["calibration"] = "shrink"
    return _train(run_cli, config, tmp_path_factory.mktemp("base_rate"))


def _train(run_cli, config: dict, folder: Path) -> Path:
    """Train ``config`` through the CLI into ``folder``; the artifact's path."""
    path = folder / f"{config['name']}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    proc = run_cli("train", "--config", path, "--models-dir", folder, cwd=folder, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return folder / f"{config['name']}.joblib"


# -- explain: where the probability stands against each threshold ------------------------


def _lowest_out_of_sample_day(model) -> tuple[str, float]:
    history = model.history()
    probability = history.loc[~history["in_sample"], "probability"]
    return f"{probability.idxmin():%Y-%m-%d}", float(probability.min())


def test_explain_text_reads_a_probability_below_underweight_as_below_it(
    model, run_cli, trained_model: Path
):
    day, probability = _lowest_out_of_sample_day(model)
    under = model.config.stance.underweight_below
    assert probability < under, "the test needs a day below the underweight threshold"
    payload = json.loads(
        run_cli("explain", "--model", trained_model, "--date", day, "--json").stdout
    )
    assert payload["distance_to_underweight"] == pytest.approx(probability - under)
    text = run_cli("explain", "--model", trained_model, "--date", day)
    assert text.returncode == 0, text.stderr
    line = text.stdout.splitlines()[1]
    assert f"{under - probability:.3f} below underweight ({under:.2f})" in line, line
    assert "in underweight territory" in line, line
    held = payload["scorecard"]["stance"] == "neutral"  # a record without skill holds it
    assert line.endswith("; the stance is held at neutral (see the caveats)") == held, line
    assert "+" not in line, line


@pytest.mark.parametrize(
    ("over", "under", "expected"),
    [
        (
            -0.05,
            -0.10,
            ["0.050 above overweight", "0.100 above underweight", "overweight territory"],
        ),
        (0.05, -0.10, ["0.050 below overweight", "0.100 above underweight", "the neutral band"]),
        (
            0.10,
            0.05,
            ["0.100 below overweight", "0.050 below underweight", "underweight territory"],
        ),
    ],
)
def test_the_threshold_line_agrees_with_the_json_distances(model, over, under, expected):
    explanation = model.explain("2018-06-01")
    p = explanation.scorecard.probability
    moved = dataclasses.replace(
        explanation, thresholds=StanceConfig(overweight_above=p + over, underweight_below=p + under)
    )
    line = moved.to_text().splitlines()[1]
    for words in expected:
        assert words in line, line
    payload = moved.to_dict()
    assert payload["distance_to_overweight"] == pytest.approx(over)
    assert payload["distance_to_underweight"] == pytest.approx(-under)


# -- explain: a pillar without data on the day ---------------------------------------------


def test_explain_on_a_day_a_pillar_has_no_data_warns_nothing(model, run_cli, trained_model: Path):
    row = model.dataset(NO_POSITIONING_DAY).features.loc[NO_POSITIONING_DAY]
    positioning = [f for f in model.feature_names if model.pillar_of[f] == "positioning"]
    assert row[positioning].isna().all(), "the test needs a day without positioning data"
    proc = run_cli("explain", "--model", trained_model, "--date", NO_POSITIONING_DAY)
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("probability", "shown"),
    [(0.44958, "0.4496"), (0.45, "0.450"), (0.5504, "0.5504"), (0.55, "0.550"), (0.4, "0.400")],
)
def test_a_flip_probability_is_printed_on_its_side_of_the_line(probability, shown):
    from regime.explain import _on_its_side

    thresholds = StanceConfig(overweight_above=0.55, underweight_below=0.45)
    assert _on_its_side(probability, thresholds) == shown


def test_a_pillar_without_data_flips_from_its_middle_and_reads_n_a(model):
    training = pd.DataFrame({"a.x": np.arange(100.0), "b.y": np.arange(100.0)})
    pillar_of = {"a.x": "a", "b.y": "b"}

    def predict(frame: pd.DataFrame) -> np.ndarray:
        filled = frame.fillna(training.median())  # a missing value is the training median
        return (
            0.5 + 0.3 * (filled["a.x"] - 50) / 100 + 0.5 * (filled["b.y"] - 50) / 100
        ).to_numpy()

    row = pd.Series({"a.x": 50.0, "b.y": np.nan})
    thresholds = StanceConfig(overweight_above=0.55, underweight_below=0.45)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flips = stance_flips(predict, row, training, pillar_of, thresholds, 0.5)
    assert list(flips.index) == ["a", "b"]  # a pillar with data first: its move is known
    b = flips.loc["b"]
    assert np.isnan(b["from_percentile"]) and np.isnan(b["distance"])
    assert b["to_percentile"] == pytest.approx(0.40)  # the crossing nearest its median
    assert b["stance"] == "underweight"
    explanation = dataclasses.replace(model.explain("2018-06-01"), flips=flips)
    text = explanation.to_text()
    assert "b at its 40% training level (now n/a: no data on the day)" in text, text
    assert "nan" not in text
    assert explanation.to_dict()["what_would_flip"][1]["from_percentile"] is None


# -- explain, score and card: a pillar whose fit broke its declared sign --------------------


def _train_with_contrary_pillar(run_cli, config_path: Path, folder: Path, sign: int) -> Path:
    """The fast config averaged by pillar, plus a pillar "contrary": the small leg's revision
    breadth (bullish in the simulated sample) declared with ``sign``."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["model"]["combine"] = "pillars"
    config["features"].append(
        {
            "builder": "macro.level",
            "pillar": "contrary",
            "params": {"series": "SMALL_REV_BREADTH", "sign": sign},
        }
    )
    return _train(run_cli, config, folder)


@pytest.mark.parametrize("sign", [-1, 1])
def test_a_pillar_whose_fit_broke_its_sign_is_named_as_having_no_weight(
    sign: int, small_config_path: Path, tmp_path: Path, run_cli
):
    artifact = _train_with_contrary_pillar(run_cli, small_config_path, tmp_path, sign)
    contrary = ["contrary.small_rev_breadth", "contrary.small_rev_breadth_z"]
    card = json.loads(artifact.with_suffix(".card.json").read_text(encoding="utf-8"))
    dropped = {row["feature"] for row in card["sign_priors"] if row["dropped"]}
    card_text = artifact.with_suffix(".md").read_text(encoding="utf-8")

    score = run_cli("score", "--model", artifact, "--json")
    assert score.returncode == 0, score.stderr
    caveats = json.loads(score.stdout)["caveats"]
    explain = run_cli("explain", "--model", artifact, "--json")
    assert explain.returncode == 0, explain.stderr
    features = {row["feature"]: row for row in json.loads(explain.stdout)["features"]}
    text = run_cli("explain", "--model", artifact).stdout

    said = [c for c in caveats if c.startswith("contrary has no weight in this model")]
    if sign == -1:  # declared bearish, fitted bullish: dropped, and said so everywhere
        assert dropped.issuperset(contrary)
        assert card_text.count("dropped: its fit broke it") == len(dropped)
        assert len(said) == 1 and "small_rev_breadth, small_rev_breadth_z" in said[0], caveats
        for name in contrary:
            assert features[name]["dropped_by_sign"] is True
            assert features[name]["contribution"] == 0.0
    else:  # declared as the level was fitted: the pillar keeps a weight, nothing is said of it
        assert not dropped.issuperset(contrary)
        assert not said
    named = [f for f in features if f in dropped]  # in the model's feature order
    assert [f for f, row in features.items() if row["dropped_by_sign"]] == named
    assert f"No weight in this model: {', '.join(named)} (each broke" in text


# -- analogs: nearest days whose distances single out nothing ------------------------------


def test_nearest_analogs_of_a_base_rate_model_say_so_instead_of_listing_ties(
    base_rate_model: Path, run_cli
):
    raw = load_model(base_rate_model).analogs(BASE_RATE_DAY).table
    assert len(raw) == 10 and (raw["distance"] == 0).all()  # the cause: every day ties
    payload = json.loads(
        run_cli("analogs", "--model", base_rate_model, "--date", BASE_RATE_DAY, "--json").stdout
    )
    assert payload["episodes"] == []
    assert payload["note"].startswith("no nearest days: the 10 closest past days all tie at ")
    assert "distance 0.000" in payload["note"] and "--when" in payload["note"]
    assert set(payload["hit_rates"].values()) == {None}
    assert payload["legs"] == {"small": "SMALL_TR", "large": "LARGE_TR"}
    text = run_cli("analogs", "--model", base_rate_model, "--date", BASE_RATE_DAY)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[-1] == f"({payload['note']})"
    assert not any(line[:4].isdigit() for line in lines), text.stdout


def test_nearest_analogs_list_the_days_their_distances_single_out_and_not_the_ties(
    base_rate_model: Path, run_cli
):
    raw = load_model(base_rate_model).analogs(PARTLY_TIED_DAY).table["distance"]
    assert raw.iloc[0] < raw.iloc[1] and raw.iloc[1:].nunique() == 1  # one, then nine ties
    payload = json.loads(
        run_cli("analogs", "--model", base_rate_model, "--date", PARTLY_TIED_DAY, "--json").stdout
    )
    assert [e["date"] for e in payload["episodes"]] == [f"{raw.index[0]:%Y-%m-%d}"]
    assert payload["note"].startswith(
        f"the next 9 closest past days all tie at distance {raw.iloc[1]:.3f} in pillar space"
    )
    text = run_cli("analogs", "--model", base_rate_model, "--date", PARTLY_TIED_DAY).stdout
    dated = [line for line in text.splitlines() if line[:4].isdigit()]
    assert len(dated) == 1 and f"({payload['note']})" in text
    assert text.splitlines()[-1].endswith("of 1 episodes")


def test_nearest_days_weigh_each_pillar_by_how_far_it_moves_the_probability():
    days = pd.bdate_range("2010-01-04", periods=4, freq="63B")
    contributions = pd.DataFrame(
        {  # revisions drive the call; flows barely move it
            "earnings_revisions": [-0.08, -0.06, 0.06, -0.08],
            "flows": [0.004, 0.0, -0.002, 0.0],
        },
        index=days,
    )
    today, past = days[-1], days[:3]
    outcomes = pd.DataFrame({"relative_3m": [0.01, 0.02, 0.03]}, index=past)
    table = nearest_days(contributions, today, outcomes, days, horizon=1, k=2)
    # the first day matches today's revisions exactly and differs by 0.4 points of flows;
    # the second matches the flows and differs by 2 points of revisions
    assert list(table.index) == [days[0], days[1]]
    assert list(table["distance"]) == pytest.approx([0.004, 0.02])
    scaled = contributions / contributions.std()  # each pillar standardised: the other order
    assert ((scaled.loc[past] - scaled.loc[today]) ** 2).sum(axis=1).idxmin() == days[1]
    spaced = nearest_days(contributions, today, outcomes, days, horizon=2, k=3)
    assert list(spaced.index) == [days[0], days[2]]  # the second is one step from the first


def _table(distances: list[float]) -> pd.DataFrame:
    days = pd.bdate_range("2010-01-04", periods=len(distances), freq="63B")
    windows = ("1m", "3m", "6m")
    columns = {f"{leg}_{n}": 0.01 for leg in ("small", "large", "relative") for n in windows}
    return pd.DataFrame(columns, index=days).assign(distance=distances)


@pytest.mark.parametrize(
    ("distances", "listed"),
    [
        ([0.0, 0.0, 0.0], 0),
        ([2.91, 2.91], 0),
        ([0.5, 3.41, 3.41, 3.41], 1),
        ([0.5, 0.7, 0.9], 3),
        ([0.0], 1),
        ([0.0, 0.0, 0.3], 3),  # ties nearest of all: the scored day's own point, all listed
    ],
)
def test_nearest_days_are_listed_until_their_distances_tie(distances, listed):
    analogs = Analogs(pd.Timestamp("2015-01-02"), None, _table(distances), 63)
    payload = analogs.to_dict()
    assert len(payload["episodes"]) == listed
    complete = listed == len(distances)
    assert (payload["note"] is None) == complete
    assert ("tie at distance" in analogs.to_text()) == (not complete)


def test_a_rule_with_ties_still_lists_its_episodes():
    table = _table([0.0, 0.0]).drop(columns="distance")
    analogs = Analogs(pd.Timestamp("2015-01-02"), "X > 1", table, 63)
    assert len(analogs.to_dict()["episodes"]) == 2 and analogs.note is None
