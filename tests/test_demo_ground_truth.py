"""The demo model learns what the simulated sample puts in it (docs/sample-data.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from regime.config import load_config
from regime.data._base import LoadContext
from regime.training import train_config

ROOT = Path(__file__).resolve().parents[1]

#: Signs of the ground truth that an unconstrained multivariate logistic fit isolates on
#: this sample. Positioning (contrarian) and the 20-day flow trend also carry the
#: regime's momentum, so unconstrained they come out with small wrong-signed
#: coefficients: the demo enforces the declared signs (``sign_priors: enforce``).
EXPECTED_SIGNS = {
    "earnings_revisions.breadth_spread": +1,  # the most direct window on the regime
    "rate_expectations.cuts_delivered_6m": +1,  # delivered cuts enter the drift
    "valuations.rel_pe": -1,  # cheap small caps (low relative P/E) are a tailwind
}


@pytest.fixture(scope="module")
def demo_config():
    return load_config(ROOT / "configs" / "demo.yaml")


@pytest.mark.slow
def test_unconstrained_demo_recovers_the_sample_signs(demo_config, tmp_path: Path):
    model = demo_config.model.model_copy(update={"sign_priors": "report"})
    config = demo_config.model_copy(update={"model": model})
    result = train_config(config, ROOT / "configs", tmp_path, LoadContext())
    coefficients = {row["feature"]: row["coefficient"] for row in result.card["sign_priors"]}
    for feature, sign in EXPECTED_SIGNS.items():
        assert sign * coefficients[feature] > 0, (feature, coefficients[feature])
    newest_fold = result.evaluation.folds[-1].estimator
    names = list(newest_fold[:-1].get_feature_names_out(result.evaluation.folds[-1].feature_names))
    fold_coefficients = dict(zip(names, newest_fold[-1].coef_[0], strict=True))
    for feature, sign in EXPECTED_SIGNS.items():
        assert sign * fold_coefficients[feature] > 0, (feature, fold_coefficients[feature])


@pytest.mark.slow
def test_demo_enforces_its_signs_and_has_positive_brier_skill(demo_config, tmp_path: Path):
    result = train_config(demo_config, ROOT / "configs", tmp_path, LoadContext())
    metrics = result.card["metrics"]
    assert metrics["brier_skill"] > 0.0 and metrics["auc"] > 0.55
    priors = result.card["sign_priors"]
    assert not any(row["breaks_prior"] for row in priors)
    dropped = {row["feature"] for row in priors if row["prior"] and row["coefficient"] == 0.0}
    assert "positioning.net_spec_z" in dropped  # wrong-signed unconstrained: held at 0
