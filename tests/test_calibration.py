"""The shrink recalibration: as far toward the base rate as the record demands."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regime.calibration import Recalibrator, shrink_weight


def _record(n: int, skill: float, block: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities around 0.4 and outcomes that follow them with weight ``skill``.

    Each outcome is repeated over ``block`` rows, as overlapping horizons are.
    """
    rng = np.random.default_rng(seed)
    p = np.repeat(0.4 + rng.uniform(-0.25, 0.25, n // block), block)
    truth = 0.4 + skill * (p - 0.4)
    y = np.repeat(rng.uniform(size=n // block), block) < truth
    return p, y.astype(float)


def test_no_skill_says_the_base_rate():
    p, y = _record(6000, skill=0.0, block=63, seed=1)
    calibrator = Recalibrator("shrink", base_rate=0.4).fit(p, y, block=63)
    assert calibrator.weight_ == 0.0
    np.testing.assert_allclose(calibrator.transform(np.array([0.1, 0.9])), [0.4, 0.4])


def test_a_long_calibrated_record_keeps_most_of_the_spread():
    p, y = _record(20000, skill=1.0, block=1, seed=2)
    weight = Recalibrator("shrink", base_rate=0.4).fit(p, y, block=1).weight_
    assert 0.8 < weight <= 1.0


def test_overlapping_outcomes_count_for_less():
    """The same record, outcomes shared by 63 rows, earns a smaller weight than i.i.d. rows."""
    p, y = _record(3000, skill=0.7, block=63, seed=0)
    c = np.full(len(p), 0.4)
    naive = shrink_weight(p - c, y - c, block=1)
    honest = shrink_weight(p - c, y - c, block=63)
    assert honest < naive


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(5, 400),
    block=st.integers(1, 80),
)
def test_weight_is_in_unit_interval_and_below_the_point_estimate(seed: int, n: int, block: int):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.3, 0.3, n)
    y = rng.integers(0, 2, n) - 0.4
    weight = shrink_weight(x, y, block)
    slope = float(np.sum(x * y) / np.sum(x * x))
    assert 0.0 <= weight <= 1.0
    assert weight <= max(slope, 0.0) + 1e-12


@pytest.mark.parametrize("x", [np.zeros(10), np.array([])])
def test_no_spread_gives_zero_weight(x: np.ndarray):
    assert shrink_weight(x, np.zeros(len(x)), block=5) == 0.0
