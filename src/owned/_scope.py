"""Scopes: Rust's blocks. At exit they end their borrows and drop what they own, newest first."""

from __future__ import annotations

import atexit
import sys
import threading
from contextvars import ContextVar, Token
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, final

from ._arena import Arena, all_arenas

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup
else:  # pragma: no cover - Python 3.10
    from exceptiongroup import BaseExceptionGroup
from ._sites import Site, site_of
from ._states import DROPPED, MUT

if TYPE_CHECKING:
    from ._borrows import Ref, RefMut
    from ._handles import Owned

__all__ = ["ROOT", "Scope", "current_scope", "drop_at_exit", "free_dropped", "scope"]

_getframe = sys._getframe

_FRESH: Final = 0
_ACTIVE: Final = 1
_EXITED: Final = 2

# A scope's list of values keeps moved-out and dropped handles until it compacts itself, which
# it does once they are at least this many and outnumber the live ones.
_COMPACT_AT: Final = 64

# Held to append to a scope that is not the caller's own (a `move(x, into=other)` from another
# thread or task) and to compact a scope's list, so that neither loses the other's entry.
_FOREIGN_APPEND_LOCK: Final = threading.Lock()


@final
class Scope:
    """A block that owns values: on exit it ends its borrows and drops its values in reverse order.

    Use `with owned.scope():`. Scopes nest per thread and per asyncio task. The root scope,
    which owns what is made outside any `with owned.scope()`, drops its values at exit.
    """

    __slots__ = (
        "_arena",
        "_borrows",
        "_dead",
        "_exited_at",
        "_owned",
        "_state",
        "_token",
        "name",
        "parent",
    )
    __module__ = "owned"

    name: str | None
    parent: Scope | None
    _arena: Arena | None
    _owned: list[Owned[Any]]
    _borrows: set[Ref[Any] | RefMut[Any]] | None  # made on the first borrow
    _dead: int
    _state: int
    _token: Token[Scope] | None
    _exited_at: Site | None

    def __init__(self, name: str | None = None, *, arena: Arena | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"scope(name=...) expects a str or None, got {type(name).__name__}")
        if arena is not None and not isinstance(arena, Arena):
            raise TypeError(
                f"scope(arena=...) expects an owned.Arena or None, got {type(arena).__name__}"
            )
        self.name = name
        self.parent = None
        self._arena = arena
        self._owned = []
        self._borrows = None
        self._dead = 0
        self._state = _FRESH
        self._token = None
        self._exited_at = None

    @property
    def arena(self) -> Arena:
        """The arena that values made in this scope live in (its own, else its parent's)."""
        if self._arena is not None:
            return self._arena
        return (self.parent or current_scope()).arena

    @property
    def is_active(self) -> bool:
        """True between entering and exiting the scope (always for the root)."""
        return self._state == _ACTIVE

    def __enter__(self) -> Scope:
        if self._state != _FRESH:
            raise ValueError(
                f"{self!r} was already entered; a Scope is a single block: "
                "make a new one with owned.scope()"
            )
        self._open(_CURRENT.get())
        return self

    def _open(self, parent: Scope) -> None:
        self.parent = parent
        if self._arena is None:
            self._arena = parent._arena
        self._state = _ACTIVE
        self._token = _CURRENT.set(self)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._state != _ACTIVE:
            raise ValueError(f"{self!r} is not active, so it cannot be exited")
        self._close(site_of(_getframe(1)), exc)

    def _close(self, site: Site, exc: BaseException | None) -> None:
        """End this scope's borrows, then drop its values newest first; report `__drop__` errors."""
        self._detach(site)
        self._end_borrows()
        self._drop_values(site, exc)

    def _detach(self, site: Site) -> None:
        """Stop being the current scope; from now on nothing can be moved into it."""
        token = self._token
        self._token = None
        self._state = _EXITED
        self._exited_at = site
        if token is not None:
            try:
                _CURRENT.reset(token)
            except ValueError:
                raise ValueError(
                    f"{self!r} was exited in another thread or task than it was entered in"
                ) from None

    def _end_borrows(self) -> None:
        borrows = self._borrows
        if borrows:
            self._borrows = None
            for borrow in borrows:
                borrow._end_by(self)

    def _drop_values(self, site: Site, exc: BaseException | None) -> None:
        owned = self._owned
        if not owned:
            return
        self._owned = []
        failures: list[BaseException] = []
        for handle in reversed(owned):
            # drop_at_exit(handle, site), inlined: this loop runs once per value a scope owns.
            if handle._scope is self and handle._flag >= MUT:
                handle._flag = DROPPED  # claimed: see _states
                failure = free_dropped(handle, site, "scope exit")
                if failure is not None:
                    failures.append(failure)
        if failures:
            report_drop_failures(self, failures, exc)

    def _adopt_foreign(self, handle: Owned[Any]) -> None:
        """Own `handle` although this scope may belong to another thread or task."""
        if self is ROOT:
            return
        with _FOREIGN_APPEND_LOCK:
            self._owned.append(handle)

    def _compact(self) -> None:
        """Forget the handles that left this scope (moved out or dropped)."""
        with _FOREIGN_APPEND_LOCK:
            self._owned = [h for h in self._owned if h._scope is self and h._flag >= -1]
            self._dead = 0

    def __repr__(self) -> str:
        name = "root" if self is ROOT else repr(self.name) if self.name else hex(id(self))
        state = ("fresh", "active", "exited")[self._state]
        return f"<owned.Scope {name} ({state})>"


