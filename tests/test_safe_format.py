"""The skops model format: the same models come back, and nothing in a file runs on load."""

from __future__ import annotations

import io
import json
import os
import sys
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.tree import DecisionTreeClassifier

import regime.safe_format as safe_format
import regime.training as training
from regime.calibration import Recalibrator
from regime.config import parse_config
from regime.data._base import LoadContext
from regime.exceptions import ArtifactError
from regime.fitted import FittedModel
from regime.model import PillarAverage, SignConstrained, SignedComposite
from regime.safe_format import SAFE_FORMAT, TRUSTED_TYPES, dump_safe, load_safe

SOURCE = "models/demo/v3/model.skops"


def _variant(
    estimator: str, calibration: str, priors: str, combine: str = "none", params: str = "{}"
) -> dict[str, str]:
    """The model section of a variant: the fields of CONFIG."""
    return {
        "estimator": estimator,
        "calibration": calibration,
        "priors": priors,
        "combine": combine,
        "params": params,
    }


#: Every kind of object a model holds: each recalibration method, SignConstrained,
#: PillarAverage, SignedComposite.
VARIANTS = {
    "logistic_shrink_enforce": _variant("logistic", "shrink", "enforce"),
    "logistic_sigmoid_report": _variant("logistic", "sigmoid", "report"),
    "boosting_isotonic_enforce": _variant(
        "gradient_boosting", "isotonic", "enforce", params="{max_iter: 20}"
    ),
    "pillar_average_enforce": _variant("logistic", "shrink", "enforce", combine="pillars"),
    "signed_pillars": _variant("signed", "shrink", "report", combine="pillars"),
}

CONFIG = """
name: safe_{variant}
data: {{sources: [{{kind: sample, seed: 3, start: 2012-01-02, end: 2018-12-31}}]}}
target: {{small: SMALL_TR, large: LARGE_TR, horizon_days: 42}}
features:
  - builder: flows.relative_flow
  - builder: earnings_revisions.breadth_spread
  - builder: rate_expectations.cuts_delivered
  - builder: valuations.relative_pe
    params: {{window_days: 504, min_days: 126}}
model: {{estimator: {estimator}, calibration: {calibration}, sign_priors: {priors},
         bootstrap: 2, params: {params}, combine: {combine}}}
evaluation: {{min_train_days: 504, step_days: 126, interval_every_days: 252,
              min_calibration_days: 60}}
"""


class _Captured(Exception):
    """Stops train_config once it hands its artifact to persistence (nothing is written)."""


def _train(variant: str, models_dir: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """The artifact dict exactly as train_config builds it, and the training X."""
    config = parse_config(
        CONFIG.format(variant=variant, **VARIANTS[variant]), f"safe_{variant}.yaml"
    )
    seen: dict[str, Any] = {}
    prepare = training.prepare_training

    def prepare_and_keep(*args: Any, **kwargs: Any) -> Any:
        seen["dataset"], seen["data"] = prepare(*args, **kwargs)
        return seen["dataset"], seen["data"]

    def capture(*args: Any, **kwargs: Any) -> Any:
        (seen["artifact"],) = [a for a in [*args, *kwargs.values()] if isinstance(a, dict)]
        raise _Captured

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "prepare_training", prepare_and_keep)
        patch.setattr(training, "write_artifact", capture)
        with pytest.raises(_Captured):
            training.train_config(config, Path("."), models_dir, LoadContext())
    return seen["artifact"], seen["data"].X


@pytest.fixture(scope="module")
def train(tmp_path_factory) -> Callable[[str], tuple[dict[str, Any], pd.DataFrame]]:
    """Train a variant once per module: its artifact and training X."""
    done: dict[str, tuple[dict[str, Any], pd.DataFrame]] = {}

    def get(variant: str) -> tuple[dict[str, Any], pd.DataFrame]:
        if variant not in done:
            done[variant] = _train(variant, tmp_path_factory.mktemp("models"))
        return done[variant]

    return get


