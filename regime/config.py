"""The run config: YAML validated into typed, frozen objects.

Every field is documented in ``docs/configs.md``. Errors are one line naming the
file, the line and the field, and for an unknown key the closest valid one.
"""

from __future__ import annotations

import difflib
import types
import typing
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from regime.caveats import CaveatRule, check_rules, known_names
from regime.data.sources import SourceConfig
from regime.exceptions import ConfigError


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
    """

    estimator: Literal["logistic", "gradient_boosting"] = "logistic"
    params: dict[str, Any] = Field(default_factory=dict)
    search: dict[str, list[Any]] = Field(default_factory=dict)
    calibration: Literal["none", "shrink", "sigmoid", "isotonic"] = "shrink"
    bootstrap: int = Field(30, ge=0, le=500)
    interval: float = Field(0.9, gt=0.0, lt=1.0)
    random_state: int = 0
    sign_priors: Literal["off", "report", "enforce"] = "report"

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
    deflated Sharpe ratio of the report discounts for them).
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

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    data: DataConfig
    target: TargetConfig
    features: list[FeatureSpec] = Field(min_length=1)
    model: ModelConfig = ModelConfig()
    training: TrainingConfig = TrainingConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    stance: StanceConfig = StanceConfig()
    caveats: CaveatsConfig = CaveatsConfig()

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


def _describe(error: dict[str, Any]) -> tuple[tuple[Any, ...], str]:
    """The location and one-line message of a pydantic error."""
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        model = _model_at(loc)
        valid = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return loc, f"unknown key {loc[-1]!r}{hint} (valid: {', '.join(valid)})"
    if error["type"] == "union_tag_invalid":
        tag = str(error["ctx"]["tag"])
        valid = [kind.strip("' ") for kind in str(error["ctx"]["expected_tags"]).split(",")]
        close = difflib.get_close_matches(tag, valid, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return (*loc, "kind"), f"unknown source kind {tag!r}{hint} (valid: {', '.join(valid)})"
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
    return f"{where}: {field or 'config'}: {message}{more}"


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so pydantic validates them with a location."""


_ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_config(text: str, path: str = "<config>") -> Config:
    """Parse YAML text into a validated :class:`Config`; raise ConfigError on any problem."""
    loader = _ConfigLoader(text)
    try:
        root = loader.get_single_node()
        raw = None if root is None else loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        opened = exc.context_mark
        if opened is not None and mark is not None and opened.line != mark.line:
            problem += f" ({exc.context} at line {opened.line + 1})"
        raise ConfigError(f"{path}{line}: YAML syntax error: {problem}; fix the file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML error: {exc}") from None
    finally:
        loader.dispose()
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the config must be a YAML mapping with keys like 'name'")
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(validation_error_message(exc, path, root)) from None
    _check_features(config, path, root)
    _check_caveats(config, path, root)
    return config


def _check_caveats(config: Config, path: str, root: yaml.Node | None) -> None:
    """Every name a caveat rule uses must be a feature, a series age or a known number."""
    if not config.caveats.rules:
        return
    from regime.dataset import FeatureSet, required_series

    features = FeatureSet.from_config(config)
    line = _yaml_line(root, ("caveats", "rules"))
    where = f"{path}:{line}" if line else path
    check_rules(
        config.caveats.rules,
        known_names(features.signs, required_series(config, features), features.pillars),
        where,
    )


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
            builder.model_validate(spec.params)
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
            else:
                message = f"{first['msg']}"
            raise ConfigError(f"{where}: features[{index}].params.{key}: {message}") from None


def load_config(path: str | Path) -> Config:
    """Read and validate a YAML config file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: config file not found; check the --config path") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{file}: not UTF-8 text (byte {exc.start}); save the config as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read config: {exc.strerror}") from None
    return parse_config(text, str(file))
