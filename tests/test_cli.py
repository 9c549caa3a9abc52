"""End to end: the ``regime`` command line, run as a subprocess against a real model.

Contract (DESIGN.md): exit codes 0 success, 2 bad usage or config, 3 bad or
missing data, 4 bad or incompatible model artifact, 1 anything unexpected;
errors are one ``error:`` line on stderr, a traceback only with ``--debug``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

import regime
from regime.calendar import trading_days
from regime.scorecard import SYNTHETIC_BANNER

PILLARS = ["flows", "valuations", "positioning", "rate_expectations", "earnings_revisions"]
SCORECARD_KEYS = {
    "model",
    "as_of",
    "horizon_days",
    "horizon_unit",
    "probability",
    "baseline",
    "interval",
    "stance",
    "pillars",
    "tailwinds",
    "headwinds",
    "caveats",
    "data",
    "synthetic",
    "in_sample",
    "model_trained_through",
    "requested",
    "oos_auc",
    "oos_auc_interval",
    "oos_brier_skill",
    "oos_brier_skill_interval",
    "thresholds",
    "pillar_notes",
    "changes",
}
STANCES = {"overweight", "neutral", "underweight"}
SMALL_NAME = "cli_small"  # the name conftest gives the fast config


def error_lines(stderr: str) -> list[str]:
    """The ``error:`` lines of stderr (the synthetic banner may precede them)."""
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def assert_one_error(proc: subprocess.CompletedProcess[str], code: int) -> str:
    """Exit ``code``, exactly one ``error:`` line and no traceback; return that line."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = error_lines(proc.stderr)
    assert len(lines) == 1, proc.stderr
    other = [line for line in proc.stderr.splitlines() if line.strip() and line != SYNTHETIC_BANNER]
    assert other == lines, f"stray stderr output: {proc.stderr!r}"
    return lines[0]


def write_config(directory: Path, text: str, name: str = "cfg.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def score_json(run_cli, trained_model: Path) -> dict:
    """``regime score --json`` of the trained model at its default (latest) date."""
    proc = run_cli("score", "--model", trained_model, "--json")
    assert proc.returncode == 0, proc.stderr
    # Strict JSON: NaN/Infinity are not JSON (DESIGN.md: NaN is written as null).
    return json.loads(
        proc.stdout, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c} in output")
    )


# -- version and help -------------------------------------------------------------