class RoundTrip(NamedTuple):
    """A variant's artifact, its training X, its skops file and what loads back from it."""

    variant: str
    artifact: dict[str, Any]
    X: pd.DataFrame
    payload: bytes
    loaded: dict[str, Any]


@pytest.fixture(scope="module", params=list(VARIANTS))
def trained(request, train) -> RoundTrip:
    artifact, X = train(request.param)
    payload = dump_safe(artifact)
    return RoundTrip(request.param, artifact, X, payload, load_safe(payload, SOURCE))


@pytest.fixture(scope="module")
def logistic_artifact(train) -> dict[str, Any]:
    return train("logistic_shrink_enforce")[0]


@pytest.fixture(scope="module")
def logistic_payload(logistic_artifact) -> bytes:
    """A real skops model file, to corrupt."""
    return dump_safe(logistic_artifact)


def _models(artifact: dict[str, Any]) -> list[FittedModel]:
    return [artifact["final"], *artifact["folds"]]


def test_every_model_scores_identically_after_a_round_trip(trained):
    variant, artifact, X, _, loaded = trained

    assert list(loaded) == list(artifact)
    for key in artifact.keys() - set(safe_format.FITTED_KEYS):
        # through JSON text, so that a metric with no value (NaN: no call of that kind) compares
        assert json.dumps(loaded[key], default=str) == json.dumps(artifact[key], default=str), key
    assert len(loaded["folds"]) == len(artifact["folds"]) >= 4
    for before, after in zip(_models(artifact), _models(loaded), strict=True):
        assert isinstance(after, FittedModel)
        np.testing.assert_array_equal(after.predict_proba(X), before.predict_proba(X))
        interval, expected = after.interval(X, 0.9), before.interval(X, 0.9)
        assert interval is not None and expected is not None
        pd.testing.assert_frame_equal(interval, expected, check_exact=True)
        np.testing.assert_array_equal(interval.to_numpy(), expected.to_numpy())
        assert after.summary() == before.summary()
        assert after.neutral == before.neutral and after.feature_names == before.feature_names
        assert after.params == before.params and after.record == before.record
        for name in ("trained_through", "labels_known_through", "available_from"):
            stamp, original = getattr(after, name), getattr(before, name)
            assert stamp == original and stamp.unit == original.unit
        assert after.calibrated_on == before.calibrated_on

    # The variants cover what the file must hold: each recalibration method, SignConstrained
    # and PillarAverage.
    spec = VARIANTS[variant]
    methods = {m.calibrator.method for m in _models(loaded) if m.calibrator is not None}
    assert methods == {spec["calibration"]}
    assert all(isinstance(m.calibrator, Recalibrator | None) for m in _models(loaded))
    final = loaded["final"].estimator
    averaged = spec["combine"] == "pillars"
    assert isinstance(final, PillarAverage) == averaged
    pipelines = [p for _, _, p in final.members_] if averaged else [final]
    assert len(pipelines) == (4 if averaged else 1)
    for pipeline in pipelines:
        assert isinstance(pipeline[-1], SignConstrained) == (
            spec["estimator"] == "logistic" and spec["priors"] == "enforce"
        )
        assert isinstance(pipeline[-1], SignedComposite) == (spec["estimator"] == "signed")


def test_a_model_that_dropped_every_input_comes_back_at_its_base_rate():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 1))
    y = (-X[:, 0] + rng.normal(size=500) > 0).astype(int)  # breaks the declared +1
    held = SignConstrained(LogisticRegression(), signs=(1,)).fit(X, y)
    day = pd.Timestamp("2020-01-02")
    model = FittedModel(held, None, [], {"f": 0.0}, ["f"], day, day, day, 500)
    back = load_safe(dump_safe({"final": model, "folds": [model]}), SOURCE)["final"].estimator
    assert back.estimator_ is None and not back.keep_.any()
    np.testing.assert_array_equal(back.predict_proba(X), held.predict_proba(X))