def drop_at_exit(handle: Owned[Any], site: Site | None) -> BaseException | None:
    """Drop a value because its scope ended, even if borrowed elsewhere (those borrows dangle).

    Returns what `__drop__` raised, for the scope to report once every value is dropped.
    """
    if handle._flag >= MUT:
        handle._flag = DROPPED  # claimed: see _states
    else:
        return None
    return free_dropped(handle, site if site is not None else handle._scope, "scope exit")


# The `__drop__` of types that can never gain one (int, str, list...: Python's built-in types
# are immutable), found once; a class of the program's may get one later, so it is looked up.
_IMMUTABLE_TYPE: Final = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE
_UNKNOWN_HOOK: Final = object()
_FIXED_HOOKS: dict[type, Any] = {}


def free_dropped(handle: Owned[Any], end: Site | Scope, detail: str | None) -> BaseException | None:
    """Free the block of a handle just claimed as dropped, then run its value's `__drop__`.

    The block is freed first, so that a failing hook leaks nothing; what the hook raised is
    recorded in the arena and returned.
    """
    value = handle._value
    handle._aux = end
    handle._value = None
    arena = handle._arena
    arena._release(handle._address, handle._size, detail)
    cls = type(value)
    hook = _FIXED_HOOKS.get(cls, _UNKNOWN_HOOK)
    if hook is _UNKNOWN_HOOK:
        hook = getattr(cls, "__drop__", None)  # raises and catches inside when there is none
        if cls.__flags__ & _IMMUTABLE_TYPE:
            _FIXED_HOOKS[cls] = hook
    if hook is not None:
        try:
            hook(value)
        except BaseException as failure:
            arena._count_drop_failure(handle, failure, value)
            return failure
    return None


def report_drop_failures(
    scope: Scope, failures: list[BaseException], exc: BaseException | None
) -> None:
    """Raise what `__drop__` raised at a scope's exit, without hiding the body's exception."""
    where = "the root scope's exit" if scope is ROOT else f"the exit of {scope!r}"
    if exc is not None:
        add_note(
            exc,
            f"while unwinding, __drop__ also raised {len(failures)} time(s) at {where}: "
            + "; ".join(f"{type(f).__name__}: {f}" for f in failures),
        )
        return
    if len(failures) == 1:
        add_note(failures[0], f"raised by __drop__ at {where}; every other value was dropped")
        raise failures[0]
    raise BaseExceptionGroup(
        f"__drop__ raised for {len(failures)} values at {where}; every value was dropped",
        failures,
    )


def add_note(exc: BaseException, note: str) -> None:
    """`exc.add_note(note)`, also on Python 3.10."""
    notes = getattr(exc, "__notes__", None)
    if notes is None:
        notes = []
        exc.__notes__ = notes
    notes.append(note)


def _make_root() -> Scope:
    root = Scope("root", arena=Arena())
    root._state = _ACTIVE
    return root


ROOT: Final = _make_root()
_CURRENT: Final[ContextVar[Scope]] = ContextVar("owned.scope", default=ROOT)
current_scope: Final = _CURRENT.get


def scope(name: str | None = None, *, arena: Arena | None = None) -> Scope:
    """A new block: `with owned.scope():` drops, at its end, what was made or moved in it."""
    return Scope(name, arena=arena)


@atexit.register
def _drop_root_values() -> None:
    """The end of `main`: drop what the root scope still owns, newest first."""
    from ._handles import Owned

    failures: list[BaseException] = []
    for arena in all_arenas():
        for record in reversed(list(arena._live.values())):
            if type(record) is Owned and record._scope is ROOT and record._flag >= -1:
                failure = drop_at_exit(record, None)
                if failure is not None:
                    failures.append(failure)
    for failure in failures:
        sys.stderr.write(f"owned: __drop__ raised at exit: {type(failure).__name__}: {failure}\n")
