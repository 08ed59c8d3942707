# These tests commit the ownership bugs on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
"""@owned.function: moves and borrows by annotation, scopes per call, ownership handed back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Annotated

import pytest

import owned
from owned import (
    Arena,
    BorrowMutError,
    DanglingRefError,
    MoveWhileBorrowedError,
    Owned,
    Ref,
    RefMut,
    UseAfterMoveError,
)


class Noisy:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def __drop__(self) -> None:
        self.log.append(self.name)


def test_an_owned_parameter_moves_the_argument_and_drops_it_at_return() -> None:
    log: list[str] = []
    seen: list[list[int]] = []

    @owned.function
    def consume(years: Owned[list[int]]) -> None:
        seen.append(years.value)
        assert years.scope.name is not None and years.scope.name.endswith("consume")

    years = Owned([2001, 2002])
    resource = Owned(Noisy("r", log))
    consume(years)
    assert seen == [[2001, 2002]]
    assert not years.is_alive
    with pytest.raises(UseAfterMoveError) as caught:
        consume(years)
    assert caught.value.name == "years"

    @owned.function
    def close(item: Owned[Noisy]) -> None:
        assert log == []

    close(resource)
    assert log == ["r"]


def test_the_seed_example_prints_the_years_then_refuses_the_second_call(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @owned.function
    def print_years(years: Owned[list[int]]) -> None:
        for year in years.borrow():
            print(year)

    years = Owned([2001, 2002, 2003, 2004])
    print_years(years)
    with pytest.raises(UseAfterMoveError, match="use of moved value `years`"):
        print_years(years)
    assert capsys.readouterr().out == "2001\n2002\n2003\n2004\n"


def test_ref_and_ref_mut_parameters_borrow_for_the_duration_of_the_call() -> None:
    kept: list[Ref[list[int]]] = []

    @owned.function
    def total(years: Ref[list[int]]) -> int:
        kept.append(years)
        return sum(years)

    @owned.function
    def append(years: RefMut[list[int]], year: int) -> None:
        years.value = [*years.value, year]

    years = Owned([1, 2])
    assert total(years) == 3
    append(years, 3)
    assert years.value == [1, 2, 3]
    with pytest.raises(DanglingRefError):
        _ = kept[0].value
    with years.borrow() as r:
        assert total(r) == 6  # an existing Ref passes through
        assert r.value == [1, 2, 3]  # and is still active after the call
        with pytest.raises(BorrowMutError):
            append(years, 4)
    with years.borrow_mut() as m:
        append(m, 4)
        assert total(m) == 10  # a RefMut may be passed where a Ref is expected
    assert years.value == [1, 2, 3, 4]


def test_returning_an_owned_value_gives_ownership_to_the_caller() -> None:
    log: list[str] = []

    @owned.function
    def get_years() -> Owned[list[int]]:
        Owned(Noisy("temporary", log))
        return Owned([2001, 2002, 2003, 2004])

    @owned.function
    def take_and_give_back(years: Owned[list[int]]) -> Owned[list[int]]:
        return years

    with owned.scope() as main:
        years = get_years()
        assert log == ["temporary"]
        assert years.scope is main
        years = take_and_give_back(years)
        assert years.value == [2001, 2002, 2003, 2004]
        assert years.scope is main
    assert not years.is_alive


def test_owned_values_directly_inside_a_returned_tuple_are_handed_back() -> None:
    @owned.function
    def split(values: Owned[list[int]]) -> tuple[Owned[list[int]], Owned[list[int]], int]:
        evens = Owned([v for v in values.value if v % 2 == 0])
        odds = Owned([v for v in values.value if v % 2])
        return evens, odds, len(values.value)

    evens, odds, count = split(Owned([1, 2, 3, 4, 5]))
    assert (evens.value, odds.value, count) == ([2, 4], [1, 3, 5], 5)


def test_a_call_that_raises_still_drops_what_it_owns() -> None:
    log: list[str] = []

    @owned.function
    def fail(item: Owned[Noisy]) -> None:
        raise ValueError("nope")

    with pytest.raises(ValueError, match="nope"):
        fail(Owned(Noisy("item", log)))
    assert log == ["item"]


def test_a_refused_call_leaves_every_argument_as_it_was() -> None:
    @owned.function
    def both(a: Owned[list[int]], b: Owned[list[int]]) -> None:
        raise AssertionError("not reached")

    @owned.function
    def lend_and_take(r: Ref[list[int]], a: Owned[list[int]]) -> None:
        raise AssertionError("not reached")

    x = Owned([1])
    with pytest.raises(UseAfterMoveError) as caught:
        both(x, x)
    assert caught.value.moved_at == caught.value.used_at
    assert x.is_alive and x.value == [1]
    with pytest.raises(MoveWhileBorrowedError):
        lend_and_take(x, x)
    assert x.is_alive
    x.borrow_mut().release()  # no borrow was left behind


def test_annotations_are_read_from_strings_keywords_and_varargs() -> None:
    @owned.function
    def everything(
        first: Owned[int],
        /,
        second: owned.Ref[int],
        *rest: Owned[int],
        named: Annotated[Owned[int], "doc"],
        **more: Owned[int],
    ) -> list[int]:
        return [first.value, second.value, *(r.value for r in rest), named.value]

    a, b, c, d, e = (Owned(n) for n in range(5))
    assert everything(a, b, c, d, named=e) == [0, 1, 2, 3, 4]
    assert [a.is_alive, b.is_alive, c.is_alive, d.is_alive, e.is_alive] == [
        False,
        True,
        False,
        False,
        False,
    ]

    @owned.function
    def by_keyword(years: Owned[list[int]], extra: Owned[int] | None = None) -> int:
        return len(years.value)

    years = Owned([1, 2])
    assert by_keyword(years=years) == 2
    assert not years.is_alive


def test_forward_references_to_unknown_names_are_read_from_the_string() -> None:
    def make() -> object:
        @owned.function
        def consume(item: Owned[LocalThing]) -> None:
            pass

        class LocalThing:
            pass

        return consume

    consume = make()
    item = Owned(1)
    consume(item)  # type: ignore[operator]
    assert not item.is_alive


def test_wrong_argument_kinds_get_a_type_error_naming_the_parameter() -> None:
    @owned.function
    def consume(years: Owned[list[int]]) -> None:
        pass

    @owned.function
    def mutate(years: RefMut[list[int]]) -> None:
        pass

    with pytest.raises(TypeError, match=r"parameter `years` takes ownership .* got list"):
        consume([1, 2])  # type: ignore[arg-type]
    years = Owned([1])
    with years.borrow() as r, pytest.raises(TypeError, match="pass the Owned value or a RefMut"):
        mutate(r)  # type: ignore[arg-type]


def test_methods_static_and_class_methods_are_supported() -> None:
    class Library:
        def __init__(self) -> None:
            self.books: list[str] = []

        @owned.function
        def add(self, book: Owned[str]) -> None:
            self.books.append(book.value)

        @staticmethod
        @owned.function
        def title(book: Ref[str]) -> str:
            return book.value.title()

        @owned.function
        @classmethod
        def make(cls, book: Owned[str]) -> Library:
            library = cls()
            library.books.append(book.value)
            return library

    library = Library()
    book = Owned("dune")
    assert Library.title(book) == "Dune"
    library.add(book)
    assert library.books == ["dune"] and not book.is_alive
    assert Library.make(Owned("emma")).books == ["emma"]


def test_async_functions_keep_their_scope_across_awaits() -> None:
    log: list[str] = []

    @owned.function
    async def worker(item: Owned[Noisy]) -> str:
        await asyncio.sleep(0)
        Owned(Noisy(f"{item.value.name}-temp", log))
        await asyncio.sleep(0)
        return item.value.name

    async def main() -> list[str]:
        return list(
            await asyncio.gather(worker(Owned(Noisy("a", log))), worker(Owned(Noisy("b", log))))
        )

    assert asyncio.run(main()) == ["a", "b"]
    assert sorted(log) == ["a", "a-temp", "b", "b-temp"]
    assert log.index("a-temp") < log.index("a")


def test_generator_functions_are_refused_at_decoration_time() -> None:
    def numbers() -> Iterator[int]:
        yield 1

    with pytest.raises(TypeError, match="generator function"):
        owned.function(numbers)
    with pytest.raises(TypeError, match="expects a function"):
        owned.function(42)  # type: ignore[type-var]


def test_values_made_inside_a_call_live_in_the_callers_arena() -> None:
    arena = Arena()

    @owned.function
    def build() -> Owned[list[int]]:
        return Owned([1, 2, 3])

    with owned.scope(arena=arena):
        years = build()
        assert years.arena is arena
        assert arena.stats().live_blocks == 1
    assert arena.stats().live_blocks == 0
