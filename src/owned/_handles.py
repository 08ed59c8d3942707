"""`Owned`: the one owner of a block, with `move`, `drop` and the drop glue of its parts."""

from __future__ import annotations

import copy
from types import GenericAlias
from typing import Any, NoReturn

from ._arena import Arena
from ._borrows import Ref, RefMut, _Borrow, lend, newest_loan_site, set_drop_replaced, write
from ._bytecode import see_through
from ._cells import cells_for
from ._kinds import HANDLE_TYPES, reject_handle, seal
from ._owners import Family, Handle, Owner, current_owner, left, own, root_owner, shared_ancestor
from ._parts import adopt, family_of, register_owning, walk
from ._refusals import (
    Facts,
    borrow_error,
    borrow_mut_error,
    double_drop,
    move_error,
    move_out_of_shared,
    moved_into_another,
    mutate_behind_shared,
    name_of,
    not_owned,
    read_error,
)
from ._repr import html_of
from ._sites import Site, caller_site, named

try:
    import cython
except ImportError:  # interpreted, without Cython installed
    from . import _cython_shim as cython  # type: ignore[no-redef]

if not cython.compiled:
    import functools

    from ._atomic import STATE, Reentrant, defer
    from ._states import ACTIVE, DROPPED, EXITED, MOVED, MUT

__all__ = ["Owned", "drop", "exchange", "move", "raise_failures", "swap_values", "transfer"]

_deepcopy = copy.deepcopy
_CLONE_SITE = object()  # the key under which a clone's site travels through deepcopy's memo


