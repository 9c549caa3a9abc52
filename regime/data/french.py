"""Kenneth R. French data library files (``kind: french``).

The library publishes each data set as a ``.CSV`` (usually inside a
``_CSV.zip``) that holds several tables one after another::

    This file was created by CMPT_ME_RETS using the 202412 CRSP database.  It contains
    ...                                                    <- prose preamble
    Missing data are indicated by -99.99 or -999.

      Value Weight Returns -- Monthly                      <- title (indented)
    ,<= 0,Lo 30,Med 40,Hi 30,...                           <- header: first field empty
    192607,  -99.99,    0.14,    1.54,    3.42,...         <- YYYYMM, space padded
    ...

      Value Weight Returns -- Annual from January to December
    ,<= 0,Lo 30,Med 40,Hi 30,...
      1927,  -99.99,   36.37,   35.29,   33.36,...         <- YYYY

    Copyright 2024 Eugene F. Fama and Kenneth R. French

Copies found in the wild lose parts of this: the preamble (and with it the
first table's title) is often cut, the copyright line may be missing, and files
re-saved through Excel have a header starting ``Date,`` and unpadded numbers.
:func:`parse_french_csv` reads all of these; :class:`FrenchSource` turns one
table of one file into observations.

Every error is one line, ``FILE:LINE: what is wrong; what to do`` (``FILE: ...``
when no single line is at fault). A CSV read out of a zip is named
``ARCHIVE.zip!MEMBER.CSV``.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from regime.calendar import FIRST_DAY
from regime.data._base import LoadContext, SourceBase
from regime.data.observations import (
    add_business_days,
    concat_observations,
    make_observations,
    validate_observations,
)
from regime.data.parsed_cache import load_with_cache
from regime.exceptions import DataError, DataFormatError, RegimeError, bounded_error

logger = logging.getLogger(__name__)

__all__ = [
    "MISSING_SENTINELS",
    "FrenchFile",
    "FrenchSource",
    "FrenchTable",
    "parse_french_csv",
    "read_french_file",
]

Frequency = Literal["daily", "monthly", "annual"]

#: Values the library writes for "no data" (its preambles say "-99.99 or -999").
MISSING_SENTINELS: tuple[float, ...] = (-99.99, -999.0)

_FREQUENCY_BY_WIDTH: dict[int, Frequency] = {8: "daily", 6: "monthly", 4: "annual"}
_DATE_TOKEN = re.compile(r"\d{4}(?:\d{2}){0,2}")
_WHITESPACE = re.compile(r"\s+")
_HEADER_FIRST_FIELDS = frozenset({"", "date"})
_MIN_YEAR = FIRST_DAY.year  # where the trading calendar begins
_MAX_YEAR = pd.Timestamp.max.year - 1
_FIX_FILE = "fix that line or download the file again from the French data library"
#: What :mod:`zipfile` raises on a corrupt archive (a flipped byte can reach any of them).
ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    IndexError,
    OverflowError,
    NotImplementedError,  # an unsupported compression method
    RuntimeError,  # an encrypted member
    struct.error,
    zlib.error,
)
_NOT_PERCENT_HINTS = ("number of firms", "firm size", "market cap", "average of")


# --------------------------------------------------------------------------- parsed file


@dataclass(frozen=True)
class FrenchTable:
    """One table of a French library file.

    Attributes
    ----------
    index : int
        Position of the table in its file, from 0.
    title : str
        The title lines above the header, whitespace-collapsed and joined by
        one space; ``""`` for a table without a title.
    columns : tuple of str
        Column names from the header, stripped, without the date column.
    frequency : {"daily", "monthly", "annual"}
        From the width of the date field: YYYYMMDD, YYYYMM or YYYY.
    data : pandas.DataFrame
        Values in the file's own units (percent for returns), float64, with
        missing sentinels as NaN, indexed by a ``date`` DatetimeIndex: the day
        itself, the month's last calendar day, or 31 December.
    lines : tuple of int
        The 1-based line number of each row of ``data``.
    header_line : int
        The 1-based line number of the header.
    """

    index: int
    title: str
    columns: tuple[str, ...]
    frequency: Frequency
    data: pd.DataFrame
    lines: tuple[int, ...]
    header_line: int

    @property
    def name(self) -> str:
        """The title, or ``untitled <frequency> table`` for a table without one."""
        return self.title or f"untitled {self.frequency} table"

    def describe(self) -> str:
        """A short reference for messages, e.g. ``#1 'Equal Weight Returns -- Monthly'``."""
        return f"#{self.index} {self.name!r}"


