"""Shared ownership: `Rc` and `Weak` (Rust's `std::rc`), and the shared box they point to.

An `Rc` is a handle like `Owned`: a scope's member or a part of a value, moved and dropped
the same ways. Its block is a `_Box`, which the arena lists (`arena._shared`) because no
scope does; the box owns the parts of the value and is freed, `__drop__` first, when its last
strong handle goes. A cycle of `Rc`s through their values keeps boxes alive that no scope can
reach: `cycle_leaks` finds them, in time linear in the live handles and boxes.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, final

from ._arena import Arena
from ._borrows import Ref, lend, newest_loan_site
from ._cells import cells_for
from ._errors import BorrowMutError, NotSendError
from ._glue import (
    STATE,
    drop_value,
    end_site,
    handles_in,
    never_raises,
    refuse_parts,
    site_of,
    user_site,
)
from ._handles import _target, raise_failures  # type: ignore[attr-defined]
from ._kinds import HANDLE_TYPES, seal
from ._owners import Family, Handle, Owner, active_owners, current_owner, left, own, root_owner
from ._parts import adopt, family_of, register_owning
from ._refusals import Facts, double_drop, move_error, read_error
from ._sites import Site, named
from ._states import DROPPED, MOVED, MUT

__all__ = ["Rc", "SharedHandle", "Weak", "cycle_leaks", "not_send"]

if TYPE_CHECKING:
    from typing_extensions import Self

T = TypeVar("T")
_get_ident = threading.get_ident
_getframe = sys._getframe


class _Box(Handle):
    """The block shared by the strong handles of one value; `_owner` is None (no scope)."""

    __slots__ = ("_address", "_allocated_at", "_kind", "_size", "_strong", "_thread", "_weak")

    _address: int
    _allocated_at: Site
    _kind: str  # "Rc" or "Arc"
    _size: int
    _strong: int
    _thread: int | None  # the thread an Rc was made in; None for an Arc (Send)
    _weak: int

    @property
    def address(self) -> int:
        return self._address

    @property
    def size(self) -> int:
        return self._size

    @property
    def arena(self) -> Arena:
        return self._arena  # type: ignore[no-any-return]

    @property
    def is_alive(self) -> bool:
        return self._state >= MUT

    @property
    def allocated_at(self) -> Site:
        return self._allocated_at

    @property
    def name(self) -> str | None:
        return self._allocated_at.assigned_name()

    def _value_type(self) -> type:
        return type(self._value)

    def _parts(self) -> list[Any]:
        family = family_of(self, False) if self._state >= MUT else None
        return [] if family is None else family._live_members()

    @never_raises
    def __repr__(self) -> str:
        return (
            f"<owned.{self._kind} box[{type(self._value).__name__}] strong={self._strong} "
            f"weak={self._weak}>"
        )


def not_send(kind: str, value: object, site: Site, *, shared: bool = False) -> NotSendError:
    """rustc's E0277 for an `Rc` (or a borrow of one) that reaches another thread."""
    what = f"`{kind}<{type(value).__name__}>`"
    verb = "shared" if shared else "sent"
    return NotSendError(
        f"{what} cannot be {verb} between threads safely",
        labels=((f"{what} cannot be {verb} between threads safely", site),),
        help=f"the trait `Send` is not implemented for {what}: use owned.Arc, which is",
        used_at=site,
    )


def _write_refused(kind: str, handle: SharedHandle[Any], site: Site) -> BorrowMutError:
    inner = "RefCell" if kind == "Rc" else "Mutex"
    return BorrowMutError(
        f"cannot borrow data in an `{kind}` as mutable",
        code="E0596",
        name=handle.name,
        labels=(("cannot borrow as mutable", site),),
        help=(
            "trait `DerefMut` is required to modify through a dereference, but it is not "
            f"implemented for `{kind}<{type(handle._box._value).__name__}>`: put a `{inner}` "
            f"inside, `{kind}({inner}(v))`"
        ),
        used_at=site,
    )


