"""Caveat rules: a condition over the day's numbers and the sentence a strategist would add.

A rule is ``{when: EXPR, say: SENTENCE}``. ``EXPR`` uses the names below with
numbers, comparisons, ``and``/``or``/``not`` and ``+ - * /``; ``SENTENCE``
fills ``{NAME}`` or ``{NAME:FORMAT}`` with the same names. Names:

- every feature column, ``PILLAR.FEATURE`` (e.g. ``flows.event_share_20d``);
- ``contribution.PILLAR`` (probability points), ``probability``, ``baseline``;
- ``interval_low``, ``interval_high``, ``interval_width`` (the bootstrap
  interval; NaN without one), ``overweight_above``, ``underweight_below``;
- ``age.SERIES``: days since the series' newest observation;
- ``in_sample``: 1 when the scoring model saw this day's label, else 0.

A rule whose numbers are missing (NaN) on the day does not fire. Names are
checked when the config loads: an unknown one is a config error naming the
closest valid name.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from regime.exceptions import ConfigError

FIXED_NAMES: tuple[str, ...] = (
    "probability",
    "baseline",
    "interval_low",
    "interval_high",
    "interval_width",
    "overweight_above",
    "underweight_below",
    "in_sample",
)

_FIELD = re.compile(r"\{([A-Za-z_][\w.]*)(?::([^{}]*))?\}")


class CaveatRule(BaseModel):
    """One rule: when ``when`` holds on the scored day, the scorecard says ``say``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    when: str = Field(min_length=1)
    say: str = Field(min_length=1)


def rule_names(text: str) -> set[str]:
    """The names a rule's condition uses (``a.b`` names whole)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"caveat rule {text!r}: not a valid condition ({exc.msg})") from None
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Attribute | ast.Name):
            parts = []
            while isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            if isinstance(node, ast.Name):
                names.add(".".join([node.id, *reversed(parts)]))
                return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree.body)
    return names


def sentence_names(text: str) -> set[str]:
    """The ``{NAME}`` fields of a sentence."""
    return {match.group(1) for match in _FIELD.finditer(text)}


def check_rules(rules: Iterable[CaveatRule], known: Iterable[str], where: str) -> None:
    """ConfigError naming the first unknown name of a rule (with the closest known one)."""
    valid = sorted(set(known))
    for index, rule in enumerate(rules):
        for name in sorted(rule_names(rule.when) | sentence_names(rule.say)):
            if name not in valid:
                close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(
                    f"{where}: caveats.rules[{index}]: unknown name {name!r}{hint} "
                    "(features are PILLAR.FEATURE; see docs/configs.md for the other names)"
                )


def known_names(feature_columns: Iterable[str], series: Iterable[str], pillars: Iterable[str]):
    """Every name a rule may use for a config with these features, series and pillars."""
    return [
        *FIXED_NAMES,
        *feature_columns,
        *(f"contribution.{p}" for p in pillars),
        *(f"age.{s}" for s in series),
    ]


def default_rules(feature_columns: list[str], single_day_share: float) -> list[CaveatRule]:
    """The rules every scorecard gets unless ``caveats.defaults: false``.

    Each is added only when the features it reads are in the config: no cuts
    delivered while the model leans on rate expectations; a flows signal that
    rests on one day; flows against the year-to-date tide; the probability
    within the model's own uncertainty of a stance threshold.
    """
    rules = []
    delivered = next((c for c in feature_columns if re.search(r"\.cuts_delivered_\d+m$", c)), None)
    if delivered:
        months = re.search(r"_(\d+)m$", delivered).group(1)
        pillar = delivered.split(".", 1)[0]
        rules.append(
            CaveatRule(
                when=f"{delivered} <= 0 and contribution.{pillar} > 0",
                say=f"no Fed cuts delivered in the last {months} months while the model leans "
                f"on rate expectations (+{{contribution.{pillar}:.3f}}): extended small-cap "
                "outperformance has usually needed them",
            )
        )
    share = next((c for c in feature_columns if re.search(r"\.event_share_\d+d$", c)), None)
    if share:
        rules.append(
            CaveatRule(
                when=f"{share} > {single_day_share}",
                say=f"flows signal rests on a single day ({{{share}:.0%}} of the gross flow in "
                "the window): one day of flows does not a trend make",
            )
        )
    trend = next((c for c in feature_columns if re.search(r"\.rel_flow_\d+d$", c)), None)
    pace = next((c for c in feature_columns if c.endswith(".vs_ytd_pace")), None)
    if trend and pace and not trend.endswith("_1d"):
        rules.append(
            CaveatRule(
                when=f"{trend} > 0 and {trend} - {pace} < 0",
                say=f"flows turned to small caps ({{{trend}:+.2f}}% of assets) against "
                "year-to-date outflows: a turn against the tide, not yet a trend",
            )
        )
        rules.append(
            CaveatRule(
                when=f"{trend} < 0 and {trend} - {pace} > 0",
                say=f"flows turned away from small caps ({{{trend}:+.2f}}% of assets) against "
                "year-to-date inflows: a turn against the tide, not yet a trend",
            )
        )
    rules.append(
        CaveatRule(
            when="(interval_low < overweight_above and overweight_above < interval_high) or "
            "(interval_low < underweight_below and underweight_below < interval_high)",
            say="the call is within the model's own uncertainty of a stance threshold "
            "(interval {interval_low:.2f}-{interval_high:.2f})",
        )
    )
    return rules


def evaluate(rules: Iterable[CaveatRule], values: dict[str, float]) -> list[str]:
    """The sentences of the rules that hold for ``values`` (one day's numbers)."""
    from regime.analogs import evaluate_rule

    frame = pd.DataFrame({k: [float(v)] for k, v in values.items()})
    notes = []
    for rule in rules:
        if bool(evaluate_rule(rule.when, frame).iloc[0]):
            notes.append(fill(rule.say, values))
    return notes


def fill(sentence: str, values: dict[str, Any]) -> str:
    """``sentence`` with every ``{NAME[:FORMAT]}`` replaced by its value."""

    def one(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        if isinstance(value, float) and math.isnan(value):
            return "n/a"
        return format(value, match.group(2) or "")

    return _FIELD.sub(one, sentence)
