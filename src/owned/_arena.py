"""The heap model: cells, first-fit free extents, counters, and the raw layer's pointers.

An arena knows its cells and counts its blocks; it does not list the handles that own them
(their scopes do, which is what keeps a handle to 9 slots). What lives in it is found on the
cold path by walking the live scopes (`blocks()`, `leaks()`, through the census that the top of
the package installs).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

from ._errors import DoubleDropError, OutOfMemoryError
from ._events import Event, EventLog
from ._extents import FreeExtents
from ._kinds import reject_handle, seal
from ._pointer import Pointer, describe_block, new_pointer, pointer_name
from ._repr import html_of
from ._sites import Site, caller_site

try:
    import cython
except ImportError:  # interpreted, without Cython installed
    from . import _cython_shim as cython

if not cython.compiled:
    from ._atomic import STATE

__all__ = ["Arena", "ArenaStats", "DropFailure", "install_census", "record_new_arenas"]

from ._cells import MAX_CELLS, cells_for


@dataclass(frozen=True, slots=True)
class ArenaStats:
    """A snapshot of an arena's counters, consistent with each other."""

    __module__ = "owned"

    live_blocks: int
    live_cells: int
    allocs: int
    deallocs: int
    peak_cells: int
    capacity: int | None
    largest_free: int
    free_cells: int
    span: int
    free_extents: int
    drop_failures: int


class DropFailure:
    """A `__drop__` that raised: which value, and what it raised."""

    __slots__ = ("error", "record", "value_type")
    __module__ = "owned"

    def __init__(self, record: object, error: BaseException, value_type: str) -> None:
        self.record = record
        self.error = error
        self.value_type = value_type  # the value itself is gone by the time anyone asks

    def __repr__(self) -> str:
        return (
            f"<owned.DropFailure {self.value_type} {self.record!r}: "
            f"{type(self.error).__name__}: {self.error}>"
        )


# New arenas record events while this is set (python -m owned trace turns it on).
_RECORD_NEW: list[bool] = [False]

# What lives in an arena, found by walking the live scopes: installed by `_census`, which sits
# above every kind of handle (the arena, below them, knows none of them).
_CENSUS: list[Any] = []


def record_new_arenas(on: bool) -> None:
    """Make every Arena created from now on record events (or stop doing so)."""
    _RECORD_NEW[0] = bool(on)


def install_census(census: Any) -> None:
    """Give arenas the object that lists their blocks and finds their leaks."""
    _CENSUS[:] = [census]


