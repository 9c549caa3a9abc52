"""On-disk cache of the observation tables parsed from file sources.

Parsing a large vendor CSV (or a French library file, or years of CFTC
reports) is the slowest part of loading a config. :func:`load_with_cache`
wraps a file source's parser: the first load parses and writes the table to
``<cache_dir>/parsed/``; a later load with the same input bytes and the same
settings reads it back instead of parsing.

**Key.** SHA-256 of canonical JSON holding the cache format, the package
version, the source's settings (its pydantic model dumped in JSON mode) and
the SHA-256 of every file the source reads (hashed in 1 MiB chunks, which is
cheap next to parsing). Changing a byte of a file or any setting changes the
key. The file name is ``<kind>-<settings digest>-<key>.npz`` (the settings
digest also covers the files' resolved paths); writing a new entry removes the
entries with the same settings digest and another key (older versions of the
files), so the directory holds one entry per source and setting.

**File.** One line ``#smallcap-regime-parsed <json>`` (the key, the SHA-256
and length of the payload, the row count, ``parsed_today`` and the warnings the
parser logged), then the payload: an uncompressed ``.npz`` of plain arrays
(``categories`` and int32 ``codes`` for the series, ``date`` and ``known_at``
as ``datetime64[ns]``, ``value`` as float64), read with
``allow_pickle=False``. Writes are atomic (:func:`regime._io.atomic_write_bytes`).
A file that does not check out (header, key, checksum, arrays) is ignored with
a warning and rewritten: it is never used and never an error.

**Today.** Sources reject rows dated after ``context.today``. Re-checking the
cached rows on read would not be enough: the parsers also check rows they then
drop (French rows whose values are all missing, CFTC rows of other contracts,
explicit ``known_at`` cells of CSV files), and apart from that check a parse
does not depend on ``today``. So a parse that succeeded with ``today = T``
succeeds, with the same table, for every ``today >= T``. The header keeps that
``T`` (``parsed_today``) and an entry is used only when ``context.today >= T``;
an earlier ``today`` re-parses (which raises the usual error naming the file
and line, or succeeds and rewrites the entry with the earlier ``T``). The key
does not hold ``today``, so the entry survives from one day to the next.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from regime._io import atomic_write_bytes, sha256_bytes, sha256_file
from regime.data.observations import COLUMNS
from regime.exceptions import RegimeError, bounded_error

if TYPE_CHECKING:  # pragma: no cover
    from regime.data._base import LoadContext, SourceBase

logger = logging.getLogger(__name__)

__all__ = ["PARSED_DIR", "cache_key", "cache_path", "load_with_cache"]

PARSED_FORMAT = 1
"""Version of the file layout; part of the key."""

PARSED_DIR = "parsed"
"""Sub-directory of ``context.cache_dir`` that holds the entries."""

HEADER_PREFIX = b"#smallcap-regime-parsed "
_ARRAYS = ("categories", "codes", "date", "value", "known_at")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def _settings(source: SourceBase) -> dict[str, Any]:
    from regime import __version__

    return {
        "format": PARSED_FORMAT,
        "version": __version__,
        "source": source.model_dump(mode="json"),
    }


def cache_key(source: SourceBase, files: Sequence[Path]) -> str:
    """The entry's key: settings, package version and the SHA-256 of each file.

    Raises
    ------
    OSError
        If a file cannot be read (the caller then parses, which reports it).
    """
    payload = {**_settings(source), "files": [sha256_file(f) for f in files]}
    return sha256_bytes(_canonical(payload).encode("ascii"))


def cache_path(source: SourceBase, context: LoadContext, files: Sequence[Path], key: str) -> Path:
    """``<cache_dir>/parsed/<kind>-<settings digest>-<key>.npz``.

    The settings digest covers the settings and the files' resolved paths, not
    their bytes: the entries of one source over versions of its files share it.
    """
    assert context.cache_dir is not None
    where = {**_settings(source), "paths": [str(Path(f).resolve()) for f in files]}
    settings = sha256_bytes(_canonical(where).encode("utf-8"))[:16]
    return Path(context.cache_dir) / PARSED_DIR / f"{source.kind}-{settings}-{key}.npz"


def _today(context: LoadContext) -> pd.Timestamp:
    day = pd.Timestamp(context.today).normalize()
    return day.tz_localize(None) if day.tzinfo is not None else day


class _Invalid(Exception):
    """A cache file that must not be used."""


class _Capture(logging.Handler):
    """Collects the warnings a parser logs, to replay them on a cache hit."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[list[Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append([record.name, record.levelno, record.getMessage()])


