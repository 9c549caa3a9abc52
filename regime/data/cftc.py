"""CFTC Commitments of Traders (COT) positioning, ``kind: cftc``.

Two futures-only layouts of the CFTC's comma-separated history files are read:

``tff``
    Traders in Financial Futures (``FinFutYY.txt``, shipped yearly as
    ``fut_fin_txt_YYYY.zip``): 87 columns such as ``Report_Date_as_YYYY-MM-DD``,
    ``CFTC_Contract_Market_Code``, ``Open_Interest_All``,
    ``Lev_Money_Positions_Long_All`` and ``Asset_Mgr_Positions_Short_All``.
``legacy``
    The legacy report (``annual.txt`` in ``deacotYYYY.zip``, ``deafut.txt``):
    columns such as ``As of Date in Form YYYY-MM-DD``, ``CFTC Contract Market
    Code``, ``Open Interest (All)`` and ``Noncommercial Positions-Long (All)``.

The layout is detected from the header. Files from the CFTC quote the market
name and pad numbers with spaces; files rewritten by a csv writer drop the
quotes. Both are read the same way. Contract market codes are kept as strings:
they may hold letters or ``+`` (``20974+``, ``13874A``) and leading zeros
matter (``090741``).

Timing: positions are as of a Tuesday (the report date) and are released the
following Friday afternoon, so by default ``known_at`` is the report date plus
``release_lag_days = 3`` calendar days. In weeks with a federal holiday the
CFTC releases on the next business day (usually the Monday after); that shift
is *not* inferred: ``known_at`` stays on the Friday unless the source's
``release_calendar`` maps that report date to its actual release date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from regime.calendar import FIRST_DAY
from regime.data._base import LoadContext, SourceBase
from regime.data.french import ZIP_ERRORS
from regime.data.observations import make_observations, validate_observations
from regime.data.parsed_cache import load_with_cache
from regime.exceptions import (
    DataError,
    DataFormatError,
    MissingSeriesError,
    RegimeError,
    bounded_error,
)

__all__ = [
    "LEGACY_FIELDS",
    "TFF_FIELDS",
    "CftcSource",
    "detect_report",
    "read_cot_file",
]

Report = Literal["tff", "legacy"]

# Tidy column -> accepted header names, matched after ``_header_key``
# normalisation (case, blanks and punctuation ignored). The first name is the
# CFTC text-file header, shown in messages; later ones are variants: the
# 2006-2016 TFF history and the CFTC Public Reporting (Socrata) exports.
_COMMON_FIELDS: dict[str, tuple[str, ...]] = {
    "market": ("Market_and_Exchange_Names",),
    "code": ("CFTC_Contract_Market_Code",),
    "open_interest": ("Open_Interest_All",),
}

TFF_FIELDS: dict[str, tuple[str, ...]] = {
    "report_date": ("Report_Date_as_YYYY-MM-DD", "Report_Date_as_MM_DD_YYYY"),
    **_COMMON_FIELDS,
    "dealer_long": ("Dealer_Positions_Long_All",),
    "dealer_short": ("Dealer_Positions_Short_All",),
    "asset_mgr_long": ("Asset_Mgr_Positions_Long_All",),
    "asset_mgr_short": ("Asset_Mgr_Positions_Short_All",),
    "lev_money_long": ("Lev_Money_Positions_Long_All",),
    "lev_money_short": ("Lev_Money_Positions_Short_All",),
}
"""Tidy column of :func:`read_cot_file` -> accepted TFF header names."""

LEGACY_FIELDS: dict[str, tuple[str, ...]] = {
    "report_date": ("As of Date in Form YYYY-MM-DD", "Report_Date_as_YYYY-MM-DD"),
    "market": ("Market and Exchange Names",),
    "code": ("CFTC Contract Market Code",),
    "open_interest": ("Open Interest (All)",),
    "noncomm_long": ("Noncommercial Positions-Long (All)", "NonComm_Positions_Long_All"),
    "noncomm_short": ("Noncommercial Positions-Short (All)", "NonComm_Positions_Short_All"),
    "comm_long": ("Commercial Positions-Long (All)", "Comm_Positions_Long_All"),
    "comm_short": ("Commercial Positions-Short (All)", "Comm_Positions_Short_All"),
}
"""Tidy column of :func:`read_cot_file` -> accepted legacy header names."""

_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {"tff": TFF_FIELDS, "legacy": LEGACY_FIELDS}
_YYMMDD_KEYS = ("as_of_date_in_form_yymmdd",)
_NUMBER = r"[+-]?\d{1,15}"
_ZIP_MAGIC = b"PK\x03\x04"


def _header_key(name: str) -> str:
    """Normalise a header name: ``" Open Interest (All)"`` -> ``open_interest_all``."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def detect_report(header: list[str]) -> Report | None:
    """Tell the COT layout from a header row.

    Parameters
    ----------
    header : list of str
        The first row of the file, as split by a csv reader.

    Returns
    -------
    {"tff", "legacy"} or None
        ``"tff"`` when a leveraged-funds column is present, ``"legacy"`` when a
        noncommercial column is present, otherwise None.
    """
    keys = {_header_key(name) for name in header}
    if "lev_money_positions_long_all" in keys:
        return "tff"
    if keys & {"noncommercial_positions_long_all", "noncomm_positions_long_all"}:
        return "legacy"
    return None


