"""Behaviour of the free-extent index: lowest-address first fit, coalescing, growth.

Unit tests pin each rule down on a small picture of the cells; a state machine
then drives random takes and give-backs against a model that keeps one flag
per cell and scans them linearly, the slow obvious answer the index must match.
"""

import importlib.util
import math
import sys
import tracemalloc
from pathlib import Path
from random import Random

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

from owned._extents import FreeExtents

_BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_extents.py"


def reserve(extents: FreeExtents, *sizes: int) -> list[int]:
    """Take a block of each size and return their addresses, failing if one does not fit."""
    addresses = []
    for size in sizes:
        address = extents.take(size)
        assert address is not None
        addresses.append(address)
    return addresses


def snapshot(extents: FreeExtents) -> tuple[list[tuple[int, int]], int, int, int, int]:
    """Everything the index lets a caller observe, for comparing before and after."""
    return list(extents), extents.end, extents.free_cells, extents.largest_free, len(extents)


class CellModel:
    """The index's contract, written the slow obvious way: one free flag per cell."""

    def __init__(self, capacity: int | None) -> None:
        self.grows = capacity is None
        self.free = [True] * (capacity or 0)

    def take(self, size: int) -> int | None:
        """Lowest address whose ``size`` cells are free, counting cells past a growable end."""
        free = self.free
        span = len(free)
        last = span if self.grows else span - size
        for address in range(last + 1):
            if all(free[address : address + size]):
                if address + size > span:
                    free.extend([True] * (address + size - span))
                free[address : address + size] = [False] * size
                return address
        return None

    def give_back(self, address: int, size: int) -> None:
        self.free[address : address + size] = [True] * size
        while self.grows and self.free and self.free[-1]:
            self.free.pop()  # a growable span ends with its last reserved cell

    def runs(self) -> list[tuple[int, int]]:
        """Maximal runs of free cells as ``(address, size)``."""
        runs = []
        start = None
        for cell, is_free in enumerate([*self.free, False]):
            if is_free and start is None:
                start = cell
            elif not is_free and start is not None:
                runs.append((start, cell - start))
                start = None
        return runs


def assert_matches(extents: FreeExtents, model: CellModel) -> None:
    runs = model.runs()
    assert list(extents) == runs
    assert len(extents) == len(runs)
    assert extents.end == len(model.free)
    assert extents.free_cells == sum(model.free)
    assert extents.largest_free == max((size for _, size in runs), default=0)


def assert_well_formed(extents: FreeExtents) -> None:
    """The index checks its treap, maxima, links and dicts against each other."""
    extents._validate()


def test_fixed_arena_starts_as_one_free_extent_spanning_its_capacity() -> None:
    extents = FreeExtents(10)
    assert snapshot(extents) == ([(0, 10)], 10, 10, 10, 1)


def test_zero_capacity_arena_has_no_free_extent_and_fits_nothing() -> None:
    extents = FreeExtents(0)
    assert snapshot(extents) == ([], 0, 0, 0, 0)
    assert extents.take(1) is None


def test_growable_arena_starts_with_an_empty_span() -> None:
    assert snapshot(FreeExtents(None)) == ([], 0, 0, 0, 0)


def test_take_shrinks_the_extent_it_uses_from_the_left() -> None:
    extents = FreeExtents(10)
    assert extents.take(3) == 0
    assert snapshot(extents) == ([(3, 7)], 10, 7, 7, 1)


def test_take_that_fills_an_extent_exactly_removes_it() -> None:
    extents = FreeExtents(10)
    reserve(extents, 2, 3, 5)
    extents.give_back(2, 3)
    assert extents.take(3) == 2
    assert snapshot(extents) == ([], 10, 0, 0, 0)


def test_take_returns_lowest_address_that_fits() -> None:
    extents = FreeExtents(16)
    assert reserve(extents, 2, 3, 2, 4, 1) == [0, 2, 5, 7, 11]
    extents.give_back(2, 3)
    extents.give_back(7, 4)
    assert list(extents) == [(2, 3), (7, 4), (12, 4)]
    assert extents.take(4) == 7  # the hole at 2 is too small; 7 is lower than 12
    assert extents.take(2) == 2
    assert extents.take(1) == 4
    assert extents.take(4) == 12


