"""smallcap-regime: the probability of a sustained small-cap run, explained."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
