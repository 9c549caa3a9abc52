"""Data moves once: each distinct source set is loaded by the driver, before the sweep.

Variants that share ``data.sources`` (and the cache they read) share one
load. Remote sources (FRED) are pulled first, each distinct one once however
many source sets name it, online unless ``--offline``, which refreshes the
cache within the source's own rate limit; every source set is then read with
remote sources taken from that cache. The workers receive the observations
and never load a source themselves, so the number of FRED requests grows
with neither the number of workers nor the number of variants.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

from regime.data._base import LoadContext
from regime.sweep.grid import Variant
from regime.sweep.task import SourceData, one_line

logger = logging.getLogger(__name__)

#: Source kinds read over the network: pulled once before the sweep, then read from the cache.
REMOTE_KINDS = frozenset({"fred"})


@dataclass(frozen=True)
class SourceSet:
    """A distinct ``data.sources`` list and the load context it is read with."""

    key: str
    context: LoadContext
    variants: tuple[str, ...]


def source_sets(
    variants: list[Variant] | tuple[Variant, ...],
    config_dir: Path,
    cache_dir: str | None = None,
    offline: bool = False,
) -> dict[str, SourceSet]:
    """Group variants by source set; keys are a hash of the sources and the cache directory."""
    groups: dict[str, tuple[LoadContext, list[str]]] = {}
    for variant in variants:
        context = LoadContext.for_config(
            config_dir, variant.config.data.cache_dir, cache_dir, offline
        )
        payload = {
            "sources": variant.resolved["data"]["sources"],
            "cache": None if context.cache_dir is None else str(context.cache_dir),
        }
        key = hashlib.sha256(
            json.dumps(payload, sort_keys=True, default=str).encode("utf-8")
        ).hexdigest()[:12]
        groups.setdefault(key, (context, []))[1].append(variant.id)
    return {key: SourceSet(key, ctx, tuple(ids)) for key, (ctx, ids) in groups.items()}


def _pull(source, context: LoadContext, pulled: dict[str, str | None]) -> str | None:
    """Fetch a remote source into the cache once per run (offline: nothing to fetch)."""
    if context.offline:
        return None
    ident = json.dumps(
        [source.model_dump(mode="json"), str(context.cache_dir)], sort_keys=True, default=str
    )
    if ident not in pulled:
        try:
            source.load(context)
        except Exception as exc:
            pulled[ident] = one_line(exc)
            logger.warning("%s could not be pulled: %s", source.label(), pulled[ident])
        else:
            pulled[ident] = None
            logger.info("%s pulled into the cache", source.label())
    return pulled[ident]


def source_key_of(sets: dict[str, SourceSet]) -> dict[str, str]:
    """Variant id -> key of its source set."""
    return {variant: key for key, group in sets.items() for variant in group.variants}


def load_source_sets(
    sets: dict[str, SourceSet], variants: dict[str, Variant]
) -> tuple[dict[str, SourceData], dict[str, str]]:
    """Load each source set once; return the loaded ones and the error of each that failed.

    A set that fails to load (a missing file, FRED unreachable with no
    cached copy) fails its variants with that error; the other sets still run.
    """
    from regime.data.sources import load_sources

    loaded: dict[str, SourceData] = {}
    errors: dict[str, str] = {}
    pulled: dict[str, str | None] = {}  # remote source -> its error, None when pulled
    for key, group in sets.items():
        sources = list(variants[group.variants[0]].config.data.sources)
        failed = [
            error
            for source in sources
            if source.kind in REMOTE_KINDS
            and (error := _pull(source, group.context, pulled)) is not None
        ]
        if failed:
            errors[key] = f"pulling a remote source: {failed[0]}"
            continue
        try:
            observations, max_age = load_sources(sources, replace(group.context, offline=True))
        except Exception as exc:
            errors[key] = f"loading the data sources: {one_line(exc)}"
            logger.warning("source set %s failed to load: %s", key, errors[key])
            continue
        loaded[key] = SourceData(key, observations, max_age)
        logger.info(
            "source set %s: %d rows of %d series for %d variant(s)",
            key,
            len(observations),
            observations["series"].nunique(),
            len(group.variants),
        )
    return loaded, errors