class Owned(Handle):
    """The one owner of a value in an arena block; dropped when its scope ends.

    Args:
        value: what to own. Handles inside it become its parts (dropped with it).
        arena: where to allocate; default: the current scope's arena.
        size: cells to occupy; default `max(1, len(value))` for sized values, else 1.
        name: the name used in error messages; default: the variable it is assigned to.
    """

    __slots__ = ("_address", "_allocated_at", "_site", "_size")
    __module__ = "owned"
    __class_getitem__ = classmethod(GenericAlias)

    def __cinit__(self) -> None:
        self._state = DROPPED  # compiled: a handle made by Owned.__new__ alone is no handle

    @cython.locals(site=Site, owner=Owner, where=Arena, cells=cython.Py_ssize_t, plain=cython.bint)
    def __init__(
        self,
        value: Any,
        *,
        arena: Arena | None = None,
        size: int | None = None,
        name: str | None = None,
    ) -> None:
        site = caller_site()
        if self._site is not None if cython.compiled else hasattr(self, "_site"):
            raise TypeError("Owned.__init__ runs once, when the handle is made: use Owned(...)")
        cls = type(value)
        # A value of these types can hold no handle and has an obvious size: no walk at all.
        plain = cls is int or cls is float or cls is bool or value is None
        if not plain and cls in HANDLE_TYPES:
            reject_handle(value, "Owned")
        owner = current_owner()
        if arena is None:
            where = owner._arena
        elif type(arena) is Arena:
            where = arena
        else:
            raise TypeError(
                f"Owned(arena=...) expects an owned.Arena or None, got {type(arena).__name__}"
            )
        if size is None and plain:
            cells = 1
        elif size is None and (cls is str or cls is bytes):
            cells = len(value) or 1
        else:
            cells = cells_for(value, size, "Owned")
        if name is not None:
            if type(name) is not str:
                raise TypeError(f"Owned(name=...) expects a str or None, got {type(name).__name__}")
            site = named(site, name)
        found: list[Handle] | None = None
        if not (plain or cls is str or cls is bytes):
            found = []
            walk(value, found)
            if found:
                refusal = _refusal_for_parts(None, found, site)
                if refusal is not None:
                    raise refusal
            else:
                found = None
        self._value = value
        self._arena = where
        self._size = cells
        self._site = self._allocated_at = site
        self._address = 0
        if cython.compiled:
            _place(self, owner, where, cells, found)
        else:
            with STATE:
                _place(self, owner, where, cells, found)

    # -- reading and writing -------------------------------------------------------------------

    @property
    def value(self) -> Any:
        """The value. Raises while mutably borrowed, or once moved or dropped."""
        if self._state >= 0:
            return self._value
        raise read_error(self._facts(), caller_site())

    @value.setter
    def value(self, value: Any) -> None:
        site = caller_site()
        if type(value) in HANDLE_TYPES:
            reject_handle(value, "Owned.value =")
        if self._state != 0 or shared_ancestor(self) is not None:
            raise self._write_refused(site)
        write(self, value, site)

    @property
    def is_alive(self) -> bool:
        """True until the value is moved or dropped. Never raises."""
        return self._state >= MUT

    # -- borrowing -----------------------------------------------------------------------------

    def borrow(self) -> _Borrow:
        """A shared borrow (`&x`): any number at once, none while a `RefMut` is active."""
        return lend(self, False, caller_site(), current_owner())

    def borrow_mut(self) -> _Borrow:
        """An exclusive borrow (`&mut x`): the only borrow while it is active."""
        return lend(self, True, caller_site(), current_owner())

    # -- moving and dropping -------------------------------------------------------------------

    def move(self, into: Any = None) -> Owned:
        """Transfer ownership to a new handle (owned by `into`: a scope or a live `Owned` whose
        value it joins; default the current scope). This handle is dead afterwards."""
        return transfer(self, _target(into), caller_site(), None)

    def drop(self) -> None:
        """Deallocate now: the value's `__drop__()` runs, then its parts are dropped."""
        _drop(self, caller_site())

    def clone(self) -> Owned:
        """A deep copy in a new block of the same arena (its parts copied too), owned by the
        current scope."""
        return _clone(self, caller_site(), None)

    def into_inner(self) -> Any:
        """Move the value out of the arena: the block is freed, `__drop__` is not called, and
        its parts go to the current scope, alive."""
        site = caller_site()
        if self._state != 0:
            raise move_error(self._facts(), site, "move out of")
        ancestor = shared_ancestor(self)
        if ancestor is not None:
            raise _moved_out_of_shared(self, ancestor, site)
        if cython.compiled:
            return _into_inner(self, site, current_owner())
        with STATE:
            return _into_inner(self, site, current_owner())

    # -- what the rest of the runtime reads ----------------------------------------------------

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
        return self._arena  # type: ignore[no-any-return]

    @property
    def allocated_at(self) -> Site:
        """Where the block was allocated (the `Owned(...)` call, kept across moves)."""
        return self._allocated_at  # type: ignore[no-any-return]

    @property
    def scope(self) -> Any:
        """The scope that owns the value (through every value it is a part of), or last did."""
        if self._state >= MUT:
            return root_owner(self)
        return self._owner

    @property
    @cython.locals(family=Family)
    def owner(self) -> Any:
        """What owns it directly: a scope, or the `Owned` whose value it is a part of."""
        owner = self._owner
        if type(owner) is Family:
            family: Family = owner
            return family._head
        return owner

    @property
    def name(self) -> str | None:
        """The name errors use: given, or found from the assignment that created the handle."""
        site: Site | None = self._site
        return None if site is None else site.assigned_name()

    def _name_as(self, name: str) -> None:
        """Give the handle the name errors use (for generated programs, which assign none)."""
        if self._site is not None:
            self._site = named(self._site, name)

    def _naming_site(self) -> Site | None:
        return self._site  # type: ignore[no-any-return]

    def _end_site(self) -> Site | None:
        """Where a dead handle was moved or dropped (its scope's exit, if that dropped it)."""
        if self._state >= MUT:
            return None
        end = self._value
        if end is None or type(end) is Site:
            return end  # type: ignore[no-any-return]
        return end.exited_at  # type: ignore[no-any-return]

    def _value_type(self) -> type:
        return type(self._value)

    def _family_for_census(self) -> Any:
        """The owner of its parts, if it has any (for the leak census)."""
        return None if self._state < MUT else family_of(self, False)

    def _parts(self) -> list[Any]:
        """Its live parts, in adoption order (for the cold path: census, leaks)."""
        if self._state < MUT:
            return []
        family = family_of(self, False)
        return [] if family is None else family._live_members()

    @cython.locals(family=Family)
    def _facts(self) -> Facts:
        if not cython.compiled and not STATE.held_here():
            # Interpreted, another thread may be half-way through changing this handle (its
            # state already dead, its end not yet stored): read it whole.
            with STATE:
                return self._facts()
        first = None
        owner = self._owner
        if type(owner) is Family:
            family: Family = owner
            first = family._adopted_at.get(self)
        loan_at = newest_loan_site(self) if self._state > 0 or self._state == MUT else None
        return Facts(
            self, self._state, self._site, self._end_site(), self._allocated_at, loan_at, first
        )

    def _borrow_refused(self, mut: bool, site: Site) -> Exception:
        if mut:
            ancestor = shared_ancestor(self)
            if self._state == 0 and ancestor is not None:
                return mutate_behind_shared(_with_loan(self._facts(), ancestor), site, "borrow")
            return borrow_mut_error(self._facts(), site)
        return borrow_error(self._facts(), site)

    def _write_refused(self, site: Site) -> Exception:
        from ._refusals import assign_error

        ancestor = shared_ancestor(self)
        if self._state == 0 and ancestor is not None:
            return mutate_behind_shared(_with_loan(self._facts(), ancestor), site, "assign to")
        return assign_error(self._facts(), site)

    def _parts_refused(self, found: list[Handle], site: Site) -> Exception | None:
        return _refusal_for_parts(self, found, site)

    def _repr_html_(self) -> str | None:
        """Value, state, block and owner as HTML, for notebooks (IPython's display protocol)."""
        return html_of(self)

    def __repr__(self) -> str:
        state = self._state
        size = self._size
        block = f"{size} cell{'s' if size != 1 else ''} @0x{self._address:x}"
        if state == MOVED:
            return f"<owned.Owned {block} (moved)>"
        if state == DROPPED:
            return f"<owned.Owned {block} (dropped)>"
        what = "mutably borrowed" if state == MUT else f"borrowed {state}x" if state else "alive"
        if type(self._owner) is Family:
            what += ", a part"
        return f"<owned.Owned[{type(self._value).__name__}] {block} ({what})>"

    def __copy__(self) -> NoReturn:
        raise TypeError(
            "an Owned value has exactly one owner and cannot be copied: "
            "use x.clone() for a deep copy, or x.move() to hand it over"
        )

    def __deepcopy__(self, memo: dict[Any, Any]) -> Owned:
        site = memo.get(_CLONE_SITE)
        return _clone(self, caller_site() if site is None else site, memo)

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError(
            "an Owned value lives in an arena and cannot be pickled: pickle x.value instead"
        )


