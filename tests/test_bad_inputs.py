"""Every bad input a user can give in a config or a data file ends as a user error.

Each case runs the real command line in a subprocess (``python -m regime``) on
a config in a temporary directory and checks the contract: exit 2 for a bad
config, 3 for bad or missing data (never 1, which means a bug), and stderr of
exactly one line starting ``error:`` that names the file, the field (with its
YAML line) or the series, besides the banner that marks the simulated sample.

Errors that fire while the config loads run through ``regime data check``,
which imports the least; ``test_every_command_reads_a_config_alike`` shows
that ``train`` and ``backtest`` print the same line for them. Errors that need
the data run ``regime backtest`` on a few years of the simulated sample.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from short_configs import BILLION_LAUGHS, SHORT_MODEL, SHORT_TARGET_AND_FEATURES

from regime.config import MAX_CONFIG_BYTES
from regime.exceptions import MAX_MESSAGE_CHARS
from regime.scorecard import SYNTHETIC_BANNER

#: A fast config on eight years of the sample (the template of every case).
BASE = (
    "name: bad\n"
    "data:\n"
    "  sources:\n"
    "    - {kind: sample, start: 2012-01-02, end: 2019-12-31}\n"
    + SHORT_TARGET_AND_FEATURES
    + SHORT_MODEL
)

ALIAS_BOMB = "model:\n  params:\n" + BILLION_LAUGHS


def edit(old: str, new: str, text: str = BASE) -> str:
    """``text`` with its one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` that contains ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def regime(
    env: dict[str, str], cwd: Path, *args: str | Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m regime ARGS`` in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "regime", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def error_line(proc: subprocess.CompletedProcess[str], code: int) -> str:
    """The one ``error:`` line of a run that must exit with ``code``."""
    assert proc.returncode == code, f"exit {proc.returncode}, stderr:\n{proc.stderr[-3000:]}"
    lines = [line for line in proc.stderr.splitlines() if line != SYNTHETIC_BANNER]
    assert len(lines) == 1, f"{len(lines)} lines on stderr:\n{proc.stderr[-3000:]}"
    (line,) = lines
    assert line.startswith("error: "), line
    assert len(line) <= len("error: ") + MAX_MESSAGE_CHARS, f"{len(line)} characters"
    return line


# -- errors found while the config loads: exit 2 -------------------------------------------

_BOOL = edit("horizon_days: 42", "horizon_days: true")
_DUPLICATE = BASE + "name: other\n"
_BIG_KEY = BASE + "k" * 1000 + ": 1\n"  # YAML keys stop at 1024 characters
_BIG_VALUE = edit(
    "model: {bootstrap: 3}", "model: {bootstrap: 3, estimator: " + "x" * 200_000 + "}"
)
_LONG_NAME = edit("name: bad", "name: " + "n" * 300)
_CAVEAT = BASE + 'caveats:\n  rules:\n    - {when: "flows.nosuch > 1", say: "x"}\n'

LOAD_ERRORS = {
    # (config text, regex the error line must match after "error: CONFIG:")
    "boolean horizon": (
        _BOOL,
        rf"{line_of(_BOOL, 'horizon_days')}: target\.horizon_days: "
        r"a number is expected, not the boolean true",
    ),
    "boolean builder param": (
        edit(
            "  - builder: flows.relative_flow\n",
            "  - builder: flows.relative_flow\n    params: {trend_days: true}\n",
        ),
        r"\d+: features\[0\]\.params\.trend_days: a number is expected, not the boolean true",
    ),
    "boolean estimator param": (
        edit("model: {bootstrap: 3}", "model: {bootstrap: 3, params: {C: true}}"),
        r"\d+: model\.params\.C: a number is expected, not the boolean true",
    ),
    "duplicate key": (
        _DUPLICATE,
        rf"{line_of(_DUPLICATE, 'name: other')}: name: duplicate key 'name', also on line 1",
    ),
    "huge unknown key": (_BIG_KEY, r"\d+: k+.*unknown key 'k+\.\.\.'"),
    "huge value": (
        _BIG_VALUE,
        r"\d+: model\.estimator: Input should be 'logistic', 'gradient_boosting' or 'signed'",
    ),
    "sample end before start": (
        edit("start: 2012-01-02, end: 2019-12-31", "start: 2019-01-02, end: 2012-12-31"),
        r"4: data\.sources\[0\]\.end: `end` \(2012-12-31\) must be after `start` \(2019-01-02\)",
    ),
    "sample end in 2099": (
        edit("end: 2019-12-31", "end: 2099-12-31"),
        r"4: data\.sources\[0\]\.end: `end` \(2099-12-31\) is after today .*set `end` to today",
    ),
    "sample start before the calendar": (
        edit("start: 2012-01-02", "start: 1850-01-02"),
        r"4: data\.sources\[0\]\.start: `start` \(1850-01-02\) is before 1885-01-01",
    ),
    "negative sample seed": (
        edit("kind: sample,", "kind: sample, seed: -1,"),
        r"4: data\.sources\[0\]\.seed: Input should be greater than or equal to 0",
    ),
    "C: -1": (
        edit("model: {bootstrap: 3}", "model: {bootstrap: 3, params: {C: -1}}"),
        r"\d+: model\.params\.C: The 'C' parameter of LogisticRegression must be .*Got -1",
    ),
    "a searched C of -1": (
        edit("model: {bootstrap: 3}", "model: {bootstrap: 3, search: {C: [0.1, -1]}}"),
        r"\d+: model\.search\.C: The 'C' parameter of LogisticRegression must be .*Got -1",
    ),
    "unknown estimator param": (
        edit("model: {bootstrap: 3}", "model: {bootstrap: 3, params: {CC: 1}}"),
        r"\d+: model\.params\.CC: LogisticRegression has no parameter 'CC'; did you mean 'C'",
    ),
    "300-character name": (
        _LONG_NAME,
        r"1: name: the model name has 300 characters, more than 100",
    ),
    "name with a path separator": (
        edit("name: bad", "name: ../models/bad"),
        r"1: name: the model name '\.\./models/bad' does not match the pattern",
    ),
    "unknown caveat feature": (
        _CAVEAT,
        rf"{line_of(_CAVEAT, 'rules:')}: caveats\.rules\[0\]: unknown name 'flows\.nosuch'",
    ),
    "evaluation end before start": (
        edit("step_days: 252}", "step_days: 252, start: 2018-01-01, end: 2017-01-01}"),
        r"\d+: evaluation: `end` \(2017-01-01\) is before `start` \(2018-01-01\)",
    ),
    "alias bomb": (
        edit("model: {bootstrap: 3}\n", ALIAS_BOMB),
        r"\d+: YAML alias \*\w expands the config past 100000 values",
    ),
    "recursive alias": (
        BASE + "description: &x [*x]\n",
        r"\d+: YAML alias \*x is used inside its own anchor",
    ),
    "nested 1000 deep": (
        BASE + "description: " + "[" * 1000 + "]" * 1000 + "\n",
        r"\d+: YAML nested more than 50 levels deep",
    ),
    "NUL character": (BASE + "description: a\x00b\n", r"\d+: YAML cannot hold the character"),
    "unbuildable tag": (BASE + "description: !!int abc\n", r"\d+: cannot read the YAML value"),
    "csv lag of 100000 days": (
        edit(
            "    - {kind: sample, start: 2012-01-02, end: 2019-12-31}\n",
            "    - {kind: sample, start: 2012-01-02, end: 2019-12-31}\n"
            "    - {kind: csv, path: x.csv, lag_days: 100000}\n",
        ),
        r"5: data\.sources\[1\]\.lag_days: .*at most 260 business days",
    ),
}


@pytest.mark.parametrize("case", sorted(LOAD_ERRORS))
def test_a_bad_config_exits_2_naming_the_field(
    tmp_path: Path, cli_env: dict[str, str], case: str
) -> None:
    text, pattern = LOAD_ERRORS[case]
    config = tmp_path / "bad.yaml"
    config.write_text(text, encoding="utf-8")
    started = time.monotonic()
    line = error_line(regime(cli_env, tmp_path, "data", "check", "--config", config), 2)
    assert re.match(rf"error: {re.escape(str(config))}:{pattern}", line), line
    assert time.monotonic() - started < 60


def test_every_command_reads_a_config_alike(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """``train`` and ``backtest`` stop on the same line as ``data check``, before any data."""
    config = tmp_path / "bad.yaml"
    config.write_text(LOAD_ERRORS["C: -1"][0], encoding="utf-8")
    lines = {
        command: error_line(regime(cli_env, tmp_path, *command, "--config", config), 2)
        for command in (("train",), ("backtest",), ("data", "check"))
    }
    assert len(set(lines.values())) == 1, lines
    assert not (tmp_path / "models").exists()


def test_a_config_over_1_mb_exits_2_naming_the_file(tmp_path: Path, cli_env: dict[str, str]):
    config = tmp_path / "big.yaml"
    config.write_text(BASE + "# " + "x" * MAX_CONFIG_BYTES + "\n", encoding="utf-8")
    line = error_line(regime(cli_env, tmp_path, "data", "check", "--config", config), 2)
    assert line.startswith(f"error: {config}: the config is larger than the limit"), line


def test_an_endless_config_file_exits_2(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """``/dev/zero`` never ends: the loader reads at most the limit, then stops."""
    proc = regime(cli_env, tmp_path, "data", "check", "--config", "/dev/zero", timeout=60)
    line = error_line(proc, 2)
    assert line.startswith("error: /dev/zero: the config is larger than the limit"), line


def test_a_latin1_config_exits_2_naming_the_line(tmp_path: Path, cli_env: dict[str, str]):
    config = tmp_path / "latin1.yaml"
    config.write_bytes(BASE.encode() + "description: d\u00e9mo\n".encode("latin-1"))
    line = error_line(regime(cli_env, tmp_path, "data", "check", "--config", config), 2)
    assert line.startswith(f"error: {config}:{BASE.count(chr(10)) + 1}: not UTF-8 text"), line


# -- errors found in the data: exit 3 (or 2 for a window the config sets) ----------------


DATA_ERRORS = {
    "two months of data": (
        edit("start: 2012-01-02, end: 2019-12-31", "start: 2019-01-02, end: 2019-02-28"),
        3,
        r"target legs 'SMALL_TR' and 'LARGE_TR' share only \d+ dates \(2019-01-02 to "
        r"2019-02-28\), too few for a label over target\.horizon_days=42",
    ),
    "horizon longer than the history": (
        edit("horizon_days: 42", "horizon_days: 1260"),
        3,
        r"walk-forward: only \d+ trainable rows, but the first test block starts after "
        r"evaluation\.min_train_days \+ purge = 504 \+ 1260 = 1764 rows; lower",
    ),
    "as_of before the data": (
        BASE + "training: {as_of: 2005-01-03}\n",
        3,
        r"training\.as_of \(or --as-of\) 2005-01-03 is before the first observation",
    ),
    "evaluation window without predictions": (
        edit("step_days: 252}", "step_days: 252, start: 2025-01-01}"),
        2,
        r"evaluation\.start/end: no out-of-sample prediction from 2025-01-01 to the last",
    ),
}


@pytest.mark.parametrize("case", sorted(DATA_ERRORS))
def test_too_little_data_is_a_user_error(tmp_path: Path, cli_env: dict[str, str], case: str):
    text, code, pattern = DATA_ERRORS[case]
    config = tmp_path / "short.yaml"
    config.write_text(text, encoding="utf-8")
    line = error_line(regime(cli_env, tmp_path, "backtest", "--config", config), code)
    assert re.match(f"error: {pattern}", line), line


def test_a_date_before_the_trading_calendar_names_the_file_and_line(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    (tmp_path / "prices.csv").write_text(
        "date,SMALL_TR,LARGE_TR\n2023-01-03,0.01,0.02\n1700-01-04,0.01,0.0\n", encoding="utf-8"
    )
    config = tmp_path / "csv.yaml"
    config.write_text(
        "name: csv\ndata:\n  sources:\n    - {kind: csv, path: prices.csv, lag_days: 0}\n"
        "target: {small: SMALL_TR, large: LARGE_TR}\n"
        "features:\n  - builder: momentum.relative_return\n",
        encoding="utf-8",
    )
    line = error_line(regime(cli_env, tmp_path, "data", "check", "--config", config), 3)
    assert f"{tmp_path / 'prices.csv'}:3: column date: date 1700-01-04 is before 1885-01-01" in line


# -- a recalibration the record cannot give: trained, with a warning -----------------------


def test_sigmoid_without_enough_predictions_trains_and_says_so(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    text = edit("model: {bootstrap: 3}", "model: {bootstrap: 2, calibration: sigmoid}")
    text = edit("start: 2012-01-02", "start: 2017-01-02", text)
    config = tmp_path / "sigmoid.yaml"
    config.write_text(text, encoding="utf-8")
    proc = regime(cli_env, tmp_path, "train", "--config", config, "--models-dir", tmp_path / "m")
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "model.calibration" in line]
    assert len(warnings) == 1, proc.stderr
    assert re.search(
        r"model\.calibration: sigmoid is not applied: the walk-forward made \d+ out-of-sample "
        r"predictions \(evaluation\.min_calibration_days: 252",
        warnings[0],
    ), warnings[0]
