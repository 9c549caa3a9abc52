"""On-disk cache of observation tables, one checksummed CSV file per series.

Layout: ``<root>/<source_key>/<series_id>.csv``. Each file is a single
self-describing unit written atomically (:func:`regime._io.atomic_write_bytes`):

* line 1 is a header, ``#smallcap-regime-cache <json>``, whose JSON object holds
  the cache ``format`` version, the ``sha256`` of every byte after that first
  line, ``fetched_at`` (ISO 8601, UTC), the number of ``rows``, the ``columns``,
  the ``source_key``, the ``series`` id and the source's ``meta`` (never a secret:
  callers must not put credentials in ``meta``);
* the rest is a plain CSV with the columns ``series,date,value,known_at`` and
  optionally ``realtime_end``. Dates are ``YYYY-MM-DD``; an empty
  ``realtime_end`` is NaT (the value is still current); values are written with
  :func:`repr`, the shortest string that round-trips a float exactly.

Keeping the checksum inside the file it covers means a crash can never leave a
data file and a sidecar out of step. A file whose header or checksum does not
check out (edited, truncated, half-copied) raises :class:`CacheError`; a cache
file is never used silently when it is corrupt.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regime._io import atomic_write_bytes, sha256_bytes
from regime.data.observations import COLUMNS
from regime.exceptions import CacheError

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
"""Version of the file format; files of another version are rejected."""

HEADER_PREFIX = "#smallcap-regime-cache "
"""Start of the first line of every cache file."""

OPTIONAL_COLUMNS: tuple[str, ...] = ("realtime_end",)
"""Columns a cached frame may carry besides :data:`~regime.data.observations.COLUMNS`."""

APP_NAME = "smallcap-regime"

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_DATE_FORMAT = "%Y-%m-%d"


def default_cache_dir() -> Path:
    """Return the default cache root, ``$XDG_CACHE_HOME/smallcap-regime``.

    ``XDG_CACHE_HOME`` is honoured when it is set to an absolute path (the XDG
    base directory spec says relative values are to be ignored); otherwise the
    root is ``~/.cache/smallcap-regime``.

    Returns
    -------
    pathlib.Path
        The directory (not created).
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg:
        base = Path(xdg).expanduser()
        if base.is_absolute():
            return base / APP_NAME
    return Path.home() / ".cache" / APP_NAME