def load_with_cache(
    source: SourceBase,
    context: LoadContext,
    files: Sequence[Path],
    parse: Callable[[], pd.DataFrame],
) -> pd.DataFrame:
    """Return ``parse()``, read from the parsed-file cache when an entry is valid.

    Parameters
    ----------
    source : SourceBase
        The file source; its settings are part of the key.
    context : LoadContext
        ``cache_dir`` (None: no cache, always parse) and ``today``.
    files : sequence of Path
        Every file ``parse`` reads; their bytes are part of the key.
    parse : callable
        Parses the files into the observation table (and raises the source's
        errors). Called on a miss only.

    Returns
    -------
    pandas.DataFrame
        The observation table; a cached one equals the parsed one exactly.

    Raises
    ------
    RegimeError
        What ``parse`` raises, its message on one line and bounded in length
        (:func:`regime.exceptions.bounded_error`).
    """
    try:
        return _load_with_cache(source, context, files, parse)
    except RegimeError as exc:
        raise bounded_error(exc) from None


def _load_with_cache(
    source: SourceBase,
    context: LoadContext,
    files: Sequence[Path],
    parse: Callable[[], pd.DataFrame],
) -> pd.DataFrame:
    if context.cache_dir is None:
        return parse()
    try:
        key = cache_key(source, files)
    except OSError:
        return parse()  # a missing or unreadable file: the parser names it
    path = cache_path(source, context, files, key)
    today = _today(context)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = None
    except OSError as exc:
        logger.warning("ignoring parsed-file cache %s: cannot read it (%s)", path, exc)
        data = None
    if data is not None:
        try:
            frame, header = _decode(data, key)
        except _Invalid as exc:
            logger.warning("ignoring parsed-file cache %s (%s); rewriting it", path, exc)
        else:
            if today >= pd.Timestamp(header["parsed_today"]):
                for name, level, message in header["warnings"]:
                    logging.getLogger(name).log(level, message)
                logger.debug("read %d parsed rows of %s from %s", len(frame), source.label(), path)
                return frame

    capture = _Capture()
    package = logging.getLogger("regime")
    package.addHandler(capture)
    try:
        frame = parse()
    finally:
        package.removeHandler(capture)
    try:
        atomic_write_bytes(path, _encode(frame, key, today, capture.records))
    except (OSError, ValueError) as exc:
        logger.warning("cannot write parsed-file cache %s (%s); continuing without it", path, exc)
        return frame
    for stale in path.parent.glob(path.name[: -len(key) - 4] + "*.npz"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return frame


def _encode(frame: pd.DataFrame, key: str, today: pd.Timestamp, warnings: list[Any]) -> bytes:
    """The header line and the ``.npz`` payload of ``frame``."""
    codes, categories = pd.factorize(frame["series"].to_numpy(dtype=object), sort=True)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        categories=np.asarray(categories, dtype=str),
        codes=codes.astype(np.int32),
        date=frame["date"].to_numpy(dtype="datetime64[ns]"),
        value=frame["value"].to_numpy(dtype="float64"),
        known_at=frame["known_at"].to_numpy(dtype="datetime64[ns]"),
    )
    body = buffer.getvalue()
    header = {
        "format": PARSED_FORMAT,
        "key": key,
        "sha256": sha256_bytes(body),
        "bytes": len(body),
        "rows": len(frame),
        "parsed_today": f"{today:%Y-%m-%d}",
        "warnings": warnings,
    }
    return HEADER_PREFIX + _canonical(header).encode("ascii") + b"\n" + body


def _decode(data: bytes, key: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Check a cache file against ``key`` and its checksum; return its table and header."""
    newline = data.find(b"\n")
    if newline < 0 or not data.startswith(HEADER_PREFIX):
        raise _Invalid("no cache header")
    try:
        header = json.loads(data[len(HEADER_PREFIX) : newline])
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _Invalid("unparseable header") from None
    if not isinstance(header, dict) or header.get("format") != PARSED_FORMAT:
        raise _Invalid("unknown format")
    if header.get("key") != key:
        raise _Invalid("key mismatch")
    body = data[newline + 1 :]
    if len(body) != header.get("bytes") or sha256_bytes(body) != header.get("sha256"):
        raise _Invalid("checksum mismatch: the file was changed or truncated")
    try:
        rows = int(header["rows"])
        pd.Timestamp(header["parsed_today"])
        warnings = [(str(n), int(lv), str(m)) for n, lv, m in header["warnings"]]
        with np.load(io.BytesIO(body), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in _ARRAYS}
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise _Invalid(f"unreadable payload: {exc}") from None
    header["warnings"] = warnings
    categories, codes = arrays["categories"], arrays["codes"]
    if (
        categories.dtype.kind != "U"
        or codes.dtype != np.int32
        or arrays["value"].dtype != np.float64
        or any(arrays[c].dtype != np.dtype("datetime64[ns]") for c in ("date", "known_at"))
        or any(arrays[c].shape != (rows,) for c in ("codes", "date", "value", "known_at"))
        or (rows and (codes.min() < 0 or codes.max() >= len(categories)))
    ):
        raise _Invalid("arrays do not match the header")
    series = pd.Categorical.from_codes(codes, categories.astype(object)).astype("str")
    frame = pd.DataFrame(
        {
            "series": pd.array(series, dtype="str"),
            "date": arrays["date"],
            "value": arrays["value"],
            "known_at": arrays["known_at"],
        },
        columns=list(COLUMNS),
    )
    return frame, header
