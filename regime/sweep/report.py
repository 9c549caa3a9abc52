"""``DIR/report.html``: the variants ranked, and how much of the winner is selection."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import pandas as pd

from regime._io import atomic_write_text
from regime.sweep.results import SweepResults
from regime.sweep.runner import SweepRun


def _cell(value: Any, spec: str = ".3f") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float):
        return format(value, spec)
    return html.escape(str(value))


def _interval(row: pd.Series, stem: str, spec: str) -> str:
    lower, upper = row[f"{stem}_lower"], row[f"{stem}_upper"]
    if pd.isna(lower) or pd.isna(upper):
        return ""
    return f"{format(lower, spec)} to {format(upper, spec)}"


def write_report(
    out: Path, results: SweepResults, run: SweepRun | None, title: str, synthetic: bool
) -> Path:
    """Write the self-contained report and return its path."""
    table = results.table
    view = results.selection
    ok = table.loc[table["status"] == "ok"].sort_values("rank")
    failed = table.loc[table["status"] != "ok"]
    head = ["rank", "id", *results.swept, "AUC", "90% interval", "Brier skill", "90% interval"]
    head += ["ECE", "overlay Sharpe", "deflated Sharpe", "runtime (s)"]
    rows = []
    for _, row in ok.iterrows():
        cells = [_cell(row["rank"]), f"<code>{row['id']}</code>"]
        cells += [_cell(row[path]) for path in results.swept]
        cells += [
            _cell(row["auc"]),
            _interval(row, "auc", ".3f"),
            _cell(row["brier_skill"], "+.3f"),
            _interval(row, "brier_skill", "+.3f"),
            _cell(row["ece"]),
            _cell(row["overlay_sharpe"], ".2f"),
            _cell(row["deflated_sharpe"], ".2f"),
            _cell(row["runtime_s"], ".1f"),
        ]
        style = " class='winner'" if row["id"] == view.winner else ""
        rows.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    ranked = (
        "<table><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in head)
        + "</tr>"
        + "".join(rows)
        + "</table>"
    )
    failures = ""
    if not failed.empty:
        items = "".join(
            f"<li><code>{row['id']}</code> "
            f"({html.escape(', '.join(f'{p}={row[p]}' for p in results.swept))}): "
            f"{html.escape(str(row['error']))}</li>"
            for _, row in failed.iterrows()
        )
        failures = f"<h2>Failed variants ({len(failed)})</h2><ul>{items}</ul>"
    notes = ""
    if run is not None and run.notes:
        notes = (
            "<h2>Workers</h2><ul>"
            + "".join(f"<li>{html.escape(n)}</li>" for n in run.notes)
            + "</ul>"
        )
    recorded = len(results.records)
    earlier = recorded - results.in_grid
    count = f"{recorded} variant(s) recorded in this directory" + (
        f" ({earlier} left by earlier grids, counted as tried)" if earlier > 0 else ""
    )
    sharpe = ""
    if view.winner is not None and not math.isnan(view.sharpe):
        sharpe = (
            f"<p>Its long-small/short-large overlay has a Sharpe ratio of {view.sharpe:.2f}; "
            f"the best of {view.trials} unskilled variants would show "
            f"{_cell(view.sharpe_by_luck, '.2f') or 'n/a'} by luck alone, and its deflated "
            f"Sharpe ratio (the probability that its true Sharpe ratio beats that) is "
            f"{_cell(view.deflated_sharpe, '.2f') or 'n/a'}.</p>"
        )
    banner = (
        "<p class='banner'>SYNTHETIC DATA: the bundled simulated sample, not market data</p>"
        if synthetic
        else ""
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}: sweep report</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;
text-align:right}}th{{background:#f4f4f4}}tr.winner td{{background:#eef6ee}}
.banner{{color:#b22;font-weight:bold}}.verdict{{font-size:1.1em}}</style></head><body>
{banner}<h1>{html.escape(title)}: sweep of {results.in_grid} variant(s)</h1>
<p>{html.escape(count)}; {len(ok)} finished, {len(failed)} failed. Every metric is out of
sample (walk-forward, each day predicted by a model fitted on labels known before it);
intervals are 90% block bootstrap with block = horizon.</p>
<h2>How much of the winner is selection</h2>
<p class='verdict'>{html.escape(view.sentence())}</p>
{sharpe}
<p>Method: the max-statistic block bootstrap (reality check) over the {view.compared}
variants' out-of-sample predictions aligned on their dates ({view.reps} resamples,
blocks of {view.block} rows): in each resample the largest rise of any variant's AUC over
its own is what the best of them gains by chance; its mean is what selection alone
explains, its 95th percentile is taken off the winner's AUC for the adjusted bound. The
deflated Sharpe ratio counts {view.trials} trial(s). See docs/scale-out.md.</p>
<h2>Variants ranked by out-of-sample AUC</h2>
{ranked}
{failures}
{notes}
</body></html>
"""
    path = out / "report.html"
    atomic_write_text(path, page)
    return path
