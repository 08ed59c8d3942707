"""The raw, C-style layer: `arena.alloc` returns a pointer that only `arena.free` releases."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final

from ._blame import reject_handle
from ._cells import cells_for
from ._errors import DoubleDropError, UseAfterDropError
from ._sites import Site, assigned_name, site_of

if TYPE_CHECKING:
    from ._arena import Arena

__all__ = ["Pointer", "allocate_pointer", "free_pointer"]

T = TypeVar("T")
_getframe = sys._getframe


@final
class Pointer(Generic[T]):
    """A raw pointer to a block: reading or writing it after `free` raises, like ASan reports.

    Made only by `Arena.alloc`; copies of the reference are the same pointer, as in C.
    """

    __slots__ = ("_allocated_at", "_arena", "_freed_at", "_size", "_value", "address", "generation")
    __module__ = "owned"

    address: int
    generation: int
    _value: Any
    _size: int
    _arena: Arena
    _allocated_at: Site
    _freed_at: Site | None

    def __init__(self) -> None:
        raise TypeError("Pointer has no public constructor: call arena.alloc(value) to get one")

    @property
    def size(self) -> int:
        """The block's size in cells."""
        return self._size

    @property
    def arena(self) -> Arena:
        return self._arena

    @property
    def is_freed(self) -> bool:
        return self._freed_at is not None

    @property
    def value(self) -> T:
        if self._freed_at is not None:
            raise _use_after_free(self, "READ", site_of(_getframe(1)))
        return self._value  # type: ignore[no-any-return]

    @value.setter
    def value(self, value: T) -> None:
        if self._freed_at is not None:
            raise _use_after_free(self, "WRITE", site_of(_getframe(1)))
        self._value = value

    def __getitem__(self, index: Any) -> Any:
        if self._freed_at is not None:
            raise _use_after_free(self, "READ", site_of(_getframe(1)))
        return self._value[index]

    def __setitem__(self, index: Any, item: Any) -> None:
        if self._freed_at is not None:
            raise _use_after_free(self, "WRITE", site_of(_getframe(1)))
        self._value[index] = item

    def __repr__(self) -> str:
        state = "freed" if self._freed_at is not None else type(self._value).__name__
        return (
            f"<owned.Pointer {describe_block(self.address, self._size, self.generation)} ({state})>"
        )

    def __copy__(self) -> Pointer[T]:
        return self  # a pointer is an address: copying it yields the same pointer

    def __deepcopy__(self, memo: object) -> Pointer[T]:
        return self


def describe_block(address: int, size: int, generation: int) -> str:
    cells = "cell" if size == 1 else "cells"
    return f"{size} {cells} @0x{address:x} gen {generation}"


def allocate_pointer(arena: Arena, value: object, size: object) -> Pointer[Any]:
    reject_handle(value, "Arena.alloc")
    cells = cells_for(value, size, "Arena.alloc")
    pointer: Pointer[Any] = object.__new__(Pointer)
    pointer._value = value
    pointer._size = cells
    pointer._arena = arena
    pointer._allocated_at = site_of(_getframe(2))
    pointer._freed_at = None
    pointer.address = arena._allocate(pointer, cells)
    pointer.generation = arena._allocs  # the alloc count when it was taken: unique per arena
    return pointer


def free_pointer(arena: Arena, pointer: object) -> None:
    if not isinstance(pointer, Pointer):
        raise TypeError(
            f"Arena.free expects a Pointer returned by Arena.alloc, got {type(pointer).__name__}"
        )
    if pointer._arena is not arena:
        raise ValueError(
            f"Arena.free got a pointer from another arena ({pointer!r}); "
            "free it with the arena that allocated it"
        )
    site = site_of(_getframe(2))
    freed_at = pointer._freed_at
    if freed_at is None:
        pointer._freed_at = site  # claimed: a test and a store with no call between
        arena._release(pointer.address, pointer._size)
        pointer._value = None
        return
    raise DoubleDropError(
        f"attempting double-free on `{_name(pointer)}` "
        f"({describe_block(pointer.address, pointer._size, pointer.generation)})",
        name=_name(pointer),
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


def _name(pointer: Pointer[Any]) -> str:
    return assigned_name(pointer._allocated_at) or "pointer"


def _use_after_free(pointer: Pointer[Any], access: str, site: Site) -> UseAfterDropError:
    reused = pointer._arena._live.get(pointer.address)
    reuse = (
        f"; its address now belongs to a newer block (gen {reused.generation})"
        if isinstance(reused, Pointer)
        else "; its address now belongs to another block"
        if reused is not None
        else ""
    )
    block = describe_block(pointer.address, pointer._size, pointer.generation)
    return UseAfterDropError(
        f"heap-use-after-free: {access} of `{_name(pointer)}` ({block}) after it was freed{reuse}",
        name=_name(pointer),
        labels=(
            ("used here", site),
            ("freed here", pointer._freed_at),
            ("previously allocated here", pointer._allocated_at),
        ),
        dropped_at=pointer._freed_at,
        allocated_at=pointer._allocated_at,
        used_at=site,
    )