register_owning(Owned)
HANDLE_TYPES.add(Owned)
seal(Owned)


def _read_value(handle: Any) -> Any:
    """`handle.value` (raising as it does): how a path in a message reads through a handle."""
    return handle.value


see_through(Owned, _read_value)
see_through(Ref, _read_value, True)
see_through(RefMut, _read_value, True)


def _with_loan(facts: Facts, ancestor: Handle) -> Facts:
    return facts._replace(loan_at=newest_loan_site(ancestor))


def _place(
    handle: Owned, owner: Owner, arena: Arena, cells: int, found: list[Handle] | None
) -> None:
    """Allocate the block of a new handle, give it to `owner`, adopt its parts (the commit)."""
    address = arena._allocate(cells)
    handle._address = address
    if arena._recorder is not None:
        try:
            arena._recorder("alloc", handle, None, None, arena._allocs)
        except BaseException:
            arena._release(address, cells)
            raise
    handle._state = 0
    own(owner, handle)
    if found is not None:
        family = family_of(handle, True)
        site = handle._site
        for part in found:
            adopt(family, part, site)


def _refusal_for_parts(head: Owned | None, found: list[Handle], site: Site) -> Exception | None:
    """The error for adopting `found` into `head`'s value, or None when all of them may join."""
    family = None if head is None else family_of(head, False)
    seen: set[int] = set()
    for handle in found:
        if handle is head:
            return ValueError(f"{head!r} cannot be a part of its own value")
        state = handle._state
        if state > 0 or state == MUT:
            return move_error(handle._facts(), site, "move out of")
        owner = handle._owner
        if type(owner) is Family and owner is not family:
            return moved_into_another(handle._facts(), site)
        if id(handle) in seen:
            return moved_into_another(handle._facts()._replace(first_moved_at=site), site)
        seen.add(id(handle))
    return None


