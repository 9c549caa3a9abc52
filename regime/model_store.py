"""Where a model lives on disk: versioned directories swapped by one rename.

Layout of model ``NAME`` in a models directory::

    NAME.joblib     -> NAME.versions/current/model.joblib   links that never change
    NAME.card.json  -> NAME.versions/current/card.json
    NAME.md         -> NAME.versions/current/card.md
    NAME.versions/
        current -> 0003      the one link a save replaces
        0001/ 0002/ 0003/    model file, card.json, card.md; never changed once in place
        .lock                held by the `regime train` of NAME while it runs

A save writes every file of the new version into a staging directory, renames
it to the next version number, then replaces ``current`` with one atomic
rename. A kill at any point leaves ``current`` on a complete version: the old
one or the new one. Readers resolve ``current`` once and read the model file
and its card from the same version directory, so they never see a
half-swapped pair. The next save, under the lock, removes what a killed save
left behind (staging directories, temporary links, a version that was renamed
into place but never made current). Older versions are kept (``keep``, default
:data:`KEEP_VERSIONS`) and can be scored with ``--model NAME@VERSION``.

Models written by earlier releases (``NAME.joblib`` and ``NAME.card.json`` as
plain files) are still read, and the first save adopts them as version 1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from regime.exceptions import ArtifactError

#: Versions kept per model, the current one included.
KEEP_VERSIONS = 10
#: Test hook: the save pauses before its Nth file operation (1-based) and waits to be killed.
PAUSE_ENV = "REGIME_TEST_PAUSE_AT_SAVE_STEP"
CURRENT = "current"
CARD = "card.json"
MARKDOWN = "card.md"
MODEL_FILES = ("model.joblib", "model.skops")
_VERSION = re.compile(r"^\d{4,}$")
# Names of what a save writes before it is in place (removed by the next save if killed).
_STAGING, _CURRENT_TMP, _LINK_TMP = ".staging-", ".current.tmp-", ".link.tmp-"


@dataclass(frozen=True)
class ModelFiles:
    """The files of one version of a model, all read from one directory."""

    name: str
    directory: Path
    version: str | None  # None for a model written by an earlier release
    card: Path
    markdown: Path

    def model_file(self, artifact_name: str | None) -> Path:
        """The model file named by the card (``model.joblib`` or ``model.skops``)."""
        if self.version is None:
            return self.directory / f"{self.name}.joblib"
        if artifact_name not in MODEL_FILES:
            raise ArtifactError(
                f"{self.card}: names the model file {artifact_name!r}, not one of "
                f"{', '.join(MODEL_FILES)}; retrain the model"
            )
        return self.directory / artifact_name


def versions_dir(models_dir: Path, name: str) -> Path:
    """The directory that holds every version of ``name``."""
    return models_dir / f"{name}.versions"


def split_reference(reference: str | Path) -> tuple[Path, str, str | None]:
    """``(models_dir, name, version)`` named by ``models/NAME.joblib`` or ``models/NAME@3``.

    The suffix (``.joblib``, ``.skops``) only names the model; a version is
    a number after ``@`` (``demo@3``).
    """
    text = str(reference)
    version = None
    head, at, tail = text.rpartition("@")
    if at and tail.isdigit() and "/" not in tail:
        text, version = head, f"{int(tail):04d}"
    path = Path(text)
    name = path.name
    for suffix in (".joblib", ".skops", ".card.json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.parent, name, version


def current_version(models_dir: Path, name: str) -> str | None:
    """The version ``current`` points at, or None when the model has none."""
    try:
        target = os.readlink(versions_dir(models_dir, name) / CURRENT)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ArtifactError(f"{versions_dir(models_dir, name)}: unreadable ({exc})") from None
    return target if _VERSION.match(target) else None


def list_versions(models_dir: Path, name: str) -> list[str]:
    """Every complete version of ``name``, oldest first."""
    root = versions_dir(models_dir, name)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if _VERSION.match(p.name) and p.is_dir())


def model_names(models_dir: Path) -> list[str]:
    """Names of the models in ``models_dir`` (versioned and earlier-release ones)."""
    names = {p.name[: -len(".versions")] for p in models_dir.glob("*.versions") if p.is_dir()}
    names |= {
        p.name[: -len(".card.json")]
        for p in models_dir.glob("*.card.json")
        if p.is_file() and not p.is_symlink()
    }
    return sorted(names)


def locate(reference: str | Path) -> ModelFiles:
    """The files of the model version ``reference`` names (its current one by default).

    Raises ArtifactError, naming the path and what to do, when there is none.
    """
    models_dir, name, version = split_reference(reference)
    root = versions_dir(models_dir, name)
    if version is None:
        version = current_version(models_dir, name)
        if version is None:
            legacy = models_dir / f"{name}.joblib"
            if legacy.is_file() and not legacy.is_symlink():
                return ModelFiles(
                    name,
                    models_dir,
                    None,
                    models_dir / f"{name}.card.json",
                    models_dir / f"{name}.md",
                )
            raise ArtifactError(
                f"{reference}: model artifact not found; train one with "
                "`regime train --config configs/demo.yaml` or list them with `regime models list`"
            )
    directory = root / version
    if not directory.is_dir():
        known = ", ".join(str(int(v)) for v in list_versions(models_dir, name)) or "none"
        raise ArtifactError(
            f"{reference}: model {name} has no version {int(version)} (versions: {known}); "
            "see `regime models list`"
        )
    return ModelFiles(name, directory, version, directory / CARD, directory / MARKDOWN)


@contextmanager
def model_lock(models_dir: Path, name: str) -> Iterator[None]:
    """Hold the lock of model ``name`` (one `regime train` of a model at a time).

    A second train of the same model fails at once with ArtifactError instead
    of racing the first one to the save.
    """
    from filelock import FileLock, Timeout

    root = versions_dir(models_dir, name)
    _mkdir(root)
    lock = FileLock(root / ".lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise ArtifactError(
            f"{root}: another `regime train` of {name} is running (it holds {root / '.lock'}); "
            "wait for it to finish, or train under another name"
        ) from None
    try:
        yield
    finally:
        lock.release()


class _Steps:
    """Counts a save's file operations; pauses at the one :data:`PAUSE_ENV` names."""

    def __init__(self) -> None:
        value = os.environ.get(PAUSE_ENV, "")
        self.pause_at = int(value) if value.isdigit() else None
        self.count = 0

    def __call__(self, what: str) -> None:
        self.count += 1
        if self.count == self.pause_at:
            print(f"paused before save step {self.count}: {what}", file=sys.stderr, flush=True)
            while True:  # until the test kills the process
                time.sleep(60)


