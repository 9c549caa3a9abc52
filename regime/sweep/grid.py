"""A sweep's grid: dotted config paths with alternative values, expanded and validated.

A grid file names config fields by dotted path and lists the values to try::

    grid:
      model.calibration: [shrink, sigmoid]
      target.horizon_days: [42, 63]
      features:                  # alternatives may be named (a mapping) ...
        all_pillars: [...]
        no_positioning: [...]
      data.sources:              # ... or listed; a list index is a path segment too
        - [{kind: sample, seed: 7}]
        - [{kind: sample, seed: 11}]
    set:                         # optional: applied to every variant first
      model.bootstrap: 0

The variants are the product of the axes (the last axis varies fastest).
Each is the base config with its values set, validated through the same
load path as a config file (:func:`regime.config.parse_config`, the builder
registry and the estimator's own parameter checks), so a bad path or value
is a :class:`~regime.exceptions.ConfigError` naming the grid file, the
variant and the field before anything runs. A variant's id is a hash of its
resolved config: the same config always gets the same id, whatever grid
produced it, and two grid points that resolve to the same config are one
variant.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import warnings
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from regime.config import Config, load_config, parse_config
from regime.exceptions import ConfigError

#: Hex digits of the SHA-256 of the resolved config kept as a variant's id.
ID_LENGTH = 12

_GRID_KEYS = ("grid", "set")
_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$|^[0-9]+$")
_VARIANT_LABEL = "<variant>"


@dataclass(frozen=True)
class Axis:
    """One swept field: its dotted path and its alternative values with their labels."""

    path: str
    labels: tuple[str, ...]
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Variant:
    """One validated point of the grid.

    Attributes
    ----------
    id : str
        First :data:`ID_LENGTH` hex digits of the SHA-256 of ``resolved``.
    index : int
        Position in the expanded grid (the first grid point that gave this config).
    assignment : dict of str to str
        Each swept path and the label of its value in this variant.
    config : Config
        The validated config.
    resolved : dict
        ``config.model_dump(mode="json")``: every field, defaults included.
    """

    id: str
    index: int
    assignment: dict[str, str]
    config: Config
    resolved: dict[str, Any]

    def describe(self) -> str:
        """``path=label, ...`` for messages."""
        return ", ".join(f"{k}={v}" for k, v in self.assignment.items()) or "base config"


@dataclass(frozen=True)
class SweepPlan:
    """The base config, the grid's axes and every distinct validated variant."""

    base_path: Path
    grid_path: Path
    base: Config
    axes: tuple[Axis, ...]
    fixed: dict[str, Any]
    variants: tuple[Variant, ...]
    duplicates: int

    @property
    def config_dir(self) -> Path:
        """Directory that relative paths of every variant resolve against (the base's)."""
        return self.base_path.resolve().parent

    @property
    def swept_paths(self) -> list[str]:
        """The swept dotted paths, in grid order."""
        return [axis.path for axis in self.axes]


def config_id(resolved: dict[str, Any]) -> str:
    """Stable id of a resolved config: SHA-256 of its canonical JSON, shortened."""
    text = json.dumps(resolved, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_LENGTH]


def value_label(value: Any) -> str:
    """A short label of a grid value: scalars as written, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool | int | float) or value is None:
        return json.dumps(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def read_grid(path: str | Path) -> tuple[tuple[Axis, ...], dict[str, Any]]:
    """Read a grid file into its axes and its fixed settings (``set``).

    Raises
    ------
    ConfigError
        The file is missing or unreadable, not YAML, not a mapping with a
        ``grid`` mapping, has an unknown top-level key, a malformed path or
        an axis without values.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: grid file not found; check the --grid path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read the grid file: {exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{file}{line}: YAML syntax error: {exc.problem}; fix the file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: YAML error: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("grid"), dict) or not raw["grid"]:
        raise ConfigError(
            f"{file}: a grid file is a mapping with a non-empty `grid` mapping of dotted "
            "config paths to lists of values, e.g. `grid: {model.calibration: [shrink, none]}`"
        )
    unknown = [k for k in raw if k not in _GRID_KEYS]
    if unknown:
        raise ConfigError(f"{file}: unknown key {unknown[0]!r} (valid: {', '.join(_GRID_KEYS)})")
    fixed = raw.get("set") or {}
    if not isinstance(fixed, dict):
        raise ConfigError(f"{file}: set: must map dotted config paths to one value each")
    for key in fixed:
        _check_path(file, "set", key)
    axes = []
    for key, values in raw["grid"].items():
        _check_path(file, "grid", key)
        if isinstance(values, dict):
            labels, options = tuple(str(k) for k in values), tuple(values.values())
        elif isinstance(values, list):
            labels, options = tuple(value_label(v) for v in values), tuple(values)
        else:
            raise ConfigError(
                f"{file}: grid.{key}: needs a list of values (or a mapping of names to "
                f"values), got {value_label(values)}"
            )
        if not options:
            raise ConfigError(f"{file}: grid.{key}: needs at least one value")
        if len(set(labels)) < len(labels):
            raise ConfigError(f"{file}: grid.{key}: the same value is listed twice")
        axes.append(Axis(str(key), labels, options))
    return tuple(axes), dict(fixed)


