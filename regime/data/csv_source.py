"""Vendor CSV exports as an observation source (``kind: csv``).

Strategists receive ETF flows and assets, forward P/E ratios, revision
breadth and prices from vendors as CSV files. :class:`CsvSource` reads such a
file in one of two layouts:

``wide``
    One ``date`` column and one column per series; each row is one date.
``long``
    Columns ``series``, ``date``, ``value`` and optionally ``known_at``; each
    row is one observation.

A row's ``known_at`` is its long-layout ``known_at`` cell or, when there is
none, ``date + lag_days`` business days. There is no default lag (point in
time: a value is only usable once published), so a series with rows lacking
``known_at`` and no lag is a :class:`~regime.exceptions.ConfigError`.

Every cell is read as a string and parsed here, so each error names the file,
the 1-based physical line (the header is line 1) and the column, e.g.
``flows.csv:7: column SMALL_ETF_FLOW: 'abc' is not a number; ...``.
See ``docs/data-sources-csv.md`` for the user-facing rules.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from regime.calendar import FIRST_DAY
from regime.data._base import LoadContext, SourceBase
from regime.data.observations import (
    add_business_days,
    make_observations,
    validate_observations,
)
from regime.data.parsed_cache import load_with_cache
from regime.exceptions import ConfigError, DataError, DataFormatError

__all__ = ["MISSING_TOKENS", "CsvSource"]

#: Cell contents (compared case-insensitively, after trimming) meaning "no value".
MISSING_TOKENS: frozenset[str] = frozenset({"", "na", "n/a", "#n/a", "-", "nan", "."})

_LONG_SERIES = "series"
_LONG_VALUE = "value"
_LONG_KNOWN_AT = "known_at"

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?(?:[eE][+-]?\d+)?")

#: Longest publication lag, in business days (about a year).
MAX_LAG_DAYS = 260
_FIRST_DAY = FIRST_DAY.date()

_NUMBER_FIX = "write a plain number such as 1234.5 (or leave the cell empty or NA if missing)"


class _CellProblem(Exception):
    """A cell that does not parse; carries what is wrong and what to do."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True)
class _Table:
    """The CSV file as trimmed string cells, with the line each row starts on."""

    origin: str
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]]


def _fail(
    origin: str, line: int | None, column: str | None, problem: str, fix: str
) -> DataFormatError:
    """Build the one-line ``FILE:LINE: column COL: problem; fix`` error."""
    where = origin if line is None else f"{origin}:{line}"
    col = "" if column is None else f" column {column}:"
    return DataFormatError(f"{where}:{col} {problem}; {fix}")


def _closest(name: str, options: Iterable[str]) -> str:
    """Describe the option closest to ``name`` (case-insensitive match first)."""
    choices = [o for o in options if o]
    if not choices:
        return "there is nothing to choose from"
    for option in choices:
        if option.casefold() == name.casefold():
            return f"closest is {option!r}"
    best = difflib.get_close_matches(name, choices, n=1, cutoff=0.0)
    return f"closest is {best[0]!r}" if best else f"columns are {choices}"


def _no_lag_message(origin: str, unset: dict[str, int | None]) -> str:
    """One line naming the series that have no ``known_at`` and no lag, and what to do.

    ``unset`` maps series ids to the first line without ``known_at`` (None: the
    whole series, as in a wide file); empty means every series of a wide file.
    """
    fix = (
        "set lag_days (business days after the date until the value is published) per "
        "source, or per series with a dict whose `default` key covers the rest"
    )
    if not unset:
        return f"{origin}: a wide file has no known_at and lag_days is not set; {fix}"
    names = ", ".join(
        sid if line is None else f"{sid} (line {line})" for sid, line in unset.items()
    )
    has = "has" if len(unset) == 1 else "have"
    return f"{origin}: series {names} {has} no known_at and no lag_days; {fix}"


def _parse_number(cell: str) -> float:
    """Parse a value cell; NaN for a missing value.

    Raises
    ------
    _CellProblem
        If the cell is neither a number nor a missing-value token.
    """
    if cell.casefold() in MISSING_TOKENS:
        return math.nan
    if _PLAIN_NUMBER.fullmatch(cell):
        number = float(cell)
    elif _GROUPED_NUMBER.fullmatch(cell):
        number = float(cell.replace(",", ""))
    else:
        if cell.endswith("%") and _PLAIN_NUMBER.fullmatch(cell[:-1].strip()):
            raise _CellProblem(
                f"{cell!r} is not a number",
                "drop the % sign and set scale: {SERIES: 0.01} for this series",
            )
        if "," in cell:
            raise _CellProblem(
                f"{cell!r} is not a number (thousands separators must be 1,234,567.8)",
                _NUMBER_FIX,
            )
        raise _CellProblem(f"{cell!r} is not a number", _NUMBER_FIX)
    if not math.isfinite(number):
        raise _CellProblem(f"{cell!r} is out of the float range", _NUMBER_FIX)
    return number