def _check_name(kind: str, name: str) -> str:
    """Return ``name`` if it is a safe single path component, else raise."""
    if not isinstance(name, str) or not _SAFE_NAME.match(name):
        raise ValueError(
            f"{kind} {name!r} cannot name a cache file: use letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def _corrupt(path: Path, reason: str) -> CacheError:
    """The error raised for an unusable cache file."""
    return CacheError(
        f"cache file {path} is corrupt ({reason}); delete it and run `regime data pull`"
    )


def _format_dates(values: pd.Series, column: str, allow_nat: bool) -> list[str]:
    """Format a datetime column as ``YYYY-MM-DD`` strings ('' for NaT if allowed)."""
    index = pd.DatetimeIndex(values)
    if index.tz is not None:
        raise ValueError(f"column {column!r} must be tz-naive")
    missing = index.isna()
    if missing.any() and not allow_nat:
        raise ValueError(f"column {column!r} has a missing date")
    present = index[~missing]
    if (present != present.normalize()).any():
        raise ValueError(f"column {column!r} has a time of day; dates must be normalised")
    text = index.strftime(_DATE_FORMAT)
    return ["" if gone else str(day) for day, gone in zip(text, missing, strict=True)]


def _parse_dates(path: Path, column: str, texts: list[str], allow_nat: bool) -> pd.DatetimeIndex:
    """Parse ``YYYY-MM-DD`` strings of one column, raising CacheError on failure."""
    if not allow_nat and any(t == "" for t in texts):
        raise _corrupt(path, f"column {column!r} has an empty date")
    cleaned = [None if t == "" else t for t in texts]
    try:
        parsed = pd.to_datetime(pd.Series(cleaned, dtype=object), format=_DATE_FORMAT)
    except (ValueError, TypeError) as exc:
        raise _corrupt(path, f"column {column!r} has an unparseable date: {exc}") from None
    return pd.DatetimeIndex(parsed).as_unit("ns")


class ObservationCache:
    """A directory of cached observation tables, keyed by source and series.

    Parameters
    ----------
    root : pathlib.Path
        Cache root directory (created on first write). See
        :func:`default_cache_dir`.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser()

    def __repr__(self) -> str:
        return f"ObservationCache(root={str(self.root)!r})"

    def path(self, source_key: str, series_id: str) -> Path:
        """Return the file that holds ``series_id`` of ``source_key``.

        Parameters
        ----------
        source_key : str
            Name of the source's sub-directory, e.g. ``fred-latest``.
        series_id : str
            Series id; must be a safe file name.

        Returns
        -------
        pathlib.Path
            ``<root>/<source_key>/<series_id>.csv``.
        """
        _check_name("source key", source_key)
        _check_name("series id", series_id)
        return self.root / source_key / f"{series_id}.csv"

    def write(
        self,
        source_key: str,
        series_id: str,
        frame: pd.DataFrame,
        meta: dict[str, Any],
        fetched_at: pd.Timestamp | None = None,
    ) -> Path:
        """Write one series' observations atomically.

        Parameters
        ----------
        source_key : str
            Name of the source's sub-directory.
        series_id : str
            The series; every row of ``frame`` must belong to it.
        frame : pandas.DataFrame
            Observation table with the canonical columns and optionally
            ``realtime_end``; other columns are not allowed.
        meta : dict
            JSON-serialisable description of where the data came from. Must
            not contain secrets.
        fetched_at : pandas.Timestamp, optional
            When the data was fetched; defaults to now. Naive values are taken
            as UTC.

        Returns
        -------
        pathlib.Path
            The file written.

        Raises
        ------
        ValueError
            If the frame lacks a canonical column, has an unknown column, a row
            of another series, or a missing or non-normalised date.
        CacheError
            If the file cannot be written.
        """
        path = self.path(source_key, series_id)
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"cannot cache {series_id!r}: frame lacks column(s) {missing}")
        extra = [c for c in frame.columns if c not in COLUMNS and c not in OPTIONAL_COLUMNS]
        if extra:
            raise ValueError(f"cannot cache {series_id!r}: unexpected column(s) {extra}")
        columns = [*COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in frame.columns)]
        series = frame["series"].astype("str")
        if len(frame) and (series != series_id).any():
            raise ValueError(f"cannot cache {series_id!r}: frame has rows of other series")

        text_columns: dict[str, list[str]] = {
            "series": series.tolist(),
            "date": _format_dates(frame["date"], "date", allow_nat=False),
            "value": [repr(float(v)) for v in frame["value"].to_numpy(dtype="float64").tolist()],
            "known_at": _format_dates(frame["known_at"], "known_at", allow_nat=False),
        }
        if "realtime_end" in columns:
            text_columns["realtime_end"] = _format_dates(
                frame["realtime_end"], "realtime_end", allow_nat=True
            )
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(zip(*(text_columns[c] for c in columns), strict=True))
        body = buffer.getvalue().encode("utf-8")

        stamp = pd.Timestamp.now(tz="UTC") if fetched_at is None else pd.Timestamp(fetched_at)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        header = {
            "format": CACHE_FORMAT,
            "source_key": source_key,
            "series": series_id,
            "sha256": sha256_bytes(body),
            "fetched_at": stamp.isoformat(),
            "rows": len(frame),
            "columns": columns,
            "meta": meta,
        }
        header_line = HEADER_PREFIX + json.dumps(
            header, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str
        )
        try:
            atomic_write_bytes(path, header_line.encode("utf-8") + b"\n" + body)
        except OSError as exc:
            raise CacheError(
                f"cannot write cache file {path} ({exc.strerror or exc}); "
                "check the cache directory's permissions and free space"
            ) from None
        logger.debug("cached %d rows of %s/%s in %s", len(frame), source_key, series_id, path)
        return path

    def _read_header(self, path: Path, data: bytes) -> tuple[dict[str, Any], bytes]:
        """Split and check the header line; return it parsed and the body."""
        newline = data.find(b"\n")
        if newline < 0:
            raise _corrupt(path, "no complete header line")
        first, body = data[:newline], data[newline + 1 :]
        try:
            line = first.decode("utf-8")
        except UnicodeDecodeError:
            raise _corrupt(path, "header is not UTF-8") from None
        if not line.startswith(HEADER_PREFIX):
            raise _corrupt(path, "missing cache header")
        try:
            header = json.loads(line[len(HEADER_PREFIX) :])
        except json.JSONDecodeError as exc:
            raise _corrupt(path, f"unparseable header: {exc.msg}") from None
        if not isinstance(header, dict):
            raise _corrupt(path, "header is not a JSON object")
        if header.get("format") != CACHE_FORMAT:
            raise _corrupt(path, f"unknown cache format {header.get('format')!r}")
        for key in ("sha256", "fetched_at", "rows", "columns", "meta"):
            if key not in header:
                raise _corrupt(path, f"header lacks {key!r}")
        return header, body

    def _load_bytes(self, path: Path) -> bytes | None:
        """Read a cache file's bytes, None if it does not exist."""
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CacheError(
                f"cannot read cache file {path} ({exc.strerror or exc}); "
                "check its permissions, or delete it and run `regime data pull`"
            ) from None

    def read(self, source_key: str, series_id: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
        """Read one series back, checking the file's integrity.

        Parameters
        ----------
        source_key : str
            Name of the source's sub-directory.
        series_id : str
            The series.

        Returns
        -------
        tuple of (pandas.DataFrame, dict) or None
            The frame, with the same columns, dtypes, order and values that
            were written, and the header (``meta``, ``fetched_at``, ...); None
            if there is no cache file.

        Raises
        ------
        CacheError
            If the file is corrupt: bad header, checksum mismatch (edited or
            truncated), or unparseable rows.
        """
        path = self.path(source_key, series_id)
        data = self._load_bytes(path)
        if data is None:
            return None
        header, body = self._read_header(path, data)
        if sha256_bytes(body) != header["sha256"]:
            raise _corrupt(path, "checksum mismatch: the file was changed or truncated")
        try:
            rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise _corrupt(path, f"unparseable CSV: {exc}") from None
        columns = header["columns"]
        if not rows or rows[0] != columns:
            raise _corrupt(path, "CSV header does not match the file header")
        required = [*COLUMNS]
        if columns[: len(required)] != required or any(
            c not in OPTIONAL_COLUMNS for c in columns[len(required) :]
        ):
            raise _corrupt(path, f"unexpected columns {columns}")
        records = rows[1:]
        if len(records) != header["rows"]:
            raise _corrupt(path, f"{len(records)} rows, header says {header['rows']}")
        if any(len(r) != len(columns) for r in records):
            raise _corrupt(path, "a row has the wrong number of fields")
        cells = dict(zip(columns, zip(*records, strict=True), strict=True)) if records else {}
        texts = {c: list(cells.get(c, ())) for c in columns}
        try:
            values = np.array([float(v) for v in texts["value"]], dtype="float64")
        except ValueError as exc:
            raise _corrupt(path, f"unparseable value: {exc}") from None
        frame = pd.DataFrame(
            {
                "series": pd.Series(texts["series"], dtype="str"),
                "date": _parse_dates(path, "date", texts["date"], allow_nat=False),
                "value": values,
                "known_at": _parse_dates(path, "known_at", texts["known_at"], allow_nat=False),
            }
        )
        if "realtime_end" in columns:
            frame["realtime_end"] = _parse_dates(
                path, "realtime_end", texts["realtime_end"], allow_nat=True
            )
        if len(frame) and (frame["series"] != series_id).any():
            raise _corrupt(path, f"rows of a series other than {series_id!r}")
        return frame, header

    def fetched_at(self, source_key: str, series_id: str) -> pd.Timestamp | None:
        """When a series was fetched, from its file header (None if not cached).

        Only the header is checked, not the checksum; :meth:`read` checks both.

        Raises
        ------
        CacheError
            If the header is corrupt.
        """
        path = self.path(source_key, series_id)
        data = self._load_bytes(path)
        if data is None:
            return None
        header, _ = self._read_header(path, data)
        try:
            return pd.Timestamp(header["fetched_at"]).tz_convert("UTC")
        except (ValueError, TypeError):
            raise _corrupt(path, "unparseable fetched_at") from None
