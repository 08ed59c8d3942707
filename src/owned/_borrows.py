"""`Ref` and `RefMut`: shared and exclusive borrows of an `Owned` value."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final, Generic, NoReturn, TypeVar, final

from typing_extensions import Self

from . import _blame
from ._blame import HANDLE_TYPES, reject_handle
from ._scope import ROOT, Scope
from ._sites import Site, site_of
from ._states import MUT

if TYPE_CHECKING:
    from ._handles import Owned

__all__ = ["Ref", "RefMut", "new_ref", "new_ref_mut"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
U = TypeVar("U")
_getframe = sys._getframe
_new: Final = object.__new__

_SEALED = False  # until Ref and RefMut are defined below

# Why a borrow ended, in `_ended_at`: a Site (release() there), a Scope (that scope exited),
# or this marker (its `with` block ended).
WITH_BLOCK = "with"


class _Borrow:
    """What Ref and RefMut share: the owner, the scope the borrow ends with, and its sites."""

    __slots__ = ("_active", "_ended_at", "_owner", "_scope", "_site")

    _owner: Owned[Any]
    _active: bool
    _scope: Scope
    _site: Site
    _ended_at: Site | Scope | str | None

    def __init_subclass__(cls, **kwargs: object) -> None:
        if _SEALED:  # Ref and RefMut are the only kinds of borrow: the runtime checks exact types
            raise TypeError(f"owned.{cls.__mro__[1].__name__} cannot be subclassed")
        super().__init_subclass__(**kwargs)

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError(
            f"{type(self).__name__} has no public constructor: call x.borrow() or "
            "x.borrow_mut() on an owned.Owned"
        )

    @property
    def is_active(self) -> bool:
        """True until the borrow is released, its scope exits, or its owner is dropped."""
        return self._active and self._owner._flag >= MUT

    def release(self) -> None:
        """End the borrow now; releasing an ended borrow does nothing."""
        self._end(site_of(_getframe(1)))

    def __enter__(self) -> Self:
        return self

    def _end(self, reason: Site | str | type[BaseException] | None, *_exception: object) -> None:
        """End the borrow; `reason` is where it was released, or (as `__exit__`) not a Site."""
        if self._active:
            self._active = False  # claimed: see _states
        else:
            return
        owner = self._owner
        flag = owner._flag
        if flag > 0:
            owner._flag = flag - 1
        elif flag == MUT:
            owner._flag = 0
        released_at = reason if type(reason) is Site else None
        self._ended_at = WITH_BLOCK if released_at is None else released_at
        if owner._arena._recorder is not None:
            owner._arena._recorder("release", owner, released_at)
        borrows = self._scope._borrows
        if borrows is not None:
            borrows.discard(self)

    # `with x.borrow() as r:` ends the borrow at the block's end; `_end` gets the exception
    # type there (not a Site), so it is `__exit__` itself: one call less on every borrow.
    __exit__ = _end

    def _end_by(self, scope: Scope) -> None:
        """End the borrow because its scope exits (the scope forgets it itself)."""
        if self._active:
            self._scope = ROOT  # so that _end leaves the scope's set alone
            self._end(WITH_BLOCK)
            self._ended_at = scope

    def _checked_owner(self, depth: int) -> Owned[Any]:
        owner = self._owner
        if self._active and owner._flag >= MUT:
            return owner
        raise _blame.dangling(self, site_of(_getframe(depth + 1)))

    def __len__(self) -> int:
        return len(self._checked_owner(1)._value)

    def __contains__(self, item: object) -> bool:
        return item in self._checked_owner(1)._value

    def __bool__(self) -> bool:
        return bool(self._checked_owner(1)._value)

    def __copy__(self) -> NoReturn:
        raise TypeError(
            f"a {type(self).__name__} cannot be copied: call borrow() again for another borrow"
        )

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError(f"a {type(self).__name__} cannot be pickled: pickle its .value instead")

    def __repr__(self) -> str:
        owner = self._owner
        state = "active" if self.is_active else "ended"
        return f"<owned.{type(self).__name__} of {owner!r} ({state})>"


@final
class Ref(_Borrow, Generic[T_co]):
    """A shared borrow (`&T`): reads only; any number may be active at once."""

    __slots__ = ()
    __module__ = "owned"

    @property
    def value(self) -> T_co:
        owner = self._owner
        if self._active and owner._flag > 0:
            return owner._value  # type: ignore[no-any-return]
        raise _blame.dangling(self, site_of(_getframe(1)))

    def __iter__(self: Ref[Iterable[U]]) -> Iterator[U]:
        return iter(self._checked_owner(1)._value)

    def __getitem__(self, key: Any) -> Any:
        return self._checked_owner(1)._value[key]


@final
class RefMut(_Borrow, Generic[T]):
    """An exclusive borrow (`&mut T`): reads and writes; no other borrow while it is active."""

    __slots__ = ()
    __module__ = "owned"

    @property
    def value(self) -> T:
        owner = self._owner
        if self._active and owner._flag == MUT:
            return owner._value  # type: ignore[no-any-return]
        raise _blame.dangling(self, site_of(_getframe(1)))

    @value.setter
    def value(self, value: T) -> None:
        if type(value) in HANDLE_TYPES:
            reject_handle(value, "RefMut.value =")
        owner = self._owner
        if self._active and owner._flag == MUT:
            owner._value = value
            return
        raise _blame.dangling(self, site_of(_getframe(1)))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._checked_owner(1)._value)

    def __getitem__(self, key: Any) -> Any:
        return self._checked_owner(1)._value[key]

    def __setitem__(self, key: Any, item: Any) -> None:
        self._checked_owner(1)._value[key] = item

    def __delitem__(self, key: Any) -> None:
        del self._checked_owner(1)._value[key]


_SEALED = True


def new_ref(owner: Owned[T], site: Site, scope: Scope) -> Ref[T]:
    """Take a shared borrow of `owner` that ends, at the latest, when `scope` exits."""
    flag = owner._flag
    if flag >= 0:
        owner._flag = flag + 1  # claimed: see _states
    else:
        raise _blame.borrow_error(owner, site)
    ref: Ref[T] = _new(Ref)
    ref._owner = owner
    ref._active = True
    ref._scope = scope
    ref._site = site  # _ended_at stays unset until the borrow ends: nothing reads it before
    owner._aux = ref
    if owner._arena._recorder is not None:
        owner._arena._recorder("borrow", owner, site)
    if scope is not ROOT:
        borrows = scope._borrows
        if borrows is None:
            scope._borrows = borrows = set()
        borrows.add(ref)
    return ref


def new_ref_mut(owner: Owned[T], site: Site, scope: Scope) -> RefMut[T]:
    """Take an exclusive borrow of `owner` that ends, at the latest, when `scope` exits."""
    if owner._flag == 0:
        owner._flag = MUT  # claimed: see _states
    else:
        raise _blame.borrow_mut_error(owner, site)
    ref: RefMut[T] = _new(RefMut)
    ref._owner = owner
    ref._active = True
    ref._scope = scope
    ref._site = site  # _ended_at stays unset until the borrow ends: nothing reads it before
    owner._aux = ref
    if owner._arena._recorder is not None:
        owner._arena._recorder("borrow_mut", owner, site)
    if scope is not ROOT:
        borrows = scope._borrows
        if borrows is None:
            scope._borrows = borrows = set()
        borrows.add(ref)
    return ref
