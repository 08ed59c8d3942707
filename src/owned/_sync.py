"""Sharing between threads: `Arc` (an `Rc` whose counts are thread-safe) and `Mutex`.

A `Mutex` is a cell (`_interior`) with a lock: `lock()` waits for the lock, then borrows the
cell's place mutably, so the guard is a real exclusive borrow. A block that raises while it
holds the guard poisons the mutex, as a panic does in Rust.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Generic, NoReturn, TypeVar, final

from ._borrows import RefMut, lend
from ._errors import PoisonError
from ._glue import never_raises, user_site
from ._interior import CellPlace, cell_repr, drop_cell, new_place, take_out
from ._kinds import HANDLE_TYPES, seal
from ._owners import Handle, current_owner
from ._parts import register_owning
from ._rc import SharedHandle, register_strong, register_strong_type
from ._refusals import borrow_mut_error
from ._sites import Site
from ._states import MUT

__all__ = ["Arc", "Mutex", "MutexGuard"]

T = TypeVar("T")
_get_ident = threading.get_ident


@final
class Arc(SharedHandle[T]):
    """A strong owner of a value shared between threads (Rust's `Arc<T>`).

    As `Rc`, but any thread may clone, read and drop it (its counts change under one lock).
    Put a `Mutex` inside to change the value: `Arc(Mutex(0))`.
    """

    __slots__ = ()
    __module__ = "owned"


register_strong("Arc", Arc)
register_strong_type(Arc)
seal(Arc)


@final
class Mutex(Handle, Generic[T]):
    """A value one thread at a time may change (Rust's `Mutex<T>`).

    `with m.lock() as guard:` waits until no other thread holds the guard; `guard.value`
    reads and writes. A second `lock()` by the holder raises `BorrowMutError` (E0499) instead
    of deadlocking; a block that raises while holding the guard poisons the mutex.
    """

    __slots__ = ("_holder", "_lock", "_locked_at", "_place", "_poisoned")
    __module__ = "owned"

    _holder: int  # the thread holding the guard, 0 for none
    _lock: Any
    _locked_at: Site | None
    _place: CellPlace
    _poisoned: bool

    def __init__(self, value: T) -> None:
        if type(value) in HANDLE_TYPES:
            raise TypeError(f"Mutex expects a value, got {value!r}: lock its .value instead")
        self._lock = threading.Lock()
        self._holder = 0
        self._locked_at = None
        self._poisoned = False
        self._place = new_place(self, "Mutex", value, user_site())

    def lock(self, timeout: float | None = None) -> MutexGuard[T]:
        """Wait for the lock and return the guard (`PoisonError` if a holder raised).

        With `timeout` (seconds), raise `TimeoutError` if it is not free by then.
        """
        site = user_site()
        if timeout is not None and (type(timeout) not in (int, float) or timeout < 0):
            raise ValueError(f"lock(timeout=...) expects seconds >= 0 or None, got {timeout!r}")
        self._refuse_relock(site)
        if not self._lock.acquire(timeout=-1 if timeout is None else timeout):
            raise TimeoutError(f"{self!r}: not free after {timeout} s")
        return self._guard(site)

    def try_lock(self) -> MutexGuard[T] | None:
        """The guard if the lock is free now, else None (`PoisonError` if a holder raised)."""
        site = user_site()
        self._refuse_relock(site)
        if not self._lock.acquire(blocking=False):
            return None
        return self._guard(site)

    @property
    def is_poisoned(self) -> bool:
        """True once a block holding the guard raised, until `clear_poison()`."""
        return self._poisoned

    def clear_poison(self) -> None:
        """Forget that a holder raised: `lock()` returns the guard again."""
        self._poisoned = False

    def into_inner(self) -> T:
        """Consume the mutex and return its value (its handles go to the current scope)."""
        site = user_site()
        if self._holder:
            raise self._relock_error(site)
        return take_out(self, self._place, site)  # type: ignore[no-any-return]

    def _refuse_relock(self, site: Site) -> None:
        if self._holder == _get_ident():
            raise self._relock_error(site)

    def _relock_error(self, site: Site) -> Exception:
        facts = self._place._facts()._replace(state=MUT, loan_at=self._locked_at)
        return borrow_mut_error(facts, site)

    def _guard(self, site: Site) -> MutexGuard[T]:
        """With the lock held: borrow the value mutably, and hand out the guard."""
        try:
            borrow = lend(self._place, True, site, current_owner())
        except BaseException:
            self._lock.release()
            raise
        self._holder = _get_ident()
        self._locked_at = site
        guard: MutexGuard[T] = MutexGuard.__new__(MutexGuard)
        guard._mutex = self
        guard._borrow = borrow  # type: ignore[assignment]
        if self._poisoned:
            error = PoisonError(
                "called `lock()` on a poisoned Mutex: a thread raised while holding its guard",
                labels=(("locked here", site),),
                help="err.into_inner() gives the guard anyway; mutex.clear_poison() forgets it",
                used_at=site,
            )
            error.__dict__["_guard"] = guard
            raise error
        return guard

    def _unlock(self) -> None:
        self._holder = 0
        self._locked_at = None
        self._lock.release()

    @property
    def is_alive(self) -> bool:
        return self._state >= MUT

    @property
    def arena(self) -> None:
        return None  # no block of its own: its value lives in its owner's

    @property
    def name(self) -> str | None:
        return self._place.name

    def _facts(self) -> Any:
        return self._place._facts()._replace(handle=self)

    def _parts(self) -> list[Any]:
        return [] if self._state < MUT else self._place_parts()

    def _place_parts(self) -> list[Any]:
        from ._parts import family_of

        family = family_of(self._place, False)
        return [] if family is None else family._live_members()

    def _drop_as_part(self, end: object, failures: list[BaseException]) -> None:
        drop_cell(self, self._place, end, failures)

    @never_raises
    def __repr__(self) -> str:
        extra = ", poisoned" if self._poisoned else ""
        return cell_repr("Mutex", self, self._place, extra)

    def __copy__(self) -> NoReturn:
        raise TypeError("a Mutex is one place: share it with Arc(Mutex(v))")

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a Mutex cannot be pickled")


register_owning(Mutex)
seal(Mutex)


@final
class MutexGuard(Generic[T]):
    """The holder's exclusive access to a `Mutex`'s value (Rust's `MutexGuard<T>`).

    Made by `lock()`; it unlocks when its `with` block ends, on `release()`, or when it is freed.
    """

    __slots__ = ("__weakref__", "_borrow", "_mutex")
    __module__ = "owned"

    _borrow: RefMut[T] | None
    _mutex: Mutex[T]

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("MutexGuard has no public constructor: call mutex.lock()")

    @property
    def value(self) -> T:
        return self._active().value

    @value.setter
    def value(self, value: T) -> None:
        self._active().value = value

    @property
    def is_active(self) -> bool:
        """True until the guard is released. Never raises."""
        borrow = getattr(self, "_borrow", None)
        return borrow is not None and borrow.is_active

    def release(self) -> None:
        """Unlock now; releasing twice does nothing."""
        borrow = self._borrow
        if borrow is None:
            return
        self._borrow = None
        borrow.release()
        self._mutex._unlock()

    def _active(self) -> RefMut[T]:
        borrow = self._borrow
        if borrow is None:
            raise self._released()
        return borrow

    def _borrowed(self) -> Any:
        """The guard's `RefMut`, for the container protocol (whose value type is unknown)."""
        return self._active()

    def _released(self) -> Exception:
        from ._errors import DanglingRefError

        return DanglingRefError(
            "this MutexGuard was released: lock() the mutex again",
            code="E0597",
            used_at=user_site(1),
        )

    def __enter__(self) -> MutexGuard[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None and self._borrow is not None:
            self._mutex._poisoned = True
        self.release()

    def __del__(self) -> None:
        if getattr(self, "_borrow", None) is not None:
            self.release()

    def __len__(self) -> int:
        return len(self._active())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._borrowed())

    def __contains__(self, item: object) -> bool:
        return item in self._active()

    def __getitem__(self, key: Any) -> Any:
        return self._borrowed()[key]

    def __setitem__(self, key: Any, item: Any) -> None:
        self._borrowed()[key] = item

    def __delitem__(self, key: Any) -> None:
        del self._borrowed()[key]

    @never_raises
    def __repr__(self) -> str:
        state = "active" if self.is_active else "released"
        return f"<owned.MutexGuard of {self._mutex!r} ({state})>"

    def __copy__(self) -> NoReturn:
        raise TypeError("a MutexGuard is the one access to its Mutex: it cannot be copied")


seal(MutexGuard)
