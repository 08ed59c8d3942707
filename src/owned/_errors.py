"""The exception tree: one root, leaves that carry the data a program needs."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ._sites import Site

from ._diagnostics import diagnostic_note, render, should_color
from ._places import place
from ._repr import html_of

__all__ = [
    "BorrowError",
    "BorrowMutError",
    "DanglingRefError",
    "DoubleDropError",
    "MoveOutOfBorrowError",
    "MoveWhileBorrowedError",
    "NotSendError",
    "OutOfMemoryError",
    "OwnershipError",
    "PoisonError",
    "UseAfterDropError",
    "UseAfterMoveError",
    "fixed_value",
    "hide_frame",
]


class OwnershipError(Exception):
    """A use of a value that Rust's borrow checker would reject.

    Attributes:
        code: the closest rustc error code (`"E0382"`...), or None where Rust has none.
        name: the value's variable name where it could be found, else None.
        labels: `(label, site)` pairs in the order rustc shows them.
        help: a suggestion, as rustc's `help:` line, or None.
        moved_at, dropped_at, borrowed_at, allocated_at, used_at: the sites that apply.
    """

    __module__ = "owned"
    default_code: ClassVar[str | None] = None

    def __init__(
        self,
        headline: str,
        *,
        code: str | None = None,
        name: str | None = None,
        labels: tuple[tuple[str, Site | None], ...] = (),
        help: str | None = None,
        moved_at: Site | None = None,
        dropped_at: Site | None = None,
        borrowed_at: Site | None = None,
        allocated_at: Site | None = None,
        used_at: Site | None = None,
    ) -> None:
        super().__init__(headline)
        self.headline = headline
        self.code = code if code is not None else self.default_code
        self.name = name
        self.labels = labels
        self.help = help
        self.moved_at = moved_at
        self.dropped_at = dropped_at
        self.borrowed_at = borrowed_at
        self.allocated_at = allocated_at
        self.used_at = used_at

    def __str__(self) -> str:
        first = f"[{self.code}] {self.headline}" if self.code else self.headline
        lines = [first]
        lines.extend(
            f"  --> {label}: {place(site.filename, site.line)} ({site.function})"
            for label, site in self.labels
            if site is not None
        )
        if self.help:
            lines.append(f"  = help: {self.help}")
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        # Sites pickle as snapshots (Site.__reduce__); the rest is plain data.
        state = {k: v for k, v in self.__dict__.items() if k not in ("_notes", "_own_note")}
        return (type(self), self.args, state)

    def render(self, *, color: bool = False) -> str:
        """The error as rustc prints it: `error[E0382]: ...`, the source lines with the exact
        spans of each site labelled, and rustc's notes and help. Plain text unless `color`."""
        return render(self, color=color)

    def _repr_html_(self) -> str | None:
        """The rustc rendering in HTML, colours kept, for notebooks (IPython's protocol)."""
        return html_of(self)

    # Python prints `__notes__` under the traceback, so an uncaught error shows its rustc-style
    # rendering with plain `python script.py`. It is rendered when first read (printing the
    # traceback), never when the error is raised and caught.
    @property
    def __notes__(self) -> list[str]:
        notes: list[str] | None = self.__dict__.get("_notes")
        if notes is None:
            notes = [diagnostic_note(self, color=should_color(sys.stderr))]
            self.__dict__["_notes"] = notes
            self.__dict__["_own_note"] = notes[0]
        return notes

    @__notes__.setter
    def __notes__(self, notes: list[str]) -> None:
        self.__dict__["_notes"] = notes

    @__notes__.deleter
    def __notes__(self) -> None:
        self.__dict__["_notes"] = []

    def _others_notes(self) -> list[str]:
        """The notes that others added (`add_note`), without the rendering owned adds itself:
        `owned._tracebacks` prints the rendering in place of the compact form instead."""
        own = self.__dict__.get("_own_note")
        return [note for note in self.__dict__.get("_notes") or () if note is not own]