def _moved_out_of_shared(handle: Owned, ancestor: Handle, site: Site) -> Exception:
    owner_name = name_of(ancestor._facts())
    place = _place_words(handle, ancestor, site)
    return move_out_of_shared(_with_loan(handle._facts(), ancestor), site, place, owner_name)


def _place_words(handle: Owned, ancestor: Handle, site: Site) -> str:
    """What rustc calls the place moved out of: `p.name`, or "index of `list`"."""
    used = site.used_name(handle)
    if used is not None and ("." in used or "[" in used):
        return used
    container = type(ancestor._value).__name__
    if isinstance(ancestor._value, (list, tuple, dict)):
        return f"index of `{container}`"
    name = handle._site.assigned_name() if handle._site is not None else None
    return name or f"a part of `{container}`"


# -- moves -----------------------------------------------------------------------------------


def _target(into: object) -> Owner:
    """The owner a move goes to: a scope, or the family of a live handle's value."""
    if into is None:
        return current_owner()  # type: ignore[no-any-return]
    if type(into) is Owned:
        head: Owned = into
        if head._state < MUT:
            raise ValueError(f"move(into=...) needs a live Owned, but {into!r} is not")
        return family_of(head, True)  # type: ignore[return-value]
    if not isinstance(into, Owner) or type(into) is Family:
        raise TypeError(
            "move(into=...) expects an owned.Scope, a live owned.Owned or None, "
            f"got {type(into).__name__}"
        )
    target: Owner = into
    if target._state != ACTIVE:
        raise ValueError(
            f"move(into=...) needs an active scope, but {into!r} is not: "
            "move into a scope whose `with` block is still running"
        )
    return target


def transfer(handle: Owned, target: Owner, site: Site, made_at: Site | None) -> Owned:
    """Move `handle` to a new handle owned by `target`; `handle` is dead afterwards.

    `made_at` (default `site`) is what the new handle reports as its origin, and names it: a
    parameter's site names a moved-in argument. When the value leaves its scope, the scope's
    handles reachable from it become its parts first.
    """
    if type(handle) is not Owned:
        raise not_owned(handle, "move")
    if handle._state != 0:
        raise move_error(handle._facts(), site, "move out of")
    ancestor = shared_ancestor(handle)
    if ancestor is not None:
        raise _moved_out_of_shared(handle, ancestor, site)
    if type(target) is Family:
        family: Family = target
        if family._head is handle or _is_inside(family._head, handle):
            raise ValueError(f"{handle!r} cannot be moved into a part of its own value")
    source = handle._owner
    found: list[Handle] | None = None
    if source is not target and type(source) is not Family:
        value = handle._value
        cls = type(value)
        if not (cls is int or cls is str or cls is float or cls is bool or value is None):
            found = []
            walk(value, found)
    moved: Owned = Owned.__new__(Owned)
    moved._value = handle._value
    moved._arena = handle._arena
    moved._address = handle._address
    moved._size = handle._size
    moved._site = site if made_at is None else made_at
    moved._allocated_at = handle._allocated_at
    arena: Arena = handle._arena
    if arena._recorder is not None:
        arena._recorder("move", moved, site, _owner_words(target))
    if cython.compiled:
        _commit_move(handle, moved, source, target, found, site)
    else:
        with STATE:
            _commit_move(handle, moved, source, target, found, site)
    return moved