def _parse_date(cell: str, date_format: str | None) -> date:
    """Parse a date cell with the strict ISO rule or ``date_format``.

    Raises
    ------
    _CellProblem
        If the cell is empty or does not match the expected format.
    """
    if not cell:
        raise _CellProblem("empty date", "fill in the date or delete the row")
    if date_format is None:
        if not _ISO_DATE.fullmatch(cell):
            raise _CellProblem(
                f"{cell!r} is not a YYYY-MM-DD date",
                "write dates as YYYY-MM-DD or set date_format (e.g. '%m/%d/%Y')",
            )
        try:
            return date.fromisoformat(cell)
        except ValueError:
            raise _CellProblem(f"{cell!r} is not a valid calendar date", "fix the date") from None
    try:
        parsed = datetime.strptime(cell, date_format)
    except ValueError:
        raise _CellProblem(
            f"{cell!r} does not match date_format {date_format!r}",
            "fix the date or date_format",
        ) from None
    return parsed.date()


def _skip_rows(table: _Table, count: int) -> _Table:
    """``table`` without its first ``count`` data rows (``skip_rows``)."""
    if count >= len(table.rows):
        raise _fail(
            table.origin,
            table.header_line,
            None,
            f"skip_rows: {count} skips every one of the file's {len(table.rows)} data rows",
            "lower skip_rows",
        )
    return replace(table, rows=table.rows[count:])


