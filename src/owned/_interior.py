"""Interior mutability: `RefCell` (borrows checked at run time) and `Cell` (no borrows).

A `RefCell` is a plain value that can be a part of another (it is found in an `Rc`'s or an
`Owned`'s value and dropped with it), or a local of the scope it was made in. What it holds
lives in its `_CellPlace`, a place the core's `lend` borrows as it borrows an `Owned`: the
borrows are real `Ref`/`RefMut` guards, and a `RefMut` written through adopts the handles it is
given as parts of the cell. The place is never a part of anything, so a shared borrow of the
value holding the cell does not freeze it: that is what interior mutability is for.
"""

from __future__ import annotations

from typing import Any, Generic, NoReturn, TypeVar, final

from ._borrows import Ref, RefMut, lend, newest_loan_site, write
from ._errors import BorrowError, BorrowMutError
from ._glue import STATE, drop_value, end_site, handles_in, never_raises, refuse_parts, user_site
from ._kinds import HANDLE_TYPES, seal
from ._owners import Handle, Owner, current_owner, left, own
from ._parts import adopt, family_of, register_owning
from ._refusals import Facts, dead_use
from ._sites import Site
from ._states import DROPPED, MOVED, MUT

__all__ = ["Cell", "CellPlace", "RefCell", "cell_place", "conflict"]

T = TypeVar("T")

# What a place inside a cell belongs to: no scope, no value (so nothing it is in can freeze it).
_NO_OWNER = Owner()
_NO_OWNER._state = 1  # ACTIVE


class CellPlace(Handle):
    """The place inside a `RefCell` or `Mutex`: what its borrows borrow, and its parts' head."""

    __slots__ = ("_cell", "_kind", "_site")

    _cell: Any
    _kind: str  # "RefCell" or "Mutex": the wording of its refusals
    _site: Site

    def _facts(self) -> Facts:
        loan_at = newest_loan_site(self) if self._state > 0 or self._state == MUT else None
        cell = self._cell
        state = self._state if cell._state >= MUT else cell._state
        ended = end_site(cell._value) if state < MUT else None
        return Facts(self._cell, state, self._site, ended, self._site, loan_at)

    def _borrow_refused(self, mut: bool, site: Site) -> Exception:
        return conflict(self, mut, site)

    def _parts_refused(self, found: list[Handle], site: Site) -> Exception | None:
        return refuse_parts(family_of(self, False), found, site)

    @property
    def name(self) -> str | None:
        return self._site.assigned_name()

    @never_raises
    def __repr__(self) -> str:
        return repr(self._cell)


def new_place(cell: Handle, kind: str, value: object, site: Site) -> CellPlace:
    """Make the place of a new cell holding `value`; its handles become the cell's parts."""
    found = handles_in(value)
    if found:
        refusal = refuse_parts(None, found, site)
        if refusal is not None:
            raise refusal
    owner = current_owner()
    arena = owner.arena
    place = CellPlace.__new__(CellPlace)
    place._cell = cell
    place._kind = kind
    place._site = site
    place._value = value
    place._arena = arena
    place._owner = _NO_OWNER
    cell._arena = arena
    cell._value = None
    with STATE:
        place._state = 0
        cell._state = 0
        own(owner, cell)  # a local of this scope until a value takes it in
        if found:
            family = family_of(place, True)
            assert family is not None
            for handle in found:
                adopt(family, handle, site)
    return place


