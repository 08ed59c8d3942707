"""Call sites captured cheaply on the hot path and resolved only when an error needs them."""

from __future__ import annotations

import dis
import functools
import os
import sys
from types import CodeType, FrameType
from typing import Final, final

__all__ = [
    "Site",
    "assigned_name",
    "display_filename",
    "named",
    "positions",
    "site_of",
    "used_name",
]

_getframe = sys._getframe


@final
class _Unknown:
    """Not worked out yet (None is a valid answer: no name)."""

    __slots__ = ()


_UNKNOWN: Final = _Unknown()


@final
class Site:
    """A place in the source: a code object and an instruction offset.

    One `Site` exists per (code, offset) pair, so a handle only stores a reference; the file,
    line, column and function are computed on first use (an error message, a trace).
    """

    __slots__ = ("_assigned", "_position", "code", "offset")
    __module__ = "owned"

    def __init__(self, code: CodeType, offset: int) -> None:
        self.code: Final = code
        self.offset: Final = offset
        # Worked out on first use, then kept: one Site stands for every event at its place.
        self._position: tuple[int, int | None, int | None] | None = None
        self._assigned: str | _Unknown | None = _UNKNOWN

    @property
    def filename(self) -> str:
        return self.code.co_filename

    @property
    def function(self) -> str:
        return self.code.co_name

    @property
    def line(self) -> int:
        return self._located()[0]

    @property
    def column(self) -> int | None:
        """1-based column where the expression starts (None where Python does not record it)."""
        column = self._located()[1]
        return None if column is None else column + 1

    @property
    def end_column(self) -> int | None:
        """1-based column just past the expression (None where Python does not record it)."""
        end = self._located()[2]
        return None if end is None else end + 1

    def _located(self) -> tuple[int, int | None, int | None]:
        if self._position is None:
            line, _end_line, column, end_column = positions(self.code, self.offset)
            self._position = (line, column, end_column)
        return self._position

    @property
    def display_filename(self) -> str:
        """The filename relative to the working directory when it lies below it."""
        return display_filename(self.filename)

    def __str__(self) -> str:
        return f"{self.display_filename}:{self.line} ({self.function})"

    def __repr__(self) -> str:
        return f"<owned.Site {self}>"


# One dict of sites per code object, keyed by id(code): hashing a code object hashes its
# bytecode, names and constants on every call, an id is free. The Sites in the inner dict hold
# their code object, so an id is never reused while it is a key. This grows with the program's
# text, not with its run time.
_SITES: dict[int, dict[int, Site]] = {}


def site_of(frame: FrameType) -> Site:
    """The interned `Site` of a frame's current instruction."""
    code = frame.f_code
    offset = frame.f_lasti
    by_offset = _SITES.get(id(code))
    if by_offset is None:
        by_offset = _SITES.setdefault(id(code), {})
    site = by_offset.get(offset)
    if site is None:
        site = by_offset.setdefault(offset, Site(code, offset))
    return site


def named(site: Site, name: str) -> Site:
    """A site that names its value `name` (not interned: the name belongs to one value)."""
    renamed = Site(site.code, site.offset)
    renamed._assigned = name
    return renamed


@functools.lru_cache(maxsize=4096)
def positions(code: CodeType, offset: int) -> tuple[int, int, int | None, int | None]:
    """(line, end line, column, end column) of an instruction; columns are 0-based bytes.

    Python 3.11+ records columns (`co_positions`); 3.10 only lines, so columns are None there.
    """
    table = getattr(code, "co_positions", None)
    if table is not None:
        for index, (line, end_line, column, end_column) in enumerate(table()):
            if index * 2 == offset and line is not None:
                return (line, end_line or line, column, end_column)
    for start, end, line in code.co_lines():
        if start <= offset < end and line is not None:
            return (line, line, None, None)
    return (code.co_firstlineno, code.co_firstlineno, None, None)


def display_filename(filename: str) -> str:
    """`filename` relative to the working directory when under it: shorter, still clickable."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith("..") else relative


_STORES: Final = frozenset({"STORE_FAST", "STORE_NAME", "STORE_GLOBAL", "STORE_DEREF"})
_TRANSPARENT: Final = frozenset(
    {"CACHE", "PRECALL", "EXTENDED_ARG", "NOP", "BEFORE_WITH", "SETUP_WITH", "GET_AWAITABLE"}
)


def _instructions_from(site: Site) -> list[dis.Instruction]:
    """The instruction at `site` and those after it (an offset may point into its caches)."""
    instructions = list(dis.get_instructions(site.code))
    start = 0
    for index, instruction in enumerate(instructions):
        if instruction.offset > site.offset:
            break
        start = index
    return instructions[start:]


def assigned_name(site: Site) -> str | None:
    """The variable that the result of the call at `site` is stored in (`years = Owned(...)`)."""
    if isinstance(site._assigned, _Unknown):
        site._assigned = _assigned_name(site)
    return site._assigned


def _assigned_name(site: Site) -> str | None:
    for instruction in _instructions_from(site)[1:]:
        if instruction.opname in _STORES:
            return str(instruction.argval)
        if instruction.opname not in _TRANSPARENT:
            return None
    return None


_LOADS: Final = frozenset(
    {"LOAD_FAST", "LOAD_NAME", "LOAD_GLOBAL", "LOAD_DEREF", "LOAD_CLOSURE", "LOAD_FAST_CHECK"}
)


def used_name(site: Site) -> str | None:
    """The variable loaded just before the instruction at `site` (`years` in `years.value`)."""
    instructions = [i for i in dis.get_instructions(site.code) if i.offset <= site.offset]
    if len(instructions) >= 2 and instructions[-2].opname in _LOADS:
        return str(instructions[-2].argval)
    return None
