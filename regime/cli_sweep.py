"""``regime sweep``: run a grid of config variants here or on a Dask cluster, rank them honestly.

Registered by :func:`regime.cli.build_parser` through :func:`add_parser`;
heavy imports wait until the command runs, so ``regime --help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

DESCRIPTION = (
    "Run every variant of a base config that a grid file describes (dotted config paths "
    "with lists of values: model.params.C, target.horizon_days, alternative features sets "
    "or data sources), each validated before anything runs. Without --cluster the variants "
    "run in local processes (joblib's loky; --n-jobs 1 runs them one after the other "
    "here); --cluster local starts a Dask LocalCluster for the run; --cluster "
    "tcp://HOST:PORT uses a running scheduler. Results are the same on every scale. Each "
    "distinct set of data sources is loaded once, before the sweep, and shipped to the "
    "workers. DIR gets results.csv (one row per variant), report.html (the variants "
    "ranked and how much of the winner's edge selection alone would explain), "
    "selection.json and variants/ID/ (resolved config, predictions, result; the artifact "
    "with --train). Rerunning with the same --out skips the variants already done."
)

EXAMPLES = (
    "examples:\n"
    "  regime sweep --config configs/demo.yaml --grid configs/sweeps/demo_grid.yaml "
    "--out sweeps/demo\n"
    "  regime sweep --config configs/demo.yaml --grid configs/sweeps/demo_grid.yaml "
    "--out sweeps/demo --cluster local --n-jobs 4\n"
    "  regime sweep --config configs/demo.yaml --grid configs/sweeps/demo_grid.yaml "
    "--out sweeps/demo --cluster tcp://scheduler:8786 --train\n\n"
    "exit codes: 0 success (some variants may have failed: see results.csv); 2 bad usage, "
    "config or grid; 3 bad or missing data; 130 interrupted (Ctrl-C; rerun to resume); "
    "1 every variant failed, or anything unexpected"
)


def add_parser(sub: argparse._SubParsersAction, common: Callable[..., None]) -> None:
    """Add the ``sweep`` subcommand to ``sub``; ``common`` adds the shared options."""
    parser = sub.add_parser(
        "sweep",
        help="run a grid of config variants locally or on a Dask cluster; rank them",
        description=textwrap.fill(DESCRIPTION, 79),
        epilog=EXAMPLES,
    )
    parser.add_argument("--config", required=True, help="the base YAML config")
    parser.add_argument(
        "--grid",
        required=True,
        metavar="GRID.yaml",
        help="dotted config paths with lists of values (see configs/sweeps/demo_grid.yaml)",
    )
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="output directory (reused to resume)"
    )
    parser.add_argument(
        "--cluster",
        metavar="local|tcp://HOST:PORT",
        help="`local` starts a Dask LocalCluster for this run; tcp://HOST:PORT uses a "
        "running scheduler (default: local processes through joblib's loky)",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        metavar="N",
        help="local worker processes, or LocalCluster workers (default: this machine's "
        "cores; 1 runs serially here); with tcp://, the most variants in flight",
    )
    parser.add_argument(
        "--train",
        action="store_true",
        help="also train and save each variant's model in DIR/variants/ID/models",
    )
    common(parser)
    parser.set_defaults(sweep_handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``regime sweep``; return the exit code."""
    from regime.exceptions import RegimeError
    from regime.progress import show_progress
    from regime.scorecard import SYNTHETIC_BANNER
    from regime.sweep import build_plan, collect, make_engine, run_sweep, write_report
    from regime.sweep.results import write_results
    from regime.sweep.runner import is_done

    out = Path(args.out)
    plan = build_plan(args.config, args.grid)
    engine = make_engine(args.cluster, args.n_jobs)
    if args.cluster and not (args.verbose or args.debug):
        import distributed  # noqa: F401  (importing it sets its own log levels)

        logging.getLogger("distributed").setLevel(logging.ERROR)  # INFO: every connection
    synthetic = any(v.config.synthetic for v in plan.variants)
    if synthetic:
        print(SYNTHETIC_BANNER, file=sys.stderr)
    done = sum(is_done(out, v.id, args.train) for v in plan.variants)
    duplicates = f", {plan.duplicates} duplicate(s) dropped" if plan.duplicates else ""
    print(
        f"sweep of {plan.base.name}: {len(plan.variants)} variant(s){duplicates}; "
        f"{done} already done in {out}, {len(plan.variants) - done} to run"
    )
    bar = sys.stderr.isatty() and not args.quiet
    show_progress(False)  # the sweep's own bar replaces the walk-forward's
    echo = (lambda message: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    try:
        sweep = run_sweep(
            plan,
            engine,
            out,
            train=args.train,
            cache_dir=args.cache_dir,
            offline=args.offline,
            progress=bar,
            echo=echo,
        )
    except KeyboardInterrupt:
        kept = sum(is_done(out, v.id, args.train) for v in plan.variants)
        print(
            f"error: interrupted; {kept} finished variant(s) are kept in {out}: rerun the same "
            "command to resume",
            file=sys.stderr,
        )
        return 130
    if sweep.ok or sweep.failed:
        retried = f", {len(sweep.retried)} retried after a worker died" if sweep.retried else ""
        print(
            f"ran {len(sweep.ok) + len(sweep.failed)} variant(s) ({sweep.engine}) in "
            f"{sweep.wall_s:.1f} s, {sweep.source_sets} source set(s) loaded once: "
            f"{len(sweep.ok)} ok, {len(sweep.failed)} failed{retried}"
        )
    results = collect(out, plan)
    written = write_results(out, results)
    report = write_report(out, results, sweep, plan.base.name, synthetic)
    _print_summary(results)
    print(f"wrote {', '.join(str(p) for p in [*written, report])}")
    in_grid = results.table.loc[results.table["id"].isin([v.id for v in plan.variants])]
    if not (in_grid["status"] == "ok").any():
        first = in_grid["error"].dropna()
        raise RegimeError(
            f"all {len(in_grid)} variant(s) failed (first: {first.iloc[0] if len(first) else '?'})"
            f"; see {out / 'results.csv'}"
        )
    return 0


def _print_summary(results) -> None:
    """The ten best variants and the selection verdict."""
    import pandas as pd

    table = results.table
    ok = table.loc[table["status"] == "ok"].sort_values("rank").head(10)
    if not ok.empty:
        shown = pd.DataFrame(
            {
                "rank": ok["rank"],
                "id": ok["id"],
                **{path: ok[path] for path in results.swept},
                "auc": ok["auc"].map(lambda v: f"{v:.3f}"),
                "auc 90%": [
                    f"{lo:.3f}-{hi:.3f}"
                    for lo, hi in zip(ok["auc_lower"], ok["auc_upper"], strict=True)
                ],
                "brier_skill": ok["brier_skill"].map(lambda v: f"{v:+.3f}"),
                "sharpe": ok["overlay_sharpe"].map(lambda v: f"{v:.2f}"),
                "deflated": ok["deflated_sharpe"].map(lambda v: f"{v:.2f}"),
            }
        )
        print(shown.to_string(index=False))
    failed = table.loc[table["status"] != "ok"]
    for _, row in failed.iterrows():
        print(f"failed {row['id']}: {row['error']}")
    print(results.selection.sentence())
