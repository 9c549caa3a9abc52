"""Feature builders, one module per pillar, registered by name.

Importing this package registers every builder in :data:`BUILDERS`.
"""

from __future__ import annotations

from features import (
    earnings_revisions,
    flows,
    macro,
    momentum,
    positioning,
    rate_expectations,
    valuations,
)
from features._base import (
    BUILDERS,
    CORE_PILLARS,
    FeatureBuilder,
    declared_signs,
    get_builder,
    register,
)

__all__ = [
    "BUILDERS",
    "CORE_PILLARS",
    "FeatureBuilder",
    "declared_signs",
    "earnings_revisions",
    "flows",
    "get_builder",
    "macro",
    "momentum",
    "positioning",
    "rate_expectations",
    "register",
    "valuations",
]
