"""`regime history`: the daily table, its CSV, its plot, and the CLI's error contract."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from regime.calendar import trading_days

START, END = "2018-01-02", "2018-03-31"  # out of sample for the session model; END a Saturday
PILLARS = ["flows", "valuations", "positioning", "rate_expectations", "earnings_revisions"]
CSV_COLUMNS = [
    "date",
    "probability",
    "lower",
    "upper",
    "baseline",
    "stance",
    "in_sample",
    "model_trained_through",
    "missing_features",
    *PILLARS,
]


@pytest.fixture(scope="module")
def outputs(run_cli, trained_model: Path, tmp_path_factory: pytest.TempPathFactory):
    """One run with --csv and --plot: (process, csv path, png path)."""
    where = tmp_path_factory.mktemp("history")
    csv, png = where / "out" / "history.csv", where / "out" / "history.png"
    proc = run_cli(
        "history", "--model", trained_model, "--from", START, "--to", END, "--csv", csv,
        "--plot", png,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc, csv, png


def _rows(stdout: str) -> list[list[str]]:
    header, *rows = stdout.splitlines()
    assert header.split() == [
        "date", "probability", "interval", "baseline", "stance", "in_sample",
        "model_trained_through", "missing_features", *PILLARS,
    ]  # fmt: skip
    return [row.split() for row in rows]


def test_text_has_one_aligned_line_per_trading_day(outputs):
    proc, _, _ = outputs
    rows = _rows(proc.stdout)
    expected = trading_days(START, END).strftime("%Y-%m-%d").tolist()
    assert [row[0] for row in rows] == expected
    assert len({len(line) for line in proc.stdout.splitlines()}) == 1  # aligned columns
    for row in rows:
        probability, interval, baseline = float(row[1]), row[2], float(row[3])
        lower, upper = (float(x) for x in interval.split("-"))
        assert 0 <= lower <= upper <= 1 and 0 <= probability <= 1
        assert row[4] in ("overweight", "neutral", "underweight") and row[5] == "no"
        assert int(row[7]) >= 0
        total = baseline + sum(float(x) for x in row[8:])
        assert total == pytest.approx(probability, abs=0.004)  # rounding to 3 decimals
    assert "SYNTHETIC DATA" in proc.stderr


def test_csv_round_trips_with_the_table_columns(outputs):
    proc, csv, _ = outputs
    frame = pd.read_csv(csv, parse_dates=["date", "model_trained_through"])
    assert list(frame.columns) == CSV_COLUMNS
    assert frame["date"].dt.strftime("%Y-%m-%d").tolist() == [r[0] for r in _rows(proc.stdout)]
    assert frame["in_sample"].dtype == bool and not frame["in_sample"].any()
    assert (frame["lower"] <= frame["upper"]).all()
    total = frame["baseline"] + frame[PILLARS].sum(axis=1)
    assert (total - frame["probability"]).abs().max() < 1e-5
    shown = [float(r[1]) for r in _rows(proc.stdout)]
    assert frame["probability"].round(3).tolist() == pytest.approx(shown, abs=1e-9)


def test_plot_is_a_real_png(outputs):
    matplotlib_image = pytest.importorskip("matplotlib.image")
    _, _, png = outputs
    assert png.stat().st_size > 10_000
    pixels = matplotlib_image.imread(png)
    assert pixels.ndim == 3 and pixels.shape[2] in (3, 4)
    assert pixels.shape[0] > 500 and pixels.shape[1] > 800
    assert pixels[..., :3].std() > 0.05  # not a blank canvas


def test_in_sample_flips_the_flag(run_cli, trained_model: Path):
    proc = run_cli("history", "--model", trained_model, "--from", START, "--to", END, "--in-sample")
    assert proc.returncode == 0, proc.stderr
    rows = _rows(proc.stdout)
    assert len(rows) == len(trading_days(START, END))
    assert {row[5] for row in rows} == {"yes"}


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--from", "2018-02-30"), 2),  # not a date
        (("--to", "2018-1-5"), 2),  # not YYYY-MM-DD
        (("--from", "2018-03-01", "--to", "2018-02-01"), 2),  # empty range
        (("--from", "2021-01-04", "--to", "2021-03-31"), 3),  # after the newest data
        (("--from", "2021-01-04"), 3),  # starts after the newest day
    ],
)
def test_bad_ranges_follow_the_error_contract(run_cli, trained_model: Path, args, code):
    proc: subprocess.CompletedProcess[str] = run_cli("history", "--model", trained_model, *args)
    assert proc.returncode == code, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr
    assert "--date" not in errors[0] and "--allow-stale" not in errors[0]
    assert proc.stdout == ""


def test_missing_artifact_is_exit_4(run_cli, tmp_path: Path):
    proc = run_cli("history", "--model", tmp_path / "missing.joblib")
    assert proc.returncode == 4
    assert proc.stderr.startswith("error:")


def test_the_plot_marks_days_whose_call_the_record_held_at_neutral():
    """A probability in the overweight zone with a neutral stance gets the held strip."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from regime.plots import history_probability_axes

    days = pd.bdate_range("2020-01-01", periods=4)
    frame = pd.DataFrame(
        {
            "probability": [0.6, 0.6, 0.5, 0.3],
            "baseline": 0.45,
            "stance": ["overweight", "neutral", "neutral", "underweight"],
            "in_sample": False,
        },
        index=days,
    )
    labels = []
    for stance in (frame["stance"], ["overweight", "overweight", "neutral", "underweight"]):
        fig, ax = plt.subplots()
        history_probability_axes(ax, frame.assign(stance=stance), None, (0.55, 0.40))
        labels.append(ax.get_legend_handles_labels()[1])
        plt.close(fig)
    held = "call held at neutral (the record did not show skill)"
    assert held in labels[0] and held not in labels[1]
