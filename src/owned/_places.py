"""How a place in the source is named to the reader: `file.py:12`, or `Cell In[3], line 12`.

Errors and their renderings name places through `place()`. A tool that runs code from
somewhere other than a file (the notebook extension: a cell compiled under a temporary file
name) adds a namer that knows better. This module imports nothing of `owned`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from ._bytecode import display_filename

__all__ = ["Namer", "add_namer", "place", "remove_namer"]

# (filename, line, column or None) -> the place in words, or None when the namer does not
# know the file.
Namer = Callable[[str, int, int | None], str | None]

_NAMERS: Final[list[Namer]] = []


def add_namer(namer: Namer) -> None:
    """Ask `namer` first (before any added earlier) how to name places."""
    _NAMERS.insert(0, namer)


def remove_namer(namer: Namer) -> None:
    """Stop asking `namer`; removing one that was never added does nothing."""
    if namer in _NAMERS:
        _NAMERS.remove(namer)


def place(filename: str, line: int, column: int | None = None) -> str:
    """`file.py:line[:column]`, relative to the working directory, unless a namer knows better."""
    for namer in _NAMERS:
        named = namer(filename, line, column)
        if named is not None:
            return named
    where = f"{display_filename(filename)}:{line}"
    return where if column is None else f"{where}:{column}"
