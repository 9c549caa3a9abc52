"""Fuzzing of every parser of user input: the config loader and the CSV, French and CFTC files.

Each input is random bytes, or a real file (``configs/demo.yaml``, the fixtures
under ``tests/fixtures``) mutated: truncated, bytes flipped, lines dropped,
duplicated or swapped, cells replaced by text, NaN, huge numbers or random
unicode. Every outcome must be a successful parse or a ConfigError / DataError
whose message is one line of bounded length; any other exception is a bug in
the parser. The parsers are called in process (their public entry points);
a handful of mutated files also go through ``regime data check`` in a
subprocess, which must exit 0, 2 or 3 with at most one ``error:`` line and
never hang.
"""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from regime.config import load_config, parse_config
from regime.data._base import LoadContext
from regime.data.cftc import CftcSource, read_cot_file
from regime.data.csv_source import CsvSource
from regime.data.french import FrenchSource, read_french_file
from regime.exceptions import MAX_MESSAGE_CHARS, ConfigError, DataError

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
DEMO = ROOT / "configs" / "demo.yaml"
TODAY = pd.Timestamp("2026-11-25")
#: Longest message a parser may raise: the config loader's cap plus a temporary path.
MAX_MESSAGE = MAX_MESSAGE_CHARS + 400

#: Examples per fuzz test; ``REGIME_FUZZ_EXAMPLES=5000`` runs a deeper, randomized search.
EXAMPLES = int(os.environ.get("REGIME_FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(
    max_examples=EXAMPLES or 100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES is None,
    database=None,
)

#: What a mutated cell becomes.
NASTY_CELLS = [
    "abc",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "-1e400",
    "9" * 400,
    "",
    '"',
    '""',
    "-99.99",
    "-999",
    "1,234",
    "12%",
    "2024-13-45",
    "0000-00-00",
    "1700-01-01",
    "99999999",
    "17000101",
    "170001",
    "1700",
    "\x00",
    "é\u2028ü",
    "\ufeff",
    "0x10",
    "1_000",
    "١٢٣",
    " ",
    "\t",
    "true",
    "[]",
    "{a: 1}",
    "*a",
    "&a x",
    "!!int x",
    "x" * 5000,
]


# -- the contract every outcome must meet ---------------------------------------------


def check_message(message: str) -> None:
    """A user-facing error: one line, not empty, bounded."""
    assert message, "empty error message"
    assert "\n" not in message and "\r" not in message, f"multi-line message: {message[:300]!r}"
    assert len(message) <= MAX_MESSAGE, f"{len(message)}-character message: {message[:300]!r}"


def outcome(call: Callable[[], Any]) -> str:
    """Run ``call``: ``ok``, or the class of the ConfigError / DataError it raised.

    Any other exception propagates: the parser has a bug.
    """
    try:
        call()
    except (ConfigError, DataError) as exc:
        check_message(str(exc))
        return type(exc).__name__
    return "ok"


# -- mutations ----------------------------------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def mutate(data: bytes, ops: list[tuple[str, float, float, int]]) -> bytes:
    """Apply mutation ops (kind, position, other position, choice) to ``data``."""
    for kind, a, b, choice in ops:
        if kind == "truncate":
            data = data[: int(a * len(data))]
        elif kind == "flip" and data:
            at = min(int(a * len(data)), len(data) - 1)
            data = data[:at] + bytes([data[at] ^ (1 + choice % 255)]) + data[at + 1 :]
        elif kind == "insert":
            at = int(a * len(data))
            junk = NASTY_CELLS[choice % len(NASTY_CELLS)].encode("utf-8")
            data = data[:at] + junk + data[at:]
        elif kind in ("drop", "duplicate", "swap"):
            lines = _lines(data)
            i = min(int(a * len(lines)), len(lines) - 1)
            j = min(int(b * len(lines)), len(lines) - 1)
            if kind == "drop":
                del lines[i]
            elif kind == "duplicate":
                lines.insert(i, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = b"".join(lines)
        elif kind == "cell":
            lines = _lines(data)
            i = min(int(a * len(lines)), len(lines) - 1)
            line = lines[i]
            ending = line[len(line.rstrip(b"\r\n")) :]
            cells = line.rstrip(b"\r\n").split(b",")
            k = min(int(b * len(cells)), len(cells) - 1)
            cells[k] = NASTY_CELLS[choice % len(NASTY_CELLS)].encode("utf-8")
            lines[i] = b",".join(cells) + ending
            data = b"".join(lines)
    return data


OPS = st.lists(
    st.tuples(
        st.sampled_from(["truncate", "flip", "insert", "drop", "duplicate", "swap", "cell"]),
        st.floats(0.0, 1.0),
        st.floats(0.0, 1.0),
        st.integers(0, 10_000),
    ),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def workdir() -> Path:
    """A scratch directory shared by the examples of this module (one file at a time)."""
    with tempfile.TemporaryDirectory(prefix="fuzz-") as name:
        yield Path(name)


def context(base: Path) -> LoadContext:
    """A load context without a cache, so every example is parsed."""
    return LoadContext(base_dir=base, today=TODAY)


# -- the config loader ----------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=3000))
def test_config_loader_random_bytes(workdir: Path, data: bytes) -> None:
    path = workdir / "random.yaml"
    path.write_bytes(data)
    assert outcome(lambda: load_config(path)) == "ConfigError"


def _demo_mutation(text: str, draw: st.DataObject) -> str:
    """A mutation of the demo config's text at the level of YAML lines and values."""
    lines = text.splitlines(keepends=True)
    for _ in range(draw.draw(st.integers(1, 3), label="edits")):
        kind = draw.draw(
            st.sampled_from(["delete", "duplicate", "swap_values", "value", "unicode", "bytes"]),
            label="kind",
        )
        i = draw.draw(st.integers(0, len(lines) - 1), label="line")
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap_values":
            j = draw.draw(st.integers(0, len(lines) - 1), label="other line")
            a, b = lines[i].partition(":"), lines[j].partition(":")
            if a[1] and b[1]:
                lines[i], lines[j] = a[0] + ":" + b[2], b[0] + ":" + a[2]
        elif kind == "value":
            head, colon, _ = lines[i].partition(":")
            value = draw.draw(
                st.one_of(
                    st.sampled_from(NASTY_CELLS),
                    st.sampled_from(["true", "-1", "1e400", "null", "~", "0", "1.5", "[1, 2]"]),
                ),
                label="value",
            )
            if colon:
                lines[i] = f"{head}: {value}\n"
        elif kind == "unicode":
            junk = draw.draw(st.text(min_size=1, max_size=20), label="text")
            at = draw.draw(st.integers(0, len(lines[i])), label="at")
            lines[i] = lines[i][:at] + junk + lines[i][at:]
        else:
            junk = draw.draw(st.binary(min_size=1, max_size=8), label="bytes")
            lines[i] = lines[i] + junk.decode("latin-1")
        if not lines:
            lines = [""]
    return "".join(lines)


@FUZZ
@given(draw=st.data())
def test_config_loader_mutated_demo(draw: st.DataObject) -> None:
    text = _demo_mutation(DEMO.read_text(encoding="utf-8"), draw)
    event(outcome(lambda: parse_config(text, "demo.yaml")))


@FUZZ
@given(
    value=st.recursive(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(),
            st.text(max_size=30),
            st.dates().map(str),
        ),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=12), children, max_size=4)
        ),
        max_leaves=12,
    ),
    where=st.sampled_from(
        [
            ("name",),
            ("target", "horizon_days"),
            ("target", "sustained"),
            ("model", "params"),
            ("model", "search"),
            ("model", "bootstrap"),
            ("evaluation", "min_train_days"),
            ("evaluation", "start"),
            ("stance",),
            ("caveats", "rules"),
            ("features", 0, "params"),
            ("data", "sources", 0, "seed"),
            ("data", "sources", 0, "end"),
            ("data", "sources", 1, "lag_days"),
            ("data", "sources", 1, "date_format"),
            ("data", "sources", 1, "scale"),
            ("data", "sources", 1, "max_age_days"),
            ("data", "sources", 2, "columns"),
            ("data", "sources", 2, "table"),
            ("data", "sources", 3, "contracts"),
            ("data", "sources", 3, "release_calendar"),
            ("training",),
        ]
    ),
)
def test_config_loader_random_values_in_the_demo(value: Any, where: tuple[Any, ...]) -> None:
    """Any YAML value in any field of the demo (with a CSV, a French and a CFTC source)."""
    raw = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    raw["data"]["sources"] += [
        {"kind": "csv", "path": "x.csv", "lag_days": 1},
        {"kind": "french", "path": "x.CSV", "columns": {"Lo 30": "SMALL"}},
        {"kind": "cftc", "paths": ["x.txt"], "contracts": {"239742": "RTY"}},
    ]
    node = raw
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    event(outcome(lambda: parse_config(text, "demo.yaml")))


