"""The ``regime`` command line: train, score (and what-if), explain, analogs, history,
backtest, data pull/check, models list.

Exit codes: 0 success; 2 bad usage or config; 3 bad or missing data; 4 bad or
incompatible model artifact; 1 anything unexpected. Errors are one line on
stderr starting ``error:``; a traceback only with ``--debug``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from regime import __version__
from regime.model_store import KEEP_VERSIONS

logger = logging.getLogger("regime")


EXIT_CODES = (
    "exit codes: 0 success; 2 bad usage or config; 3 bad or missing data; 4 bad, "
    "incompatible or busy model artifact; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM); "
    "1 anything unexpected (a bug: rerun with --debug and report it)"
)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples' line breaks; appends each option's default when it has one."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if default in (None, False, [], argparse.SUPPRESS) or "default" in text:
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """argparse with our one-line error format (exit 2) and help layout."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"error: {message}; see `{self.prog} --help`\n")


#: What each subcommand does and examples of it, shown by ``regime CMD --help``.
_DOCS: dict[str, tuple[str, str]] = {
    "train": (
        "Fit a model from a YAML config: a walk-forward out-of-sample evaluation "
        "(one model per refit, kept for scoring past days), then the final model. "
        "It is saved as the next version of the model: models/NAME.joblib names the "
        "current version, earlier ones stay (see `regime models list`).",
        "regime train --config configs/demo.yaml\n"
        "regime train --config configs/demo.yaml --as-of 2016-06-30 --models-dir /tmp/m\n"
        "regime train --config configs/demo.yaml --format skops   # a file that runs no code",
    ),
    "score": (
        "Score a day and print the scorecard: probability, interval, stance, "
        "tailwinds, headwinds and caveats. With --set or --scenario, also the "
        "scorecard as if those observations had been known, beside the real one.",
        "regime score --model models/demo.joblib\n"
        "regime score --model demo --date 2016-03-01 --json\n"
        "regime score --model demo@2                # version 2 of model demo\n"
        "regime score --model demo --set SMALL_ETF_FLOW=2e9@2016-03-01",
    ),
    "explain": (
        "Each feature's value, percentile in the training history and contribution "
        "in probability points; the distance to each stance threshold, the binding "
        "headwind and what would flip the stance.",
        "regime explain --model demo --date 2016-03-01\n"
        "regime explain --model demo --json --plot explain.png",
    ),
    "analogs": (
        "Past days like this one (nearest in pillar space, or every episode where a "
        "rule held) and what small and large caps did 1, 3 and 6 months later. Only "
        "days whose outcomes were known by the date are listed.",
        "regime analogs --model demo --date 2016-03-01 -k 5\n"
        "regime analogs --model demo --when 'SMALL_ETF_FLOW > 500e6 and LARGE_ETF_FLOW < -1e9'",
    ),
    "history": (
        "One line per trading day: probability, interval, stance, in-sample flag and "
        "pillar contributions; out of sample wherever a walk-forward model existed.",
        "regime history --model demo --from 2015-01-02 --to 2016-12-30\n"
        "regime history --model demo --csv history.csv --plot history.png",
    ),
    "backtest": (
        "Walk-forward out-of-sample evaluation of a config; no model is saved. With "
        "--report DIR, also against climatology, momentum, the contrarian rule and each "
        "pillar alone (with intervals, calibration, the overlay and the sign check), "
        "written to DIR and summarised here.",
        "regime backtest --config configs/classic_us.yaml --report reports/classic\n"
        "regime backtest --config configs/demo.yaml --report reports/demo --json",
    ),
    "data": (
        "Pull a config's remote sources into the cache, or check every source.",
        "regime data pull --config configs/smallcap_us.yaml\n"
        "regime data check --config configs/demo.yaml",
    ),
    "pull": (
        "Fetch every source of the config online; remote ones refresh the cache.",
        "regime data pull --config configs/smallcap_us.yaml",
    ),
    "check": (
        "A table per series: dates, rows, gaps in trading days, maximum age and how "
        "often it was stale. Every missing or broken input is reported in one pass.",
        "regime data check --config configs/demo.yaml",
    ),
    "models": ("List trained models.", "regime models list --models-dir models"),
    "list": (
        "Every version of every model in a directory, read from the cards (nothing is "
        "loaded): the current version marked *, its out-of-sample AUC and Brier skill.",
        "regime models list\nregime models list --models-dir /tmp/m",
    ),
}