class SharedHandle(Handle, Generic[T]):
    """What `Rc` and `Arc` share: a strong handle of one `_Box`.

    `_value` is the box's value while alive (what its borrows read), else where it ended.
    """

    __slots__ = ("_box", "_site")

    _box: _Box
    _site: Any  # a Site, or the (code, offset) it is made from when asked: see `site_of`

    def __init__(
        self,
        value: T,
        *,
        arena: Arena | None = None,
        size: int | None = None,
        name: str | None = None,
    ) -> None:
        site = user_site()
        cls = type(self)
        kind = cls.__name__
        if hasattr(self, "_box"):
            raise TypeError(f"{kind}.__init__ runs once, when the handle is made")
        if type(value) in HANDLE_TYPES:
            raise TypeError(f"{kind} expects a plain value, got a handle ({value!r})")
        owner = current_owner()
        where = owner.arena if arena is None else arena
        if type(where) is not Arena:
            raise TypeError(f"{kind}(arena=...) expects an owned.Arena or None")
        cells = cells_for(value, size, kind)
        if name is not None:
            if type(name) is not str:
                raise TypeError(f"{kind}(name=...) expects a str or None")
            site = named(site, name)
        found = handles_in(value)
        if found:
            refusal = refuse_parts(None, found, site)
            if refusal is not None:
                raise refusal
        box = _Box.__new__(_Box)
        box._value = value
        box._arena = where
        box._owner = None  # type: ignore[assignment]  # owned by its strong handles
        box._kind = kind
        box._size = cells
        box._allocated_at = site
        box._strong = 1
        box._weak = 0
        box._thread = _get_ident() if kind == "Rc" else None
        self._box = box
        self._site = site
        self._value = value
        self._arena = where
        with STATE:
            box._address = where._allocate(cells)
            box._state = 0
            where._shared[box._address] = box
            self._state = 0
            own(owner, self)
            if found:
                family = family_of(box, True)
                assert family is not None
                for handle in found:
                    adopt(family, handle, site)

    # -- reading -------------------------------------------------------------------------------

    @property
    def value(self) -> T:
        """The shared value (read only: put a RefCell or Mutex inside to change it)."""
        if self._state >= 0:
            box = self._box
            if box._thread is None or box._thread == _get_ident():
                return self._value  # type: ignore[no-any-return]
        raise self._refusal(user_site())

    @value.setter
    def value(self, value: object) -> None:
        site = user_site()
        self._check(site)
        raise _write_refused(type(self).__name__, self, site)

    def borrow(self) -> Ref[T]:
        """A shared borrow of the value (`&*rc`)."""
        site = user_site()
        self._check(site)
        return lend(self, False, site, current_owner())  # type: ignore[return-value]

    def borrow_mut(self) -> NoReturn:
        """Refused: shared data cannot be borrowed mutably (E0596)."""
        site = user_site()
        self._check(site)
        raise _write_refused(type(self).__name__, self, site)

    @property
    def strong_count(self) -> int:
        """How many strong handles share the value (`Rc::strong_count`)."""
        self._check(user_site())
        return self._box._strong

    @property
    def weak_count(self) -> int:
        """How many `Weak` handles point to the value (`Rc::weak_count`)."""
        self._check(user_site())
        return self._box._weak

    @property
    def is_alive(self) -> bool:
        """True until this handle is moved or dropped. Never raises."""
        return self._state >= MUT

    # -- sharing, moving, dropping ---------------------------------------------------------------

    def clone(self) -> Self:
        """Another strong handle of the same value, owned by the current scope (no copy)."""
        frame = _getframe(1)
        where = (frame.f_code, frame.f_lasti)  # a Site only if asked for: see `site_of`
        cls = type(self)
        twin = cls.__new__(cls)
        box = self._box
        twin._box = box
        twin._site = where
        twin._arena = self._arena
        if box._thread is None:  # an Arc: other threads count too
            with STATE:
                _add_strong(self, twin, box, where)
        else:  # an Rc: only its own thread gets past the check, so no lock is needed
            _add_strong(self, twin, box, where)
        return twin

    def downgrade(self) -> Weak[T]:
        """A `Weak` of the value: it does not keep the value alive (`Rc::downgrade`)."""
        site = user_site()
        weak = Weak.__new__(Weak)
        box = self._box
        weak._box = box
        weak._site = site
        weak._arena = self._arena
        weak._value = None
        owner = current_owner()
        with STATE:
            if self._state < 0 or (box._thread is not None and box._thread != _get_ident()):
                raise self._refusal(site)
            weak._state = 0
            box._weak += 1
            own(owner, weak)
        return weak

    def move(self, into: Any = None) -> Self:
        """Hand this strong handle over to a new one owned by `into` (default: the current
        scope); this one is dead afterwards."""
        return move_shared(self, _target(into), user_site())  # type: ignore[no-any-return]

    def drop(self) -> None:
        """Drop this strong handle; the value goes with the last one."""
        frame = _getframe(1)
        where = (frame.f_code, frame.f_lasti)
        if self._box._thread is None:
            with STATE:
                value = _claim(self, where)
        else:
            value = _claim(self, where)
        if value is not _ALIVE:
            site = site_of(where)
            failures: list[BaseException] = []
            drop_value(self._box, value, site, failures)
            raise_failures(failures, f"dropping the last {type(self).__name__} of the value")

    @staticmethod
    def ptr_eq(a: SharedHandle[Any], b: SharedHandle[Any]) -> bool:
        """True when both handles point to the same value (`Rc::ptr_eq`)."""
        return a._box is b._box

    # -- what the core and the census read ------------------------------------------------------

    def _wrong_thread(self) -> bool:
        thread = self._box._thread
        return thread is not None and thread != _get_ident()

    def _check(self, site: Site) -> None:
        if self._state < 0 or self._wrong_thread():
            raise self._refusal(site)

    def _refusal(self, site: Site, verb: str = "use") -> Exception:
        if self._wrong_thread():
            return not_send(type(self).__name__, self._box._value, site)
        if verb == "drop":
            if self._state == DROPPED:
                return double_drop(self._facts(), site)
            return move_error(self._facts(), site, "drop")
        if verb == "move":
            return move_error(self._facts(), site, "move out of")
        return read_error(self._facts(), site)

    def _facts(self) -> Facts:
        loan_at = newest_loan_site(self) if self._state > 0 else None
        ended = end_site(self._value) if self._state < MUT else None
        naming = site_of(self._site)
        return Facts(self, self._state, naming, ended, self._box._allocated_at, loan_at)

    def _borrow_refused(self, mut: bool, site: Site) -> Exception:
        return read_error(self._facts(), site)

    def _drop_as_part(self, end: object, failures: list[BaseException]) -> None:
        with STATE:
            if self._state < MUT:
                return
            value = _release(self, end, leave=False)
        if value is not _ALIVE:
            drop_value(self._box, value, end, failures)

    def _parts(self) -> list[Any]:
        return []  # the box's parts are the box's (the census reaches them through the box)

    def _value_type(self) -> type:
        return type(self._box._value)

    @property
    def name(self) -> str | None:
        return site_of(self._site).assigned_name()

    @property
    def scope(self) -> Any:
        """The scope that owns this handle (through every value it is a part of), or last did."""
        return root_owner(self) if self._state >= MUT else self._owner

    @property
    def owner(self) -> Any:
        """What owns this handle directly: a scope, or the value (`Owned`, box) it is a part of."""
        owner = self._owner
        return owner._head if type(owner) is Family else owner

    @property
    def arena(self) -> Arena:
        return self._arena  # type: ignore[no-any-return]

    @property
    def address(self) -> int:
        return self._box._address

    @property
    def size(self) -> int:
        return self._box._size

    @property
    def allocated_at(self) -> Site:
        return self._box._allocated_at

    @never_raises
    def __repr__(self) -> str:
        kind = type(self).__name__
        box = self._box
        state = self._state
        if state == MOVED:
            return f"<owned.{kind} (moved)>"
        if state == DROPPED:
            return f"<owned.{kind} (dropped)>"
        what = f"borrowed {state}x" if state > 0 else "alive"
        if type(self._owner) is Family:
            what += ", a part"
        return (
            f"<owned.{kind}[{type(box._value).__name__}] strong={box._strong} weak={box._weak} "
            f"@0x{box._address:x} ({what})>"
        )

    def __copy__(self) -> NoReturn:
        raise TypeError(f"use {type(self).__name__.lower()}.clone() for another handle")

    def __deepcopy__(self, memo: dict[Any, Any]) -> Any:
        return self.clone()  # cloning the value that holds it shares the box, as Rust's Clone

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError(f"an {type(self).__name__} lives in an arena and cannot be pickled")


