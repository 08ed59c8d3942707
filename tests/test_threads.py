# These tests commit the ownership bugs on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
"""Threads and asyncio tasks: one arena shared safely, scopes kept per thread and per task."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import owned
from owned import Arena, Owned, OwnershipError


def test_eight_threads_on_one_arena_lose_no_block_and_free_none_twice() -> None:
    arena = Arena()
    errors: list[BaseException] = []
    shared = [Owned(list(range(4)), arena=arena) for _ in range(32)]
    refusals = [0]
    start = threading.Barrier(8)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait()
            for _ in range(400):
                with owned.scope(arena=arena):
                    mine = [Owned([0] * rng.randint(1, 6)) for _ in range(rng.randint(1, 4))]
                    kept = mine[0].move()
                    with kept.borrow() as r:
                        assert len(r) >= 1
                    mine[-1].drop() if len(mine) > 1 else None
                victim = shared[rng.randrange(len(shared))]
                try:  # threads race for the same handles: exactly one claim may win
                    moved = victim.move()
                    with moved.borrow():
                        pass
                    shared[shared.index(victim)] = moved
                except (OwnershipError, ValueError):
                    refusals[0] += 1
        except BaseException as error:  # reported to the main thread below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stats = arena.stats()
    alive = [handle for handle in shared if handle.is_alive]
    assert stats.live_blocks == len(alive) == 32
    assert stats.allocs - stats.deallocs == stats.live_blocks
    assert sorted(address for address, _, _ in arena.blocks()) == sorted(h.address for h in alive)
    assert arena.render().count("#") == stats.live_cells == 4 * 32


def test_each_thread_has_its_own_scope_stack() -> None:
    seen: dict[str, str | None] = {}

    def worker(name: str) -> None:
        with owned.scope(name):
            seen[name] = owned.current_scope().name
            inner = owned.current_scope()
            assert inner.parent is not None and inner.parent.name == "root"

    with owned.scope("main-thread"):
        threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert owned.current_scope().name == "main-thread"
    assert seen == {f"t{i}": f"t{i}" for i in range(4)}


def test_asyncio_tasks_get_separate_scopes() -> None:
    log: list[str] = []

    class Noisy:
        def __init__(self, name: str) -> None:
            self.name = name

        def __drop__(self) -> None:
            log.append(self.name)

    async def task(name: str, delay: float) -> str | None:
        with owned.scope(name):
            Owned(Noisy(name))
            await asyncio.sleep(delay)
            return owned.current_scope().name

    async def main() -> list[str | None]:
        return list(await asyncio.gather(task("slow", 0.02), task("fast", 0.0)))

    assert asyncio.run(main()) == ["slow", "fast"]
    assert log == ["fast", "slow"]


@contextlib.contextmanager
def _switching_often() -> Iterator[None]:
    """Threads switch every microsecond: a check and a store that are not atomic get split."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def _race(threads: int, work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def run(index: int) -> None:
        try:
            start.wait()
            work(index)
        except BaseException as error:  # reported to the test below
            errors.append(error)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    with _switching_often():
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return errors


def _claims_per_handle(arena: Arena, handles: int, threads: int) -> list[int]:
    """Every thread tries to move every handle once; how many moves of each succeeded."""
    shared = [Owned(index, arena=arena) for index in range(handles)]
    wins = [0] * handles
    counting = threading.Lock()

    def claim(seed: int) -> None:
        order = list(range(handles))
        random.Random(seed).shuffle(order)
        for index in order:
            try:
                moved = shared[index].move()
            except OwnershipError:
                continue  # another thread won this one
            with counting:
                wins[index] += 1
            moved.drop()

    assert _race(threads, claim) == []
    return wins


@contextlib.contextmanager
def _traced(kind: str) -> Iterator[None]:
    """A tracer or profiler in every thread, as coverage and debuggers install them."""
    if kind == "untraced":
        yield
        return

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        return tracer if kind == "settrace" else None

    set_one, set_all = (
        (sys.settrace, threading.settrace)
        if kind == "settrace"
        else (sys.setprofile, threading.setprofile)
    )
    set_all(tracer)
    set_one(tracer)
    try:
        yield
    finally:
        set_one(None)
        set_all(None)


@pytest.mark.parametrize("kind", ["untraced", "settrace", "setprofile"])
def test_threads_racing_to_move_one_handle_never_both_win(kind: str) -> None:
    """Mutation this catches (documented, checked by hand): in `_handles._commit_move`, making
    the re-check `if handle._state != 0:` never true lets two threads move one handle in the
    interpreted build (`--owned-build=python`), under every kind of tracing."""
    arena = Arena()
    for _ in range(20):  # rounds: each a fresh set of handles raced for by every thread
        with _traced(kind):
            wins = _claims_per_handle(arena, handles=64, threads=6)
        assert max(wins) <= 1, f"a handle was moved by {max(wins)} threads"
        assert wins == [1] * 64
    assert arena.stats().live_blocks == 0


def test_fixed_arena_under_threads_never_hands_out_overlapping_blocks() -> None:
    arena = Arena(capacity=256)

    def churn(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[Owned[list[int]]] = []
        for _ in range(600):
            if mine and rng.random() < 0.5:
                mine.pop(rng.randrange(len(mine))).drop()
                continue
            try:
                mine.append(Owned([0] * rng.randint(1, 8), arena=arena))
            except owned.OutOfMemoryError:
                continue
            cells = sorted((address, size) for address, size, _ in arena.blocks())
            for (start, size), (next_start, _) in itertools.pairwise(cells):
                assert start + size <= next_start, f"blocks overlap at {start:#x}+{size}"
        for handle in mine:
            handle.drop()

    for _ in range(10):  # rounds: a race that is there shows in most runs
        assert _race(4, churn) == []
    stats = arena.stats()
    assert (stats.live_blocks, stats.live_cells, stats.allocs) == (0, 0, stats.deallocs)
