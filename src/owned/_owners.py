"""What owns and what is owned: the base classes of handles and of their owners.

A `Handle` (an `Owned`, an `Rc`...) has one owner at a time: an `Owner`, which is a scope or the
family of parts of another handle's value. The owner lists its members, oldest first; a
member that leaves (moved, dropped) stays in the list until the list compacts itself, which it
does once such entries outnumber the live ones, so the list stays proportional to what is
alive. The current scope of each thread and task is a context variable; the scopes that are
active are linked in one ring, which the census walks to find what lives in an arena.
"""

from __future__ import annotations

import sys
from contextvars import ContextVar
from typing import Any

try:
    import cython
except ImportError:  # interpreted, without Cython installed
    from . import _cython_shim as cython

if not cython.compiled:
    from ._states import ACTIVE, MUT

__all__ = [
    "CURRENT",
    "Family",
    "Handle",
    "Owner",
    "active_owners",
    "current_owner",
    "current_var",
    "left",
    "own",
    "register",
    "root_owner",
    "set_root",
    "shared_ancestor",
    "unregister",
]

# A list compacts itself once it holds more than this many departed members, and more
# departed than live ones.
_COMPACT_AT = 64


class Handle:
    """What every handle and every borrowable place has: a value, a state and an owner.

    `_state` >= 0 is alive with that many shared borrows, `MUT` alive and borrowed mutably,
    `MOVED`/`DROPPED` dead (`_states`). A dead handle keeps in `_value` where it ended (the
    `Site` of the move or drop, or the scope whose exit dropped it).
    """

    __slots__ = ("_arena", "_owner", "_state", "_value")

    _arena: Any  # the arena its block is in (None for a place that has no block of its own)
    _owner: Owner
    _state: int
    _value: Any


class Owner:
    """A scope, or the family of parts of a value: what handles belong to."""

    __slots__ = (
        "_arena",
        "_dead",
        "_loans",
        "_members",
        "_next_active",
        "_parent",
        "_prev_active",
        "_state",
    )

    _arena: Any
    _dead: int
    _loans: Any  # the newest borrow made here (a Loan, linked to the older ones), or None
    _members: list[Handle]
    _next_active: Owner | None
    _parent: Owner | None  # the scope it was opened in (for a scope), else None
    _prev_active: Owner | None
    _state: int

    def __cinit__(self) -> None:
        self._members = []  # compiled: an owner made by __new__ alone is still a sound one

    def _live_members(self) -> list[Any]:
        """The live handles it owns, oldest first (for the cold path: census, leaks)."""
        return _live(self)

    def _member_entries(self) -> int:
        """How many entries its list of members has, departed ones included (for tests)."""
        return len(self._members)

    def _forgotten_members(self) -> list[Any]:
        """The live handles nothing but this owner's bookkeeping refers to any more."""
        return _forgotten(self)

    def _init_owner(self, arena: Any, state: int) -> None:
        self._arena = arena
        self._dead = 0
        self._loans = None
        self._members = []
        self._next_active = None
        self._parent = None
        self._prev_active = None
        self._state = state


class Family(Owner):
    """The owner of the parts of one value: the handles found in it (Rust's drop glue owns them).

    `_head` is the handle (or shared box) whose value holds them; it changes when the value is
    moved. `_adopted_at` keeps where each part joined, for the error of a second adoption.
    """

    __slots__ = ("_adopted_at", "_head")

    _adopted_at: dict[Handle, Any]
    _head: Handle

    def __init__(self, head: Handle) -> None:
        self._init_owner(None, ACTIVE)
        self._head = head
        self._adopted_at = {}


def shared_ancestor(handle: Handle) -> Handle | None:
    """The nearest value that owns `handle` (at any depth) and is borrowed shared, if any."""
    owner = handle._owner
    while type(owner) is Family:
        family: Family = owner
        head = family._head
        if head._state > 0:
            return head
        owner = head._owner
    return None


def root_owner(handle: Handle) -> Owner:
    """The scope that owns `handle` through every value it is a part of."""
    owner = handle._owner
    while type(owner) is Family:
        family: Family = owner
        if family._head._owner is None:  # a shared box: owned by its Rc handles, not a scope
            break  # type: ignore[unreachable]  # Handle._owner is typed Owner; a box has None
        owner = family._head._owner
    return owner


def _live(owner: Owner) -> list[Any]:
    live = []
    seen = set()
    for handle in owner._members:
        # A handle that left and came back (`into_inner`, `owned.take`) may have a stale
        # entry before its new one, until the next compaction: listed once.
        if handle._owner is owner and handle._state >= MUT and id(handle) not in seen:
            seen.add(id(handle))
            live.append(handle)
    return live


def _forgotten(owner: Owner) -> list[Any]:
    forgotten = []
    entries: dict[int, int] = {}
    for handle in owner._members:
        entries[id(handle)] = entries.get(id(handle), 0) + 1
    for handle in _live(owner):
        # The references an owner's bookkeeping holds: its list (one per entry), and for a
        # part the family's record of where it joined; a handle with parts is also a key of
        # its arena's map. (Plus the list `_live` just made.)
        expected = entries[id(handle)] + 1
        if type(owner) is Family:
            family: Family = owner
            if handle in family._adopted_at:
                expected += 1
        arena = handle._arena
        if arena is not None and handle in arena._families:
            expected += 1
        if _references(handle) <= expected:
            forgotten.append(handle)
    return forgotten


