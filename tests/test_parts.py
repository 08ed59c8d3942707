# These tests break the borrow rules on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="move-while-borrowed, borrow-conflict"
# mypy: disable-error-code="assign-while-borrowed, dangling-borrow"
# These tests commit the ownership bugs on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
"""Version 2: values that own values (parts, drop glue, partial moves), borrow guards that end
with their object, and the names errors give to a handle reached through a path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

import owned
from owned import (
    BorrowMutError,
    MoveOutOfBorrowError,
    MoveWhileBorrowedError,
    Owned,
    UseAfterMoveError,
)


class Noisy:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def __drop__(self) -> None:
        self.log.append(self.name)


def _state(*handles: Owned[Any]) -> tuple[Any, ...]:
    """What a refused operation must leave as it was."""
    arena = handles[0].arena
    return (
        arena.stats(),
        arena.render(),
        tuple(repr(h) for h in handles),
        tuple(h.owner for h in handles),
    )


def test_a_list_filled_in_a_function_keeps_its_elements(owned_scope: owned.Scope) -> None:
    """The issue's first bug: the call's scope dropped the elements of the returned list."""

    @owned.function
    def get_years() -> Owned[list[Owned[int]]]:
        years: Owned[list[Owned[int]]] = Owned([])
        for year in (2001, 2002):
            years.value.append(Owned(year))
        return years

    years = get_years()
    assert [year.value for year in years.value] == [2001, 2002]
    assert all(year.owner is years for year in years.value)
    assert owned_scope.arena.stats().live_blocks == 3


def test_drop_glue_owner_first_then_parts_first_to_last(owned_scope: owned.Scope) -> None:
    log: list[str] = []
    with owned.scope() as inner:
        pair = Owned([Owned(Noisy("one", log)), Owned(Noisy("two", log))])
        moved = pair.move(into=owned_scope)  # out of its scope: the parts go with it
    assert inner.is_active is False and log == []
    assert [part.is_alive for part in moved.value] == [True, True]
    moved.drop()
    assert log == ["one", "two"]


def test_struct_fields_drop_in_definition_order_after_the_owner(owned_scope: owned.Scope) -> None:
    log: list[str] = []

    @dataclass
    class Conn:
        socket: Owned[Noisy]
        buffer: Owned[Noisy]

        def __drop__(self) -> None:
            log.append("Conn")

    conn = Owned(Conn(buffer=Owned(Noisy("buffer", log)), socket=Owned(Noisy("socket", log))))
    conn.drop()
    assert log == ["Conn", "socket", "buffer"]


def test_a_partial_move_leaves_a_dead_part_named_by_its_path(owned_scope: owned.Scope) -> None:
    log: list[str] = []
    names = Owned([Owned(Noisy("a", log)), Owned(Noisy("b", log))])
    first = names.value[0].move()
    assert first.owner is owned_scope
    with pytest.raises(UseAfterMoveError) as used:
        names.value[0].value  # noqa: B018
    assert str(used.value).startswith("[E0382] use of moved value `names[0]`")
    names.drop()
    assert log == ["b"]  # the owner drops only what is left
    first.drop()
    assert log == ["b", "a"]


def test_adopting_a_part_twice_or_a_borrowed_handle_is_refused(owned_scope: owned.Scope) -> None:
    part = Owned([1])
    owner = Owned([part])
    before = _state(part, owner)
    with pytest.raises(UseAfterMoveError) as twice:
        Owned([part])
    assert twice.value.code == "E0382"
    assert _state(part, owner) == before
    loose = Owned([2])
    r = loose.borrow()
    before = _state(loose, owner)
    with pytest.raises(MoveWhileBorrowedError) as borrowed:
        Owned([loose])
    assert borrowed.value.code == "E0505"
    assert _state(loose, owner) == before
    del r


def test_parts_of_a_value_borrowed_shared_cannot_move_or_be_borrowed_mutably(
    owned_scope: owned.Scope,
) -> None:
    @dataclass
    class Person:
        name: Owned[str]

    p = Owned(Person(Owned("Ferris")))
    shared = p.borrow()
    before = _state(p, p.value.name)
    with pytest.raises(MoveOutOfBorrowError) as moved:
        p.value.name.move()
    assert moved.value.code == "E0507"
    assert str(moved.value).startswith(
        "[E0507] cannot move out of `p.name` which is behind a shared reference"
    )
    with pytest.raises(MoveOutOfBorrowError):
        p.value.name.drop()
    with pytest.raises(BorrowMutError) as mutably:
        p.value.name.borrow_mut()
    assert mutably.value.code == "E0596"
    assert _state(p, p.value.name) == before
    assert shared.value.name.value == "Ferris"
    del shared
    with p.borrow_mut() as m:  # behind a `&mut`, a part may move out (as `mem::take`)
        taken = m.value.name.move()
    assert taken.value == "Ferris"


def test_clone_copies_the_parts_and_into_inner_hands_them_to_the_scope(
    owned_scope: owned.Scope,
) -> None:
    original = Owned([Owned(1), Owned(2)])
    twin = original.clone()
    assert [part.value for part in twin.value] == [1, 2]
    assert all(part.owner is twin for part in twin.value)
    assert twin.value[0] is not original.value[0]
    parts = original.into_inner()
    assert all(part.owner is owned_scope and part.is_alive for part in parts)


def test_a_temporary_borrow_ends_with_its_statement(owned_scope: owned.Scope) -> None:
    """Mutation: without `_Borrow.__del__` ending the loan, `borrow_mut()` raises E0502; and
    without `_bytecode._forget_guards`, the error's name lookup keeps `r` alive after `del r`."""
    x = Owned([1, 2, 3])
    assert len(x.borrow()) == 3
    with x.borrow_mut() as m:
        m[0] = 9
    r = x.borrow()
    with pytest.raises(BorrowMutError):
        x.borrow_mut()
    del r  # a name holds its borrow until it is deleted or rebound
    x.borrow_mut().release()


def test_a_for_loop_over_a_borrow_holds_it_for_the_whole_loop(owned_scope: owned.Scope) -> None:
    x = Owned([1, 2])
    seen = []
    for item in x.borrow():
        with pytest.raises(BorrowMutError):
            x.borrow_mut()
        seen.append(item)
    assert seen == [1, 2]
    x.borrow_mut().release()  # the loop is over: so is its borrow
