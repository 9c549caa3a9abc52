"""Historical analogs: past days like this one, and what small and large caps did next.

Two ways to find them: a rule (``--when``) over raw series and features, e.g.
``SMALL_ETF_FLOW > 500e6 and LARGE_ETF_FLOW < -1e9``, listing every past
episode in which it held; or, without a rule, the k past days nearest to the
scored day in pillar space: the distance between the days' pillar
contributions, in probability points, so a pillar weighs as much as it moves
the probability. Only days
whose outcomes were fully known by the scored day appear, and episodes are at
least one horizon apart.
"""

from __future__ import annotations

import ast
import difflib
import operator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from regime.exceptions import ConfigError
from regime.labels import steps_per_year

#: Forward windows of the outcome table, in months.
WINDOWS: dict[str, int] = {"1m": 1, "3m": 3, "6m": 6}

_COMPARE = {
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def evaluate_rule(expression: str, columns: pd.DataFrame) -> pd.Series:
    """Evaluate a rule over the columns (one boolean per row); names are column names.

    Allowed: numbers, names (column names; a feature ``PILLAR.FEATURE`` is
    written as it is), comparisons (chained too), ``and``/``or``/``not``,
    ``+ - * /`` and parentheses. Anything else, or an unknown name, is a
    ConfigError naming it.
    """
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"--when {expression!r}: not a valid rule ({exc.msg})") from None
    known = list(columns.columns)

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.Name | ast.Attribute):
            name = _dotted(node)
            if name not in columns:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"--when: unknown name {name!r}{hint}")
            return columns[name]
        if isinstance(node, ast.BoolOp):
            parts = [value(v) for v in node.values]
            combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
            out = parts[0]
            for part in parts[1:]:
                out = combine(out, part)
            return out
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ~value(node.operand)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            return _ARITHMETIC[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.Compare):
            left, out = value(node.left), None
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                if type(op) not in _COMPARE:
                    break
                right = value(right_node)
                step = _COMPARE[type(op)](left, right)
                out = step if out is None else out & step
                left = right
            else:
                return out
        raise ConfigError(
            f"--when {expression!r}: {ast.unparse(node)!r} is not allowed; use names, numbers, "
            "comparisons, and/or/not and + - * /"
        )

    result = value(tree.body)
    if not isinstance(result, pd.Series):
        raise ConfigError(f"--when {expression!r}: the rule must compare a series or a feature")
    return result.fillna(False).astype(bool)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    raise ConfigError(f"--when: {ast.unparse(node)!r} is not a name")


def outcome_windows(dates: pd.Index) -> dict[str, int]:
    """Each of :data:`WINDOWS` in steps of legs observed on ``dates``.

    21, 63 and 126 for trading days; 1, 3 and 6 for monthly legs.
    """
    per_year = steps_per_year(dates)
    return {name: max(1, round(months * per_year / 12)) for name, months in WINDOWS.items()}


def forward_returns(legs: pd.DataFrame) -> pd.DataFrame:
    """Compounded small and large returns over each window after each date (NaN at the end).

    ``legs`` has simple returns per step in columns ``small`` and ``large``; the
    window after date t is the next ``n`` dates (t excluded), ``n`` from
    :func:`outcome_windows`.
    """
    out = {}
    growth = (1.0 + legs[["small", "large"]]).cumprod()
    for name, n in outcome_windows(legs.index).items():
        ahead = growth.shift(-n) / growth - 1.0
        out[f"small_{name}"] = ahead["small"]
        out[f"large_{name}"] = ahead["large"]
        out[f"relative_{name}"] = ahead["small"] - ahead["large"]
    return pd.DataFrame(out, index=legs.index)


def episodes(days: pd.DatetimeIndex, calendar: pd.DatetimeIndex, gap: int) -> pd.DatetimeIndex:
    """First days of runs of ``days``, each ``gap`` or more steps of ``calendar`` after the last.

    ``calendar`` is the legs' dates, so ``gap`` (the horizon) counts their steps.
    """
    position = calendar.get_indexer(days)
    kept, last = [], None
    for day, pos in zip(days, position, strict=True):
        if pos < 0:
            continue
        if last is None or pos - last >= gap:
            kept.append(day)
            last = pos
    return pd.DatetimeIndex(kept)