# -- CSV ---------------------------------------------------------------------------------

CSV_CASES: dict[str, dict[str, object]] = {
    "wide_flows.csv": {"lag_days": 0},
    "wide_bom.csv": {"lag_days": 0},
    "wide_us_dates.csv": {
        "date_column": "Trade Date",
        "date_format": "%m/%d/%Y",
        "series": {"Russell 2000 Fwd PE": "SMALL_FWD_PE", "S&P 500 Fwd PE": "LARGE_FWD_PE"},
        "lag_days": 0,
    },
    "long_revisions.csv": {
        "layout": "long",
        "lag_days": {"default": 3},
        "scale": {"SMALL_REV_BREADTH": 0.01},
    },
}


def load_csv(base: Path, data: bytes, fields: dict[str, object]) -> Callable[[], Any]:
    """Write ``data`` as the source's file and return the call that loads it."""
    (base / "data.csv").write_bytes(data)
    source = CsvSource.model_validate({"kind": "csv", "path": "data.csv", **fields})
    return lambda: source.load(context(base))


@FUZZ
@given(data=st.binary(max_size=2000), name=st.sampled_from(sorted(CSV_CASES)))
@example(data=b",", name="wide_flows.csv")  # found by this test: cells but no content
@example(data=b",\r\n,,\n", name="long_revisions.csv")
def test_csv_random_bytes(workdir: Path, data: bytes, name: str) -> None:
    event(outcome(load_csv(workdir, data, CSV_CASES[name])))