@pytest.mark.parametrize(("size", "address"), [(1, 1), (2, 4), (3, 8), (4, 13), (5, 19)])
def test_take_skips_every_lower_extent_that_is_too_small(size: int, address: int) -> None:
    # Holes of 1, 2, 3, 4 and 5 cells, each after a reserved cell.
    extents = FreeExtents(24)
    reserve(extents, 24)
    for hole_address, hole_size in [(1, 1), (4, 2), (8, 3), (13, 4), (19, 5)]:
        extents.give_back(hole_address, hole_size)
    assert extents.take(size) == address


def test_give_back_merges_with_a_free_left_neighbour() -> None:
    extents = FreeExtents(10)
    reserve(extents, 4, 3, 3)
    extents.give_back(0, 4)
    extents.give_back(4, 3)
    assert snapshot(extents) == ([(0, 7)], 10, 7, 7, 1)


def test_give_back_merges_with_a_free_right_neighbour() -> None:
    extents = FreeExtents(10)
    reserve(extents, 4, 3, 3)
    extents.give_back(7, 3)
    extents.give_back(4, 3)
    assert snapshot(extents) == ([(4, 6)], 10, 6, 6, 1)


def test_give_back_merges_with_free_neighbours_on_both_sides_into_one_extent() -> None:
    extents = FreeExtents(10)
    reserve(extents, 4, 3, 3)
    extents.give_back(0, 4)
    extents.give_back(7, 3)
    assert len(extents) == 2
    extents.give_back(4, 3)
    assert snapshot(extents) == ([(0, 10)], 10, 10, 10, 1)


def test_give_back_between_reserved_blocks_adds_a_separate_extent() -> None:
    extents = FreeExtents(10)
    reserve(extents, 4, 3, 3)
    extents.give_back(4, 3)
    assert snapshot(extents) == ([(4, 3)], 10, 3, 3, 1)


def test_fixed_arena_returns_none_and_changes_nothing_when_no_extent_fits() -> None:
    extents = FreeExtents(10)
    reserve(extents, 2, 2, 2, 2, 2)
    extents.give_back(0, 2)
    extents.give_back(4, 2)
    before = snapshot(extents)
    assert before[2] == 4  # enough free cells in total, but not in one extent
    assert extents.take(3) is None
    assert snapshot(extents) == before


def test_full_fixed_arena_returns_none() -> None:
    extents = FreeExtents(4)
    reserve(extents, 4)
    assert extents.take(1) is None
    assert snapshot(extents) == ([], 4, 0, 0, 0)


def test_growable_take_appends_at_end_when_no_free_extent_touches_it() -> None:
    extents = FreeExtents(None)
    assert reserve(extents, 3, 2) == [0, 3]
    extents.give_back(0, 3)
    assert extents.take(4) == 5
    assert snapshot(extents) == ([(0, 3)], 9, 3, 3, 1)


def test_growable_take_extends_the_free_extent_that_touches_end() -> None:
    extents = FreeExtents(None)
    reserve(extents, 3, 2)
    extents.give_back(3, 2)
    assert extents.take(4) == 3
    assert snapshot(extents) == ([], 7, 0, 0, 0)


def test_growable_take_uses_a_fitting_extent_inside_the_span_before_growing() -> None:
    extents = FreeExtents(None)
    reserve(extents, 3, 2)
    extents.give_back(0, 3)
    assert extents.take(2) == 0
    assert snapshot(extents) == ([(2, 1)], 5, 1, 1, 1)


def test_growable_span_shrinks_past_its_free_tail_when_its_last_block_is_given_back() -> None:
    extents = FreeExtents(None)
    reserve(extents, 5, 2, 3)
    extents.give_back(5, 2)
    assert snapshot(extents) == ([(5, 2)], 10, 2, 2, 1)
    extents.give_back(7, 3)
    assert snapshot(extents) == ([], 5, 0, 0, 0)
    assert extents.take(1) == 5
    extents.give_back(0, 5)
    assert snapshot(extents) == ([(0, 5)], 6, 5, 5, 1)


