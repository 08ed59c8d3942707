"""Leak checks for tests: which blocks an arena still holds, and where they were allocated.

`no_leaks()` runs a block of code in a fresh arena and scope and raises `LeakError` if, at
its end, `arena.leaks()` finds a value no program can use any more (a handle taken out of a
container and forgotten, a cycle of `Rc`s), or, once the scope has exited, a block is still
live or a `__drop__` raised. The pytest plugin's `owned_leak_check` marker does the same
around a whole test (the leaks are asked for at the test's return, while its variables still
hold what they name). This module imports neither pytest nor hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, final

from ._arena import Arena, DropFailure
from ._census import Leak
from ._handles import Owned
from ._pointer import Pointer
from ._scope import ROOT, Scope, current_scope
from ._sites import Site

__all__ = ["LeakError", "LeakedBlock", "leak_report", "leaked_blocks", "no_leaks"]


@final
@dataclass(frozen=True, slots=True)
class LeakedBlock:
    """A block still live in an arena that should be empty.

    Attributes:
        name: the variable the value was assigned to, where it can be found.
        type_name: the type of the value (`list`, `myapp.Cache`).
        size: the block's size in cells.
        address: the block's first cell.
        allocated_at: where `Owned(...)` or `arena.alloc(...)` made the block.
        owner: who still holds it, in words ("raw pointer, never freed", ...).
    """

    name: str | None
    type_name: str
    size: int
    address: int
    allocated_at: Site
    owner: str

    def __str__(self) -> str:
        name = f"`{self.name}`" if self.name else "a value"
        cells = "cell" if self.size == 1 else "cells"
        return (
            f"{name}: {self.type_name}, {self.size} {cells} @0x{self.address:x}, "
            f"allocated at {self.allocated_at}; {self.owner}"
        )


class LeakError(AssertionError):
    """A checked block of code left live blocks behind, or a `__drop__` raised.

    Attributes:
        leaked: the blocks still live, in allocation order.
        drop_failures: every `__drop__` that raised, with its error.
        leaks: what `arena.leaks()` found at the end of the checked code (`owned.Leak`s:
            forgotten handles, cycles of `Rc`s), by address.
    """

    __module__ = "owned.testing"

    def __init__(
        self,
        message: str,
        leaked: list[LeakedBlock],
        drop_failures: list[DropFailure],
        leaks: list[Leak] | None = None,
    ) -> None:
        super().__init__(message)
        self.leaked: Final = leaked
        self.drop_failures: Final = drop_failures
        self.leaks: Final = [] if leaks is None else leaks


def leaked_blocks(arena: Arena) -> list[LeakedBlock]:
    """Describe every live block of `arena`, in allocation order."""
    blocks = arena.blocks()
    cycles: dict[int, tuple[str, ...]] = {}
    if any(not isinstance(record, (Owned, Pointer)) for _address, _size, record in blocks):
        cycles = {leak.address: leak.cycle for leak in arena.leaks() if leak.cycle}
    return [_describe(address, size, record, cycles) for address, size, record in blocks]


def leak_report(
    arena: Arena, what: str = "the checked code", leaks: list[Leak] | None = None
) -> str | None:
    """The text of a leak failure for `arena`, or None when it is empty, no `__drop__` raised
    and `leaks` (what `arena.leaks()` found earlier) is empty.

    Args:
        arena: an arena that should hold no live block any more.
        what: who is blamed in the first line ("test_cache_is_freed").
        leaks: the unusable values found at the end of the checked code, before its scope
            exited (which drops the forgotten ones, but too late: Rust would have freed them).
    """
    leaked = leaked_blocks(arena)
    failures = arena.drop_failures()
    if not leaked and not failures and not leaks:
        return None
    lines = []
    if leaks:
        lines.append(
            f"{what} left {_count(len(leaks), 'value')} that no program can use any more "
            "(arena.leaks()):"
        )
        lines.extend(f"  {leak}" for leak in leaks)
    if leaked:
        cells = sum(block.size for block in leaked)
        lines.append(
            f"{what} leaked {_count(len(leaked), 'block')} ({_count(cells, 'cell')}) "
            "that nothing will free:"
        )
        lines.extend(f"  {block}" for block in leaked)
    if failures:
        lines.append(f"{what} dropped {_count(len(failures), 'value')} whose __drop__ raised:")
        lines.extend(f"  {_describe_failure(failure)}" for failure in failures)
    return "\n".join(lines)


@final
class no_leaks:  # lower case: used like a function, `with no_leaks():`
    """Run a block in a fresh arena and scope; fail with `LeakError` if it leaves blocks live.

    `with owned.testing.no_leaks() as scope:` gives the `Scope` (its arena is `scope.arena`).
    Values made in the block are dropped at its end, as for any scope; what is still live
    after that (moved into the root scope, raw pointers not freed, owned by a scope that never
    exited) is reported with its allocation site, and so is every `__drop__` that raised.
    An exception raised by the block itself propagates unchanged and skips the check.

    Args:
        name: the scope's name, also used in the report.
        arena: the arena to check; default a new growing `Arena()`.
    """

    __slots__ = ("_arena", "_name", "_scope")

    def __init__(self, name: str = "no_leaks", *, arena: Arena | None = None) -> None:
        self._name = name
        self._arena = Arena() if arena is None else arena
        self._scope = Scope(name, arena=self._arena)

    def __enter__(self) -> Scope:
        return self._scope.__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None:
            # The block's own failure comes first: the scope adds any __drop__ error as a note.
            exit_with_inner_scopes(self._scope, exc)
            return
        # Asked here, while the block's variables still name what they hold.
        close_checked(self._scope, self._name, self._arena.leaks())


def close_checked(scope: Scope, what: str, leaks: list[Leak] | None = None) -> None:
    """Exit `scope` and raise `LeakError` if its arena still holds blocks, a `__drop__` raised,
    or `leaks` (what `arena.leaks()` found at the end of the checked code) is not empty.

    Scopes the checked code entered and never exited are reported with what they own, then
    exited (innermost first), so that they do not outlive the check.
    """
    arena = scope.arena
    left_open = _scopes_inside(scope)
    report_before = leak_report(arena, what, leaks) if left_open else None
    leaked_before = leaked_blocks(arena) if left_open else []
    try:
        exit_with_inner_scopes(scope, None)
    except BaseException as failure:
        if not _raised_by_drops(failure, arena):
            raise
        # Reported below, with the value it came from, from the arena's records.
    report = report_before if report_before is not None else leak_report(arena, what, leaks)
    if report is not None:
        raise LeakError(report, leaked_before or leaked_blocks(arena), arena.drop_failures(), leaks)


def _scopes_inside(scope: Scope) -> list[Scope]:
    """The scopes entered inside `scope` that are still current here, innermost first."""
    inside = []
    current: Scope | None = current_scope()
    while current is not scope and current is not None and current is not ROOT:
        inside.append(current)
        current = current.parent
    return inside if current is scope else []


def exit_with_inner_scopes(scope: Scope, exc: BaseException | None) -> None:
    """Exit the scopes left open inside `scope` (innermost first), then `scope` itself."""
    failures: list[BaseException] = []
    for inner in _scopes_inside(scope):
        try:
            inner.__exit__(None if exc is None else type(exc), exc, None)
        except BaseException as failure:  # a __drop__ of theirs: the rest still exits
            failures.append(failure)
    scope.__exit__(
        None if exc is None else type(exc), exc, None if exc is None else exc.__traceback__
    )
    if failures:
        raise failures[0]


def _raised_by_drops(failure: BaseException, arena: Arena) -> bool:
    """True if `failure` is what a scope raises for `__drop__` errors recorded in `arena`."""
    grouped = getattr(failure, "exceptions", None)  # a BaseExceptionGroup, also on 3.10
    if isinstance(grouped, tuple):
        return all(_raised_by_drops(inner, arena) for inner in grouped)
    return any(drop_failure.error is failure for drop_failure in arena.drop_failures())


def _describe(
    address: int, size: int, record: object, cycles: dict[int, tuple[str, ...]]
) -> LeakedBlock:
    if isinstance(record, Pointer):
        site: Site = record.allocated_at
        return LeakedBlock(
            name=site.assigned_name(),
            type_name=f"raw pointer to {_type_name(record._value_type())}",
            size=size,
            address=address,
            allocated_at=site,
            owner="never freed: call arena.free(pointer)",
        )
    if not isinstance(record, Owned):  # a shared block: an Rc's or Arc's
        cycle = cycles.get(address)
        shared: Any = record
        return LeakedBlock(
            name=shared.name,
            type_name=_type_name(shared._value_type()),
            size=size,
            address=address,
            allocated_at=shared.allocated_at,
            owner=(
                f"held only by the reference cycle {' -> '.join(cycle)}: make one link a Weak"
                if cycle
                else "shared: a strong handle of it is still live"
            ),
        )
    return LeakedBlock(
        name=record.name,
        type_name=_type_name(record._value_type()),
        size=size,
        address=address,
        allocated_at=record.allocated_at,
        owner=_owner(record.scope),
    )


def _owner(scope: Scope) -> str:
    if scope is ROOT:
        return "owned by the root scope, which drops it only when the interpreter exits"
    name = repr(scope.name) if scope.name else "a scope"
    if scope.is_active:
        return f"owned by {name}, which has not exited"
    return f"owned by {name}"  # pragma: no cover - an exited scope owns nothing live


def _describe_failure(failure: DropFailure) -> str:
    record = failure.record
    error = f"{type(failure.error).__name__}: {failure.error}"
    hook = f"{failure.value_type}.__drop__"
    if isinstance(record, Owned):
        name = record.name
        what = f"`{name}`" if name else "a value"
        cells = "cell" if record.size == 1 else "cells"
        return (
            f"{what}: {record.size} {cells} @0x{record.address:x}, allocated at "
            f"{record.allocated_at}; {hook} raised {error}"
        )
    return f"{record!r}: {hook} raised {error}"  # pragma: no cover - only Owned values drop


def _type_name(cls: type) -> str:
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
