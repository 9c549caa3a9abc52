"""What every data source shares: its config model and its load context."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator


@dataclass(frozen=True)
class LoadContext:
    """Where and when a source is loaded.

    Attributes
    ----------
    base_dir : Path
        Directory that relative file paths in the config are resolved against
        (the config file's directory).
    cache_dir : Path or None
        Directory of the on-disk observation cache, or None for no cache.
    today : pandas.Timestamp
        The day the run happens; rows dated after it are rejected.
    offline : bool
        True to read only from the cache, never from the network.
    """

    base_dir: Path = field(default_factory=Path.cwd)
    cache_dir: Path | None = None
    today: pd.Timestamp = field(default_factory=lambda: pd.Timestamp.today().normalize())
    offline: bool = False

    @classmethod
    def for_config(
        cls,
        base_dir: Path,
        config_cache_dir: str | None = None,
        cache_dir: str | Path | None = None,
        offline: bool = False,
    ) -> LoadContext:
        """The context of a run: ``cache_dir`` (e.g. ``--cache-dir``) wins over the
        config's ``data.cache_dir`` (relative to ``base_dir``), which wins over
        :func:`regime.data.cache.default_cache_dir`."""
        from regime.data.cache import default_cache_dir

        if cache_dir:
            resolved = Path(cache_dir).expanduser()
        elif config_cache_dir:
            resolved = cls(base_dir=base_dir).resolve(config_cache_dir)
        else:
            resolved = default_cache_dir()
        return cls(base_dir=base_dir, cache_dir=resolved, offline=offline)

    def resolve(self, path: str | Path) -> Path:
        """Resolve a config path against ``base_dir`` (``~`` expanded)."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate


class SourceBase(BaseModel):
    """Config of one entry of ``data.sources``; subclasses set ``kind``.

    Subclasses implement :meth:`load`, returning the long observation table
    (see :mod:`regime.data.observations`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    max_age_days: int | dict[str, int] | None = None
    synthetic: ClassVar[bool] = False

    @field_validator("max_age_days")
    @classmethod
    def _check_max_age(cls, value: int | dict[str, int] | None) -> int | dict[str, int] | None:
        ages = value.items() if isinstance(value, dict) else [("max_age_days", value)]
        for key, age in ages:
            if age is not None and age < 1:
                raise ValueError(f"max_age_days {key!r} is {age}; it must be at least 1 day")
        return value

    def max_age_for(self, series: str) -> int | None:
        """The configured maximum age of ``series`` in calendar days, or None to infer it.

        ``max_age_days`` is one number for every series of the source, or a
        mapping from series id (or ``default``) to days.
        """
        ages = self.max_age_days
        if isinstance(ages, dict):
            return ages.get(series, ages.get("default"))
        return ages

    def load(self, context: LoadContext) -> pd.DataFrame:  # pragma: no cover - abstract
        """Return this source's observations."""
        raise NotImplementedError

    def label(self) -> str:
        """A short human name for messages, e.g. ``fred`` or a file name."""
        return self.kind
