# These tests commit the ownership bugs on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
"""`owned.replace`, `owned.take`, `owned.swap`: Rust's `mem` functions on places held mutably."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

import owned
from owned import BorrowMutError, DanglingRefError, Owned, UseAfterMoveError


@pytest.fixture
def scope(owned_scope: owned.Scope) -> owned.Scope:
    return owned_scope  # the plugin's fresh arena and scope


class Noisy:
    def __init__(self, number: int, log: list[int]) -> None:
        self.number = number
        self.log = log

    def __drop__(self) -> None:
        self.log.append(self.number)


def _state(*handles: Owned[Any]) -> tuple[Any, ...]:
    """What a refused call must leave as it was: stats, owners, reprs, values."""
    arena = handles[0].arena
    return (
        arena.stats(),
        arena.render(),
        tuple(repr(h) for h in handles),
        tuple(h.owner for h in handles),
        tuple(list(h.value) if h.is_alive and isinstance(h.value, list) else None for h in handles),
    )


def test_replace_returns_the_old_value_and_its_parts_go_to_the_current_scope(scope: Any) -> None:
    log: list[int] = []
    v = Owned([Owned(Noisy(1, log)), Owned(Noisy(2, log))])
    one, two = v.value
    new = Owned(Noisy(3, log))
    old = owned.replace(v, [new])
    assert old == [one, two]
    assert one.owner is scope and two.owner is scope  # alive, the scope's now
    assert new.owner is not scope  # a part of `v`'s value
    drop_v_first = v.move()
    drop_v_first.drop()
    assert log == [3]  # the old parts were not dropped with `v`
    one.drop()
    assert log == [3, 1]


def test_take_leaves_the_default_and_works_through_a_ref_mut(scope: Any) -> None:
    names = Owned(["a", "b"])
    with names.borrow_mut() as m:
        taken = owned.take(m)
        assert m.value == []
    assert taken == ["a", "b"]
    assert names.value == []


def test_take_on_a_struct_field_that_is_a_part(scope: Any) -> None:
    """`mem::take(&mut p.names)`: the field's handle stays, its value is emptied."""

    @dataclass
    class Person:
        names: Owned[list[str]] = field(default_factory=lambda: Owned(["x"]))

    p = Owned(Person())
    taken = owned.take(p.value.names)
    assert taken == ["x"]
    assert p.value.names.value == []
    assert p.value.names.owner is not scope  # still a part of `p`


def test_swap_exchanges_values_and_their_parts(scope: Any) -> None:
    log: list[int] = []
    a = Owned([Owned(Noisy(1, log))])
    b = Owned([Owned(Noisy(2, log))])
    part_a, part_b = a.value[0], b.value[0]
    owned.swap(a, b)
    assert a.value == [part_b] and b.value == [part_a]
    b.drop()
    assert log == [1]  # a's old part went with its value to b
    assert part_b.is_alive


def test_a_place_that_cannot_be_borrowed_mutably_is_refused_and_nothing_changes(
    scope: Any,
) -> None:
    v = Owned([1, 2])
    w = Owned([3])
    r = v.borrow()
    before = _state(v, w)
    with pytest.raises(BorrowMutError) as refused:
        owned.replace(v, [9])
    assert refused.value.code == "E0502"
    with pytest.raises(BorrowMutError):
        owned.take(v)
    with pytest.raises(BorrowMutError):
        owned.swap(w, v)
    assert _state(v, w) == before
    assert r.value == [1, 2]
    del r
    with pytest.raises(BorrowMutError) as twice:
        owned.swap(w, w)  # `mem::swap(&mut w, &mut w)`
    assert twice.value.code == "E0499"
    assert w.value == [3] and repr(w).endswith("(alive)>")


def test_a_moved_place_or_an_ended_ref_mut_is_refused(scope: Any) -> None:
    v = Owned([1])
    m = v.borrow_mut()
    m.release()
    with pytest.raises(DanglingRefError):
        owned.replace(m, [2])
    assert v.value == [1]
    v.move()
    with pytest.raises(UseAfterMoveError):
        owned.take(v)


def test_a_handle_already_owned_elsewhere_cannot_be_put_in(scope: Any) -> None:
    a = Owned([Owned(1)])
    b: Owned[list[Any]] = Owned([0])
    part = a.value[0]
    before = _state(a, b, part)
    with pytest.raises(UseAfterMoveError) as refused:
        owned.replace(b, [part])  # `part` belongs to `a` already
    assert refused.value.code == "E0382"
    assert _state(a, b, part) == before


def test_take_without_a_default_is_a_type_error_and_changes_nothing(scope: Any) -> None:
    log: list[int] = []
    v = Owned(Noisy(1, log))
    before = _state(v)
    with pytest.raises(TypeError, match=r"owned.take: Noisy\(\) failed"):
        owned.take(v)
    assert _state(v) == before
    assert repr(v).endswith("(alive)>")


def test_bad_places_and_handle_values_are_type_errors(scope: Any) -> None:
    v = Owned([1])
    bad: Any = [1]
    with pytest.raises(TypeError, match=r"expects an owned\.RefMut or an owned\.Owned"):
        owned.take(bad)
    a_handle: Any = Owned(2)
    with pytest.raises(TypeError):
        owned.replace(v, a_handle)
    with pytest.raises(TypeError, match=r"expects an owned\.RefMut or an owned\.Owned"):
        owned.swap(v, v.borrow())  # type: ignore[arg-type]
    assert v.value == [1]


def test_swapping_a_value_with_its_own_part_is_refused(scope: Any) -> None:
    """Mutation: without the `_is_inside` check, `b` becomes a part of its own value."""
    inner: Owned[list[Any]] = Owned([0])
    outer: Owned[list[Any]] = Owned([inner])
    before = _state(outer, inner)
    with pytest.raises(ValueError, match="part of the other's value"):
        owned.swap(outer, inner)
    assert _state(outer, inner) == before