@dataclass(frozen=True)
class FrenchFile:
    """A parsed French library file.

    Attributes
    ----------
    origin : str
        The name used in messages (a path, or ``archive.zip!member.CSV``).
    preamble : tuple of str
        The prose lines before the first table (blank lines dropped), if any.
    tables : tuple of FrenchTable
        The tables in file order.
    copyright : str or None
        The ``Copyright ...`` line, if the file has one.
    """

    origin: str
    preamble: tuple[str, ...]
    tables: tuple[FrenchTable, ...]
    copyright: str | None

    def titles(self) -> list[str]:
        """The name of every table, in file order."""
        return [t.name for t in self.tables]

    def as_dict(self) -> dict[str, pd.DataFrame]:
        """The tables keyed by index (``"0"``, ``"1"``, ...) and by title.

        A title shared by several tables keys the first of them only; untitled
        tables are keyed by index only.
        """
        out: dict[str, pd.DataFrame] = {str(t.index): t.data for t in self.tables}
        for t in self.tables:
            if t.title:
                out.setdefault(t.title, t.data)
        return out

    def select(self, table: str | int) -> FrenchTable:
        """Pick a table by index or by title.

        Parameters
        ----------
        table : str or int
            An index from 0, or text matched case-insensitively (whitespace
            collapsed) against the table names: an exact match wins, otherwise
            the text must occur in exactly one name. An untitled table's name
            is ``untitled <frequency> table``, so ``"monthly"`` finds the
            untitled monthly table of ``F-F_Research_Data_Factors.CSV``.

        Raises
        ------
        DataError
            No table, or several tables, match.
        """
        listing = _listing(self.tables)
        if isinstance(table, int) and not isinstance(table, bool):
            if 0 <= table < len(self.tables):
                return self.tables[table]
            raise DataError(
                f"{self.origin}: there is no table #{table}; the file has {len(self.tables)} "
                f"table(s): {listing}; set `table` to an index from 0 to "
                f"{len(self.tables) - 1} or to part of a title"
            )
        key = _collapse(str(table)).casefold()
        exact = [t for t in self.tables if t.name.casefold() == key]
        if len(exact) == 1:
            return exact[0]
        hits = [t for t in self.tables if key in t.name.casefold()]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise DataError(
                f"{self.origin}: no table title contains {table!r}; the tables are: {listing}; "
                "set `table` to part of one of these titles or to its index"
            )
        raise DataError(
            f"{self.origin}: {table!r} matches {len(hits)} tables: {_listing(hits)}; "
            "set `table` to a longer part of one title or to its index"
        )


# --------------------------------------------------------------------------- parsing


def parse_french_csv(text: str, origin: str) -> FrenchFile:
    """Split the text of a French library CSV into its tables.

    Parameters
    ----------
    text : str
        The whole file, any line endings (CRLF, LF or CR).
    origin : str
        The file's name for messages.

    Returns
    -------
    FrenchFile
        The preamble, the tables and the copyright line.

    Raises
    ------
    DataFormatError
        The text holds no table, or a row is malformed: wrong number of
        fields, a date that is not YYYYMMDD/YYYYMM/YYYY or that repeats, a
        cell that is not a number, a data row with no header above it.

    Notes
    -----
    A header is a line whose first field is empty or ``Date`` (the Excel
    re-save). A table's rows follow its header up to a blank line (a line of
    only commas counts as blank), a text line, or the next header; a line whose
    first field starts with a digit is a data row and must be well formed.
    A table's title is the text between the previous table and its header.
    Before the first table the title is only the indented lines right above
    the header (the library indents titles, never the preamble); the other
    text there is the preamble. ``Copyright`` lines are kept apart.
    """
    try:
        return _parse_french_csv(text, origin)
    except RegimeError as exc:
        raise bounded_error(exc) from None


