"""What the smart pointers (`_rc`, `_interior`, `_sync`) share: the user's site, their lock,
and the drop glue of the values they hold.

They are Python subclasses of the core's `Handle`: a shared box (the block an `Rc` points
to) and the place inside a `RefCell` or `Mutex` each own the handles in their value through a
`Family`, as an `Owned` does, and drop them in the value's order when the value goes.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from typing import Any

from ._atomic import STATE as _CORE_STATE
from ._handles import Owned, claim_at_exit, finish_drop, needs_finishing
from ._owners import Family, Handle
from ._parts import walk
from ._refusals import Facts, move_error, moved_into_another
from ._sites import Site, site_at
from ._states import EXITED, MUT

__all__ = [
    "STATE",
    "drop_value",
    "end_site",
    "handles_in",
    "never_raises",
    "refuse_parts",
    "site_of",
    "user_site",
]

_getframe = sys._getframe


def _core_compiled() -> bool:
    from . import _owners

    return bool(getattr(_owners, "__file__", "").endswith((".so", ".pyd")))


# What the smart pointers hold while they change counts, owners and families. Interpreted,
# the core's own lock (its operations take it too); compiled, the core's steps are atomic C
# calls, so a reentrant lock of their own (a finalizer may run one inside another) suffices.
STATE: Any = threading.RLock() if _core_compiled() else _CORE_STATE


def never_raises(method: Callable[[Any], str]) -> Callable[[Any], str]:
    """A `__repr__` that shows a half-made object (made by `__new__` alone) instead of raising."""

    @functools.wraps(method)
    def safe(self: Any) -> str:
        try:
            return method(self)
        except Exception:
            return f"<owned.{type(self).__name__.lstrip('_')} (not made by its constructor)>"

    return safe


def user_site(depth: int = 0) -> Site:
    """The site of the program's line that called the public method calling this."""
    frame = _getframe(depth + 2)
    return site_at(frame.f_code, frame.f_lasti)


def site_of(where: Any) -> Site:
    """A `Site`, from a site or from the `(code, offset)` pair a hot path kept instead
    (making the `Site` costs more than the operation: it is made when a message needs it)."""
    if type(where) is tuple:
        return site_at(where[0], where[1])
    return where  # type: ignore[no-any-return]


def end_site(end: object) -> Site | None:
    """Where a dead handle ended: the site of its move or drop, or its scope's exit."""
    if end is None or type(end) is Site:
        return end
    if type(end) is tuple:
        return site_of(end)
    return getattr(end, "exited_at", None)


def handles_in(value: object) -> list[Handle]:
    """The live handles reachable from `value`, in its order (a handle value is its own)."""
    found: list[Handle] = []
    walk(value, found)
    return found


def refuse_parts(family: Family | None, found: list[Handle], site: Site) -> Exception | None:
    """Why the handles in `found` cannot become parts of `family`'s value, or None."""
    seen: set[int] = set()
    for handle in found:
        state = handle._state
        if state > 0 or state == MUT:
            return move_error(handle._facts(), site, "move out of")  # type: ignore[attr-defined]
        owner = handle._owner
        if (type(owner) is Family and owner is not family) or id(handle) in seen:
            facts: Facts = handle._facts()  # type: ignore[attr-defined]
            if id(handle) in seen:
                facts = facts._replace(first_moved_at=site)
            return moved_into_another(facts, site)
        seen.add(id(handle))
    return None


def drop_value(head: Handle, value: Any, end: object, failures: list[BaseException]) -> None:
    """Run `value`'s `__drop__`, then drop the parts of `head` (its value's owner) in the
    value's order, then those no longer in it; failures go to `failures` (Rust's drop glue)."""
    hook = getattr(type(value), "__drop__", None)
    if hook is not None:
        try:
            hook(value)
        except BaseException as failure:  # also KeyboardInterrupt: the rest is still dropped
            head._arena._count_drop_failure(head, failure, value)
            failures.append(failure)
    family: Family | None = head._arena._families.pop(head, None)
    if family is None:
        return
    family._state = EXITED  # the value is gone: nothing joins its family any more
    ordered: dict[int, Handle] = {id(part): part for part in handles_in(value)}
    for part in family._live_members():
        ordered.setdefault(id(part), part)
    for part in ordered.values():
        if part._owner is not family or part._state < MUT:
            continue
        if type(part) is Owned:
            with STATE:
                part_value = claim_at_exit(part, end)
            if needs_finishing(part, part_value):
                finish_drop(part, part_value, end, failures)
        else:
            part._drop_as_part(end, failures)  # type: ignore[attr-defined]
