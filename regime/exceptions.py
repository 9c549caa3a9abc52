"""Exception hierarchy; the CLI maps each branch to an exit code (0, 1, 2, 3, 4)."""

from __future__ import annotations

#: Longest error message the command line prints.
MAX_MESSAGE_CHARS = 1000


class RegimeError(Exception):
    """Base class of every error this package raises on purpose."""

    exit_code = 1


class ConfigError(RegimeError, ValueError):
    """A config file, or a command-line argument, is invalid (exit 2)."""

    exit_code = 2


class DataError(RegimeError, ValueError):
    """Input data is missing, malformed or cannot be fetched (exit 3)."""

    exit_code = 3


class MissingSeriesError(DataError):
    """A series the run needs is not in any source."""


class DataFormatError(DataError):
    """A file or response does not have the format of its source."""


class DownloadError(DataError):
    """A remote source could not be reached or refused the request."""


class CacheError(DataError):
    """A cache file is corrupt or unreadable."""


class ArtifactError(RegimeError):
    """A model artifact is missing, corrupt or incompatible (exit 4)."""

    exit_code = 4


def bounded_message(message: str) -> str:
    """``message`` on one line and at most :data:`MAX_MESSAGE_CHARS` characters.

    A longer message keeps its start (file, line, field) and its end (what to
    do), joined by `` ... ``.
    """
    text = " ".join(message.splitlines())
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    tail = MAX_MESSAGE_CHARS // 4
    return f"{text[: MAX_MESSAGE_CHARS - tail - 5]} ... {text[-tail:]}"


def bounded_error(exc: RegimeError) -> RegimeError:
    """A copy of ``exc`` (same class) whose message is :func:`bounded_message`."""
    return type(exc)(bounded_message(str(exc)))