class Arena:
    """A row of cells from which blocks are allocated first-fit, with coalescing on free.

    Args:
        capacity: the number of cells, or None for an arena that grows on demand.
        record_events: record every allocation, move, borrow and drop (`events()`).

    Every allocation takes a new generation (a per-arena counter that never wraps), so a
    stale pointer is recognised even after its address was handed to another block.
    """

    __slots__ = (
        "__weakref__",
        "_allocs",
        "_capacity",
        "_deallocs",
        "_drop_failures",
        "_families",
        "_free",
        "_live_blocks",
        "_live_cells",
        "_peak_cells",
        "_pointer_count",
        "_pointers",
        "_recorder",
        "_shared",
    )
    __module__ = "owned"

    def __cinit__(self) -> None:
        # Compiled: an arena made by __new__ alone is an empty growing one, never a broken one.
        self._free = FreeExtents(None)
        self._pointers: list[Pointer[Any]] = []
        self._shared: dict[int, Any] = {}
        self._families: dict[int, Any] = {}
        self._drop_failures: list[DropFailure] = []

    def __init__(self, capacity: int | None = None, *, record_events: bool = False) -> None:
        if (self._allocs != 0) if cython.compiled else hasattr(self, "_allocs"):
            raise TypeError("Arena.__init__ runs once, when the arena is made: use Arena(...)")
        capacity = _valid_capacity(capacity)
        if not isinstance(record_events, bool):
            raise TypeError(
                f"Arena(record_events=...) expects a bool, got {type(record_events).__name__}"
            )
        self._capacity = capacity
        self._free = FreeExtents(capacity)
        self._allocs: int = 0
        self._deallocs = 0
        self._live_blocks = 0
        self._live_cells = 0
        self._peak_cells = 0
        # The raw layer's live pointers (nothing else would find them); each knows its index.
        self._pointers = []
        self._pointer_count = 0
        # address -> the record of a shared block (an Rc's box), for leak reports.
        self._shared = {}
        # address -> the family of parts of the value there, for the handles that have parts.
        self._families = {}
        self._drop_failures = []
        # None unless recording: every hook on the hot path is one `is not None` test.
        self._recorder: EventLog | None = EventLog() if record_events or _RECORD_NEW[0] else None

    @property
    def capacity(self) -> int | None:
        """The fixed number of cells, or None for a growing arena."""
        return self._capacity

    # -- the hot path: called by the handles inside their operations --------------------------

    def _allocate(self, size: int) -> int:
        """Reserve `size` cells; return the address. Raises `OutOfMemoryError` (no change)."""
        address = self._free._take(size)
        if address < 0:
            raise self._out_of_memory(size)
        self._allocs += 1
        self._live_blocks += 1
        cells = self._live_cells + size
        self._live_cells = cells
        if cells > self._peak_cells:  # noqa: PLR1730 - a compare costs less than max()
            self._peak_cells = cells
        return address

    def _release(self, address: int, size: int) -> None:
        """Give a block's cells back."""
        self._free.give_back(address, size)
        self._deallocs += 1
        self._live_blocks -= 1
        self._live_cells -= size

    def _out_of_memory(self, size: int) -> OutOfMemoryError:
        free = self._free
        return OutOfMemoryError(size, free.largest_free, free.end, free.free_cells)

    # -- the raw layer -------------------------------------------------------------------------

    @cython.locals(cells=cython.Py_ssize_t, site=Site)  # type: ignore[untyped-decorator]  # cython has no stubs
    def alloc(self, value: Any, size: int | None = None) -> Pointer[Any]:
        """Allocate a raw block, C style: nothing frees it but `free(pointer)`."""
        site = caller_site()
        cls = type(value)
        if size is None and (cls is int or cls is float or cls is bool or value is None):
            cells = 1  # the common cases: no handle, one cell
        else:
            reject_handle(value, "Arena.alloc")
            cells = cells_for(value, size, "Arena.alloc")
        pointer = new_pointer(self, value, cells, site)
        if cython.compiled:
            self._alloc_pointer(pointer, cells)
        else:
            with STATE:
                self._alloc_pointer(pointer, cells)
        return pointer

    # Indices below the live count only (`_pointer_count` <= len): compiled, unchecked.
    @cython.boundscheck(False)  # type: ignore[untyped-decorator]  # cython has no stubs
    @cython.wraparound(False)  # type: ignore[untyped-decorator]
    def _alloc_pointer(self, pointer: Pointer[Any], cells: int) -> None:
        address = self._allocate(cells)
        pointer.address = address
        pointer.generation = self._allocs  # the alloc count when it was taken: unique per arena
        pointers = self._pointers
        slot = self._pointer_count
        pointer._slot = slot
        if slot < len(pointers):
            pointers[slot] = pointer
        else:
            pointers.append(pointer)
        self._pointer_count = slot + 1
        if self._recorder is not None:
            self._recorder("alloc", pointer, None, None, pointer.generation)

    @cython.locals(raw=Pointer)  # type: ignore[untyped-decorator]  # cython has no stubs
    def free(self, pointer: Pointer[Any]) -> None:
        """Free a raw block; a second free raises `DoubleDropError`."""
        site = caller_site()
        if type(pointer) is not Pointer:
            raise TypeError(
                "Arena.free expects a Pointer returned by Arena.alloc, "
                f"got {type(pointer).__name__}"
            )
        raw: Pointer[Any] = pointer
        if raw._arena is not self:
            raise ValueError(
                f"Arena.free got a pointer from another arena ({pointer!r}); "
                "free it with the arena that allocated it"
            )
        if cython.compiled:
            freed = self._free_pointer(pointer, site)
        else:
            with STATE:
                freed = self._free_pointer(pointer, site)
        if freed is not None:
            raise _double_free(pointer, site, freed)

    @cython.boundscheck(False)  # type: ignore[untyped-decorator]  # cython has no stubs
    @cython.wraparound(False)  # type: ignore[untyped-decorator]
    def _free_pointer(self, pointer: Pointer[Any], site: Site) -> Site | None:
        """Free it and return None, or return where it was freed already (nothing changes)."""
        freed_at = pointer._freed_at
        if freed_at is not None:
            return freed_at
        if self._recorder is not None:
            self._recorder("dealloc", pointer, site, None)
        pointer._freed_at = site
        # The last live pointer takes the freed one's place; the list never shrinks, so that
        # allocating and freeing one block at a time reallocates nothing.
        pointers = self._pointers
        count = self._pointer_count - 1
        last: Pointer[Any] = pointers[count]
        pointers[count] = _NO_POINTER
        if last is not pointer:
            last._slot = pointer._slot
            pointers[pointer._slot] = last
        self._pointer_count = count
        self._release(pointer.address, pointer._size)
        value = pointer._value
        pointer._value = None
        del value  # a finalizer of the value runs here, after the operation
        return None

    def _raw_records(self) -> list[Any]:
        """The raw pointers and shared boxes of this arena (the blocks no scope lists)."""
        return [*self._pointers[: self._pointer_count], *self._shared.values()]

    def _record_at(self, address: int) -> object:
        """What lives at `address` now (for use-after-free messages): a record, or None."""
        for pointer in self._pointers[: self._pointer_count]:
            if pointer.address == address:
                return pointer
        for _start, _size, record in self.blocks():
            if _start == address:
                return record
        return None

    # -- recording -----------------------------------------------------------------------------

    @property
    def is_recording(self) -> bool:
        """Whether the arena records events now (`record_events()` turns it on and off)."""
        return self._recorder is not None

    def record_events(self, on: bool = True) -> None:
        """Start (or stop) recording events; starting again keeps what was recorded."""
        if on and self._recorder is None:
            self._recorder = EventLog()
        elif not on:
            self._recorder = None

    def _event_log(self) -> EventLog | None:
        """The recorder, while recording (for the trace, which reads it in bulk)."""
        return self._recorder

    def events(self) -> list[Event]:
        """What was recorded, oldest first (empty when recording is off)."""
        recorder = self._recorder
        return [] if recorder is None else recorder.events()

    def _count_drop_failure(self, record: object, failure: BaseException, value: object) -> None:
        self._drop_failures.append(DropFailure(record, failure, type(value).__name__))

    def drop_failures(self) -> list[DropFailure]:
        """Every `__drop__` that raised in this arena (the block was freed all the same)."""
        return list(self._drop_failures)

    # -- the cold path -------------------------------------------------------------------------

    def stats(self) -> ArenaStats:
        """Counters and free-space figures, consistent with each other."""
        with self._reading():
            free = self._free
            return ArenaStats(
                live_blocks=self._live_blocks,
                live_cells=self._live_cells,
                allocs=self._allocs,
                deallocs=self._deallocs,
                peak_cells=self._peak_cells,
                capacity=self._capacity,
                largest_free=free.largest_free,
                free_cells=free.free_cells,
                span=free.end,
                free_extents=len(free),
                drop_failures=len(self._drop_failures),
            )

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """Hold still while reading (a signal handler or finalizer reads as things are)."""
        if cython.compiled or STATE.held_here():
            yield
        else:
            with STATE:
                yield

    def blocks(self) -> list[tuple[int, int, Any]]:
        """`(address, size, record)` of every live block, by address.

        A record is the `Owned` (or `Rc` box) that owns the block, or a raw `Pointer`.
        """
        return _CENSUS[0].blocks(self)  # type: ignore[no-any-return]

    def leaks(self) -> list[Any]:
        """The live blocks no program can use any more, each with why (see `owned.Leak`)."""
        return _CENSUS[0].leaks(self)  # type: ignore[no-any-return]

    def render(self, width: int | None = None) -> str:
        """A one-line map of the cells: `#` used, `.` free, between brackets.

        With `width`, each character stands for several cells: `#` all used, `.` all free,
        `+` some of each. Its cost is proportional to the width and the free extents.
        """
        width = _valid_width(width)
        with self._reading():
            span = self._free.end
            free_extents = list(self._free)
        if width is None or span <= width:
            return "[" + _cell_map(span, free_extents) + "]"
        return "[" + _chunk_map(span, free_extents, width) + "]"

    def _repr_html_(self) -> str | None:
        """The cell map with each block's name and owner, for notebooks (IPython's protocol)."""
        return html_of(self)

    def __repr__(self) -> str:
        capacity = "growing" if self._capacity is None else f"capacity={self._capacity}"
        return (
            f"<owned.Arena {capacity}, {self._live_blocks} live blocks, "
            f"{self._live_cells} live cells>"
        )

    def __copy__(self) -> NoReturn:
        raise TypeError("an owned.Arena is a heap: it cannot be copied (make a new Arena())")

    def __deepcopy__(self, memo: object) -> NoReturn:
        raise TypeError("an owned.Arena is a heap: it cannot be copied (make a new Arena())")

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError(
            "an owned.Arena holds the blocks of this process and cannot be pickled: "
            "pickle the values instead"
        )