def _read_table(path: Path) -> _Table:
    """Read ``path`` into trimmed string cells with physical line numbers.

    Raises
    ------
    DataError
        If the file does not exist or cannot be read.
    DataFormatError
        If it is empty, not UTF-8, malformed CSV, has ragged rows, duplicate
        or missing header names.
    """
    origin = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(
            f"{origin}: file not found; check `path` in the config "
            "(relative paths are resolved against the config file's directory)"
        ) from None
    except OSError as exc:
        raise DataError(
            f"{origin}: cannot read the file ({exc.strerror or exc}); "
            "check that it is a readable file"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _fail(
            origin,
            line,
            None,
            f"byte 0x{raw[exc.start]:02x} is not UTF-8 text",
            "save the file as UTF-8 CSV",
        ) from None
    if not text.strip():
        raise _fail(
            origin, 1, None, "the file is empty", "export it again with a header row and data"
        )

    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    end = 0
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            cells = [cell.strip() for cell in row]
            if any(cells):
                records.append((start, cells))
    except csv.Error as exc:
        raise _fail(
            origin, end + 1, None, f"malformed CSV ({exc})", "check the quotes on this row"
        ) from None

    if not records:  # only separators and blank lines
        raise _fail(
            origin, 1, None, "the file has no cells", "export it again with a header row and data"
        )
    header_line, header = records[0]
    rows = records[1:]
    if not rows:
        raise _fail(
            origin, header_line + 1, None, "no data rows after the header", "export the data again"
        )
    for line, cells in rows:
        if len(cells) != len(header):
            raise _fail(
                origin,
                line,
                None,
                f"row has {len(cells)} fields but the header has {len(header)}",
                "remove stray separators and quote numbers with thousands separators "
                '(e.g. "1,234.5")',
            )
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            for line, cells in rows:
                if cells[position - 1]:
                    raise _fail(
                        origin,
                        line,
                        f"#{position}",
                        f"the header names no column here but the row holds "
                        f"{cells[position - 1]!r}",
                        "name the column in the header or delete the stray cell",
                    )
        elif name in seen:
            raise _fail(
                origin,
                header_line,
                name,
                f"appears twice in the header (fields {seen[name]} and {position})",
                "rename or delete one of them",
            )
        else:
            seen[name] = position
    keep = [i for i, name in enumerate(header) if name]
    if len(keep) != len(header):
        header = [header[i] for i in keep]
        rows = [(line, [cells[i] for i in keep]) for line, cells in rows]
    return _Table(origin=origin, header=header, header_line=header_line, rows=rows)


def _missing_column(table: _Table, name: str, fix: str) -> DataFormatError:
    """The error for a header lacking ``name``, with separator hints."""
    hint = _closest(name, table.header)
    if len(table.header) == 1:
        for sep, label in ((";", "';'"), ("\t", "tabs"), ("|", "'|'")):
            if sep in table.header[0]:
                return _fail(
                    table.origin,
                    table.header_line,
                    name,
                    f"not in the header, which seems to be separated by {label}",
                    "save the file as comma-separated CSV",
                )
    return _fail(table.origin, table.header_line, name, f"not in the header ({hint})", fix)


class CsvSource(SourceBase):
    """A vendor CSV export (``kind: csv``), in the wide or the long layout.

    Attributes
    ----------
    kind : {"csv"}
        Source discriminator.
    path : str
        The CSV file, resolved with :meth:`LoadContext.resolve`.
    layout : {"wide", "long"}
        ``wide``: a date column plus one column per series. ``long``: columns
        ``series``, ``date``, ``value`` and optionally ``known_at``.
    date_column : str
        Name of the date column (both layouts).
    date_format : str or None
        A :func:`datetime.strptime` format for the date and ``known_at``
        cells, e.g. ``"%m/%d/%Y"``; None accepts ISO ``YYYY-MM-DD`` only.
    series : dict of str to str, or None
        Wide: file column -> series id; only these columns are read. Long:
        file series name -> series id; only these series are read. None reads
        every column (wide) or series (long) under its own name.
    lag_days : int, dict of str to int, or None
        Publication lag in business days: ``known_at = date + lag``. A dict
        is keyed by series id, with an optional ``"default"``. None (the
        default) sets no lag: then every row must carry its own
        ``known_at`` (long layout), and a row without one is a config error
        naming its series. Ignored for long rows with an explicit ``known_at``.
    scale : dict of str to float
        Per-series multiplier keyed by series id, e.g. ``0.01`` for percent.
    skip_rows : int
        Data rows right after the header to ignore, e.g. ``1`` for FRED-MD's
        ``Transform:`` row of transformation codes.
    """

    kind: Literal["csv"]
    path: str
    layout: Literal["wide", "long"] = "wide"
    date_column: str = "date"
    date_format: str | None = None
    series: dict[str, str] | None = None
    lag_days: int | dict[str, int] | None = None
    scale: dict[str, float] = Field(default_factory=dict)
    skip_rows: int = Field(0, ge=0, le=100)

    @field_validator("path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("path must not be empty")
        return value

    @field_validator("date_column")
    @classmethod
    def _check_date_column(cls, value: str) -> str:
        if not value or value != value.strip():
            raise ValueError(f"date_column {value!r} must be non-empty without surrounding spaces")
        return value

    @field_validator("date_format")
    @classmethod
    def _check_date_format(cls, value: str | None) -> str | None:
        if value is None:
            return value
        sample = datetime(2001, 2, 3)
        try:
            back = datetime.strptime(sample.strftime(value), value)
        except ValueError as exc:
            raise ValueError(
                f"date_format {value!r} is not a usable strptime format: {exc}"
            ) from None
        if back.date() != sample.date():
            raise ValueError(
                f"date_format {value!r} must contain the year, month and day, e.g. '%m/%d/%Y'"
            )
        return value

    @field_validator("series")
    @classmethod
    def _check_series(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("series must name at least one column (or be omitted)")
        for key, target in value.items():
            if not key.strip() or not target.strip():
                raise ValueError(f"series entry {key!r}: {target!r} has an empty name")
        targets = list(value.values())
        repeated = sorted({t for t in targets if targets.count(t) > 1})
        if repeated:
            raise ValueError(f"series maps several columns to the same id(s) {repeated}")
        return value

    @field_validator("lag_days")
    @classmethod
    def _check_lag_days(cls, value: int | dict[str, int] | None) -> int | dict[str, int] | None:
        if value is None:
            return value
        lags = value.items() if isinstance(value, dict) else [("lag_days", value)]
        for key, lag in lags:
            if lag < 0:
                raise ValueError(f"lag_days {key!r} is {lag}; lags must be >= 0 business days")
            if lag > MAX_LAG_DAYS:
                raise ValueError(
                    f"lag_days {key!r} is {lag}; lags must be at most {MAX_LAG_DAYS} business days"
                )
        return value

    @field_validator("scale")
    @classmethod
    def _check_scale(cls, value: dict[str, float]) -> dict[str, float]:
        for key, factor in value.items():
            if not math.isfinite(factor) or factor == 0:
                raise ValueError(f"scale {key!r} is {factor}; use a finite, non-zero factor")
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> CsvSource:
        if self.layout == "wide" and self.series is not None and self.date_column in self.series:
            raise ValueError(f"series must not map the date column {self.date_column!r}")
        reserved = {_LONG_SERIES, _LONG_VALUE, _LONG_KNOWN_AT}
        if self.layout == "long" and self.date_column in reserved:
            raise ValueError(f"date_column {self.date_column!r} clashes with a long-layout column")
        if self.series is not None:
            self._check_keys(set(self.series.values()), ValueError, "series ids in `series`")
        if self.layout == "wide":
            # A wide file has no known_at column: every series needs a lag. Without
            # `series` the ids are only known once the file is read (see _parse_wide).
            ids = [] if self.series is None else list(self.series.values())
            unset: dict[str, int | None] = {s: None for s in ids if self._lag_for(s) is None}
            if self.lag_days is None or unset:
                raise ValueError(_no_lag_message(self.path, unset))
        return self

    def label(self) -> str:
        """The file name, e.g. ``etf_flows.csv``."""
        return Path(self.path).name

    def load(self, context: LoadContext) -> pd.DataFrame:
        """Read, validate and return the file's observations.

        Parameters
        ----------
        context : LoadContext
            Base directory for the relative ``path`` and the run's ``today``.

        Returns
        -------
        pandas.DataFrame
            The long observation table (``series``, ``date``, ``value``,
            ``known_at``), sorted by series, date and known_at; missing values
            are dropped.

        Raises
        ------
        DataError
            If the file does not exist or cannot be read.
        DataFormatError
            If the content breaks a rule; the message names file, line and
            column and says how to fix it.
        ConfigError
            If ``lag_days`` or ``scale`` name a series the file does not hold.
        """
        path = context.resolve(self.path)
        return load_with_cache(self, context, [path], lambda: self._parse(path, context))

    def _parse(self, path: Path, context: LoadContext) -> pd.DataFrame:
        """Parse the file (what :meth:`load` does on a parsed-file cache miss)."""
        table = _read_table(path)
        if self.skip_rows:
            table = _skip_rows(table, self.skip_rows)
        today = pd.Timestamp(context.today).date()
        if self.layout == "wide":
            ids, dates, values, known = self._parse_wide(table, today)
        else:
            ids, dates, values, known = self._parse_long(table, today)
        frame = make_observations(ids, dates, values, known)
        frame = frame.sort_values(["series", "date", "known_at"], kind="stable")
        return validate_observations(frame.reset_index(drop=True), table.origin)

    # -- helpers -------------------------------------------------------------

    def _lag_for(self, series_id: str) -> int | None:
        """The series' lag (its own key, else ``default``), or None if unset."""
        if isinstance(self.lag_days, dict):
            return self.lag_days.get(series_id, self.lag_days.get("default"))
        return self.lag_days

    def _require_lags(self, origin: str, series_lines: dict[str, int | None]) -> None:
        """Raise ConfigError naming the series without known_at that have no lag.

        ``series_lines`` maps each series id whose rows lack ``known_at`` to
        the first such line (None when every row lacks it, as in a wide file).
        """
        unset = {sid: line for sid, line in series_lines.items() if self._lag_for(sid) is None}
        if unset:
            raise ConfigError(_no_lag_message(origin, unset))

    def _check_keys(
        self, present: set[str], error: type[Exception], where: str, prefix: str = ""
    ) -> None:
        """Reject ``lag_days``/``scale`` keys that name no series in ``present``."""
        lag_keys = set(self.lag_days) - {"default"} if isinstance(self.lag_days, dict) else set()
        for field, keys in (("lag_days", lag_keys), ("scale", set(self.scale))):
            for key in sorted(keys - present):
                raise error(
                    f"{prefix}{field} names series {key!r}, which is not among the {where} "
                    f"({_closest(key, sorted(present))}); fix or remove the key"
                )

    def _cell_date(self, table: _Table, line: int, column: str, cell: str, today: date) -> date:
        try:
            day = _parse_date(cell, self.date_format)
        except _CellProblem as exc:
            raise _fail(table.origin, line, column, exc.problem, exc.fix) from None
        if day < _FIRST_DAY:
            raise _fail(
                table.origin,
                line,
                column,
                f"date {day:%Y-%m-%d} is before {_FIRST_DAY}, where the trading calendar begins",
                "remove the row or fix the date (and date_format)",
            )
        if day > today:
            raise _fail(
                table.origin,
                line,
                column,
                f"date {day:%Y-%m-%d} is after today ({today:%Y-%m-%d})",
                "remove rows from the future or check the date (and date_format)",
            )
        return day

    def _cell_value(
        self, table: _Table, line: int, column: str, cell: str, series_id: str
    ) -> float:
        try:
            number = _parse_number(cell)
        except _CellProblem as exc:
            raise _fail(
                table.origin, line, column, exc.problem, exc.fix.replace("SERIES", series_id)
            ) from None
        factor = self.scale.get(series_id)
        if factor is not None and not math.isnan(number):
            number *= factor
            if not math.isfinite(number):
                raise _fail(
                    table.origin,
                    line,
                    column,
                    f"{cell!r} times scale {factor} overflows",
                    "check the value and the scale",
                )
        return number

    def _parse_wide(
        self, table: _Table, today: date
    ) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray, pd.DatetimeIndex]:
        header = table.header
        if self.date_column not in header:
            raise _missing_column(
                table,
                self.date_column,
                f"set date_column to the file's date column or rename it to {self.date_column!r}",
            )
        if self.series is None:
            if {_LONG_SERIES, _LONG_VALUE} <= set(header) or _LONG_KNOWN_AT in header:
                column = _LONG_KNOWN_AT if _LONG_KNOWN_AT in header else _LONG_SERIES
                raise _fail(
                    table.origin,
                    table.header_line,
                    column,
                    "the file looks like a long-layout file (series, date, value[, known_at])",
                    "set layout: long",
                )
            mapping = {c: c for c in header if c != self.date_column}
            if not mapping:
                raise _fail(
                    table.origin,
                    table.header_line,
                    None,
                    "the header has no column besides the date",
                    "add series columns to the file",
                )
            self._check_keys(
                set(mapping.values()), ConfigError, "file's columns", f"{table.origin}: "
            )
        else:
            mapping = self.series
            for column in mapping:
                if column not in header:
                    raise _missing_column(
                        table, column, "fix the key in `series` or the file's header"
                    )
        self._require_lags(table.origin, dict.fromkeys(mapping.values()))
        date_pos = header.index(self.date_column)
        targets = [(header.index(column), column, sid) for column, sid in mapping.items()]

        seen: dict[date, int] = {}
        days: list[date] = []
        values: dict[str, list[float]] = {sid: [] for _, _, sid in targets}
        for line, cells in table.rows:
            day = self._cell_date(table, line, self.date_column, cells[date_pos], today)
            if day in seen:
                raise _fail(
                    table.origin,
                    line,
                    self.date_column,
                    f"date {day:%Y-%m-%d} already appears on line {seen[day]}",
                    "remove the duplicate row",
                )
            seen[day] = line
            days.append(day)
            for pos, column, sid in targets:
                values[sid].append(self._cell_value(table, line, column, cells[pos], sid))

        index = pd.DatetimeIndex(np.array(days, dtype="datetime64[D]").astype("datetime64[ns]"))
        return (
            np.concatenate([np.full(len(index), sid, dtype=object) for _, _, sid in targets]),
            pd.DatetimeIndex(np.tile(index.to_numpy(), len(targets))),
            np.concatenate([np.asarray(values[sid], dtype="float64") for _, _, sid in targets]),
            pd.DatetimeIndex(
                np.concatenate(
                    [
                        add_business_days(index, self._lag_for(sid) or 0).to_numpy()
                        for _, _, sid in targets
                    ]
                )
            ),
        )

    def _parse_long(
        self, table: _Table, today: date
    ) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray, pd.DatetimeIndex]:
        header = table.header
        required = [_LONG_SERIES, self.date_column, _LONG_VALUE]
        for name in required:
            if name not in header:
                fix = "rename the column to match, or set layout: wide for a date-per-row file"
                if name == self.date_column:
                    fix = f"set date_column or rename the column to {name!r}"
                raise _missing_column(table, name, fix)
        allowed = {*required, _LONG_KNOWN_AT}
        for name in header:
            if name not in allowed:
                raise _fail(
                    table.origin,
                    table.header_line,
                    name,
                    f"not a long-layout column (expected {', '.join(required)} and "
                    f"optionally known_at; {_closest(name, sorted(allowed))})",
                    "rename or delete the column",
                )
        pos_series = header.index(_LONG_SERIES)
        pos_date = header.index(self.date_column)
        pos_value = header.index(_LONG_VALUE)
        pos_known = header.index(_LONG_KNOWN_AT) if _LONG_KNOWN_AT in header else None

        names_seen: set[str] = set()
        last: dict[str, tuple[date, int]] = {}
        names: list[str] = []
        ids: list[str] = []
        days: list[date] = []
        values: list[float] = []
        explicit: list[date | None] = []
        lines: list[int] = []
        for line, cells in table.rows:
            name = cells[pos_series]
            if not name:
                raise _fail(
                    table.origin, line, _LONG_SERIES, "empty series id", "fill in the series id"
                )
            names_seen.add(name)
            if self.series is None:
                sid = name
            elif name in self.series:
                sid = self.series[name]
            else:
                continue
            day = self._cell_date(table, line, self.date_column, cells[pos_date], today)
            previous = last.get(name)
            if previous is not None and day < previous[0]:
                raise _fail(
                    table.origin,
                    line,
                    self.date_column,
                    f"series {name!r} date {day:%Y-%m-%d} comes after {previous[0]:%Y-%m-%d} "
                    f"on line {previous[1]} (dates must be non-decreasing within each series)",
                    "sort the file by series, then date",
                )
            last[name] = (day, line)
            value = self._cell_value(table, line, _LONG_VALUE, cells[pos_value], sid)
            known_at: date | None = None
            if pos_known is not None and cells[pos_known]:
                known_at = self._cell_date(table, line, _LONG_KNOWN_AT, cells[pos_known], today)
                if known_at < day:
                    raise _fail(
                        table.origin,
                        line,
                        _LONG_KNOWN_AT,
                        f"known_at {known_at:%Y-%m-%d} is before the date {day:%Y-%m-%d}",
                        "fix the row, or leave known_at empty to use lag_days",
                    )
            names.append(name)
            ids.append(sid)
            days.append(day)
            values.append(value)
            explicit.append(known_at)
            lines.append(line)

        if self.series is not None:
            for name in self.series:
                if name not in names_seen:
                    raise _fail(
                        table.origin,
                        None,
                        _LONG_SERIES,
                        f"no rows for series {name!r} ({_closest(name, sorted(names_seen))})",
                        "fix the key in `series` or the file",
                    )
        else:
            self._check_keys(set(ids), ConfigError, "file's series", f"{table.origin}: ")

        # A row with a value but no known_at needs a lag (rows without a value are dropped).
        first_unknown: dict[str, int] = {}
        for sid, known_at, value, line in zip(ids, explicit, values, lines, strict=True):
            if known_at is None and not math.isnan(value):
                first_unknown.setdefault(sid, line)
        self._require_lags(table.origin, first_unknown)
        index = pd.DatetimeIndex(np.array(days, dtype="datetime64[D]").astype("datetime64[ns]"))
        id_array = np.array(ids, dtype=object)
        has_known = np.array([k is not None for k in explicit], dtype=bool)
        known = np.array(
            [np.datetime64("NaT") if k is None else np.datetime64(k, "D") for k in explicit],
            dtype="datetime64[D]",
        ).astype("datetime64[ns]")
        lags = np.array([self._lag_for(sid) or 0 for sid in ids], dtype=np.int64)
        for lag in np.unique(lags[~has_known]):
            mask = ~has_known & (lags == lag)
            known[mask] = add_business_days(index[mask], int(lag)).to_numpy()
        known_index = pd.DatetimeIndex(known)

        keys = pd.DataFrame({"series": np.array(names, dtype=object), "date": index})
        if pos_known is not None:
            keys["known_at"] = known_index
        repeated = keys.duplicated(keep="first").to_numpy()
        if repeated.any():
            at = int(np.flatnonzero(repeated)[0])
            same = (keys == keys.iloc[at]).all(axis=1).to_numpy()
            first = int(np.flatnonzero(same)[0])
            what = f"series {names[at]!r} date {days[at]:%Y-%m-%d}"
            if pos_known is not None:
                what += f" known_at {known_index[at]:%Y-%m-%d}"
            raise _fail(
                table.origin,
                lines[at],
                self.date_column,
                f"{what} already appears on line {lines[first]}",
                "remove the duplicate row",
            )
        return id_array, index, np.asarray(values, dtype="float64"), known_index