def test_huge_extents_cost_memory_per_extent_not_per_cell() -> None:
    cells = 10**15
    tracemalloc.start()
    try:
        extents = FreeExtents(cells)
        assert reserve(extents, cells // 2, 1) == [0, cells // 2]
        extents.give_back(0, cells // 2)
        growable = FreeExtents(None)
        assert reserve(growable, cells, 1) == [0, cells]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert list(extents) == [(0, cells // 2), (cells // 2 + 1, cells // 2 - 1)]
    assert growable.end == cells + 1
    assert peak < 64 * 1024


def test_index_stays_shallow_when_extents_are_freed_in_address_order() -> None:
    # Sorted insertions turn an unbalanced search tree into a list.
    blocks = 4096
    extents = FreeExtents(None)
    reserve(extents, *[1] * blocks)
    for address in range(0, blocks, 2):
        extents.give_back(address, 1)
    assert len(extents) == blocks // 2
    assert extents._height() <= 4 * math.log2(blocks // 2)
    assert_well_formed(extents)


def test_long_random_sequence_agrees_with_cell_model() -> None:
    # Longer than the state machine's runs, so that rotations happen deep in the tree.
    rng = Random(1234)
    for capacity in (None, 600):
        extents, model = FreeExtents(capacity), CellModel(capacity)
        live: list[tuple[int, int]] = []
        for step in range(3000):
            if live and rng.random() < 0.45:
                address, size = live.pop(rng.randrange(len(live)))
                extents.give_back(address, size)
                model.give_back(address, size)
            else:
                size = rng.randint(1, 9)
                taken = extents.take(size)
                assert taken == model.take(size)
                if taken is not None:
                    live.append((taken, size))
            if step % 100 == 0:
                assert_matches(extents, model)
                assert_well_formed(extents)
        assert_matches(extents, model)
        assert_well_formed(extents)


class FreeExtentsMatchCellModel(RuleBasedStateMachine):
    """Random takes and give-backs on the index and on ``CellModel`` must agree after each step."""

    blocks = Bundle("blocks")

    def __init__(self) -> None:
        super().__init__()
        self.extents = FreeExtents(None)
        self.model = CellModel(None)

    @initialize(capacity=st.none() | st.integers(min_value=0, max_value=40))
    def start(self, capacity: int | None) -> None:
        self.extents = FreeExtents(capacity)
        self.model = CellModel(capacity)

    @rule(target=blocks, size=st.integers(min_value=1, max_value=8))
    def take(self, size: int) -> tuple[int, int] | MultipleResults[tuple[int, int]]:
        address = self.extents.take(size)
        assert address == self.model.take(size)
        if address is None:
            return multiple()
        return address, size

    @rule(block=consumes(blocks))
    def give_back(self, block: tuple[int, int]) -> None:
        self.extents.give_back(*block)
        self.model.give_back(*block)

    @invariant()
    def observable_state_matches_model(self) -> None:
        assert_matches(self.extents, self.model)

    @invariant()
    def tree_and_dicts_are_consistent(self) -> None:
        assert_well_formed(self.extents)


# The number of runs comes from the hypothesis profile (tests/conftest.py);
# 60 steps reach a dozen extents or more, enough for rotations at every depth.
FreeExtentsMatchCellModel.TestCase.settings = settings(stateful_step_count=60)
test_free_extents_match_cell_model_after_every_step = FreeExtentsMatchCellModel.TestCase


def test_benchmark_script_runs_at_tiny_scale(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # the script prepends src/
    spec = importlib.util.spec_from_file_location("bench_extents", _BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    ratios = benchmark.main(scale=0.001)
    assert set(ratios) == {"hot", "churn"}
    assert all(ratio > 0 for ratio in ratios.values())
    assert "ratio hot" in capsys.readouterr().out