def test_refits_shared_by_folds_are_stored_once_and_shared_again(trained):
    _, artifact, _, payload, loaded = trained

    def sharing(artifact: dict[str, Any]) -> list[list[int]]:
        # For each model, the position of each refit among the distinct refits.
        order: dict[int, int] = {}
        return [
            [order.setdefault(id(refit), len(order)) for refit in model.bootstrap]
            for model in _models(artifact)
        ]

    before = sharing(artifact)
    assert len({i for refits in before for i in refits}) < sum(map(len, before))  # some shared
    distinct = {id(m.estimator) for m in _models(artifact)}
    distinct |= {id(r) for m in _models(artifact) for r in m.bootstrap}
    top = type(artifact["final"].estimator)
    models = [t for t in _schema_nodes(payload) if t == f"{top.__module__}.{top.__name__}"]
    assert len(models) == len(distinct)  # each fitted model once in the file
    assert sharing(loaded) == before


def _schema_nodes(payload: bytes) -> list[str]:
    """``module.class`` of every node in a skops file's schema, one entry per node."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        stack, found = [json.loads(archive.read("schema.json"))], []
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__loader__" in node:
                found.append(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def test_the_file_holds_only_trusted_types(trained):
    payload = trained.payload
    assert set(skops.io.get_untrusted_types(data=payload)) <= set(TRUSTED_TYPES)
    assert set(_schema_nodes(payload)) <= set(TRUSTED_TYPES)
    assert not any(
        t.startswith(("pandas.", "regime.fitted", "regime.calibration"))
        for t in _schema_nodes(payload)
    )


EVIL_MODULE = """\
from pathlib import Path

Path({imported!r}).write_text("imported")


class Payload:
    def __setstate__(self, state):
        Path({built!r}).write_text("built")
