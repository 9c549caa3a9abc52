"""Sweeps: many variants of a config, run on this machine's cores or a Dask cluster.

- :mod:`regime.sweep.grid`: the grid file, its expansion and validation, variant ids;
- :mod:`regime.sweep.sources`: each distinct source set loaded once, before the sweep;
- :mod:`regime.sweep.task`: what a worker does with one variant;
- :mod:`regime.sweep.engine`: serial, loky and Dask engines behind one interface;
- :mod:`regime.sweep.runner`: the driver loop (resume, retry, cancel, progress);
- :mod:`regime.sweep.selection`: the multiple-testing view of the winner;
- :mod:`regime.sweep.results` and :mod:`regime.sweep.report`: results.csv and report.html.
"""

from __future__ import annotations

from regime.sweep.engine import DaskEngine, Engine, LokyEngine, SerialEngine, make_engine
from regime.sweep.grid import Axis, SweepPlan, Variant, build_plan, config_id
from regime.sweep.report import write_report
from regime.sweep.results import SweepResults, collect, write_results
from regime.sweep.runner import SweepRun, run_sweep
from regime.sweep.selection import SelectionView, selection_view

__all__ = [
    "Axis",
    "DaskEngine",
    "Engine",
    "LokyEngine",
    "SelectionView",
    "SerialEngine",
    "SweepPlan",
    "SweepResults",
    "SweepRun",
    "Variant",
    "build_plan",
    "collect",
    "config_id",
    "make_engine",
    "run_sweep",
    "selection_view",
    "write_report",
    "write_results",
]