def test_version(run_cli):
    proc = run_cli("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"smallcap-regime {regime.__version__}"
    assert re.fullmatch(r"smallcap-regime \d+\.\d+\.\d+\S*", proc.stdout.strip())


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["train"],
        ["score"],
        ["backtest"],
        ["data"],
        ["data", "pull"],
        ["data", "check"],
        ["models"],
        ["models", "list"],
    ],
    ids=lambda c: " ".join(c) or "regime",
)
def test_help_of_every_subcommand(run_cli, command):
    proc = run_cli(*command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: regime")
    assert proc.stderr == ""


def test_no_subcommand_is_usage_error(run_cli):
    proc = run_cli()
    line = assert_one_error(proc, 2)
    assert "--help" in line


# -- score ------------------------------------------------------------------------


def test_score_text(run_cli, trained_model: Path):
    proc = run_cli("score", "--model", trained_model)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert SYNTHETIC_BANNER in out
    positions = []
    for pillar in PILLARS:
        match = re.search(rf"^{pillar}\s+[+-]\d+\.\d+", out, flags=re.MULTILINE)
        assert match, f"pillar row {pillar!r} missing:\n{out}"
        positions.append(match.start())
    assert positions == sorted(positions), "pillars not in the DESIGN.md order"
    probability = re.search(r"P\(sustained small-cap outperformance\) = (\d\.\d+)", out)
    assert probability and 0.0 <= float(probability.group(1)) <= 1.0
    assert re.search(r"^Stance: (OVERWEIGHT|NEUTRAL|UNDERWEIGHT) small caps", out, re.MULTILINE)
    assert f"model {SMALL_NAME}" in out
    record = re.search(
        r"^Out-of-sample record: AUC (\d\.\d+) \(90% (\d\.\d+) to (\d\.\d+)\), Brier skill",
        out,
        re.MULTILINE,
    )
    assert record, out
    low, auc, high = (float(record.group(i)) for i in (2, 1, 3))
    assert low <= round(auc, 2) <= high


def test_score_json_contract(score_json: dict, small_config: dict):
    card = score_json
    assert set(card) == SCORECARD_KEYS
    assert card["model"] == SMALL_NAME
    assert card["horizon_days"] == small_config["target"]["horizon_days"]
    assert card["horizon_unit"] == "trading days"  # daily legs
    assert pd.Timestamp(card["as_of"]).strftime("%Y-%m-%d") == card["as_of"]
    assert card["synthetic"] is True

    assert list(card["pillars"]) == PILLARS
    for pillar, body in card["pillars"].items():
        assert set(body) == {"contribution", "features"}, pillar
        assert isinstance(body["contribution"], float)
        assert isinstance(body["features"], dict)
        assert body["features"], f"{pillar} has no features in the demo config"
        assert all(name.startswith(f"{pillar}.") for name in body["features"])

    contributions = {p: b["contribution"] for p, b in card["pillars"].items()}
    assert 0.0 <= card["probability"] <= 1.0
    assert 0.0 <= card["baseline"] <= 1.0
    assert abs(card["baseline"] + sum(contributions.values()) - card["probability"]) < 1e-9

    lower, upper = card["interval"]
    assert isinstance(lower, float) and isinstance(upper, float)
    assert 0.0 <= lower <= upper <= 1.0


def test_score_json_stance_matches_thresholds(score_json: dict, small_config: dict):
    stance = small_config["stance"]
    over, under = stance["overweight_above"], stance["underweight_below"]
    p = score_json["probability"]
    assert score_json["stance"] in STANCES
    expected = "overweight" if p > over else "underweight" if p < under else "neutral"
    low = score_json["oos_brier_skill_interval"]
    if low is None or low[0] <= 0:  # a record that does not rule out no skill holds it neutral
        expected = "neutral"
        assert any("stance held at neutral" in note for note in score_json["caveats"])
    assert score_json["stance"] == expected


def test_score_json_tailwinds_and_headwinds(score_json: dict):
    contributions = {p: b["contribution"] for p, b in score_json["pillars"].items()}
    tailwinds, headwinds = score_json["tailwinds"], score_json["headwinds"]
    assert set(tailwinds) <= set(PILLARS) and set(headwinds) <= set(PILLARS)
    assert not set(tailwinds) & set(headwinds)
    assert all(contributions[p] > 0 for p in tailwinds)
    assert all(contributions[p] < 0 for p in headwinds)
    assert [contributions[p] for p in tailwinds] == sorted(
        (contributions[p] for p in tailwinds), reverse=True
    )
    assert [contributions[p] for p in headwinds] == sorted(contributions[p] for p in headwinds)


def test_score_json_data_and_caveats(score_json: dict, small_config: dict):
    assert score_json["data"], "no input series listed"
    for series, entry in score_json["data"].items():
        assert set(entry) == {"last_known", "age_days", "stale"}, series
        assert isinstance(entry["stale"], bool)
        if entry["last_known"] is not None:
            assert entry["last_known"] <= score_json["as_of"]
            assert isinstance(entry["age_days"], int) and entry["age_days"] >= 0
    target = small_config["target"]
    assert {target["small"], target["large"]} <= set(score_json["data"])
    assert all(isinstance(note, str) and note for note in score_json["caveats"])
    assert any("synthetic" in note for note in score_json["caveats"])


def test_score_date(run_cli, trained_model: Path):
    proc = run_cli("score", "--model", trained_model, "--json", "--date", "2018-06-01")
    assert proc.returncode == 0, proc.stderr
    card = json.loads(proc.stdout)
    assert card["as_of"] == "2018-06-01"
    assert all(
        e["last_known"] is None or e["last_known"] <= "2018-06-01" for e in card["data"].values()
    )


def test_score_date_before_data_is_data_error(run_cli, trained_model: Path):
    proc = run_cli("score", "--model", trained_model, "--date", "1990-01-01")
    line = assert_one_error(proc, 3)
    assert "1990-01-01" in line


@pytest.mark.parametrize(
    "text",
    [
        "not-a-date",
        "",
        "2016-03-01+01:00",
        "2016-03-01T00:00",
        "03/01/2016",
        "now",
        "today",
        "2016-3-1",
        "2016-02-30",
    ],
)
def test_score_date_not_yyyy_mm_dd_is_usage_error(run_cli, trained_model: Path, text: str):
    proc = run_cli("score", "--model", trained_model, "--date", text)
    line = assert_one_error(proc, 2)
    assert f"{text!r} is not a date; use YYYY-MM-DD" in line


def test_score_missing_model(run_cli, tmp_path: Path):
    proc = run_cli("score", "--model", "missing.joblib", cwd=tmp_path)
    line = assert_one_error(proc, 4)
    assert "missing.joblib" in line
    assert proc.stdout == ""


def test_score_missing_model_debug_shows_traceback(run_cli, tmp_path: Path):
    proc = run_cli("score", "--model", "missing.joblib", "--debug", cwd=tmp_path)
    assert proc.returncode == 4
    assert "Traceback" in proc.stderr
    assert error_lines(proc.stderr)[-1].startswith("error: missing.joblib")


def _copy_model(artifact: Path, directory: Path, with_cards: bool = True) -> Path:
    target = directory / artifact.name
    shutil.copy2(artifact, target)
    if with_cards:
        for suffix in (".card.json", ".md"):
            shutil.copy2(artifact.with_name(SMALL_NAME + suffix), directory)
    return target


def test_score_tampered_artifact(run_cli, trained_model: Path, tmp_path: Path):
    copy = _copy_model(trained_model, tmp_path)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    proc = run_cli("score", "--model", copy)
    line = assert_one_error(proc, 4)
    assert "SHA-256" in line
    assert str(copy) in line or copy.name in line


def test_score_intact_copy_still_scores(run_cli, trained_model: Path, tmp_path: Path):
    copy = _copy_model(trained_model, tmp_path)
    proc = run_cli("score", "--model", copy, "--json")
    assert proc.returncode == 0, proc.stderr


def test_score_artifact_without_card(run_cli, trained_model: Path, tmp_path: Path):
    copy = _copy_model(trained_model, tmp_path, with_cards=False)
    proc = run_cli("score", "--model", copy)
    line = assert_one_error(proc, 4)
    assert "card" in line


def test_score_not_an_artifact(run_cli, tmp_path: Path):
    bogus = tmp_path / "bogus.joblib"
    bogus.write_bytes(b"not a pickle")
    digest = hashlib.sha256(bogus.read_bytes()).hexdigest()
    (tmp_path / "bogus.card.json").write_text(json.dumps({"sha256": digest}), encoding="utf-8")
    proc = run_cli("score", "--model", bogus)
    line = assert_one_error(proc, 4)
    assert "bogus.joblib" in line


# -- config errors through `regime train` ---------------------------------------------


def _train(run_cli, config: Path, tmp_path: Path):
    return run_cli("train", "--config", config, "--models-dir", tmp_path / "models", cwd=tmp_path)


def test_train_yaml_syntax_error(run_cli, tmp_path: Path, small_config_text: str):
    lines = small_config_text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("horizon_days:"))
    lines[index] = lines[index] + ": 4"  # "mapping values are not allowed here"
    config = write_config(tmp_path, "\n".join(lines) + "\n")
    line = assert_one_error(_train(run_cli, config, tmp_path), 2)
    assert f"{config}:{index + 1}:" in line
    assert "YAML" in line
    assert not (tmp_path / "models").exists()