@FUZZ
@given(name=st.sampled_from(sorted(CSV_CASES)), ops=OPS)
def test_csv_mutated_fixtures(workdir: Path, name: str, ops: list) -> None:
    data = mutate((FIXTURES / "csv" / name).read_bytes(), ops)
    event(outcome(load_csv(workdir, data, CSV_CASES[name])))


def test_csv_fixtures_parse_unmutated(workdir: Path) -> None:
    """The mutations start from files that parse: a failure is the mutation's doing."""
    for name, fields in CSV_CASES.items():
        assert outcome(load_csv(workdir, (FIXTURES / "csv" / name).read_bytes(), fields)) == "ok"


# -- French ------------------------------------------------------------------------------

FRENCH_CASES: dict[str, dict[str, object]] = {
    "Portfolios_Formed_on_ME.CSV": {"columns": {"Lo 30": "SMALL", "Hi 30": "LARGE"}},
    "F-F_Research_Data_Factors.CSV": {"columns": {"SMB": "SMB"}, "lag_days": 2},
    "F-F_Research_Data_Factors_daily.CSV": {"columns": {"SMB": "SMB", "Mkt-RF": "MKT"}},
    "Portfolios_Formed_on_ME_Daily_VW_excel.csv": {"columns": {"Lo 30": "SMALL"}},
}


