"""@owned.function has two wrappers: a generated one for plain moved parameters, and the generic
one for every other signature. A user must not be able to tell them apart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import owned
from owned import Arena, Owned, UseAfterMoveError


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
def test_both_wrappers_move_drop_and_hand_back_alike(make: Callable[..., Any]) -> None:
    log: list[str] = []
    keep_one = make(log)
    assert ("wrapper of" in keep_one.__code__.co_filename) == (make is _fast)
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
