"""Faults of the machine, through the CLI: a full disk or a file-size limit names the file.

The file-size limit (``RLIMIT_FSIZE``) makes writes past it fail with "File too
large", as a full disk fails them with "No space left on device": both are an
``OSError`` on the write, which must end in one line naming the file.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SMALL_NAME


def _run_limited(args: list[str], env: dict[str, str], limit: int) -> subprocess.CompletedProcess:
    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "regime.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=limited,
        timeout=300,
    )


def _error_line(stderr: str) -> str:
    lines = [x for x in stderr.splitlines() if x.startswith("error:")]
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_csv_too_large_for_the_disk_names_the_file(
    trained_model: Path, cli_env: dict[str, str], tmp_path: Path
):
    out = tmp_path / "history.csv"
    proc = _run_limited(
        ["history", "--model", str(trained_model), "--csv", str(out)], cli_env, limit=2_000
    )
    assert proc.returncode == 3
    line = _error_line(proc.stderr)
    assert f"error: {out}: File too large" in line
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_a_model_too_large_for_the_disk_keeps_the_previous_one(
    small_config_path: Path, cli_env: dict[str, str], tmp_path: Path, run_cli
):
    models = tmp_path / "models"
    first = run_cli("train", "--config", small_config_path, "--models-dir", models)
    assert first.returncode == 0, first.stderr
    before = run_cli("score", "--model", models / f"{SMALL_NAME}.joblib", "--date", "2018-06-01")
    proc = _run_limited(
        ["train", "--config", str(small_config_path), "--models-dir", str(models)],
        cli_env,
        limit=15_000,
    )
    assert proc.returncode == 4
    line = _error_line(proc.stderr)
    assert "model.joblib: cannot write the model (File too large)" in line
    assert "the current model is unchanged" in line
    after = run_cli("score", "--model", models / f"{SMALL_NAME}.joblib", "--date", "2018-06-01")
    assert after.returncode == 0 and after.stdout == before.stdout
    versions = sorted(p.name for p in (models / f"{SMALL_NAME}.versions").iterdir())
    assert versions == [".lock", "0001", "current"]
    card = json.loads((models / f"{SMALL_NAME}.card.json").read_text("utf-8"))
    assert card["artifact"] == "model.joblib"
