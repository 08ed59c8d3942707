# These tests use borrows that ended on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="move-while-borrowed, borrow-conflict"
# mypy: disable-error-code="assign-while-borrowed, dangling-borrow"
"""Scopes: Rust's blocks, dropping in reverse order, also while unwinding."""

from __future__ import annotations

import sys

import pytest

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup
else:  # pragma: no cover - Python 3.10
    from exceptiongroup import BaseExceptionGroup

import owned
from owned import Arena, DanglingRefError, Owned, UseAfterDropError


class Noisy:
    """A value that reports its drop, as Rust's Drop trait would."""

    def __init__(self, name: str, log: list[str], fail: bool = False) -> None:
        self.name = name
        self.log = log
        self.fail = fail

    def __drop__(self) -> None:
        self.log.append(self.name)
        if self.fail:
            raise RuntimeError(f"cannot close {self.name}")


def test_scope_exit_drops_in_reverse_order_of_creation() -> None:
    log: list[str] = []
    with owned.scope():
        Owned(Noisy("a", log))
        Owned(Noisy("b", log))
        Owned(Noisy("c", log))
    assert log == ["c", "b", "a"]


def test_values_moved_out_or_dropped_already_are_skipped() -> None:
    log: list[str] = []
    with owned.scope() as outer:
        with owned.scope():
            a = Owned(Noisy("a", log))
            b = Owned(Noisy("b", log))
            c = Owned(Noisy("c", log))
            kept = a.move(into=outer)
            b.drop()
            assert log == ["b"]
            del c
        assert log == ["b", "c"]
        assert kept.is_alive
    assert log == ["b", "c", "a"]


def test_an_inner_scope_frees_its_values_early() -> None:
    arena = Arena()
    with owned.scope(arena=arena):
        Owned([2001, 2002], arena=arena)
        with owned.scope():
            Owned([1, 2, 3])
            assert arena.stats().live_cells == 5
        assert arena.stats().live_cells == 2
    assert arena.stats().live_blocks == 0


def test_scope_exit_drops_also_when_an_exception_unwinds() -> None:
    log: list[str] = []
    with pytest.raises(KeyError) as caught, owned.scope():
        Owned(Noisy("a", log))
        raise KeyError("boom")
    assert log == ["a"]
    assert caught.value.args == ("boom",)


def test_a_failing_drop_hook_does_not_stop_the_other_drops() -> None:
    log: list[str] = []
    arena = Arena()
    with pytest.raises(RuntimeError, match="cannot close b") as caught, owned.scope(arena=arena):
        Owned(Noisy("a", log))
        Owned(Noisy("b", log, fail=True))
        Owned(Noisy("c", log))
    assert log == ["c", "b", "a"]
    assert arena.stats().live_blocks == 0
    assert arena.stats().drop_failures == 1
    assert any("every other value was dropped" in note for note in caught.value.__notes__)


def test_several_failing_drop_hooks_are_all_reported_in_an_exception_group() -> None:
    log: list[str] = []
    with pytest.raises(BaseExceptionGroup) as caught, owned.scope():
        Owned(Noisy("a", log, fail=True))
        Owned(Noisy("b", log, fail=True))
    assert [str(e) for e in caught.value.exceptions] == ["cannot close b", "cannot close a"]
    assert log == ["b", "a"]


def test_a_ctrl_c_among_failing_drop_hooks_is_raised_as_itself() -> None:
    """`except KeyboardInterrupt` must still catch it: the other failures become a note."""

    class Interrupted:
        def __drop__(self) -> None:
            raise KeyboardInterrupt

    log: list[str] = []
    arena = Arena()
    with pytest.raises(KeyboardInterrupt) as caught, owned.scope(arena=arena):
        Owned(Noisy("a", log, fail=True))
        Owned(Interrupted())
        Owned(Noisy("b", log, fail=True))
    assert log == ["b", "a"]
    assert arena.stats().live_blocks == 0
    (note,) = caught.value.__notes__
    assert note.endswith(
        "every other value was dropped; __drop__ also raised "
        "RuntimeError: cannot close b; RuntimeError: cannot close a"
    )


def test_the_body_exception_propagates_unchanged_with_drop_failures_as_notes() -> None:
    log: list[str] = []
    body_error = KeyError("body")
    with pytest.raises(KeyError) as caught, owned.scope():
        Owned(Noisy("a", log, fail=True))
        raise body_error
    assert caught.value is body_error
    assert "cannot close a" in caught.value.__notes__[0]


def test_scope_parent_and_arena_follow_nesting() -> None:
    arena = Arena()
    with owned.scope("outer", arena=arena) as outer:
        assert outer.parent is not None and outer.parent.name == "root"
        with owned.scope("inner") as inner:
            assert inner.parent is outer
            assert inner.arena is arena
            assert owned.current_scope() is inner
            assert Owned(1).arena is arena
        assert owned.current_scope() is outer
    assert not outer.is_active


def test_a_borrow_ends_when_the_scope_it_was_made_in_exits() -> None:
    years = Owned([1, 2])
    with owned.scope():
        r = years.borrow()
    with pytest.raises(DanglingRefError) as caught:
        _ = r.value
    assert "used after its scope ended" in str(caught.value)
    years.borrow_mut().release()  # the owner is free again


def test_a_borrow_outliving_its_owner_dangles_with_e0597() -> None:
    r = None
    with owned.scope():
        x = Owned(5)
        r = x.borrow()
    with pytest.raises(DanglingRefError) as caught:
        _ = r.value
    assert caught.value.code == "E0597"
    assert caught.value.headline == "`x` does not live long enough"
    assert [label for label, _site in caught.value.labels] == [
        "borrowed value does not live long enough",
        "`x` dropped here while still borrowed",
        "borrow later used here",
    ]


def test_a_borrow_made_in_an_inner_scope_ends_there_while_its_owner_lives_on() -> None:
    with owned.scope() as outer:
        with owned.scope():
            x = Owned(5)
            kept = x.move(into=outer)
            r = kept.borrow()
            assert r.value == 5
        with pytest.raises(DanglingRefError, match="used after its scope ended"):
            _ = r.value
        assert kept.value == 5


def test_a_foreign_borrow_dangles_once_the_owner_is_dropped_at_scope_exit() -> None:
    with owned.scope():
        x = Owned(5)
        with owned.scope() as inner:
            pass
        r = x.borrow()
    assert not r.is_active
    with pytest.raises(DanglingRefError, match="does not live long enough"):
        _ = r.value
    with pytest.raises(UseAfterDropError):
        _ = x.value
    assert not inner.is_active


def test_moving_into_an_exited_or_wrong_scope_is_refused() -> None:
    with owned.scope() as finished:
        pass
    years = Owned([1])
    with pytest.raises(ValueError, match="needs an active scope"):
        years.move(into=finished)
    with pytest.raises(TypeError, match=r"owned\.Scope"):
        years.move(into="outer")  # type: ignore[arg-type]
    assert years.is_alive


def test_a_scope_cannot_be_entered_twice() -> None:
    block = owned.scope()
    with block:
        pass
    with pytest.raises(ValueError, match="already entered"), block:
        pass


def test_scope_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"expects an owned\.Arena"):
        owned.scope(arena=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="str or None"):
        owned.scope(name=42)  # type: ignore[arg-type]


def test_long_lived_scopes_forget_values_that_left_them() -> None:
    with owned.scope() as block:
        for number in range(1000):
            Owned(number).drop()
        assert block._member_entries() < 200
        survivor = Owned("kept")
    assert not survivor.is_alive
