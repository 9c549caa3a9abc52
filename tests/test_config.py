"""The YAML config: every error path of ``regime.config``, in process.

Each error is one ConfigError line ``PATH:LINE: FIELD: MESSAGE``; an unknown key
comes with the closest valid one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from short_configs import BILLION_LAUGHS

from regime.config import Config, load_config, parse_config
from regime.exceptions import ConfigError
from regime.scorecard import stance_for

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "configs" / "demo.yaml"
PATH = "cfg.yaml"


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the config text")


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def config_error(text: str) -> str:
    """The message of the ConfigError that parsing ``text`` raises."""
    with pytest.raises(ConfigError) as info:
        parse_config(text, PATH)
    message = str(info.value)
    assert "\n" not in message, "errors are one line"
    assert message.startswith(PATH), message
    return message


def dump(raw: dict) -> str:
    return yaml.safe_dump(raw, sort_keys=False, default_flow_style=False)


# -- valid configs ---------------------------------------------------------------------


def test_demo_config_parses_and_is_synthetic():
    config = parse_config(DEMO.read_text(encoding="utf-8"), str(DEMO))
    assert isinstance(config, Config)
    assert config.name == "demo"
    assert config.synthetic is True
    assert load_config(DEMO) == config


def test_small_config_parses(small_config_text: str, small_config: dict):
    config = parse_config(small_config_text, PATH)
    assert config.name == small_config["name"]
    assert config.synthetic is True
    assert config.model.bootstrap == 5
    assert config.evaluation.min_train_days == 504
    assert config.evaluation.step_days == 252
    assert str(config.data.sources[0].start) == "2012-01-02"


def test_config_is_frozen(small_config_text: str):
    config = parse_config(small_config_text, PATH)
    with pytest.raises(Exception, match="frozen"):
        config.name = "other"  # type: ignore[misc]


def test_config_error_is_exit_code_2():
    assert ConfigError.exit_code == 2
    assert issubclass(ConfigError, ValueError)


# -- YAML and top level ----------------------------------------------------------------


def test_yaml_syntax_error_names_the_line(small_config_text: str):
    line = line_of(small_config_text, "horizon_days:")
    text = replace_once(small_config_text, "horizon_days: 63", "horizon_days: 63: 4")
    message = config_error(text)
    assert message.startswith(f"{PATH}:{line}: YAML syntax error"), message


def test_yaml_tab_indentation_names_the_line(small_config_text: str):
    line = line_of(small_config_text, "  large:")
    text = replace_once(small_config_text, "  large:", "\tlarge:")
    message = config_error(text)
    assert message.startswith(f"{PATH}:{line}: YAML syntax error"), message


def test_yaml_second_document_is_an_error(small_config_text: str):
    message = config_error(small_config_text + "---\nname: other\n")
    assert "YAML syntax error" in message


@pytest.mark.parametrize(
    "text", ["", "just a string\n", "- name: demo\n- name: other\n", "42\n", "null\n"]
)
def test_not_a_mapping(text: str):
    message = config_error(text)
    assert "must be a YAML mapping" in message


def test_unknown_top_level_key_with_suggestion(small_config_text: str):
    text = replace_once(small_config_text, "description:", "descripton:")
    message = config_error(text)
    assert message.startswith(f"{PATH}:{line_of(text, 'descripton:')}: descripton:"), message
    assert "unknown key 'descripton'; did you mean 'description'?" in message


def test_unknown_key_without_close_match_lists_valid_keys(small_config_text: str):
    message = config_error(small_config_text + "zzzzzz: 1\n")
    assert "unknown key 'zzzzzz'" in message
    assert "did you mean" not in message
    assert re.search(r"valid: caveats, data, description, evaluation, features", message)


def test_unknown_nested_key_with_suggestion(small_config_text: str):
    text = replace_once(small_config_text, "horizon_days:", "horizon_dayz:")
    message = config_error(text)
    line = line_of(text, "horizon_dayz:")
    assert message.startswith(f"{PATH}:{line}: target.horizon_dayz:"), message
    assert "did you mean 'horizon_days'?" in message


def test_unknown_key_in_sample_source_with_suggestion(small_config_text: str):
    text = replace_once(small_config_text, "seed:", "sed:")
    message = config_error(text)
    line = line_of(text, "sed:")
    assert message.startswith(f"{PATH}:{line}: data.sources[0].sed:"), message
    assert "unknown key 'sed'; did you mean 'seed'?" in message


def test_unknown_key_deep_in_target_with_suggestion(small_config_text: str):
    text = replace_once(small_config_text, "min_share_of_days:", "min_share_of_dayz:")
    message = config_error(text)
    line = line_of(text, "min_share_of_dayz:")
    assert message.startswith(f"{PATH}:{line}: target.sustained.min_share_of_dayz:"), message
    assert "did you mean 'min_share_of_days'?" in message


@pytest.mark.parametrize(
    ("source", "typo", "meant"),
    [
        ({"kind": "csv", "path": "flows.csv", "serie": "A"}, "serie", "series"),
        ({"kind": "french", "pth": "x.csv", "columns": {"SMB": "SMB"}}, "pth", "path"),
    ],
    ids=["csv", "french"],
)
def test_unknown_key_in_file_source_with_suggestion(
    small_config: dict, source: dict, typo: str, meant: str
):
    """Same contract as for the sample source: field path without the kind tag, and a hint.

    Fails today: ``regime/config.py::_kind_of`` reads the *default* of the
    ``kind`` field, and only SampleSource has one (``kind: Literal["csv"]`` etc.
    are required), so the location is not resolved: the message reads
    ``data.sources[0].csv.serie: unknown key 'serie' (valid: )``.
    """
    small_config["data"]["sources"] = [source]
    text = dump(small_config)
    message = config_error(text)
    line = line_of(text, f"{typo}:")
    assert message.startswith(f"{PATH}:{line}: data.sources[0].{typo}:"), message
    assert f"unknown key {typo!r}; did you mean {meant!r}?" in message


def test_error_inside_file_source_has_plain_field_path(small_config: dict):
    """Also from ``_kind_of``: the kind tag ``csv`` leaks into the field path."""
    small_config["data"]["sources"] = [{"kind": "csv", "path": "x.csv", "layout": "tall"}]
    text = dump(small_config)
    message = config_error(text)
    line = line_of(text, "layout:")
    assert message.startswith(f"{PATH}:{line}: data.sources[0].layout:"), message


def test_unknown_source_kind_with_suggestion(small_config_text: str):
    text = replace_once(small_config_text, "kind: sample", "kind: sampel")
    message = config_error(text)
    line = line_of(text, "kind: sampel")
    assert message.startswith(f"{PATH}:{line}: data.sources[0].kind:"), message
    assert "unknown source kind 'sampel'; did you mean 'sample'?" in message
    for kind in ("sample", "french", "cftc", "csv"):
        assert kind in message


def test_source_without_kind(small_config_text: str):
    text = replace_once(small_config_text, "- kind: sample\n    seed:", "- seed:")
    message = config_error(text)
    assert "data.sources[0]" in message
    assert "kind" in message


# -- missing fields, types, ranges ---------------------------------------------------------


def test_missing_required_field(small_config_text: str):
    text = replace_once(small_config_text, "  small: SMALL_TR\n", "")
    message = config_error(text)
    # The line of the enclosing `target:` block (its key, or its first entry).
    line = int(message.split(":")[1])
    assert line in (line_of(text, "target:"), line_of(text, "target:") + 1), message
    assert ": target.small: Field required" in message


def test_unknown_key_with_block_value_points_at_the_key(small_config_text: str):
    """The offending line of an unknown key is the key's own line.

    Fails today: ``regime/config.py::_yaml_line`` walks to the *value* node and
    returns its start line, so for a block-mapping value the error names the
    line after the misspelt key (here the ``start:`` line, not ``trainng:``).
    """
    text = small_config_text + "trainng:\n  start: 2013-01-02\n"
    message = config_error(text)
    assert "unknown key 'trainng'; did you mean 'training'?" in message
    assert message.startswith(f"{PATH}:{line_of(text, 'trainng:')}: trainng:"), message


@pytest.mark.parametrize("key", ["name", "data", "target", "features"])
def test_missing_required_top_level_section(small_config: dict, key: str):
    del small_config[key]
    message = config_error(dump(small_config))
    assert f": {key}: Field required" in message


def test_bad_type(small_config_text: str):
    text = replace_once(small_config_text, "horizon_days: 63", "horizon_days: sixty")
    message = config_error(text)
    line = line_of(text, "horizon_days:")
    assert message.startswith(f"{PATH}:{line}: target.horizon_days:"), message
    assert "valid integer" in message


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("horizon_days: 63", "horizon_days: 0", "target.horizon_days"),
        ("bootstrap: 5", "bootstrap: 501", "model.bootstrap"),
        ("min_train_days: 504", "min_train_days: 10", "evaluation.min_train_days"),
        ("interval: 0.9", "interval: 1.0", "model.interval"),
        ("overweight_above: 0.55", "overweight_above: 1.5", "stance.overweight_above"),
        ("min_share_of_days: 0.6", "min_share_of_days: 2", "target.sustained.min_share_of_days"),
    ],
)
def test_out_of_range_values(small_config_text: str, old: str, new: str, field: str):
    text = replace_once(small_config_text, old, new)
    message = config_error(text)
    line = line_of(text, new)
    assert message.startswith(f"{PATH}:{line}: {field}:"), message


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("estimator: logistic", "estimator: logit", "model.estimator"),
        ("calibration: none", "calibration: platt", "model.calibration"),
        ("kind: return", "kind: total", "target.kind"),
    ],
)
def test_invalid_choice(small_config_text: str, old: str, new: str, field: str):
    text = replace_once(small_config_text, old, new)
    message = config_error(text)
    assert message.startswith(f"{PATH}:{line_of(text, new)}: {field}:"), message


def test_bad_name(small_config: dict):
    small_config["name"] = "has spaces/and slashes"
    message = config_error(dump(small_config))
    assert ": name:" in message
    assert "pattern" in message


def test_empty_lists(small_config: dict):
    features_empty = dict(small_config, features=[])
    assert ": features:" in config_error(dump(features_empty))
    small_config["data"]["sources"] = []
    assert ": data.sources:" in config_error(dump(small_config))


def test_bad_pillar_name(small_config: dict):
    small_config["features"][0]["pillar"] = "Not-A-Pillar"
    message = config_error(dump(small_config))
    assert "features[0].pillar" in message


def test_more_errors_are_counted(small_config_text: str):
    text = replace_once(small_config_text, "horizon_days: 63", "horizon_days: 0")
    text = replace_once(text, "bootstrap: 5", "bootstrap: -1")
    message = config_error(text)
    assert message.endswith("(and 1 more error)"), message


def test_invalid_calendar_date_is_a_config_error(small_config_text: str):
    """A YAML-timestamp-shaped but impossible date must be a ConfigError, not a ValueError.

    Fails today: PyYAML's SafeLoader raises a plain ``ValueError`` ("month must
    be in 1..12") while constructing the date, and ``parse_config`` only catches
    ``yaml.YAMLError``; the CLI then exits 1 ("unexpected ValueError") instead of 2.
    """
    text = replace_once(small_config_text, "start: 2012-01-02", "start: 2012-13-45")
    message = config_error(text)
    assert "2012-13-45" in message or "start" in message


def test_a_date_in_another_format_says_which_format_to_use(small_config_text: str):
    text = replace_once(small_config_text, "start: 2012-01-02", "start: 01/02/2012")
    message = config_error(text)
    assert "start" in message and "use YYYY-MM-DD, got '01/02/2012'" in message, message


# -- stance -----------------------------------------------------------------------------------


def test_stance_thresholds_in_wrong_order(small_config_text: str):
    text = replace_once(small_config_text, "underweight_below: 0.4", "underweight_below: 0.6")
    message = config_error(text)
    assert ": stance:" in message
    assert re.search(r"underweight_below.*must not exceed.*overweight_above", message), message
    assert (
        line_of(text, "stance:")
        <= int(message.split(":")[1])
        <= line_of(text, "underweight_below: 0.6")
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    thresholds=st.tuples(
        st.floats(0.001, 0.999, allow_nan=False), st.floats(0.001, 0.999, allow_nan=False)
    ).map(sorted),
    data=st.data(),
)
def test_stance_for_random_thresholds(small_config: dict, thresholds: list[float], data):
    under, over = thresholds
    raw = dict(small_config)
    raw["stance"] = {"overweight_above": over, "underweight_below": under}
    config = parse_config(dump(raw), PATH)
    assert config.stance.overweight_above == over
    assert config.stance.underweight_below == under
    p = data.draw(
        st.one_of(st.sampled_from([under, over]), st.floats(0.0, 1.0, allow_nan=False)),
        label="p",
    )
    stance = stance_for(p, config.stance)
    assert (stance == "overweight") == (p > over)
    assert (stance == "underweight") == (p < under)
    assert (stance == "neutral") == (under <= p <= over)


# -- features ---------------------------------------------------------------------------------


def test_unknown_builder_with_suggestion(small_config_text: str):
    text = replace_once(
        small_config_text, "builder: earnings_revisions.breadth_spread", "builder: earnings.breadth"
    )
    message = config_error(text)
    index = len(yaml.safe_load(text)["features"]) - 1
    line = line_of(text, "earnings.breadth")
    assert message.startswith(f"{PATH}:{line}: features[{index}].builder:"), message
    assert "unknown feature builder 'earnings.breadth'" in message


def test_misspelt_builder_suggests_the_close_one(small_config_text: str):
    text = replace_once(small_config_text, "flows.relative_flow", "flows.relative_flwo")
    message = config_error(text)
    assert "did you mean 'flows.relative_flow'?" in message


def test_unknown_feature_param_with_suggestion(small_config_text: str):
    text = replace_once(small_config_text, "trend_days: 20", "trend_dayz: 20")
    message = config_error(text)
    line = line_of(text, "trend_dayz:")
    assert message.startswith(f"{PATH}:{line}: features[0].params.trend_dayz:"), message
    assert "unknown parameter 'trend_dayz' of flows.relative_flow" in message
    assert "did you mean 'trend_days'?" in message


def test_invalid_feature_param_value(small_config_text: str):
    text = replace_once(small_config_text, "trend_days: 20", "trend_days: 1")
    message = config_error(text)
    line = line_of(text, "trend_days: 1")
    assert message.startswith(f"{PATH}:{line}: features[0].params.trend_days:"), message
    assert "greater than or equal to 2" in message


def test_feature_params_not_a_mapping(small_config: dict):
    small_config["features"][0]["params"] = [20]
    message = config_error(dump(small_config))
    assert "features[0].params" in message


def test_feature_entry_not_a_mapping(small_config: dict):
    small_config["features"] = ["flows.relative_flow"]
    message = config_error(dump(small_config))
    assert "features[0]" in message


# -- load_config: the file itself ------------------------------------------------------------


def test_load_config_missing_file(tmp_path: Path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"nope\.yaml: config file not found"):
        load_config(path)


def test_load_config_directory(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path)


def test_load_config_names_the_file_in_errors(tmp_path: Path, small_config_text: str):
    path = tmp_path / "mine.yaml"
    path.write_text(small_config_text.replace("seed:", "sed:"), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"{path}:")):
        load_config(path)


def test_load_config_not_utf8_is_a_config_error(tmp_path: Path):
    """A Latin-1 file must be a ConfigError naming the file.

    Fails today: ``regime/config.py::load_config`` catches FileNotFoundError and
    OSError around ``read_text(encoding="utf-8")``, but UnicodeDecodeError is a
    ValueError, so it escapes and the CLI exits 1 ("unexpected UnicodeDecodeError").
    """
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: d\u00e9mo\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=re.escape(str(path))):
        load_config(path)


def test_a_caveat_rule_with_an_unknown_name_exits_2_naming_the_closest(small_config: dict):
    small_config["caveats"] = {"rules": [{"when": "flows.event_share_20 > 0.5", "say": "one day"}]}
    text = yaml.safe_dump(small_config, sort_keys=False)
    with pytest.raises(
        ConfigError,
        match=r"unknown name 'flows.event_share_20'; did you mean "
        r"'flows.event_share_20d'",
    ):
        parse_config(text, "rules.yaml")
    small_config["caveats"]["rules"][0] = {"when": "age.SMALL_TR > 3", "say": "{age.SMAL_TR}"}
    with pytest.raises(
        ConfigError, match=r"unknown name 'age\.SMAL_TR'; did you mean 'age\.SMALL_TR'"
    ):
        parse_config(yaml.safe_dump(small_config, sort_keys=False), "rules.yaml")


# -- bounded input ----------------------------------------------------------------------------


def test_an_alias_bomb_stops_at_its_line_with_little_memory(small_config_text: str):
    import tracemalloc

    text = small_config_text + "model_params_bomb:\n" + BILLION_LAUGHS
    tracemalloc.start()
    try:
        message = config_error(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    match = re.match(rf"{PATH}:(\d+): YAML alias \*(\w) expands the config past 100000", message)
    assert match, message
    assert f"*{match[2]}" in text.splitlines()[int(match[1]) - 1]  # the line of the alias
    assert len(message) < 300
    assert peak < 50_000_000, f"peak {peak / 1e6:.0f} MB"


def test_aliases_within_the_limit_are_read(small_config_text: str):
    text = replace_once(small_config_text, "overweight_above: 0.55", "overweight_above: &w 0.55")
    text = replace_once(text, "underweight_below: 0.4", "underweight_below: *w")
    config = parse_config(text, PATH)
    assert config.stance.underweight_below == config.stance.overweight_above == 0.55


@pytest.mark.parametrize(
    ("addition", "expected"),
    [
        ("extra: &x [*x]\n", "YAML alias *x is used inside its own anchor"),
        ("extra: " + "[" * 60 + "]" * 60 + "\n", "YAML nested more than 50 levels deep"),
        ("extra: !!int abc\n", "cannot read the YAML value 'abc'"),
        ("extra: !!float 1x\n", "cannot read the YAML value '1x'"),
        ("extra: a\x00b\n", "YAML cannot hold the character '\\x00' (U+0000)"),
    ],
    ids=["recursive alias", "too deep", "bad int tag", "bad float tag", "NUL"],
)
def test_unreadable_yaml_names_its_line(small_config_text: str, addition: str, expected: str):
    text = small_config_text + addition
    message = config_error(text)
    last = text.count("\n")
    assert message.startswith(f"{PATH}:{last}: {expected}"), message


def test_too_many_values_without_aliases(small_config_text: str):
    text = small_config_text + "extra: [" + ",".join(["1"] * 100_001) + "]\n"
    assert "holds more than 100000 YAML values" in config_error(text)


def test_a_config_over_the_size_limit(small_config_text: str, tmp_path: Path):
    from regime.config import MAX_CONFIG_BYTES

    text = small_config_text + "#" * MAX_CONFIG_BYTES
    assert "more than the limit of 1000000" in config_error(text)
    path = tmp_path / "big.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"{path}: the config is larger than")):
        load_config(path)


@pytest.mark.parametrize(
    ("old", "new", "field", "first", "second"),
    [
        ("name: cli_small\n", "name: cli_small\nname: again\n", "name", "cli_small", "again"),
        (
            "  horizon_days: 63\n",
            "  horizon_days: 63\n  horizon_days: 21\n",
            "target.horizon_days",
            "horizon_days: 63",
            "horizon_days: 21",
        ),
        (
            "  bootstrap: 5\n",
            "  bootstrap: 5\n  params: {C: 1, C: 2}\n",
            "model.params.C",
            "{C: 1",
            "{C: 1",
        ),
    ],
    ids=["top level", "nested", "flow mapping"],
)
def test_duplicate_keys_name_both_lines(
    small_config_text: str, old: str, new: str, field: str, first: str, second: str
):
    text = replace_once(small_config_text, old, new)
    key = field.rsplit(".", 1)[-1]
    message = config_error(text)
    assert message.startswith(
        f"{PATH}:{line_of(text, second)}: {field}: duplicate key {key!r}, "
        f"also on line {line_of(text, first)}"
    ), message


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("horizon_days: 63", "horizon_days: true", "target.horizon_days"),
        ("horizon_days: 63", "horizon_days: false", "target.horizon_days"),
        ("bootstrap: 5", "bootstrap: true", "model.bootstrap"),
        ("interval: 0.9", "interval: true", "model.interval"),
        ("min_train_days: 504", "min_train_days: true", "evaluation.min_train_days"),
        ("seed: 7", "seed: true", "data.sources[0].seed"),
        ("min_share_of_days: 0.6", "min_share_of_days: true", "target.sustained.min_share_of_days"),
        ("trend_days: 20", "trend_days: true", "features[0].params.trend_days"),
        ("window_days: 2520", "window_days: true", "features[1].params.window_days"),
    ],
)
def test_a_boolean_is_not_a_number(small_config_text: str, old: str, new: str, field: str):
    text = replace_once(small_config_text, old, new)
    message = config_error(text)
    value = "false" if "false" in new else "true"
    assert message.startswith(f"{PATH}:{line_of(text, new.split(chr(10))[0])}: {field}"), message
    assert f"a number is expected, not the boolean {value}" in message


def test_a_boolean_where_a_boolean_is_expected_is_fine(small_config: dict):
    small_config["caveats"] = {"defaults": False, "stale_data": True}
    small_config["model"]["params"] = {"fit_intercept": False}
    config = parse_config(dump(small_config), PATH)
    assert config.caveats.defaults is False
    assert config.model.params == {"fit_intercept": False}


@pytest.mark.parametrize(
    ("params", "search", "field", "detail"),
    [
        ({"C": -1}, None, "model.params.C", "The 'C' parameter of LogisticRegression"),
        ({"max_iter": 10.5}, None, "model.params.max_iter", "'max_iter' parameter"),
        ({"penalty": "l7"}, None, "model.params.penalty", "'penalty' parameter"),
        ({"CC": 1}, None, "model.params.CC", "has no parameter 'CC'; did you mean 'C'?"),
        (None, {"C": [0.1, 0.0]}, "model.search.C", "Got 0.0 instead"),
        ({"C": True}, None, "model.params.C", "not the boolean true"),
        (None, {"C": [0.1, True]}, "model.search.C", "not the boolean true"),
    ],
)
def test_estimator_params_are_checked_when_the_config_loads(
    small_config: dict, params: dict | None, search: dict | None, field: str, detail: str
):
    del small_config["model"]["search"]
    if params is not None:
        small_config["model"]["params"] = params
    if search is not None:
        small_config["model"]["search"] = search
    text = dump(small_config)
    message = config_error(text)
    key = field.rsplit(".", 1)[1]
    line = line_of(text, f"  {key}:")
    assert message.startswith(f"{PATH}:{line}: {field}: "), message
    assert detail in message


def test_boosting_params_are_checked_too(small_config: dict):
    del small_config["model"]["search"]
    small_config["model"]["estimator"] = "gradient_boosting"
    small_config["model"]["params"] = {"learning_rate": -0.1}
    assert "model.params.learning_rate: The 'learning_rate' parameter" in config_error(
        dump(small_config)
    )
    small_config["model"]["params"] = {"learning_rate": 0.1, "max_depth": 2}
    assert parse_config(dump(small_config), PATH).model.params["max_depth"] == 2


def test_signed_params_are_checked_too(small_config: dict):
    del small_config["model"]["search"]
    small_config["model"]["estimator"] = "signed"
    small_config["model"]["params"] = {"step": 2}
    assert "model.params.step: The 'step' parameter of SignedComposite" in config_error(
        dump(small_config)
    )
    small_config["model"]["params"] = {"step": 0.2}
    assert parse_config(dump(small_config), PATH).model.params["step"] == 0.2


def test_a_signed_model_without_any_declared_sign_is_refused_when_the_config_loads(
    small_config: dict,
):
    del small_config["model"]["search"]
    small_config["model"]["estimator"] = "signed"
    small_config["features"] = [{"builder": "macro.series_change", "params": {"series": "DGS2"}}]
    text = dump(small_config)
    message = config_error(text)
    assert message.startswith(f"{PATH}:{line_of(text, '  estimator:')}: model.estimator: signed")
    assert "declared sign" in message
    small_config["features"][0]["params"]["sign"] = -1
    assert parse_config(dump(small_config), PATH).model.estimator == "signed"


def test_a_long_model_name_is_refused_when_the_config_loads(small_config: dict):
    from regime.config import MAX_NAME_CHARS

    small_config["name"] = "n" * (MAX_NAME_CHARS + 1)
    message = config_error(dump(small_config))
    assert message.startswith(f"{PATH}:1: name: the model name has 101 characters, more than 100")
    small_config["name"] = "n" * MAX_NAME_CHARS
    assert parse_config(dump(small_config), PATH).name == small_config["name"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("estimator", "x" * 100_000),
        ("calibration", "é" * 50_000),
    ],
)
def test_a_huge_value_is_never_echoed(small_config: dict, field: str, value: str):
    from regime.exceptions import MAX_MESSAGE_CHARS

    small_config["model"][field] = value
    message = config_error(dump(small_config))
    assert len(message) <= MAX_MESSAGE_CHARS
    assert f"model.{field}" in message


def test_a_huge_caveat_sentence_is_cut(small_config: dict):
    from regime.exceptions import MAX_MESSAGE_CHARS

    small_config["caveats"] = {"rules": [{"when": "x" * 5000 + " > 1", "say": "y"}]}
    message = config_error(dump(small_config))
    assert len(message) <= MAX_MESSAGE_CHARS
    assert message.startswith(f"{PATH}:") and "caveats.rules[0]: unknown name" in message
    assert message.endswith("see docs/configs.md for the other names)")


def test_a_caveat_condition_that_is_not_python_names_the_file(small_config: dict):
    small_config["caveats"] = {"rules": [{"when": "probability >", "say": "y"}]}
    text = dump(small_config)
    message = config_error(text)
    assert message.startswith(f"{PATH}:{line_of(text, 'rules:')}: caveat rule"), message


@pytest.mark.parametrize(
    ("source", "field", "detail"),
    [
        ({"start": "2019-01-02", "end": "2012-12-31"}, "end", "must be after `start`"),
        ({"start": "2019-01-02", "end": "2019-01-02"}, "end", "must be after `start`"),
        ({"end": "2099-12-31"}, "end", "is after today"),
        ({"start": "1850-01-02"}, "start", "is before 1885-01-01"),
        ({"seed": -1}, "seed", "greater than or equal to 0"),
    ],
)
def test_sample_window_and_seed(small_config: dict, source: dict, field: str, detail: str):
    small_config["data"]["sources"][0].update(source)
    text = dump(small_config)
    message = config_error(text)
    assert f": data.sources[0].{field}: " in message, message
    assert detail in message


def test_evaluation_window_in_order(small_config: dict):
    small_config["evaluation"].update({"start": "2018-01-01", "end": "2017-01-01"})
    message = config_error(dump(small_config))
    assert ": evaluation: `end` (2017-01-01) is before `start` (2018-01-01)" in message


def test_a_merge_key_then_an_override_is_not_a_duplicate(small_config_text: str):
    text = replace_once(
        small_config_text,
        "stance:\n",
        "defaults_anchor: &s {overweight_above: 0.6}\nstance:\n  <<: *s\n",
    )
    with pytest.raises(ConfigError, match=r"unknown key 'defaults_anchor'"):
        parse_config(text, PATH)  # merged and overridden keys pass the duplicate check


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_loads(path: Path):
    """The configs in configs/ validate (their data files need not be present)."""
    assert load_config(path).name


def _doc_table_rows() -> dict[str, str]:
    """docs/configs.md's table rows keyed by their first cell (a kind, builder or field)."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "configs.md").read_text()
    return {
        line.split("|")[1].strip().strip("`"): line
        for line in text.splitlines()
        if line.startswith("| `")
    }


def test_docs_list_every_field_of_every_source_kind():
    """docs/configs.md's table of source kinds names each kind's every field."""
    from regime.data.sources import SOURCE_TYPES

    rows = _doc_table_rows()
    for source in SOURCE_TYPES:
        kind = source.model_fields["kind"].annotation.__args__[0]
        assert kind in rows, f"kind {kind} has no row"
        missing = [
            name
            for name in source.model_fields
            if name not in ("kind", "max_age_days") and f"`{name}`" not in rows[kind]
        ]
        assert not missing, f"kind {kind}: {missing} not in docs/configs.md"


def test_docs_list_every_builder_and_its_params():
    """docs/configs.md's table of builders names each builder's every parameter."""
    from features._base import BUILDERS

    rows = _doc_table_rows()
    for name, builder in BUILDERS.items():
        assert name in rows, f"builder {name} has no row"
        params = [field.alias or key for key, field in builder.model_fields.items()]
        missing = [p for p in params if f"`{p}`" not in rows[name]]
        assert not missing, f"builder {name}: {missing} not in docs/configs.md"
