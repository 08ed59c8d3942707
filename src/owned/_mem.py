"""`replace`, `take` and `swap`: moving a value out of a place held mutably (Rust's `mem`).

A place is a `RefMut`, or an `Owned` (mutably borrowed for the duration of the call, so it
refuses exactly as `borrow_mut()` would). The values move with their handles: the parts of
the old value go to the current scope, the handles in the new one become parts of the place.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ._borrows import RefMut, lend
from ._handles import Owned, exchange, swap_values
from ._kinds import HANDLE_TYPES, reject_handle
from ._owners import current_owner
from ._sites import Site, site_at

__all__ = ["replace", "swap", "take"]

T = TypeVar("T")


def replace(place: RefMut[T] | Owned[T], value: T) -> T:
    """Put `value` into `place` and return the value it held (`mem::replace`)."""
    site = _site()
    _check_place(place, "replace")
    if type(value) in HANDLE_TYPES:
        reject_handle(value, "owned.replace(place, value)")
    with _held(place, site) as borrow:
        return exchange(borrow, value, site, current_owner())  # type: ignore[no-any-return]


def take(place: RefMut[T] | Owned[T]) -> T:
    """Put `type(old)()` into `place` and return the old value (`mem::take`, `Default`)."""
    site = _site()
    _check_place(place, "take")
    with _held(place, site) as borrow:
        old = borrow.value
        try:
            default = type(old)()
        except Exception as failure:
            raise TypeError(
                f"owned.take: {type(old).__name__}() failed, so there is no default to leave "
                f"in its place ({failure}); use owned.replace(place, value)"
            ) from failure
        return exchange(borrow, default, site, current_owner())  # type: ignore[no-any-return]


def swap(a: RefMut[T] | Owned[T], b: RefMut[T] | Owned[T]) -> None:
    """Exchange the values of two places (`mem::swap`); each one's parts go with it."""
    site = _site()
    _check_place(a, "swap")
    _check_place(b, "swap")
    with _held(a, site) as first, _held(b, site) as second:
        swap_values(first, second, site)


def _site() -> Site:
    frame = sys._getframe(2)  # the program's frame: this module is plain Python in both builds
    return site_at(frame.f_code, frame.f_lasti)


@contextmanager
def _held(place: object, site: Site) -> Iterator[Any]:
    """A RefMut of `place`: the one given, or one taken for the call (as `borrow_mut()`)."""
    if type(place) is RefMut:
        yield place
    else:
        with lend(place, True, site, current_owner()) as borrow:  # type: ignore[arg-type]
            yield borrow


def _check_place(place: object, what: str) -> None:
    if type(place) is not RefMut and type(place) is not Owned:
        raise TypeError(
            f"owned.{what} expects an owned.RefMut or an owned.Owned as its place, "
            f"got {type(place).__name__}"
        )