def _parse_french_csv(text: str, origin: str) -> FrenchFile:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    tables: list[FrenchTable] = []
    preamble: list[str] = []
    copyright_line: str | None = None
    pending: list[tuple[int, str] | None] = []  # text since the last table; None = blank
    builder: _TableBuilder | None = None

    for lineno, line in enumerate(lines, start=1):
        stripped = line.strip()
        blank = not stripped.strip(",").strip()
        header = not blank and _is_header(stripped)
        if builder is not None:
            if not blank and not header and stripped[:1].isdigit():
                builder.add_row(lineno, line)
                continue
            tables.append(builder.finish(len(tables)))
            builder = None
        if blank:
            pending.append(None)
        elif header:
            title, extra = _take_title(pending, first=not tables)
            preamble.extend(extra)
            builder = _TableBuilder(origin, lineno, line, title)
            pending = []
        elif stripped.lower().startswith("copyright"):
            copyright_line = _collapse(stripped)
        elif _looks_like_data(stripped):
            raise DataFormatError(
                f"{origin}:{lineno}: data row with no header line above it; "
                "restore the table's header (a line starting with ',' or 'Date,') "
                "or download the file again"
            )
        else:
            pending.append((lineno, line))
    if builder is not None:
        tables.append(builder.finish(len(tables)))
    if not tables:
        raise DataFormatError(
            f"{origin}: no table found (no header line starting with ',' or 'Date,'); "
            "check that this is a Kenneth French data library CSV"
        )
    return FrenchFile(
        origin=origin,
        preamble=tuple(preamble),
        tables=tuple(tables),
        copyright=copyright_line,
    )


def read_french_file(path: str | Path) -> FrenchFile:
    """Read and parse a French library ``.CSV``, or a zip holding one CSV.

    Parameters
    ----------
    path : str or Path
        The file. A zip (``_CSV.zip``) must hold exactly one ``.csv`` member
        (or a single member of any name).

    Returns
    -------
    FrenchFile
        See :func:`parse_french_csv`. Text is decoded as UTF-8 (a BOM is
        dropped), else cp1252, else latin-1.

    Raises
    ------
    DataError
        The file does not exist or cannot be read.
    DataFormatError
        A broken zip, a zip without a single CSV, or a malformed CSV.
    """
    try:
        return _read_french_file(Path(path))
    except RegimeError as exc:
        raise bounded_error(exc) from None


def _read_french_file(file: Path) -> FrenchFile:
    if not file.is_file():
        what = "is a directory, not a file" if file.is_dir() else "not found"
        raise DataError(
            f"{file}: French data file {what}; download the CSV or _CSV.zip from the "
            "Kenneth French data library "
            "(https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/data_library.html) "
            "to this path, or fix `path` in the config"
        )
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DataError(
            f"{file}: cannot read the file ({exc.strerror or exc}); check its permissions"
        ) from exc
    origin = str(file)
    if data.startswith(b"PK") or file.suffix.lower() == ".zip":
        origin, data = _unzip(file, data)
    text = _decode(data)
    logger.debug("read %s (%d characters)", origin, len(text))
    return parse_french_csv(text, origin)


