"""The estimators the configs build, on the missing data real pillars have."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regime.config import ModelConfig
from regime.model import make_estimator


@pytest.mark.parametrize("sign_priors", ["report", "enforce"])
def test_boosting_fits_a_column_with_no_value_in_training(sign_priors: str):
    """A pillar that starts after the training window: scored as if it were absent."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "late", "c"])
    y = (X["a"] + rng.normal(size=400) > 0).astype(int)
    X["late"] = np.nan
    config = ModelConfig(
        estimator="gradient_boosting", params={"max_iter": 20}, sign_priors=sign_priors
    )
    with_late = make_estimator(config, signs=(1, 1, -1)).fit(X, y)
    without = make_estimator(config, signs=(1, -1)).fit(X[["a", "c"]], y)
    later = X.assign(late=rng.normal(size=400))  # the pillar has data when scoring
    np.testing.assert_allclose(
        with_late.predict_proba(later)[:, 1], without.predict_proba(X[["a", "c"]])[:, 1]
    )
