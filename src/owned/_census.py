"""What lives in an arena, and which of it no program can use any more: the cold path.

An arena counts its blocks but does not list who owns them; their owners do. The census walks
the scopes that are active (a ring the scopes keep) and the parts of what they own, adds the
raw pointers and shared boxes the arena lists itself, and answers `arena.blocks()` and
`arena.leaks()` in time proportional to the live handles.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from ._arena import Arena, install_census
from ._owners import active_owners
from ._sites import Site

__all__ = ["Leak", "blocks", "leaks"]

FORGOTTEN: Final = "forgotten"
CYCLE: Final = "cycle"


@dataclass(frozen=True, slots=True)
class Leak:
    """A live block no program can use any more.

    Attributes:
        record: the handle (or shared box) that owns the block.
        name: its name, where one can be found.
        type_name: the type of the value.
        size, address: the block.
        allocated_at: where the block was allocated.
        reason: `"forgotten"` (nothing but its owner's bookkeeping refers to its handle: taken
            out of a container and forgotten) or `"cycle"` (held only by a reference cycle of
            `Rc`s, shown in `cycle`).
        cycle: the names along the cycle, first one repeated at the end (`a -> b -> a`).
    """

    __module__ = "owned"

    record: Any
    name: str | None
    type_name: str
    size: int
    address: int
    allocated_at: Site | None
    reason: str
    cycle: tuple[str, ...] = ()

    def __str__(self) -> str:
        what = f"`{self.name}`" if self.name else "a value"
        cells = "cell" if self.size == 1 else "cells"
        why = (
            f"held only by the reference cycle {' -> '.join(self.cycle)}"
            if self.reason == CYCLE
            else "nothing refers to its handle but its owner, which keeps it until it is dropped"
        )
        where = f", allocated at {self.allocated_at}" if self.allocated_at is not None else ""
        return f"{what}: {self.type_name}, {self.size} {cells} @0x{self.address:x}{where}; {why}"


def _owned_handles() -> Iterator[Any]:
    """Every live handle owned by an active scope, and every part of those, depth first."""
    pending = []
    for owner in active_owners():
        pending.extend(reversed(owner._live_members()))
        while pending:
            handle = pending.pop()
            yield handle
            parts = getattr(handle, "_parts", None)
            if parts is not None:
                pending.extend(reversed(parts()))


def blocks(arena: Arena) -> list[tuple[int, int, Any]]:
    """`(address, size, record)` of every live block of `arena`, by address."""
    found: dict[int, tuple[int, int, Any]] = {}
    for handle in _owned_handles():
        block = getattr(handle, "_block", None)  # a pointer's handle stands for its block
        record = handle if block is None else block()
        if record.arena is arena and record.is_alive:
            found.setdefault(record.address, (record.address, record.size, record))
    for record in arena._raw_records():
        found.setdefault(record.address, (record.address, record.size, record))
        pending = list(getattr(record, "_parts", list)())  # a shared box's parts
        while pending:
            part = pending.pop()
            if part.arena is arena and part.is_alive and not hasattr(part, "_box"):
                found.setdefault(part.address, (part.address, part.size, part))
            pending.extend(part._parts())
    return [found[address] for address in sorted(found)]


def leaks(arena: Arena) -> list[Leak]:
    """The live blocks of `arena` that no program can use any more, by address."""
    found: dict[int, Leak] = {}
    for owner in active_owners():
        for handle in _forgotten_in(owner):
            if handle.arena is arena:
                found.setdefault(handle.address, _leak(handle, FORGOTTEN))
    for cycle_leak in _cycles(arena):
        found.setdefault(cycle_leak.address, cycle_leak)
    return [found[address] for address in sorted(found)]


def _forgotten_in(owner: Any) -> Iterator[Any]:
    yield from owner._forgotten_members()
    for handle in owner._live_members():
        yield from _forgotten_parts(handle)


def _forgotten_parts(handle: Any) -> Iterator[Any]:
    family = getattr(handle, "_family_for_census", None)
    if family is None:
        return
    owner = family()
    if owner is None:
        return
    yield from owner._forgotten_members()
    for part in owner._live_members():
        yield from _forgotten_parts(part)


def _cycles(arena: Arena) -> list[Leak]:
    """Shared blocks held only by a cycle of `Rc`s (the smart-pointer layer's boxes)."""
    from ._rc import cycle_leaks

    return [_leak(box, CYCLE, cycle) for box, cycle in cycle_leaks(arena)]


def _leak(handle: Any, reason: str, cycle: tuple[str, ...] = ()) -> Leak:
    value_type = handle._value_type()
    type_name = (
        value_type.__qualname__
        if value_type.__module__ == "builtins"
        else f"{value_type.__module__}.{value_type.__qualname__}"
    )
    return Leak(
        record=handle,
        name=handle.name,
        type_name=type_name,
        size=handle.size,
        address=handle.address,
        allocated_at=handle.allocated_at,
        reason=reason,
        cycle=cycle,
    )


class _Census:
    """What the arena calls for `blocks()` and `leaks()`."""

    blocks = staticmethod(blocks)
    leaks = staticmethod(leaks)


install_census(_Census)
