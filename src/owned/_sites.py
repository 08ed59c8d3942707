"""Call sites: captured on the hot path as (code, offset), resolved only when an error needs one.

One `Site` exists per (code, offset) pair while it is in the table, so a handle stores only a
reference; its file, line, columns and names are worked out on first use (`_bytecode`). The
table holds at most `_TABLE_CODES` code objects: past that the oldest half is forgotten (their
sites stay valid for whoever holds them; a new capture there makes a new `Site`), so a program
that compiles code at run time does not grow it without end.

Compiled, capturing reads the calling frame's code and offset through CPython's C API and looks
them up in a small direct-mapped cache before the table (`_sites.pxd`).
"""

from __future__ import annotations

import sys
from types import CodeType

from . import _bytecode
from ._kinds import seal

try:
    import cython
except ImportError:  # interpreted, without Cython installed
    from . import _cython_shim as cython

__all__ = ["Site", "assigned_name", "caller_site", "named", "site_at", "used_name"]

_getframe = sys._getframe


class _Unknown:
    """Not worked out yet (None is a valid answer: no name)."""

    __slots__ = ()


_UNKNOWN = _Unknown()


class Site:
    """A place in the source: a code object and an instruction offset.

    The file, line, column and function are computed on first use (an error message, a trace).
    """

    __slots__ = ("_assigned", "_given", "_position", "code", "offset")
    __module__ = "owned"

    code: CodeType
    offset: int

    def __init__(self, code: CodeType, offset: int) -> None:
        self.code = code
        self.offset = offset
        # Worked out on first use, then kept: one Site stands for every event at its place.
        self._position: tuple[int, int | None, int | None] | None = None
        self._assigned: object = _UNKNOWN
        self._given = False

    @property
    def filename(self) -> str:
        """The file of the code that ran here."""
        return str(self.code.co_filename)

    @property
    def function(self) -> str:
        """The name of the function that ran here."""
        return str(self.code.co_name)

    @property
    def line(self) -> int:
        """The line of the instruction (its first line, for one spanning several)."""
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
        position = self._position
        if position is None:
            line, _end_line, column, end_column = _bytecode.positions(self.code, self.offset)
            position = self._position = (line, column, end_column)
        return position

    @property
    def display_filename(self) -> str:
        """The filename relative to the working directory when it lies below it."""
        return _bytecode.display_filename(self.filename)

    def assigned_name(self) -> str | None:
        """The variable the result of the call here is stored in (`years = Owned(...)`)."""
        assigned = self._assigned
        if isinstance(assigned, _Unknown):
            assigned = self._assigned = _bytecode.assigned_name(self.code, self.offset)
        return assigned  # type: ignore[return-value]

    def used_name(self, value: object) -> str | None:
        """The place used here that holds `value` (`a` in `pair(a, b)`, `names[0]`), asked
        while the instruction still runs: see `_bytecode.used_name`."""
        return _bytecode.used_name(self.code, self.offset, value)

    @property
    def is_named_by_hand(self) -> bool:
        """True for a site made by `named()`: a name given with `Owned(..., name=)`."""
        return self._given

    def __str__(self) -> str:
        return f"{self.display_filename}:{self.line} ({self.function})"

    def __repr__(self) -> str:
        return f"<owned.Site {self}>"

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # A code object does not pickle: a pickled site is the snapshot of what it shows.
        from ._snapshots import SiteSnapshot

        return SiteSnapshot.of(self).__reduce__()


seal(Site)

# One dict of sites per code object, keyed by id(code): hashing a code object hashes its
# bytecode, an id is free. The Sites hold their code object, so an id is not reused while it
# is a key.
_SITES: dict[int, dict[int, Site]] = {}
_TABLE_CODES = 4096


def site_at(code: CodeType, offset: int) -> Site:
    """The interned `Site` of an instruction."""
    by_offset = _SITES.get(id(code))
    if by_offset is None:
        if len(_SITES) >= _TABLE_CODES:
            _forget_oldest()
        by_offset = _SITES.setdefault(id(code), {})
    site = by_offset.get(offset)
    if site is None:
        site = by_offset.setdefault(offset, Site(code, offset))
    return site


def table_size() -> int:
    """How many code objects the table holds sites for (bounded by `_TABLE_CODES`)."""
    return len(_SITES)


def _forget_oldest() -> None:
    """Drop the oldest half of the table (dicts keep insertion order), and the C cache."""
    for key in list(_SITES)[: len(_SITES) // 2]:
        del _SITES[key]
    if cython.compiled:
        _clear_cache()


def caller_site(depth: int = 0) -> Site:
    """The site of the Python code that called the operation calling this.

    Compiled, that is the innermost Python frame (compiled functions have none); interpreted,
    the frame `depth` levels above the operation's own.
    """
    if cython.compiled:
        return _compiled_caller_site()
    frame = _getframe(depth + 2)
    return site_at(frame.f_code, frame.f_lasti)


if not cython.compiled:  # the compiled core's C helpers (`_sites.pxd`), for type checkers

    def _compiled_caller_site() -> Site:
        raise AssertionError("compiled only")

    def _clear_cache() -> None:
        raise AssertionError("compiled only")


def named(site: Site, name: str) -> Site:
    """A site that names its value `name` (not interned: the name belongs to one value)."""
    renamed = Site(site.code, site.offset)
    renamed._assigned = name
    renamed._given = True
    return renamed


def assigned_name(site: Site) -> str | None:
    """`site.assigned_name()`, as a function."""
    return site.assigned_name()


def used_name(site: Site, value: object) -> str | None:
    """`site.used_name(value)`, as a function."""
    return site.used_name(value)


if not cython.compiled:  # interpreted, a KeyboardInterrupt waits until the operation is over
    from ._atomic import protect_module

    protect_module(globals())
