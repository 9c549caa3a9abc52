"""configs/smallcap_us.yaml is coherent: with files in each source's real format and a
FRED-format server, `regime data check` finds every series the config needs; its
features and model train and score end to end."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from fred_server import LATEST, FakeSeries, FredTestServer, Row

from regime.config import load_config
from regime.data._base import LoadContext
from regime.data.observations import add_business_days
from regime.data.sample import SampleSource
from regime.dataset import FeatureSet

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
FRED_IDS = [
    "DFF",
    "DGS1",
    "DGS2",
    "DFEDTARU",
    "DFEDTAR",
    "DGS10",
    "BAA10Y",
    "T10Y2Y",
    "ICSA",
    "UMCSENT",
]


def test_live_config_names_the_issue_series_and_parses():
    config = load_config(ROOT / "configs" / "smallcap_us.yaml")
    fred = next(s for s in config.data.sources if s.kind == "fred")
    assert set(FRED_IDS) <= set(fred.series) and fred.vintages
    assert {s.kind for s in config.data.sources} == {"fred", "french", "cftc", "csv"}
    assert not config.synthetic
    # No default lag: every vendor CSV (none carries known_at on every row) sets one.
    assert all(s.lag_days is not None for s in config.data.sources if s.kind == "csv")
    inputs = set(FeatureSet.from_config(config).input_series)
    assert {"RTY_LEV_NET_OI", "DFF", "DGS1", "DFEDTARU", "DFEDTAR"} <= inputs
    assert {"MEGACAP_REV_BREADTH", "LARGE_EX_TOP10_REV_BREADTH"} <= inputs


def _fred_series(series_id: str) -> FakeSeries:
    rows = [
        Row("2024-06-03", "4.1", "2024-06-04", "2024-06-10"),
        Row("2024-06-03", "4.2", "2024-06-11", LATEST),
        Row("2024-06-04", "4.3", "2024-06-05", LATEST),
    ]
    return FakeSeries(series_id, rows, frequency="Daily", frequency_short="D")


def write_cftc_history(folder: Path) -> None:
    """The CFTC files the live config reads, in their real layout and names.

    The current year is the real 2024 fixture (CME Russell E-mini 239742, July
    2024); the yearly zip and the 2006-2016 history repeat its header and rows,
    the history's as the ICE Russell 2000 mini (23977A) four weeks of 2016.
    """
    current = FIXTURES / "cftc" / "FinFutYY_2024_trimmed.txt"
    shutil.copy(current, folder / "FinFutYY.txt")
    header, *rows = current.read_text().splitlines()
    with zipfile.ZipFile(folder / "fut_fin_txt_2024.zip", "w") as z:
        z.writestr("FinFutYY.txt", "\n".join([header, *rows]) + "\n")
    ice = []
    for line, day in zip(
        [r for r in rows if ",239742," in r], ["12-20", "12-13", "12-06", "11-29"], strict=True
    ):
        fields = line.split(",")
        fields[0] = '"RUSSELL 2000 MINI INDEX FUTURE - ICE FUTURES U.S."'
        fields[1], fields[2] = f"16{day.replace('-', '')}", f"2016-{day}"
        fields[3], fields[4] = "23977A", "ICUS"
        ice.append(",".join(fields))
    with zipfile.ZipFile(folder / "fin_fut_txt_2006_2016.zip", "w") as z:
        z.writestr("F_TFF_2006_2016.txt", "\n".join([header, *ice]) + "\n")


def test_data_check_on_the_live_config_with_real_format_files(tmp_path: Path, run_cli):
    configs = tmp_path / "configs"
    configs.mkdir()
    shutil.copy(ROOT / "configs" / "smallcap_us.yaml", configs)
    data = tmp_path / "data"
    for folder in ("french", "cftc", "vendor"):
        (data / folder).mkdir(parents=True)
    with zipfile.ZipFile(data / "french" / "Portfolios_Formed_on_ME_daily_CSV.zip", "w") as z:
        z.write(
            FIXTURES / "french" / "Portfolios_Formed_on_ME_Daily_VW_excel.csv",
            "Portfolios_Formed_on_ME_daily.csv",
        )
    write_cftc_history(data / "cftc")
    for name in ("etf_flows.csv", "forward_pe.csv", "revisions.csv"):
        shutil.copy(ROOT / "configs" / "templates" / name, data / "vendor" / name)

    key = "live-config-test-key"
    with FredTestServer(
        [_fred_series(s) for s in FRED_IDS], api_keys={key}, today="2024-07-01"
    ) as server:
        env = {"FRED_API_KEY": key, "REGIME_FRED_API_ROOT": server.root_url}
        proc = run_cli(
            "data",
            "check",
            "--config",
            "configs/smallcap_us.yaml",
            "--cache-dir",
            tmp_path / "cache",
            cwd=tmp_path,
            env=env,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr
    needed = [
        "SMALL_TR",
        "LARGE_TR",
        "RTY_LEV_NET_OI",
        "SMALL_ETF_FLOW",
        "LARGE_ETF_AUM",
        "SMALL_FWD_PE",
        "LARGE_REV_BREADTH",
        "MEGACAP_REV_BREADTH",
        "LARGE_EX_TOP10_REV_BREADTH",
        *FRED_IDS,
    ]
    table = proc.stdout
    for series in needed:
        assert series in table, series
    assert "fred" in table and "french" in table and "cftc" in table
    positioning = next(line for line in table.splitlines() if "RTY_LEV_NET_OI" in line)
    assert "2016-11-29" in positioning  # spliced: the ICE contract's history comes first
    assert key not in proc.stdout + proc.stderr


def _live_observations(path: Path) -> None:
    """Every series the live config reads, as one long CSV: the seeded sample, plus
    random walks for the FRED macro series and the mega-cap revisions it lacks."""
    sample = SampleSource(kind="sample", seed=7, start="2000-01-03", end="2012-12-31")
    frames = [sample.load(LoadContext())]
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2000-01-03", "2012-12-31")
    weeks = pd.date_range("2000-01-08", "2012-12-29", freq="W-SAT")
    months = pd.date_range("2000-01-31", "2012-12-31", freq="ME")
    for series, dates, start, step in (
        ("BAA10Y", days, 2.0, 0.02),
        ("T10Y2Y", days, 1.0, 0.02),
        ("ICSA", weeks, 300000.0, 3000.0),
        ("UMCSENT", months, 80.0, 2.0),
        ("MEGACAP_REV_BREADTH", months, 0.1, 0.05),
        ("LARGE_EX_TOP10_REV_BREADTH", months, 0.0, 0.05),
    ):
        values = start + np.cumsum(rng.normal(0.0, step, len(dates)))
        known_at = add_business_days(pd.DatetimeIndex(dates), 5)
        frames.append(
            pd.DataFrame({"series": series, "date": dates, "value": values, "known_at": known_at})
        )
    pd.concat(frames, ignore_index=True).to_csv(path, index=False, date_format="%Y-%m-%d")


@pytest.mark.slow
def test_the_live_features_and_model_train_and_score(tmp_path: Path, run_cli):
    """The live config's features, model and stance, on data shaped like its sources.

    Only ``data`` changes (one long CSV); yearly refits and no bootstrap keep it quick.
    """
    _live_observations(tmp_path / "observations.csv")
    raw = yaml.safe_load((ROOT / "configs" / "smallcap_us.yaml").read_text())
    raw["data"] = {"sources": [{"kind": "csv", "path": "observations.csv", "layout": "long"}]}
    raw["model"]["bootstrap"] = 0
    raw["evaluation"]["step_days"] = 252
    (tmp_path / "live.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    trained = run_cli("train", "--config", tmp_path / "live.yaml", "--models-dir", tmp_path)
    assert trained.returncode == 0, trained.stderr
    card = run_cli("score", "--model", tmp_path / "smallcap_us.joblib", "--json")
    assert card.returncode == 0, card.stderr
    payload = json.loads(card.stdout)
    assert 0.0 < payload["probability"] < 1.0
    pillars = payload["pillars"]
    assert {"earnings_revisions", "positioning", "credit", "curve", "growth"} <= set(pillars)
    assert "earnings_revisions.megacap_spread" in pillars["earnings_revisions"]["features"]
    explained = run_cli("explain", "--model", tmp_path / "smallcap_us.joblib")
    assert "earnings_revisions.megacap_spread" in explained.stdout