def _references(handle: object) -> int:
    """How many references to `handle` there are besides this call's own."""
    if cython.compiled:
        return _refcount(handle) - 1  # the caller's loop variable (arguments are borrowed)
    return sys.getrefcount(handle) - _CALL_REFERENCES


def _call_references() -> int:
    """How many of the references `sys.getrefcount` sees in `_references` are the call's own.

    The caller's loop variable always; before 3.14 also the parameter and `getrefcount`'s
    argument, which 3.14's interpreter borrows from the caller's frame without counting them
    (`LOAD_FAST_BORROW`); on 3.10 also the caller's own argument, which it keeps on its stack
    during the call (4 there, 3 on 3.11-3.13, 1 on 3.14+). Measured on a probe held by exactly
    two references, in the shape `_forgotten` calls it, rather than assumed per version.
    """
    probe = object()
    held = [probe]  # the probe's two references: this variable and the list
    for handle in held:
        return _references(handle) - 2
    raise AssertionError("unreachable")


_CALL_REFERENCES = 0
if not cython.compiled:
    _CALL_REFERENCES = _call_references()


# `members[last]` only with 0 <= last < len(members), tested first: compiled, unchecked.
@cython.boundscheck(False)  # type: ignore[untyped-decorator]  # cython has no stubs
@cython.wraparound(False)  # type: ignore[untyped-decorator]
def own(owner: Owner, handle: Handle) -> None:
    """Make `owner` the owner of `handle` (whose old owner, if any, was told with `left`)."""
    handle._owner = owner
    members = owner._members
    last = len(members) - 1
    if last >= 0 and members[last] is _DEPARTED:
        members[last] = handle  # the slot the newest member left
    else:
        members.append(handle)
        if owner._dead > _COMPACT_AT and owner._dead * 2 > len(members):
            _compact(owner)


@cython.boundscheck(False)  # type: ignore[untyped-decorator]  # cython has no stubs
@cython.wraparound(False)  # type: ignore[untyped-decorator]
def left(owner: Owner, handle: Handle) -> None:
    """`handle`, a member of `owner`, left it for good (dropped, adopted by another owner).

    The newest member leaving (a value made and dropped at once) takes its entry with it;
    any other leaves a departed entry for the next compaction.
    """
    members = owner._members
    last = len(members) - 1
    if last >= 0 and members[last] is handle:
        members[last] = _DEPARTED  # kept for the next member: no shrinking and regrowing
    else:
        owner._dead += 1


def _compact(owner: Owner) -> None:
    kept = []
    for handle in owner._members:
        if handle._owner is owner and handle._state >= MUT:
            kept.append(handle)
    owner._members = kept
    owner._dead = 0


# What stands in the newest slot of a list whose newest member left (never anyone's member).
_DEPARTED = Handle()
_DEPARTED._state = -3  # DROPPED
_DEPARTED._owner = _DEPARTED._value = _DEPARTED._arena = None  # type: ignore[assignment]


# -- the current scope -----------------------------------------------------------------------

CURRENT: ContextVar[Any] = ContextVar("owned.scope")
ROOT: Any = None  # the root scope, set by `_scope` when it is made


def current_var() -> ContextVar[Any]:
    """The context variable holding the current scope (for the scope layer, which sets it)."""
    return CURRENT


def set_root(root: Owner) -> None:
    global ROOT
    ROOT = root
    register(root)


def current_owner() -> Any:
    """The current scope of this thread or task (the root scope outside any).

    A scope that has exited is never current: code still running with it in its context (a
    task that outlived it, a thread started inside it) gets its nearest active ancestor.
    """
    owner = _current() if cython.compiled else CURRENT.get(ROOT)
    while owner._state != ACTIVE:
        owner = owner._parent if owner._parent is not None else ROOT
    return owner


if not cython.compiled:  # the compiled core's C helpers (`_owners.pxd`), for type checkers

    def _current() -> Any:
        raise AssertionError("compiled only")

    def _refcount(value: object) -> int:
        raise AssertionError("compiled only")


# -- the ring of active scopes -----------------------------------------------------------------

_RING = Owner()
_RING._init_owner(None, ACTIVE)
_RING._next_active = _RING._prev_active = _RING


def register(owner: Owner) -> None:
    """Link an active scope into the ring (it is unlinked when it exits)."""
    last = _RING._prev_active
    assert last is not None
    owner._prev_active = last
    owner._next_active = _RING
    last._next_active = owner
    _RING._prev_active = owner


def unregister(owner: Owner) -> None:
    before = owner._prev_active
    after = owner._next_active
    if before is not None and after is not None:
        before._next_active = after
        after._prev_active = before
        owner._prev_active = owner._next_active = None


def active_owners() -> list[Any]:
    """Every active scope, oldest first (the root first): a snapshot for the cold path."""
    found = []
    owner = _RING._next_active
    while owner is not _RING and owner is not None:
        found.append(owner)
        owner = owner._next_active
    return found


if not cython.compiled:  # interpreted, a KeyboardInterrupt waits until the operation is over
    from ._atomic import protect_module

    protect_module(globals())