_ALIVE: Any = object()  # what `_release` returns when the value lives on


def _add_strong(handle: SharedHandle[Any], twin: SharedHandle[Any], box: _Box, where: Any) -> None:
    if handle._state < 0 or (box._thread is not None and box._thread != _get_ident()):
        raise handle._refusal(site_of(where))
    twin._value = handle._value
    twin._state = 0
    box._strong += 1
    own(current_owner(), twin)


def _claim(handle: SharedHandle[Any], where: Any) -> Any:
    """Drop one strong handle (the commit); the value if it was the last, else `_ALIVE`."""
    if handle._state != 0 or handle._wrong_thread():
        raise handle._refusal(site_of(where), "drop")
    if handle._box._strong == 1:
        return _release(handle, site_of(where))
    return _release(handle, where)


def _release(handle: SharedHandle[Any], end: object, *, leave: bool = True) -> Any:
    """Mark a strong handle dropped (under STATE); return the value if it was the last one."""
    box = handle._box
    handle._state = DROPPED
    handle._value = end
    if leave:
        left(handle._owner, handle)
    box._strong -= 1
    if box._strong:
        return _ALIVE
    value = box._value
    box._state = DROPPED
    box._value = end
    arena: Arena = box._arena
    arena._shared.pop(box._address, None)
    arena._release(box._address, box._size)
    return value