def _document(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand in ``parser`` its description, examples and the exit codes."""
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for name, child in action.choices.items():
            if name in _DOCS:
                child.description, examples = _DOCS[name]
                indented = examples.replace("\n", "\n  ")
                child.epilog = f"examples:\n  {indented}\n\n{EXIT_CODES}"
            _document(child)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument(
        "--verbose", action="store_true", help="log each step (data loaded, refits, files written)"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bars and no warnings, errors only"
    )
    parser.add_argument(
        "--cache-dir", help="observation cache directory (default: config, then ~/.cache)"
    )
    parser.add_argument(
        "--offline", action="store_true", help="read remote sources from the cache only"
    )


MODEL_HELP = (
    "model: a path (models/demo.joblib), a name looked up in $REGIME_MODELS_DIR "
    "(default ./models), or either with @N for version N (demo@2)"
)


def _model_reference(value: str) -> str:
    """``--model``: a path, or a bare name (``demo``, ``demo@2``) in the models directory."""
    import os

    if "/" in value or value.endswith((".joblib", ".skops")):
        return value
    return str(Path(os.environ.get("REGIME_MODELS_DIR", "models")) / value)


def _date(text: str):
    """A ``YYYY-MM-DD`` argument as a ``datetime.date`` (argparse exits 2 otherwise)."""
    from datetime import date

    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def _as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        type=_date,
        help="knowledge cutoff YYYY-MM-DD: read only data known by then and labels whose "
        "horizon ended by then (overrides training.as_of)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``regime`` command."""
    parser = _Parser(
        prog="regime",
        description="Probability of a sustained run of US small-cap outperformance, explained.",
        epilog="example:\n  regime train --config configs/demo.yaml && "
        "regime score --model models/demo.joblib\n\n" + EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"smallcap-regime {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = sub.add_parser("train", help="fit a model from a YAML config and write it to models/")
    train.add_argument("--config", required=True, help="YAML config, e.g. configs/demo.yaml")
    train.add_argument("--models-dir", default="models", help="where to write the artifact")
    train.add_argument(
        "--format",
        choices=("joblib", "skops"),
        default="joblib",
        help="model file format: joblib (a pickle: loading it runs code) or skops (loading "
        "refuses any type outside a fixed list; for sharing)",
    )
    train.add_argument(
        "--keep",
        type=int,
        default=KEEP_VERSIONS,
        help="versions of the model to keep, the new one included",
    )
    _as_of(train)
    _common(train)

    score = sub.add_parser("score", help="score a day and print the scorecard")
    score.add_argument("--model", required=True, help=MODEL_HELP)
    score.add_argument(
        "--date",
        type=_date,
        help="YYYY-MM-DD (default: the newest trading day on which every input is fresh); "
        "a weekend or holiday scores the trading day before",
    )
    score.add_argument("--json", action="store_true", help="print one JSON object")
    score.add_argument(
        "--in-sample",
        action="store_true",
        help="score with the final model even where a walk-forward model existed (flagged)",
    )
    score.add_argument(
        "--allow-stale",
        action="store_true",
        help="score a date after the newest data, every stale input imputed and named",
    )
    score.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SERIES=VALUE[@DATE]",
        help="what-if: score as if this observation had been known (repeatable); prints the "
        "scenario beside the unmodified scorecard",
    )
    score.add_argument(
        "--scenario",
        metavar="FILE.yaml",
        help="what-if: a YAML list of {series, value, date} overrides",
    )
    _common(score)

    explain = sub.add_parser(
        "explain", help="each feature's value, percentile and contribution; what would flip it"
    )
    explain.add_argument("--model", required=True, help=MODEL_HELP)
    explain.add_argument("--date", type=_date, help="YYYY-MM-DD (default: the newest day)")
    explain.add_argument("--json", action="store_true", help="print one JSON object")
    explain.add_argument("--plot", metavar="FILE.png", help="write a bar chart of the features")
    _common(explain)

    analogs = sub.add_parser(
        "analogs", help="past episodes like this day and what small and large caps did next"
    )
    analogs.add_argument("--model", required=True, help=MODEL_HELP)
    analogs.add_argument("--date", type=_date, help="YYYY-MM-DD (default: the newest day)")
    analogs.add_argument(
        "--when",
        metavar="EXPR",
        help="a rule over series ids and features, e.g. "
        "'SMALL_ETF_FLOW > 500e6 and LARGE_ETF_FLOW < -1e9' (default: nearest days)",
    )
    analogs.add_argument("-k", type=int, default=10, help="nearest days to list (default 10)")
    analogs.add_argument("--json", action="store_true", help="print one JSON object")
    _common(analogs)

    history = sub.add_parser(
        "history", help="one line per trading day: probability, interval, stance, pillars"
    )
    history.add_argument("--model", required=True, help=MODEL_HELP)
    history.add_argument(
        "--from",
        dest="start",
        type=_date,
        metavar="YYYY-MM-DD",
        help="first day (default: the first day the model can score)",
    )
    history.add_argument(
        "--to",
        dest="end",
        type=_date,
        metavar="YYYY-MM-DD",
        help="last day (default: the newest trading day on which every input is fresh)",
    )
    history.add_argument("--csv", metavar="FILE", help="also write the table as CSV")
    history.add_argument(
        "--plot",
        metavar="FILE.png",
        help="write a chart: probability, interval, stance zones and outcomes over the "
        "pillar contributions",
    )
    history.add_argument(
        "--in-sample",
        action="store_true",
        help="score every day with the final model (days it was trained on flagged in sample)",
    )
    _common(history)

    backtest = sub.add_parser("backtest", help="walk-forward out-of-sample evaluation of a config")
    backtest.add_argument("--config", required=True)
    backtest.add_argument("--json", action="store_true", help="print metrics as JSON")
    backtest.add_argument(
        "--report",
        metavar="DIR",
        help="write predictions.csv, metrics.json and a self-contained report.html into DIR",
    )
    _as_of(backtest)
    _common(backtest)

    data = sub.add_parser("data", help="pull or check a config's data sources")
    data_sub = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    pull = data_sub.add_parser("pull", help="fetch remote sources into the cache")
    pull.add_argument("--config", required=True)
    _common(pull)
    check = data_sub.add_parser("check", help="a table per series: dates, rows, gaps, age")
    check.add_argument("--config", required=True)
    _common(check)

    models = sub.add_parser("models", help="list trained models")
    models_sub = models.add_subparsers(dest="models_command", required=True, parser_class=_Parser)
    listing = models_sub.add_parser("list", help="models in a directory, from their cards")
    listing.add_argument("--models-dir", default="models", help="directory to list")
    listing.add_argument("--debug", action="store_true", help="show tracebacks")
    from regime.cli_sweep import add_parser as add_sweep_parser  # light: no sweep engine yet

    add_sweep_parser(sub, _common)
    _document(parser)
    return parser


def _context(args: argparse.Namespace, base: Path, config_cache: str | None):
    """Load context: paths relative to ``base`` (the config's directory), the cache dir."""
    from regime.data._base import LoadContext

    return LoadContext.for_config(base, config_cache, args.cache_dir, args.offline)


def _load_config(path: Path):
    """Read the config; print the synthetic-data banner (stderr) when it uses the sample."""
    from regime.config import load_config
    from regime.scorecard import SYNTHETIC_BANNER

    config = load_config(path)
    if config.synthetic:
        print(SYNTHETIC_BANNER, file=sys.stderr)
    return config


def _cmd_train(args: argparse.Namespace) -> int:
    from regime.training import train_config, with_as_of

    path = Path(args.config)
    config = with_as_of(_load_config(path), args.as_of)
    from regime.exceptions import ConfigError

    if args.keep < 1:
        raise ConfigError(f"--keep must be at least 1, got {args.keep}")
    result = train_config(
        config,
        path.parent,
        Path(args.models_dir),
        _context(args, path.parent, config.data.cache_dir),
        model_format=args.format,
        keep=args.keep,
    )
    m = result.card["metrics"]
    w = result.card["training_window"]
    print(
        f"trained {config.name} as of {result.card['as_of']}: {w['rows']} rows "
        f"{w['start']}..{w['end']}, positive share {w['positive_share']:.3f}"
    )
    print(f"  the window starts {w['start']} because {w['starts_because']}")
    thin = {
        name: c for name, c in result.card["feature_coverage"].items() if c["training_share"] < 0.5
    }
    for name, coverage in thin.items():
        print(
            f"  {name}: data from {coverage['first_date']}, "
            f"{coverage['training_share']:.0%} of training rows (missing values imputed)"
        )
    print(
        f"walk-forward out of sample {m['oos_start']}..{m['oos_end']} ({m['folds']:.0f} refits): "
        f"AUC {m['auc']:.3f}, Brier {m['brier']:.4f} vs climatology "
        f"{m['brier_climatology']:.4f} (skill {m['brier_skill']:+.3f})"
    )
    print(f"wrote {result.artifact_path} (version {result.card['version']}) and its model card")
    return 0


def _open_model(args: argparse.Namespace):
    """The RegimeModel of ``--model``, with the run's cache and offline settings."""
    from regime.persistence import read_artifact
    from regime.scoring import RegimeModel

    artifact, card = read_artifact(_model_reference(args.model))
    context = _context(args, Path(artifact["config_dir"]), artifact["config"]["data"]["cache_dir"])
    return RegimeModel(artifact, card, context)


def _print(result, as_json: bool) -> None:
    """Print ``result`` (anything with to_dict/to_text) as JSON or text."""
    from regime._io import json_safe

    print(json.dumps(json_safe(result.to_dict()), indent=2) if as_json else result.to_text())


def _cmd_score(args: argparse.Namespace) -> int:
    model = _open_model(args)
    if args.set or args.scenario:
        from regime.whatif import load_scenario, parse_set

        overrides = [parse_set(text) for text in args.set]
        if args.scenario:
            overrides += load_scenario(args.scenario)
        what_if = model.what_if(
            overrides, args.date, in_sample=args.in_sample, allow_stale=args.allow_stale
        )
        _print(what_if, args.json)
        return 0
    scorecard = model.score(args.date, in_sample=args.in_sample, allow_stale=args.allow_stale)
    print(scorecard.to_json() if args.json else scorecard.to_text())
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    explanation = _open_model(args).explain(args.date)
    _print(explanation, args.json)
    if args.plot:
        explanation.plot(Path(args.plot))
    return 0


def _cmd_analogs(args: argparse.Namespace) -> int:
    from regime.exceptions import ConfigError

    if args.k < 1:
        raise ConfigError(f"-k must be at least 1, got {args.k}")
    _print(_open_model(args).analogs(args.date, when=args.when, k=args.k), args.json)
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    import pandas as pd

    from regime import plots
    from regime._io import atomic_write_text
    from regime.exceptions import ConfigError, DataError

    if args.start and args.end and args.start > args.end:
        raise ConfigError(f"--from {args.start} is after --to {args.end}")
    model = _open_model(args)
    try:
        frame = model.history(args.start, args.end, in_sample=args.in_sample)
    except (ConfigError, DataError) as exc:  # reworded for this command's options
        message = str(exc).replace("--date", "--to")
        raise type(exc)(message.replace(" (pass --allow-stale to score it anyway)", "")) from None
    if model.synthetic:
        from regime.scorecard import SYNTHETIC_BANNER

        print(SYNTHETIC_BANNER, file=sys.stderr)
    pillars = [c for c in frame.columns if c not in plots.HISTORY_COLUMNS]
    columns = ["probability", "lower", "upper", "baseline", "stance", "in_sample"]
    extra = ["model_trained_through", "missing_features"]
    table = frame.reindex(columns=[*columns, *extra, *pillars]).reset_index()

    def number(value: float, spec: str) -> str:
        return "-" if pd.isna(value) else format(value, spec)

    text = pd.DataFrame(
        {
            "date": table["date"].dt.strftime("%Y-%m-%d"),
            "probability": [number(v, ".3f") for v in table["probability"]],
            "interval": [
                "-" if pd.isna(lo) else f"{lo:.3f}-{hi:.3f}"
                for lo, hi in zip(table["lower"], table["upper"], strict=True)
            ],
            "baseline": [number(v, ".3f") for v in table["baseline"]],
            "stance": table["stance"],
            "in_sample": ["yes" if v else "no" for v in table["in_sample"]],
            "model_trained_through": table["model_trained_through"].dt.strftime("%Y-%m-%d"),
            "missing_features": table["missing_features"],
            **{p: [number(v, "+.3f") for v in table[p]] for p in pillars},
        }
    )
    print(text.to_string(index=False))
    if args.csv:
        csv = table.to_csv(index=False, date_format="%Y-%m-%d", float_format="%.6f")
        atomic_write_text(args.csv, csv)
        print(f"wrote {args.csv}", file=sys.stderr)
    if args.plot:
        path = Path(args.plot)
        path.parent.mkdir(parents=True, exist_ok=True)
        stance = model.config.stance
        plots.history_figure(
            frame,
            model.realized_outcomes(frame.index[0], frame.index[-1]),
            (stance.overweight_above, stance.underweight_below),
            plots.history_title(model.name, frame),
            model.synthetic,
            path,
        )
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _figure(value: Any) -> str:
    """A float to three decimals, a list of them in brackets, anything else as it is."""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_figure(v) for v in value) + "]"
    return str(value)


