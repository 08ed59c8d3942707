"""A base for hypothesis state machines over an arena: every step is checked for lost blocks.

    from hypothesis import strategies as st
    from hypothesis.stateful import Bundle, rule
    from owned.stateful import ArenaStateMachine

    class CacheMachine(ArenaStateMachine):
        entries = Bundle("entries")

        @rule(target=entries, value=st.integers())
        def put(self, value):
            return self.own(value)           # tracked

        @rule(entry=entries)
        def evict(self, entry):
            if entry.is_alive:
                self.track(evict(entry))     # whatever the code under test returns, track it

    TestCache = CacheMachine.TestCase

The machine runs in its own scope over a new arena. After every step it checks that the
arena's live blocks are exactly the blocks of the handles it tracks that are still alive (none
lost, none leaked by the code under test) and that the arena's counters agree with them; at
teardown, that dropping its scope leaves the arena empty.
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar, TypeVar

from hypothesis.stateful import RuleBasedStateMachine, invariant

from ._arena import Arena
from ._handles import Owned
from ._pointer import Pointer
from ._scope import Scope
from .testing import LeakError, close_checked, leaked_blocks

__all__ = ["ArenaStateMachine"]

H = TypeVar("H", Owned[Any], Pointer[Any])


class ArenaStateMachine(RuleBasedStateMachine):
    """A `RuleBasedStateMachine` whose rules allocate in `self.arena`, checked after each step.

    Make values with `self.own(value)` (or `self.alloc(value)` for raw pointers) and pass
    every handle the code under test hands back to `self.track(handle)`. A live block that
    no tracked handle accounts for is reported with its allocation site.

    Attributes:
        arena_capacity: the arena's capacity in cells (None: growing); set it in a subclass.
        allow_drop_failures: set True if a `__drop__` is expected to raise.
        arena: the machine's arena, new for each run.
        scope: the machine's scope, current while its rules run.
    """

    arena_capacity: ClassVar[int | None] = None
    allow_drop_failures: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        self.arena = Arena(self.arena_capacity)
        self.scope = Scope(type(self).__name__, arena=self.arena)
        self.scope.__enter__()
        self._tracked: list[Owned[Any] | Pointer[Any]] = []

    def own(self, value: Any, *, size: int | None = None) -> Owned[Any]:
        """A new tracked `Owned(value)` in the machine's arena, owned by the current scope."""
        return self.track(Owned(value, arena=self.arena, size=size))

    def alloc(self, value: Any, size: int | None = None) -> Pointer[Any]:
        """A new tracked raw block; teardown frees it if no rule did."""
        return self.track(self.arena.alloc(value, size))

    def track(self, handle: H) -> H:
        """Account for `handle` (an `Owned` or a `Pointer`) from now on; return it."""
        if not isinstance(handle, (Owned, Pointer)):
            raise TypeError(
                f"track() expects an owned.Owned or owned.Pointer, got {type(handle).__name__}"
            )
        self._tracked.append(handle)
        return handle

    @property
    def live_handles(self) -> list[Owned[Any] | Pointer[Any]]:
        """The tracked handles that still own a block, oldest first."""
        return [handle for handle in self._tracked if _owns_block(handle)]

    @invariant()
    def arena_matches_tracked_handles(self) -> None:
        """Every live block belongs to a live tracked handle, and the counters agree."""
        self._tracked = live = self.live_handles
        expected = {id(handle) for handle in live}
        problems = [
            f"  {block} (not tracked: pass the handle to self.track())"
            for block, (_, _, record) in zip(
                leaked_blocks(self.arena), self.arena.blocks(), strict=True
            )
            if id(record) not in expected
        ]
        blocks = {id(record) for _, _, record in self.arena.blocks()}
        problems.extend(
            f"  {handle!r} is alive but its block is not live in the arena"
            for handle in live
            if id(handle) not in blocks
        )
        problems.extend(self._counter_mismatches(live))
        if problems:
            raise AssertionError(
                f"{type(self).__name__}: the arena does not match the tracked handles:\n"
                + "\n".join(problems)
            )

    def _counter_mismatches(self, live: list[Owned[Any] | Pointer[Any]]) -> list[str]:
        stats = self.arena.stats()
        cells = sum(handle.size for handle in live)
        checks = [
            (stats.live_blocks == len(live), f"live_blocks {stats.live_blocks} != {len(live)}"),
            (stats.live_cells == cells, f"live_cells {stats.live_cells} != {cells}"),
            (
                stats.allocs - stats.deallocs == stats.live_blocks,
                f"allocs {stats.allocs} - deallocs {stats.deallocs} != {stats.live_blocks}",
            ),
            (
                stats.live_cells + stats.free_cells == stats.span,
                f"live_cells {stats.live_cells} + free_cells {stats.free_cells} "
                f"!= span {stats.span}",
            ),
            (stats.peak_cells >= stats.live_cells, f"peak_cells {stats.peak_cells} < live"),
            (
                stats.largest_free <= stats.free_cells,
                f"largest_free {stats.largest_free} > free_cells {stats.free_cells}",
            ),
            (
                self.allow_drop_failures or stats.drop_failures == 0,
                f"{stats.drop_failures} __drop__ call(s) raised: {self.arena.drop_failures()}",
            ),
        ]
        if stats.capacity is not None:
            checks.append((stats.span == stats.capacity, f"span {stats.span} != capacity"))
        return [f"  {message}" for ok, message in checks if not ok]

    def teardown(self) -> None:
        """Free tracked pointers, exit the machine's scope, and check the arena is empty.

        If a step failed, its error is what the test reports: the scope just exits.
        """
        for handle in self._tracked:
            if isinstance(handle, Pointer) and not handle.is_freed:
                self.arena.free(handle)
        if not self.scope.is_active:  # a rule exited it: let that rule's error speak
            return
        failure = sys.exc_info()[1]  # teardown runs in a `finally`, after a failing step too
        if failure is not None:
            self.scope.__exit__(type(failure), failure, failure.__traceback__)
            return
        if self.allow_drop_failures:
            try:
                close_checked(self.scope, type(self).__name__)
            except LeakError as error:
                if error.leaked:
                    raise
            return
        close_checked(self.scope, type(self).__name__)


def _owns_block(handle: Owned[Any] | Pointer[Any]) -> bool:
    if isinstance(handle, Pointer):
        return not handle.is_freed
    return handle.is_alive
