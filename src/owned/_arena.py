"""The heap model: cells, first-fit free extents, generations, statistics and a picture."""

from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar, final

from ._errors import OutOfMemoryError
from ._events import Event, EventLog

if TYPE_CHECKING:
    from ._handles import Owned
from ._extents import FreeExtents

T = TypeVar("T")

__all__ = ["Arena", "ArenaStats", "DropFailure", "all_arenas", "record_new_arenas"]


@final
@dataclass(frozen=True, slots=True)
class ArenaStats:
    """A snapshot of an arena's counters, taken under its lock."""

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


@final
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
_record_new_arenas = False


def record_new_arenas(on: bool) -> None:
    """Make every Arena created from now on record events (or stop doing so)."""
    global _record_new_arenas
    _record_new_arenas = bool(on)


@final
class Arena:
    """A row of cells from which blocks are allocated first-fit, with coalescing on free.

    Args:
        capacity: the number of cells, or None for an arena that grows on demand.

    Every allocation takes a new generation (a per-arena counter that never wraps), so a
    stale pointer is recognised even after its address was handed to another block.
    """

    __slots__ = (
        "__weakref__",
        "_allocs",
        "_busy",
        "_capacity",
        "_deallocs",
        "_drop_failures",
        "_free",
        "_live",
        "_live_cells",
        "_peak_cells",
        "_recorder",
    )
    __module__ = "owned"

    def __init__(self, capacity: int | None = None, *, record_events: bool = False) -> None:
        capacity = _valid_capacity(capacity)
        self._capacity: Final = capacity
        self._free = FreeExtents(capacity)
        # address -> the record that owns the block (an Owned handle or a Pointer), in
        # allocation order: the arena's own list of what is alive, for stats and leak reports.
        self._live: dict[int, Any] = {}
        # The arena's lock, guarding _free, _live and the counters: True while a thread is
        # inside. See _claim: a test-and-set that the GIL makes atomic, because a
        # threading.Lock costs more than the allocation it guards.
        self._busy = False
        self._allocs = 0
        self._deallocs = 0
        self._live_cells = 0
        self._peak_cells = 0
        self._drop_failures: list[DropFailure] = []
        if not isinstance(record_events, bool):
            raise TypeError(
                f"Arena(record_events=...) expects a bool, got {type(record_events).__name__}"
            )
        # None unless recording: every hook on the hot path is one `is not None` test.
        record = record_events or _record_new_arenas
        self._recorder: EventLog | None = EventLog() if record else None
        _ARENAS.add(self)

    @property
    def capacity(self) -> int | None:
        """The fixed number of cells, or None for a growing arena."""
        return self._capacity

    def _claim(self) -> None:
        """Wait for the arena's lock, then take it.

        `if not busy: busy = True` has no call between the test and the store, and CPython's
        GIL passes to another thread only at calls and backward jumps: the pair is one atomic
        test-and-set. A waiting thread sleeps for no time, which hands the GIL to the holder.
        """
        while True:
            if not self._busy:
                self._busy = True
                return
            _yield_to_other_threads(0)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """The arena's lock for the cold paths (statistics, pictures, listings)."""
        self._claim()
        try:
            yield
        finally:
            self._busy = False

    def _allocate(self, record: object, size: int) -> int:
        """Reserve `size` cells for `record`; return the address."""
        if self._busy:
            self._claim()
        else:
            self._busy = True  # the test above and this store are one step: see _claim
        try:
            address = self._free.take(size)
            if address is None:
                raise self._out_of_memory(size)
            self._live[address] = record
            self._allocs += 1
            cells = self._live_cells + size
            self._live_cells = cells
            if cells > self._peak_cells:  # noqa: PLR1730 - a compare costs less than max()
                self._peak_cells = cells
            if self._recorder is not None:
                self._recorder("alloc", record, None, None, self._allocs)
        finally:
            self._busy = False
        return address

    def _release(self, address: int, size: int, detail: str | None = None) -> None:
        """Give a block's cells back; `detail` says why, for the event log."""
        if self._busy:
            self._claim()
        else:
            self._busy = True  # the test above and this store are one step: see _claim
        try:
            record = self._live.pop(address)
            self._free.give_back(address, size)
            self._deallocs += 1
            self._live_cells -= size
            if self._recorder is not None:
                self._recorder("dealloc", record, None, detail)
        finally:
            self._busy = False

    @property
    def is_recording(self) -> bool:
        return self._recorder is not None

    def record_events(self, on: bool = True) -> None:
        """Start (or stop) recording events; starting again keeps what was recorded."""
        if on and self._recorder is None:
            self._recorder = EventLog()
        elif not on:
            self._recorder = None

    def events(self) -> list[Event]:
        """What was recorded, oldest first (empty when recording is off)."""
        recorder = self._recorder
        return [] if recorder is None else recorder.events()

    def _count_drop_failure(self, record: object, failure: BaseException, value: object) -> None:
        with self._locked():
            self._drop_failures.append(DropFailure(record, failure, type(value).__name__))

    def drop_failures(self) -> list[DropFailure]:
        """Every `__drop__` that raised in this arena (the block was freed all the same)."""
        with self._locked():
            return list(self._drop_failures)

    def _out_of_memory(self, size: int) -> OutOfMemoryError:
        free = self._free
        return OutOfMemoryError(size, free.largest_free, free.end, free.free_cells)

    def alloc(self, value: T, size: int | None = None) -> Pointer[T]:
        """Allocate a raw block, C style: nothing frees it but `free(pointer)`."""
        return allocate_pointer(self, value, size)

    def free(self, pointer: Pointer[Any]) -> None:
        """Free a raw block; a second free raises `DoubleDropError`."""
        free_pointer(self, pointer)

    def stats(self) -> ArenaStats:
        """Counters and free-space figures, consistent with each other."""
        with self._locked():
            free = self._free
            return ArenaStats(
                live_blocks=len(self._live),
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

    def blocks(self) -> list[tuple[int, int, Owned[Any] | Pointer[Any]]]:
        """`(address, size, record)` of every live block, in allocation order."""
        with self._locked():
            return [(address, record._size, record) for address, record in self._live.items()]

    def render(self, width: int | None = None) -> str:
        """A one-line map of the cells: `#` used, `.` free, between brackets.

        With `width`, each character stands for several cells: `#` all used, `.` all free,
        `+` some of each.
        """
        width = _valid_width(width)
        with self._locked():
            span = self._free.end
            free_extents = list(self._free)
        used = [True] * span
        for address, size in free_extents:
            used[address : address + size] = [False] * size
        if width is None or span <= width:
            return "[" + "".join("#" if cell else "." for cell in used) + "]"
        chunk = -(-span // width)
        glyphs = []
        for start in range(0, span, chunk):
            part = used[start : start + chunk]
            glyphs.append("#" if all(part) else "." if not any(part) else "+")
        return "[" + "".join(glyphs) + "]"

    def __repr__(self) -> str:
        capacity = "growing" if self._capacity is None else f"capacity={self._capacity}"
        return (
            f"<owned.Arena {capacity}, {len(self._live)} live blocks, "
            f"{self._live_cells} live cells>"
        )


_ARENAS: Final[weakref.WeakSet[Arena]] = weakref.WeakSet()
_yield_to_other_threads: Final = time.sleep


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
    return capacity


def _valid_width(width: object) -> int | None:
    if width is not None and (not isinstance(width, int) or isinstance(width, bool) or width < 1):
        raise ValueError(f"render(width=...) expects a positive int or None, got {width!r}")
    return width


def all_arenas() -> list[Arena]:
    """Every arena still referenced, for dropping the root scope's values at exit."""
    return list(_ARENAS)


from ._pointer import Pointer, allocate_pointer, free_pointer  # noqa: E402 - it imports Arena's module
