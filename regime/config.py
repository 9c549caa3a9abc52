"""The run config: YAML validated into typed, frozen objects.

Every field is documented in ``docs/configs.md``. Errors are one line naming the
file, the line and the field, and for an unknown key the closest valid one.

Input is bounded: a config file is at most :data:`MAX_CONFIG_BYTES`, its YAML
at most :data:`MAX_YAML_VALUES` values once every alias is expanded and
:data:`MAX_YAML_DEPTH` levels deep; a mapping may not repeat a key; a boolean
is never read as a number; and an error message is at most
:data:`MAX_MESSAGE_CHARS` characters.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from regime.caveats import CaveatRule, check_rules, known_names
from regime.data.sources import SourceConfig
from regime.exceptions import ConfigError, bounded_message

#: Largest config file read, in bytes (a config is a few kilobytes).
MAX_CONFIG_BYTES = 1_000_000
#: Most YAML values (scalars, lists, mappings) a config may hold, every alias expanded.
MAX_YAML_VALUES = 100_000
#: Deepest nesting of YAML lists and mappings.
MAX_YAML_DEPTH = 50
#: Longest model name: it names files (``NAME.joblib``, ``NAME.versions/``, temporaries).
MAX_NAME_CHARS = 100
#: Longest value quoted in an error message.
MAX_VALUE_CHARS = 80
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SustainedRule(_Model):
    """What counts as *sustained* outperformance over the horizon."""

    min_excess_return: float = Field(0.0, ge=-1.0, le=1.0)
    min_share_of_days: float = Field(0.6, ge=0.0, le=1.0)


class TargetConfig(_Model):
    """The two legs and the forward label."""

    small: str
    large: str
    kind: Literal["price", "return"] = "return"
    horizon_days: int = Field(63, ge=1, le=1260)
    sustained: SustainedRule = SustainedRule()


class FeatureSpec(_Model):
    """One builder from the registry, its parameters and an optional pillar override."""

    builder: str
    params: dict[str, Any] = Field(default_factory=dict)
    pillar: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]*$")


class ModelConfig(_Model):
    """The classifier: estimator, its parameters, their search, calibration, bootstrap, priors.

    ``search`` maps estimator parameters to candidate values; each training
    window picks one combination on its own purged, time-ordered inner folds
    (never on the rows it is tested on). ``sign_priors``: ``report`` lists the
    features whose fitted effect breaks the sign their builder declares,
    ``enforce`` holds the model to the declared signs (monotonic constraints
    for gradient boosting; offending features dropped for the logistic model).
    ``combine``: ``none`` fits one model on every feature; ``pillars`` fits
    one model per pillar on its features alone and averages their
    probabilities (an equal-weight forecast combination).
    """

    estimator: Literal["logistic", "gradient_boosting", "signed"] = "logistic"
    params: dict[str, Any] = Field(default_factory=dict)
    search: dict[str, list[Any]] = Field(default_factory=dict)
    calibration: Literal["none", "shrink", "sigmoid", "isotonic"] = "shrink"
    bootstrap: int = Field(30, ge=0, le=500)
    interval: float = Field(0.9, gt=0.0, lt=1.0)
    random_state: int = 0
    sign_priors: Literal["off", "report", "enforce"] = "report"
    combine: Literal["none", "pillars"] = "none"

    @model_validator(mode="after")
    def _search_lists(self) -> ModelConfig:
        for key, values in self.search.items():
            if not values:
                raise ValueError(f"`search.{key}` needs at least one candidate value")
            if key in self.params:
                raise ValueError(f"`{key}` is both in `params` and in `search`; keep one")
        return self


RequiredFeatures = Literal["each_started_pillar", "any", "all"]


class TrainingConfig(_Model):
    """The knowledge cutoff, the first training day and which rows are trainable.

    ``as_of`` is a knowledge cutoff: only observations known on or before it
    are read, and a label is kept only if its whole horizon ended by then.
    ``require_features`` says which rows are trainable: ``each_started_pillar``
    (at least one feature of every pillar whose features have started by that
    day), ``any`` (at least one feature) or ``all`` (every feature).
    """

    start: date | None = None
    as_of: date | None = None
    require_features: RequiredFeatures = "each_started_pillar"

    @model_validator(mode="before")
    @classmethod
    def _no_end(cls, data: Any) -> Any:
        if isinstance(data, dict) and "end" in data:
            raise ValueError(
                "`training.end` is replaced by `training.as_of`, a knowledge cutoff: rows known "
                "after it are ignored and labels must have ended by it; rename the key"
            )
        return data


class EvaluationConfig(_Model):
    """Walk-forward evaluation: expanding window, refit every ``step_days``, purged.

    Fold models refit their bootstrap interval every ``interval_every_days``
    rows (the folds in between reuse the newest one, whose labels were known
    before them). ``start``/``end`` limit the days whose predictions are
    scored and reported (the models still train on all earlier rows).
    ``inner_folds`` is the number of purged inner folds of ``model.search``.
    ``trials`` is how many configurations were tried before this one (the
    deflated Sharpe ratio of the report discounts for them). ``n_jobs`` is
    the number of processes that fit the folds (-1: one per core); the
    results do not depend on it.
    """

    min_train_days: int = Field(1260, ge=60)
    step_days: int = Field(21, ge=1)
    purge_days: int | None = Field(None, ge=0)
    min_calibration_days: int = Field(252, ge=20)
    interval_every_days: int = Field(252, ge=1)
    inner_folds: int = Field(3, ge=2, le=10)
    start: date | None = None
    end: date | None = None
    trials: int = Field(1, ge=1)
    n_jobs: int = Field(1, ge=-1)

    @model_validator(mode="after")
    def _window_ordered(self) -> EvaluationConfig:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(
                f"`end` ({self.end}) is before `start` ({self.start}); fix or swap them"
            )
        return self


class StanceConfig(_Model):
    """Probability thresholds of the stance, and the band inside which a pillar is neutral."""

    overweight_above: float = Field(0.55, gt=0.0, lt=1.0)
    underweight_below: float = Field(0.45, gt=0.0, lt=1.0)
    neutral_band: float = Field(0.005, ge=0.0, lt=0.5)

    @model_validator(mode="after")
    def _ordered(self) -> StanceConfig:
        if self.underweight_below > self.overweight_above:
            raise ValueError(
                f"`underweight_below` ({self.underweight_below}) must not exceed "
                f"`overweight_above` ({self.overweight_above})"
            )
        return self


class CaveatsConfig(_Model):
    """Caveat rules: the defaults (unless ``defaults: false``) plus the config's own ``rules``.

    See :mod:`regime.caveats` for the names a rule may use. ``wide_interval``
    and ``stale_data`` drive two built-in caveats (the bootstrap interval wider
    than this; every input series older than its maximum age).
    """

    rules: list[CaveatRule] = Field(default_factory=list)
    defaults: bool = True
    single_day_flow_share: float = Field(0.5, gt=0.0, le=1.0)
    wide_interval: float = Field(0.25, gt=0.0, le=1.0)
    stale_data: bool = True


class DataConfig(_Model):
    """Where observations come from."""

    sources: list[SourceConfig] = Field(min_length=1)
    cache_dir: str | None = None


class Config(_Model):
    """A whole run, as read from a YAML file."""

    name: str
    description: str = ""
    data: DataConfig
    target: TargetConfig
    features: list[FeatureSpec] = Field(min_length=1)
    model: ModelConfig = ModelConfig()
    training: TrainingConfig = TrainingConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    stance: StanceConfig = StanceConfig()
    caveats: CaveatsConfig = CaveatsConfig()

    @field_validator("name", mode="before")
    @classmethod
    def _file_name(cls, value: Any) -> Any:
        """The name names files: short, and no path separator or other special character."""
        if isinstance(value, str) and len(value) > MAX_NAME_CHARS:
            raise ValueError(
                f"the model name has {len(value)} characters, more than {MAX_NAME_CHARS}; it "
                "names the model's files (models/NAME.joblib), so choose a shorter one"
            )
        if isinstance(value, str) and not _NAME.fullmatch(value):
            raise ValueError(
                f"the model name {_clip(value, 40)!r} does not match the pattern "
                f"{_NAME.pattern}: letters, digits, '_', '.' and '-', starting with a letter "
                "or digit, as it names the model's files (no '/'); rename it"
            )
        return value

    @model_validator(mode="after")
    def _purge_covers_horizon(self) -> Config:
        purge = self.evaluation.purge_days
        if purge is not None and purge < self.target.horizon_days:
            raise ValueError(
                f"`evaluation.purge_days` ({purge}) must be at least `target.horizon_days` "
                f"({self.target.horizon_days}), or training labels overlap the test period"
            )
        return self

    @property
    def purge_days(self) -> int:
        """Rows dropped between a training window and the rows it predicts."""
        purge = self.evaluation.purge_days
        return self.target.horizon_days if purge is None else purge

    @property
    def synthetic(self) -> bool:
        """True when any source is the simulated sample."""
        return any(source.synthetic for source in self.data.sources)


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that the error location ``loc`` (minus its last item) points into."""
    current: Any = Config
    for item in loc[:-1]:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if item == _kind_of(current):
                continue  # the discriminator tag pydantic puts in the location
            field = current.model_fields.get(str(item))
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (list, tuple) and isinstance(item, int):
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            options = [a for a in _flat_union(current) if _kind_of(a) == item]
            if not options:
                return None
            current = options[0]
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional wrappers."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    args = [a for a in _flat_union(annotation) if a is not type(None)]
    return args[0] if len(args) == 1 else annotation