def publish(
    models_dir: Path, name: str, files: Mapping[str, bytes], keep: int = KEEP_VERSIONS
) -> ModelFiles:
    """Save ``files`` (file name to bytes) as the next version of ``name`` and make it current.

    Call it while holding :func:`model_lock`. A write error (disk full, file
    too large) raises ArtifactError naming the file; the current version is
    then unchanged and nothing of the failed save is left.
    """
    step = _Steps()
    root = versions_dir(models_dir, name)
    clean_leftovers(models_dir, name)
    _adopt_earlier_release(models_dir, name, step)
    versions = list_versions(models_dir, name)
    version = f"{int(versions[-1]) + 1 if versions else 1:04d}"
    _stage_version(root, version, files, step)
    _point(root / CURRENT, version, step, "make version current")
    model_file = next(f for f in files if f in MODEL_FILES)
    _link_top_level(models_dir, name, model_file, step)
    step("remove old versions")
    for old in list_versions(models_dir, name)[:-keep] if keep > 0 else []:
        if old != version:
            shutil.rmtree(root / old, ignore_errors=True)
    return locate(models_dir / f"{name}@{int(version)}")


def clean_leftovers(models_dir: Path, name: str) -> None:
    """Remove what a killed save of ``name`` left: temporaries and a never-current version."""
    root = versions_dir(models_dir, name)
    if not root.is_dir():
        return
    current = current_version(models_dir, name)
    for path in root.iterdir():
        never_current = _VERSION.match(path.name) and (
            current is None or int(path.name) > int(current)
        )
        if path.name.startswith((_STAGING, _CURRENT_TMP, _LINK_TMP)) or never_current:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    for path in models_dir.glob(f".{name}.*{_LINK_TMP}*"):
        path.unlink(missing_ok=True)