def _cmd_backtest(args: argparse.Namespace) -> int:
    from regime.training import backtest, with_as_of

    path = Path(args.config)
    config = with_as_of(_load_config(path), args.as_of)
    report = Path(args.report) if args.report else None
    result = backtest(config, _context(args, path.parent, config.data.cache_dir), report)
    if args.json:
        from regime._io import json_safe

        payload = {
            "metrics": result.metrics,
            "calibration": result.calibration.reset_index().to_dict("records"),
        }
        print(json.dumps(json_safe(payload), indent=2))
        return 0
    print(f"walk-forward out of sample: {config.name}")
    nested = {k: v for k, v in result.metrics.items() if isinstance(v, dict | list)}
    intervals = ("auc_interval", "brier_skill_interval")
    shown = {k: v for k, v in result.metrics.items() if k not in nested or k in intervals}
    width = max(len(key) for key in shown) + 1
    for key, value in shown.items():
        if isinstance(value, list):
            value = f"[{value[0]:.4f}, {value[1]:.4f}]"
        elif isinstance(value, float):
            value = f"{value:.4f}" if math.isfinite(value) else "n/a"  # e.g. a rate of no calls
        print(f"  {key:<{width}}{value}")
    print("calibration (probability bin: mean predicted, observed rate, rows)")
    print(result.calibration.to_string(float_format=lambda v: f"{v:.3f}"))
    if "baselines" in nested:
        import pandas as pd

        table = pd.DataFrame(nested["baselines"]).set_index("forecast")
        print("the model against simple rules (90% block-bootstrap intervals)")
        print(table.to_string(float_format=lambda v: f"{v:.3f}"))
        print("overlay: " + ", ".join(f"{k} {_figure(v)}" for k, v in nested["overlay"].items()))
        if nested.get("sign_check"):
            priors = pd.DataFrame(nested["sign_check"]).set_index("feature")
            print("declared signs on the scored days (each feature alone, nothing fitted)")
            print(priors.to_string(float_format=lambda v: f"{v:.3f}"))
        print(f"wrote {Path(args.report) / 'report.html'}")
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from regime.data.check import check_sources, pull_sources

    path = Path(args.config)
    config = _load_config(path)
    context = _context(args, path.parent, config.data.cache_dir)
    if args.data_command == "pull":
        print(pull_sources(config, context))
        return 0
    table, problems, error = check_sources(config, context)
    print(table)
    if problems:  # each in full: the one-line error below may be cut short
        print(f"{len(problems)} problem{'s' if len(problems) > 1 else ''}:")
        print("\n".join(f"  - {problem}" for problem in problems))
    if error is not None:
        raise error
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from regime.persistence import list_models

    print(list_models(Path(args.models_dir)))
    return 0


