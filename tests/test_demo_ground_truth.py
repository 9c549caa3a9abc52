"""The demo model learns what the simulated sample puts in it (docs/sample-data.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from regime.config import load_config
from regime.data._base import LoadContext
from regime.training import train_config

ROOT = Path(__file__).resolve().parents[1]

#: Signs of the ground truth that a multivariate logistic fit isolates on this sample.
#: Positioning (contrarian) and the 20-day flow trend also carry the regime's momentum,
#: so their partial signs are not asserted here.
EXPECTED_SIGNS = {
    "earnings_revisions.breadth_spread": +1,  # the most direct window on the regime
    "rate_expectations.cuts_delivered_6m": +1,  # delivered cuts enter the drift
    "valuations.rel_pe": -1,  # cheap small caps (low relative P/E) are a tailwind
}


@pytest.mark.slow
def test_demo_recovers_the_sample_signs_and_has_positive_brier_skill(tmp_path: Path):
    config = load_config(ROOT / "configs" / "demo.yaml")
    result = train_config(config, ROOT / "configs", tmp_path, LoadContext())
    assert result.card["metrics"]["brier_skill"] > 0.0
    assert result.card["metrics"]["auc"] > 0.55
    pipeline = result.evaluation.folds[-1].estimator  # any fit: take the newest fold
    final = load_final(result.artifact_path)
    for fitted in (pipeline, final):
        names = list(fitted[:-1].get_feature_names_out())
        coefficients = dict(zip(names, fitted[-1].coef_[0], strict=True))
        for feature, sign in EXPECTED_SIGNS.items():
            assert sign * coefficients[feature] > 0, (feature, coefficients[feature])


def load_final(path: Path):
    from regime.scoring import load_model

    return load_model(path).final.estimator
