"""@owned.function has two wrappers: a generated one for plain moved parameters, and the generic
one for every other signature. The generated one is built on the C accelerator when it is
installed, in pure Python otherwise. A user must not be able to tell any of them apart."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

import owned
import owned._fastcall
from owned import Arena, DoubleDropError, Owned, Ref, UseAfterDropError, UseAfterMoveError

_BUILDS: dict[str, ModuleType | None] = {"pure-python": None}
if owned._fastcall.ACCELERATOR is not None:
    _BUILDS["c-accelerator"] = owned._fastcall.ACCELERATOR


@pytest.fixture(autouse=True, params=list(_BUILDS), ids=list(_BUILDS))
def build(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here decorates its functions once with each build of the generated wrapper."""
    monkeypatch.setattr(owned._fastcall, "ACCELERATOR", _BUILDS[request.param])
    return str(request.param)


def test_the_accelerator_is_built_by_the_install_on_cpython_3_11_and_later() -> None:
    expected = sys.implementation.name == "cpython" and sys.version_info >= (3, 11)
    assert ("c-accelerator" in _BUILDS) is expected


class Noisy:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def __drop__(self) -> None:
        self.log.append(self.name)


def _fast(log: list[str]) -> Callable[..., Any]:
    @owned.function
    def keep_one(first: Owned[Noisy], second: Owned[Noisy]) -> Owned[Noisy]:
        Owned(Noisy("temporary", log))
        return second

    return keep_one


def _generic(log: list[str]) -> Callable[..., Any]:
    @owned.function
    def keep_one(first: Owned[Noisy], second: Owned[Noisy], *, unused: int = 0) -> Owned[Noisy]:
        Owned(Noisy("temporary", log))
        return second

    return keep_one


@pytest.mark.parametrize("make", [_fast, _generic], ids=["generated", "generic"])
def test_both_wrappers_move_drop_and_hand_back_alike(make: Callable[..., Any], build: str) -> None:
    log: list[str] = []
    keep_one = make(log)
    assert ("wrapper of" in keep_one.__code__.co_filename) == (make is _fast)
    assert ("_enter" in keep_one.__code__.co_names) == (make is _fast and build == "c-accelerator")
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


@pytest.mark.parametrize("generic", [False, True], ids=["generated", "generic"])
def test_both_wrappers_drop_everything_when_the_call_raises(generic: bool) -> None:
    log: list[str] = []
    fail = _failing(log, generic=generic)
    assert ("wrapper of" in fail.__code__.co_filename) is not generic
    with pytest.raises(KeyError):
        fail(Owned(Noisy("a", log)), Owned(Noisy("b", log)))
    assert log == ["temporary", "b", "a"]


def test_parameters_named_like_the_wrappers_own_variables_are_passed_unchanged() -> None:
    @owned.function
    def collide(scope: Owned[int], result: int, site: str) -> tuple[int, int, str]:
        return scope.value, result, site

    assert collide(Owned(1), 2, "three") == (1, 2, "three")


def test_borrows_taken_inside_the_call_end_with_it_and_a_returned_tuple_is_handed_back() -> None:
    @owned.function
    def pair(
        first: Owned[list[int]], second: Owned[list[int]]
    ) -> tuple[Owned[list[int]], Ref[list[int]]]:
        kept_borrow = first.borrow()
        return second, kept_borrow

    with owned.scope() as outer:
        kept, borrow = pair(Owned([1]), Owned([2]))
        assert kept.value == [2]
        assert kept.scope is outer
        with pytest.raises(owned.OwnershipError):
            borrow.value  # noqa: B018 - the borrow of the dropped `first` ended with the call


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