def _commit_move(
    handle: Owned,
    moved: Owned,
    source: Owner,
    target: Owner,
    found: list[Handle] | None,
    site: Site,
) -> None:
    if handle._state != 0:  # another thread took it since the check (a finalizer let it run)
        raise move_error(handle._facts(), site, "move out of")
    if target._state != ACTIVE:  # the same: the target scope exited meanwhile
        raise ValueError(f"move(into=...): {target!r} exited before the value could join it")
    handle._state = MOVED
    handle._value = site
    moved._state = 0
    members = source._members
    last = len(members) - 1
    if source is target and last >= 0 and members[last] is handle:
        members[last] = moved  # `x = x.move()`: the newest entry changes hands in place
        moved._owner = target
    else:
        source._dead += 1  # left for the next compaction (a refused call can undo this)
        own(target, moved)
    if type(target) is Family:
        target_family: Family = target
        target_family._adopted_at[moved] = site
    families = handle._arena._families
    if families:
        family = families.pop(handle, None)
        if family is not None:
            family._head = moved
            families[moved] = family
    if found:
        family = None
        for part in found:
            if part._owner is source:
                if family is None:
                    family = family_of(moved, True)
                adopt(family, part, site)


def _is_inside(head: Handle, handle: Handle) -> bool:
    """Whether `head` is a part of `handle`'s value, at any depth."""
    owner = head._owner
    while type(owner) is Family:
        family: Family = owner
        if family._head is handle:
            return True
        owner = family._head._owner
    return False


def _owner_words(target: Owner) -> str:
    if type(target) is Family:
        family: Family = target
        return f"a part of {family._head!r}"
    name = getattr(target, "name", None)
    return "root" if name is None else str(name)


def undo_transfer(handle: Owned, moved: Owned) -> None:
    """Give `moved`'s block back to `handle`, as if the transfer had never happened.

    Only for a transfer to another owner (a call's argument), which left `handle`'s entry
    departed in its owner's list."""
    target = moved._owner
    moved._state = MOVED
    handle._value = moved._value
    moved._value = None
    left(target, moved)
    handle._state = 0
    source = handle._owner
    source._dead -= 1
    families = handle._arena._families
    if families:
        family = families.pop(moved, None)
        if family is not None:
            family._head = handle
            families[handle] = family


# -- drops -----------------------------------------------------------------------------------


def _drop(handle: Owned, site: Site) -> None:
    state = handle._state
    if state != 0:
        if state == DROPPED:
            raise double_drop(handle._facts(), site)
        raise move_error(handle._facts(), site, "drop")
    ancestor = shared_ancestor(handle)
    if ancestor is not None:
        raise _moved_out_of_shared(handle, ancestor, site)
    if cython.compiled:
        value = _claim_drop(handle, site)
    else:
        try:
            with STATE:
                value = _claim_drop(handle, site)
        except Reentrant:  # a finalizer dropping it inside another operation: right after it
            defer(functools.partial(_drop, handle, site))
            return
    if needs_finishing(handle, value):
        failures: list[BaseException] = []
        finish_drop(handle, value, site, failures)
        if failures:
            raise_failures(failures, f"dropping {handle!r}")


