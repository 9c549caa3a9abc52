"""smallcap-regime: the probability of a sustained small-cap run, explained.

>>> from regime import load_model
>>> model = load_model("models/demo.joblib")  # doctest: +SKIP
>>> model.score("2024-05-06").to_dict()["stance"]  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["RegimeModel", "__version__", "load_config", "load_model"]

if TYPE_CHECKING:  # pragma: no cover
    from regime.config import load_config
    from regime.scoring import RegimeModel, load_model


def __getattr__(name: str) -> Any:
    """Import the heavy parts lazily, so `regime --version` stays instant."""
    if name in ("load_model", "RegimeModel"):
        from regime import scoring

        return getattr(scoring, name)
    if name == "load_config":
        from regime.config import load_config

        return load_config
    raise AttributeError(f"module 'regime' has no attribute {name!r}")
