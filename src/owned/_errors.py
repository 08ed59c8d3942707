"""The exception tree: one root, leaves that carry the data a program needs."""

from __future__ import annotations

import sys
from typing import ClassVar

from ._diagnostics import diagnostic_note, render, should_color
from ._sites import Site

__all__ = [
    "BorrowError",
    "BorrowMutError",
    "DanglingRefError",
    "DoubleDropError",
    "MoveWhileBorrowedError",
    "OutOfMemoryError",
    "OwnershipError",
    "UseAfterDropError",
    "UseAfterMoveError",
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
        lines.extend(f"  --> {label}: {site}" for label, site in self.labels if site is not None)
        if self.help:
            lines.append(f"  = help: {self.help}")
        return "\n".join(lines)

    def render(self, *, color: bool = False) -> str:
        """The error as rustc prints it: `error[E0382]: ...`, the source lines with the exact
        spans of each site labelled, and rustc's notes and help. Plain text unless `color`."""
        return render(self, color=color)

    # Python prints `__notes__` under the traceback, so an uncaught error shows its rustc-style
    # rendering with plain `python script.py`. It is rendered when first read (printing the
    # traceback), never when the error is raised and caught.
    @property
    def __notes__(self) -> list[str]:
        notes: list[str] | None = self.__dict__.get("_notes")
        if notes is None:
            notes = [diagnostic_note(self, color=should_color(sys.stderr))]
            self.__dict__["_notes"] = notes
        return notes

    @__notes__.setter
    def __notes__(self, notes: list[str]) -> None:
        self.__dict__["_notes"] = notes

    @__notes__.deleter
    def __notes__(self) -> None:
        self.__dict__["_notes"] = []


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


def _cells(count: int) -> str:
    return f"{count} cell" if count == 1 else f"{count} cells"