def test_train_unknown_nested_key(run_cli, tmp_path: Path, small_config: dict):
    raw = small_config
    raw["target"]["horizon_dayz"] = raw["target"].pop("horizon_days")
    config = write_config(tmp_path, yaml.safe_dump(raw, sort_keys=False))
    line = assert_one_error(_train(run_cli, config, tmp_path), 2)
    assert str(config) in line
    assert "horizon_dayz" in line
    assert "did you mean 'horizon_days'" in line


def test_train_unknown_builder(run_cli, tmp_path: Path, small_config: dict):
    raw = small_config
    raw["features"].append({"builder": "flows.no_such_builder"})
    config = write_config(tmp_path, yaml.safe_dump(raw, sort_keys=False))
    line = assert_one_error(_train(run_cli, config, tmp_path), 2)
    assert "flows.no_such_builder" in line
    assert str(config) in line


def test_train_builder_input_not_provided(run_cli, tmp_path: Path, small_config: dict):
    raw = small_config
    spec = next(s for s in raw["features"] if s["builder"] == "positioning.net_spec_z")
    spec["params"] = {"net_position": "NOPE"}
    config = write_config(tmp_path, yaml.safe_dump(raw, sort_keys=False))
    line = assert_one_error(_train(run_cli, config, tmp_path), 2)
    assert "'NOPE'" in line
    assert "positioning.net_spec_z" in line


