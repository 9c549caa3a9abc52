"""A trained model, loaded: score a day, explain it, or walk its history."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regime.config import Config
from regime.data._base import LoadContext
from regime.dataset import Dataset, load_dataset
from regime.exceptions import DataError
from regime.persistence import read_artifact
from regime.scorecard import (
    Attribution,
    Scorecard,
    SeriesFreshness,
    caveats_for,
    pillar_shapley,
    split_pillars,
    stance_for,
)

logger = logging.getLogger(__name__)


class RegimeModel:
    """A fitted model with what it needs to score any day from its data sources.

    Use :func:`load_model` to get one. Data are loaded once, on first use, and
    each day is scored from the point-in-time panel as of that day.
    """

    def __init__(
        self, artifact: dict[str, Any], card: dict[str, Any], context: LoadContext | None = None
    ) -> None:
        self.artifact = artifact
        self.card = card
        self.config = Config.model_validate(artifact["config"])
        self.feature_names: list[str] = list(artifact["feature_names"])
        self.pillar_of: dict[str, str] = dict(artifact["pillar_of"])
        self.pillars: list[str] = list(artifact["pillars"])
        self.neutral = pd.Series(artifact["neutral"], dtype="float64")[self.feature_names]
        self._context = context or LoadContext.for_config(
            Path(artifact["config_dir"]), self.config.data.cache_dir
        )
        self._observations: pd.DataFrame | None = None
        self._datasets: dict[pd.Timestamp | None, Dataset] = {}

    @property
    def name(self) -> str:
        """The model's name (the config's ``name``)."""
        return self.config.name

    def __repr__(self) -> str:
        window = self.artifact["training_window"]
        return (
            f"RegimeModel({self.name!r}, estimator={self.config.model.estimator!r}, "
            f"trained {window['start']}..{window['end']}, features={len(self.feature_names)})"
        )

    # -- data ---------------------------------------------------------------
    def use_observations(self, observations: pd.DataFrame) -> RegimeModel:
        """Score from this observation table instead of the config's sources.

        For notebooks (what-if data, a vendor file loaded by hand) and for the
        point-in-time tests. Returns ``self``.
        """
        from regime.data.observations import validate_observations

        self._observations = validate_observations(observations, "use_observations")
        self._datasets.clear()
        return self

    def dataset(self, as_of: str | pd.Timestamp | None = None) -> Dataset:
        """The panel and features as known on ``as_of`` (default: latest day)."""
        key = None if as_of is None else pd.Timestamp(as_of).normalize()
        if key not in self._datasets:
            if self._observations is None:
                from regime.data.sources import load_observations

                self._observations = load_observations(
                    list(self.config.data.sources), self._context
                )
            first = self._observations["date"].min()
            if key is not None and key < first:
                raise DataError(
                    f"--date {key:%Y-%m-%d} is before the first observation ({first:%Y-%m-%d}); "
                    "pick a later date"
                )
            self._datasets[key] = load_dataset(
                self.config, self._context, end=key, observations=self._observations
            )
        return self._datasets[key]

    def _rows(self, dataset: Dataset, days: pd.DatetimeIndex) -> pd.DataFrame:
        X = dataset.features.reindex(days)[self.feature_names]
        empty = X.isna().all(axis=1)
        if empty.any():
            raise DataError(
                f"no feature data known on {days[empty.to_numpy()][0]:%Y-%m-%d}; score a later date"
            )
        return X

    # -- model --------------------------------------------------------------
    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of sustained outperformance for each row of features."""
        return self.artifact["estimator"].predict_proba(X[self.feature_names])[:, 1]

    def _interval(self, X: pd.DataFrame) -> pd.DataFrame | None:
        models = self.artifact["bootstrap"]
        if not models:
            return None
        values = X[self.feature_names].to_numpy()  # the refits were fitted on arrays
        draws = np.column_stack([m.predict_proba(values)[:, 1] for m in models])
        tail = (1.0 - self.config.model.interval) / 2.0
        return pd.DataFrame(
            {
                "lower": np.quantile(draws, tail, axis=1),
                "upper": np.quantile(draws, 1.0 - tail, axis=1),
            },
            index=X.index,
        )

    def _attribute(self, X: pd.DataFrame) -> Attribution:
        return pillar_shapley(self.predict_proba, X, self.neutral, self.pillar_of, self.pillars)

    # -- public API -----------------------------------------------------------
    def score(self, date: str | pd.Timestamp | None = None) -> Scorecard:
        """The scorecard for ``date`` (default: the latest day the data allows)."""
        dataset = self.dataset(date)
        day = dataset.panel.end
        X = self._rows(dataset, pd.DatetimeIndex([day]))
        attribution = self._attribute(X)
        probability = float(attribution.probability.iloc[0])
        bounds = self._interval(X)
        interval = (
            None
            if bounds is None
            else (float(bounds["lower"].iloc[0]), float(bounds["upper"].iloc[0]))
        )
        contributions = {p: float(attribution.contributions[p].iloc[0]) for p in self.pillars}
        tailwinds, headwinds = split_pillars(contributions, self.config.stance.neutral_band)
        row = X.iloc[0]
        features = {
            pillar: {
                name: (None if pd.isna(row[name]) else float(row[name]))
                for name in self.feature_names
                if self.pillar_of[name] == pillar
            }
            for pillar in self.pillars
        }
        freshness = self._freshness(dataset, day)
        return Scorecard(
            model=self.name,
            as_of=day,
            horizon_days=self.config.target.horizon_days,
            probability=probability,
            baseline=float(attribution.baseline.iloc[0]),
            interval=interval,
            stance=stance_for(probability, self.config.stance),
            contributions=contributions,
            features=features,
            tailwinds=tailwinds,
            headwinds=headwinds,
            caveats=caveats_for(row, interval, freshness, self.config.caveats, self.synthetic),
            data=freshness,
            synthetic=self.synthetic,
            thresholds=self.config.stance,
        )

    @property
    def synthetic(self) -> bool:
        """True when the model's data is the bundled simulated sample."""
        return self.config.synthetic

    def _freshness(self, dataset: Dataset, day: pd.Timestamp) -> dict[str, SeriesFreshness]:
        out = {}
        panel = dataset.panel
        for series in dataset.used_series:
            status = panel.status(series, day, panel.typical_staleness(series))
            last = None if status.last_date is None else status.last_date.strftime("%Y-%m-%d")
            out[series] = SeriesFreshness(last, status.age_days, status.stale)
        return out

    def explain(self, date: str | pd.Timestamp | None = None) -> pd.DataFrame:
        """Feature-level view of one day: value, neutral value, z-distance, pillar contribution.

        Returns a DataFrame indexed by feature, with columns ``pillar``,
        ``value``, ``neutral``, ``pillar_contribution``.
        """
        card = self.score(date)
        rows = []
        for pillar in self.pillars:
            for name, value in card.features.get(pillar, {}).items():
                rows.append(
                    {
                        "feature": name,
                        "pillar": pillar,
                        "value": np.nan if value is None else value,
                        "neutral": float(self.neutral[name]),
                        "pillar_contribution": card.contributions[pillar],
                    }
                )
        return pd.DataFrame(rows).set_index("feature")

    def history(
        self, start: str | pd.Timestamp | None = None, end: str | pd.Timestamp | None = None
    ) -> pd.DataFrame:
        """Daily probability, interval, stance and pillar contributions over [start, end].

        Each day's features come from the point-in-time panel, so the history is
        what the model would have said on each day (in-sample for days inside
        the training window: see the model card's walk-forward metrics for an
        honest out-of-sample view).
        """
        dataset = self.dataset(end)
        calendar = dataset.features.index
        lo = pd.Timestamp(start) if start is not None else calendar[0]
        days = calendar[(calendar >= lo)]
        X = dataset.features.loc[days, self.feature_names].dropna(how="all")
        if X.empty:
            raise DataError(
                f"no feature data between {lo:%Y-%m-%d} and {dataset.panel.end:%Y-%m-%d}"
            )
        attribution = self._attribute(X)
        out = pd.DataFrame(
            {"probability": attribution.probability, "baseline": attribution.baseline}
        )
        bounds = self._interval(X)
        if bounds is not None:
            out = out.join(bounds)
        out["stance"] = [stance_for(p, self.config.stance) for p in out["probability"]]
        out = out.join(attribution.contributions)
        out.index.name = "date"
        return out

    def plot_history(self, start: str | None = None, end: str | None = None, ax: Any = None) -> Any:
        """Plot the probability, its interval and the stance thresholds (needs matplotlib)."""
        try:
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover - optional dependency
            raise ImportError(
                "plotting needs matplotlib: pip install 'smallcap-regime[plot]'"
            ) from None
        frame = self.history(start, end)
        if ax is None:
            _, ax = plt.subplots(figsize=(10, 4))
        ax.plot(frame.index, frame["probability"], label="probability")
        if "lower" in frame:
            ax.fill_between(
                frame.index, frame["lower"], frame["upper"], alpha=0.2, label="interval"
            )
        for level in (self.config.stance.overweight_above, self.config.stance.underweight_below):
            ax.axhline(level, linestyle="--", linewidth=0.8, color="grey")
        ax.set_title(f"{self.name}: P(sustained small-cap outperformance)")
        ax.legend()
        return ax


def load_model(path: str | Path, context: LoadContext | None = None) -> RegimeModel:
    """Load a model artifact after checking it against its card's SHA-256."""
    artifact, card = read_artifact(path)
    return RegimeModel(artifact, card, context)