def _decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (BOM tolerated), else Latin-1 (older CFTC files)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _unzip(data: bytes, origin: str) -> tuple[bytes, str]:
    """Return the one ``.txt``/``.csv`` member of a zip archive and its origin."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [
                info.filename
                for info in archive.infolist()
                if not info.is_dir() and info.filename.lower().endswith((".txt", ".csv"))
            ]
            if len(members) != 1:
                found = ", ".join(archive.namelist()) or "nothing"
                raise DataFormatError(
                    f"{origin}: zip archive must hold exactly one .txt or .csv COT file, "
                    f"it holds {found}; unzip it and list the file you want in paths"
                )
            return archive.read(members[0]), f"{origin}[{members[0]}]"
    except RegimeError:
        raise
    except ZIP_ERRORS as exc:
        raise DataFormatError(
            f"{origin}: not a readable zip archive ({type(exc).__name__}: {exc}); download it again"
        ) from None


def _read_bytes(path_or_text: str | Path | bytes, origin: str | None) -> tuple[bytes, str]:
    """Resolve the argument of :func:`read_cot_file` to raw bytes and an origin."""
    if isinstance(path_or_text, bytes):
        return path_or_text, origin or "<bytes>"
    if isinstance(path_or_text, str) and ("\n" in path_or_text or "\r" in path_or_text):
        return path_or_text.encode("utf-8"), origin or "<text>"
    path = Path(path_or_text)
    origin = origin or str(path)
    if not path.is_file():
        raise DataError(
            f"{origin}: CFTC COT file not found; download it from the CFTC historical "
            "compressed reports page or fix the path in data.sources"
        )
    try:
        return path.read_bytes(), origin
    except OSError as exc:
        raise DataError(f"{origin}: cannot read the file ({exc.strerror}); check it") from exc


def read_cot_file(path_or_text: str | Path | bytes, origin: str | None = None) -> pd.DataFrame:
    """Read one CFTC futures-only COT file (TFF or legacy) into a tidy frame.

    Parameters
    ----------
    path_or_text : str, pathlib.Path or bytes
        A path to a ``.txt``/``.csv`` file or to a ``.zip`` holding exactly one
        such file; or the file content itself, as ``bytes`` or as a ``str``
        with at least one line break (a ``str`` without one is a path).
    origin : str, optional
        Name used in error messages; defaults to the path (``<text>`` or
        ``<bytes>`` for content). A zip member is named ``archive[member]``.

    Returns
    -------
    pandas.DataFrame
        One row per line of the file, in file order, with columns
        ``report_date`` (``datetime64[ns]``), ``code`` and ``market`` (str,
        padding stripped), ``open_interest`` (int64) and, as int64 contracts,
        ``dealer_long``, ``dealer_short``, ``asset_mgr_long``,
        ``asset_mgr_short``, ``lev_money_long``, ``lev_money_short`` (TFF) or
        ``noncomm_long``, ``noncomm_short``, ``comm_long``, ``comm_short``
        (legacy); then ``origin`` (str) and ``line`` (int, 1-based line in the
        file) for messages. ``frame.attrs["report"]`` is ``"tff"`` or
        ``"legacy"`` and ``frame.attrs["origin"]`` the origin.

    Raises
    ------
    DataError
        The path does not exist or cannot be read.
    DataFormatError
        The content is not a TFF or legacy COT file, a row has the wrong number
        of fields, or a date or a number is malformed (the message names the
        file, the line and the column).
    """
    try:
        return _read_cot_file(path_or_text, origin)
    except RegimeError as exc:
        raise bounded_error(exc) from None


def _read_cot_file(path_or_text: str | Path | bytes, origin: str | None) -> pd.DataFrame:
    data, origin = _read_bytes(path_or_text, origin)
    if data.startswith(_ZIP_MAGIC):
        data, origin = _unzip(data, origin)
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    try:
        header = next(reader, None)
        if not header or not "".join(header).strip():
            raise DataFormatError(
                f"{origin}:1: empty file or blank header; expected a CFTC COT file "
                "with a header line"
            )
        report = detect_report(header)
        if report is None:
            raise DataFormatError(
                f"{origin}:1: header is neither a Traders in Financial Futures header "
                "(no Lev_Money_Positions_Long_All) nor a legacy COT header (no "
                "'Noncommercial Positions-Long (All)'); use a futures-only TFF or "
                "legacy COT file"
            )
        names = [name.strip() for name in header]
        positions = _locate(header, report, origin)
        yymmdd = next((i for i, n in enumerate(header) if _header_key(n) in _YYMMDD_KEYS), None)
        wanted = [*positions.values(), *([] if yymmdd is None else [yymmdd])]
        cells: list[list[str]] = []
        lines: list[int] = []
        for row in reader:
            if not row or not "".join(row).strip():
                continue
            if len(row) != len(header):
                raise DataFormatError(
                    f"{origin}:{reader.line_num}: {len(row)} fields, the header has "
                    f"{len(header)}; the file is truncated or edited, download it again"
                )
            cells.append([row[i] for i in wanted])
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataFormatError(
            f"{origin}:{reader.line_num}: unreadable CSV ({exc}); download the file again"
        ) from exc
    columns = [*positions, *([] if yymmdd is None else ["_yymmdd"])]
    raw = pd.DataFrame(cells, columns=columns, dtype="str")
    for column in columns:
        raw[column] = raw[column].str.strip()
    line = pd.Series(lines, dtype="int64")

    def fail(mask: pd.Series, column: str, problem: str, fix: str) -> None:
        if mask.any():
            at = int(np.flatnonzero(mask.to_numpy())[0])
            value = raw[column].iloc[at]
            name = names[positions[column]] if column in positions else names[yymmdd]
            raise DataFormatError(
                f"{origin}:{int(line.iloc[at])}: column {name} holds {value!r}, {problem}; {fix}"
            )

    out = pd.DataFrame({"report_date": _parse_dates(raw["report_date"])})
    fail(
        out["report_date"].isna(),
        "report_date",
        "not a date (YYYY-MM-DD or MM/DD/YYYY)",
        "fix the row or download the file again",
    )
    fail(
        out["report_date"] < FIRST_DAY,
        "report_date",
        f"before {FIRST_DAY:%Y-%m-%d}, where the trading calendar begins",
        "fix the row or download the file again",
    )
    if yymmdd is not None:
        expected = out["report_date"].dt.strftime("%y%m%d")
        fail(
            raw["_yymmdd"].str.zfill(6) != expected,
            "_yymmdd",
            f"which disagrees with column {names[positions['report_date']]}",
            "the file is corrupt, download it again",
        )
    fail(
        raw["code"] == "",
        "code",
        "an empty contract market code",
        "fix the row or download the file again",
    )
    out["code"] = raw["code"]
    out["market"] = raw["market"]
    for column in positions:
        if column in ("report_date", "code", "market"):
            continue
        fail(
            ~raw[column].str.fullmatch(_NUMBER),
            column,
            "not a whole number of contracts",
            "fix the row or download the file again",
        )
        out[column] = raw[column].astype("int64")
    out["origin"] = pd.Series([origin] * len(out), dtype="str")
    out["line"] = line
    out.attrs = {"report": report, "origin": origin}
    return out


def _locate(header: list[str], report: Report, origin: str) -> dict[str, int]:
    """Map each tidy column of ``report`` to its index in ``header``."""
    keys = [_header_key(name) for name in header]
    positions: dict[str, int] = {}
    for column, accepted in _FIELDS[report].items():
        wanted = {_header_key(name) for name in accepted}
        index = next((i for i, key in enumerate(keys) if key in wanted), None)
        if index is None:
            raise DataFormatError(
                f"{origin}:1: {report} COT header lacks column {accepted[0]!r}; the file "
                f"is truncated or not a CFTC {report} futures-only file"
            )
        positions[column] = index
    return positions


def _parse_dates(text: pd.Series) -> pd.Series:
    """Parse report dates: ``YYYY-MM-DD`` (an all-zero time allowed) or ``MM/DD/YYYY``.

    The CFTC's 2006-2016 TFF history writes the ISO-named column as
    ``MM/DD/YYYY`` (sometimes with `` 12:00:00 AM``). Unparseable values are NaT.
    """
    iso = text.str.extract(r"^(\d{4}-\d{2}-\d{2})(?:[ T]00:00:00(?:\.0+)?)?$")[0]
    us = text.str.extract(r"^(\d{1,2}/\d{1,2}/\d{4})(?: 12:00:00 AM| 00:00:00)?$")[0]
    dates = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    dates = dates.fillna(pd.to_datetime(us, format="%m/%d/%Y", errors="coerce"))
    return dates.astype("datetime64[ns]")


def _closeness(other: str, code: str) -> tuple[bool, int, str]:
    """Sort key putting codes most like ``code`` first (for error hints).

    Equal-but-for-leading-zeros first, then the longest shared prefix.
    """
    shared = next(
        (i for i, (a, b) in enumerate(zip(other, code, strict=False)) if a != b),
        min(len(other), len(code)),
    )
    return (other.lstrip("0") != code.lstrip("0"), -shared, other)


_VALUE_COLUMNS: dict[Report, tuple[str, ...]] = {
    "tff": tuple(c for c in TFF_FIELDS if c not in ("report_date", "code", "market")),
    "legacy": tuple(c for c in LEGACY_FIELDS if c not in ("report_date", "code", "market")),
}

# Trader group in the series names -> (long column, short column); PREFIX_OI is added apart.
_SERIES: dict[Report, tuple[tuple[str, str, str], ...]] = {
    "tff": (
        ("LEV", "lev_money_long", "lev_money_short"),
        ("AM", "asset_mgr_long", "asset_mgr_short"),
    ),
    "legacy": (("NONCOMM", "noncomm_long", "noncomm_short"),),
}


class CftcSource(SourceBase):
    """Net positioning from CFTC Commitments of Traders files (``kind: cftc``).

    Series, for each ``code -> PREFIX`` in ``contracts`` (values in contracts
    except the ``_OI`` shares, which are fractions of open interest):

    * ``report: tff`` -- ``PREFIX_LEV_NET`` (leveraged funds long - short),
      ``PREFIX_LEV_NET_OI`` (that / open interest), ``PREFIX_AM_NET`` and
      ``PREFIX_AM_NET_OI`` (asset managers), ``PREFIX_OI`` (open interest).
    * ``report: legacy`` -- ``PREFIX_NONCOMM_NET`` (noncommercial long -
      short), ``PREFIX_NONCOMM_NET_OI`` and ``PREFIX_OI``.

    ``date`` is the report (as-of) date, normally a Tuesday; ``known_at`` is
    ``date + release_lag_days`` calendar days (the Friday release), or the
    date given for that report date in ``release_calendar``. The CFTC moves the
    release to the next business day (usually Monday) in holiday weeks; that
    is not inferred -- list such weeks in ``release_calendar`` if it matters.

    Attributes
    ----------
    paths : list of str
        COT files (``.txt``, ``.csv`` or a ``.zip`` holding one), resolved with
        :meth:`LoadContext.resolve`; typically one per year. An entry with
        ``*``, ``?`` or ``[`` is a pattern (e.g. ``../data/cftc/*.zip``) for
        every file it matches, in name order; a pattern that matches nothing is
        an error. A (code, report date) pair found in several files is kept once
        when the positions agree and is an error when they differ.
    report : {"tff", "legacy"}
        Layout every file must have.
    contracts : dict of str to str
        CFTC contract market code (quoted in YAML, e.g. ``"239742"``) -> series
        prefix (e.g. ``RTY``). Several codes may share a prefix to splice one
        history across exchange moves (the Russell 2000 futures traded at the
        CME until 2008, at ICE until 2017, at the CME again since): on a report
        date that more than one of them covers, the code with the larger open
        interest (the liquid contract) gives the values.
    release_lag_days : int
        Calendar days from the report date to the release; 3 = Friday.
    release_calendar : dict of date to date
        Report date -> actual release date, overriding ``release_lag_days``.
    """

    kind: Literal["cftc"]
    paths: list[str] = Field(min_length=1)
    report: Report = "tff"
    contracts: dict[str, str] = Field(min_length=1)
    release_lag_days: int = Field(default=3, ge=0, le=31)
    release_calendar: dict[dt.date, dt.date] = Field(default_factory=dict)

    @field_validator("contracts", mode="before")
    @classmethod
    def _check_contracts(cls, value: object) -> object:
        """Reject unquoted (numeric) codes and malformed codes or prefixes."""
        if not isinstance(value, dict):
            return value
        checked: dict[str, str] = {}
        for code, prefix in value.items():
            if not isinstance(code, str):
                raise ValueError(
                    f"contract code {code!r} must be a quoted string such as '{code}' "
                    "(codes may hold letters and leading zeros, e.g. '090741')"
                )
            code = code.strip()
            if not re.fullmatch(r"[0-9A-Za-z+]+", code):
                raise ValueError(f"contract code {code!r} is not a CFTC contract market code")
            if not isinstance(prefix, str) or not re.fullmatch(r"[A-Za-z0-9][\w.-]*", prefix):
                raise ValueError(
                    f"series prefix {prefix!r} for contract {code!r} must be a name such as 'RTY'"
                )
            checked[code] = prefix
        return checked

    @model_validator(mode="after")
    def _check_calendar(self) -> CftcSource:
        """Every release in ``release_calendar`` is on or after its report date."""
        for report_date, release in self.release_calendar.items():
            if release < report_date:
                raise ValueError(
                    f"release_calendar: release {release} is before its report date {report_date}"
                )
        return self

    def label(self) -> str:
        """``cftc`` and the file names, e.g. ``cftc tff (FinFut24.txt, FinFut25.txt)``."""
        names = [Path(p).name for p in self.paths]
        shown = ", ".join(names[:2]) + (f", +{len(names) - 2} more" if len(names) > 2 else "")
        return f"cftc {self.report} ({shown})"

    def load(self, context: LoadContext) -> pd.DataFrame:
        """Read the files and return the observation table, sorted by date.

        Parameters
        ----------
        context : LoadContext
            Resolves ``paths`` and gives ``today``.

        Returns
        -------
        pandas.DataFrame
            Columns ``series``, ``date``, ``value``, ``known_at``, sorted by
            date, then series.

        Raises
        ------
        DataError
            A file is missing or unreadable.
        DataFormatError
            A file is malformed, has the other report layout, has a row dated
            after ``context.today``, or two files disagree on a (code, report
            date) pair.
        MissingSeriesError
            A configured contract code is in none of the files.
        """
        files = self._files(context)
        return load_with_cache(self, context, files, lambda: self._parse(files, context.today))

    def _files(self, context: LoadContext) -> list[Path]:
        """Every file of ``paths``, patterns expanded; raise DataError for one not found."""
        files: list[Path] = []
        for configured in self.paths:
            path = context.resolve(configured)
            if _is_pattern(configured):
                matched = sorted(p for p in path.parent.glob(path.name) if p.is_file())
                if not matched or _is_pattern(str(path.parent)):
                    raise DataError(
                        f"{path}: no CFTC COT file matches this pattern (data.sources cftc "
                        f"paths entry {configured!r}; patterns apply to file names only); "
                        "download the files or fix the pattern"
                    )
                files.extend(matched)
            elif not path.is_file():
                raise DataError(
                    f"{path}: CFTC COT file not found (data.sources cftc paths entry "
                    f"{configured!r}); download it or fix the path"
                )
            else:
                files.append(path)
        return files

    def _parse(self, files: list[Path], today: pd.Timestamp) -> pd.DataFrame:
        """Parse the files (what :meth:`load` does on a parsed-file cache miss)."""
        frames: list[pd.DataFrame] = []
        for path in files:
            frame = read_cot_file(path, str(path))
            if frame.attrs["report"] != self.report:
                raise DataFormatError(
                    f"{frame.attrs['origin']}:1: this is a {frame.attrs['report']} COT file "
                    f"but the source has report: {self.report}; set report: "
                    f"{frame.attrs['report']} or list a {self.report} file"
                )
            frames.append(frame)
        rows = pd.concat(frames, ignore_index=True)
        self._check_today(rows, today)
        self._check_codes(rows, [str(p) for p in files])
        rows = self._dedupe(rows.loc[rows["code"].isin(list(self.contracts))])
        return self._observations(rows)

    @staticmethod
    def _check_today(rows: pd.DataFrame, today: pd.Timestamp) -> None:
        """Reject rows whose report date is after ``today``."""
        limit = pd.Timestamp(today).normalize()
        if limit.tzinfo is not None:
            limit = limit.tz_localize(None)
        late = rows["report_date"] > limit
        if late.any():
            row = rows.loc[late].iloc[0]
            raise DataFormatError(
                f"{row['origin']}:{row['line']}: contract {row['code']} has report date "
                f"{row['report_date']:%Y-%m-%d}, after today {limit:%Y-%m-%d}; the file or "
                "the run date is wrong"
            )

    def _check_codes(self, rows: pd.DataFrame, files: list[str]) -> None:
        """Raise MissingSeriesError for a configured code that no file holds."""
        present = set(rows["code"])
        for code, prefix in self.contracts.items():
            if code in present:
                continue
            latest = rows.sort_values("report_date", kind="stable")
            latest = latest.drop_duplicates("code", keep="last")
            names = dict(zip(latest["code"], latest["market"], strict=True))
            near = sorted(names, key=lambda other, code=code: _closeness(other, code))[:5]
            shown = ", ".join(f"{c} ({names[c]})" for c in near) or "none"
            raise MissingSeriesError(
                f"contract code {code!r} ({prefix}) is in none of the CFTC files "
                f"{', '.join(files)}; codes there include {shown}; fix data.sources cftc "
                "contracts (codes are exact strings, leading zeros matter) or add a file "
                "that holds it"
            )

    def _dedupe(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Keep one row per (code, report date); raise if duplicates disagree."""
        keys = ["code", "report_date"]
        values = list(_VALUE_COLUMNS[self.report])
        distinct = rows.drop_duplicates([*keys, *values])
        clash = distinct.duplicated(keys, keep=False)
        if clash.any():
            pair = distinct.loc[clash].sort_values(keys, kind="stable").iloc[:2]
            first, second = pair.iloc[0], pair.iloc[1]
            differ = next(c for c in values if first[c] != second[c])
            raise DataFormatError(
                f"{first['origin']}:{first['line']} and {second['origin']}:{second['line']}: "
                f"contract {first['code']} on {first['report_date']:%Y-%m-%d} has {differ} "
                f"{first[differ]} in one file and {second[differ]} in the other; remove one "
                "of the files or download both again"
            )
        return distinct.reset_index(drop=True)

    def _spliced(self, rows: pd.DataFrame) -> pd.DataFrame:
        """One row per (prefix, report date): the code with the larger open interest."""
        rows = rows.assign(_prefix=rows["code"].map(self.contracts))
        rows = rows.sort_values(["_prefix", "report_date", "open_interest"], kind="stable")
        rows = rows.drop_duplicates(["_prefix", "report_date"], keep="last")
        return rows.drop(columns="_prefix").reset_index(drop=True)

    def _observations(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Turn the selected COT rows into the observation table."""
        rows = self._spliced(rows)
        date = pd.DatetimeIndex(rows["report_date"])
        known_at = date + pd.Timedelta(days=self.release_lag_days)
        if self.release_calendar:
            calendar = {pd.Timestamp(k): pd.Timestamp(v) for k, v in self.release_calendar.items()}
            known_at = pd.DatetimeIndex(
                [calendar.get(d, k) for d, k in zip(date, known_at, strict=True)]
            )
        prefix = rows["code"].map(self.contracts).to_numpy(dtype=object)
        open_interest = rows["open_interest"].to_numpy(dtype="float64")
        frames = [make_observations(prefix + "_OI", date, open_interest, known_at)]
        for name, long_column, short_column in _SERIES[self.report]:
            net = (rows[long_column] - rows[short_column]).to_numpy(dtype="float64")
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(open_interest > 0, net / open_interest, np.nan)
            frames.append(make_observations(prefix + f"_{name}_NET", date, net, known_at))
            frames.append(make_observations(prefix + f"_{name}_NET_OI", date, share, known_at))
        out = pd.concat(frames, ignore_index=True)
        out = out.sort_values(["date", "series", "known_at"], kind="stable")
        return validate_observations(out.reset_index(drop=True), self.label())


def _is_pattern(path: str) -> bool:
    """Whether a ``paths`` entry is a glob pattern."""
    return any(char in path for char in "*?[")
