"""Versioned, atomic model saving: kills at every file operation, locks, versions, trust.

The kill tests pause `regime train` before a chosen file operation of its save
(the ``REGIME_TEST_PAUSE_AT_SAVE_STEP`` hook), score the model while the
writer is paused, SIGKILL the writer, and check that the previous model still
loads and scores identically and that the next save removes every leftover.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from regime.exceptions import ArtifactError
from regime.model_store import (
    PAUSE_ENV,
    clean_leftovers,
    current_version,
    list_versions,
    locate,
    model_lock,
    publish,
    split_reference,
)
from regime.persistence import list_models, read_artifact
from tests.conftest import SMALL_NAME

SCORE_ARGS = ("--date", "2018-06-01", "--json")
TEMPORARY_MARKERS = (".staging-", ".tmp")


def _files(tag: str) -> dict[str, bytes]:
    card = {"sha256": hashlib.sha256(tag.encode()).hexdigest(), "artifact": "model.joblib"}
    return {
        "model.joblib": tag.encode(),
        "card.json": json.dumps(card).encode(),
        "card.md": f"# {tag}".encode(),
    }


def _temporaries(models_dir: Path) -> list[str]:
    return sorted(
        str(p.relative_to(models_dir))
        for p in models_dir.rglob("*")
        if any(marker in p.name for marker in TEMPORARY_MARKERS)
    )


# -- the store, in process ------------------------------------------------------------------


def test_each_save_is_a_new_version_and_current_moves(tmp_path: Path):
    for tag in ("a", "b", "c"):
        publish(tmp_path, "m", _files(tag), keep=10)
    assert list_versions(tmp_path, "m") == ["0001", "0002", "0003"]
    assert current_version(tmp_path, "m") == "0003"
    assert (tmp_path / "m.joblib").read_bytes() == b"c"  # the stable name follows current
    assert locate(tmp_path / "m@1").card.parent.name == "0001"
    assert locate(tmp_path / "m.joblib").version == "0003"
    with pytest.raises(ArtifactError, match=r"no version 9 \(versions: 1, 2, 3\)"):
        locate(tmp_path / "m@9")


def test_keep_prunes_the_oldest_versions_never_the_current(tmp_path: Path):
    for tag in "abcde":
        publish(tmp_path, "m", _files(tag), keep=2)
    assert list_versions(tmp_path, "m") == ["0004", "0005"]
    assert (tmp_path / "m.joblib").read_bytes() == b"e"


def test_leftovers_of_a_killed_save_are_removed(tmp_path: Path):
    publish(tmp_path, "m", _files("a"))
    root = tmp_path / "m.versions"
    (root / ".staging-dead").mkdir()
    (root / ".staging-dead" / "model.joblib").write_bytes(b"half")
    (root / "0002").mkdir()  # renamed into place, never made current
    os.symlink("0002", root / ".current.tmp-dead")
    os.symlink("x", tmp_path / ".m.joblib.link.tmp-dead")
    clean_leftovers(tmp_path, "m")
    assert sorted(p.name for p in root.iterdir()) == ["0001", "current"]
    assert not (tmp_path / ".m.joblib.link.tmp-dead").is_symlink()
    assert current_version(tmp_path, "m") == "0001"


def test_a_model_of_an_earlier_release_is_adopted_as_version_1(tmp_path: Path):
    (tmp_path / "m.joblib").write_bytes(b"old")
    (tmp_path / "m.card.json").write_text('{"sha256": "x", "artifact": "m.joblib"}', "utf-8")
    (tmp_path / "m.md").write_text("# old", "utf-8")
    assert locate(tmp_path / "m.joblib").version is None  # read as it is until a save
    publish(tmp_path, "m", _files("new"))
    assert list_versions(tmp_path, "m") == ["0001", "0002"]
    adopted = locate(tmp_path / "m@1")
    assert (adopted.directory / "model.joblib").read_bytes() == b"old"
    assert json.loads(adopted.card.read_text("utf-8"))["artifact"] == "model.joblib"
    assert (tmp_path / "m.joblib").is_symlink() and (tmp_path / "m.joblib").read_bytes() == b"new"
    assert _temporaries(tmp_path) == []


def test_a_second_holder_of_the_lock_fails_at_once(tmp_path: Path):
    with model_lock(tmp_path, "m"):
        started = time.monotonic()
        with pytest.raises(ArtifactError, match="another `regime train` of m is running"):
            with model_lock(tmp_path, "m"):
                pass
        assert time.monotonic() - started < 5
    with model_lock(tmp_path, "m"):  # released
        pass


def test_a_failed_write_names_the_file_and_keeps_the_current_version(tmp_path: Path):
    publish(tmp_path, "m", _files("a"))
    files = {**_files("b"), "model.joblib": None}

    def limited() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    script = (
        "import sys; from pathlib import Path; from regime.model_store import publish; "
        f"files = {files!r}; files['model.joblib'] = b'x' * 200_000; "
        f"publish(Path({str(tmp_path)!r}), 'm', files)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], preexec_fn=limited, capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "model.joblib: cannot write the model (File too large)" in proc.stderr
    assert "the current model is unchanged" in proc.stderr
    assert (tmp_path / "m.joblib").read_bytes() == b"a"
    assert _temporaries(tmp_path) == []


def test_references_name_model_and_version():
    assert split_reference("models/demo.joblib") == (Path("models"), "demo", None)
    assert split_reference("models/demo.skops@12") == (Path("models"), "demo", "0012")
    assert split_reference("m/demo@2") == (Path("m"), "demo", "0002")
    assert split_reference("a@b/demo.joblib") == (Path("a@b"), "demo", None)


# -- `regime train` killed at every file operation of its save --------------------------------


def _train(small_config_path: Path, models_dir: Path, env: dict[str, str], **popen):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "regime.cli",
            "train",
            "--config",
            str(small_config_path),
            "--models-dir",
            str(models_dir),
        ],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        **popen,
    )


def _wait_for_pause(proc: subprocess.Popen) -> str | None:
    """The pause line of ``proc`` (None if it finished without pausing)."""
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("paused before save step"):
            return line.strip()
    proc.wait(timeout=60)
    return None


def _scores_here(reference: Path) -> dict:
    """Load and score the model in this process (faster than a CLI run, same JSON)."""
    from regime.scoring import load_model

    return json.loads(load_model(reference).score(SCORE_ARGS[1]).to_json())


def _scores(reference: Path, env: dict[str, str]) -> dict:
    """Load and score the model in a fresh process (as a user would)."""
    proc = subprocess.run(
        [sys.executable, "-m", "regime.cli", "score", "--model", str(reference), *SCORE_ARGS],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def quick_config_path(small_config: dict, tmp_path: Path) -> Path:
    """The small config without bootstrap refits or search: a train of about a second."""
    import yaml

    small_config["model"].pop("search", None)
    small_config["model"]["bootstrap"] = 0
    path = tmp_path / "quick.yaml"
    path.write_text(yaml.safe_dump(small_config, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_killed_at_every_save_step_the_previous_model_survives(
    quick_config_path: Path, cli_env: dict[str, str], tmp_path: Path
):
    small_config_path = quick_config_path
    models = tmp_path / "models"
    first = _train(small_config_path, models, cli_env)
    assert _wait_for_pause(first) is None and first.returncode == 0
    reference = models / f"{SMALL_NAME}.joblib"
    baseline_card = json.loads((models / f"{SMALL_NAME}.card.json").read_text("utf-8"))
    baseline = _scores(reference, cli_env)

    paused_steps = []
    leftovers: list[str] = []
    past_swap = False  # whether the killed save had already made its version current
    for step in range(1, 30):
        proc = _train(small_config_path, models, {**cli_env, PAUSE_ENV: str(step)})
        line = _wait_for_pause(proc)
        if line is None:  # past the last step: the save completed
            assert proc.returncode == 0
            break
        paused_steps.append(line)
        # What the previous run left behind is gone before this save writes anything.
        assert not [p for p in leftovers if (models / p).exists() or (models / p).is_symlink()]
        # A reader during the save sees one complete version, and it scores as before.
        during = read_artifact(reference)[1]
        assert during["sha256"] in {
            baseline_card["sha256"],
            json.loads((models / f"{SMALL_NAME}.card.json").read_text("utf-8"))["sha256"],
        }
        assert _scores_here(reference) == baseline
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        # After the kill: the current model loads and scores identically.
        assert _scores_here(reference) == baseline
        current = current_version(models, SMALL_NAME)
        if not past_swap:
            assert current == "0001", line
        past_swap = past_swap or "make version current: rename" in line
        leftovers = _temporaries(models)
    else:
        pytest.fail("the save never completed")
    # Every file operation was a kill point, and the last run cleaned everything up.
    assert len(paused_steps) >= 8, paused_steps
    assert any("write model.joblib" in line for line in paused_steps)
    assert any("make version current: rename" in line for line in paused_steps)
    assert _temporaries(models) == []
    current = current_version(models, SMALL_NAME)
    assert current is not None and set(list_versions(models, SMALL_NAME)) <= {
        f"{n:04d}" for n in range(1, int(current) + 1)
    }
    assert _scores(reference, cli_env) == baseline
    assert "*" in list_models(models)


@pytest.mark.slow
def test_concurrent_train_of_the_same_model_fails_clearly(
    run_cli, quick_config_path: Path, cli_env: dict[str, str], tmp_path: Path
):
    models = tmp_path / "models"
    holder = _train(quick_config_path, models, {**cli_env, PAUSE_ENV: "1"})
    try:
        assert _wait_for_pause(holder) is not None
        second = run_cli("train", "--config", quick_config_path, "--models-dir", models, timeout=60)
        assert second.returncode == 4
        (line,) = [x for x in second.stderr.splitlines() if x.startswith("error:")]
        assert f"another `regime train` of {SMALL_NAME} is running" in line
    finally:
        holder.kill()
        holder.wait(timeout=30)


@pytest.mark.slow
def test_sigterm_and_ctrl_c_during_a_save_exit_143_and_130(
    quick_config_path: Path, cli_env: dict[str, str], tmp_path: Path
):
    small_config_path = quick_config_path
    models = tmp_path / "models"
    for signum, code, message in (
        (signal.SIGTERM, 143, "error: terminated"),
        (signal.SIGINT, 130, "error: interrupted"),
    ):
        # A suite started in the background (`make test &`) passes SIGINT on ignored, and
        # Python then keeps ignoring it: give the child the default, as a terminal would.
        proc = _train(
            small_config_path,
            models,
            {**cli_env, PAUSE_ENV: "3"},
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        assert _wait_for_pause(proc) is not None
        proc.send_signal(signum)
        assert proc.wait(timeout=30) == code
        assert proc.stderr is not None
        assert message in proc.stderr.read()
        # The interrupted save removed its own staging directory.
        assert _temporaries(models) == []
        assert current_version(models, SMALL_NAME) is None


# -- loading: what is refused, with exit 4 and one line ------------------------------------


def _copy_version(trained_model: Path, tmp_path: Path) -> Path:
    """A private copy of the trained model's directory (its links and versions)."""
    import shutil

    target = tmp_path / "models"
    shutil.copytree(trained_model.parent, target, symlinks=True)
    return target / trained_model.name


