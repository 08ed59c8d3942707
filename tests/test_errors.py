# These tests commit the ownership bugs on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
# mypy: disable-error-code="move-while-borrowed, borrow-conflict"
# mypy: disable-error-code="assign-while-borrowed, dangling-borrow"
"""Every error's message in full, as a user reads it: rustc's wording, the sites, the help."""

from __future__ import annotations

import inspect

import pytest

import owned
from owned import Arena, Owned

FILE = "tests/test_errors.py"


def line() -> int:
    """The line of the caller."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


def test_use_after_move_message() -> None:
    @owned.function
    def print_years(years: Owned[list[int]]) -> None:
        pass

    years = Owned([2001, 2002, 2003, 2004])
    print_years(years)
    moved = line() - 1
    with pytest.raises(owned.UseAfterMoveError) as caught:
        print_years(years)
    used = line() - 1
    fn = "test_use_after_move_message"
    assert str(caught.value) == (
        "[E0382] use of moved value `years`\n"
        f"  --> value moved here: {FILE}:{moved} ({fn})\n"
        f"  --> value used here after move: {FILE}:{used} ({fn})\n"
        "  = help: consider borrowing instead of moving (`years.borrow()`, or a `Ref[...]` "
        "parameter), or cloning the value if the performance cost is acceptable "
        "(`years.clone()`)"
    )
    error = caught.value
    assert (error.code, error.name) == ("E0382", "years")
    assert error.moved_at is not None and error.used_at is not None
    assert (error.moved_at.line, error.used_at.line, error.used_at.function) == (moved, used, fn)
    assert error.moved_at.filename.endswith("test_errors.py")


def test_use_after_drop_and_double_drop_messages() -> None:
    fn = "test_use_after_drop_and_double_drop_messages"
    s = Owned("hello")
    s.drop()
    dropped = line() - 1
    with pytest.raises(owned.UseAfterDropError) as caught:
        s.borrow()
    used = line() - 1
    assert str(caught.value) == (
        "use of dropped value `s`\n"
        f"  --> value dropped here: {FILE}:{dropped} ({fn})\n"
        f"  --> value used here after drop: {FILE}:{used} ({fn})\n"
        "  = help: a dropped value is gone; clone it before dropping if you still need it"
    )
    with pytest.raises(owned.DoubleDropError) as double:
        owned.drop(s)
    again = line() - 1
    assert str(double.value) == (
        "double drop of `s`\n"
        f"  --> value first dropped here: {FILE}:{dropped} ({fn})\n"
        f"  --> value dropped again here: {FILE}:{again} ({fn})\n"
        "  = help: a value is dropped exactly once; its scope drops it for you if you do not"
    )


def test_borrow_conflict_messages() -> None:
    fn = "test_borrow_conflict_messages"
    s = Owned("hello")
    r1 = s.borrow()
    shared = line() - 1
    with pytest.raises(owned.BorrowMutError) as e0502:
        s.borrow_mut()
    second = line() - 1
    assert str(e0502.value) == (
        "[E0502] cannot borrow `s` as mutable because it is also borrowed as immutable\n"
        f"  --> immutable borrow occurs here: {FILE}:{shared} ({fn})\n"
        f"  --> mutable borrow occurs here: {FILE}:{second} ({fn})\n"
        "  = help: end the borrow first: leave its `with` block, or call release() on it"
    )
    with pytest.raises(owned.BorrowMutError) as e0506:
        s.value = "world"
    assigned = line() - 1
    assert str(e0506.value).splitlines() == [
        "[E0506] cannot assign to `s` because it is borrowed",
        f"  --> `s` is borrowed here: {FILE}:{shared} ({fn})",
        f"  --> `s` is assigned to here but it was already borrowed: {FILE}:{assigned} ({fn})",
        "  = help: end the borrow first: leave its `with` block, or call release() on it",
    ]
    with pytest.raises(owned.MoveWhileBorrowedError) as e0505:
        owned.drop(s)
    moved = line() - 1
    assert str(e0505.value).splitlines() == [
        "[E0505] cannot drop `s` because it is borrowed",
        f"  --> borrow of `s` occurs here: {FILE}:{shared} ({fn})",
        f"  --> drop `s` occurs here: {FILE}:{moved} ({fn})",
        "  = help: end the borrow first: leave its `with` block, or call release() on it",
    ]
    r1.release()
    m = s.borrow_mut()
    first = line() - 1
    with pytest.raises(owned.BorrowMutError) as e0499:
        s.borrow_mut()
    second = line() - 1
    assert str(e0499.value).splitlines() == [
        "[E0499] cannot borrow `s` as mutable more than once at a time",
        f"  --> first mutable borrow occurs here: {FILE}:{first} ({fn})",
        f"  --> second mutable borrow occurs here: {FILE}:{second} ({fn})",
        "  = help: end the borrow first: leave its `with` block, or call release() on it",
    ]
    with pytest.raises(owned.BorrowError) as e0502_shared:
        _ = s.value
    read = line() - 1
    assert str(e0502_shared.value).splitlines() == [
        "[E0502] cannot borrow `s` as immutable because it is also borrowed as mutable",
        f"  --> mutable borrow occurs here: {FILE}:{first} ({fn})",
        f"  --> immutable borrow occurs here: {FILE}:{read} ({fn})",
        "  = help: end the borrow first: leave its `with` block, or call release() on it",
    ]
    m.release()


def test_dangling_borrow_message() -> None:
    fn = "test_dangling_borrow_message"
    r = None
    with owned.scope():
        x = Owned(5)
        r = x.borrow()
        borrowed = line() - 1
    dropped = line() - 4  # the `with` statement: where the scope's exit runs
    with pytest.raises(owned.DanglingRefError) as caught:
        _ = r.value
    used = line() - 1
    assert str(caught.value) == (
        "[E0597] `x` does not live long enough\n"
        f"  --> borrowed value does not live long enough: {FILE}:{borrowed} ({fn})\n"
        f"  --> `x` dropped here while still borrowed: {FILE}:{dropped} ({fn})\n"
        f"  --> borrow later used here: {FILE}:{used} ({fn})\n"
        "  = help: keep the owner alive (in an outer scope) for as long as its borrows are used"
    )


def test_raw_use_after_free_message_tells_asans_three_facts() -> None:
    fn = "test_raw_use_after_free_message_tells_asans_three_facts"
    arena = Arena()
    years = arena.alloc([0] * 4)
    allocated = line() - 1
    arena.free(years)
    freed = line() - 1
    with pytest.raises(owned.UseAfterDropError) as caught:
        print(years[0])
    used = line() - 1
    assert str(caught.value) == (
        "heap-use-after-free: READ of `years` (4 cells @0x0 gen 1) after it was freed\n"
        f"  --> used here: {FILE}:{used} ({fn})\n"
        f"  --> freed here: {FILE}:{freed} ({fn})\n"
        f"  --> previously allocated here: {FILE}:{allocated} ({fn})"
    )


def test_errors_report_module_owned_and_share_one_root() -> None:
    leaves = [
        owned.UseAfterMoveError,
        owned.UseAfterDropError,
        owned.DoubleDropError,
        owned.BorrowError,
        owned.BorrowMutError,
        owned.MoveWhileBorrowedError,
        owned.DanglingRefError,
        owned.OutOfMemoryError,
    ]
    for leaf in leaves:
        assert issubclass(leaf, owned.OwnershipError)
        assert leaf.__module__ == "owned"
    assert issubclass(owned.OutOfMemoryError, MemoryError)


def test_a_name_given_by_hand_wins_over_the_place_that_is_used() -> None:
    with owned.scope():
        handle = Owned([1], name="config")
        handle.drop()
        with pytest.raises(owned.UseAfterDropError) as caught:
            print(handle.value)
    assert caught.value.name == "config"
    assert str(caught.value).startswith("use of dropped value `config`")


def test_the_place_that_is_used_names_a_handle_made_under_another_name() -> None:
    with owned.scope():
        original = Owned([1])
        alias = original  # names are not owners: one handle, two names
        original.drop()
        with pytest.raises(owned.UseAfterDropError) as caught:
            print(alias.value)
    assert caught.value.name == "alias"
