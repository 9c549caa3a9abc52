"""A model file that runs no code when it loads: ``skops.io`` with an explicit list of types.

A ``.joblib`` artifact is a pickle: loading it runs whatever code the file
holds, so it must come from someone you trust. This module writes and reads
the same artifact as a ``skops.io`` file instead, which holds data only
(JSON and ``.npy`` arrays in a zip) and names the type of every object in it.
:func:`load_safe` reads those names before anything is built or imported, and
refuses the file unless every one of them is in :data:`TRUSTED_TYPES`: the
few builtin, NumPy and scikit-learn types the models of
:func:`regime.model.make_estimator` are made of, and
:class:`regime.model.SignConstrained`, :class:`regime.model.FillEmptyColumns`,
:class:`regime.model.SignedComposite` and :class:`regime.model.PillarAverage`.

What the file holds is small and fixed: a dict with the artifact's plain
part (strings, numbers, lists and dicts, as in the card), every distinct
fitted pipeline once (``estimators``; a bootstrap refit shared by several
fold models is stored once and shared again after loading), and each
:class:`~regime.fitted.FittedModel` as :meth:`~regime.fitted.FittedModel.to_state`
with its pipelines replaced by their position in ``estimators``. Timestamps
are ISO 8601 text and the recalibrator its own plain state, so no pandas or
``regime`` class other than those two is ever in the file;
:func:`load_safe` rebuilds them with our own code.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np
import skops.io
from sklearn._loss._loss import CyHalfBinomialLoss
from sklearn._loss.link import Interval, LogitLink
from sklearn._loss.loss import HalfBinomialLoss
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder, StandardScaler

from regime.exceptions import ArtifactError
from regime.fitted import FittedModel
from regime.model import FillEmptyColumns, PillarAverage, SignConstrained, SignedComposite
from regime.persistence import FITTED_KEYS

__all__ = ["SAFE_FORMAT", "TRUSTED_TYPES", "dump_safe", "load_safe"]

#: Tag of the container written by :func:`dump_safe` (the artifact keeps its own ``format``).
SAFE_FORMAT = "smallcap-regime-skops/1"
#: Zip compression of the file: deflate at level 3, as joblib's ``compress=3``.
COMPRESSLEVEL = 3
#: A file whose members would unpack to more than this many times its size, and more
#: than MIN_UNPACKED_LIMIT bytes, is refused before anything is read (a zip bomb).
MAX_UNPACK_RATIO = 100
MIN_UNPACKED_LIMIT = 256 * 2**20

_TRUSTED_CLASSES: tuple[type, ...] = (
    # containers and scalars of the plain part and of the estimators' attributes
    dict,
    list,
    tuple,
    str,
    int,
    float,
    bool,
    np.ndarray,
    np.dtype,
    np.float64,
    np.int64,
    np.uint64,
    np.random.Generator,  # HistGradientBoosting keeps its feature-subsampling generator
    # the logistic pipeline: median imputation (with missing indicators in artifacts
    # trained before 2026-12), scaling
    Pipeline,
    SimpleImputer,
    MissingIndicator,
    StandardScaler,
    LogisticRegression,
    SignConstrained,  # model.sign_priors: enforce
    PillarAverage,  # model.combine: pillars
    SignedComposite,  # model.estimator: signed
    # gradient boosting, after setting training-empty columns to 0
    FillEmptyColumns,
    HistGradientBoostingClassifier,
    _BinMapper,
    TreePredictor,
    LabelEncoder,
    HalfBinomialLoss,
    CyHalfBinomialLoss,
    LogitLink,
    Interval,
    # model.calibration: isotonic
    IsotonicRegression,
)


def _type_name(cls: type) -> str:
    """The name skops gives a type: its module and its name."""
    return f"{cls.__module__}.{cls.__name__}"


#: Every type a safe model file may hold, by fully qualified name: nothing else loads.
TRUSTED_TYPES: list[str] = sorted({_type_name(cls) for cls in _TRUSTED_CLASSES})


def dump_safe(artifact: dict[str, Any]) -> bytes:
    """The artifact as skops bytes that :func:`load_safe` reads back.

    Parameters
    ----------
    artifact : dict
        As :func:`regime.training.train_config` builds it: plain values
        (strings, numbers, lists, dicts), ``final`` a
        :class:`~regime.fitted.FittedModel` and ``folds`` a list of them.

    Raises
    ------
    TypeError
        When ``final`` or ``folds`` do not hold fitted models.
    ArtifactError
        When the file would hold a type outside :data:`TRUSTED_TYPES` (a
        value the plain part should not have, or an estimator this list does
        not know): it could not be loaded, so it is not written.
    """
    missing = [key for key in FITTED_KEYS if key not in artifact]
    if missing:
        raise TypeError(f"artifact: keys {missing} missing; it must hold {list(FITTED_KEYS)}")
    estimators: list[Any] = []
    position: dict[int, int] = {}

    def refer(estimator: Any) -> int:
        if id(estimator) not in position:
            position[id(estimator)] = len(estimators)
            estimators.append(estimator)
        return position[id(estimator)]

    def model_state(model: Any, where: str) -> dict[str, Any]:
        if not isinstance(model, FittedModel):
            raise TypeError(f"artifact[{where}] must be a FittedModel, got {type(model).__name__}")
        state = model.to_state()
        state["estimator"] = refer(state["estimator"])
        state["bootstrap"] = [refer(refit) for refit in state["bootstrap"]]
        return state

    container = {
        "format": SAFE_FORMAT,
        "keys": list(artifact),
        "artifact": {k: v for k, v in artifact.items() if k not in FITTED_KEYS},
        "models": {
            "final": model_state(artifact["final"], "'final'"),
            "folds": [
                model_state(model, f"'folds'][{i}") for i, model in enumerate(artifact["folds"])
            ],
        },
        "estimators": estimators,
    }
    payload = skops.io.dumps(
        container, compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL
    )
    refused = _refused_types(payload)
    if refused:
        raise ArtifactError(
            _one_line(
                f"cannot save the model in the skops format: it would hold "
                f"{_names(refused)}, not in regime.safe_format.TRUSTED_TYPES; save it as "
                ".joblib, and report this"
            )
        )
    return payload


def load_safe(payload: bytes, source: str) -> dict[str, Any]:
    """The artifact in a file written by :func:`dump_safe`, rebuilt without running its code.

    The type of every object in the file is read first, from its JSON
    schema, before anything is imported or built; a type outside
    :data:`TRUSTED_TYPES` refuses the file. Only then does ``skops.io`` build
    the objects, and this module the fitted models.

    Parameters
    ----------
    payload : bytes
        The file's content.
    source : str
        Where it came from (a path), for the messages.

    Raises
    ------
    ArtifactError
        One line naming ``source``: the file holds types outside the list
        (named), or it is not a readable model file (corrupt, truncated, not
        skops, or not one of our models).
    """
    data = bytes(payload)
    try:
        _check_unpacked_size(data)
        refused = _refused_types(data)
    except Exception as exc:  # zipfile, json and skops raise many types for a bad file
        raise _unreadable(source, exc) from None
    if refused:
        raise ArtifactError(
            _one_line(
                f"{source}: refused: the model file holds types that are not on the trusted "
                f"list: {_names(refused)}; nothing in it was loaded. Retrain the model "
                "(`regime train --config ... --format skops`), or, only if you trust whoever "
                "made the file, use the model's .joblib format (a .joblib file runs code when "
                "it loads)"
            )
        )
    try:
        container = skops.io.loads(data, trusted=TRUSTED_TYPES)
    except Exception as exc:
        raise _unreadable(source, exc) from None
    try:
        return _rebuild(container)
    except Exception as exc:
        raise _unreadable(source, exc) from None


def _rebuild(container: Any) -> dict[str, Any]:
    """The artifact dict from the container :func:`dump_safe` wrote."""
    if not isinstance(container, dict) or container.get("format") != SAFE_FORMAT:
        found = container.get("format") if isinstance(container, dict) else None
        raise ValueError(f"not a smallcap-regime model: format {found!r}, not {SAFE_FORMAT!r}")
    estimators = container["estimators"]
    if not isinstance(estimators, list) or not all(
        hasattr(estimator, "predict_proba") for estimator in estimators
    ):
        raise ValueError("`estimators` must be a list of fitted classifiers")

    def estimator(index: Any) -> Any:
        if type(index) is not int or not 0 <= index < len(estimators):
            raise ValueError(f"estimator reference {index!r:.20} outside 0..{len(estimators) - 1}")
        return estimators[index]

    def model(state: Any) -> FittedModel:
        state = dict(state)
        state["estimator"] = estimator(state["estimator"])
        state["bootstrap"] = [estimator(index) for index in state["bootstrap"]]
        return FittedModel.from_state(state)

    models = container["models"]
    fitted = {"final": model(models["final"]), "folds": [model(s) for s in models["folds"]]}
    plain = container["artifact"]
    keys = container["keys"]
    if set(keys) != set(plain) | set(FITTED_KEYS) or len(keys) != len(set(keys)):
        raise ValueError("`keys` do not match the artifact's keys")
    return {key: fitted[key] if key in fitted else plain[key] for key in keys}


def _refused_types(data: bytes) -> list[str]:
    """Types in a skops file that are not in :data:`TRUSTED_TYPES`.

    Both the types skops itself does not trust (``get_untrusted_types``,
    which also looks inside nodes such as functions and random generators)
    and every type named anywhere in the schema, even those skops trusts by
    default (all of scikit-learn's estimators, for instance): the file may
    hold only what our models are made of.
    """
    untrusted = set(skops.io.get_untrusted_types(data=data))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
    return sorted((untrusted | _schema_types(schema)) - set(TRUSTED_TYPES))


def _schema_types(schema: Any) -> set[str]:
    """``module.class`` of every node of a skops schema (its JSON, not built)."""
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__loader__" in node and node["__loader__"] != "CachedNode":
                found.add(f"{node.get('__module__')}.{node.get('__class__')}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a zip whose members would unpack to far more than the file itself."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    limit = max(MIN_UNPACKED_LIMIT, MAX_UNPACK_RATIO * len(data))
    if unpacked > limit:
        raise ValueError(f"its members would unpack to {unpacked:,} bytes, over {limit:,}")


def _unreadable(source: str, exc: Exception) -> ArtifactError:
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return ArtifactError(
        _one_line(
            f"{source}: not a readable skops model file ({reason:.300}); retrain it with "
            "`regime train --config ... --format skops`"
        )
    )


def _names(types: list[str], most: int = 8) -> str:
    """Up to ``most`` type names, each cut to 100 characters, and how many more."""
    shown = ", ".join(name[:100] for name in types[:most])
    return shown + (f" and {len(types) - most} more" if len(types) > most else "")


def _one_line(text: str) -> str:
    """``text`` with every control character escaped, so a message stays on one line."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)
