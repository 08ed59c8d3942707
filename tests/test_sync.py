# These tests commit the ownership bugs on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
"""Arc, Mutex, spawn and thread_scope: values handed to threads, locks, poisoning, races."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import pytest

import owned
from owned import Arc, Arena, Mutex, Owned, Rc

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import ExceptionGroup


def snapshot(arena: Arena, *objects: object) -> tuple[Any, ...]:
    return (arena.stats(), arena.render(), tuple(repr(o) for o in objects))


class Noisy:
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def __drop__(self) -> None:
        self.log.append(f"drop {self.name} in {threading.current_thread().name}")


def test_the_book_counter_ten_threads_on_arc_mutex_make_ten() -> None:
    with owned.scope(arena=Arena()) as s:
        counter = Arc(Mutex(0))

        def add_one(counter: Arc[Mutex[int]]) -> None:
            with counter.value.lock() as num:
                num.value += 1

        handles = [owned.spawn(add_one, counter.clone()) for _ in range(10)]
        for handle in handles:
            handle.join()
        assert all(handle.is_finished() for handle in handles)
        assert counter.value.lock().value == 10
        assert counter.strong_count == 1 and s.arena.stats().live_blocks == 1


def test_writing_through_an_arc_is_e0596() -> None:
    with owned.scope(arena=Arena()) as s:
        shared = Arc([1])
        before = snapshot(s.arena, shared)
        with pytest.raises(owned.BorrowMutError) as info:
            shared.value = [2]
        assert info.value.code == "E0596"
        assert "cannot borrow data in an `Arc` as mutable" in str(info.value)
        assert "Mutex" in (info.value.help or "")
        assert snapshot(s.arena, shared) == before


def test_a_second_thread_waits_for_the_lock_then_proceeds() -> None:
    mutex: Mutex[list[str]] = Mutex([])
    entered = threading.Event()

    def second() -> None:
        with mutex.lock() as items:
            items.value.append("second")
        entered.set()

    with mutex.lock() as items:
        items.value.append("first")
        thread = threading.Thread(target=second)
        thread.start()
        assert not entered.wait(0.2)  # still waiting while this thread holds the guard
        assert "locked" in repr(mutex)
    thread.join(5)
    assert entered.is_set()
    with mutex.lock() as items:
        assert items.value == ["first", "second"]


def test_relocking_by_the_holder_is_e0499_and_changes_nothing() -> None:
    counter = Mutex(1)
    with counter.lock() as guard:
        before = repr(counter)
        with pytest.raises(owned.BorrowMutError) as info:
            counter.lock()
        assert info.value.code == "E0499"
        assert "more than once at a time" in str(info.value)
        assert info.value.borrowed_at is not None
        with pytest.raises(owned.BorrowMutError):
            counter.try_lock()
        assert repr(counter) == before and guard.value == 1
        guard.value = 2
    assert counter.lock().value == 2


def test_a_block_that_raises_poisons_the_mutex() -> None:
    mutex = Mutex(0)

    def holder() -> None:
        with mutex.lock() as guard:
            guard.value = 7
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        owned.spawn(holder).join()
    assert mutex.is_poisoned and "poisoned" in repr(mutex)
    with pytest.raises(owned.PoisonError) as info:
        mutex.lock()
    assert info.value.code is None
    guard = info.value.into_inner()
    assert isinstance(guard, owned.MutexGuard) and guard.value == 7
    guard.release()
    del info
    mutex.clear_poison()
    with mutex.lock() as again:
        assert again.value == 7


def test_try_lock_and_a_timeout_when_another_thread_holds_it() -> None:
    mutex = Mutex("x")
    held, done = threading.Event(), threading.Event()

    def holder() -> None:
        with mutex.lock():
            held.set()
            done.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    assert mutex.try_lock() is None
    with pytest.raises(TimeoutError):
        mutex.lock(timeout=0.05)
    done.set()
    thread.join(5)
    guard = mutex.try_lock()
    assert guard is not None and guard.value == "x"
    guard.release()
    with pytest.raises(owned.DanglingRefError):
        guard.value  # noqa: B018
    with pytest.raises(TypeError, match="no public constructor"):
        owned.MutexGuard()


def test_spawn_moves_owned_arguments_and_the_thread_drops_them() -> None:
    log: list[str] = []
    with owned.scope(arena=Arena()) as s:
        v = Owned(Noisy(log, "v"))
        handle = owned.spawn(lambda value: value.value.name, v)
        assert not v.is_alive
        assert handle.join() == "v"
        assert log == ["drop v in <lambda>"]
        with pytest.raises(owned.UseAfterMoveError) as info:
            v.value  # noqa: B018
        moved_at = info.value.moved_at
        assert moved_at is not None and moved_at.filename == __file__
        assert s.arena.stats().live_blocks == 0


def test_a_returned_handle_is_moved_to_the_joining_scope() -> None:
    with owned.scope(arena=Arena()) as s:
        handle = owned.spawn(lambda: Owned([1, 2]))
        result = handle.join()
        assert result.value == [1, 2] and result.scope is s
        assert s.arena.stats().live_blocks == 1
    assert s.arena.stats().live_blocks == 0


def test_join_raises_what_the_thread_raised() -> None:
    def fail() -> None:
        raise ValueError("in the thread")

    with pytest.raises(ValueError, match="in the thread"):
        owned.spawn(fail).join()
    with pytest.raises(TypeError, match="no public constructor"):
        owned.JoinHandle()


def test_spawn_refuses_a_borrow_with_e0373_and_moves_nothing() -> None:
    with owned.scope(arena=Arena()) as s:
        v = Owned([1, 2, 3])
        w = Owned([4])
        before = snapshot(s.arena, v, w)
        with pytest.raises(owned.DanglingRefError) as info:
            owned.spawn(print, w, v.borrow())
        assert info.value.code == "E0373"
        assert str(info.value).startswith(
            "[E0373] closure may outlive the current function, but it borrows `v`, which is "
            "owned by the current function"
        )
        assert snapshot(s.arena, v, w) == before and w.is_alive


def test_spawn_refuses_an_rc_or_a_borrow_of_one_and_moves_nothing() -> None:
    with owned.scope(arena=Arena()) as s:
        shared = Rc([1])
        w = Owned([4])
        before = snapshot(s.arena, shared, w)
        with pytest.raises(owned.NotSendError) as info:
            owned.spawn(print, w, shared)
        assert info.value.code == "E0277"
        assert "`Rc<list>` cannot be sent between threads safely" in str(info.value)
        with pytest.raises(owned.NotSendError, match="cannot be shared between threads"):
            owned.spawn(print, shared.borrow())
        with pytest.raises(owned.NotSendError):
            owned.spawn(print, [shared.downgrade()])
        assert snapshot(s.arena, shared, w)[:2] == before[:2] and w.is_alive


def test_an_arc_works_from_any_thread() -> None:
    with owned.scope(arena=Arena()) as s:
        shared = Arc([1, 2])
        seen: list[Any] = []

        def use() -> None:
            twin = shared.clone()
            seen.append((shared.value, twin.strong_count))
            twin.drop()

        thread = threading.Thread(target=use)
        thread.start()
        thread.join()
        assert seen == [([1, 2], 2)] and shared.strong_count == 1
        assert s.arena.stats().live_blocks == 1


def test_thread_scope_threads_may_borrow_and_are_joined_at_the_end() -> None:
    with owned.scope(arena=Arena()):
        numbers = Owned([1, 2, 3])
        totals: list[int] = []

        def add(r: owned.Ref[list[int]]) -> None:
            time.sleep(0.05)
            totals.append(sum(r.value))

        with owned.thread_scope() as scope:
            scope.spawn(add, numbers.borrow())
            scope.spawn(add, numbers.borrow())
        assert totals == [6, 6]  # both finished before the block ended
        numbers.drop()  # the borrows ended with the threads' arguments


def test_thread_scope_raises_one_error_as_is_and_several_as_a_group() -> None:
    def fail(message: str) -> None:
        raise ValueError(message)

    with pytest.raises(ValueError, match="one"), owned.thread_scope() as scope:
        scope.spawn(fail, "one")
    with pytest.raises(ExceptionGroup) as info, owned.thread_scope() as scope:
        scope.spawn(fail, "a")
        scope.spawn(fail, "b")
    assert sorted(str(e) for e in info.value.exceptions) == ["a", "b"]


def test_eight_threads_on_arc_mutex_and_spawn_keep_every_count() -> None:
    """A stress test: 8 spawned threads, each cloning, locking and dropping 200 times."""
    arena = Arena()
    rounds = 200
    with owned.scope(arena=arena):
        counter = Arc(Mutex(0))
        start = threading.Barrier(8)

        def work(counter: Arc[Mutex[int]]) -> int:
            start.wait()
            for _ in range(rounds):
                twin = counter.clone()
                with twin.value.lock() as guard:
                    guard.value += 1
                twin.drop()
            return counter.strong_count

        handles = [owned.spawn(work, counter.clone()) for _ in range(8)]
        assert all(1 <= handle.join() <= 17 for handle in handles)
        assert counter.value.lock().value == 8 * rounds
        assert counter.strong_count == 1
        assert arena.stats().live_blocks == 1
    assert arena.stats().live_blocks == 0


def test_a_handle_is_dropped_by_at_most_one_of_racing_threads() -> None:
    """Claim once: 8 threads drop the same Arc handle at once; exactly one succeeds and the
    strong count falls by one.

    Mutation caught: in `SharedHandle.drop`, read `self._state` before `with STATE:` and
    call `time.sleep(0)` between that check and `_release` -- several threads then pass the
    check, the count falls by more than one, and this test fails.
    """
    for _ in range(30):
        with owned.scope(arena=Arena()):
            keeper = Arc(0)
            victim = keeper.clone()
            start = threading.Barrier(8)
            claims: list[int] = []

            def race(start: Any = start, victim: Any = victim, claims: Any = claims) -> None:
                start.wait()
                try:
                    victim.drop()
                except owned.OwnershipError:
                    return
                claims.append(1)

            threads = [threading.Thread(target=race) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(claims) == 1
            assert keeper.strong_count == 1


def test_a_mutex_guard_is_held_by_at_most_one_thread_at_a_time() -> None:
    """Claim once: 8 threads try_lock() in a loop and count the holders inside the guard.

    Mutation caught: in `Mutex.try_lock`, replace `self._lock.acquire(blocking=False)` with
    `True` and add `time.sleep(0)` before `self._guard(site)` -- two holders then meet (or the
    borrow is refused), and this test fails.
    """
    mutex = Mutex(0)
    inside = [0]
    most = [0]
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    def race() -> None:
        start.wait()
        for _ in range(300):
            try:
                guard = mutex.try_lock()
            except BaseException as error:  # any refusal is a failure of the lock
                failures.append(error)
                return
            if guard is None:
                continue
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            time.sleep(0)
            inside[0] -= 1
            guard.value += 1
            guard.release()

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and most[0] == 1
    assert mutex.lock().value > 0


@pytest.mark.parametrize("name", ["Arc", "Mutex", "MutexGuard", "JoinHandle"])
def test_public_types_are_final_slotted_and_report_module_owned(name: str) -> None:
    cls = getattr(owned, name)
    assert cls.__module__ == "owned" and "__slots__" in vars(cls)
    with pytest.raises(TypeError, match="cannot be subclassed"):
        type("Sub", (cls,), {})