for _public in (Arena, ArenaStats, DropFailure):
    seal(_public)
_NO_POINTER = Pointer.__new__(Pointer)  # what fills the slots past the live pointers


def _cell_map(span: int, free_extents: list[tuple[int, int]]) -> str:
    parts = []
    at = 0
    for address, size in free_extents:
        parts.append("#" * (address - at))
        parts.append("." * size)
        at = address + size
    parts.append("#" * (span - at))
    return "".join(parts)


def _chunk_map(span: int, free_extents: list[tuple[int, int]], width: int) -> str:
    """Each of `width` characters for `ceil(span / width)` cells, from the free extents alone."""
    chunk = -(-span // width)
    count = -(-span // chunk)
    free_in = [0] * count  # free cells per chunk
    for address, size in free_extents:
        end = address + size
        first, last = address // chunk, (end - 1) // chunk
        if first == last:
            free_in[first] += size
            continue
        free_in[first] += (first + 1) * chunk - address
        for index in range(first + 1, last):
            free_in[index] = chunk
        free_in[last] += end - last * chunk
    glyphs = []
    for index, free in enumerate(free_in):
        cells = min(chunk, span - index * chunk)
        glyphs.append("." if free == cells else "#" if free == 0 else "+")
    return "".join(glyphs)


def _double_free(pointer: Pointer[Any], site: Site, freed_at: Site) -> DoubleDropError:
    name = pointer_name(pointer)
    return DoubleDropError(
        f"attempting double-free on `{name}` "
        f"({describe_block(pointer.address, pointer._size, pointer.generation)})",
        name=name,
        labels=(
            ("freed again here", site),
            ("first freed here", freed_at),
            ("previously allocated here", pointer._allocated_at),
        ),
        dropped_at=freed_at,
        allocated_at=pointer._allocated_at,
        used_at=site,
        help="free each allocation exactly once; owned.Owned frees for you at scope exit",
    )


def _valid_capacity(capacity: object) -> int | None:
    if capacity is None:
        return None
    if not isinstance(capacity, int) or isinstance(capacity, bool):
        raise TypeError(
            f"Arena(capacity=...) expects a number of cells (int) or None, "
            f"got {type(capacity).__name__}"
        )
    if capacity < 0:
        raise ValueError(f"Arena(capacity=...) expects a number of cells >= 0, got {capacity}")
    if capacity > MAX_CELLS:
        raise ValueError(
            f"Arena(capacity=...) expects at most 2**62 cells, got {capacity}: "
            "use capacity=None for an arena that grows as needed"
        )
    return capacity


def _valid_width(width: object) -> int | None:
    if width is not None and (not isinstance(width, int) or isinstance(width, bool) or width < 1):
        raise ValueError(f"render(width=...) expects a positive int or None, got {width!r}")
    return width


if not cython.compiled:  # interpreted, a KeyboardInterrupt waits until the operation is over
    from ._atomic import protect_module

    protect_module(globals())