class _TableBuilder:
    """Accumulates the rows of one table while the file is scanned."""

    def __init__(self, origin: str, header_line: int, header: str, title: str) -> None:
        self.origin = origin
        self.header_line = header_line
        self.title = title
        names = [field.strip() for field in header.split(",")[1:]]
        for position, name in enumerate(names):
            if not name:
                raise DataFormatError(
                    f"{origin}:{header_line}: header field {position + 2} is empty; "
                    "give the column its name or download the file again"
                )
            if name in names[:position]:
                raise DataFormatError(
                    f"{origin}:{header_line}: column {name!r} appears twice in the header; "
                    "rename one of them or download the file again"
                )
        self.columns = tuple(names)
        self.width: int | None = None
        self.tokens: list[str] = []
        self.values: list[list[float]] = []
        self.lines: list[int] = []
        self.seen: dict[str, int] = {}

    def add_row(self, lineno: int, line: str) -> None:
        """Parse and keep one data row."""
        fields = line.split(",")
        if len(fields) != len(self.columns) + 1:
            raise DataFormatError(
                f"{self.origin}:{lineno}: row has {len(fields)} fields but the header on line "
                f"{self.header_line} has {len(self.columns) + 1} (date + {len(self.columns)} "
                f"columns, last {self.columns[-1]!r}); {_FIX_FILE}"
            )
        token = fields[0].strip()
        self._check_date(lineno, token)
        if token in self.seen:
            raise DataFormatError(
                f"{self.origin}:{lineno}: column 'date': {token} repeats line "
                f"{self.seen[token]} of the same table; {_FIX_FILE}"
            )
        self.seen[token] = lineno
        row: list[float] = []
        for name, cell in zip(self.columns, fields[1:], strict=True):
            row.append(self._number(lineno, name, cell.strip()))
        self.tokens.append(token)
        self.values.append(row)
        self.lines.append(lineno)

    def _check_date(self, lineno: int, token: str) -> None:
        where = f"{self.origin}:{lineno}: column 'date'"
        if not _DATE_TOKEN.fullmatch(token):
            raise DataFormatError(
                f"{where}: cannot read {token!r} as a YYYYMMDD, YYYYMM or YYYY date; {_FIX_FILE}"
            )
        if self.width is None:
            self.width = len(token)
        elif len(token) != self.width:
            raise DataFormatError(
                f"{where}: {token!r} is a {_FREQUENCY_BY_WIDTH[len(token)]} date but the rows "
                f"above it are {_FREQUENCY_BY_WIDTH[self.width]}; a blank line is probably "
                "missing between two tables, restore it"
            )
        year, month, day = int(token[:4]), int(token[4:6] or 1), int(token[6:8] or 1)
        try:
            dt.date(year, month, day)
        except ValueError:
            valid = False
        else:
            valid = _MIN_YEAR <= year <= _MAX_YEAR
        if not valid:
            raise DataFormatError(
                f"{where}: {token!r} is not a valid date (from {_MIN_YEAR} on); {_FIX_FILE}"
            )

    def _number(self, lineno: int, name: str, cell: str) -> float:
        try:
            value = float(cell)
        except ValueError:
            value = math.nan
            ok = False
        else:
            ok = math.isfinite(value)
        if not ok:
            raise DataFormatError(
                f"{self.origin}:{lineno}: column {name!r}: cannot read {cell!r} as a number "
                f"(missing values are written -99.99 or -999); {_FIX_FILE}"
            )
        return math.nan if value in MISSING_SENTINELS else value

    def finish(self, index: int) -> FrenchTable:
        """The finished table; an error if it has no rows."""
        if self.width is None:
            raise DataFormatError(
                f"{self.origin}:{self.header_line}: table header with no data rows below it; "
                f"{_FIX_FILE}"
            )
        frequency = _FREQUENCY_BY_WIDTH[self.width]
        dates = _to_dates(self.tokens, frequency)
        values = np.asarray(self.values, dtype="float64").reshape(len(self.tokens), -1)
        frame = pd.DataFrame(values, index=dates, columns=pd.Index(self.columns))
        return FrenchTable(
            index=index,
            title=self.title,
            columns=self.columns,
            frequency=frequency,
            data=frame,
            lines=tuple(self.lines),
            header_line=self.header_line,
        )


def _to_dates(tokens: Sequence[str], frequency: Frequency) -> pd.DatetimeIndex:
    """Observation dates: the day, the month's last calendar day, or 31 December."""
    if frequency == "daily":
        index = pd.to_datetime(list(tokens), format="%Y%m%d")
    elif frequency == "monthly":
        index = pd.to_datetime(list(tokens), format="%Y%m") + pd.offsets.MonthEnd(0)
    else:
        index = pd.to_datetime([f"{token}1231" for token in tokens], format="%Y%m%d")
    return pd.DatetimeIndex(index, name="date").as_unit("ns")


def _is_header(stripped: str) -> bool:
    first, sep, rest = stripped.partition(",")
    return bool(sep) and first.strip().casefold() in _HEADER_FIRST_FIELDS and bool(rest.strip())


def _looks_like_data(stripped: str) -> bool:
    first, sep, _ = stripped.partition(",")
    return bool(sep) and _DATE_TOKEN.fullmatch(first.strip()) is not None


def _take_title(pending: list[tuple[int, str] | None], *, first: bool) -> tuple[str, list[str]]:
    """Split the text above a header into (title, preamble lines)."""
    texts = [item[1] for item in pending if item is not None]
    if not first:
        return _collapse(" ".join(texts)), []
    block: list[str] = []
    for item in reversed(pending):
        if item is None:
            break
        block.insert(0, item[1])
    title_lines: list[str] = []
    for line in reversed(block):
        if not line[:1].isspace():
            break
        title_lines.insert(0, line)
    preamble = texts[: len(texts) - len(title_lines)]
    return _collapse(" ".join(title_lines)), [line.strip() for line in preamble]


