"""`Owned`: the one owner of a block, and the free functions `move` and `drop`."""

from __future__ import annotations

import copy
import sys
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, cast, final

from . import _blame
from ._arena import Arena
from ._blame import HANDLE_TYPES, reject_handle
from ._cells import cells_for
from ._scope import _COMPACT_AT, ROOT, Scope, current_scope, free_dropped
from ._sites import _SITES, Site, named, site_of
from ._states import DROPPED, MOVED, MUT

if TYPE_CHECKING:
    from ._borrows import Ref, RefMut

__all__ = ["Owned", "drop", "move", "transfer", "undo_transfer"]

T = TypeVar("T")
_getframe = sys._getframe


@final
class Owned(Generic[T]):
    """The one owner of a value in an arena block; dropped when its scope ends.

    Args:
        value: what to own. Mutating it through another Python reference bypasses the checks.
        arena: where to allocate; default: the current scope's arena.
        size: cells to occupy; default `max(1, len(value))` for sized values, else 1.
        name: the name used in error messages; default: the variable it is assigned to.
    """

    __slots__ = (
        "_address",
        "_allocated_at",
        "_arena",
        "_aux",
        "_flag",
        "_scope",
        "_site",
        "_size",
        "_value",
    )
    __module__ = "owned"

    _value: T
    _flag: int
    _arena: Arena
    _address: int
    _size: int
    _scope: Scope
    _site: Site  # where this handle was made: the allocation, or the move that made it
    _allocated_at: Site  # where the block was allocated, kept across moves
    # While alive: the latest Ref/RefMut taken (named in borrow errors). Once dead: the Site of
    # the move or drop.
    _aux: Any

    def __init_subclass__(cls, **kwargs: object) -> NoReturn:
        raise TypeError(
            "owned.Owned cannot be subclassed (the runtime checks handles by exact type): "
            "put your behaviour in the value, or wrap the handle in a class of your own"
        )

    def __init__(
        self,
        value: T,
        *,
        arena: Arena | None = None,
        size: int | None = None,
        name: str | None = None,
    ) -> None:
        if type(value) in HANDLE_TYPES:
            reject_handle(value, "Owned")
        scope = current_scope()
        if arena is None:
            arena = cast(Arena, scope._arena)  # every entered scope has an arena
        elif type(arena) is not Arena:
            raise TypeError(
                f"Owned(arena=...) expects an owned.Arena or None, got {type(arena).__name__}"
            )
        if size is None:
            sized = _SIZED.get(type(value))
            if sized is None:
                sized = _has_len(type(value))
            size = (len(value) or 1) if sized else 1  # type: ignore[arg-type]
        else:
            size = cells_for(value, size, "Owned")
        if name is not None and type(name) is not str:
            raise TypeError(f"Owned(name=...) expects a str or None, got {type(name).__name__}")
        self._value = value
        self._flag = 0
        self._arena = arena
        self._size = size
        self._scope = scope
        frame = _getframe(1)  # site_of(frame), inlined: this is the hottest constructor
        try:  # subscripts, not .get(): no method calls on the path that finds the site
            site = _SITES[id(frame.f_code)][frame.f_lasti]
        except KeyError:
            site = site_of(frame)
        self._site = self._allocated_at = site if name is None else named(site, name)
        self._aux = None
        self._address = arena._allocate(self, size)
        if scope is not ROOT:
            owned = scope._owned
            owned.append(self)
            if scope._dead > _COMPACT_AT and scope._dead * 2 > len(owned):
                scope._compact()

    @property
    def value(self) -> T:
        """The value. Raises while mutably borrowed, or once moved or dropped."""
        if self._flag >= 0:
            return self._value
        raise _blame.read_error(self, site_of(_getframe(1)))

    @value.setter
    def value(self, value: T) -> None:
        site = site_of(_getframe(1))
        if type(value) in HANDLE_TYPES:
            reject_handle(value, "Owned.value =")
        if self._flag == 0:
            self._value = value
            return
        raise _blame.assign_error(self, site)

    @property
    def is_alive(self) -> bool:
        """True until the value is moved or dropped. Never raises."""
        return self._flag >= MUT

    def borrow(self) -> Ref[T]:
        """A shared borrow (`&x`): any number at once, none while a `RefMut` is active."""
        frame = _getframe(1)  # site_of(frame), inlined: `with x.borrow()` is a hot path
        try:
            site = _SITES[id(frame.f_code)][frame.f_lasti]
        except KeyError:
            site = site_of(frame)
        return new_ref(self, site, current_scope())

    def borrow_mut(self) -> RefMut[T]:
        """An exclusive borrow (`&mut x`): the only borrow while it is active."""
        return new_ref_mut(self, site_of(_getframe(1)), current_scope())

    def move(self, into: Scope | None = None) -> Owned[T]:
        """Transfer ownership to a new handle (owned by `into`, default the current scope)."""
        return self._move(into, site_of(_getframe(1)))

    def _move(self, into: Scope | None, site: Site) -> Owned[T]:
        if into is None:
            return transfer(self, current_scope(), site)
        target = _check_target(into)
        if target is current_scope():
            return transfer(self, target, site)
        moved = transfer(self, ROOT, site)  # owned by nobody's list until adopted below
        moved._scope = target
        target._adopt_foreign(moved)
        return moved

    def drop(self) -> None:
        """Deallocate now, calling the value's `__drop__()` if it has one."""
        self._drop(site_of(_getframe(1)))

    def _drop(self, site: Site) -> None:
        if self._flag == 0:
            self._flag = DROPPED  # claimed: see _states
        elif self._flag == DROPPED:
            raise _blame.double_drop(self, site)
        else:
            raise _blame.move_error(self, site, "drop")
        _leave_scope(self)
        failure = free_dropped(self, site, None)
        if failure is not None:
            raise failure

    def clone(self) -> Owned[T]:
        """A deep copy in a new block of the same arena, owned by the current scope."""
        site = site_of(_getframe(1))
        if self._flag < 0:
            raise _blame.read_error(self, site)
        twin: Owned[T] = Owned(copy.deepcopy(self._value), arena=self._arena, size=self._size)
        twin._site = twin._allocated_at = site
        return twin

    def into_inner(self) -> T:
        """Move the value out of the arena: the block is freed, `__drop__` is not called."""
        site = site_of(_getframe(1))
        if self._flag == 0:
            self._flag = MOVED  # claimed: see _states
        else:
            raise _blame.move_error(self, site, "move out of")
        value = self._value
        self._aux = site
        self._value = None  # type: ignore[assignment]
        self._arena._release(self._address, self._size, "moved out")
        _leave_scope(self)
        return value

    @property
    def address(self) -> int:
        """The first cell of the block (kept after a move or drop, for messages)."""
        return self._address

    @property
    def size(self) -> int:
        """The block's size in cells."""
        return self._size

    @property
    def arena(self) -> Arena:
        return self._arena

    @property
    def allocated_at(self) -> Site:
        """Where the block was allocated (the `Owned(...)` call, kept across moves)."""
        return self._allocated_at

    @property
    def scope(self) -> Scope:
        """The scope that owns (or last owned) the value."""
        return self._scope

    @property
    def name(self) -> str | None:
        """The name errors use: given, or found from the assignment that created the handle."""
        return _blame.name_of(self)

    def __repr__(self) -> str:
        flag = self._flag
        block = f"{self._size} cell{'s' if self._size != 1 else ''} @0x{self._address:x}"
        if flag == MOVED:
            return f"<owned.Owned {block} (moved)>"
        if flag == DROPPED:
            return f"<owned.Owned {block} (dropped)>"
        state = "mutably borrowed" if flag == MUT else f"borrowed {flag}x" if flag else "alive"
        return f"<owned.Owned[{type(self._value).__name__}] {block} ({state})>"

    def __copy__(self) -> NoReturn:
        raise TypeError(
            "an Owned value has exactly one owner and cannot be copied: "
            "use x.clone() for a deep copy, or x.move() to hand it over"
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> Owned[T]:
        return self.clone()

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError(
            "an Owned value lives in an arena and cannot be pickled: pickle x.value instead"
        )


_SIZED: dict[type, bool] = {}


def _has_len(cls: type) -> bool:
    """Whether values of `cls` have a length: asked once per type, not once per value."""
    sized = _SIZED.get(cls)
    if sized is None:
        sized = _SIZED[cls] = hasattr(cls, "__len__")
    return sized


def transfer(handle: Owned[T], target: Scope, site: Site, made_at: Site | None = None) -> Owned[T]:
    """Move `handle` to a new handle owned by `target`, a scope of the calling thread or task.

    `site` is where the move happens; `made_at` (default: the same) is what the new handle
    reports as its origin, and names it: a parameter's site names a moved-in argument.
    """
    if handle._flag == 0:
        handle._flag = MOVED  # claimed: see _states
    else:
        raise _blame.move_error(handle, site, "move out of")
    moved: Owned[T] = object.__new__(Owned)
    moved._value = handle._value
    moved._flag = 0
    moved._arena = arena = handle._arena
    moved._address = address = handle._address
    moved._size = handle._size
    moved._scope = target
    moved._site = site if made_at is None else made_at
    moved._allocated_at = handle._allocated_at
    moved._aux = None
    arena._live[address] = moved
    if arena._recorder is not None:
        arena._recorder("move", moved, site, "root" if target is ROOT else target.name)
    handle._aux = site
    handle._value = None  # type: ignore[assignment]
    source = handle._scope
    if source is not ROOT:
        source._dead += 1
    if target is not ROOT:
        target._owned.append(moved)
    return moved


def undo_transfer(handle: Owned[T], moved: Owned[T]) -> None:
    """Give `moved`'s block back to `handle`, as if the transfer had never happened."""
    moved._flag = MOVED
    handle._value = moved._value
    handle._aux = None
    handle._arena._live[handle._address] = handle
    moved._value = None  # type: ignore[assignment]
    handle._flag = 0
    scope = handle._scope
    if scope is not ROOT:
        scope._dead -= 1


def _leave_scope(handle: Owned[Any]) -> None:
    scope = handle._scope
    if scope is not ROOT:
        scope._dead += 1


def _check_target(into: object) -> Scope:
    if not isinstance(into, Scope):
        raise TypeError(f"move(into=...) expects an owned.Scope or None, got {type(into).__name__}")
    if not into.is_active:
        raise ValueError(
            f"move(into=...) needs an active scope, but {into!r} is not: "
            "move into a scope whose `with` block is still running"
        )
    return into


def move(handle: Owned[T], into: Scope | None = None) -> Owned[T]:
    """`move(x)` is `x.move()`: a new owner for the same block; `x` is dead afterwards."""
    if type(handle) is not Owned:
        raise _blame.not_owned(handle, "move")
    return handle._move(into, site_of(_getframe(1)))


def drop(handle: Owned[Any]) -> None:
    """`drop(x)` is `x.drop()`: deallocate now; a second drop raises `DoubleDropError`."""
    if type(handle) is not Owned:
        raise _blame.not_owned(handle, "drop")
    handle._drop(site_of(_getframe(1)))


from ._borrows import Ref, RefMut, new_ref, new_ref_mut  # noqa: E402 - they import this module
from ._pointer import Pointer  # noqa: E402

HANDLE_TYPES.update((Owned, Ref, RefMut, Pointer))
