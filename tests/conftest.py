"""Shared fixtures: a fast variant of configs/demo.yaml, trained once per session.

Every command runs as ``[sys.executable, "-m", "regime.cli", ...]`` so the suite
works in any environment where the package is importable, and the cache is
pointed into a temporary directory so nothing is written under ``$HOME``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "configs" / "demo.yaml"
SMALL_NAME = "cli_small"


def _small_config_dict() -> dict:
    """configs/demo.yaml, shortened so that training takes a few seconds."""
    config = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    config["name"] = SMALL_NAME
    (source,) = config["data"]["sources"]
    assert source["kind"] == "sample"
    source["start"] = date(2012, 1, 2)
    source["end"] = date(2019, 12, 31)
    config["model"]["bootstrap"] = 5
    # Two years of out-of-sample record are too few for shrink to keep any of the
    # model's spread (it would say the base rate every day); the tests need a model
    # whose pillars move its probability.
    config["model"]["calibration"] = "none"
    config.setdefault("evaluation", {})
    config["evaluation"]["min_train_days"] = 504
    config["evaluation"]["step_days"] = 252
    return config


def _dump(config: dict) -> str:
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False)


@pytest.fixture
def small_config() -> dict:
    """A fresh copy (safe to mutate) of the fast config, as a dict."""
    return _small_config_dict()


@pytest.fixture
def small_config_text() -> str:
    """The fast config as YAML text (block style, one key per line)."""
    return _dump(_small_config_dict())


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of the CLI subprocesses: repo importable, cache in a temp dir."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg_cache"))
    env.pop("FRED_API_KEY", None)
    return env


@pytest.fixture(scope="session")
def run_cli(
    cli_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m regime.cli ARGS`` and return the completed process (text mode)."""
    default_cwd = tmp_path_factory.mktemp("cwd")

    def run(
        *args: str | Path,
        cwd: Path | None = None,
        timeout: float = 300,
        env: dict[str, str] | None = None,
    ):
        return subprocess.run(
            [sys.executable, "-m", "regime.cli", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd or default_cwd,
            env={**cli_env, **(env or {})},
            timeout=timeout,
        )

    return run


@pytest.fixture(scope="session")
def small_config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A YAML config like configs/demo.yaml, on 2012-2019 with 5 bootstrap refits."""
    path = tmp_path_factory.mktemp("config") / "small.yaml"
    path.write_text(_dump(_small_config_dict()), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def trained_model(
    small_config_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    cli_env: dict[str, str],
) -> Path:
    """Train the small config once per session; return the artifact path."""
    models_dir = tmp_path_factory.mktemp("models")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "regime.cli",
            "train",
            "--config",
            str(small_config_path),
            "--models-dir",
            str(models_dir),
        ],
        capture_output=True,
        text=True,
        cwd=models_dir.parent,
        env=cli_env,
        timeout=600,
    )
    assert proc.returncode == 0, f"train failed ({proc.returncode}):\n{proc.stderr}"
    artifact = models_dir / f"{SMALL_NAME}.joblib"
    assert artifact.is_file(), f"no artifact in {models_dir}: {os.listdir(models_dir)}"
    return artifact