def _check_path(file: Path, section: str, key: Any) -> None:
    if not isinstance(key, str) or not all(_SEGMENT.match(s) for s in key.split(".")):
        raise ConfigError(
            f"{file}: {section}: {key!r} is not a dotted config path such as "
            "`model.params.C` or `features.0.params.window_days`"
        )


def set_path(tree: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at the dotted ``path`` of a nested dict/list, in place.

    Missing mapping keys are created (the config's validation then names an
    unknown one); a numeric segment indexes a list.

    Raises
    ------
    ConfigError
        A list index out of range, or a path that goes through a value.
    """
    parts = path.split(".")
    node: Any = tree
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        parent = ".".join(parts[:depth]) or "the config"
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(
                    f"{where}: {parent} is a list of {len(node)} entries; use an index "
                    f"0-{len(node) - 1}"
                )
            key: Any = int(part)
        elif isinstance(node, dict):
            key = part
        else:
            raise ConfigError(f"{where}: {parent} is a value ({value_label(node)}), not a mapping")
        if last:
            node[key] = copy.deepcopy(value)
            return
        child = node[key] if isinstance(node, list) else node.get(key)
        if child is None:
            child = {}
            node[key] = child
        node = child


def validate_variant(tree: dict[str, Any]) -> Config:
    """Validate a config dict through the config file's load path and the estimator's checks.

    Raises ConfigError with the field path and message (no file or line).
    """
    text = yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)
    try:
        config = parse_config(text, _VARIANT_LABEL)
    except ConfigError as exc:
        message = re.sub(rf"^{re.escape(_VARIANT_LABEL)}(:\d+)?: ", "", str(exc))
        raise ConfigError(message) from None
    check_estimator(config)
    return config


_ESTIMATOR_CHECKED: dict[str, str | None] = {}


def check_estimator(config: Config) -> None:
    """Build the estimator of every ``model.search`` candidate and fit it on a few dummy rows.

    scikit-learn checks parameter names when the estimator is built and their
    values when it is fitted; doing both here turns a bad ``model.params``
    value into a config error before the sweep runs instead of a failed
    variant. Results are memoised per distinct model section.
    """
    from sklearn.model_selection import ParameterGrid

    key = json.dumps(config.model.model_dump(mode="json"), sort_keys=True)
    if key not in _ESTIMATOR_CHECKED:
        _ESTIMATOR_CHECKED[key] = _estimator_problem(config, ParameterGrid(config.model.search))
    problem = _ESTIMATOR_CHECKED[key]
    if problem is not None:
        raise ConfigError(problem)


def _estimator_problem(config: Config, candidates: Any) -> str | None:
    import numpy as np

    from regime.model import make_estimator

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = np.arange(40) % 2
    for params in candidates or [{}]:
        where = "model.search" if params else "model.params"
        try:
            # two features with declared signs, so that every estimator can be built
            estimator = make_estimator(config.model, None, params, signs=(1, -1))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                estimator.fit(X, y)
        except ConfigError as exc:
            return str(exc)
        except (TypeError, ValueError) as exc:
            return f"{where}: {str(exc).splitlines()[0]}"
    return None


def build_plan(base_path: str | Path, grid_path: str | Path) -> SweepPlan:
    """Load the base config and the grid; expand and validate every variant.

    Raises
    ------
    ConfigError
        Naming the grid file, the variant (its number and values) and the
        field, for the first variant that does not validate.
    """
    base_file, grid_file = Path(base_path), Path(grid_path)
    base = load_config(base_file)
    axes, fixed = read_grid(grid_file)
    tree = base.model_dump(mode="json")
    for path, value in fixed.items():
        try:
            set_path(tree, path, value)
        except ConfigError as exc:
            raise ConfigError(f"{grid_file}: set: {exc}") from None
    variants: dict[str, Variant] = {}
    duplicates = 0
    grid = itertools.product(*(range(len(axis.values)) for axis in axes))
    for index, choice in enumerate(grid):
        assignment = {axis.path: axis.labels[i] for axis, i in zip(axes, choice, strict=True)}
        point = copy.deepcopy(tree)
        try:
            for axis, i in zip(axes, choice, strict=True):
                set_path(point, axis.path, axis.values[i])
            config = validate_variant(point)
        except ConfigError as exc:
            described = ", ".join(f"{k}={v}" for k, v in assignment.items())
            raise ConfigError(f"{grid_file}: variant {index + 1} ({described}): {exc}") from None
        resolved = config.model_dump(mode="json")
        variant_id = config_id(resolved)
        if variant_id in variants:
            duplicates += 1
            continue
        variants[variant_id] = Variant(variant_id, index, assignment, config, resolved)
    return SweepPlan(base_file, grid_file, base, axes, fixed, tuple(variants.values()), duplicates)