def _adopt_earlier_release(models_dir: Path, name: str, step: _Steps) -> None:
    """Copy a plain ``NAME.joblib`` + card of an earlier release in as version 1."""
    legacy = models_dir / f"{name}.joblib"
    root = versions_dir(models_dir, name)
    if not legacy.is_file() or legacy.is_symlink() or current_version(models_dir, name):
        return
    files = {
        target: source.read_bytes()
        for source, target in (
            (legacy, "model.joblib"),
            (models_dir / f"{name}.card.json", CARD),
            (models_dir / f"{name}.md", MARKDOWN),
        )
        if source.is_file()
    }
    if CARD in files:
        files[CARD] = _renamed_in_card(files[CARD], "model.joblib")
    _stage_version(root, "0001", files, step)
    _point(root / CURRENT, "0001", step, "make the adopted version current")


def _stage_version(root: Path, version: str, files: Mapping[str, bytes], step: _Steps) -> None:
    """Write ``files`` into a staging directory, then rename it to ``root/version``.

    On any failure the staging directory is removed and nothing is renamed.
    """
    staging = root / f"{_STAGING}{uuid.uuid4().hex[:12]}"
    try:
        step("create the staging directory")
        _mkdir(staging)
        for file_name, payload in files.items():
            step(f"write {file_name}")
            _write(staging / file_name, payload)
        step(f"rename the staging directory to version {version}")
        _fsync_dir(staging)
        os.rename(staging, root / version)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _renamed_in_card(payload: bytes, model_file: str) -> bytes:
    """The JSON card ``payload`` with its ``artifact`` field naming ``model_file``."""
    try:
        card = json.loads(payload)
    except ValueError:
        return payload  # a broken card stays broken; loading reports it
    if isinstance(card, dict):
        card["artifact"] = model_file
    return (json.dumps(card, indent=2) + "\n").encode("utf-8")


def _link_top_level(models_dir: Path, name: str, model_file: str, step: _Steps) -> None:
    """Point ``NAME.joblib`` (or ``.skops``), ``NAME.card.json`` and ``NAME.md`` into current."""
    suffix = Path(model_file).suffix
    for other in {".joblib", ".skops"} - {suffix}:  # the link of a format no longer current
        stale = models_dir / f"{name}{other}"
        if stale.is_symlink():
            step(f"remove the {other} link")
            stale.unlink()
    for link, target in (
        (f"{name}{suffix}", model_file),
        (f"{name}.card.json", CARD),
        (f"{name}.md", MARKDOWN),
    ):
        path = models_dir / link
        wanted = f"{name}.versions/{CURRENT}/{target}"
        if path.is_symlink() and os.readlink(path) == wanted:
            continue
        _point(path, wanted, step, f"link {link}")


def _point(path: Path, target: str, step: _Steps, what: str) -> None:
    """Make ``path`` a symlink to ``target`` with one rename (atomic)."""
    token = uuid.uuid4().hex[:12]
    is_current = path.name == CURRENT
    temporary = path.with_name(
        f"{_CURRENT_TMP}{token}" if is_current else f".{path.name}{_LINK_TMP}{token}"
    )
    step(f"{what}: create a temporary link")
    os.symlink(target, temporary)
    try:
        step(f"{what}: rename the link into place")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _mkdir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot create the directory ({exc.strerror})") from None


def _write(path: Path, payload: bytes) -> None:
    """Write and fsync one file; ArtifactError naming it on any write error."""
    try:
        with open(path, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise ArtifactError(
            f"{path}: cannot write the model ({exc.strerror}); free space or pick another "
            "--models-dir: the current model is unchanged"
        ) from None


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