def move_shared(handle: Any, target: Owner, site: Site) -> Any:
    """Move a strong or weak handle to a new one owned by `target` (the old one is dead)."""
    cls: Any = type(handle)
    moved = cls.__new__(cls)
    moved._box = handle._box
    moved._site = site
    moved._arena = handle._arena
    with STATE:
        if handle._state != 0 or handle._wrong_thread():
            raise handle._refusal(site, "move")
        moved._value = handle._value
        moved._state = 0
        handle._state = MOVED
        handle._value = site
        left(handle._owner, handle)
        own(target, moved)
    return moved


@final
class Rc(SharedHandle[T]):
    """One strong owner of a shared value (Rust's `Rc<T>`); not for other threads.

    `Rc(value, *, arena=None, size=None, name=None)` allocates like `Owned`; `rc.clone()` is
    another strong handle of the same block; the block is freed with the last one.
    """

    __slots__ = ()
    __module__ = "owned"


@final
class Weak(Handle, Generic[T]):
    """A handle that points to a shared value without keeping it alive (`rc::Weak<T>`).

    Made by `rc.downgrade()`; `w.upgrade()` is a new strong handle, or None once the value
    was dropped.
    """

    __slots__ = ("_box", "_site")
    __module__ = "owned"

    _box: _Box
    _site: Site

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("Weak has no public constructor: call rc.downgrade()")

    def upgrade(self) -> SharedHandle[T] | None:
        """A new strong handle (`Rc`, or `Arc` for an `Arc`'s value), or None once it is gone."""
        site = user_site()
        box = self._box
        if self._state < 0 or self._wrong_thread():
            raise SharedHandle._refusal(self, site)  # type: ignore[arg-type]
        cls: Any = _STRONG[box._kind]
        strong = cls.__new__(cls)
        strong._box = box
        strong._site = site
        strong._arena = self._arena
        owner = current_owner()
        with STATE:
            if box._state < MUT:
                return None
            strong._value = box._value
            strong._state = 0
            box._strong += 1
            own(owner, strong)
        return strong  # type: ignore[no-any-return]

    @property
    def strong_count(self) -> int:
        """How many strong handles the value has (0 once it was dropped)."""
        return self._box._strong if self._box._state >= MUT else 0

    @property
    def weak_count(self) -> int:
        return self._box._weak

    @property
    def is_alive(self) -> bool:
        """True until this handle is moved or dropped (the value may be gone). Never raises."""
        return self._state >= MUT

    def move(self, into: Any = None) -> Weak[T]:
        return move_shared(self, _target(into), user_site())  # type: ignore[no-any-return]

    def drop(self) -> None:
        site = user_site()
        with STATE:
            if self._state != 0 or self._wrong_thread():
                raise SharedHandle._refusal(self, site, "drop")  # type: ignore[arg-type]
            self._state = DROPPED
            self._value = site
            left(self._owner, self)
            self._box._weak -= 1

    def _wrong_thread(self) -> bool:
        thread = self._box._thread
        return thread is not None and thread != _get_ident()

    def _facts(self) -> Facts:
        ended = end_site(self._value) if self._state < MUT else None
        return Facts(self, self._state, self._site, ended, self._site, None)

    def _drop_as_part(self, end: object, failures: list[BaseException]) -> None:
        with STATE:
            if self._state >= MUT:
                self._state = DROPPED
                self._value = end
                self._box._weak -= 1

    def _parts(self) -> list[Any]:
        return []

    def _value_type(self) -> type:
        return Weak

    @property
    def name(self) -> str | None:
        return self._site.assigned_name()

    @property
    def arena(self) -> None:
        return None  # no block of its own

    @never_raises
    def __repr__(self) -> str:
        box = self._box
        state = (
            "moved" if self._state == MOVED else "dropped" if self._state == DROPPED else "alive"
        )
        target = (
            f"{type(box._value).__name__} strong={box._strong}" if box._state >= MUT else "gone"
        )
        return f"<owned.Weak to {box._kind}[{target}] weak={box._weak} ({state})>"

    def __copy__(self) -> NoReturn:
        raise TypeError("a Weak is owned like a handle: call rc.downgrade() for another")

    def __deepcopy__(self, memo: dict[Any, Any]) -> Weak[T]:
        strong = self.upgrade()
        if strong is None:
            raise TypeError("cannot clone a Weak whose value was dropped")
        weak: Weak[T] = strong.downgrade()
        strong.drop()
        return weak