@dataclass(frozen=True)
class Analogs:
    """Past episodes like the scored day, with what the legs did next."""

    as_of: pd.Timestamp
    rule: str | None
    table: pd.DataFrame  # index: episode day; forward returns (and distance for nearest)
    horizon_days: int
    horizon_unit: str = "trading days"  # what horizon_days counts: months for monthly legs
    legs: tuple[str, str] = ("small", "large")  # the target's series: small leg, large leg

    @property
    def tied(self) -> int:
        """How many nearest days at the end of the list tie at one distance (0 if under two).

        Their distances single out none of them, and more past days may sit at
        that distance than were listed. A model that says the base rate gives
        every pillar a contribution of 0, so the days it scored all sit at one
        point of pillar space; without this, the "nearest" would be arbitrary
        days among them (all at distance 0 when the scored day is there too).
        """
        if self.rule is not None or "distance" not in self.table:
            return 0
        return _trailing_ties(self.table["distance"].to_numpy(dtype="float64"))

    @property
    def episodes(self) -> pd.DataFrame:
        """The episodes to show: the table less the nearest days that tie at its end."""
        return self.table.iloc[: len(self.table) - self.tied]

    @property
    def note(self) -> str | None:
        """Why some or all episodes are not listed (None when all are)."""
        if self.tied:
            return _ties_note(
                self.tied, float(self.table["distance"].iloc[-1]), self.episodes.empty
            )
        if not self.table.empty:
            return None
        if self.rule:
            return "no past episode"
        return (
            "no past episode: no day before it was scored out of sample with its "
            "outcomes known by then; days before the first walk-forward fold are in sample"
        )

    def hit_rates(self) -> dict[str, float]:
        """Share of episodes in which small caps beat large caps, per window."""
        shown = self.episodes
        return {
            name: float((shown[f"relative_{name}"] > 0).mean()) if len(shown) else np.nan
            for name in WINDOWS
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the rule, each episode with its forward returns, the hit rates.

        ``note`` says why ``episodes`` is empty (None when it is not).
        """
        frame = self.episodes.copy()
        frame.index = frame.index.strftime("%Y-%m-%d")
        return {
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "rule": self.rule,
            "episodes": [
                {"date": day, **{k: _plain(v) for k, v in row.items()}}
                for day, row in frame.iterrows()
            ],
            "hit_rates": {k: _plain(v) for k, v in self.hit_rates().items()},
            "legs": dict(zip(("small", "large"), self.legs, strict=True)),
            "note": self.note,
        }

    def to_text(self) -> str:
        """One line per episode, then the hit rates (or why there is none)."""
        how = (
            f"rule {self.rule}"
            if self.rule
            else "nearest days in pillar space, distance in probability points, among those "
            "scored out of sample"
        )
        shown = self.episodes
        small, large = self.legs
        lines = [
            f"analogs as of {self.as_of:%Y-%m-%d} ({how}); episodes at least "
            f"{self.horizon_days} {self.horizon_unit} apart, outcomes known by then",
            f"small = {small}, large = {large} (the target's legs), rel = small minus large; "
            "the hit rates count plain returns over each window, not the model's "
            "sustained-run label",
            f"{'episode':<12}"
            + "".join(f"{'small ' + n:>10}{'large ' + n:>10}{'rel ' + n:>9}" for n in WINDOWS)
            + ("  distance" if "distance" in shown else ""),
        ]
        for day, row in shown.iterrows():
            cells = "".join(
                f"{row[f'small_{n}']:>10.1%}{row[f'large_{n}']:>10.1%}{row[f'relative_{n}']:>+9.1%}"
                for n in WINDOWS
            )
            extra = f"  {row['distance']:.3f}" if "distance" in shown else ""
            lines.append(f"{day:%Y-%m-%d}  {cells}{extra}")
        if self.note:
            lines.append(f"({self.note})")
        if len(shown):
            rates = self.hit_rates()
            lines.append(
                "the small leg returned more after "
                + ", ".join(f"{n}: {rates[n]:.0%}" for n in WINDOWS)
                + f" of {len(shown)} episodes"
            )
        return "\n".join(lines)


def nearest_days(
    contributions: pd.DataFrame,
    day: pd.Timestamp,
    outcomes: pd.DataFrame,
    steps: pd.DatetimeIndex,
    horizon: int,
    k: int,
) -> pd.DataFrame:
    """The ``k`` days nearest to ``day`` in pillar space, at least ``horizon`` steps apart.

    The distance between two days is the Euclidean distance between their
    pillar contributions (``contributions``: a row per day, a column per
    pillar, in probability points), unscaled: a pillar counts as much as it
    moves the probability, so days alike in what drives the call are near,
    whatever a pillar that barely matters did. Candidates are the days with a
    row in ``outcomes``; taken nearest first (ties in date order), each must
    lie ``horizon`` or more of ``steps`` (trading days, or months) from every
    day already taken. Returns their ``outcomes`` rows with a ``distance``
    column.
    """
    distance = np.sqrt(((contributions - contributions.loc[day]) ** 2).sum(axis=1))
    candidates = distance.loc[distance.index.intersection(outcomes.index)].sort_values(
        kind="stable"
    )
    chosen: list[pd.Timestamp] = []
    position = {d: i for i, d in enumerate(steps)}
    for candidate in candidates.index:
        if all(abs(position[candidate] - position[c]) >= horizon for c in chosen):
            chosen.append(candidate)
        if len(chosen) == k:
            break
    return outcomes.loc[chosen].assign(distance=distance.loc[chosen].to_numpy())


def _trailing_ties(distance: np.ndarray) -> int:
    """Length of the run of equal distances at the end of ``distance`` (0 when under two)."""
    if len(distance) < 2:
        return 0
    differ = np.flatnonzero(~np.isclose(distance, distance[-1], rtol=1e-9, atol=1e-12))
    run = len(distance) - (int(differ[-1]) + 1 if len(differ) else 0)
    return run if run >= 2 else 0


def _ties_note(count: int, distance: float, alone: bool) -> str:
    """Why ``count`` nearest days tied at ``distance`` are not listed (``alone``: none is)."""
    who = (
        f"no nearest days: the {count} closest past days"
        if alone
        else f"the next {count} closest past days"
    )
    return (
        f"{who} all tie at distance {distance:.3f} in pillar space, so the distances single out "
        "none of them and they are not listed; a model that says the base rate gives every day "
        "the same pillar contributions, all 0; pick episodes by a rule with --when"
    )


def _plain(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    return value
