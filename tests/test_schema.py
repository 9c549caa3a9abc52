"""docs/scorecard.schema.json: `regime score --json` conforms to it, and it has teeth."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from regime.scorecard import Scorecard, SeriesFreshness

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "docs" / "scorecard.schema.json"
CORE_PILLARS = ["flows", "valuations", "positioning", "rate_expectations", "earnings_revisions"]

# Scored days: the default (newest) day, a past out-of-sample day, the same day
# in sample, and a Saturday (scored as the Friday before it).
CASES = {
    "default": [],
    "past_oos": ["--date", "2018-06-01"],
    "in_sample": ["--date", "2018-06-01", "--in-sample"],
    "weekend": ["--date", "2018-06-02"],
}


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=FormatChecker())


@pytest.fixture(scope="module")
def cards(run_cli, trained_model: Path) -> dict[str, dict]:
    """``regime score --json`` of the trained model for every case of CASES."""
    out = {}
    for case, args in CASES.items():
        proc = run_cli("score", "--model", trained_model, "--json", *args)
        assert proc.returncode == 0, (case, proc.stderr)
        out[case] = json.loads(
            proc.stdout, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}")
        )
    return out


# -- the schema itself ------------------------------------------------------------


def test_schema_is_valid_draft_2020_12(schema: dict):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def _properties(node: object, path: str = "") -> Iterator[tuple[str, object]]:
    """Every (path, subschema) declared under a ``properties`` keyword, recursively."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    yield f"{path}/{name}", sub
                    yield from _properties(sub, f"{path}/{name}")
            else:
                yield from _properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _properties(item, f"{path}/{i}")


def test_every_property_has_a_description(schema: dict):
    props = list(_properties(schema))
    assert len(props) > 30
    missing = [p for p, sub in props if not (isinstance(sub, dict) and sub.get("description"))]
    assert missing == []


def test_schema_lists_exactly_the_keys_of_to_dict(schema: dict):
    """The top-level keys documented are the ones Scorecard.to_dict() writes (no more, no less)."""
    card = Scorecard(
        model="m",
        as_of=pd.Timestamp("2018-06-01"),
        horizon_days=126,
        probability=0.5,
        baseline=0.5,
        interval=None,
        stance="neutral",
        contributions=dict.fromkeys(CORE_PILLARS, 0.0),
        features={},
        tailwinds=[],
        headwinds=[],
        caveats=[],
        data={"X": SeriesFreshness(None, None, True)},
        synthetic=True,
    )
    keys = set(card.to_dict())
    assert set(schema["properties"]) == keys
    assert set(schema["required"]) == keys
    # A bare scorecard (no record, no interval, nothing known) conforms too.
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(
        json.loads(card.to_json())
    )


# -- real output conforms ------------------------------------------------------------


@pytest.mark.parametrize("case", list(CASES))
def test_score_json_conforms(cards: dict[str, dict], validator: Draft202012Validator, case: str):
    card = cards[case]
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(card)]
    assert errors == []
    # What JSON Schema cannot say: the interval is ordered, the pillars add up.
    if card["interval"] is not None:
        assert card["interval"][0] <= card["interval"][1]
    total = card["baseline"] + sum(p["contribution"] for p in card["pillars"].values())
    assert total == pytest.approx(card["probability"], abs=1e-9)


def test_cases_cover_what_they_claim(cards: dict[str, dict]):
    assert cards["past_oos"]["as_of"] == "2018-06-01"
    assert cards["past_oos"]["in_sample"] is False
    assert cards["in_sample"]["in_sample"] is True
    weekend = cards["weekend"]
    assert (weekend["requested"], weekend["as_of"]) == ("2018-06-02", "2018-06-01")
    assert set(cards["default"]["changes"]) == {"1w", "1m"}
    low, high = cards["default"]["oos_auc_interval"]
    assert low <= cards["default"]["oos_auc"] <= high


# -- the schema has teeth --------------------------------------------------------------


def _broken(card: dict, how: str) -> dict:
    bad = copy.deepcopy(card)
    if how == "extra_key":
        bad["undocumented"] = 1
    elif how == "bad_stance":
        bad["stance"] = "bullish"
    elif how == "probability_1.5":
        bad["probability"] = 1.5
    elif how.startswith("missing_"):
        del bad["pillars"][how.removeprefix("missing_")]
    elif how == "no_thresholds":
        del bad["thresholds"]
    elif how == "bad_date":
        bad["as_of"] = "2018-02-30"
    elif how == "date_not_iso":
        bad["requested"] = "06/01/2018"
    elif how == "interval_of_three":
        bad["interval"] = [0.1, 0.2, 0.3]
    elif how == "auc_interval_above_one":
        bad["oos_auc_interval"] = [0.4, 1.2]
    elif how == "extra_pillar_key":
        bad["pillars"]["flows"]["weight"] = 0.3
    elif how == "feature_as_string":
        name = next(iter(bad["pillars"]["flows"]["features"]))
        bad["pillars"]["flows"]["features"][name] = "1.2"
    elif how == "age_days_negative":
        next(iter(bad["data"].values()))["age_days"] = -1
    elif how == "stale_as_string":
        next(iter(bad["data"].values()))["stale"] = "no"
    elif how == "in_sample_missing":
        del bad["in_sample"]
    elif how == "change_window_unknown":
        bad["changes"]["3m"] = bad["changes"]["1m"]
    elif how == "change_without_since":
        del bad["changes"]["1w"]["since"]
    else:  # pragma: no cover
        raise AssertionError(how)
    return bad


@pytest.mark.parametrize(
    "how",
    [
        "extra_key",
        "bad_stance",
        "probability_1.5",
        *(f"missing_{p}" for p in CORE_PILLARS),
        "no_thresholds",
        "bad_date",
        "date_not_iso",
        "interval_of_three",
        "auc_interval_above_one",
        "extra_pillar_key",
        "feature_as_string",
        "age_days_negative",
        "stale_as_string",
        "in_sample_missing",
        "change_window_unknown",
        "change_without_since",
    ],
)
def test_schema_rejects(cards: dict[str, dict], validator: Draft202012Validator, how: str):
    card = cards["default"]
    assert validator.is_valid(card)
    with pytest.raises(ValidationError):
        validator.validate(_broken(card, how))


def test_schema_allows_an_extra_pillar_and_null_features(
    cards: dict[str, dict], validator: Draft202012Validator
):
    card = copy.deepcopy(cards["default"])
    card["pillars"]["credit"] = {"contribution": 0.0, "features": {"credit.spread_z": None}}
    validator.validate(card)
