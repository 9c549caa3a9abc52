"""configs/classic_us_extended.yaml: the classic_us model, unchanged, on newer real data.

``arch.data`` ends in 2018. The config extends its three sets with newer
downloads of the same public data from ``../shared/data/real`` (or
``--data-dir DIR``; a one-line skip message and exit 0 when absent), leaving the
history up to 2018 as it was. Run from anywhere:

    python benchmarks/classic_history.py [--data-dir DIR] [--report-dir DIR]

It runs the walk-forward twice (``regime backtest --report``) and prints, for
each period, the model against climatology, momentum, contrarian and each
pillar alone, with 90% block-bootstrap intervals (block = 12 months):

- 1950-01..2017-11: the months ``configs/classic_us.yaml`` reports, which must
  come out as it reports them (same data up to 2018, same model);
- 2017-12 onward: months whose 12-month outcome ``arch.data`` could not know,
  scored by a model fixed before they were first run (see the config's header).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from real_history import (
    ROOT,
    data_arguments,
    data_folder,
    real_config,
    repeat_command,
    score_periods,
)

CONFIG = ROOT / "configs" / "classic_us_extended.yaml"
PERIODS: tuple[tuple[str, str, str | None], ...] = (
    ("1950-2017-11 (as classic_us reports)", "1950-01-01", "2017-11-30"),
    ("2017-12-on (after arch.data)", "2017-12-01", None),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run both periods of the extended classic history; print figures."""
    args = parse_args(argv)
    data_dir = data_folder(args)
    if data_dir is None:
        return 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        _, raw = real_config(data_dir, tmp, CONFIG)
        print(
            f"classic history extended: {CONFIG.name} on {data_dir}; SMB sustained over 12 "
            "months; pillars alone refitted on the same folds; intervals 90%, block "
            "bootstrap (block = 12 months)"
        )
        score_periods(args, raw, tmp, PERIODS, rows="months")
    print(f"total wall time {time.perf_counter() - started:.1f} s")
    print(f"repeat with: {repeat_command('classic_history.py', args, data_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
