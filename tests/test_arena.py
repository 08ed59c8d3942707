"""The arena: first fit, coalescing, generations, stats, render, and the raw C-style layer."""

from __future__ import annotations

import pytest

import owned
from owned import Arena, DoubleDropError, OutOfMemoryError, Owned, UseAfterDropError


def test_blocks_are_placed_first_fit_at_the_lowest_address() -> None:
    arena = Arena(capacity=10)
    a = Owned([0] * 3, arena=arena)
    b = Owned([0] * 2, arena=arena)
    c = Owned([0] * 3, arena=arena)
    assert (a.address, b.address, c.address) == (0, 3, 5)
    a.drop()
    assert Owned([0] * 2, arena=arena).address == 0
    assert Owned([0] * 2, arena=arena).address == 8
    assert arena.render() == "[##.#######]"


def test_render_shows_used_and_free_cells() -> None:
    arena = Arena(capacity=8)
    a = Owned([1, 2], arena=arena)
    Owned([3], arena=arena)
    assert arena.render() == "[###.....]"
    a.drop()
    assert arena.render() == "[..#.....]"
    assert arena.render(width=4) == "[.+..]"


def test_freed_neighbours_coalesce_into_one_extent() -> None:
    arena = Arena(capacity=6)
    blocks = [Owned([0, 0], arena=arena) for _ in range(3)]
    blocks[0].drop()
    blocks[2].drop()
    assert arena.stats().free_extents == 2
    blocks[1].drop()
    stats = arena.stats()
    assert (stats.free_extents, stats.largest_free, stats.free_cells) == (1, 6, 6)
    assert Owned([0] * 6, arena=arena).address == 0


def test_a_fixed_arena_that_cannot_fit_raises_out_of_memory_naming_the_sizes() -> None:
    arena = Arena(capacity=8)
    Owned([0] * 3, arena=arena)
    keep = Owned([0] * 2, arena=arena)
    Owned([0] * 3, arena=arena)
    keep.drop()
    before = arena.stats()
    with pytest.raises(OutOfMemoryError) as caught:
        Owned([0] * 3, arena=arena)
    error = caught.value
    assert isinstance(error, MemoryError)
    assert (error.requested, error.largest_free, error.capacity) == (3, 2, 8)
    assert str(error) == (
        "out of memory: cannot allocate 3 cells in an arena of 8 cells; "
        "the largest free extent is 2 cells (2 cells free in all)\n"
        "  = help: drop values you no longer need, or create the Arena with a larger capacity"
    )
    assert arena.stats() == before


def test_a_growing_arena_extends_its_span_on_demand() -> None:
    arena = Arena()
    for size in (4, 4, 4):
        Owned([0] * size, arena=arena)
    stats = arena.stats()
    assert (stats.capacity, stats.span, stats.live_cells, stats.peak_cells) == (None, 12, 12, 12)


def test_stats_count_allocations_deallocations_and_the_peak() -> None:
    arena = Arena()
    with owned.scope(arena=arena):
        years = Owned([1, 2, 3, 4])
        years.clone()
        assert arena.stats().live_cells == 8
    stats = arena.stats()
    assert (stats.allocs, stats.deallocs, stats.live_blocks, stats.peak_cells) == (2, 2, 0, 8)


@pytest.mark.parametrize(
    ("capacity", "error"),
    [(-1, ValueError), (1.5, TypeError), ("10", TypeError), (True, TypeError)],
)
def test_arena_rejects_a_bad_capacity(capacity: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="capacity"):
        Arena(capacity=capacity)  # type: ignore[arg-type]


def test_raw_pointers_read_and_write_until_freed() -> None:
    arena = Arena()
    years = arena.alloc([0] * 4)
    years[0] = 2001
    years.value = [2001, 2002, 2003, 2004]
    assert years[3] == 2004
    assert (years.size, years.address, years.generation) == (4, 0, 1)
    arena.free(years)
    assert years.is_freed
    assert arena.stats().live_blocks == 0


def test_use_after_free_reports_where_it_was_used_freed_and_allocated() -> None:
    arena = Arena()
    years = arena.alloc([0] * 4)  # line A
    arena.free(years)  # line B
    with pytest.raises(UseAfterDropError) as caught:
        _ = years[0]
    error = caught.value
    assert error.headline == (
        "heap-use-after-free: READ of `years` (4 cells @0x0 gen 1) after it was freed"
    )
    assert [label for label, _ in error.labels] == [
        "used here",
        "freed here",
        "previously allocated here",
    ]
    assert error.allocated_at is not None and error.dropped_at is not None
    assert error.dropped_at.line == error.allocated_at.line + 1


def test_a_stale_pointer_is_caught_even_after_its_address_was_reused() -> None:
    arena = Arena()
    old = arena.alloc([1, 2])
    arena.free(old)
    new = arena.alloc([3, 4])
    assert (new.address, new.generation) == (old.address, 2)
    with pytest.raises(UseAfterDropError, match=r"now belongs to a newer block \(gen 2\)"):
        old.value = [5]
    assert new.value == [3, 4]


def test_freeing_twice_raises_double_drop_like_asan() -> None:
    arena = Arena()
    years = arena.alloc([0] * 4)
    arena.free(years)
    before = arena.stats()
    with pytest.raises(DoubleDropError) as caught:
        arena.free(years)
    assert caught.value.headline == "attempting double-free on `years` (4 cells @0x0 gen 1)"
    assert [label for label, _ in caught.value.labels] == [
        "freed again here",
        "first freed here",
        "previously allocated here",
    ]
    assert str(caught.value).splitlines()[-1] == (
        "  = help: free each allocation exactly once; owned.Owned frees for you at scope exit"
    )
    assert arena.stats() == before


def test_stats_and_render_reflect_both_layers() -> None:
    arena = Arena(capacity=6)
    pointer = arena.alloc([0, 0])
    handle = Owned([0, 0], arena=arena)
    assert arena.render() == "[####..]"
    assert arena.stats().live_blocks == 2
    blocks = arena.blocks()
    assert [(address, size) for address, size, _ in blocks] == [(0, 2), (2, 2)]
    assert blocks[0][2] is pointer and blocks[1][2] is handle


def test_a_recording_arena_logs_each_ownership_event_with_its_reason() -> None:
    arena = Arena(record_events=True)
    with owned.scope("block", arena=arena):
        years = Owned([2001, 2002])
        with years.borrow():
            pass
        kept = years.move()
        Owned([1]).into_inner()
        temporary = Owned("t")
        assert temporary.is_alive
    temporary_events = [e for e in arena.events() if e.name == "temporary"]
    assert [(e.kind, e.detail) for e in temporary_events] == [
        ("alloc", None),
        ("dealloc", "scope exit"),
    ]
    kinds = [(e.kind, e.name, e.detail) for e in arena.events()]
    assert kinds[:4] == [
        ("alloc", "years", None),
        ("borrow", "years", None),
        ("release", "years", None),
        ("move", "kept", "block"),
    ]
    assert ("dealloc", None, "moved out") in [(k, None, d) for k, _, d in kinds]
    assert not kept.is_alive
    assert Arena().events() == []