class _CallAdapter:
    """How an `@owned.function` call moves, borrows and hands back a strong handle."""

    @staticmethod
    def move_in(handle: Any, scope: Owner, site: Site) -> Any:
        return move_shared(handle, scope, site)

    @staticmethod
    def undo(handle: Any, moved: Any) -> None:
        """Give a refused call's moved-in handle back (the call never started)."""
        with STATE:
            moved._state = MOVED
            left(moved._owner, moved)
            handle._value = moved._value
            moved._value = None
            handle._state = 0
            own(handle._owner, handle)

    @staticmethod
    def hand_back(handle: Any, scope: Owner, caller: Owner) -> None:
        with STATE:
            if handle._owner is scope and handle._state >= MUT:
                left(scope, handle)
                own(caller, handle)

    @staticmethod
    def write_refused(handle: Any, site: Site) -> Exception:
        return _write_refused(type(handle).__name__, handle, site)


def register_strong_type(cls: type) -> None:
    """A strong handle type: a part of values, an `@owned.function` parameter that moves."""
    from ._calls import register_shared
    from ._plan import register_moved

    register_owning(cls)
    register_moved(cls)
    register_shared(cls, _CallAdapter)


_STRONG: dict[str, type] = {"Rc": Rc}  # box kind -> its strong handle type (Arc adds itself)