@pytest.mark.parametrize(
    "card_text, reason",
    [
        ("[]", "not a model card"),
        ("null", "not a model card"),
        ("{", "unreadable model card"),
        ('{"sha256": 5}', "not a model card"),
    ],
)
def test_a_card_that_is_not_a_card_exits_4_and_models_list_goes_on(
    run_cli, trained_model: Path, tmp_path: Path, card_text: str, reason: str
):
    artifact = _copy_version(trained_model, tmp_path)
    card = artifact.parent / f"{SMALL_NAME}.card.json"
    card.resolve().write_text(card_text, encoding="utf-8")
    proc = run_cli("score", "--model", artifact, *SCORE_ARGS)
    assert proc.returncode == 4
    (line,) = proc.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: ") and reason in line and "card.json" in line
    listing = run_cli("models", "list", "--models-dir", artifact.parent)
    assert listing.returncode == 0
    assert f"{SMALL_NAME}@1" in listing.stdout and "broken:" in listing.stdout


def _rewrite_artifact(artifact: Path, change) -> None:
    """Load the artifact, apply ``change``, save it back with a matching card."""
    import io

    import joblib

    model_file = artifact.resolve()
    payload = joblib.load(model_file)
    buffer = io.BytesIO()
    joblib.dump(change(payload), buffer)
    model_file.write_bytes(buffer.getvalue())
    card_file = (artifact.parent / f"{SMALL_NAME}.card.json").resolve()
    card = json.loads(card_file.read_text("utf-8"))
    card["sha256"] = hashlib.sha256(buffer.getvalue()).hexdigest()
    card_file.write_text(json.dumps(card), encoding="utf-8")


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda a: {k: v for k, v in a.items() if k != "folds"}, "lacks folds"),
        (lambda a: {**a, "final": "nothing"}, "holds no fitted models"),
        (lambda a: [1, 2], "artifact format 'list'"),
        (lambda a: {**a, "config": {**a["config"], "target": {"small": 3}}}, "embedded config"),
    ],
)
def test_a_malformed_artifact_exits_4_with_one_line(
    run_cli, trained_model: Path, tmp_path: Path, change, reason: str
):
    artifact = _copy_version(trained_model, tmp_path)
    _rewrite_artifact(artifact, change)
    proc = run_cli("score", "--model", artifact, *SCORE_ARGS)
    assert proc.returncode == 4, proc.stderr
    errors = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and reason in errors[0], proc.stderr
    assert "\n" not in proc.stderr.strip().split("error:", 1)[1]