def conflict(place: CellPlace, mut: bool, site: Site) -> Exception:
    """RefCell's own runtime error for a refused borrow (Rust panics with these words)."""
    facts = place._facts()
    if facts.state < MUT:
        return dead_use(facts, site)
    if not mut:
        error: Exception = BorrowError(
            f"{place._kind} already mutably borrowed: BorrowError",
            name=facts.naming.assigned_name() if facts.naming else None,
            labels=(("mutable borrow occurs here", facts.loan_at), ("borrowed again here", site)),
            help="end the RefMut first (release(), `with`, or del) before borrowing again",
            borrowed_at=facts.loan_at,
            used_at=site,
        )
    else:
        error = BorrowMutError(
            f"{place._kind} already borrowed: BorrowMutError",
            name=facts.naming.assigned_name() if facts.naming else None,
            labels=(("borrow occurs here", facts.loan_at), ("mutably borrowed again here", site)),
            help="end the other borrows first (release(), `with`, or del) before borrow_mut()",
            borrowed_at=facts.loan_at,
            used_at=site,
        )
    error.code = None  # type: ignore[attr-defined]  # a runtime panic in Rust: no error code
    return error


def drop_cell(cell: Handle, place: CellPlace, end: object, failures: list[BaseException]) -> None:
    """The cell's owner drops it: its value's parts go with it; its borrows dangle."""
    with STATE:
        if cell._state < MUT:
            return
        cell._state = DROPPED
        cell._value = end
        value = place._value
        place._state = DROPPED
    drop_value(place, value, end, failures)


def take_out(cell: Handle, place: CellPlace, site: Site) -> Any:
    """Consume the cell: return its value; its parts go to the current scope, alive."""
    if place._state != 0 or cell._state != 0:
        raise conflict(place, True, site)
    scope = current_owner()
    with STATE:
        value = place._value
        cell._state = place._state = MOVED
        cell._value = site
        left(cell._owner, cell)
        family = place._arena._families.pop(place, None)
        if family is not None:
            for part in family._live_members():
                left(family, part)
                own(scope, part)
    return value


def replace_value(place: CellPlace, new: object, site: Site) -> Any:
    """Put `new` into the place (borrowed mutably meanwhile); return the old value, whose
    handles go to the current scope, alive (`mem::replace`)."""
    guard = lend(place, True, site, current_owner())
    try:
        old = place._value
        family = family_of(place, False)
        if family is not None:
            kept = {id(h) for h in handles_in(new)}
            scope = current_owner()
            with STATE:
                for part in handles_in(old):
                    if part._owner is family and id(part) not in kept:
                        left(family, part)
                        own(scope, part)
        write(place, new, site)
    finally:
        guard.release()
    return old


@final
class RefCell(Handle, Generic[T]):
    """A value whose borrows are checked when they are taken (Rust's `RefCell<T>`).

    `borrow()`/`borrow_mut()` return `Ref`/`RefMut` under the same rules as an `Owned`'s
    borrows; a conflict raises `BorrowError`/`BorrowMutError` with RefCell's own message.
    """

    __slots__ = ("_place",)
    __module__ = "owned"

    _place: CellPlace

    def __init__(self, value: T) -> None:
        if type(value) in HANDLE_TYPES:
            raise TypeError(f"RefCell expects a value, got {value!r}: borrow its .value instead")
        self._place = new_place(self, "RefCell", value, user_site())

    def borrow(self) -> Ref[T]:
        """A shared borrow of the value; `BorrowError` while a `RefMut` of it is active."""
        return lend(self._place, False, user_site(), current_owner())  # type: ignore[return-value]

    def borrow_mut(self) -> RefMut[T]:
        """An exclusive borrow of the value; `BorrowMutError` while any borrow is active."""
        return lend(self._place, True, user_site(), current_owner())  # type: ignore[return-value]

    def replace(self, value: T) -> T:
        """Put `value` in and return the old one (`RefCell::replace`)."""
        return replace_value(self._place, value, user_site())  # type: ignore[no-any-return]

    def take(self) -> T:
        """Put `type(old)()` in and return the old value (`RefCell::take`)."""
        site = user_site()
        old = self._place._value
        return replace_value(self._place, type(old)(), site)  # type: ignore[no-any-return]

    def swap(self, other: RefCell[T]) -> None:
        """Exchange the values of two cells (both borrowed mutably meanwhile)."""
        site = user_site()
        if type(other) is not RefCell:
            raise TypeError(f"RefCell.swap expects a RefCell, got {type(other).__name__}")
        if other is self:
            return
        mine = lend(self._place, True, site, current_owner())
        try:
            theirs = lend(other._place, True, site, current_owner())
        finally:
            mine.release()
        theirs.release()
        first = replace_value(self._place, None, site)
        second = replace_value(other._place, first, site)
        replace_value(self._place, second, site)

    def into_inner(self) -> T:
        """Consume the cell and return its value; its handles go to the current scope."""
        return take_out(self, self._place, user_site())  # type: ignore[no-any-return]

    @property
    def is_alive(self) -> bool:
        return self._state >= MUT

    @property
    def arena(self) -> None:
        """A cell has no block of its own (its value lives in its owner's)."""
        return None

    @property
    def name(self) -> str | None:
        return self._place.name

    def _facts(self) -> Facts:
        return self._place._facts()._replace(handle=self)

    def _parts(self) -> list[Any]:
        family = family_of(self._place, False) if self._state >= MUT else None
        return [] if family is None else family._live_members()

    def _drop_as_part(self, end: object, failures: list[BaseException]) -> None:
        drop_cell(self, self._place, end, failures)

    @never_raises
    def __repr__(self) -> str:
        return cell_repr("RefCell", self, self._place)

    def __copy__(self) -> NoReturn:
        raise TypeError("a RefCell is one place: make another with RefCell(c.borrow().value)")

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a RefCell cannot be pickled: pickle its borrow().value instead")