def register_strong(kind: str, cls: type) -> None:
    _STRONG[kind] = cls


register_strong_type(Rc)
register_owning(Weak)
seal(Rc)
seal(Weak)


# -- cycles ------------------------------------------------------------------------------------


def _reachable_boxes() -> set[int]:
    """The boxes a live handle reachable from an active scope points to (directly or through
    the values of other reachable boxes): what a program can still use."""
    reached: set[int] = set()
    pending: list[Any] = []
    for owner in active_owners():
        pending.extend(owner._live_members())
    while pending:
        handle = pending.pop()
        box = getattr(handle, "_box", None)
        if box is not None and type(handle) is not Weak:
            if id(box) in reached or box._state < MUT:
                continue
            reached.add(id(box))
            pending.extend(box._parts())
            continue
        parts = getattr(handle, "_parts", None)
        if parts is not None:
            pending.extend(parts())
    return reached


def _edges(box: _Box) -> Iterator[_Box]:
    """The boxes the strong handles in `box`'s value point to, in the value's order."""
    pending = list(reversed(box._parts()))
    while pending:
        part = pending.pop()
        target = getattr(part, "_box", None)
        if target is not None:
            if type(part) is not Weak and target._state >= MUT:
                yield target
            continue
        parts = getattr(part, "_parts", None)
        if parts is not None:
            pending.extend(reversed(parts()))


def cycle_leaks(arena: Arena) -> list[tuple[Any, tuple[str, ...]]]:
    """`(box, cycle)` for each live shared box of `arena` no scope can reach: held only by a
    reference cycle of `Rc`s (the cycle named `a -> b -> a`) or by the value of such a box."""
    reached = _reachable_boxes()
    boxes = sorted(arena._shared.values(), key=lambda box: box._address)
    leaked = [box for box in boxes if id(box) not in reached and box._state >= MUT]
    if not leaked:
        return []
    cycles = _cycles_through(leaked)
    return [(box, cycles.get(id(box), ())) for box in leaked]


def _label(box: _Box) -> str:
    return box.name or f"{box._kind}@0x{box._address:x}"


def _cycles_through(leaked: list[_Box]) -> dict[int, tuple[str, ...]]:
    """For each leaked box, a cycle it is on or hangs from: a depth-first walk that visits
    every box and edge once (iterative, so that a long chain does not recurse), then a pass
    that gives the boxes hanging from a cycle the cycle they hang from."""
    leaked_ids = {id(box) for box in leaked}
    found: dict[int, tuple[str, ...]] = {}
    colour: dict[int, int] = {}  # 1: on the current path, 2: finished
    for start in leaked:
        if id(start) in colour:
            continue
        path: list[_Box] = [start]
        index = {id(start): 0}
        colour[id(start)] = 1
        stack = [_edges(start)]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                done = path.pop()
                del index[id(done)]
                colour[id(done)] = 2
                continue
            if id(step) not in leaked_ids or colour.get(id(step)) == 2:
                continue
            if colour.get(id(step)) == 1:  # back to the path: a cycle
                loop = path[index[id(step)] :]
                names = (*map(_label, loop), _label(step))
                for member in loop:
                    found.setdefault(id(member), names)
                continue
            colour[id(step)] = 1
            index[id(step)] = len(path)
            path.append(step)
            stack.append(_edges(step))
    pending = [box for box in leaked if id(box) in found]
    while pending:
        holder = pending.pop()
        for held in _edges(holder):
            if id(held) in leaked_ids and id(held) not in found:
                found[id(held)] = found[id(holder)]
                pending.append(held)
    return found
