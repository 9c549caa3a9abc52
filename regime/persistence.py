"""Model artifacts: their formats, cards, signatures and verification.

A saved model is a model file (``model.joblib``, a pickle, or ``model.skops``,
which runs no code on load) plus its JSON and Markdown cards, saved together
as one version of the model (:mod:`regime.model_store` does the atomic,
versioned save). The card carries the model file's SHA-256, checked before
the file is loaded; the file is read once, so the bytes checked are the bytes
loaded.

Trust: a ``.joblib`` model is code. Unpickling it runs whatever its author
put in it, and whoever can write the file can also rewrite its card, so the
SHA-256 only catches accidents. Load ``.joblib`` models only from people you
trust. To share a model, save it with ``--format skops``: loading it refuses
any type outside :data:`regime.safe_format.TRUSTED_TYPES`. With
``REGIME_MODEL_KEY`` set, ``regime train`` signs the model file (HMAC-SHA256)
and loading refuses, before unpickling, a model whose signature is missing or
wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
import platform
from pathlib import Path
from typing import Any

import joblib

from regime._io import json_safe, sha256_bytes
from regime.exceptions import ArtifactError, ConfigError
from regime.model_store import (
    CARD,
    KEEP_VERSIONS,
    MARKDOWN,
    ModelFiles,
    current_version,
    list_versions,
    locate,
    model_names,
    publish,
)

logger = logging.getLogger(__name__)

ARTIFACT_FORMAT = "smallcap-regime/2"
# Keys of the artifact that hold fitted models: not copied into the card.
FITTED_KEYS = ("final", "folds")
#: Keys scoring reads; an artifact without one of them is refused.
REQUIRED_KEYS = (
    "name",
    "config",
    "config_dir",
    "feature_names",
    "pillar_of",
    "pillars",
    "final",
    "folds",
    "max_age_days",
    "training_window",
)
#: Environment variable holding the key that signs and verifies model files.
SIGNING_KEY_ENV = "REGIME_MODEL_KEY"


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on."""
    import numpy
    import pandas
    import sklearn

    from regime import __version__

    return {
        "python": platform.python_version(),
        "smallcap-regime": __version__,
        "scikit-learn": sklearn.__version__,
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "joblib": joblib.__version__,
    }


def write_artifact(
    models_dir: str | Path,
    artifact: dict[str, Any],
    markdown: str,
    model_format: str = "joblib",
    keep: int = KEEP_VERSIONS,
) -> tuple[Path, dict[str, Any]]:
    """Save ``artifact`` as the next version of its model; return (path, card).

    Call it inside :func:`regime.model_store.model_lock`. The path returned is
    ``models_dir/NAME.joblib`` (or ``.skops``), which names the current version.
    """
    directory, name = Path(models_dir), artifact["name"]
    payload = _dump(artifact, model_format)
    model_file = f"model.{model_format}"
    card = {k: v for k, v in artifact.items() if k not in FITTED_KEYS}
    card["artifact"] = model_file
    card["model_format"] = model_format
    card["sha256"] = sha256_bytes(payload)
    key = _signing_key()
    if key is not None:
        card["signature"] = hmac.new(key, payload, hashlib.sha256).hexdigest()
    files = {
        model_file: payload,
        CARD: (json.dumps(json_safe(card), indent=2, default=str, allow_nan=False) + "\n").encode(
            "utf-8"
        ),
        MARKDOWN: markdown.replace("{sha256}", card["sha256"]).encode("utf-8"),
    }
    saved = publish(directory, name, files, keep)
    card["version"] = int(saved.version or 0)
    logger.info("wrote %s version %s (%d bytes)", directory / name, saved.version, len(payload))
    return directory / f"{name}.{model_format}", card


def _dump(artifact: dict[str, Any], model_format: str) -> bytes:
    if model_format == "skops":
        from regime.safe_format import dump_safe

        return dump_safe(artifact)
    if model_format != "joblib":
        raise ConfigError(f"--format {model_format!r}: use joblib or skops")
    buffer = io.BytesIO()
    joblib.dump(artifact, buffer, compress=3)
    return buffer.getvalue()


def _signing_key() -> bytes | None:
    value = os.environ.get(SIGNING_KEY_ENV, "")
    return value.encode("utf-8") if value else None