def _claim_drop(handle: Owned, site: Site) -> Any:
    """Mark the handle dropped, leave its owner, free its block; return its value (the commit)."""
    if handle._state != 0:  # interpreted: another thread took it since the check
        raise move_error(handle._facts(), site, "drop")
    arena: Arena = handle._arena
    if arena._recorder is not None:
        arena._recorder("dealloc", handle, site, None)
    value = handle._value
    handle._state = DROPPED
    handle._value = site
    left(handle._owner, handle)
    arena._release(handle._address, handle._size)
    return value


def claim_at_exit(handle: Owned, scope: Any) -> Any:
    """A scope drops what it still owns, even if borrowed (those borrows dangle)."""
    arena: Arena = handle._arena
    if arena._recorder is not None:
        arena._recorder("dealloc", handle, None, "scope exit")
    value = handle._value
    handle._state = DROPPED
    handle._value = scope
    arena._release(handle._address, handle._size)
    return value


def drop_at_exit(handle: Owned, end: object) -> list[BaseException]:
    """Drop `handle` now even if it is borrowed (those borrows dangle), as its scope's exit
    would; return what `__drop__` raised. A dead handle is left alone."""
    failures: list[BaseException] = []
    if handle._state < MUT:
        return failures
    if cython.compiled:
        left(handle._owner, handle)
        value = claim_at_exit(handle, end)  # type: ignore[arg-type]
    else:
        with STATE:
            left(handle._owner, handle)
            value = claim_at_exit(handle, end)  # type: ignore[arg-type]
    finish_drop(handle, value, end, failures)
    return failures


def needs_finishing(handle: Owned, value: object) -> bool:
    """False when there is nothing to do after freeing the block: no hook, no parts."""
    cls = type(value)
    if cls is int or cls is str or cls is float or cls is bool or value is None:
        return bool(handle._arena._families)
    return True


def finish_drop(handle: Owned, value: Any, end: object, failures: list[BaseException]) -> None:
    """After a handle's block is freed: run its value's `__drop__`, then drop its parts, depth
    first in the value's order (Rust's drop glue); `__drop__` failures go to `failures`."""
    work: list[Any] = [handle, value]
    while work:
        value = work.pop()
        head: Owned = work.pop()
        _run_drop_hook(head, value, failures)
        families = head._arena._families
        if not families:
            continue
        family: Family | None = families.pop(head, None)
        if family is None:
            continue
        family._state = EXITED  # the value is gone: nothing joins its family any more
        for part in reversed(_parts_in_order(family, value)):
            if type(part) is Owned:
                owned_part: Owned = part
                if owned_part._owner is family and owned_part._state >= MUT:
                    work.append(owned_part)
                    work.append(_claim_part(owned_part, end))
            elif part._owner is family and part._state >= MUT:
                part._drop_as_part(end, failures)  # type: ignore[attr-defined]


def _parts_in_order(family: Family, value: object) -> list[Handle]:
    """The live parts of a value in its order, then those no longer in it (adoption order)."""
    found: list[Handle] = []
    walk(value, found)
    ordered: list[Handle] = []
    listed: set[int] = set()
    for part in found:
        if part._owner is family and id(part) not in listed:
            ordered.append(part)
            listed.add(id(part))
    for part in family._members:
        if part._owner is family and part._state >= MUT and id(part) not in listed:
            ordered.append(part)
            listed.add(id(part))
    return ordered


def _claim_part(part: Owned, end: object) -> Any:
    if cython.compiled:
        return claim_at_exit(part, end)  # type: ignore[arg-type]
    with STATE:
        return claim_at_exit(part, end)  # type: ignore[arg-type]


# The `__drop__` of types that can never gain one (Python's built-in types are immutable),
# found once; a class of the program's may get one later, so it is looked up each time.
_IMMUTABLE_TYPE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE
_FIXED_HOOKS: dict[type, Any] = {}