def load_french(base: Path, data: bytes, fields: dict[str, object], name: str = "f.CSV"):
    """Write ``data`` as the source's file; the call that reads and loads it."""
    (base / name).write_bytes(data)
    source = FrenchSource.model_validate({"kind": "french", "path": name, **fields})

    def call() -> None:
        read_french_file(base / name)
        source.load(context(base))

    return call


@FUZZ
@given(data=st.binary(max_size=2000), name=st.sampled_from(sorted(FRENCH_CASES)))
def test_french_random_bytes(workdir: Path, data: bytes, name: str) -> None:
    event(outcome(load_french(workdir, data, FRENCH_CASES[name])))


@FUZZ
@given(name=st.sampled_from(sorted(FRENCH_CASES)), ops=OPS)
def test_french_mutated_fixtures(workdir: Path, name: str, ops: list) -> None:
    data = mutate((FIXTURES / "french" / name).read_bytes(), ops)
    event(outcome(load_french(workdir, data, FRENCH_CASES[name])))


def _zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


@settings(FUZZ, max_examples=EXAMPLES or 60)
@given(ops=OPS)
def test_french_mutated_zip(workdir: Path, ops: list) -> None:
    name = "F-F_Research_Data_Factors.CSV"
    data = mutate(_zipped(name, (FIXTURES / "french" / name).read_bytes()), ops)
    event(outcome(load_french(workdir, data, FRENCH_CASES[name], "f_CSV.zip")))


def test_french_fixtures_parse_unmutated(workdir: Path) -> None:
    for name, fields in FRENCH_CASES.items():
        data = (FIXTURES / "french" / name).read_bytes()
        assert outcome(load_french(workdir, data, fields)) == "ok"


# -- CFTC --------------------------------------------------------------------------------

CFTC_CASES: dict[str, dict[str, object]] = {
    "FinFutYY_2024_trimmed.txt": {"contracts": {"239742": "RTY", "209742": "NQ"}},
    "TFF_extract_trimmed.csv": {"contracts": {"239742": "RTY"}},
    "legacy_annual_synthetic.txt": {"report": "legacy", "contracts": {"239742": "RTY"}},
}


def load_cftc(base: Path, data: bytes, fields: dict[str, object], name: str = "cot.txt"):
    """Write ``data`` as the source's file; the call that reads and loads it."""
    (base / name).write_bytes(data)
    source = CftcSource.model_validate({"kind": "cftc", "paths": [name], **fields})

    def call() -> None:
        read_cot_file(data, name)
        source.load(context(base))

    return call


@FUZZ
@given(data=st.binary(max_size=2000), name=st.sampled_from(sorted(CFTC_CASES)))
def test_cftc_random_bytes(workdir: Path, data: bytes, name: str) -> None:
    event(outcome(load_cftc(workdir, data, CFTC_CASES[name])))


@FUZZ
@given(name=st.sampled_from(sorted(CFTC_CASES)), ops=OPS)
def test_cftc_mutated_fixtures(workdir: Path, name: str, ops: list) -> None:
    data = mutate((FIXTURES / "cftc" / name).read_bytes(), ops)
    event(outcome(load_cftc(workdir, data, CFTC_CASES[name])))


@settings(FUZZ, max_examples=EXAMPLES or 60)
@given(ops=OPS)
def test_cftc_mutated_zip(workdir: Path, ops: list) -> None:
    name = "FinFutYY_2024_trimmed.txt"
    data = mutate(_zipped("FinFut24.txt", (FIXTURES / "cftc" / name).read_bytes()), ops)
    event(outcome(load_cftc(workdir, data, CFTC_CASES[name], "fut_fin_txt_2024.zip")))


def test_cftc_fixtures_parse_unmutated(workdir: Path) -> None:
    for name, fields in CFTC_CASES.items():
        data = (FIXTURES / "cftc" / name).read_bytes()
        assert outcome(load_cftc(workdir, data, fields)) == "ok"