def read_card(files: ModelFiles) -> dict[str, Any]:
    """The JSON card of one model version; ArtifactError if missing or not a card."""
    try:
        card = json.loads(files.card.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(
            f"{files.card}: model card missing; the model cannot be verified, retrain it "
            "with `regime train --config ...`"
        ) from None
    except (OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0][:120]
        raise ArtifactError(
            f"{files.card}: unreadable model card ({reason}); retrain the model"
        ) from None
    if not isinstance(card, dict) or not isinstance(card.get("sha256"), str):
        raise ArtifactError(
            f"{files.card}: not a model card (no sha256 field in a JSON object); retrain the model"
        )
    return card


def read_artifact(reference: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify and load the model ``reference`` names; return (artifact, card).

    ``reference`` is ``models/NAME.joblib`` (the current version),
    ``models/NAME@3`` (version 3) or the path of an earlier release's artifact.
    The file's SHA-256 (and signature, with ``REGIME_MODEL_KEY`` set) is checked
    against the card before it is unpickled.
    """
    files = locate(reference)
    card = read_card(files)
    target = files.model_file(card.get("artifact"))
    try:
        payload = target.read_bytes()
    except OSError as exc:
        raise ArtifactError(
            f"{target}: cannot read the model ({exc.strerror}); retrain it"
        ) from None
    digest = sha256_bytes(payload)
    if digest != card["sha256"]:
        raise ArtifactError(
            f"{target}: SHA-256 {digest[:12]}... does not match its card "
            f"({card['sha256'][:12]}...); the file changed or is corrupt, retrain it"
        )
    _check_signature(target, payload, card)
    artifact = _load(target, payload, card.get("model_format", "joblib"))
    _check_artifact(target, artifact)
    card.setdefault("version", int(files.version) if files.version else None)
    _warn_versions(target, artifact)
    return artifact, card


def _check_signature(target: Path, payload: bytes, card: dict[str, Any]) -> None:
    key = _signing_key()
    if key is None:
        return
    signature = card.get("signature")
    if not isinstance(signature, str):
        raise ArtifactError(
            f"{target}: not signed, and {SIGNING_KEY_ENV} is set; retrain it with the key set "
            f"or unset {SIGNING_KEY_ENV} if you trust its author"
        )
    expected = hmac.new(key, payload, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature, expected):
        raise ArtifactError(
            f"{target}: signature does not match {SIGNING_KEY_ENV}; the model was changed or "
            "signed with another key, so it is not loaded: retrain it"
        )


def _load(target: Path, payload: bytes, model_format: str) -> Any:
    if model_format == "skops":
        from regime.safe_format import load_safe

        return load_safe(payload, str(target))
    try:
        return joblib.load(io.BytesIO(payload))
    except Exception as exc:  # joblib raises many types for a bad pickle
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise ArtifactError(f"{target}: cannot unpickle the model ({reason}); retrain it") from None


def _check_artifact(target: Path, artifact: Any) -> None:
    """ArtifactError unless ``artifact`` is a dict of this format with every key scoring reads."""
    from regime.fitted import FittedModel

    if not isinstance(artifact, dict) or artifact.get("format") != ARTIFACT_FORMAT:
        found = artifact.get("format") if isinstance(artifact, dict) else type(artifact).__name__
        raise ArtifactError(
            f"{target}: artifact format {str(found)[:40]!r} is not {ARTIFACT_FORMAT!r}; retrain it "
            "with this version"
        )
    missing = [key for key in REQUIRED_KEYS if key not in artifact]
    if missing:
        raise ArtifactError(
            f"{target}: artifact lacks {', '.join(missing)}; it is incomplete, retrain it"
        )
    models = [artifact["final"], *artifact["folds"]] if isinstance(artifact["folds"], list) else []
    if not models or not all(isinstance(m, FittedModel) for m in models):
        raise ArtifactError(f"{target}: artifact holds no fitted models; retrain it")


def _warn_versions(target: Path, artifact: dict[str, Any]) -> None:
    saved = artifact.get("versions", {})
    current = library_versions()
    for library in ("scikit-learn", "smallcap-regime"):
        if isinstance(saved, dict) and saved.get(library) != current[library]:
            logger.warning(
                "%s was trained with %s %s; this is %s %s: retrain if scores look wrong",
                target,
                library,
                saved.get(library),
                library,
                current[library],
            )


def list_models(models_dir: Path) -> str:
    """A table of every version of every model in ``models_dir``, read from the cards.

    Nothing is unpickled. The current version of each model is marked ``*``;
    a version whose card is broken is listed as broken, and the rest still are.
    """
    names = model_names(models_dir) if models_dir.is_dir() else []
    if not names:
        return f"no models in {models_dir}; train one with `regime train --config ...`"
    lines = [
        f"  {'model@version':<24} {'trained_at':<21} {'as_of':<11} {'auc':>6} "
        f"{'skill':>7}  {'format':<7}"
    ]
    for name in names:
        current = current_version(models_dir, name)
        versions = list_versions(models_dir, name) or [None]
        for version in reversed(versions):
            label = name if version is None else f"{name}@{int(version)}"
            mark = "*" if version == current or version is None else " "
            lines.append(f"{mark} {label:<24} {_card_summary(models_dir, name, version)}")
    lines.append("* current version: what `--model NAME` scores; `--model NAME@N` scores version N")
    return "\n".join(lines)


def _card_summary(models_dir: Path, name: str, version: str | None) -> str:
    """One row of ``models list`` from a card, or why the card cannot be read."""
    reference = models_dir / (f"{name}@{int(version)}" if version else f"{name}.joblib")
    try:
        card = read_card(locate(reference))
        m = card["metrics"]
        return (
            f"{card['trained_at']:<21} {card['as_of']:<11} {m['auc']:>6.3f} "
            f"{m['brier_skill']:>+7.3f}  {card.get('model_format', 'joblib'):<7}"
            + ("  (synthetic)" if card.get("synthetic") else "")
        )
    except ArtifactError as exc:
        return f"broken: {exc}"
    except (KeyError, TypeError, ValueError) as exc:
        return f"broken: {reference}: card lacks {exc}; retrain the model"
