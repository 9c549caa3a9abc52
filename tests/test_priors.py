"""The report's check of each feature's declared sign on the scored days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from regime.evaluation.priors import sign_check

HORIZON = 5


@pytest.fixture(scope="module")
def scored() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2010-01-04", periods=2000)
    driver = pd.Series(rng.normal(size=len(days)), index=days)
    labels = (driver + 0.5 * rng.normal(size=len(days)) > 0).astype(int)
    features = pd.DataFrame(
        {
            "a.tailwind": driver,  # declared +1, and it is
            "a.headwind": driver,  # declared -1, but it helps
            "b.noise": rng.normal(size=len(days)),  # declared +1, says nothing
            "b.unsigned": -driver,  # no prior
            "c.late": driver.where(days >= days[-2 * HORIZON + 1]),  # too few scored rows
            "c.recent": driver.where(days >= days[-6 * HORIZON]),  # an AUC, too few for a verdict
            "c.recent_unsigned": driver.where(days >= days[-6 * HORIZON]),  # still "no prior"
            "c.late_unsigned": driver.where(days >= days[-2 * HORIZON + 1]),  # no AUC, no prior
        },
        index=days,
    )
    return features, labels


def test_each_declared_sign_is_checked_on_the_outcomes_with_nothing_fitted(scored):
    features, labels = scored
    signs = {"a.tailwind": 1, "a.headwind": -1, "b.noise": 1, "c.late": 1, "c.recent": 1}
    pillar_of = {name: name.split(".")[0] for name in features}
    table = sign_check(features, labels, signs, pillar_of, HORIZON, reps=200)

    assert list(table.index) == list(features.columns)
    assert table["verdict"].to_dict() == {
        "a.tailwind": "held",
        "a.headwind": "reversed",
        "b.noise": "unclear",
        "b.unsigned": "no prior",
        "c.late": "too few",
        "c.recent": "too few",
        "c.recent_unsigned": "no prior",
        "c.late_unsigned": "no prior",
    }
    # the AUC of the feature in its declared direction (raw direction without a prior)
    assert table.loc["a.headwind", "auc"] == pytest.approx(
        roc_auc_score(labels, -features["a.headwind"])
    )
    assert table.loc["b.unsigned", "auc"] == pytest.approx(
        roc_auc_score(labels, features["b.unsigned"])
    )
    assert table.loc["c.late", "rows"] == 2 * HORIZON - 1 and np.isnan(table.loc["c.late", "auc"])
    recent = table.loc["c.recent"]
    assert recent["rows"] == 6 * HORIZON and recent["auc_lower"] > 0.5  # held, were it judged
    assert (table["pillar"] == ["a", "a", "b", "b", "c", "c", "c", "c"]).all()
    checked = table.dropna(subset=["auc"])
    assert (checked["auc_lower"] <= checked["auc"]).all()
    assert (checked["auc"] <= checked["auc_upper"]).all()


def test_only_the_scored_days_count(scored):
    """Values on days outside the labels' index (e.g. before the first test fold) are unused."""
    features, labels = scored
    later = labels.iloc[1000:]
    changed = features.copy()
    changed.iloc[:1000] = -changed.iloc[:1000]
    signs = {"a.tailwind": 1}
    pillar_of = dict.fromkeys(features, "a")
    one = sign_check(features, later, signs, pillar_of, HORIZON, reps=50)
    two = sign_check(changed, later, signs, pillar_of, HORIZON, reps=50)
    pd.testing.assert_frame_equal(one, two)
    assert one.loc["a.tailwind", "rows"] == len(later)