def test_the_mutations_change_the_outcome(workdir: Path) -> None:
    """The mutations reach the parsers' error paths (a fuzzer that never fails proves little)."""
    rng = random.Random(7)
    outcomes = set()
    for _ in range(40):
        ops = [
            (
                rng.choice(["flip", "cell", "drop", "truncate"]),
                rng.random(),
                rng.random(),
                rng.randrange(10_000),
            )
        ]
        data = mutate((FIXTURES / "csv" / "wide_flows.csv").read_bytes(), ops)
        outcomes.add(outcome(load_csv(workdir, data, CSV_CASES["wide_flows.csv"])))
    assert {"ok", "DataFormatError"} <= outcomes


# -- through the CLI: `regime data check` -----------------------------------------------

CHECK_CONFIG = """\
name: fuzz
data:
  sources:
{sources}
target: {{small: SMALL_TR, large: LARGE_TR}}
features:
  - builder: momentum.relative_return
    params: {{window_days: 21}}
"""

CLI_SOURCES = {
    "csv": ("prices.csv", "    - {kind: csv, path: prices.csv, lag_days: 0}\n"),
    "french": (
        "ME.CSV",
        '    - {kind: french, path: ME.CSV, columns: {"Lo 30": SMALL_TR, "Hi 30": LARGE_TR}}\n',
    ),
    "cftc": (
        "cot.txt",
        '    - {kind: french, path: ME.CSV, columns: {"Lo 30": SMALL_TR, "Hi 30": LARGE_TR}}\n'
        "    - {kind: cftc, paths: [cot.txt], contracts: {'239742': RTY}}\n",
    ),
}


def _prices_csv() -> bytes:
    days = pd.bdate_range("2023-01-02", "2023-12-29")
    rows = [
        f"{d:%Y-%m-%d},{0.001 * (i % 7 - 3):.4f},{0.0005 * (i % 5 - 2):.4f}"
        for i, d in enumerate(days)
    ]
    return ("date,SMALL_TR,LARGE_TR\n" + "\n".join(rows) + "\n").encode()


@pytest.mark.parametrize("seed", range(9))
def test_data_check_on_mutated_files_exits_0_2_or_3(
    tmp_path: Path, cli_env: dict[str, str], seed: int
) -> None:
    rng = random.Random(seed)
    kind = ["csv", "french", "cftc"][seed % 3]
    target, sources = CLI_SOURCES[kind]
    originals = {
        "prices.csv": _prices_csv(),
        "ME.CSV": (FIXTURES / "french" / "Portfolios_Formed_on_ME.CSV").read_bytes(),
        "cot.txt": (FIXTURES / "cftc" / "FinFutYY_2024_trimmed.txt").read_bytes(),
    }
    for name, data in originals.items():
        if name == target:
            ops = [
                (
                    rng.choice(["flip", "cell", "drop", "duplicate", "insert"]),
                    rng.random(),
                    rng.random(),
                    rng.randrange(10_000),
                )
                for _ in range(rng.randint(1, 3))
            ]
            data = mutate(data, ops)
        (tmp_path / name).write_bytes(data)
    config = tmp_path / "fuzz.yaml"
    config.write_text(CHECK_CONFIG.format(sources=sources), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "regime", "data", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=cli_env,
        timeout=120,
    )
    assert proc.returncode in (0, 2, 3), proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == (0 if proc.returncode == 0 else 1), proc.stderr[-2000:]
    assert not [
        line for line in proc.stderr.splitlines() if "Traceback" in line or "unexpected" in line
    ]


@pytest.mark.parametrize("seed", range(3))
def test_cli_on_random_config_bytes_exits_2(
    tmp_path: Path, cli_env: dict[str, str], seed: int
) -> None:
    data = random.Random(seed).randbytes(500 * (seed + 1))
    config = tmp_path / "random.yaml"
    config.write_bytes(data)
    proc = subprocess.run(
        [sys.executable, "-m", "regime", "data", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=cli_env,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"error: {config}"), line
    check_message(line)
