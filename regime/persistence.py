"""Model artifacts on disk: joblib file, JSON card and Markdown card.

The card carries the artifact's SHA-256; :func:`read_artifact` checks it before
unpickling. Every write is atomic (temporary file, then rename).
"""

from __future__ import annotations

import io
import json
import logging
import platform
from pathlib import Path
from typing import Any

import joblib

from regime._io import atomic_write_bytes, atomic_write_text, sha256_bytes, sha256_file
from regime.exceptions import ArtifactError

logger = logging.getLogger(__name__)

ARTIFACT_FORMAT = "smallcap-regime/2"
# Keys of the artifact that hold fitted models: not copied into the card.
FITTED_KEYS = ("final", "folds")


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


def card_paths(artifact: Path) -> tuple[Path, Path]:
    """Paths of the JSON and Markdown cards beside ``NAME.joblib``."""
    stem = artifact.with_suffix("")
    return stem.with_name(stem.name + ".card.json"), stem.with_name(stem.name + ".md")


def write_artifact(path: str | Path, artifact: dict[str, Any], markdown: str) -> dict[str, Any]:
    """Write the joblib artifact, then its JSON and Markdown cards; return the card."""
    target = Path(path)
    buffer = io.BytesIO()
    joblib.dump(artifact, buffer, compress=3)
    payload = buffer.getvalue()
    card = {k: v for k, v in artifact.items() if k not in FITTED_KEYS}
    card["artifact"] = target.name
    card["sha256"] = sha256_bytes(payload)
    json_path, md_path = card_paths(target)
    atomic_write_bytes(target, payload)
    atomic_write_text(json_path, json.dumps(card, indent=2, default=str) + "\n")
    atomic_write_text(md_path, markdown.replace("{sha256}", card["sha256"]))
    logger.info("wrote %s (%d bytes)", target, len(payload))
    return card


def read_card(path: str | Path) -> dict[str, Any]:
    """The JSON card of an artifact; ArtifactError if it is missing or unreadable."""
    json_path, _ = card_paths(Path(path))
    try:
        return json.loads(json_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(
            f"{json_path}: model card missing; the artifact cannot be verified, retrain it "
            "with `regime train --config ...`"
        ) from None
    except (OSError, ValueError) as exc:
        raise ArtifactError(
            f"{json_path}: unreadable model card ({exc}); retrain the model"
        ) from None


def read_artifact(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify the SHA-256 against the card, then unpickle; return (artifact, card)."""
    target = Path(path)
    if not target.is_file():
        raise ArtifactError(
            f"{target}: model artifact not found; train one with "
            "`regime train --config configs/demo.yaml` or list them with `regime models list`"
        )
    card = read_card(target)
    digest = sha256_file(target)
    if digest != card.get("sha256"):
        raise ArtifactError(
            f"{target}: SHA-256 {digest[:12]}... does not match its card "
            f"({str(card.get('sha256'))[:12]}...); the file changed or is corrupt, retrain it"
        )
    try:
        artifact = joblib.load(target)
    except Exception as exc:  # joblib raises many types for a bad pickle
        raise ArtifactError(f"{target}: cannot unpickle the artifact ({exc}); retrain it") from None
    if not isinstance(artifact, dict) or artifact.get("format") != ARTIFACT_FORMAT:
        found = artifact.get("format") if isinstance(artifact, dict) else type(artifact).__name__
        raise ArtifactError(
            f"{target}: artifact format {found!r} is not {ARTIFACT_FORMAT!r}; retrain it "
            "with this version"
        )
    saved = artifact.get("versions", {})
    current = library_versions()
    for library in ("scikit-learn", "smallcap-regime"):
        if saved.get(library) != current[library]:
            logger.warning(
                "%s was trained with %s %s; this is %s %s: retrain if scores look wrong",
                target,
                library,
                saved.get(library),
                library,
                current[library],
            )
    return artifact, card


def list_models(models_dir: Path) -> str:
    """A table of the models in ``models_dir``, read from their cards (nothing unpickled)."""
    cards = sorted(models_dir.glob("*.card.json"))
    if not cards:
        return f"no models in {models_dir}; train one with `regime train --config ...`"
    lines = [f"{'name':<20} {'trained_at':<21} {'window':<23} {'auc':>6} {'brier':>7}  artifact"]
    for path in cards:
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
            w, m = card["training_window"], card["metrics"]
            lines.append(
                f"{card['name']:<20} {card['trained_at']:<21} {w['start'] + '..' + w['end']:<23} "
                f"{m['auc']:>6.3f} {m['brier']:>7.4f}  {card['artifact']}"
                + ("  (synthetic)" if card.get("synthetic") else "")
            )
        except (OSError, ValueError, KeyError) as exc:
            lines.append(f"{path.name:<20} unreadable card ({exc})")
    return "\n".join(lines)