def test_a_signed_model_whose_signature_fails_is_refused_before_unpickling(
    run_cli, quick_config_path: Path, tmp_path: Path
):
    small_config_path = quick_config_path
    models = tmp_path / "models"
    key = {"REGIME_MODEL_KEY": "s3cret"}
    trained = run_cli("train", "--config", small_config_path, "--models-dir", models, env=key)
    assert trained.returncode == 0, trained.stderr
    artifact = models / f"{SMALL_NAME}.joblib"
    card = json.loads((models / f"{SMALL_NAME}.card.json").read_text("utf-8"))
    assert len(card["signature"]) == 64
    assert run_cli("score", "--model", artifact, *SCORE_ARGS, env=key).returncode == 0
    wrong = run_cli("score", "--model", artifact, *SCORE_ARGS, env={"REGIME_MODEL_KEY": "other"})
    assert wrong.returncode == 4 and "signature does not match REGIME_MODEL_KEY" in wrong.stderr

    # A payload that would run code: rewritten with a matching SHA-256 but no valid signature.
    marker = tmp_path / "ran"
    evil = f"__import__('pathlib').Path({str(marker)!r}).write_text('x')"

    class RunsCode:
        def __reduce__(self):
            return (eval, (evil,))

    _rewrite_artifact(artifact, lambda a: {**a, "evil": RunsCode()})
    refused = run_cli("score", "--model", artifact, *SCORE_ARGS, env=key)
    assert refused.returncode == 4 and "signature does not match" in refused.stderr
    assert not marker.exists(), "the payload ran before the signature was checked"
    # Without the key, the same file runs its code: that is why .joblib files need trust.
    run_cli("score", "--model", artifact, *SCORE_ARGS)
    assert marker.exists()


