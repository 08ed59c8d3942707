"""Hypothesis integration: `from_type(Owned[T])`, `owned.strategies`, and shrunk programs."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import owned
from owned import Arena, Owned, UseAfterMoveError
from owned import strategies as ost
from owned.strategies import Program
from owned.testing import no_leaks

FEW = settings(max_examples=25, deadline=None)


@owned.function
def total(numbers: Owned[list[int]]) -> int:
    return sum(numbers.value)


@owned.function
def peek(numbers: owned.Ref[list[int]]) -> int:
    return len(numbers.value)


def test_hypothesis_entry_point_names_the_setup_hook() -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group="hypothesis") if e.name == "owned"]
    assert entry.value == "owned._hypothesis:_hypothesis_setup_hook"


@pytest.mark.parametrize(
    "first", ["owned.strategies", "owned._hypothesis", "hypothesis", "owned.stateful"]
)
def test_from_type_works_whichever_module_is_imported_first(first: str) -> None:
    program = (
        f"import {first}\n"
        "from hypothesis import strategies as st\n"
        "from owned import Owned\n"
        "assert isinstance(st.from_type(Owned[int]).example().value, int)\n"
    )
    subprocess.run([sys.executable, "-c", program], check=True, timeout=120)


@FEW
@given(st.data())
def test_from_type_owned_int_allocates_in_the_current_scopes_arena(data: st.DataObject) -> None:
    arena = Arena()
    with owned.scope(arena=arena) as scope:
        value = data.draw(st.from_type(Owned[int]))
        assert isinstance(value.value, int)
        assert value.arena is arena
        assert value.scope is scope


@FEW
@given(
    st.from_type(Owned[list[str]]),
    st.from_type(Owned[dict[str, list[Owned[int]]]]),
    st.from_type(Owned[tuple[int, Owned[bytes]]]),
)
def test_from_type_resolves_nested_generic_parameters(
    words: Owned[list[str]],
    index: Owned[dict[str, list[Owned[int]]]],
    pair: Owned[tuple[int, Owned[bytes]]],
) -> None:
    assert all(isinstance(word, str) for word in words.value)
    for entries in index.value.values():
        assert all(isinstance(entry.value, int) for entry in entries)
    assert isinstance(pair.value[1].value, bytes)
    assert words.size == max(1, len(words.value))


def test_drawn_values_are_dropped_newest_first_when_the_test_case_ends() -> None:
    dropped: list[int] = []

    class Noisy:
        def __init__(self, number: int) -> None:
            self.number = number

        def __drop__(self) -> None:
            dropped.append(self.number)

    noisy = ost.owned_values(st.builds(Noisy, st.just(1)))
    made: list[Owned[Noisy]] = []

    @settings(max_examples=1, database=None)
    @given(noisy, ost.owned_values(st.builds(Noisy, st.just(2))))
    def case(first: Owned[Noisy], second: Owned[Noisy]) -> None:
        made.extend((first, second))
        assert dropped == []

    with no_leaks():
        case()
    assert dropped == [2, 1]
    assert not any(handle.is_alive for handle in made)


def test_a_drawn_value_moved_by_the_test_is_not_dropped_by_the_strategy() -> None:
    kept: list[Owned[int]] = []

    @settings(max_examples=1, database=None)
    @given(ost.owned_values(st.just(7)))
    def case(value: Owned[int]) -> None:
        kept.append(value.move())

    case()
    (survivor,) = kept
    assert survivor.value == 7
    survivor.drop()


def test_owned_values_takes_arena_and_size() -> None:
    arena = Arena(16)

    @settings(max_examples=10, database=None)
    @given(ost.owned_values(st.text(), arena=arena, size=4))
    def case(value: Owned[str]) -> None:
        assert value.arena is arena
        assert value.size == 4

    case()
    assert arena.stats().live_blocks == 0


def test_owned_values_and_arenas_reject_what_is_not_a_strategy() -> None:
    with pytest.raises(TypeError, match=r"wrap a constant in st.just"):
        ost.owned_values(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"arenas\(st.just\(capacity\)\)"):
        ost.arenas(8)  # type: ignore[arg-type]


@FEW
@given(ost.arenas(st.integers(2, 8)), ost.arenas(st.none()))
def test_arenas_have_the_drawn_capacities_and_start_empty(fixed: Arena, growing: Arena) -> None:
    assert fixed.capacity is not None
    assert 2 <= fixed.capacity <= 8
    assert growing.capacity is None
    assert fixed.stats().live_blocks == growing.stats().live_blocks == 0


@FEW
@given(ost.arenas())
def test_the_default_arenas_fit_the_one_cell_value_of_the_docstring_example(heap: Arena) -> None:
    assert heap.capacity is None or heap.capacity >= 1
    with owned.scope(arena=heap):
        assert Owned(7).size == 1


def test_shrinking_finds_the_minimal_program_that_moves_a_value_twice() -> None:
    def passes_a_moved_value(program: Program) -> bool:
        return any(isinstance(o.error, UseAfterMoveError) for o in program.run())

    minimal = find(
        ost.programs(st.lists(st.integers(0, 3)), functions=[total, peek]),
        passes_a_moved_value,
        settings=settings(database=None, max_examples=500, derandomize=True),
    )
    assert repr(minimal) == "Program('''\nh0 = Owned([])\nh1 = total(h0)\nh2 = total(h0)\n''')"
    outcomes = minimal.run()
    assert minimal.listing(outcomes).splitlines()[-1] == "h2 = total(h0)  # UseAfterMoveError"


@settings(max_examples=60, deadline=None)
@given(ost.programs(st.lists(st.integers(0, 3), max_size=3), [total, peek], max_steps=25))
def test_programs_run_without_leaks_and_refusals_change_nothing(program: Program) -> None:
    with no_leaks():
        outcomes = program.run()
    assert len(outcomes) == len(program.steps)


def test_program_listing_indents_scopes_and_marks_skipped_steps() -> None:
    program = Program(
        [
            ost.Step("enter"),
            ost.Step("new", target=0, value=1),
            ost.Step("exit"),
            ost.Step("read", source=0),
            ost.Step("move", source=0, target=1),
            ost.Step("read", source=1),
        ]
    )
    listing = program.listing(program.run())
    assert listing.splitlines() == [
        "with scope():",
        "    h0 = Owned(1)",
        "h0.value  # UseAfterDropError",
        "h1 = h0.move()  # UseAfterDropError",
        "h1.value  # skipped: uses a name that was never bound",
    ]
