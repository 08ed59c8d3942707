# These tests use borrows that ended on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="move-while-borrowed, borrow-conflict"
# mypy: disable-error-code="assign-while-borrowed, dangling-borrow"
"""Every shape of an `@owned.function` signature takes the same path through one wrapper
(`_calls.CallWrapper`, compiled or interpreted with the rest of the core): positional
parameters, keyword-only ones, `*args`. A user must not be able to tell the shapes apart, and
the wrapper must look like the function it wraps."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any

import pytest

import owned
from owned import Arena, DoubleDropError, Owned, Ref, UseAfterDropError, UseAfterMoveError


class Noisy:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def __drop__(self) -> None:
        self.log.append(self.name)


def _positional(log: list[str]) -> Callable[..., Any]:
    @owned.function
    def keep_one(first: Owned[Noisy], second: Owned[Noisy]) -> Owned[Noisy]:
        """Keep the second."""
        Owned(Noisy("temporary", log))
        return second

    return keep_one


def _keyword_only(log: list[str]) -> Callable[..., Any]:
    @owned.function
    def keep_one(first: Owned[Noisy], second: Owned[Noisy], *, unused: int = 0) -> Owned[Noisy]:
        """Keep the second."""
        Owned(Noisy("temporary", log))
        return second

    return keep_one


def _var_positional(log: list[str]) -> Callable[..., Any]:
    @owned.function
    def keep_one(first: Owned[Noisy], *rest: Owned[Noisy]) -> Owned[Noisy]:
        """Keep the second."""
        Owned(Noisy("temporary", log))
        return rest[0]

    return keep_one


SHAPES = [_positional, _keyword_only, _var_positional]


@pytest.mark.parametrize("make", SHAPES, ids=["positional", "keyword-only", "*args"])
def test_every_shape_moves_drops_and_hands_back_alike(make: Callable[..., Any]) -> None:
    log: list[str] = []
    keep_one = make(log)
    arena = Arena()
    with owned.scope(arena=arena) as outer:
        a, b = Owned(Noisy("a", log)), Owned(Noisy("b", log))
        kept = keep_one(a, b)
        assert log == ["temporary", "a"]
        assert kept.value.name == "b"
        assert kept.scope is outer
        assert not a.is_alive
        assert not b.is_alive
        with pytest.raises(UseAfterMoveError) as refused:
            keep_one(kept, kept)
        assert refused.value.moved_at == refused.value.used_at
        assert kept.is_alive  # the refused call changed nothing
        assert arena.stats().live_blocks == 1
    assert log == ["temporary", "a", "b"]
    assert arena.stats().live_blocks == 0


@pytest.mark.parametrize("make", SHAPES, ids=["positional", "keyword-only", "*args"])
def test_the_wrapper_looks_like_the_function(make: Callable[..., Any]) -> None:
    keep_one = make([])
    assert keep_one.__name__ == "keep_one"
    assert keep_one.__doc__ == "Keep the second."
    assert keep_one.__wrapped__.__name__ == "keep_one"
    assert inspect.signature(keep_one) == inspect.signature(keep_one.__wrapped__)
    assert repr(keep_one).startswith("<owned.function <function ")


def _failing(log: list[str], *, generic: bool) -> Callable[..., Any]:
    def body() -> None:
        Owned(Noisy("temporary", log))
        raise KeyError("stop")

    if generic:

        @owned.function
        def fail_generic(first: Owned[Noisy], second: Owned[Noisy], *rest: int) -> None:
            body()

        return fail_generic

    @owned.function
    def fail(first: Owned[Noisy], second: Owned[Noisy]) -> None:
        body()

    return fail


@pytest.mark.parametrize("generic", [False, True], ids=["positional", "*args"])
def test_every_shape_drops_everything_when_the_call_raises(generic: bool) -> None:
    log: list[str] = []
    fail = _failing(log, generic=generic)
    with pytest.raises(KeyError):
        fail(Owned(Noisy("a", log)), Owned(Noisy("b", log)))
    assert log == ["temporary", "b", "a"]


def test_parameters_named_like_the_wrappers_own_variables_are_passed_unchanged() -> None:
    @owned.function
    def collide(scope: Owned[int], result: int, site: str) -> tuple[int, int, str]:
        return scope.value, result, site

    assert collide(Owned(1), 2, "three") == (1, 2, "three")


def test_a_returned_borrow_of_a_moved_in_parameter_is_refused_at_the_return() -> None:
    @owned.function
    def pair(
        first: Owned[list[int]], second: Owned[list[int]]
    ) -> tuple[Owned[list[int]], Ref[list[int]]]:
        kept_borrow = first.borrow()
        return second, kept_borrow

    arena = Arena()
    with owned.scope(arena=arena):
        with pytest.raises(owned.DanglingRefError) as refused:
            pair(Owned([1]), Owned([2]))
        assert refused.value.code == "E0515"
        assert str(refused.value).startswith(
            "[E0515] cannot return value referencing function parameter `first`"
        )
        assert arena.stats().live_blocks == 0  # the call's values were dropped with it


def test_a_returned_borrow_of_a_borrowed_parameter_lives_on_in_the_caller() -> None:
    @owned.function
    def pair(
        first: Ref[list[int]], second: Owned[list[int]]
    ) -> tuple[Owned[list[int]], Ref[list[int]]]:
        return second, first

    with owned.scope() as outer:
        source = Owned([1])
        kept, borrow = pair(source, Owned([2]))
        assert kept.value == [2]
        assert kept.scope is outer
        assert borrow.value == [1]
        with pytest.raises(owned.BorrowMutError):
            source.borrow_mut()  # still borrowed through what the call returned


def test_a_returned_value_the_call_did_not_own_stays_where_it_was() -> None:
    with owned.scope() as outer:
        elsewhere = Owned("kept outside")

        @owned.function
        def other(taken: Owned[str]) -> Owned[str]:
            return elsewhere

        assert other(Owned("dropped at return")) is elsewhere
        assert elsewhere.scope is outer
        assert elsewhere.is_alive


def test_a_returned_handle_that_was_moved_out_is_not_handed_back() -> None:
    @owned.function
    def moved_away(taken: Owned[str]) -> Owned[str]:
        taken.move()
        return taken  # type: ignore[use-after-move]

    dead = moved_away(Owned("x"))
    assert not dead.is_alive
    with pytest.raises(UseAfterMoveError):
        dead.value  # noqa: B018


def test_a_drop_failure_at_return_is_raised_at_the_call() -> None:
    class Fails:
        def __drop__(self) -> None:
            raise RuntimeError("cannot close")

    @owned.function
    def consume(taken: Owned[Fails]) -> None:
        pass

    with pytest.raises(RuntimeError, match="cannot close"):
        consume(Owned(Fails()))


def test_refused_arguments_go_to_the_explaining_path_unchanged() -> None:
    @owned.function
    def both(first: Owned[int], second: Owned[int]) -> None:
        pass

    value = Owned(1)
    with pytest.raises(UseAfterMoveError):
        both(value, value)  # type: ignore[use-after-move]
    assert value.is_alive
    value.drop()
    with pytest.raises(DoubleDropError):
        value.drop()  # type: ignore[double-drop]
    with pytest.raises(UseAfterDropError):
        both(Owned(2), value)  # type: ignore[use-after-drop]
    with pytest.raises(TypeError, match="parameter `first` takes ownership"):
        both(1, Owned(3))  # type: ignore[arg-type]


def test_moves_into_a_recorded_arena_are_events_at_the_callers_line() -> None:
    @owned.function
    def consume(taken: Owned[int]) -> None:
        pass

    arena = Arena()
    arena.record_events()
    with owned.scope(arena=arena):
        value = Owned(1)
        consume(value)
        line = sys._getframe().f_lineno - 1
    (move,) = [event for event in arena.events() if event.kind == "move"]
    assert move.site is not None
    assert (move.site.line, move.detail) == (line, consume.__qualname__)