COMMANDS = {
    "train": _cmd_train,
    "score": _cmd_score,
    "explain": _cmd_explain,
    "analogs": _cmd_analogs,
    "history": _cmd_history,
    "backtest": _cmd_backtest,
    "data": _cmd_data,
    "models": _cmd_models,
    "sweep": lambda args: args.sweep_handler(args),
}


class _Terminated(BaseException):
    """SIGTERM, raised where the process is so that cleanup (``finally``) runs."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``regime`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    quiet = getattr(args, "quiet", False)
    if args.debug:
        level = logging.DEBUG
    elif getattr(args, "verbose", False):
        level = logging.INFO
    else:
        level = logging.ERROR if quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    from regime.progress import show_progress

    show_progress(sys.stderr.isatty() and not quiet)
    from regime.exceptions import RegimeError, bounded_message

    signal.signal(signal.SIGTERM, _terminate)
    try:
        return COMMANDS[args.command](args)
    except RegimeError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {bounded_message(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("error: terminated (SIGTERM); nothing half-written was kept", file=sys.stderr)
        return 143
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.filename is None:
            return _unexpected(exc, args.debug)
        if args.debug:
            traceback.print_exc()
        print(
            f"error: {exc.filename}: {exc.strerror}; check the path, its permissions and the "
            "free space",
            file=sys.stderr,
        )
        return 3
    except Exception as exc:
        return _unexpected(exc, args.debug)


def _unexpected(exc: BaseException, debug: bool) -> int:
    """Report a bug: one line (the traceback with ``--debug``); exit 1."""
    if debug:
        traceback.print_exc()
    text = (str(exc).splitlines() or [""])[0][:300]
    print(
        f"error: unexpected {type(exc).__name__}: {text}; rerun with --debug and report it",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