def hide_frame(excinfo: Any = None) -> bool:
    """pytest's `__tracebackhide__` for the library's frames (their globals hold it): hidden
    under an ownership error, whose place is the user's line; shown for anything else, where
    they may be worth seeing."""
    if excinfo is None:
        return True
    return bool(excinfo.errisinstance(OwnershipError))


class UseAfterMoveError(OwnershipError):
    """A moved-from handle was used (rustc E0382)."""

    __module__ = "owned"

    default_code = "E0382"


class UseAfterDropError(OwnershipError):
    """A dropped handle, or a freed pointer, was used."""

    __module__ = "owned"


class DoubleDropError(OwnershipError):
    """A value was dropped, or a pointer freed, a second time."""

    __module__ = "owned"


class BorrowError(OwnershipError):
    """A shared borrow (or a read) while the value is mutably borrowed (rustc E0502)."""

    __module__ = "owned"

    default_code = "E0502"


class BorrowMutError(OwnershipError):
    """An exclusive borrow or an assignment while the value is borrowed (E0499/E0502/E0506)."""

    __module__ = "owned"

    default_code = "E0499"


class MoveWhileBorrowedError(OwnershipError):
    """A move, drop or `into_inner` while the value is borrowed (rustc E0505)."""

    __module__ = "owned"

    default_code = "E0505"


class MoveOutOfBorrowError(OwnershipError):
    """A part of a value was moved or dropped while that value is borrowed shared (E0507)."""

    __module__ = "owned"

    default_code = "E0507"


class NotSendError(OwnershipError):
    """An `Rc` or `Weak` (or a borrow of one) was used in another thread (rustc E0277)."""

    __module__ = "owned"

    default_code = "E0277"


class PoisonError(OwnershipError):
    """`lock()` of a `Mutex` whose holder raised while it held the guard.

    `into_inner()` returns the guard anyway, as Rust's `PoisonError::into_inner`.
    """

    __module__ = "owned"

    def into_inner(self) -> object:
        """The guard that the poisoned `lock()` would have returned."""
        guard = self.__dict__.get("_guard")
        if guard is None:
            raise ValueError("this PoisonError holds no guard (it was not raised by lock())")
        return guard


class DanglingRefError(OwnershipError):
    """A borrow used after it ended or after its owner went away (rustc E0597)."""

    __module__ = "owned"

    default_code = "E0597"


class OutOfMemoryError(OwnershipError, MemoryError):
    """A fixed-capacity arena has no free extent large enough for a request.

    Attributes:
        requested: the cells asked for.
        largest_free: the largest free extent at the time, in cells.
        capacity: the arena's capacity in cells.
    """

    __module__ = "owned"

    def __init__(self, requested: int, largest_free: int, capacity: int, free_cells: int) -> None:
        super().__init__(
            f"out of memory: cannot allocate {_cells(requested)} in an arena of "
            f"{_cells(capacity)}; the largest free extent is {_cells(largest_free)} "
            f"({_cells(free_cells)} free in all)",
            help="drop values you no longer need, or create the Arena with a larger capacity",
        )
        self.requested = requested
        self.largest_free = largest_free
        self.capacity = capacity
        self.free_cells = free_cells

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (
            type(self),
            (self.requested, self.largest_free, self.capacity, self.free_cells),
        )


def _cells(count: int) -> str:
    return f"{count} cell" if count == 1 else f"{count} cells"


_ENDS = {
    "Owned": "an owned value ends with drop() or when its scope ends",
    "Ref": "a borrow ends with release() or its with block",
    "RefMut": "a borrow ends with release() or its with block",
    "Pointer": "a raw block ends with arena.free(pointer)",
}


def fixed_value(kind: str, assigning: bool = False) -> AttributeError:
    """`del h.value` (any handle), or `r.value = v` on a `Ref`: the same words in both builds."""
    if assigning:
        return AttributeError(
            f"cannot assign to `{kind}.value`: a Ref is a shared borrow (`&T`), which is "
            "read-only; write through a RefMut (borrow_mut() on its owner)"
        )
    return AttributeError(f"cannot delete `{kind}.value`: {_ENDS[kind]}")
