"""What-if: score a day as if some observations had been known, beside the real scorecard.

An override is ``SERIES=VALUE`` (dated the scored day) or ``SERIES=VALUE@DATE``;
it replaces any observation of that series on that date and counts as known
when that observation first was, or on the scored day if that was later (or
there was none), so it flows through the same point-in-time panel and features
as real data: a fund flow assumed for last month changes last month's flows,
not today's. A scenario file is a YAML list of ``{series, value, date}``.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from regime.data.observations import concat_observations, make_observations
from regime.exceptions import ConfigError
from regime.scorecard import Scorecard

_SET = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*=\s*([^@\s]+)\s*(?:@\s*(\d{4}-\d{2}-\d{2}))?\s*$")


@dataclass(frozen=True)
class Override:
    """One observation to assume: ``series`` had ``value`` on ``date`` (None: the scored day)."""

    series: str
    value: float
    date: pd.Timestamp | None = None


def parse_set(text: str) -> Override:
    """Parse ``SERIES=VALUE[@YYYY-MM-DD]`` (``--set``); ConfigError names what is wrong."""
    match = _SET.match(text)
    if not match:
        raise ConfigError(
            f"--set {text!r}: expected SERIES=VALUE or SERIES=VALUE@YYYY-MM-DD, "
            "e.g. SMALL_ETF_FLOW=5e8"
        )
    series, value, day = match.groups()
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"--set {text!r}: {value!r} is not a number") from None
    _finite(number, f"--set {text!r}")
    return Override(series, number, None if day is None else _day(day, f"--set {text!r}"))


def _finite(number: float, where: str) -> None:
    """ConfigError unless ``number`` is finite: no source holds NaN or infinity."""
    if not math.isfinite(number):
        raise ConfigError(f"{where}: the value must be a finite number, not {number}")


def _day(value: str, where: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(Date.fromisoformat(str(value)))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a date; use YYYY-MM-DD") from None


def load_scenario(path: str | Path) -> list[Override]:
    """Read a scenario file: a YAML list of ``{series, value, date (optional)}``."""
    file = Path(path)
    try:
        entries = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: scenario file not found; check the --scenario path") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{file}: cannot read the scenario ({exc}); fix the file") from None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(
            f"{file}: a scenario is a YAML list of {{series, value, date}} entries, "
            "e.g. - {series: SMALL_ETF_FLOW, value: 5.0e8}"
        )
    out = []
    for index, entry in enumerate(entries):
        where = f"{file}: entry {index + 1}"
        if not isinstance(entry, dict) or set(entry) - {"series", "value", "date"}:
            raise ConfigError(f"{where}: expected keys series, value and optionally date")
        if "series" not in entry or "value" not in entry:
            raise ConfigError(f"{where}: needs both series and value")
        value = entry["value"]
        try:  # YAML reads 3.0e9 (no sign in the exponent) as a string
            value = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            value = None
        if value is None:
            raise ConfigError(f"{where}: value {entry['value']!r} is not a number")
        _finite(value, where)
        day = entry.get("date")
        out.append(
            Override(str(entry["series"]), float(value), None if day is None else _day(day, where))
        )
    return out


def _same(a: float | None, b: float | None) -> bool:
    """Equal, both missing, or equal but for rounding."""
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def apply_overrides(
    observations: pd.DataFrame, overrides: list[Override], day: pd.Timestamp
) -> pd.DataFrame:
    """The observation table with each override in place, known by ``day``: when the
    observation it replaces was first known, or on ``day`` if later (or if none was)."""
    known = set(observations["series"].unique())
    frame = observations
    rows = []
    for override in overrides:
        if override.series not in known:
            close = difflib.get_close_matches(override.series, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"what-if: series {override.series!r} is in no data source{hint}")
        when = day if override.date is None else override.date
        if when > day:
            raise ConfigError(
                f"what-if: {override.series} is dated {when:%Y-%m-%d}, after the scored day "
                f"{day:%Y-%m-%d}; date it on or before"
            )
        same = (frame["series"] == override.series) & (frame["date"] == when)
        # Known when the observation it replaces first was, or on the day if that was later
        # (or there was none): an earlier flow stays an earlier day's news.
        first = min(frame.loc[same, "known_at"].min(), day) if same.any() else day
        frame = frame.loc[~same]
        rows.append(make_observations(override.series, [when], [override.value], [first]))
    return concat_observations([frame, *rows])


@dataclass(frozen=True)
class WhatIf:
    """The scorecard with and without the overrides."""

    base: Scorecard
    scenario: Scorecard
    overrides: tuple[Override, ...]

    def pillar_changes(self) -> dict[str, float]:
        """Change of every pillar's contribution, scenario minus base (probability points)."""
        return {
            p: self.scenario.contributions[p] - self.base.contributions[p]
            for p in self.base.contributions
        }

    def changed_features(self) -> list[str]:
        """The features whose value on the day the overrides changed (``PILLAR.FEATURE``).

        Beyond rounding: a rolling sum carries the last bits of a value changed
        long before its window.
        """
        return [
            name
            for pillar, values in self.base.features.items()
            for name, value in values.items()
            if not _same(value, self.scenario.features[pillar][name])
        ]

    def to_dict(self) -> dict[str, Any]:
        """``{"base": SCORECARD, "scenario": SCORECARD}``."""
        return {"base": self.base.to_dict(), "scenario": self.scenario.to_dict()}

    def to_text(self) -> str:
        """Both scorecards' headline and pillars side by side, with the changes."""
        b, s = self.base, self.scenario
        assumed = ", ".join(
            f"{o.series}={o.value:g}" + ("" if o.date is None else f"@{o.date:%Y-%m-%d}")
            for o in self.overrides
        )
        lines = [
            f"what-if on {b.as_of:%Y-%m-%d}: {assumed}",
            f"{'':<22}{'base':>10}{'scenario':>10}{'change':>10}",
            f"{'probability':<22}{b.probability:>10.3f}{s.probability:>10.3f}"
            f"{s.probability - b.probability:>+10.3f}",
            f"{'stance':<22}{b.stance:>10}{s.stance:>10}",
        ]
        for pillar, change in self.pillar_changes().items():
            lines.append(
                f"{pillar:<22}{b.contributions[pillar]:>+10.3f}"
                f"{s.contributions[pillar]:>+10.3f}{change:>+10.3f}"
            )
        changed = self.changed_features()
        lines.append(
            f"features changed: {', '.join(changed)}"
            if changed
            else "no feature changed on this day: the assumed observations do not reach its "
            "features (a feature reads only its own series, over its own window, and a "
            "return counts only once every earlier return of its series is known)"
        )
        new = [c for c in s.caveats if c not in b.caveats]
        gone = [c for c in b.caveats if c not in s.caveats]
        lines += [f"  + caveat: {c}" for c in new] + [f"  - caveat: {c}" for c in gone]
        lines += ["", "--- scenario scorecard ---", s.to_text()]
        return "\n".join(lines)
