"""regime sweep: the grid, one engine on every scale, faults, resume and cancellation.

The variants are a short config (tests/short_configs.py, the sample from
2012 to 2019) with two horizons and two calibrations. Engines: serial (the reference),
loky with two processes, and a Dask ``LocalCluster`` of two single-threaded
worker *processes* (not threads).
"""

from __future__ import annotations

import filecmp
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
import yaml
from fred_server import FakeSeries, FredTestServer, Row
from short_configs import SHORT_MODEL, SHORT_TARGET_AND_FEATURES

from regime.cli import main
from regime.data._base import LoadContext
from regime.exceptions import ConfigError
from regime.sweep import (
    DaskEngine,
    LokyEngine,
    SerialEngine,
    build_plan,
    collect,
    run_sweep,
    write_report,
    write_results,
)
from regime.sweep.results import RUN_DEPENDENT
from regime.sweep.runner import MAX_ATTEMPTS, read_result
from regime.sweep.sources import source_sets
from regime.sweep.task import run_variant

BASE = f"""\
name: sweep_small
data: {{sources: [{{kind: sample, seed: 7, start: 2012-01-02, end: 2019-12-31}}]}}
{SHORT_TARGET_AND_FEATURES}{SHORT_MODEL}"""

GRID = """\
grid:
  target.horizon_days: [42, 63]
  model.calibration: [shrink, none]
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the short base config and the 2 x 2 grid."""
    directory = tmp_path_factory.mktemp("sweep")
    (directory / "base.yaml").write_text(BASE, encoding="utf-8")
    (directory / "grid.yaml").write_text(GRID, encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def plan(workdir: Path):
    return build_plan(workdir / "base.yaml", workdir / "grid.yaml")


def sweep(plan, engine, out: Path, **kwargs) -> tuple[pd.DataFrame, object]:
    """Run, collect and write; return the results table (as written) and the run."""
    logging.getLogger("distributed").setLevel(logging.ERROR)
    run = run_sweep(plan, engine, out, echo=lambda message: None, **kwargs)
    results = collect(out, plan)
    write_results(out, results)
    write_report(out, results, run, plan.base.name, synthetic=True)
    return pd.read_csv(out / "results.csv"), run


@pytest.fixture(scope="module")
def serial(plan, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """The reference: every variant one after the other in this process."""
    out = tmp_path_factory.mktemp("serial")
    table, run = sweep(plan, SerialEngine(), out)
    assert len(run.ok) == 4 and not run.failed
    return out, table


def assert_same_results(out: Path, table: pd.DataFrame, reference: tuple[Path, pd.DataFrame]):
    """Every computed column and every prediction file equal, bit for bit."""
    ref_out, ref_table = reference
    pd.testing.assert_frame_equal(
        table.drop(columns=RUN_DEPENDENT), ref_table.drop(columns=RUN_DEPENDENT), check_exact=True
    )
    for variant_id in ref_table["id"]:
        name = f"variants/{variant_id}/predictions.csv"
        assert filecmp.cmp(out / name, ref_out / name, shallow=False), name


# -- the grid -------------------------------------------------------------------------------


def test_grid_expands_the_product_with_stable_ids_and_resolved_configs(plan, workdir, serial):
    assert [v.assignment for v in plan.variants] == [
        {"target.horizon_days": "42", "model.calibration": "shrink"},
        {"target.horizon_days": "42", "model.calibration": "none"},
        {"target.horizon_days": "63", "model.calibration": "shrink"},
        {"target.horizon_days": "63", "model.calibration": "none"},
    ]
    again = build_plan(workdir / "base.yaml", workdir / "grid.yaml")
    assert [v.id for v in again.variants] == [v.id for v in plan.variants]
    assert len({v.id for v in plan.variants}) == 4
    assert plan.variants[3].config.target.horizon_days == 63
    assert plan.variants[3].config.purge_days == 63  # the resolved config follows the horizon
    out, table = serial
    saved = yaml.safe_load((out / "variants" / plan.variants[1].id / "config.yaml").read_text())
    assert saved == plan.variants[1].resolved and saved["model"]["calibration"] == "none"
    assert list(table.columns[:4]) == ["rank", "id", "target.horizon_days", "model.calibration"]
    for column in ("auc", "auc_lower", "auc_upper", "brier_skill_lower"):
        assert table[column].notna().all(), column
    # An overlay that never took a position (a shrunk model saying the base rate
    # throughout) has no Sharpe ratio to deflate; every other variant has one.
    flat = table["overlay_annual_volatility"] == 0.0
    assert table.loc[~flat, "deflated_sharpe"].notna().all()
    assert table.loc[flat, "deflated_sharpe"].isna().all()
    assert not flat[table["model.calibration"] == "none"].any()
    assert sorted(table["rank"]) == [1, 2, 3, 4]
    selection = json.loads((out / "selection.json").read_text())
    assert selection["trials"] == 4
    assert selection["winner"] == table.loc[table["rank"] == 1, "id"].item()
    assert "Selection alone would explain" in (out / "report.html").read_text()


def test_named_alternatives_duplicates_and_source_sets(workdir, tmp_path):
    features = yaml.safe_load(SHORT_TARGET_AND_FEATURES)["features"]
    grid = {
        "grid": {
            "model.bootstrap": [5, 5.0],  # the same config twice: one variant
            "features": {"all": features, "no_flows": features[1:]},
            "data.sources": {
                "seed7": [{"kind": "sample", "seed": 7, "start": "2012-01-02"}],
                "seed11": [{"kind": "sample", "seed": 11, "start": "2012-01-02"}],
            },
        },
        "set": {"evaluation.step_days": 126},
    }
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(grid), encoding="utf-8")
    plan = build_plan(workdir / "base.yaml", path)
    assert len(plan.variants) == 4 and plan.duplicates == 4
    assert {v.assignment["features"] for v in plan.variants} == {"all", "no_flows"}
    assert all(v.config.evaluation.step_days == 126 for v in plan.variants)
    sets = source_sets(plan.variants, plan.config_dir)
    assert sorted(len(s.variants) for s in sets.values()) == [2, 2]


@pytest.mark.parametrize(
    ("grid", "expected"),
    [
        ("grid:\n  model.parms.C: [1.0]\n", r"variant 1 \(model\.parms\.C=1\.0\): model\.parms: "),
        ("grid:\n  target.horizon_days: [42, 0]\n", r"variant 2 .*target\.horizon_days"),
        ("grid:\n  model.params.max_iter: [-5]\n", r"model\.params.*max_iter.*Got -5"),
        ("grid:\n  features.9.builder: [x]\n", r"features\.9: features is a list of 6"),
        ("grid:\n  model.calibration: []\n", r"grid\.model\.calibration: needs at least one"),
        ("grid: [1, 2]\n", r"non-empty `grid` mapping"),
        (None, r"grid file not found"),
    ],
)
def test_a_bad_grid_exits_2_naming_it(workdir, tmp_path, capsys, grid, expected):
    path = tmp_path / "grid.yaml"
    if grid is not None:
        path.write_text(grid, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected):
        build_plan(workdir / "base.yaml", path)
    out = tmp_path / "out"
    args = ["sweep", "--config", str(workdir / "base.yaml"), "--grid", str(path)]
    code = main([*args, "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and "grid.yaml" in err
    assert not out.exists()  # nothing ran


# -- data moves once -------------------------------------------------------------------------


@pytest.mark.slow
def test_fred_is_pulled_once_for_every_universe_and_variant(workdir, tmp_path, monkeypatch):
    days = pd.bdate_range("2012-01-02", "2019-12-31")
    rows = [
        Row(
            f"{day:%Y-%m-%d}", f"{2.5 + (i % 50) / 100:.2f}", f"{day + pd.offsets.BDay(1):%Y-%m-%d}"
        )
        for i, day in enumerate(days)
    ]
    fred = {"kind": "fred", "series": ["BAA10Y"], "start": "2012-01-01", "max_retries": 0}
    universes = {
        name: [{"kind": "sample", "seed": seed, "start": "2012-01-02", "end": "2019-12-31"}, fred]
        for name, seed in (("seed5", 5), ("seed7", 7))
    }
    grid = tmp_path / "grid.yaml"
    grid.write_text(
        yaml.safe_dump(
            {"grid": {"data.sources": universes, "model.calibration": ["shrink", "none"]}}
        ),
        encoding="utf-8",
    )
    series = FakeSeries("BAA10Y", rows, frequency="Daily", frequency_short="D")
    with FredTestServer([series], api_keys={"k"}, today="2020-01-31") as server:
        monkeypatch.setenv("FRED_API_KEY", "k")
        monkeypatch.setenv("REGIME_FRED_API_ROOT", server.root_url)
        plan = build_plan(workdir / "base.yaml", grid)
        run = run_sweep(
            plan, SerialEngine(), tmp_path / "out", cache_dir=str(tmp_path / "cache"), echo=print
        )
        assert len(run.ok) == 4 and run.source_sets == 2
        in_sweep = len(server.requests)
        server.requests.clear()
        source = plan.variants[0].config.data.sources[1]
        source.load(LoadContext(cache_dir=tmp_path / "cache2"))
        assert in_sweep == len(server.requests) > 0  # one pull, not one per universe or variant


# -- one engine, every scale ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["loky", "dask"])
def test_parallel_runs_equal_the_serial_run_bit_for_bit(plan, serial, tmp_path, engine):
    chosen = LokyEngine(2) if engine == "loky" else DaskEngine(None, 2, processes=True)
    table, run = sweep(plan, chosen, tmp_path / engine)
    assert len(run.ok) == 4 and run.source_sets == 1
    assert set(table["engine"]) == {engine}
    assert table["worker"].nunique() == 2  # both workers took variants
    assert_same_results(tmp_path / engine, table, serial)


@pytest.mark.slow
def test_a_lone_variant_fits_its_folds_on_the_processes_left_idle(plan, serial, tmp_path):
    lone = replace(plan, variants=plan.variants[:1])
    _, run = sweep(lone, LokyEngine(2), tmp_path / "lone")  # its folds get both processes
    assert len(run.ok) == 1
    name = Path("variants") / plan.variants[0].id / "predictions.csv"
    assert filecmp.cmp(tmp_path / "lone" / name, serial[0] / name, shallow=False)


def test_a_failing_variant_records_its_error_and_the_sweep_goes_on(workdir, tmp_path, capsys):
    grid = tmp_path / "grid.yaml"
    grid.write_text("grid:\n  evaluation.min_train_days: [504, 4000]\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["sweep", "--config", str(workdir / "base.yaml"), "--grid", str(grid)]
    code = main([*args, "--out", str(out), "--n-jobs", "1", "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    table = pd.read_csv(out / "results.csv")
    assert list(table["status"]) == ["ok", "failed"]
    error = table.loc[1, "error"]
    assert "min_train_days" in error and "\n" not in error
    assert pd.isna(table.loc[1, "auc"]) and pd.isna(table.loc[1, "rank"])
    assert "1 ok, 1 failed" in printed and f"failed {table.loc[1, 'id']}" in printed
    assert "min_train_days" in (out / "report.html").read_text()


def test_rerunning_skips_done_variants(plan, serial, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(serial[0], out)
    redo = plan.variants[2].id
    (out / "variants" / redo / "result.json").unlink()
    ran: list[str] = []

    def counting(task, data):
        ran.append(task.id)
        return run_variant(task, data)

    table, run = sweep(plan, SerialEngine(), out, task_fn=counting)
    assert ran == [redo] and sorted(run.skipped) == sorted(
        v.id for v in plan.variants if v.id != redo
    )
    assert_same_results(out, table, serial)
    ran.clear()
    _, run = sweep(plan, SerialEngine(), out, task_fn=counting)
    assert ran == [] and len(run.skipped) == 4


# -- faults ---------------------------------------------------------------------------------


def crash_once(task, data, victim: str, marker: str):
    """Kill the worker process the first time it runs ``victim``."""
    if task.id == victim and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)
    return run_variant(task, data)


@pytest.mark.slow
def test_a_dead_worker_is_retried_and_reported(plan, serial, tmp_path):
    two = replace(plan, variants=plan.variants[:2])
    victim = two.variants[1].id
    crash = partial(crash_once, victim=victim, marker=str(tmp_path / "crashed"))
    table, run = sweep(two, LokyEngine(2), tmp_path / "out", task_fn=crash)
    assert (tmp_path / "crashed").exists()
    assert len(run.ok) == 2 and not run.failed and victim in run.retried
    assert any("worker died while running variant " + victim in note for note in run.notes)
    assert read_result(tmp_path / "out", victim)["attempts"] == 2
    assert MAX_ATTEMPTS >= 2
    ref = serial[1].loc[serial[1]["id"].isin(table["id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        table.drop(columns=[*RUN_DEPENDENT, "rank", "deflated_sharpe"]),
        ref.drop(columns=[*RUN_DEPENDENT, "rank", "deflated_sharpe"]),
        check_exact=True,
    )


@pytest.mark.slow
def test_ctrl_c_cancels_shuts_the_cluster_down_and_a_rerun_resumes(workdir, tmp_path, cli_env):
    grid = tmp_path / "grid.yaml"
    grid.write_text(GRID.replace("[shrink, none]", "[shrink, none, sigmoid]"), encoding="utf-8")
    out = tmp_path / "out"
    args = ["sweep", "--config", str(workdir / "base.yaml"), "--grid", str(grid), "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "regime.cli", *args, "--cluster", "local", "--n-jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    deadline = time.monotonic() + 240
    while not list(out.glob("variants/*/result.json")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "error: interrupted" in stderr and "rerun the same command to resume" in stderr
    done = [json.loads(p.read_text()) for p in out.glob("variants/*/result.json")]
    assert 1 <= len(done) < 6
    workers = {int(r["worker"].rsplit(":", 1)[1]) for r in done}
    time.sleep(1.0)
    assert not [pid for pid in workers if _alive(pid)], "cluster workers outlived the command"
    assert not (out / "results.csv").exists()
    resumed = subprocess.run(
        [sys.executable, "-m", "regime.cli", *args, "--n-jobs", "2", "--quiet"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(done)} already done" in resumed.stdout
    assert len(pd.read_csv(out / "results.csv")) == 6


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return False


def test_train_writes_each_variant_artifact_in_its_own_directory(workdir, tmp_path, capsys):
    grid = tmp_path / "grid.yaml"
    grid.write_text(
        "grid:\n  model.calibration: [shrink, none]\nset:\n  model.bootstrap: 2\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    args = ["sweep", "--config", str(workdir / "base.yaml"), "--grid", str(grid), "--out", str(out)]
    assert main([*args, "--n-jobs", "1", "--train", "--quiet"]) == 0
    table = pd.read_csv(out / "results.csv")
    artifacts = [Path(a) for a in table["artifact"]]
    assert len(set(artifacts)) == 2
    for variant_id, artifact in zip(table["id"], artifacts, strict=True):
        assert artifact.is_relative_to((out / "variants" / variant_id / "models").resolve())
        assert artifact.exists()
    assert not (workdir / "models").exists()
    capsys.readouterr()
    assert main([*args, "--n-jobs", "1", "--train", "--quiet"]) == 0
    assert "2 already done" in capsys.readouterr().out