def _collapse(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _listing(tables: Sequence[FrenchTable]) -> str:
    return ", ".join(f"{t.describe()} ({t.frequency})" for t in tables)


def _unzip(file: Path, data: bytes) -> tuple[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
            csvs = [m for m in members if m.lower().endswith(".csv")]
            chosen = csvs if csvs else members
            if len(chosen) != 1:
                raise DataFormatError(
                    f"{file}: the zip should hold exactly one CSV but holds {members}; "
                    "point `path` at the CSV itself or at a French _CSV.zip"
                )
            return f"{file}!{chosen[0]}", archive.read(chosen[0])
    except RegimeError:
        raise
    except ZIP_ERRORS as exc:
        raise DataFormatError(
            f"{file}: not a readable zip ({type(exc).__name__}: {exc}); download the _CSV.zip again"
        ) from None


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


# --------------------------------------------------------------------------- source


class FrenchSource(SourceBase):
    """One table of a Kenneth French data library file, as observations.

    Attributes
    ----------
    kind : "french"
    path : str
        The ``.CSV`` or ``_CSV.zip``, resolved against the config's directory.
    table : str or int
        The table: an index from 0, or part of its title, case-insensitive
        (see :meth:`FrenchFile.select`). Default 0, the first table.
    columns : dict of str to str
        French column name to our series id, e.g. ``{"Lo 30": "SMALL"}``.
        Excel re-saves rename ``Dec 2`` .. ``Dec 9`` to ``2-Dec`` .. ``9-Dec``;
        use the names the file has.
    groups : dict of str to list of str
        Series id to several columns of ``table``, combined into one series:
        their average weighted by the product of the same columns in
        ``weight_tables``. E.g. the book-to-market of the smallest size
        quintile from the 25 size x BE/ME portfolios: its five cells' BE/ME,
        weighted by number of firms x average market cap (each cell's market
        value). A row where a cell or its weight is missing is missing: the
        group's make-up never changes silently.
    weight_tables : list of str or int
        The tables whose product weighs the columns of ``groups`` (each
        selected like ``table``); required with ``groups``, ignored otherwise.
    percent : bool
        True (default) to divide by 100, the library's returns being percent.
        Set it False for ``Number of Firms``, ``Average Firm Size`` and the
        BE/ME tables (a warning is logged when their title says so).
    lag_days : int
        Publication lag in business days: ``known_at`` is the observation date
        plus this many business days (:func:`add_business_days`, which knows
        weekends but not holidays).

    Notes
    -----
    Dates: a daily row is dated its day; a monthly row (YYYYMM) the month's
    last *calendar* day, normalised (``MonthEnd``), because a monthly return
    covers the whole month and the calendar day does not depend on a holiday
    calendar; an annual row (YYYY) 31 December. Missing sentinels (-99.99,
    -999) become NaN and are dropped. A row dated after ``context.today`` is
    an error, as is a missing file, an unknown table or column, or a malformed
    row.
    """

    kind: Literal["french"]
    path: str = Field(min_length=1)
    table: str | int = 0
    columns: dict[str, str] = Field(default_factory=dict)
    groups: dict[str, list[str]] = Field(default_factory=dict)
    weight_tables: list[str | int] = Field(default_factory=list)
    percent: bool = True
    lag_days: int = Field(default=0, ge=0, le=260)

    @field_validator("table")
    @classmethod
    def _check_table(cls, value: str | int) -> str | int:
        if isinstance(value, int) and value < 0:
            raise ValueError("table index must be 0 or more")
        if isinstance(value, str) and not value.strip():
            raise ValueError("table title must not be empty")
        return value

    @model_validator(mode="after")
    def _columns_or_groups(self) -> FrenchSource:
        if not self.columns and not self.groups:
            raise ValueError(
                "columns must map at least one French column to a series id "
                "(or groups several columns to one)"
            )
        if self.groups and not self.weight_tables:
            raise ValueError(
                "groups needs weight_tables: the tables whose product weighs each column, "
                'e.g. ["Number of Firms", "Average Market Cap"]'
            )
        both = set(self.columns.values()) & set(self.groups)
        if both:
            raise ValueError(f"series id {sorted(both)[0]!r} is in both columns and groups")
        for series, members in self.groups.items():
            if not series.strip() or not members or any(not m.strip() for m in members):
                raise ValueError(f"groups.{series}: give a series id and at least one column")
        return self

    @field_validator("columns")
    @classmethod
    def _check_columns(cls, value: dict[str, str]) -> dict[str, str]:
        for column, series in value.items():
            if not column.strip() or not series.strip():
                raise ValueError(f"empty column name or series id in {column!r}: {series!r}")
        seen: dict[str, str] = {}
        for column, series in value.items():
            if series in seen:
                raise ValueError(
                    f"series id {series!r} is given to both {seen[series]!r} and {column!r}"
                )
            seen[series] = column
        return {column.strip(): series.strip() for column, series in value.items()}

    def label(self) -> str:
        """``french:<file name>``."""
        return f"french:{Path(self.path).name}"

    def load(self, context: LoadContext) -> pd.DataFrame:
        """Read the file and return the selected columns as observations.

        Parameters
        ----------
        context : LoadContext
            Resolves ``path``; ``today`` bounds the dates.

        Returns
        -------
        pandas.DataFrame
            The observation table (see :mod:`regime.data.observations`).

        Raises
        ------
        DataError
            Missing file, unknown table or column.
        DataFormatError
            Malformed file, or a row dated after ``context.today``.
        """
        path = context.resolve(self.path)
        return load_with_cache(self, context, [path], lambda: self._parse(path, context))

    def _parse(self, path: Path, context: LoadContext) -> pd.DataFrame:
        """Parse the file (what :meth:`load` does on a parsed-file cache miss)."""
        french = read_french_file(path)
        table = french.select(self.table)
        grouped = [column for members in self.groups.values() for column in members]
        _check_columns(french, table, list(self.columns), "columns")
        _check_columns(french, table, grouped, "groups")
        today = pd.Timestamp(context.today).normalize()
        late = np.flatnonzero(table.data.index > today)
        if late.size:
            row = int(late[0])
            raise DataFormatError(
                f"{french.origin}:{table.lines[row]}: row dated {table.data.index[row]:%Y-%m-%d} "
                f"is after today ({today:%Y-%m-%d}); check the run date or use a file "
                "published on or before it"
            )
        if self.percent and any(h in table.title.casefold() for h in _NOT_PERCENT_HINTS):
            logger.warning(
                "%s: table %s is not in percent but percent is true; "
                "set percent: false to keep its values as they are",
                french.origin,
                table.describe(),
            )
        dates = table.data.index
        known_at = add_business_days(dates, self.lag_days)
        frames = []
        columns = {series: table.data[column] for column, series in self.columns.items()}
        if self.groups:
            columns |= _weighted_groups(french, table, self.groups, self.weight_tables, grouped)
        for series, column in columns.items():
            values = column.to_numpy(dtype="float64")
            if self.percent:
                # Rounding undoes the binary noise of the division (0.14 / 100 is
                # 0.0014000000000000002); the library has at most 4 decimals.
                values = np.round(values / 100.0, 12)
            frames.append(make_observations(series, dates, values, known_at))
        origin = f"{french.origin} table {table.describe()}"
        return validate_observations(concat_observations(frames), origin)


def _check_columns(french: FrenchFile, table: FrenchTable, wanted: list[str], key: str) -> None:
    """A DataError naming the first of ``wanted`` that ``table`` lacks."""
    unknown = [column for column in wanted if column not in table.columns]
    if unknown:
        raise DataError(
            f"{french.origin}: table {table.describe()} has no column {unknown[0]!r}; "
            f"its columns are {list(table.columns)}; fix `{key}` in the config"
        )


def _weighted_groups(
    french: FrenchFile,
    table: FrenchTable,
    groups: dict[str, list[str]],
    weight_tables: list[str | int],
    grouped: list[str],
) -> dict[str, pd.Series]:
    """Each group's weighted average of ``table``'s columns on ``table``'s dates.

    A column's weight is the product of the same column in every weight
    table; a date where a member or a weight is missing (or a weight table
    has no row) gives NaN.
    """
    weight = pd.DataFrame(1.0, index=table.data.index, columns=grouped)
    for key in weight_tables:
        factor = french.select(key)
        if factor.index == table.index:
            raise DataError(
                f"{french.origin}: weight table {factor.describe()} is the table being "
                "weighted; set `weight_tables` to other tables"
            )
        _check_columns(french, factor, grouped, "groups")
        weight = weight * factor.data[grouped].reindex(table.data.index)
    values = table.data[grouped]
    out = {}
    for series, members in groups.items():
        w, v = weight[members], values[members]
        complete = (w.notna() & v.notna()).all(axis=1) & (w.sum(axis=1) > 0)
        average = (w * v).sum(axis=1) / w.sum(axis=1)
        out[series] = average.where(complete)
    return out