def _flat_union(annotation: Any) -> list[Any]:
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return list(typing.get_args(annotation))
    return [annotation]


def _kind_of(model: Any) -> str | None:
    """The ``kind`` tag of a source model (its ``Literal`` value), or None."""
    field = getattr(model, "model_fields", {}).get("kind")
    if field is None:
        return None
    options = typing.get_args(field.annotation)
    return str(options[0]) if options else field.default


def _yaml_line(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at ``loc``, or of its closest existing parent."""
    line = None if node is None else node.start_mark.line + 1
    for item in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(item)]
            if not match:
                continue  # a discriminator tag, or a missing key: stay on the parent
            key, node = match[0]
            line = key.start_mark.line + 1
            continue
        elif isinstance(node, yaml.SequenceNode) and isinstance(item, int):
            if item >= len(node.value):
                break
            node = node.value[item]
        else:
            break
        line = node.start_mark.line + 1
    return line


def _format_loc(loc: tuple[Any, ...]) -> str:
    text = ""
    for item in loc:
        if isinstance(item, int):
            text += f"[{item}]"
        elif _is_kind_tag(item):
            continue
        else:
            text += f".{item}" if text else str(item)
    return text


def _is_kind_tag(item: Any) -> bool:
    from regime.data.sources import SOURCE_TYPES

    return any(_kind_of(source) == item for source in SOURCE_TYPES)


#: pydantic error types of a number that is out of range or of the wrong kind.
_NUMBER_ERRORS = frozenset(
    {
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "multiple_of",
        "int_type",
        "int_from_float",
        "float_type",
        "finite_number",
    }
)


def _not_a_boolean(value: bool) -> str:
    return f"a number is expected, not the boolean {str(value).lower()}; write a number"


def _describe(error: dict[str, Any]) -> tuple[tuple[Any, ...], str]:
    """The location and one-line message of a pydantic error."""
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        model = _model_at(loc)
        valid = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return loc, f"unknown key {_clip(loc[-1], 40)!r}{hint} (valid: {', '.join(valid)})"
    if error["type"] == "union_tag_invalid":
        tag = str(error["ctx"]["tag"])
        valid = [kind.strip("' ") for kind in str(error["ctx"]["expected_tags"]).split(",")]
        close = difflib.get_close_matches(tag, valid, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return (*loc, "kind"), f"unknown source kind {tag!r}{hint} (valid: {', '.join(valid)})"
    if isinstance(error.get("input"), bool) and error["type"] in _NUMBER_ERRORS:
        return loc, _not_a_boolean(error["input"])
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return loc, str(error["ctx"]["error"])  # our own validators' words, without a prefix
    if error["type"].startswith(("date_", "datetime_")):
        return loc, f"{error['msg']}; use YYYY-MM-DD, got {_clip(error.get('input'), 40)!r}"
    return loc, error["msg"]


def validation_error_message(error: ValidationError, path: str, root: yaml.Node | None) -> str:
    """One line for the first error of a pydantic ValidationError."""
    errors = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
    loc, message = _describe(errors[0])
    line = _yaml_line(root, loc)
    where = f"{path}:{line}" if line else path
    field = _format_loc(loc)
    extra = len(error.errors()) - 1
    more = f" (and {extra} more error{'s' if extra > 1 else ''})" if extra else ""
    return f"{where}: {_clip(field or 'config', 200)}: {message}{more}"


def _clip(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """``value`` as text on one line, cut to ``limit`` characters (for messages)."""
    text = str(value).replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader with bounded input, for configs.

    Dates stay strings, so pydantic validates them with a location. Composing
    the document counts its values with every alias expanded (at most
    :data:`MAX_YAML_VALUES`) and its nesting (at most :data:`MAX_YAML_DEPTH`),
    so an alias bomb stops at the alias that crosses the limit, before any
    value is built. A value that cannot be built (``!!int abc``) names its line.
    """

    def __init__(self, stream: str, path: str = "<config>") -> None:
        super().__init__(stream)
        self.path = path
        self._sizes: dict[int, int] = {}  # id(node) -> values in it, aliases expanded
        self._values = 0
        self._depth = 0

    def _fail(self, mark: yaml.Mark, message: str) -> typing.NoReturn:
        raise ConfigError(f"{self.path}:{mark.line + 1}: {message}")

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        """Compose a node, counting values (aliases expanded) and depth."""
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))
            alias = f"*{_clip(event.anchor, 40)}"
            if size is None:
                self._fail(
                    event.start_mark,
                    f"YAML alias {alias} is used inside its own anchor (a recursive value); "
                    "write the value out",
                )
            self._values += size
            if self._values > MAX_YAML_VALUES:
                self._fail(
                    event.start_mark,
                    f"YAML alias {alias} expands the config past {MAX_YAML_VALUES} values "
                    "(each alias copies its anchor's values); write the values out or use "
                    "fewer aliases",
                )
            return node
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            self._fail(
                event.start_mark,
                f"YAML nested more than {MAX_YAML_DEPTH} levels deep; a config needs a few",
            )
        node = super().compose_node(parent, index)
        self._depth -= 1
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        self._sizes[id(node)] = 1 + sum(self._sizes.get(id(child), 0) for child in children)
        self._values += 1
        if self._values > MAX_YAML_VALUES:
            self._fail(
                event.start_mark,
                f"the config holds more than {MAX_YAML_VALUES} YAML values; a config needs "
                "far fewer: check that this is the right file",
            )
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Build a value; one that cannot be built (``!!int abc``) is a ConfigError."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as exc:
            self._fail(
                node.start_mark,
                f"cannot read the YAML value {_clip(getattr(node, 'value', ''), 40)!r} "
                f"({_clip(exc)}); fix the value or its tag",
            )


_ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _check_duplicate_keys(root: yaml.Node, path: str) -> None:
    """ConfigError naming both lines of the first key repeated in one mapping."""
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, where = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(node.value))
            continue
        if not isinstance(node, yaml.MappingNode):
            continue
        first: dict[str, yaml.Node] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue
            field = f"{where}.{key.value}" if where else str(key.value)
            if key.value in first:
                raise ConfigError(
                    f"{path}:{key.start_mark.line + 1}: {_clip(field)}: duplicate key "
                    f"{_clip(key.value, 40)!r}, also on line {first[key.value].start_mark.line + 1}"
                    "; YAML would keep only the last one, so delete one of them"
                )
            first[key.value] = key
            stack.append((value, field))


def _read_yaml(text: str, path: str) -> tuple[yaml.Node | None, Any]:
    """The YAML root node and the value built from it (ConfigError on any problem)."""
    loader: _ConfigLoader | None = None
    try:
        loader = _ConfigLoader(text, path)  # checks that every character is printable
        root = loader.get_single_node()
        if root is None:
            return None, None
        _check_duplicate_keys(root, path)
        return root, loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = _clip(exc.problem or exc.context or "invalid YAML", 200)
        opened = exc.context_mark
        if opened is not None and mark is not None and opened.line != mark.line:
            problem += f" ({_clip(exc.context, 80)} at line {opened.line + 1})"
        raise ConfigError(f"{path}{line}: YAML syntax error: {problem}; fix the file") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise ConfigError(
            f"{path}:{line}: YAML cannot hold the character {character!r} "
            f"(U+{ord(character):04X}); delete it or save the config as plain text"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML error: {_clip(exc, 200)}; fix the file") from None
    except RecursionError:
        raise ConfigError(
            f"{path}: YAML nested too deeply to read; a config needs a few levels"
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


def parse_config(text: str, path: str = "<config>") -> Config:
    """Parse YAML text into a validated :class:`Config`; raise ConfigError on any problem.

    Every check of :mod:`regime.config` runs here: the input bounds (size,
    values with aliases expanded, depth, duplicate keys), the schema, no
    boolean where a number is expected, the feature builders and their
    params, the estimator's params (scikit-learn's own validation) and the
    caveat rules. The message is one line of at most
    :data:`MAX_MESSAGE_CHARS` characters.
    """
    try:
        return _parse(text, path)
    except ConfigError as exc:
        raise ConfigError(bounded_message(str(exc))) from None


def _parse(text: str, path: str) -> Config:
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: the config has {len(text)} characters, more than the limit of "
            f"{MAX_CONFIG_BYTES}; a config is a few kilobytes: check that this is the right file"
        )
    root, raw = _read_yaml(text, path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the config must be a YAML mapping with keys like 'name'")
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(validation_error_message(exc, path, root)) from None
    _check_no_booleans(raw, config.model_dump(), (), path, root)
    _check_features(config, path, root)
    _check_model(config, path, root)
    _check_caveats(config, path, root)
    return config


def _boolean_at(raw: Any, validated: Any, loc: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Location of the first YAML boolean that validation turned into a number, or None."""
    if isinstance(raw, bool):
        number = isinstance(validated, int | float) and not isinstance(validated, bool)
        return loc if number else None
    if isinstance(raw, dict) and isinstance(validated, dict):
        for key, value in raw.items():
            if isinstance(key, str) and key in validated:
                found = _boolean_at(value, validated[key], (*loc, key))
                if found is not None:
                    return found
    elif isinstance(raw, list) and isinstance(validated, list | tuple):
        for index, (value, checked) in enumerate(zip(raw, validated, strict=False)):
            found = _boolean_at(value, checked, (*loc, index))
            if found is not None:
                return found
    return None


def _check_no_booleans(
    raw: Any, validated: Any, prefix: tuple[Any, ...], path: str, root: yaml.Node | None
) -> None:
    """ConfigError when a boolean (``true``) stands where a number is expected.

    pydantic reads ``horizon_days: true`` as 1; a config never means that.
    """
    loc = _boolean_at(raw, validated, prefix)
    if loc is None:
        return
    line = _yaml_line(root, loc)
    where = f"{path}:{line}" if line else path
    value = raw
    for item in loc[len(prefix) :]:
        value = value[item]
    raise ConfigError(f"{where}: {_format_field(loc)}: {_not_a_boolean(value)}")


def _format_field(loc: tuple[Any, ...]) -> str:
    """``a.b[0].c`` from a location (every key kept, unlike :func:`_format_loc`)."""
    text = ""
    for item in loc:
        text += f"[{item}]" if isinstance(item, int) else (f".{item}" if text else str(item))
    return _clip(text)


def _check_model(config: Config, path: str, root: yaml.Node | None) -> None:
    """Check ``model.params`` and ``model.search`` with the estimator's own validation.

    Builds the scikit-learn estimator with the params (each search candidate
    in turn) and runs its parameter validation, so ``C: -1`` is a config error
    when the config loads rather than a failure in the middle of training.
    ``estimator: signed`` also needs a feature with a declared sign.
    """
    if config.model.estimator == "signed":
        from regime.dataset import FeatureSet
        from regime.model import require_signs_for_signed

        try:
            require_signs_for_signed(config.model, FeatureSet.from_config(config).signs.values())
        except ConfigError as exc:
            line = _yaml_line(root, ("model", "estimator"))
            raise ConfigError(f"{f'{path}:{line}' if line else path}: {exc}") from None
    if not config.model.params and not config.model.search:
        return  # the defaults are valid (and scikit-learn need not be imported)
    from regime.model import ESTIMATORS

    cls, defaults = ESTIMATORS[config.model.estimator]
    valid = cls().get_params()
    candidates = [("params", key, value) for key, value in config.model.params.items()]
    candidates += [
        ("search", key, value) for key, values in config.model.search.items() for value in values
    ]

    def fail(where: str, key: str, message: str) -> typing.NoReturn:
        loc = ("model", where, key)
        line = _yaml_line(root, loc)
        prefix = f"{path}:{line}" if line else path
        raise ConfigError(f"{prefix}: model.{where}.{_clip(key, 40)}: {message}")

    for where, key, value in candidates:
        if key not in valid:
            close = difflib.get_close_matches(key, sorted(valid), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            fail(
                where,
                key,
                f"{cls.__name__} has no parameter {_clip(key, 40)!r}{hint} "
                f"(valid: {', '.join(sorted(valid))})",
            )
        default = valid[key]
        if (
            isinstance(value, bool)
            and isinstance(default, int | float)
            and not isinstance(default, bool)
        ):
            fail(where, key, _not_a_boolean(value))
        params = {**defaults, **config.model.params, key: value}
        try:
            check = getattr(cls(**params), "_validate_params", None)
            if check is not None:
                check()
        except (ValueError, TypeError) as exc:
            problem = _clip(str(exc).rstrip("."), 300)
            fail(where, key, f"{problem}; see the {cls.__name__} documentation")


def _check_caveats(config: Config, path: str, root: yaml.Node | None) -> None:
    """Every name a caveat rule uses must be a feature, a series age or a known number."""
    if not config.caveats.rules:
        return
    from regime.dataset import FeatureSet, required_series

    features = FeatureSet.from_config(config)
    line = _yaml_line(root, ("caveats", "rules"))
    where = f"{path}:{line}" if line else path
    try:
        check_rules(
            config.caveats.rules,
            known_names(features.signs, required_series(config, features), features.pillars),
            where,
        )
    except ConfigError as exc:
        message = str(exc)
        raise ConfigError(message if message.startswith(where) else f"{where}: {message}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ConfigError(
            f"{where}: caveats.rules: a condition cannot be read (too long, too deeply nested "
            "or holding a null character); simplify it"
        ) from None


def _check_features(config: Config, path: str, root: yaml.Node | None) -> None:
    """Resolve each feature spec against the builder registry and validate its params."""
    from features import get_builder

    for index, spec in enumerate(config.features):
        loc: tuple[Any, ...] = ("features", index, "builder")
        line = _yaml_line(root, loc)
        where = f"{path}:{line}" if line else path
        try:
            builder = get_builder(spec.builder)
        except ConfigError as exc:
            raise ConfigError(f"{where}: features[{index}].builder: {exc}") from None
        try:
            built = builder.model_validate(spec.params)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first["loc"])
            loc = ("features", index, "params", *first["loc"])
            line = _yaml_line(root, loc)
            where = f"{path}:{line}" if line else path
            if first["type"] == "extra_forbidden":
                valid = sorted(builder.model_fields)
                close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                message = f"unknown parameter {key!r} of {spec.builder}{hint} (valid: {valid})"
            elif isinstance(first.get("input"), bool) and first["type"] in _NUMBER_ERRORS:
                message = _not_a_boolean(first["input"])
            else:
                message = f"{first['msg']}"
            raise ConfigError(
                f"{where}: features[{index}].params.{_clip(key, 40)}: {message}"
            ) from None
        _check_no_booleans(
            spec.params, built.model_dump(), ("features", index, "params"), path, root
        )


def load_config(path: str | Path) -> Config:
    """Read and validate a YAML config file (at most :data:`MAX_CONFIG_BYTES` bytes)."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{file}: config file not found; check the --config path") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read config: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{file}: the config is larger than the limit of {MAX_CONFIG_BYTES} bytes (1 MB); "
            "a config is a few kilobytes: check the --config path"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{file}:{line}: not UTF-8 text (byte {exc.start}); save the config as UTF-8"
        ) from None
    return parse_config(text, str(file))
