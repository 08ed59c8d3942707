# These tests break the borrow rules on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="move-while-borrowed, borrow-conflict"
# mypy: disable-error-code="assign-while-borrowed, dangling-borrow"
# These tests commit the ownership bugs on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
"""Version 2: a borrow returned by an `@owned.function` keeps every borrowed argument borrowed
in the caller for as long as it lives (Rust's one lifetime `'a`), and E0515."""

from __future__ import annotations

import pytest

import owned
from owned import BorrowMutError, DanglingRefError, Owned, Ref


@owned.function
def longest(x: Ref[str], y: Ref[str]) -> Ref[str]:
    return x if len(x.value) > len(y.value) else y


def test_listing_10_21_the_returned_borrow_is_valid_in_the_caller(
    owned_scope: owned.Scope,
) -> None:
    string1 = Owned("abcd")
    string2 = Owned("xyz")
    result = longest(string1.borrow(), string2.borrow())
    assert result.value == "abcd"


def test_the_shorter_argument_stays_borrowed_while_the_result_lives(
    owned_scope: owned.Scope,
) -> None:
    """Mutation: without `_calls.PASSED` (a passed-on Ref is not kept), assigning succeeds."""
    string1 = Owned("long string is long")
    string2 = Owned("xyz")
    result = longest(string1.borrow(), string2.borrow())  # temporaries, freed here
    before = (repr(string2), owned_scope.arena.stats())
    with pytest.raises(BorrowMutError) as refused:
        string2.value = "abc"
    assert refused.value.code == "E0506"
    assert (repr(string2), owned_scope.arena.stats()) == before
    assert string2.value == "xyz"
    del result  # the returned borrow ends: so do the ones it kept
    string2.value = "abc"


def test_listing_10_23_names_string2(owned_scope: owned.Scope) -> None:
    string1 = Owned("long string is long")
    with owned.scope():
        string2 = Owned("xyz")
        result = longest(string1.borrow(), string2.borrow())
    with pytest.raises(DanglingRefError) as dangling:
        result.value  # noqa: B018
    assert dangling.value.code == "E0597"
    assert str(dangling.value).startswith("[E0597] `string2` does not live long enough")
    rendered = dangling.value.render()
    assert "`string2` dropped here while still borrowed" in rendered
    assert "borrow later used here" in rendered


def test_returning_a_borrow_of_a_local_is_e0515_and_drops_the_call_values(
    owned_scope: owned.Scope,
) -> None:
    log: list[str] = []

    class Noisy:
        def __drop__(self) -> None:
            log.append("dropped")

    @owned.function
    def dangle() -> Ref[Noisy]:
        s = Owned(Noisy())
        return s.borrow()

    before = owned_scope.arena.stats().live_blocks
    with pytest.raises(DanglingRefError) as refused:
        dangle()
    assert refused.value.code == "E0515"
    assert str(refused.value).startswith("[E0515] cannot return reference to local variable `s`")
    assert "returns a reference to data owned by the current function" in refused.value.render()
    assert log == ["dropped"]
    assert owned_scope.arena.stats().live_blocks == before


def test_returning_a_borrow_of_a_moved_in_parameter_is_e0515(owned_scope: owned.Scope) -> None:
    @owned.function
    def first(v: Owned[list[int]]) -> Ref[list[int]]:
        return v.borrow()

    numbers = Owned([1])
    with pytest.raises(DanglingRefError) as refused:
        first(numbers)
    assert str(refused.value).startswith(
        "[E0515] cannot return value referencing function parameter `v`"
    )
    rendered = refused.value.render()
    assert "`v` is borrowed here" in rendered
    assert "returns a value referencing data owned by the current function" in rendered
    assert owned_scope.arena.stats().live_blocks == 0