def test_train_missing_config_file(run_cli, tmp_path: Path):
    proc = _train(run_cli, tmp_path / "nope.yaml", tmp_path)
    line = assert_one_error(proc, 2)
    assert "nope.yaml" in line


def test_train_invalid_calendar_date_is_config_error(
    run_cli, tmp_path: Path, small_config_text: str
):
    """`2012-13-45` is YAML-timestamp shaped but not a date: a config error (exit 2)."""
    text = small_config_text.replace("start: 2012-01-02", "start: 2012-13-45")
    assert "2012-13-45" in text
    config = write_config(tmp_path, text)
    line = assert_one_error(_train(run_cli, config, tmp_path), 2)
    assert str(config) in line


# -- models list, backtest ------------------------------------------------------------


def test_models_list(run_cli, trained_model: Path):
    proc = run_cli("models", "list", "--models-dir", trained_model.parent)
    assert proc.returncode == 0, proc.stderr
    assert re.search(rf"^\* {SMALL_NAME}@1\s.*\sjoblib\s", proc.stdout, re.MULTILINE), proc.stdout
    assert "synthetic" in proc.stdout


def test_models_list_empty_dir(run_cli, tmp_path: Path):
    proc = run_cli("models", "list", "--models-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "no models" in proc.stdout


def test_backtest_json(run_cli, small_config_path: Path):
    proc = run_cli("backtest", "--config", small_config_path, "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    metrics = result["metrics"]
    for key in ("auc", "brier", "brier_climatology"):
        assert isinstance(metrics[key], float) and math.isfinite(metrics[key]), key
    assert 0.0 <= metrics["auc"] <= 1.0
    assert 0.0 <= metrics["brier"] <= 1.0
    assert 0.0 <= metrics["brier_climatology"] <= 1.0


# -- the notebook API, in a fresh interpreter ------------------------------------------

NOTEBOOK = textwrap.dedent(
    """
    import json, sys
    import pandas as pd
    from regime import load_model
    m = load_model(sys.argv[1])
    s = m.score()
    print(s.probability)
    e = m.explain().features
    h = m.history("2019-01-01", "2019-06-28")
    print(json.dumps({
        "probability": s.probability,
        "explain_type": type(e).__name__,
        "explain_columns": list(e.columns),
        "explain_pillars": sorted(set(e["pillar"])),
        "history_type": type(h).__name__,
        "history_columns": list(h.columns),
        "history_index": [d.strftime("%Y-%m-%d") for d in h.index],
        "history_probability_ok": bool(h["probability"].between(0, 1).all()),
        "sha256": m.card["sha256"],
    }))
    """
)


def test_load_model_in_plain_python(trained_model: Path, cli_env, tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, "-c", NOTEBOOK, str(trained_model)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=cli_env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    first, payload = proc.stdout.splitlines()[0], proc.stdout.splitlines()[-1]
    result = json.loads(payload)
    assert float(first) == pytest.approx(result["probability"])
    assert 0.0 <= result["probability"] <= 1.0

    assert result["explain_type"] == "DataFrame"
    assert "pillar" in result["explain_columns"]
    assert set(result["explain_pillars"]) == set(PILLARS)

    assert result["history_type"] == "DataFrame"
    assert "probability" in result["history_columns"]
    assert result["history_probability_ok"]
    # Every feature is past its warm-up in 2019: one row per NYSE trading day.
    expected = [d.strftime("%Y-%m-%d") for d in trading_days("2019-01-01", "2019-06-28")]
    assert result["history_index"] == expected

    assert result["sha256"] == hashlib.sha256(trained_model.read_bytes()).hexdigest()


# -- persistence ---------------------------------------------------------------------------


def test_training_writes_one_version_behind_stable_names(trained_model: Path):
    names = sorted(os.listdir(trained_model.parent))
    suffixes = (".joblib", ".card.json", ".md", ".versions")
    assert names == sorted(SMALL_NAME + suffix for suffix in suffixes)
    versions = sorted(os.listdir(trained_model.parent / f"{SMALL_NAME}.versions"))
    assert versions == [".lock", "0001", "current"]
    assert sorted(os.listdir(trained_model.parent / f"{SMALL_NAME}.versions" / "0001")) == [
        "card.json",
        "card.md",
        "model.joblib",
    ]


def test_model_card_matches_artifact(trained_model: Path):
    card = json.loads(trained_model.with_name(f"{SMALL_NAME}.card.json").read_text("utf-8"))
    digest = hashlib.sha256(trained_model.read_bytes()).hexdigest()
    assert card["sha256"] == digest
    assert card["artifact"] == "model.joblib"
    assert card["model_format"] == "joblib"
    assert card["synthetic"] is True
    markdown = trained_model.with_name(f"{SMALL_NAME}.md").read_text("utf-8")
    assert digest in markdown
    assert "{sha256}" not in markdown
    metrics = card["metrics"]
    for key in ("auc", "brier_skill"):  # the intervals that decide whether a call is earned
        low, high = metrics[f"{key}_interval"]
        assert f"| {key} | {metrics[key]:.4f} | {low:.4f} to {high:.4f} |" in markdown
    from regime.training import model_card_markdown

    real = {**card, "synthetic": False}
    real["config"] = {**card["config"], "data": {"sources": [{"kind": "french"}, {"kind": "csv"}]}}
    assert "Trained on market data from the config's sources (french, csv)." in (
        model_card_markdown(real)
    )


def test_model_by_name_from_the_models_directory(run_cli, trained_model: Path):
    env = {"REGIME_MODELS_DIR": str(trained_model.parent)}
    by_name = run_cli("score", "--model", SMALL_NAME, "--date", "2018-06-01", "--json", env=env)
    by_path = run_cli("score", "--model", trained_model, "--date", "2018-06-01", "--json")
    assert by_name.returncode == 0, by_name.stderr
    assert json.loads(by_name.stdout) == json.loads(by_path.stdout)
    missing = run_cli("score", "--model", "nosuch", env=env)
    assert_one_error(missing, 4)


def test_verbose_logs_each_step_and_quiet_keeps_stderr_to_errors(
    run_cli, small_config_path: Path, tmp_path: Path
):
    verbose = run_cli("train", "--config", small_config_path, "--models-dir", tmp_path, "--verbose")
    assert verbose.returncode == 0, verbose.stderr
    assert "INFO regime.training: walk-forward on" in verbose.stderr
    quiet = run_cli("backtest", "--config", small_config_path, "--quiet")
    assert quiet.returncode == 0
    assert [line for line in quiet.stderr.splitlines() if line != SYNTHETIC_BANNER] == []


def test_progress_bars_only_when_turned_on(capsys):
    from regime.progress import progress, show_progress

    assert list(progress(range(3), "steps")) == [0, 1, 2]
    assert capsys.readouterr().err == ""
    show_progress(True)
    try:
        assert list(progress(range(3), "steps", total=3)) == [0, 1, 2]
    finally:
        show_progress(False)
    assert "steps" in capsys.readouterr().err
