"""A live-style config end to end through the CLI, against a local FRED-format server.

Pull into the cache, train online, train offline from the cache (same data
fingerprints), score offline, check the data table, and never leak the key.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fred_server import LATEST, FakeSeries, FredTestServer, Row
from short_configs import SHORT_MODEL, SHORT_TARGET_AND_FEATURES

SENTINEL = "SENTINEL-KEY-9f8e7d6c5b4a"


def _baa_series() -> FakeSeries:
    """Daily BAA10Y 2012-2019, first released next business day, month-ends revised a week later."""
    days = pd.bdate_range("2012-01-02", "2019-12-31")
    values = 2.5 + 0.8 * np.sin(np.arange(len(days)) / 90.0)
    rows = []
    for day, value in zip(days, values, strict=True):
        release = (day + pd.offsets.BDay(1)).strftime("%Y-%m-%d")
        if day.is_month_end or (day + pd.offsets.BDay(1)).month != day.month:
            revised = (day + pd.offsets.BDay(6)).strftime("%Y-%m-%d")
            end = (pd.Timestamp(revised) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
            rows.append(Row(day.strftime("%Y-%m-%d"), f"{value:.2f}", release, end))
            rows.append(Row(day.strftime("%Y-%m-%d"), f"{value + 0.05:.2f}", revised, LATEST))
        else:
            rows.append(Row(day.strftime("%Y-%m-%d"), f"{value:.2f}", release, LATEST))
    return FakeSeries(
        "BAA10Y", rows, title="Moody's BAA minus 10y", frequency="Daily", frequency_short="D"
    )


CONFIG = (
    """
name: live_small
data:
  sources:
    - {kind: sample, seed: 5, start: 2012-01-02, end: 2019-12-31}
    - kind: fred
      series: [BAA10Y]
      vintages: true
      start: "2012-01-01"
      backoff_seconds: 0.01
      max_retries: 1
"""
    + SHORT_TARGET_AND_FEATURES
    + """\
  - builder: macro.series_change
    pillar: credit
    params: {series: BAA10Y, window_days: 252, min_days: 63}
"""
    + SHORT_MODEL
)


@pytest.fixture(scope="module")
def server():
    with FredTestServer([_baa_series()], api_keys={SENTINEL}, today="2020-01-31") as srv:
        yield srv


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("live")
    (root / "live.yaml").write_text(CONFIG, encoding="utf-8")
    return root


@pytest.fixture
def run(run_cli):
    """``regime ARGS --cache-dir WORKDIR/cache`` with the sentinel key and a FRED root."""

    def _run(args: list[str], workdir: Path, root_url: str):
        env = {
            "FRED_API_KEY": SENTINEL,
            "REGIME_FRED_API_ROOT": root_url,
            "XDG_CACHE_HOME": str(workdir / "xdg"),
        }
        return run_cli(*args, "--cache-dir", workdir / "cache", cwd=workdir, env=env)

    return _run


def _fingerprints(models: Path) -> dict[str, str]:
    return json.loads((models / "live_small.card.json").read_text())["fingerprints"]


def test_pull_train_online_then_offline_same_fingerprints_and_no_key_leak(server, workdir, run):
    outputs = []
    pull = run(["data", "pull", "--config", "live.yaml"], workdir, server.root_url)
    outputs.append(pull)
    assert pull.returncode == 0, pull.stderr
    assert "fred" in pull.stdout
    assert list((workdir / "cache").rglob("BAA10Y*"))

    online = run(
        ["train", "--config", "live.yaml", "--models-dir", "m_online"], workdir, server.root_url
    )
    outputs.append(online)
    assert online.returncode == 0, online.stderr
    requests_before = len(server.requests)

    offline = run(
        ["train", "--config", "live.yaml", "--models-dir", "m_offline", "--offline"],
        workdir,
        server.root_url,
    )
    outputs.append(offline)
    assert offline.returncode == 0, offline.stderr
    assert len(server.requests) == requests_before  # offline means no request at all
    assert _fingerprints(workdir / "m_online") == _fingerprints(workdir / "m_offline")
    assert "BAA10Y" in _fingerprints(workdir / "m_offline")

    score = run(
        ["score", "--model", "m_offline/live_small.joblib", "--json", "--offline"],
        workdir,
        server.root_url,
    )
    outputs.append(score)
    assert score.returncode == 0, score.stderr
    card = json.loads(score.stdout)
    # The newest trading day on which every input is still within its maximum age.
    assert "2019-12-31" <= card["as_of"] <= "2020-01-10"
    assert not any(entry["stale"] for entry in card["data"].values())
    assert card["data"]["BAA10Y"]["last_known"] == "2019-12-31"
    assert "credit" in card["pillars"]

    check = run(["data", "check", "--config", "live.yaml", "--offline"], workdir, server.root_url)
    outputs.append(check)
    assert check.returncode == 0, check.stderr
    assert "BAA10Y" in check.stdout and "SMALL_TR" in check.stdout

    for proc in outputs:
        assert SENTINEL not in proc.stdout + proc.stderr
    for path in workdir.rglob("*"):
        if path.is_file():
            assert SENTINEL.encode() not in path.read_bytes(), path


def test_server_down_falls_back_to_the_cache(tmp_path, server, run):
    """A closed port stands for the network being down: training reads the pulled cache.

    It pulls and trains online in its own folder, so it never depends on another
    test having run first (on another worker, it might not have).
    """
    (tmp_path / "live.yaml").write_text(CONFIG, encoding="utf-8")
    pull = run(["data", "pull", "--config", "live.yaml"], tmp_path, server.root_url)
    assert pull.returncode == 0, pull.stderr
    train = ["train", "--config", "live.yaml", "--models-dir"]
    online = run([*train, "m_online"], tmp_path, server.root_url)
    assert online.returncode == 0, online.stderr
    down = run([*train, "m_down"], tmp_path, "http://127.0.0.1:9/fred")
    assert down.returncode == 0, down.stderr
    assert _fingerprints(tmp_path / "m_down") == _fingerprints(tmp_path / "m_online")
    assert "cache" in down.stderr.lower()


def test_offline_without_cache_is_a_data_error(tmp_path, run):
    (tmp_path / "live.yaml").write_text(CONFIG, encoding="utf-8")
    proc = run(
        ["data", "check", "--config", "live.yaml", "--offline"], tmp_path, "http://127.0.0.1:9/fred"
    )
    assert proc.returncode == 3, proc.stderr
    assert "BAA10Y" in proc.stderr and "regime data pull" in proc.stderr
    assert len([line for line in proc.stderr.splitlines() if line.startswith("error:")]) == 1


def test_data_check_names_a_series_no_source_provides(tmp_path, run):
    text = CONFIG.replace(
        "- builder: rate_expectations.cuts_priced\n",
        "- builder: rate_expectations.cuts_priced\n    params: {two_year: DGS2X}\n",
    )
    (tmp_path / "x.yaml").write_text(text, encoding="utf-8")
    with FredTestServer([_baa_series()], api_keys={SENTINEL}, today="2020-01-31") as srv:
        proc = run(["data", "check", "--config", "x.yaml"], tmp_path, srv.root_url)
    assert proc.returncode == 3, proc.stderr
    assert "DGS2X" in proc.stderr
