"""The raw, C-style layer's record: a `Pointer` that only `arena.free` releases.

This module knows the pointer itself; the arena (`_arena`) makes and frees them, and answers
what now lives at a freed pointer's address when an error needs to say so.
"""

from __future__ import annotations

from types import GenericAlias
from typing import Any, NoReturn

from ._errors import UseAfterDropError, fixed_value
from ._kinds import seal
from ._sites import Site, caller_site

try:
    import cython
except ImportError:  # interpreted, without Cython installed
    from . import _cython_shim as cython  # type: ignore[no-redef]

__all__ = ["Pointer", "describe_block", "pointer_name"]


# Compiled, freed pointers are kept for reuse: `alloc` then makes no heap allocation.
@cython.freelist(16)  # type: ignore[untyped-decorator]  # cython has no stubs
@cython.cclass  # type: ignore[untyped-decorator]
class Pointer:
    """A raw pointer to a block: reading or writing it after `free` raises, like ASan reports.

    Made only by `Arena.alloc`; copies of the reference are the same pointer, as in C.
    """

    __slots__ = (
        "_allocated_at",
        "_arena",
        "_freed_at",
        "_size",
        "_slot",
        "_value",
        "address",
        "generation",
    )
    __module__ = "owned"
    __class_getitem__ = classmethod(GenericAlias)

    address: int
    generation: int

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("Pointer has no public constructor: call arena.alloc(value) to get one")

    @property
    def size(self) -> int:
        """The block's size in cells."""
        return self._size

    @property
    def arena(self) -> Any:
        """The arena the block was allocated in."""
        return self._arena

    @property
    def allocated_at(self) -> Site:
        """Where `arena.alloc` was called."""
        return self._allocated_at  # type: ignore[no-any-return]

    @property
    def freed_at(self) -> Site | None:
        """Where `arena.free` was called, or None while the block is live."""
        return self._freed_at  # type: ignore[no-any-return]

    @property
    def is_freed(self) -> bool:
        """Whether `arena.free` was called on the block."""
        return self._freed_at is not None

    @property
    def value(self) -> Any:
        """The block's value; reading or writing it after `free` raises `UseAfterDropError`."""
        if self._freed_at is not None:
            raise _use_after_free(self, "READ", caller_site())
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        if self._freed_at is not None:
            raise _use_after_free(self, "WRITE", caller_site())
        self._value = value

    @value.deleter
    def value(self) -> None:
        raise fixed_value("Pointer")

    def __getitem__(self, index: Any) -> Any:
        if self._freed_at is not None:
            raise _use_after_free(self, "READ", caller_site())
        return self._value[index]

    def __setitem__(self, index: Any, item: Any) -> None:
        if self._freed_at is not None:
            raise _use_after_free(self, "WRITE", caller_site())
        self._value[index] = item

    def _naming_site(self) -> Site:
        return self._allocated_at  # type: ignore[no-any-return]

    def _end_site(self) -> Site | None:
        return self._freed_at  # type: ignore[no-any-return]

    def _value_type(self) -> type:
        return type(self._value)

    def __repr__(self) -> str:
        state = "freed" if self._freed_at is not None else type(self._value).__name__
        return (
            f"<owned.Pointer {describe_block(self.address, self._size, self.generation)} ({state})>"
        )

    def __copy__(self) -> Pointer:
        return self  # a pointer is an address: copying it yields the same pointer

    def __deepcopy__(self, memo: object) -> Pointer:
        return self

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError(
            "an owned.Pointer is an address in an arena of this process and cannot be pickled: "
            "pickle pointer.value instead"
        )


seal(Pointer)


def new_pointer(arena: Any, value: object, size: int, site: Site) -> Pointer:
    """A pointer record for a block the caller allocates next (it sets `address`)."""
    pointer: Pointer = Pointer.__new__(Pointer)
    pointer._value = value
    pointer._size = size
    pointer._arena = arena
    pointer._allocated_at = site
    pointer._freed_at = None
    pointer._slot = -1
    pointer.address = 0
    pointer.generation = 0
    return pointer


def describe_block(address: int, size: int, generation: int) -> str:
    cells = "cell" if size == 1 else "cells"
    return f"{size} {cells} @0x{address:x} gen {generation}"


def pointer_name(pointer: Pointer) -> str:
    return pointer._allocated_at.assigned_name() or "pointer"


def _use_after_free(pointer: Pointer, access: str, site: Site) -> UseAfterDropError:
    reused = pointer._arena._record_at(pointer.address)
    reuse = (
        f"; its address now belongs to a newer block (gen {reused.generation})"
        if type(reused) is Pointer
        else "; its address now belongs to another block"
        if reused is not None
        else ""
    )
    block = describe_block(pointer.address, pointer._size, pointer.generation)
    name = pointer_name(pointer)
    return UseAfterDropError(
        f"heap-use-after-free: {access} of `{name}` ({block}) after it was freed{reuse}",
        name=name,
        labels=(
            ("used here", site),
            ("freed here", pointer._freed_at),
            ("previously allocated here", pointer._allocated_at),
        ),
        dropped_at=pointer._freed_at,
        allocated_at=pointer._allocated_at,
        used_at=site,
    )


if not cython.compiled:  # interpreted, a KeyboardInterrupt waits until the operation is over
    from ._atomic import protect_module

    protect_module(globals())