def cell_repr(kind: str, cell: Handle, place: CellPlace, extra: str = "") -> str:
    """`<owned.RefCell value=5 (borrowed 2x)>`, as Rust's `{:?}` shows a cell; never raises."""
    state = cell._state
    if state == MOVED:
        return f"<owned.{kind} (moved out)>"
    if state == DROPPED:
        return f"<owned.{kind} (dropped)>"
    borrows = place._state
    what = (
        "mutably borrowed"
        if borrows == MUT
        else f"borrowed {borrows}x"
        if borrows > 0
        else "not borrowed"
    )
    if kind == "Mutex":
        what = "locked" if borrows == MUT else "unlocked"
    field = "data" if kind == "Mutex" else "value"
    shown = "<borrowed>" if borrows == MUT else safe_repr(place._value)
    return f"<owned.{kind} {field}={shown} ({what}{extra})>"


def safe_repr(value: object) -> str:
    """`repr(value)`, shortened; a repr that raises is shown by its type."""
    try:
        text = repr(value)
    except Exception:
        return f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


def cell_place(cell: Any) -> CellPlace:
    return cell._place  # type: ignore[no-any-return]


register_owning(RefCell)
seal(RefCell)


@final
class Cell(Generic[T]):
    """A value replaced whole, never borrowed (Rust's `Cell<T>`): for plain values."""

    __slots__ = ("_value",)
    __module__ = "owned"

    def __init__(self, value: T) -> None:
        self._value = _plain(value)

    def get(self) -> T:
        return self._value

    def set(self, value: T) -> None:
        self._value = _plain(value)

    def replace(self, value: T) -> T:
        old, self._value = self._value, _plain(value)
        return old

    def take(self) -> T:
        old = self._value
        self._value = type(old)()
        return old

    def swap(self, other: Cell[T]) -> None:
        if type(other) is not Cell:
            raise TypeError(f"Cell.swap expects a Cell, got {type(other).__name__}")
        self._value, other._value = other._value, self._value

    @never_raises
    def __repr__(self) -> str:
        return f"<owned.Cell {self._value!r}>"


def _plain(value: T) -> T:
    if handles_in(value) or type(value) in HANDLE_TYPES:
        raise TypeError(
            f"a Cell holds plain values, got one holding a handle ({value!r}): use a RefCell"
        )
    return value


seal(Cell)