@pytest.mark.slow
def test_a_skops_model_scores_like_joblib_and_an_untrusted_one_is_refused(
    run_cli, small_config_path: Path, trained_model: Path, tmp_path: Path
):
    import skops.io

    models = tmp_path / "models"
    trained = run_cli(
        "train", "--config", small_config_path, "--models-dir", models, "--format", "skops"
    )
    assert trained.returncode == 0, trained.stderr
    safe = models / f"{SMALL_NAME}.skops"
    assert safe.resolve().name == "model.skops"
    by_skops = run_cli("score", "--model", safe, *SCORE_ARGS)
    by_joblib = run_cli("score", "--model", trained_model, *SCORE_ARGS)
    assert by_skops.returncode == 0, by_skops.stderr
    skops_card, joblib_card = json.loads(by_skops.stdout), json.loads(by_joblib.stdout)
    assert skops_card["probability"] == joblib_card["probability"]
    assert skops_card["interval"] == joblib_card["interval"]

    # A file that would call os.system when loaded, with a card that matches it.
    payload = skops.io.dumps({"format": "x", "run": os.system})
    safe.resolve().write_bytes(payload)
    card_file = (models / f"{SMALL_NAME}.card.json").resolve()
    card = json.loads(card_file.read_text("utf-8"))
    card["sha256"] = hashlib.sha256(payload).hexdigest()
    card_file.write_text(json.dumps(card), encoding="utf-8")
    refused = run_cli("score", "--model", safe, *SCORE_ARGS)
    assert refused.returncode == 4
    (line,) = [x for x in refused.stderr.splitlines() if x.startswith("error:")]
    assert "not on the trusted list" in line and "system" in line


def test_the_card_is_strict_json_when_a_metric_is_undefined(tmp_path: Path):
    from regime.persistence import write_artifact

    metrics = {"overweight_hit_rate": float("nan"), "sharpe": float("inf"), "auc": 0.5}
    write_artifact(tmp_path, {"name": "m", "metrics": metrics}, "# m\n")
    text = (tmp_path / "m.card.json").read_text("utf-8")
    card = json.loads(text, parse_constant=lambda word: pytest.fail(f"{word} in the card"))
    assert card["metrics"] == {"overweight_hit_rate": None, "sharpe": None, "auc": 0.5}
