"""`Ref` and `RefMut`: shared and exclusive borrows, and the loans behind them.

A borrow is two objects: the `Loan`, which the scope it was made in lists and which counts on
the borrowed place's state, and the guard the program holds (`Ref`/`RefMut`). The borrow ends
when the guard is released, leaves its `with` block, or is freed -- a temporary with its
statement, a name when rebound or deleted, `for y in x.borrow():` after the loop -- or when
its scope exits, whichever comes first. The scope holds the loan, never the guard, so its
bookkeeping keeps no borrow alive.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from types import GenericAlias
from typing import Any, Final, NoReturn

from ._kinds import HANDLE_TYPES, reject_handle, seal
from ._owners import Family, Handle, Owner, active_owners, shared_ancestor
from ._parts import adopt, family_of, walk
from ._refusals import BorrowFacts, dangling
from ._repr import html_of
from ._sites import Site, caller_site

try:
    import cython
except ImportError:  # interpreted, without Cython installed
    from . import _cython_shim as cython  # type: ignore[no-redef]

if not cython.compiled:
    from ._atomic import STATE, Reentrant, defer
    from ._states import MUT

__all__ = [
    "ENDED_BY_FREE",
    "ENDED_BY_RELEASE",
    "ENDED_BY_SCOPE",
    "ENDED_BY_WITH",
    "Loan",
    "Ref",
    "RefMut",
    "end_loan",
    "end_loans",
    "lend",
    "newest_loan_site",
    "read_only_view",
]

# Why a loan ended (`Loan._why`).
ACTIVE_LOAN = 0
ENDED_BY_RELEASE = 1  # release() at `_ended_at`
ENDED_BY_WITH = 2  # its `with` block ended
ENDED_BY_SCOPE = 3  # `_ended_at` (a scope) exited
ENDED_BY_FREE = 4  # its guard was freed (a temporary, a rebound name)
ENDED_BY_KEEPER = 5  # it was kept by a returned borrow, which ended

_WHY: Final = {
    ACTIVE_LOAN: "active",
    ENDED_BY_RELEASE: "released",
    ENDED_BY_WITH: "with",
    ENDED_BY_SCOPE: "scope",
    ENDED_BY_FREE: "freed",
    ENDED_BY_KEEPER: "scope",
}

# Set by `_handles`: drops the parts a write through a RefMut took out of the value.
_DROP_REPLACED: list[Callable[[Family, object, Site], None]] = []


class Loan:
    """One borrow of one place, listed by the scope it was made in (newest first)."""

    __slots__ = (
        "_active",
        "_ended_at",
        "_frozen",
        "_keeper",
        "_keeps",
        "_mut",
        "_next",
        "_place",
        "_prev",
        "_scope",
        "_site",
        "_why",
    )

    _active: bool
    _ended_at: Any  # a Site (released there) or a scope (its exit ended it)
    _frozen: Loan | None  # the mutable borrow this read-only reborrow freezes while it lives
    _keeper: Loan | None  # the returned borrow that keeps this argument borrow alive
    _keeps: list[Loan] | None  # the argument borrows a returned borrow keeps alive
    _mut: bool
    _next: Loan | None
    _place: Handle
    _prev: Loan | None
    _scope: Owner
    _site: Site
    _why: int

    def _facts(self) -> BorrowFacts:
        """What a refused use of this borrow reports."""
        return _loan_facts(self)


class _Borrow:
    """What Ref and RefMut share: the loan, and the place it reads."""

    __slots__ = ("_loan", "_place")

    _loan: Loan
    _place: Handle

    def __cinit__(self) -> None:
        self._loan = _NO_LOAN  # compiled: a guard made by __new__ alone borrows nothing
        self._place = _NO_LOAN._place

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError(
            f"{type(self).__name__} has no public constructor: call x.borrow() or "
            "x.borrow_mut() on an owned.Owned"
        )

    @property
    def is_active(self) -> bool:
        """True until the borrow ends, or its owner is moved or dropped. Never raises."""
        return self._loan._active and self._place._state >= MUT

    def release(self) -> None:
        """End the borrow now; releasing an ended borrow does nothing."""
        site = caller_site()
        if cython.compiled:
            end_loan(self._loan, ENDED_BY_RELEASE, site)
        else:
            with STATE:
                end_loan(self._loan, ENDED_BY_RELEASE, site)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        if cython.compiled:
            end_loan(self._loan, ENDED_BY_WITH, None)
        else:
            with STATE:
                end_loan(self._loan, ENDED_BY_WITH, None)

    @cython.locals(keeper=Loan)
    def __del__(self) -> None:
        loan = self._loan if cython.compiled else getattr(self, "_loan", None)
        if loan is None or loan is _NO_LOAN or not loan._active:
            return
        keeper = loan._keeper
        if keeper is not None and keeper._active:
            return  # an argument of a call whose returned borrow lives: it ends with that one
        if cython.compiled:
            end_loan(loan, ENDED_BY_FREE, None)
            return
        try:
            with STATE:
                end_loan(loan, ENDED_BY_FREE, None)
        except Reentrant:  # freed inside another operation of this thread: end it after that
            defer(functools.partial(end_loan, loan, ENDED_BY_FREE, None))

    def _dangling(self, site: Site) -> Exception:
        if self._loan is _NO_LOAN:
            return TypeError(
                f"this {type(self).__name__} was not made by borrow()/borrow_mut(): it borrows "
                "nothing"
            )
        return dangling(self._loan._facts(), site)

    def __len__(self) -> int:
        loan = self._loan
        place = self._place
        if loan._active and place._state >= MUT:
            return len(place._value)
        raise self._dangling(caller_site())

    def __contains__(self, item: object) -> bool:
        loan = self._loan
        place = self._place
        if loan._active and place._state >= MUT:
            return item in place._value
        raise self._dangling(caller_site())

    def __bool__(self) -> bool:
        loan = self._loan
        place = self._place
        if loan._active and place._state >= MUT:
            return bool(place._value)
        raise self._dangling(caller_site())

    def __iter__(self) -> Iterator[Any]:
        loan = self._loan
        place = self._place
        if loan._active and place._state >= MUT:
            return _Iteration(self, iter(place._value))
        raise self._dangling(caller_site())

    def __getitem__(self, key: Any) -> Any:
        loan = self._loan
        place = self._place
        if loan._active and place._state >= MUT:
            return place._value[key]
        raise self._dangling(caller_site())

    def __copy__(self) -> NoReturn:
        raise TypeError(
            f"a {type(self).__name__} cannot be copied: call borrow() again for another borrow"
        )

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError(f"a {type(self).__name__} cannot be pickled: pickle its .value instead")

    @property
    def owner(self) -> Any:
        """The handle this borrows (still the same handle after the borrow ended)."""
        return self._place

    def _repr_html_(self) -> str | None:
        """Value, state and owner as HTML, for notebooks (IPython's display protocol)."""
        return html_of(self)

    def __repr__(self) -> str:
        state = "active" if self.is_active else "ended"
        return f"<owned.{type(self).__name__} of {self._place!r} ({state})>"


class Ref(_Borrow):
    """A shared borrow (`&T`): reads only; any number may be active at once."""

    __slots__ = ()
    __module__ = "owned"
    __class_getitem__ = classmethod(GenericAlias)

    @property
    def value(self) -> Any:
        """The borrowed value. Raises `DanglingRefError` once the borrow has ended."""
        place = self._place
        if self._loan._active and place._state > 0:
            return place._value
        raise self._dangling(caller_site())


class RefMut(_Borrow):
    """An exclusive borrow (`&mut T`): reads and writes; no other borrow while it is active."""

    __slots__ = ()
    __module__ = "owned"
    __class_getitem__ = classmethod(GenericAlias)

    @property
    def value(self) -> Any:
        """The borrowed value. Raises `DanglingRefError` once the borrow has ended."""
        place = self._place
        if self._loan._active and place._state == MUT:
            return place._value
        raise self._dangling(caller_site())

    @value.setter
    def value(self, value: Any) -> None:
        site = caller_site()
        if type(value) in HANDLE_TYPES:
            reject_handle(value, "RefMut.value =")
        place = self._place
        if not (self._loan._active and place._state == MUT):
            raise self._dangling(site)
        _write(place, _WHOLE, value, place._value, site)

    def __setitem__(self, key: Any, item: Any) -> None:
        site = caller_site()
        place = self._place
        if not (self._loan._active and place._state == MUT):
            raise self._dangling(site)
        value = place._value
        cls = type(item)
        if cls is int or cls is str or cls is float:  # the common case: nothing to adopt
            old = _item_or_none(value, key)
            value[key] = item
            if old is not None:
                _dropped_parts(place, old, site)
            return
        _write(place, key, item, _item_or_none(value, key), site)

    def __delitem__(self, key: Any) -> None:
        site = caller_site()
        place = self._place
        if not (self._loan._active and place._state == MUT):
            raise self._dangling(site)
        value = place._value
        old = _item_or_none(value, key)
        del value[key]
        if old is not None:
            _dropped_parts(place, old, site)


def _loan_facts(loan: Loan) -> BorrowFacts:
    dependency = None
    borrowed_at = loan._site
    for kept in loan._keeps or ():
        if kept._place._state < MUT:  # a value it kept borrowed died: Rust's E0597
            dependency = kept._place._facts()
            borrowed_at = kept._site
            break
    ended_at = loan._ended_at
    if ended_at is not None and not isinstance(ended_at, Site):
        ended_at = ended_at.exited_at  # a scope
    why = _WHY[loan._why]
    place = loan._place
    if loan._active and place._state < MUT:
        why = "owner" if place._state == -2 else "active"
    return BorrowFacts(place._facts(), borrowed_at, why, ended_at, dependency)


_WHOLE: Final = object()

# The loan of a guard that borrows nothing (made by __new__ alone): ended, of a dead place.
_NOWHERE = Handle()
_NOWHERE._state = -3  # DROPPED
_NOWHERE._owner = _NOWHERE._value = _NOWHERE._arena = None  # type: ignore[assignment]
_NO_LOAN = Loan()
_NO_LOAN._place = _NOWHERE
_NO_LOAN._active = False
_NO_LOAN._why = ENDED_BY_WITH
_NO_LOAN._ended_at = _NO_LOAN._keeps = _NO_LOAN._keeper = _NO_LOAN._frozen = None
_NO_LOAN._next = _NO_LOAN._prev = None
_NO_LOAN._mut = False  # `_write`'s key for the whole value (`m.value = v`)


def _item_or_none(value: Any, key: Any) -> Any:
    try:
        return value[key]
    except (LookupError, TypeError):
        return None


def write(place: Handle, new: object, site: Site) -> None:
    """`place.value = new`, for a place the caller may write: see `_write`."""
    _write(place, _WHOLE, new, place._value, site)


def set_drop_replaced(dropper: Callable[[Family, object, Site], None]) -> None:
    """Install what drops the parts a write takes out of a value (the owners' layer has it)."""
    _DROP_REPLACED[:] = [dropper]


def _write(place: Handle, key: object, new: object, old: object, site: Site) -> None:
    """Store `new` at `key` of `place`'s value (or as the value): its handles become parts,
    and the parts it replaces are dropped."""
    found: list[Handle] = []
    walk(new, found)
    if found:
        refusal = place._parts_refused(found, site)
        if refusal is not None:
            raise refusal
    if key is _WHOLE:
        place._value = new
    else:
        place._value[key] = new
    if found:
        family = family_of(place, True)
        for handle in found:
            adopt(family, handle, site)
    if old is not None:
        _dropped_parts(place, old, site)


def _dropped_parts(place: Handle, old: object, site: Site) -> None:
    """Drop the parts of `place` that left its value with `old` (as Rust drops a replaced value)."""
    family = family_of(place, False)
    if family is None:
        return
    cls = type(old)
    if cls is int or cls is str or cls is float:
        return
    _DROP_REPLACED[0](family, old, site)


class _Iteration:
    """`iter(borrow)`: the value's own iterator, holding the borrow until the loop is over."""

    __slots__ = ("_borrow", "_iterator")

    def __init__(self, borrow: _Borrow, iterator: Iterator[Any]) -> None:
        self._borrow = borrow
        self._iterator = iterator

    def __iter__(self) -> _Iteration:
        return self

    def __next__(self) -> Any:
        borrow = self._borrow
        if borrow._loan._active and borrow._place._state >= MUT:
            return next(self._iterator)
        raise borrow._dangling(caller_site())


HANDLE_TYPES.update((Ref, RefMut))
seal(Ref)
seal(RefMut)


def lend(place: Handle, mut: bool, site: Site, scope: Owner) -> _Borrow:
    """A new borrow of `place`, listed by `scope`; refuses (changing nothing) as the rules say."""
    loan: Loan = Loan.__new__(Loan)
    loan._place = place
    loan._scope = scope
    loan._site = site
    loan._mut = mut
    loan._active = True
    loan._why = ACTIVE_LOAN
    loan._ended_at = None
    loan._keeps = None
    loan._keeper = None
    loan._frozen = None
    loan._prev = None
    if mut:
        borrow = RefMut.__new__(RefMut)
    else:
        borrow = Ref.__new__(Ref)
    borrow._loan = loan
    borrow._place = place
    if cython.compiled:
        refused = _take(place, loan, mut)
    else:
        with STATE:
            refused = _take(place, loan, mut)
    if refused:
        borrow._loan = None  # type: ignore[assignment]  # never lent: nothing to end
        raise place._borrow_refused(mut, site)
    arena = place._arena
    if arena is not None and arena._recorder is not None:
        arena._recorder("borrow_mut" if mut else "borrow", place, site)
    return borrow


def _take(place: Handle, loan: Loan, mut: bool) -> bool:
    """Count the loan on the place and list it in its scope; True if the rules refuse it."""
    state = place._state
    if mut:
        if state != 0 or shared_ancestor(place) is not None:
            return True
        place._state = MUT
    elif state >= 0:
        place._state = state + 1
    else:
        return True
    scope = loan._scope
    newest = scope._loans
    loan._next = newest
    if newest is not None:
        newest._prev = loan
    scope._loans = loan
    return False


def end_loan(loan: Loan, why: int, at: object) -> None:
    """End a borrow: uncount it, unlist it, and end the borrows it kept alive."""
    if not loan._active:
        return
    loan._active = False
    loan._why = why
    loan._ended_at = at
    place = loan._place
    state = place._state
    if loan._mut:
        if state == MUT:
            place._state = 0
    elif loan._frozen is not None:
        if state == 1 and loan._frozen._active:
            place._state = MUT  # the mutable borrow it froze is usable again
    elif state > 0:
        place._state = state - 1
    _unlist(loan)
    keeps = loan._keeps
    if keeps is not None:
        for kept in keeps:
            end_loan(kept, ENDED_BY_KEEPER, at)
    arena = place._arena
    if arena is not None and arena._recorder is not None and state >= MUT:
        arena._recorder("release", place, at if type(at) is Site else None)


def _unlist(loan: Loan) -> None:
    before = loan._prev
    after = loan._next
    if after is not None:
        after._prev = before
    if before is not None:
        before._next = after
    else:
        loan._scope._loans = after
    loan._prev = loan._next = None


def end_loans(scope: Owner) -> None:
    """End every borrow still listed by `scope`: it exits (ended_at is the scope)."""
    loan = scope._loans
    while loan is not None:
        following = loan._next
        end_loan(loan, ENDED_BY_SCOPE, scope)
        loan = following


def move_loan(loan: Loan, scope: Owner) -> None:
    """List an active borrow under another scope (a borrow returned from a call)."""
    _unlist(loan)
    loan._scope = scope
    newest = scope._loans
    loan._next = newest
    if newest is not None:
        newest._prev = loan
    scope._loans = loan


def read_only_view(borrow: _Borrow, site: Site, scope: Owner) -> _Borrow:
    """A `Ref` for an active `RefMut`, which it freezes while it lives (Rust's `&*m`)."""
    place = borrow._place
    loan: Loan = Loan.__new__(Loan)
    loan._place = place
    loan._scope = scope
    loan._site = site
    loan._mut = False
    loan._active = True
    loan._why = ACTIVE_LOAN
    loan._ended_at = None
    loan._keeps = None
    loan._keeper = None
    loan._frozen = borrow._loan
    loan._prev = None
    view: _Borrow = Ref.__new__(Ref)
    view._loan = loan
    view._place = place
    if cython.compiled:
        _freeze(place, loan)
    else:
        with STATE:
            _freeze(place, loan)
    return view


def _freeze(place: Handle, loan: Loan) -> None:
    place._state = 1
    scope = loan._scope
    newest = scope._loans
    loan._next = newest
    if newest is not None:
        newest._prev = loan
    scope._loans = loan


def loan_of(borrow: _Borrow) -> Loan:
    return borrow._loan


def newest_loan_site(place: Handle) -> Site | None:
    """Where the newest active borrow of `place` was taken (for the message of a refusal)."""
    found = None
    for scope in active_owners():
        loan = scope._loans
        while loan is not None:
            if loan._place is place and loan._active:
                found = loan._site
                break
            loan = loan._next
    return found


if not cython.compiled:  # interpreted, a KeyboardInterrupt waits until the operation is over
    from ._atomic import protect_module

    protect_module(globals())
