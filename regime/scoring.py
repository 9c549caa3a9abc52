"""A trained model, loaded: score a day, explain it, or walk its history."""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from regime.analogs import Analogs, episodes, evaluate_rule, forward_returns, nearest_days
from regime.calendar import trading_day_on_or_after, trading_day_on_or_before
from regime.config import Config
from regime.data._base import LoadContext
from regime.data.panel import PointInTimePanel
from regime.dataset import Dataset, FeatureSet, load_dataset
from regime.exceptions import ArtifactError, ConfigError, DataError
from regime.explain import Explanation, owen_values, percentiles, stance_flips, units_of
from regime.fitted import FittedModel
from regime.labels import leg_returns, make_labels, rows_noun
from regime.model import dropped_by_sign
from regime.persistence import read_artifact
from regime.scorecard import (
    Attribution,
    Scorecard,
    SeriesFreshness,
    calibration_caveat,
    caveats_for,
    earned_stance,
    pillar_shapley,
    split_pillars,
)
from regime.whatif import Override, WhatIf, apply_overrides

logger = logging.getLogger(__name__)


class RegimeModel:
    """A fitted model with what it needs to score any day from its data sources.

    Use :func:`load_model` to get one. Data are loaded once, on first use, and
    each day is scored from the point-in-time panel as of that day, by the
    model the tool would have had on that day: the newest walk-forward fold
    model whose training labels were all known before it, or the final model
    from the day its last label became known. Days before the first fold (or
    every day with ``in_sample=True``) are scored by the final model and
    flagged in sample.
    """

    def __init__(
        self, artifact: dict[str, Any], card: dict[str, Any], context: LoadContext | None = None
    ) -> None:
        self.artifact = artifact
        self.card = card
        try:
            self.config = Config.model_validate(artifact["config"])
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ArtifactError(
                f"model {artifact.get('name')!r}: its embedded config no longer validates "
                f"({where}: {first['msg']}); retrain it with this version"
            ) from None
        self.feature_names: list[str] = list(artifact["feature_names"])
        self.pillar_of: dict[str, str] = dict(artifact["pillar_of"])
        self.pillars: list[str] = list(artifact["pillars"])
        self.final: FittedModel = artifact["final"]
        self.folds: list[FittedModel] = list(artifact["folds"])
        self.max_age: dict[str, int] = dict(artifact["max_age_days"])
        #: What ``target.horizon_days`` counts (models trained before it was recorded: days).
        self.horizon_unit: str = str(artifact.get("horizon_unit", "trading days"))
        self._context = context or LoadContext.for_config(
            Path(artifact["config_dir"]), self.config.data.cache_dir
        )
        self._observations: pd.DataFrame | None = None
        self._datasets: dict[pd.Timestamp, Dataset] = {}

    @property
    def name(self) -> str:
        """The model's name (the config's ``name``)."""
        return self.config.name

    @property
    def neutral(self) -> pd.Series:
        """The final model's neutral feature values (training medians)."""
        return pd.Series(self.final.neutral, dtype="float64")[self.feature_names]

    def __repr__(self) -> str:
        window = self.artifact["training_window"]
        return (
            f"RegimeModel({self.name!r}, estimator={self.config.model.estimator!r}, "
            f"trained {window['start']}..{window['end']}, features={len(self.feature_names)}, "
            f"fold models={len(self.folds)})"
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

    def observations(self) -> pd.DataFrame:
        """The observation table the model scores from (loaded from the sources once)."""
        if self._observations is None:
            from regime.data.sources import load_observations

            self._observations = load_observations(list(self.config.data.sources), self._context)
        return self._observations

    @cached_property
    def feature_set(self) -> FeatureSet:
        """The builders of the model's features (built once from its config)."""
        return FeatureSet.from_config(self.config)

    @property
    def input_series(self) -> list[str]:
        """The series the features are built from."""
        return self.feature_set.input_series

    def units_of(self, feature: str) -> str:
        """Units of a feature column: its builder's when its parameters set them, else by name."""
        return self.feature_set.units.get(feature) or units_of(feature)

    def _inputs_in_use(self, panel: PointInTimePanel) -> list[str]:
        """The input series with data in ``panel``, less a spliced series that is idle.

        The single FOMC target ended by design when the range began: its end
        neither sets the newest day nor counts as staleness.
        """
        with_data = set(panel.series_ids)
        inputs = [s for s in self.input_series if s in with_data]
        return self.feature_set.current(inputs, with_data)

    def dataset(self, as_of: str | pd.Timestamp) -> Dataset:
        """The panel and features as known on ``as_of``."""
        key = pd.Timestamp(as_of).normalize()
        if key not in self._datasets:
            observations = self.observations()
            first = observations["date"].min()
            if key < first:
                raise DataError(
                    f"--date {key:%Y-%m-%d} is before the first observation ({first:%Y-%m-%d}); "
                    "pick a later date"
                )
            self._datasets[key] = load_dataset(
                self.config, self._context, end=key, observations=observations, max_age=self.max_age
            )
        return self._datasets[key]

    def newest_day(self) -> pd.Timestamp:
        """The newest trading day on which every input is fresh (not after today).

        It is also never after the last day new input data became known. When
        one input went stale long before the others, the day is that input's
        last fresh day, and a warning names it.
        """
        today = self._context.today
        panel = PointInTimePanel(self.observations(), end=today, max_age=self.max_age)
        inputs = self._inputs_in_use(panel)
        if not inputs:
            raise DataError("no input series of the model has data; run `regime data check`")
        fresh_through = {s: panel.fresh_through(s) for s in inputs}
        last_date = [panel.last_date(s) for s in inputs]
        last_known = [panel.rows(s)["known_at"].max() for s in inputs]
        bottleneck = min(fresh_through, key=fresh_through.__getitem__)
        # Data known on a holiday or weekend is first usable on the next session.
        usable = trading_day_on_or_after(max(last_known))
        newest = min(today, usable, fresh_through[bottleneck])
        if fresh_through[bottleneck] < max(last_date):
            logger.warning(
                "scoring %s, the newest day on which every input is fresh: %s went stale "
                "before the other inputs' newest data (pass --date to score a later day with "
                "it imputed)",
                f"{trading_day_on_or_before(newest):%Y-%m-%d}",
                bottleneck,
            )
        return trading_day_on_or_before(newest)

    def resolve_day(
        self, date: str | pd.Timestamp | None = None, allow_stale: bool = False
    ) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The requested day and the trading day scored for it.

        A weekend or holiday scores the trading day before it. Raises
        ConfigError for a date after today, and DataError for a date before
        the training window starts (no label, and no model of the time) or on
        which every input is stale (after the newest data) unless
        ``allow_stale``.
        """
        if date is None:
            day = self.newest_day()
            return day, day
        requested = pd.Timestamp(date).normalize()
        today = self._context.today
        if requested > today:
            raise ConfigError(
                f"--date {requested:%Y-%m-%d} is after today ({today:%Y-%m-%d}); "
                "no data is known for it yet"
            )
        start = pd.Timestamp(self.artifact["training_window"]["start"])
        if requested < start:
            raise DataError(
                f"--date {requested:%Y-%m-%d} is before the model's history, which starts "
                f"{start:%Y-%m-%d} (its first training day), so it has no view of that day "
                f"it could have had then; pick a date from {start:%Y-%m-%d}"
            )
        day = trading_day_on_or_before(requested)
        if not allow_stale:
            panel = self.dataset(day).panel
            inputs = self._inputs_in_use(panel)
            if all(panel.stale(s).iloc[-1] for s in inputs):
                newest = max((panel.last_date(s) for s in inputs), default=None)
                shown = "none" if newest is None else f"{newest:%Y-%m-%d}"
                raise DataError(
                    f"newest data is from {shown}; cannot score {requested:%Y-%m-%d}: every input "
                    "is older than its maximum age (pass --allow-stale to score it anyway)"
                )
        return requested, day

    def _rows(
        self, dataset: Dataset, days: pd.DatetimeIndex, allow_empty: bool = False
    ) -> pd.DataFrame:
        X = dataset.features.reindex(days)[self.feature_names]
        empty = X.isna().all(axis=1)
        if empty.any() and not allow_empty:
            raise DataError(
                f"no feature data known on {days[empty.to_numpy()][0]:%Y-%m-%d}; score a later date"
            )
        return X

    # -- model --------------------------------------------------------------
    def model_for(self, day: pd.Timestamp, in_sample: bool = False) -> FittedModel:
        """The model that scores ``day``: what the tool would have had then.

        The newest model (walk-forward folds, then the final model) whose
        ``available_from`` is on or before ``day``; the final model when none
        is, or when ``in_sample`` is True.
        """
        if in_sample:
            return self.final
        ready = [m for m in [*self.folds, self.final] if m.available_from <= day]
        return max(ready, key=lambda m: m.available_from) if ready else self.final

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of sustained outperformance for each row, from the final model."""
        return self.final.predict_proba(X)

    def _attribute(self, model: FittedModel, X: pd.DataFrame) -> Attribution:
        neutral = pd.Series(model.neutral, dtype="float64")[self.feature_names]
        return pillar_shapley(model.predict_proba, X, neutral, self.pillar_of, self.pillars)

    # -- public API -----------------------------------------------------------
    def score(
        self,
        date: str | pd.Timestamp | None = None,
        in_sample: bool = False,
        allow_stale: bool = False,
    ) -> Scorecard:
        """The scorecard for ``date`` (default: the newest day with fresh inputs).

        ``in_sample=True`` scores with the final model even where a walk-forward
        model existed; ``allow_stale=True`` scores a day after the newest data.
        """
        requested, day = self.resolve_day(date, allow_stale)
        dataset = self.dataset(day)
        X = self._rows(dataset, pd.DatetimeIndex([day]), allow_empty=allow_stale)
        model = self.model_for(day, in_sample)
        attribution = self._attribute(model, X)
        probability = float(attribution.probability.iloc[0])
        bounds = model.interval(X, self.config.model.interval)
        interval = (
            None
            if bounds is None
            else (float(bounds["lower"].iloc[0]), float(bounds["upper"].iloc[0]))
        )
        contributions = {p: float(attribution.contributions[p].iloc[0]) for p in self.pillars}
        row = X.iloc[0]
        features = {
            pillar: {
                name: (None if pd.isna(row[name]) else float(row[name]))
                for name in self.feature_names
                if self.pillar_of[name] == pillar
            }
            for pillar in self.pillars
        }
        silent = [p for p, values in features.items() if all(v is None for v in values.values())]
        band = self.config.stance.neutral_band
        tailwinds, headwinds = split_pillars(contributions, band, silent)
        freshness = self._freshness(dataset, day)
        was_in_sample = bool(day <= model.trained_through)
        baseline = float(attribution.baseline.iloc[0])
        numbers = {
            "probability": probability,
            "baseline": baseline,
            "overweight_above": self.config.stance.overweight_above,
            "underweight_below": self.config.stance.underweight_below,
            "in_sample": float(was_in_sample),
            **{f"contribution.{p}": v for p, v in contributions.items()},
        }
        caveats = caveats_for(
            row, interval, freshness, self.config.caveats, self.synthetic, numbers
        )
        rows = rows_noun(self.horizon_unit)
        stance, held = earned_stance(
            probability, self.config.stance, model.record, rows, model.at_base_rate, model.base_rate
        )
        calibration = calibration_caveat(
            probability, model.record, 2 * self.config.target.horizon_days, rows
        )
        caveats.extend(note for note in (held, calibration) if note)
        caveats.extend(self._unweighted_pillars(model, silent))
        if was_in_sample:
            caveats.append(
                f"in sample: the model that scored this day was trained on labels through "
                f"{model.trained_through:%Y-%m-%d}, so it knew what came after this day"
            )
        return Scorecard(
            model=self.name,
            as_of=day,
            horizon_days=self.config.target.horizon_days,
            horizon_unit=self.horizon_unit,
            notes=self._pillar_notes(
                row, contributions, self.training_features(dataset, model, day)
            ),
            changes=self._changes(dataset, day, in_sample, baseline, contributions),
            probability=probability,
            baseline=baseline,
            interval=interval,
            stance=stance,
            contributions=contributions,
            features=features,
            tailwinds=tailwinds,
            headwinds=headwinds,
            caveats=caveats,
            data=freshness,
            synthetic=self.synthetic,
            thresholds=self.config.stance,
            requested=requested,
            in_sample=was_in_sample,
            model_trained_through=model.trained_through,
            record=model.record,
        )

    def _unweighted_pillars(self, model: FittedModel, silent: list[str]) -> list[str]:
        """A caveat for each pillar with data on the day that ``model`` gives no weight,
        because every one of its features broke its declared sign when fitted."""
        dropped = set(dropped_by_sign(model.estimator, model.feature_names))
        notes = []
        for pillar in self.pillars:
            own = [f for f in self.feature_names if self.pillar_of[f] == pillar]
            if pillar not in silent and own and dropped.issuperset(own):
                names = ", ".join(f.split(".", 1)[-1] for f in own)
                notes.append(
                    f"{pillar} has no weight in this model: fitted on its training years, "
                    f"{names} went against the declared sign, so sign_priors: enforce left it out"
                )
        return notes

    @property
    def synthetic(self) -> bool:
        """True when the model's data is the bundled simulated sample."""
        return self.config.synthetic

    def _freshness(self, dataset: Dataset, day: pd.Timestamp) -> dict[str, SeriesFreshness]:
        out = {}
        panel = dataset.panel
        for series in dataset.feature_set.current(dataset.used_series, set(panel.series_ids)):
            status = panel.status(series, day)
            last = None if status.last_date is None else status.last_date.strftime("%Y-%m-%d")
            out[series] = SeriesFreshness(last, status.age_days, status.stale)
        return out

    def what_if(
        self,
        overrides: dict[str, float | tuple[float, str]] | list[Override],
        date: str | pd.Timestamp | None = None,
        in_sample: bool = False,
        allow_stale: bool = False,
    ) -> WhatIf:
        """Score ``date`` as if some observations had been known, beside the real scorecard.

        ``overrides`` maps a series id to a value (dated the scored day) or to
        ``(value, "YYYY-MM-DD")``; or is a list of :class:`regime.whatif.Override`.
        Each replaces that series' observation of that date and counts as
        known on the scored day. Returns a :class:`regime.whatif.WhatIf` with
        ``.base``, ``.scenario``, ``.pillar_changes()``, ``.to_dict()`` and
        ``.to_text()``.
        """
        if isinstance(overrides, dict):
            items = []
            for series, value in overrides.items():
                number, when = value if isinstance(value, tuple) else (value, None)
                day = None if when is None else pd.Timestamp(when)
                items.append(Override(series, float(number), day))
            overrides = items
        base = self.score(date, in_sample=in_sample, allow_stale=allow_stale)
        changed = apply_overrides(self.observations(), list(overrides), base.as_of)
        twin = RegimeModel(self.artifact, self.card, self._context).use_observations(changed)
        scenario = twin.score(base.as_of, in_sample=in_sample, allow_stale=allow_stale)
        return WhatIf(base, scenario, tuple(overrides))

    def analogs(
        self,
        date: str | pd.Timestamp | None = None,
        when: str | None = None,
        k: int = 10,
    ) -> Analogs:
        """Past days like ``date`` and what the small and large legs did 1, 3 and 6 months on.

        With ``when``, a rule over raw series ids and feature names (e.g.
        ``"SMALL_ETF_FLOW > 500e6 and LARGE_ETF_FLOW < -1e9"``): every past
        episode in which it held. Without it, the ``k`` past days nearest to
        ``date`` in pillar space (Euclidean distance between the days' pillar
        contributions, in probability points), among the
        days scored out of sample (a day the final model scored in sample
        carries labels from after ``date``). Only days whose 6-month outcome
        was known by ``date`` appear; episodes are at least one horizon apart.
        """
        _, day = self.resolve_day(date)
        dataset = self.dataset(day)
        horizon, unit = self.config.target.horizon_days, self.horizon_unit
        returns = leg_returns(dataset.panel, self.config.target)
        steps = returns.index  # the horizon counts these: trading days, or months
        outcomes = forward_returns(returns).reindex(dataset.features.index).dropna()
        legs = (self.config.target.small, self.config.target.large)
        if when is not None:
            columns = pd.concat(
                [
                    pd.DataFrame({s: dataset.panel.latest(s) for s in dataset.panel.series_ids}),
                    dataset.features,
                ],
                axis=1,
            )
            held = evaluate_rule(when, columns)
            days = episodes(
                held.index[held.to_numpy()].intersection(outcomes.index), steps, horizon
            )
            return Analogs(day, when, outcomes.loc[days], horizon, unit, legs)
        history = self.history(end=day, bands=False)
        history = history.loc[~history["in_sample"].to_numpy() | (history.index == day)]
        table = nearest_days(history[self.pillars], day, outcomes, steps, horizon, k)
        return Analogs(day, None, table, horizon, unit, legs)

    def training_features(
        self, dataset: Dataset, model: FittedModel, day: pd.Timestamp
    ) -> pd.DataFrame:
        """The features of ``model``'s training rows, as known on ``day``.

        From the training window's first day through the model's last
        training day (never after ``day``), read from the panel as of ``day``:
        percentiles against it use nothing known after ``day``.
        """
        start = self.artifact["training_window"]["start"]
        end = min(model.trained_through, day)
        return dataset.features.loc[start:end, self.feature_names]

    def _pillar_notes(
        self, row: pd.Series, contributions: dict[str, float], training: pd.DataFrame
    ) -> dict[str, str]:
        """Each pillar in words: its most unusual feature, with units and training percentile.

        The percentile is among the training days on which that feature had a
        value, and the years named are those days' own span.
        """
        ranks = percentiles(training, row)
        notes = {}
        for pillar in self.pillars:
            own = [f for f in self.feature_names if self.pillar_of[f] == pillar]
            known = [f for f in own if not pd.isna(ranks[f])]
            if not known:
                continue
            name = max(known, key=lambda f: abs(ranks[f] - 0.5))
            notes[pillar] = (
                f"{name.split('.', 1)[1]} {row[name]:.3g} ({self.units_of(name)}), "
                f"{_ordinal(ranks[name])} percentile of {_span(training[name])}; "
                f"contribution {contributions[pillar]:+.3f}"
            )
        return notes

    def _changes(
        self,
        dataset: Dataset,
        day: pd.Timestamp,
        in_sample: bool,
        baseline: float,
        contributions: dict[str, float],
    ) -> dict[str, dict[str, Any]]:
        """Change of the probability, each pillar and the baseline since a week and a month before.

        The baseline moves only when a refit between the two days changed the
        model's neutral probability; with the pillars it sums to the change.
        """
        calendar = dataset.features.index
        position = calendar.get_loc(day)
        out = {}
        for label, back in (("1w", 5), ("1m", 21)):
            if position - back < 0:
                continue
            then = calendar[position - back]
            X = dataset.features.loc[[then], self.feature_names]
            model = self.model_for(then, in_sample)
            if X.isna().all(axis=None) or (not in_sample and model.available_from > then):
                continue  # no data then, or only the final model, in sample, had that day
            before = self._attribute(model, X)
            pillars = {
                p: contributions[p] - float(before.contributions[p].iloc[0]) for p in self.pillars
            }
            moved = baseline - float(before.baseline.iloc[0])
            out[label] = {
                "since": f"{then:%Y-%m-%d}",
                "probability": moved + sum(pillars.values()),
                "pillars": pillars,
                "baseline": moved,
            }
        return out

    def explain(
        self, date: str | pd.Timestamp | None = None, in_sample: bool = False
    ) -> Explanation:
        """Why the model says what it says on ``date``, feature by feature.

        Each feature's value (with its units and its percentile in the model's
        training history) and its own contribution in probability points
        (Owen values: exact Shapley within each pillar, summing to the
        pillar's contribution); the distance to each stance threshold; the
        largest headwind as the binding constraint; and, per pillar, the
        nearest training level that would move the probability across a
        threshold. A feature the model dropped because its fit broke the
        declared sign (``sign_priors: enforce``) is marked ``dropped_by_sign``.
        ``.to_text()``, ``.to_dict()``, ``.features`` (a DataFrame) and
        ``.plot(path)``.
        """
        card = self.score(date, in_sample=in_sample)
        model = self.model_for(card.as_of, in_sample)
        dataset = self.dataset(card.as_of)
        row = dataset.features.loc[card.as_of, self.feature_names]
        neutral = pd.Series(model.neutral, dtype="float64")[self.feature_names]
        contributions = owen_values(model.predict_proba, row, neutral, self.pillar_of, self.pillars)
        training = self.training_features(dataset, model, card.as_of)
        dropped = dropped_by_sign(model.estimator, model.feature_names)
        frame = pd.DataFrame(
            {
                "pillar": [self.pillar_of[f] for f in self.feature_names],
                "value": row.to_numpy(dtype="float64"),
                "units": [self.units_of(f) for f in self.feature_names],
                "percentile": percentiles(training, row).to_numpy(),
                "neutral": neutral.to_numpy(),
                "contribution": contributions.to_numpy(),
                "dropped_by_sign": np.isin(self.feature_names, list(dropped)),
            },
            index=pd.Index(self.feature_names, name="feature"),
        )
        flips = stance_flips(
            model.predict_proba,
            row,
            training,
            self.pillar_of,
            self.config.stance,
            card.probability,
        )
        binding = card.headwinds[0] if card.headwinds else None
        return Explanation(card, frame, binding, flips, self.config.stance)

    def history(
        self,
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
        in_sample: bool = False,
        bands: bool = True,
    ) -> pd.DataFrame:
        """Daily probability, interval, stance and pillar contributions over [start, end].

        One row per trading day with feature data. Each day is scored as
        :meth:`score` would score it: from the point-in-time panel, by the
        model the tool had that day. Columns ``in_sample`` and
        ``model_trained_through`` say which days were scored by a model that
        had seen their label (before the first fold, or all with
        ``in_sample=True``); ``missing_features`` counts the model's features
        with no value that day (not started yet, or stale), each imputed
        inside the model. ``end`` defaults to the newest day with fresh
        inputs; an ``end`` after the newest data is refused like in :meth:`score`.
        ``bands=False`` leaves out the bootstrap interval (``lower``, ``upper``),
        most of the time a long history takes.
        """
        _, last = self.resolve_day(end)
        dataset = self.dataset(last)
        calendar = dataset.features.index
        lo = pd.Timestamp(start) if start is not None else calendar[0]
        days = calendar[calendar >= lo]
        X = dataset.features.loc[days, self.feature_names].dropna(how="all")
        if X.empty:
            raise DataError(f"no feature data between {lo:%Y-%m-%d} and {last:%Y-%m-%d}")
        chosen = [self.model_for(day, in_sample) for day in X.index]
        parts = []
        for model in dict.fromkeys(chosen):  # each model once, in order of first use
            rows = X.loc[[c is model for c in chosen]]
            attribution = self._attribute(model, rows)
            part = pd.DataFrame(
                {"probability": attribution.probability, "baseline": attribution.baseline}
            )
            bounds = model.interval(rows, self.config.model.interval) if bands else None
            if bounds is not None:
                part = part.join(bounds)
            part["stance"] = [
                earned_stance(p, self.config.stance, model.record)[0] for p in part["probability"]
            ]
            part["in_sample"] = rows.index <= model.trained_through
            part["model_trained_through"] = model.trained_through
            part["missing_features"] = rows.isna().sum(axis=1)
            parts.append(part.join(attribution.contributions))
        out = pd.concat(parts).sort_index()
        out.index.name = "date"
        return out

    def realized_outcomes(
        self, start: str | pd.Timestamp | None = None, end: str | pd.Timestamp | None = None
    ) -> pd.Series:
        """The realized label of each date in [start, end], as known on the newest day.

        1.0 when small caps went on to a sustained outperformance over the
        horizon, 0.0 when they did not, NaN while its horizon has not ended.
        Ex post, for charts and checks: never an input of the model.
        """
        panel = self.dataset(self.newest_day()).panel
        labels = make_labels(panel, self.config.target)["label"]
        lo = None if start is None else pd.Timestamp(start)
        hi = None if end is None else pd.Timestamp(end)
        return labels.loc[lo:hi]

    def plot_history(
        self,
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
        ax: Any = None,
        in_sample: bool = False,
    ) -> Any:
        """Plot :meth:`history` over [start, end] (needs matplotlib); returns the probability axes.

        Top: the probability with its interval band and baseline, the stance
        zones, in-sample days shaded grey and the days whose realized label was
        1. Bottom (sharing the date axis): the pillar contributions stacked,
        positive above 0 and negative below. The same drawing as ``regime
        history --plot``. With ``ax``, only the top panel is drawn into it.
        """
        from regime import plots

        frame = self.history(start, end, in_sample)
        outcomes = self.realized_outcomes(frame.index[0], frame.index[-1])
        thresholds = (self.config.stance.overweight_above, self.config.stance.underweight_below)
        title = plots.history_title(self.name, frame)
        if ax is not None:
            plots.history_probability_axes(ax, frame, outcomes, thresholds)
            ax.set_title(title)
            ax.legend(loc="best", fontsize="small")
            return ax
        import matplotlib.pyplot as plt

        figure = plt.figure(figsize=plots.HISTORY_SIZE)
        top, _ = plots.draw_history(figure, frame, outcomes, thresholds, title, self.synthetic)
        return top


def _span(values: pd.Series) -> str:
    """The years of the days on which ``values`` has a value, e.g. ``2018-2019``."""
    days = values.dropna().index
    return f"{days[0]:%Y}-{days[-1]:%Y}"


def _ordinal(share: float) -> str:
    number = round(100 * share)
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def load_model(path: str | Path, context: LoadContext | None = None) -> RegimeModel:
    """Load a model artifact after checking it against its card's SHA-256."""
    artifact, card = read_artifact(path)
    return RegimeModel(artifact, card, context)
