"""Labels: forward-looking only, the last horizon unlabelled, the sustained rule exact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regime.labels import sustained_outperformance

H = 10


def _legs(seed: int, n: int = 80) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2020-01-01", periods=n)
    return (
        pd.Series(rng.normal(0.0005, 0.01, n), index=index),
        pd.Series(rng.normal(0.0, 0.01, n), index=index),
    )


def test_last_horizon_days_are_unlabelled():
    small, large = _legs(0)
    labels = sustained_outperformance(small, large, H, 0.0, 0.5)
    assert labels.iloc[-H:].isna().all()
    assert labels.iloc[:-H].notna().all()
    assert set(labels.dropna().unique()) <= {0.0, 1.0}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), t=st.integers(0, 80 - H - 1), noise=st.floats(-0.05, 0.05))
def test_label_at_t_uses_no_data_at_or_before_t(seed, t, noise):
    small, large = _legs(seed)
    before = sustained_outperformance(small, large, H, 0.0, 0.6).iloc[t]
    small_changed, large_changed = small.copy(), large.copy()
    small_changed.iloc[: t + 1] += noise  # rewrite every return dated at or before t
    large_changed.iloc[: t + 1] -= noise
    after = sustained_outperformance(small_changed, large_changed, H, 0.0, 0.6).iloc[t]
    assert before == after


def test_label_depends_on_the_returns_after_t():
    small, large = _legs(1)
    t = 20
    base = sustained_outperformance(small, large, H, 0.0, 0.0).iloc[t]
    bumped = small.copy()
    bumped.iloc[t + 1 : t + 1 + H] += -0.05 if base == 1.0 else 0.05
    assert sustained_outperformance(bumped, large, H, 0.0, 0.0).iloc[t] != base


def test_sustained_rule_by_hand():
    index = pd.bdate_range("2021-01-01", periods=6)
    large = pd.Series(0.0, index=index)
    # After day 0 the relative path goes -1%, +3%, +3%: ends up, but above its start on 2 of 3 days.
    small = pd.Series([0.0, -0.01, 0.03, 0.03, 0.0, 0.0], index=index)
    loose = sustained_outperformance(small, large, 3, 0.02, 0.6)
    strict = sustained_outperformance(small, large, 3, 0.02, 0.7)
    assert loose.iloc[0] == 1.0  # excess ~5% > 2% and 2/3 >= 0.6
    assert strict.iloc[0] == 0.0  # 2/3 < 0.7
    high_bar = sustained_outperformance(small, large, 3, 0.06, 0.0)
    assert high_bar.iloc[0] == 0.0  # excess ~5% does not beat 6%


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_share_bounds(share):
    small, large = _legs(2)
    labels = sustained_outperformance(small + 1.0, large, H, 0.0, share)
    assert (labels.dropna() == 1.0).all()  # small leg up 100% a day beats everything


@pytest.mark.parametrize(
    ("dates", "unit", "steps"),
    [
        (pd.bdate_range("2020-01-01", periods=300), "trading days", 252),
        (pd.date_range("2020-01-07", periods=60, freq="W-TUE"), "weeks", 52),
        (pd.date_range("1926-07-31", periods=40, freq="ME"), "months", 12),
        (pd.date_range("2000-03-31", periods=20, freq="QE"), "observations", 4),
        (pd.DatetimeIndex(["2020-01-02"]), "trading days", 252),
    ],
)
def test_the_legs_step_and_a_year_in_steps_from_their_spacing(dates, unit, steps):
    from regime.labels import horizon_unit, steps_per_year

    assert horizon_unit(dates) == unit
    assert steps_per_year(dates) == steps
