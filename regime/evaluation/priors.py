"""Did each feature's declared sign hold on the scored days?

Every builder declares which way each of its features should push the
probability (see :mod:`features._base`). This module checks those priors on
the walk-forward's out-of-sample rows, with nothing fitted: a feature taken in
its declared direction is a forecast by itself, and its AUC against the
realized outcomes says whether higher values (in that direction) went with
more wins. Features are point in time, so the check uses nothing a forecaster
could not have known on the day; the labels are the same the model is scored on.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from regime.evaluation.metrics import auc_interval

#: Verdicts: the interval above 0.5, below it, across it; no declared sign; too few rows.
HELD, REVERSED, UNCLEAR, NO_PRIOR, TOO_FEW = "held", "reversed", "unclear", "no prior", "too few"

#: Independent horizons a verdict needs. With fewer, block-bootstrap intervals of a
#: persistent feature are too narrow: in simulation, features unrelated to the
#: outcomes got a "held" or "reversed" verdict in 34% of checks over 3 horizons and
#: 25% over 10 (nominal 10%).
MIN_VERDICT_HORIZONS = 10


def sign_check(
    features: pd.DataFrame,
    labels: pd.Series,
    signs: Mapping[str, int],
    pillar_of: Mapping[str, str],
    horizon: int,
    coverage: float = 0.9,
    reps: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """Each feature's AUC in its declared direction on the rows of ``labels``, with an interval.

    Parameters
    ----------
    features : pandas.DataFrame
        Feature columns known on each day (NaN where missing).
    labels : pandas.Series
        The 0/1 outcomes of the scored days (the walk-forward's ``label``).
    signs : mapping of str to int
        Declared sign per feature column (absent: 0). A feature with sign 0
        is checked in its raw direction and gets the verdict ``no prior``.
    pillar_of : mapping of str to str
        The pillar of each feature column.
    horizon : int
        Label horizon in rows: the bootstrap block.
    coverage, reps, seed : float, int, int
        Bootstrap settings, as for the model's own intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by feature, columns ``pillar``, ``prior``, ``rows`` (scored
        days with a value), ``auc``, ``auc_lower``, ``auc_upper`` and
        ``verdict``: ``held`` (interval above 0.5), ``reversed`` (below),
        ``unclear``, ``no prior``, or ``too few``: fewer than
        :data:`MIN_VERDICT_HORIZONS` horizons of rows (the AUC and interval
        are still shown from two horizons on), or one outcome only (no AUC).
        A feature with no declared sign says ``no prior`` however few its rows.
    """
    rows = {}
    for name in features.columns:
        prior = int(signs.get(name, 0))
        x = features[name].reindex(labels.index).astype("float64")
        keep = x.notna().to_numpy() & labels.notna().to_numpy()
        y = labels.to_numpy(dtype="float64")[keep]
        # its ranks scaled into (0, 1]: the AUC depends on the order alone
        signal = pd.Series((prior or 1) * x.to_numpy()[keep]).rank(pct=True).to_numpy()
        if len(y) < 2 * horizon or len(np.unique(y)) < 2:
            auc, lower, upper, verdict = np.nan, np.nan, np.nan, TOO_FEW if prior else NO_PRIOR
        else:
            interval = auc_interval(y, signal, horizon, coverage=coverage, reps=reps, seed=seed)
            auc, lower, upper = interval.estimate, interval.lower, interval.upper
            enough = len(y) >= MIN_VERDICT_HORIZONS * horizon
            verdict = _verdict(prior, lower, upper, enough)
        rows[name] = (pillar_of.get(name, ""), prior, int(keep.sum()), auc, lower, upper, verdict)
    columns = ["pillar", "prior", "rows", "auc", "auc_lower", "auc_upper", "verdict"]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    table.index.name = "feature"
    return table


def _verdict(prior: int, lower: float, upper: float, enough: bool) -> str:
    if prior == 0:
        return NO_PRIOR
    if not enough:
        return TOO_FEW
    if lower > 0.5:
        return HELD
    if upper < 0.5:
        return REVERSED
    return UNCLEAR