def _run_drop_hook(handle: Owned, value: Any, failures: list[BaseException]) -> None:
    cls = type(value)
    if cls is int or cls is str or cls is float or cls is list or cls is dict or cls is tuple:
        return  # the common built-ins, which have no __drop__
    hook = _FIXED_HOOKS.get(cls, _FIXED_HOOKS)
    if hook is _FIXED_HOOKS:
        hook = getattr(cls, "__drop__", None)
        if cls.__flags__ & _IMMUTABLE_TYPE:
            _FIXED_HOOKS[cls] = hook
    if hook is not None:
        try:
            hook(value)
        except BaseException as failure:  # also KeyboardInterrupt: the rest is still dropped
            handle._arena._count_drop_failure(handle, failure, value)
            failures.append(failure)


def raise_failures(failures: list[BaseException], where: str) -> None:
    """Raise what `__drop__` raised: one failure as is, several as a group."""
    if not failures:
        return
    if len(failures) == 1:
        add_note(failures[0], f"raised by __drop__ while {where}; every other value was dropped")
        raise failures[0]
    raise BaseExceptionGroup(
        f"__drop__ raised for {len(failures)} values while {where}; every value was dropped",
        failures,
    )


def add_note(exc: BaseException, note: str) -> None:
    """`exc.add_note(note)`, also on Python 3.10."""
    notes = getattr(exc, "__notes__", None)
    if notes is None:
        notes = []
        exc.__notes__ = notes
    notes.append(note)


def _drop_replaced(family: Family, old: object, site: Site) -> None:
    """Drop the parts a write took out of the value (a replaced item, a deleted one)."""
    removed: list[Handle] = []
    walk(old, removed)
    gone: list[Handle] = []
    for part in removed:
        if part._owner is family:
            gone.append(part)
    if not gone:
        return
    still: list[Handle] = []
    walk(family._head._value, still)
    kept = set(map(id, still))
    failures: list[BaseException] = []
    for part in gone:
        if id(part) in kept or part._owner is not family or part._state < MUT:
            continue
        if type(part) is Owned:
            owned_part: Owned = part
            if cython.compiled:
                value = _claim_drop(owned_part, site)
            else:
                with STATE:
                    value = _claim_drop(owned_part, site)
            finish_drop(owned_part, value, site, failures)
        else:
            part._drop_as_part(site, failures)  # type: ignore[attr-defined]
    raise_failures(failures, "dropping the replaced parts")


set_drop_replaced(_drop_replaced)


# -- clone, into_inner -----------------------------------------------------------------------


def _clone(handle: Owned, site: Site, memo: dict[Any, Any] | None) -> Owned:
    if handle._state < 0:
        raise read_error(handle._facts(), site)
    if memo is None:
        memo = {}
    memo[_CLONE_SITE] = site
    value = _deepcopy(handle._value, memo)
    twin: Owned = Owned.__new__(Owned)
    twin.__init__(value, arena=handle._arena, size=handle._size)
    twin._site = twin._allocated_at = site
    return twin


def _into_inner(handle: Owned, site: Site, scope: Owner) -> Any:
    arena: Arena = handle._arena
    if handle._state != 0:  # interpreted: another thread took it since the check
        raise move_error(handle._facts(), site, "move out of")
    if arena._recorder is not None:
        arena._recorder("dealloc", handle, site, "moved out")
    value = handle._value
    handle._state = MOVED
    handle._value = site
    left(handle._owner, handle)
    arena._release(handle._address, handle._size)
    families = arena._families
    if families:
        family = families.pop(handle, None)
        if family is not None:
            for part in family._members:
                if part._owner is family and part._state >= MUT:
                    left(family, part)
                    own(scope, part)
    return value


# -- replace, take, swap: moving values out of a mutable borrow ------------------------------