"""


def test_an_untrusted_class_is_refused_and_never_imported_or_built(tmp_path, monkeypatch):
    imported, built = tmp_path / "imported", tmp_path / "built"
    module = "regime_untrusted_payload"
    (tmp_path / f"{module}.py").write_text(
        EVIL_MODULE.format(imported=str(imported), built=str(built))
    )
    monkeypatch.syspath_prepend(str(tmp_path))  # the module stays importable throughout
    evil = __import__(module)
    obj = evil.Payload()
    obj.value = 1
    payload = skops.io.dumps({"format": SAFE_FORMAT, "models": {"final": obj}})
    imported.unlink()
    monkeypatch.delitem(sys.modules, module)

    with pytest.raises(ArtifactError) as caught:
        load_safe(payload, SOURCE)
    message = str(caught.value)
    assert message.startswith(f"{SOURCE}: refused: ")
    assert f"{module}.Payload" in message and "\n" not in message
    assert "Retrain" in message and ".joblib" in message
    assert caught.value.exit_code == 4
    assert not imported.exists() and not built.exists()
    assert module not in sys.modules

    # The control: a plain skops load that trusts the type imports and builds it.
    skops.io.loads(payload, trusted=[f"{module}.Payload"])
    assert imported.read_text() == "imported" and built.read_text() == "built"


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (os.system, [f"{os.system.__module__}.system"]),
        (partial(os.system, "true"), ["functools.partial", f"{os.system.__module__}.system"]),
        # skops trusts every scikit-learn estimator by default; our list does not.
        (DecisionTreeClassifier(), ["sklearn.tree._classes.DecisionTreeClassifier"]),
    ],
    ids=["function", "partial", "estimator_skops_trusts"],
)
def test_a_type_outside_the_list_is_refused_by_name(value, names):
    payload = skops.io.dumps({"format": SAFE_FORMAT, "models": {"run": value}})
    with pytest.raises(ArtifactError, match=rf"^{SOURCE}: refused: ") as caught:
        load_safe(payload, SOURCE)
    assert all(name in str(caught.value) for name in names)
    assert "\n" not in str(caught.value)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _flip_middle(payload: bytes) -> bytes:
    middle = len(payload) // 2
    return (
        payload[:middle]
        + bytes(b ^ 0xFF for b in payload[middle : middle + 64])
        + (payload[middle + 64 :])
    )


def _container_with(edit: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    """A corruption that loads the real container, edits it and writes it back."""

    def corrupt(payload: bytes) -> bytes:
        container = skops.io.loads(payload, trusted=TRUSTED_TYPES)
        edit(container)
        return skops.io.dumps(container)

    return corrupt


CORRUPTIONS: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda p: b"",
    "first_100_bytes": lambda p: p[:100],
    "first_half": lambda p: p[: len(p) // 2],
    "last_byte_dropped": lambda p: p[:-1],
    "random_bytes": lambda p: np.random.default_rng(0).bytes(len(p)),
    "bytes_flipped_inside": _flip_middle,
    "text": lambda p: b"not a model\n",
    "zip_without_schema": lambda p: _zip({"model.txt": b"hello"}),
    "schema_not_json": lambda p: _zip({"schema.json": b"{not json"}),
    "schema_nested_too_deep": lambda p: _zip({"schema.json": b"[" * 100_000}),
    "schema_from_the_future": lambda p: _zip({"schema.json": b'{"protocol": 99}'}),
    "skops_of_a_plain_dict": lambda p: skops.io.dumps({"a": 1}),
    "skops_of_a_list": lambda p: skops.io.dumps([1, 2]),
    "estimator_out_of_range": _container_with(
        lambda c: c["models"]["final"].update(estimator=10_000)
    ),
    "estimator_not_a_classifier": _container_with(lambda c: c["estimators"].append("x")),
    "model_field_missing": _container_with(lambda c: c["models"]["final"].pop("rows")),
    "bad_timestamp": _container_with(
        lambda c: c["models"]["folds"][0].update(trained_through=["2020-13-45", "ns"])
    ),
    "keys_do_not_match": _container_with(lambda c: c["keys"].append("extra")),
}


@pytest.mark.parametrize("corrupt", list(CORRUPTIONS))
def test_a_corrupt_file_is_an_artifact_error(logistic_payload, corrupt):
    payload = CORRUPTIONS[corrupt](logistic_payload)
    with pytest.raises(ArtifactError, match=rf"^{SOURCE}: not a readable skops model file") as e:
        load_safe(payload, SOURCE)
    assert "\n" not in str(e.value) and e.value.exit_code == 4


def test_a_zip_bomb_is_refused_before_it_is_unpacked(monkeypatch):
    monkeypatch.setattr(safe_format, "MIN_UNPACKED_LIMIT", 10_000)
    payload = _zip({"schema.json": b" " * 1_000_000})  # about 1,000 times its compressed size
    with pytest.raises(ArtifactError, match=r"would unpack to 1,000,000 bytes"):
        load_safe(payload, SOURCE)


def test_a_message_stays_on_one_line_whatever_the_file_names():
    payload = skops.io.dumps({"x": 1})
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        schema = json.loads(archive.read("schema.json"))
    schema["content"]["x"]["__class__"] = "evil\nerror: forged second line"
    schema["content"]["x"]["__loader__"] = "ObjectNode"
    del schema["content"]["x"]["content"]
    forged = _zip({"schema.json": json.dumps(schema).encode()})
    with pytest.raises(ArtifactError, match=r"refused: .*evil\\nerror: forged") as caught:
        load_safe(forged, SOURCE)
    assert "\n" not in str(caught.value)


def test_dump_refuses_a_value_the_file_may_not_hold(logistic_artifact):
    artifact = logistic_artifact
    with pytest.raises(ArtifactError, match=r"cannot save .* pandas\.Timestamp"):
        dump_safe({**artifact, "as_of": pd.Timestamp("2018-12-31")})
    with pytest.raises(TypeError, match=r"artifact\['final'\] must be a FittedModel"):
        dump_safe({**artifact, "final": None})
