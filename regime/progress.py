"""Progress bars for long steps (walk-forward refits, sources pulled), shown only when asked for.

The command line turns them on when stderr is a terminal and ``--quiet`` is
not given; library calls (notebooks, tests) stay silent unless
:func:`show_progress` is called.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_enabled = False


def show_progress(enabled: bool) -> None:
    """Turn progress bars on or off for this process."""
    global _enabled
    _enabled = enabled


def progress(
    items: Iterable[T], description: str, total: int | None = None, unit: str = "refit"
) -> Iterator[T]:
    """``items``, with a progress bar on stderr when progress is on."""
    if not _enabled:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=description, total=total, leave=False, unit=unit)