def exchange(borrow: _Borrow, new: object, site: Site, scope: Owner) -> Any:
    """Put `new` into the place `borrow` (a RefMut) holds and return the old value, as
    `mem::replace`: the handles in `new` become parts of the place, the parts of the old
    value go to `scope`, alive. Refuses (changing nothing) as a write would."""
    place: Handle = _usable_mut(borrow, site)
    old = place._value
    found: list[Handle] = []
    walk(new, found)
    if found:
        refusal = place._parts_refused(found, site)
        if refusal is not None:
            raise refusal
    leaving = _own_parts_in(place, old)
    if cython.compiled:
        _commit_exchange(place, new, found, leaving, site, scope)
    else:
        with STATE:
            _commit_exchange(place, new, found, leaving, site, scope)
    return old


def _commit_exchange(
    place: Handle,
    new: object,
    found: list[Handle],
    leaving: list[Handle],
    site: Site,
    scope: Owner,
) -> None:
    place._value = new
    if found:
        family = family_of(place, True)
        for handle in found:
            adopt(family, handle, site)
    if leaving:
        kept = set(map(id, found))
        for part in leaving:
            if id(part) not in kept:
                left(part._owner, part)
                own(scope, part)


def swap_values(first: _Borrow, second: _Borrow, site: Site) -> None:
    """Exchange the values of the places two RefMuts hold, as `mem::swap`; each value's
    parts go with it to the other place."""
    a: Handle = _usable_mut(first, site)
    b: Handle = _usable_mut(second, site)
    if _is_inside(a, b) or _is_inside(b, a):
        raise ValueError(
            "owned.swap: one place is a part of the other's value, so the swap would make a "
            "value a part of itself"
        )
    value_a = a._value
    value_b = b._value
    parts_a = _own_parts_in(a, value_a)
    parts_b = _own_parts_in(b, value_b)
    if cython.compiled:
        _commit_swap(a, b, parts_a, parts_b, site)
    else:
        with STATE:
            _commit_swap(a, b, parts_a, parts_b, site)


def _commit_swap(
    a: Handle, b: Handle, parts_a: list[Handle], parts_b: list[Handle], site: Site
) -> None:
    value_a = a._value
    value_b = b._value
    a._value = value_b
    b._value = value_a
    if parts_b:
        family = family_of(a, True)
        for part in parts_b:
            adopt(family, part, site)
    if parts_a:
        family = family_of(b, True)
        for part in parts_a:
            adopt(family, part, site)


def _usable_mut(borrow: _Borrow, site: Site) -> Handle:
    """The place an active RefMut holds (raises as a use of the RefMut would, if it ended)."""
    place: Handle = borrow.owner
    if not (borrow.is_active and place._state == MUT):
        raise borrow._dangling(site)
    return place


def _own_parts_in(place: Handle, value: object) -> list[Handle]:
    """The parts of `place` found in `value` (the handles a value carries with it)."""
    family = family_of(place, False)
    if family is None:
        return []
    found: list[Handle] = []
    walk(value, found)
    own_parts: list[Handle] = []
    for part in found:
        if part._owner is family:
            own_parts.append(part)
    return own_parts


# -- the free functions ----------------------------------------------------------------------


def move(handle: Owned, into: Any = None) -> Owned:
    """`move(x)` is `x.move()`: a new owner for the same block; `x` is dead afterwards."""
    site = caller_site()
    if type(handle) is not Owned:
        raise not_owned(handle, "move")
    return transfer(handle, _target(into), site, None)


def drop(handle: Owned) -> None:
    """`drop(x)` is `x.drop()`: deallocate now; a second drop raises `DoubleDropError`."""
    site = caller_site()
    if type(handle) is not Owned:
        raise not_owned(handle, "drop")
    _drop(handle, site)


try:
    BaseExceptionGroup  # noqa: B018 - a builtin since 3.11
except NameError:  # pragma: no cover - Python 3.10
    from exceptiongroup import BaseExceptionGroup


if not cython.compiled:  # interpreted, a KeyboardInterrupt waits until the operation is over
    from ._atomic import protect_module

    protect_module(globals())
