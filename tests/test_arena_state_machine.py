# These tests use borrows that ended on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="move-while-borrowed, borrow-conflict"
# mypy: disable-error-code="assign-while-borrowed, dangling-borrow"
"""`owned.stateful.ArenaStateMachine`: used on the runtime, and shown to catch lost blocks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, consumes, precondition, rule, run_state_machine_as_test

import owned
from owned import Owned, OwnershipError, Ref
from owned._scope import ROOT
from owned.stateful import ArenaStateMachine
from owned.testing import LeakError

QUICK = settings(max_examples=10, stateful_step_count=8, database=None, deadline=None)


@owned.function
def append_one(numbers: Owned[list[int]]) -> Owned[list[int]]:
    numbers.value = [*numbers.value, 1]
    return numbers


@owned.function
def length(numbers: Ref[list[int]]) -> int:
    return len(numbers.value)


class OwnedFunctionsMachine(ArenaStateMachine):
    """Values passed through @owned.function calls, scopes and drops; the base checks the arena."""

    arena_capacity = 64
    values = Bundle("values")

    @rule(target=values, numbers=st.lists(st.integers(), max_size=4))
    def make(self, numbers: list[int]) -> Owned[list[int]]:
        return self.own(numbers)

    @rule(target=values, numbers=consumes(values))
    def pass_through_a_moving_function(self, numbers: Owned[list[int]]) -> Owned[list[int]]:
        before = len(numbers.value)
        result = self.track(append_one(numbers))
        assert not numbers.is_alive
        assert len(result.value) == before + 1
        return result

    @rule(numbers=values)
    def borrow_through_a_function(self, numbers: Owned[list[int]]) -> None:
        with numbers.borrow() as view:
            assert length(view) == len(view.value)
        assert numbers.is_alive

    @rule(numbers=consumes(values))
    def drop(self, numbers: Owned[list[int]]) -> None:
        owned.drop(numbers)

    @rule(target=values, numbers=values)
    def clone(self, numbers: Owned[list[int]]) -> Owned[list[int]]:
        return self.track(numbers.clone())

    @rule(numbers=st.lists(st.integers(), max_size=4))
    def make_and_drop_in_a_nested_scope(self, numbers: list[int]) -> None:
        with owned.scope():
            temporary = Owned(numbers)
            assert temporary.arena is self.arena

    @precondition(lambda self: self.arena.stats().live_blocks > 0)
    @rule()
    def a_refused_move_changes_nothing(self) -> None:
        handle = self.live_handles[0]
        assert isinstance(handle, Owned)
        before = self.arena.stats()
        with handle.borrow(), pytest.raises(OwnershipError):
            handle.move()
        assert self.arena.stats() == before


TestOwnedFunctionsUnderTheBase = OwnedFunctionsMachine.TestCase
TestOwnedFunctionsUnderTheBase.settings = settings(
    max_examples=40, stateful_step_count=20, deadline=None
)


def run_machine(machine: type[ArenaStateMachine]) -> None:
    run_state_machine_as_test(machine, settings=QUICK)


def test_an_untracked_block_made_by_a_step_fails_the_check_with_its_site() -> None:
    class Forgetful(ArenaStateMachine):
        @rule()
        def make_untracked(self) -> None:
            Owned("lost").move(into=ROOT)

    expected = (
        r"(?s)does not match the tracked handles:\n  a value: str, 4 cells @0x0, allocated at "
        r".*test_arena_state_machine.py:\d+ \(make_untracked\); owned by the root scope.*"
        r"\(not tracked: pass the handle to self.track\(\)\)\n  live_blocks 1 != 0"
    )
    with pytest.raises(AssertionError, match=expected):
        run_machine(Forgetful)


def test_a_tracked_value_left_in_the_root_scope_fails_at_teardown() -> None:
    class Hoarder(ArenaStateMachine):
        @rule()
        def keep_forever(self) -> None:
            self.track(self.own(1).move(into=ROOT))

    with pytest.raises(LeakError, match=r"owned by the root scope"):
        run_machine(Hoarder)


def test_tracked_pointers_are_freed_at_teardown() -> None:
    arenas: list[owned.Arena] = []

    class Raw(ArenaStateMachine):
        @rule()
        def allocate(self) -> None:
            self.alloc(bytearray(4))
            arenas.append(self.arena)

    run_machine(Raw)
    assert arenas
    assert all(arena.stats().live_blocks == 0 for arena in arenas)


def test_a_failing_step_is_reported_rather_than_the_leak_it_left() -> None:
    class Crashes(ArenaStateMachine):
        @rule()
        def crash(self) -> None:
            self.alloc(bytearray(4))
            Owned("kept").move(into=ROOT)
            raise ValueError("the code under test crashed")

    with pytest.raises(ValueError, match="the code under test crashed"):
        run_machine(Crashes)


def test_a_drop_hook_that_raises_fails_the_check_unless_allowed() -> None:
    class Explodes:
        def __drop__(self) -> None:
            raise RuntimeError("boom")

    class Dropper(ArenaStateMachine):
        @rule()
        def drop_one(self) -> None:
            with pytest.raises(RuntimeError):
                self.own(Explodes()).drop()

    with pytest.raises(AssertionError, match=r"1 __drop__ call\(s\) raised"):
        run_machine(Dropper)

    class Tolerant(Dropper):
        allow_drop_failures = True

    run_machine(Tolerant)


def test_track_rejects_what_is_not_a_handle() -> None:
    class Machine(ArenaStateMachine):
        @rule()
        def nothing(self) -> None:
            pass

    machine = Machine()
    try:
        with pytest.raises(TypeError, match=r"expects an owned.Owned or owned.Pointer, got int"):
            machine.track(3)  # type: ignore[type-var]
    finally:
        machine.teardown()


def test_the_machine_scope_is_current_while_rules_run() -> None:
    seen: list[Any] = []

    class Watcher(ArenaStateMachine):
        @rule()
        def look(self) -> None:
            seen.append((owned.current_scope(), self.scope))

    run_machine(Watcher)
    assert seen
    assert all(current is expected for current, expected in seen)
