# These tests commit the ownership bugs on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
# mypy: disable-error-code="move-while-borrowed, borrow-conflict"
# mypy: disable-error-code="assign-while-borrowed, dangling-borrow"
"""Owned, Ref and RefMut: the contract's table, one behaviour per test."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

import owned
from owned import (
    Arena,
    BorrowError,
    BorrowMutError,
    DanglingRefError,
    DoubleDropError,
    MoveWhileBorrowedError,
    Owned,
    Ref,
    RefMut,
    UseAfterDropError,
    UseAfterMoveError,
)

# Values of the wrong type, typed Any so that the type checker lets the runtime check them.
NOT_AN_ARENA: Any = "arena"
HALF: Any = 1.5
THREE: Any = 3
A_LIST: Any = [1]


@pytest.fixture
def arena() -> Arena:
    return Arena()


def test_owned_reads_and_replaces_its_value(arena: Arena) -> None:
    years = Owned([2001, 2002], arena=arena)
    assert years.value == [2001, 2002]
    years.value = [1999]
    assert years.value == [1999]
    assert years.is_alive


def test_size_defaults_to_len_of_sized_values_and_one_otherwise(arena: Arena) -> None:
    assert Owned([1, 2, 3, 4], arena=arena).size == 4
    assert Owned([], arena=arena).size == 1
    assert Owned(42, arena=arena).size == 1
    assert Owned("abc", arena=arena, size=10).size == 10
    assert arena.stats().live_cells == 16


def test_move_makes_a_new_owner_and_kills_the_old_handle(arena: Arena) -> None:
    years = Owned([1, 2], arena=arena)
    moved = years.move()
    assert moved.value == [1, 2]
    assert moved.address == years.address
    assert not years.is_alive
    with pytest.raises(UseAfterMoveError):
        _ = years.value
    assert arena.stats().live_blocks == 1


def test_free_function_move_and_drop_behave_like_the_methods(arena: Arena) -> None:
    years = Owned([1], arena=arena)
    moved = owned.move(years)
    with pytest.raises(UseAfterMoveError):
        owned.move(years)
    owned.drop(moved)
    with pytest.raises(DoubleDropError):
        owned.drop(moved)
    assert arena.stats().live_blocks == 0


def test_every_operation_on_a_moved_handle_raises_use_after_move(arena: Arena) -> None:
    years = Owned([1], arena=arena)
    years.move()
    operations: list[Any] = [
        lambda: years.value,
        years.borrow,
        years.borrow_mut,
        years.move,
        years.drop,
        years.clone,
        years.into_inner,
    ]
    for operation in operations:
        with pytest.raises(UseAfterMoveError) as caught:
            operation()
        assert caught.value.code == "E0382"
    with pytest.raises(UseAfterMoveError):
        years.value = [2]


def test_every_use_of_a_dropped_handle_raises_use_after_drop(arena: Arena) -> None:
    years = Owned([1], arena=arena)
    years.drop()
    for operation in (lambda: years.value, years.borrow, years.borrow_mut, years.move):
        with pytest.raises(UseAfterDropError) as caught:
            operation()
        assert caught.value.code is None
    with pytest.raises(DoubleDropError) as double:
        years.drop()
    assert double.value.code is None


def test_shared_borrows_coexist_and_block_exclusive_ones(arena: Arena) -> None:
    s = Owned("hello", arena=arena)
    r1 = s.borrow()
    r2 = s.borrow()
    assert r1.value == r2.value == "hello"
    with pytest.raises(BorrowMutError) as caught:
        s.borrow_mut()
    assert caught.value.code == "E0502"
    r1.release()
    r2.release()
    with s.borrow_mut() as m:
        m.value = "world"
    assert s.value == "world"


def test_an_exclusive_borrow_blocks_every_other_access(arena: Arena) -> None:
    s = Owned("hello", arena=arena)
    m = s.borrow_mut()
    with pytest.raises(BorrowMutError) as second:
        s.borrow_mut()
    assert second.value.code == "E0499"
    with pytest.raises(BorrowError) as shared:
        s.borrow()
    assert shared.value.code == "E0502"
    with pytest.raises(BorrowError):
        _ = s.value
    with pytest.raises(BorrowError):
        s.clone()
    m.release()
    assert s.value == "hello"


def test_assigning_while_borrowed_is_refused_with_e0506(arena: Arena) -> None:
    s = Owned("hello", arena=arena)
    with s.borrow(), pytest.raises(BorrowMutError) as caught:
        s.value = "world"
    assert caught.value.code == "E0506"
    assert s.value == "hello"


@pytest.mark.parametrize("operation", ["move", "drop", "into_inner"])
def test_moving_dropping_or_consuming_a_borrowed_value_is_refused(
    arena: Arena, operation: str
) -> None:
    s = Owned("hello", arena=arena)
    with s.borrow():
        with pytest.raises(MoveWhileBorrowedError) as caught:
            getattr(s, operation)()
        assert caught.value.code == "E0505"
        assert s.is_alive
    getattr(s, operation)()
    assert not s.is_alive


def test_a_refused_operation_changes_nothing(arena: Arena) -> None:
    s = Owned([1, 2], arena=arena)
    r = s.borrow()
    before = arena.stats()
    for operation in (s.move, s.drop, s.into_inner, s.borrow_mut):
        with pytest.raises(owned.OwnershipError):
            operation()
    assert arena.stats() == before
    assert r.value == [1, 2]
    assert repr(s).endswith("(borrowed 1x)>")
    r.release()
    assert repr(s).endswith("(alive)>")


def test_refs_delegate_the_read_only_container_protocol(arena: Arena) -> None:
    years = Owned([2001, 2002, 2003], arena=arena)
    with years.borrow() as r:
        assert len(r) == 3
        assert list(r) == [2001, 2002, 2003]
        assert r[0] == 2001
        assert 2002 in r
        assert bool(r)


def test_ref_mut_also_writes_items(arena: Arena) -> None:
    years = Owned([2001, 2002, 2003], arena=arena)
    with years.borrow_mut() as m:
        m[0] = 1999
        del m[2]
        assert len(m) == 2
    assert years.value == [1999, 2002]


def test_a_released_borrow_dangles(arena: Arena) -> None:
    s = Owned("x", arena=arena)
    with s.borrow() as r:
        pass
    with pytest.raises(DanglingRefError) as caught:
        _ = r.value
    assert caught.value.code == "E0597"
    m = s.borrow_mut()
    m.release()
    m.release()  # releasing twice is harmless
    for use in (lambda: m.value, lambda: len(m), lambda: iter(m), lambda: m[0]):
        with pytest.raises(DanglingRefError):
            use()
    with pytest.raises(DanglingRefError):
        m.value = "y"


def test_ref_and_ref_mut_have_no_public_constructor() -> None:
    with pytest.raises(TypeError, match=r"call x.borrow\(\)"):
        Ref()
    with pytest.raises(TypeError, match="no public constructor"):
        RefMut()
    with pytest.raises(TypeError, match=r"arena.alloc"):
        owned.Pointer()


def test_clone_deep_copies_into_a_new_block_of_the_same_arena(arena: Arena) -> None:
    years = Owned([[2001], [2002]], arena=arena)
    twin = years.clone()
    twin.value[0].append(1999)
    assert years.value == [[2001], [2002]]
    assert twin.arena is arena
    assert twin.address != years.address
    assert arena.stats().live_cells == 4


def test_into_inner_returns_the_value_frees_the_block_and_skips_drop_hook(arena: Arena) -> None:
    dropped: list[str] = []

    class Resource:
        def __drop__(self) -> None:
            dropped.append("resource")

    handle = Owned(Resource(), arena=arena)
    value = handle.into_inner()
    assert isinstance(value, Resource)
    assert dropped == []
    assert arena.stats().live_blocks == 0
    with pytest.raises(UseAfterMoveError):
        handle.into_inner()


def test_drop_hook_runs_exactly_once_and_never_for_moved_from_handles(arena: Arena) -> None:
    dropped: list[int] = []

    class Resource:
        def __init__(self, number: int) -> None:
            self.number = number

        def __drop__(self) -> None:
            dropped.append(self.number)

    first = Owned(Resource(1), arena=arena)
    second = first.move()
    second.drop()
    with pytest.raises(DoubleDropError):
        second.drop()
    with pytest.raises(UseAfterMoveError):
        first.drop()
    assert dropped == [1]


def test_repr_shows_type_state_and_address_and_never_raises(arena: Arena) -> None:
    years = Owned([1, 2], arena=arena)
    assert repr(years) == "<owned.Owned[list] 2 cells @0x0 (alive)>"
    m = years.borrow_mut()
    assert repr(years) == "<owned.Owned[list] 2 cells @0x0 (mutably borrowed)>"
    m.release()
    moved = years.move()
    assert repr(years) == "<owned.Owned 2 cells @0x0 (moved)>"
    moved.drop()
    assert repr(moved) == "<owned.Owned 2 cells @0x0 (dropped)>"
    assert repr(m).startswith("<owned.RefMut of <owned.Owned 2 cells @0x0 (moved)>")
    assert type(years).__module__ == "owned"


def test_handles_cannot_be_copied_or_pickled_but_deepcopy_clones(arena: Arena) -> None:
    years = Owned([1], arena=arena)
    with pytest.raises(TypeError, match="clone"):
        copy.copy(years)
    with pytest.raises(TypeError, match="pickle"):
        pickle.dumps(years)
    twin = copy.deepcopy(years)
    assert twin.value == [1] and twin.address != years.address
    with years.borrow() as r, pytest.raises(TypeError, match="borrow"):
        copy.copy(r)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda a, h, p: Owned(h, arena=a), TypeError, "expects a plain value"),
        (lambda a, h, p: a.alloc(h), TypeError, "expects a plain value"),
        (lambda a, h, p: Owned(1, arena=NOT_AN_ARENA), TypeError, "expects an owned.Arena"),
        (lambda a, h, p: Owned([1], arena=a, size=0), ValueError, "cells >= 1"),
        (lambda a, h, p: Owned([1], arena=a, size=HALF), TypeError, "number of cells"),
        (lambda a, h, p: Owned([1], arena=a, size=True), TypeError, "number of cells"),
        (lambda a, h, p: Owned(1, arena=a, name=THREE), TypeError, "str or None"),
        (lambda a, h, p: owned.move(A_LIST), TypeError, r"move\(\) expects an owned.Owned"),
        (lambda a, h, p: owned.drop(p), TypeError, "arena.free"),
        (lambda a, h, p: a.free(h), TypeError, "expects a Pointer"),
        (lambda a, h, p: Arena().free(p), ValueError, "another arena"),
        (lambda a, h, p: h.move(into=a), TypeError, "owned.Scope"),
    ],
)
def test_bad_input_gets_a_clear_error_and_leaves_the_arena_unchanged(
    arena: Arena, make: Any, error: type[Exception], message: str
) -> None:
    handle = Owned([1, 2, 3], arena=arena)
    pointer = arena.alloc([0, 0])
    before = arena.stats()
    with pytest.raises(error, match=message):
        make(arena, handle, pointer)
    assert arena.stats() == before
    assert handle.is_alive
    assert not pointer.is_freed


def test_writing_a_handle_into_a_value_is_refused(arena: Arena) -> None:
    years = Owned([1], arena=arena)
    other = Owned([2], arena=arena)
    with pytest.raises(TypeError, match="plain value"):
        years.value = other  # type: ignore[assignment]
    with years.borrow_mut() as m, pytest.raises(TypeError, match="plain value"):
        m.value = other  # type: ignore[assignment]
    assert years.value == [1]


def test_name_is_found_from_the_assignment_or_given() -> None:
    years = Owned([1])
    assert years.name == "years"
    assert Owned([1], name="custom").name == "custom"
    moved_years = years.move()
    assert moved_years.name == "moved_years"
    assert moved_years.allocated_at == years.allocated_at


def test_handle_classes_cannot_be_subclassed() -> None:
    with pytest.raises(TypeError, match="cannot be subclassed"):
        type("MyOwned", (Owned,), {})
    with pytest.raises(TypeError, match="cannot be subclassed"):
        type("MyRef", (Ref,), {})
    with pytest.raises(TypeError, match="cannot be subclassed"):
        type("MyRefMut", (RefMut,), {})
