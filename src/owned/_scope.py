"""Scopes: Rust's blocks. At exit they end their borrows and drop what they own, newest first.

A scope is current for the thread or task that entered it (a context variable) until it
exits, and only that thread or task can exit it, innermost first; a refused exit changes
nothing. A scope that has exited is never current: code still running with it in its context
(a task that outlived it) owns its values through the nearest enclosing scope still active.
"""

from __future__ import annotations

import atexit
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any, NoReturn

from ._arena import Arena
from ._borrows import end_loans
from ._handles import Owned, add_note, claim_at_exit, finish_drop, needs_finishing
from ._kinds import seal
from ._owners import Handle, Owner, current_owner, current_var, register, set_root, unregister
from ._sites import Site, caller_site

try:
    import cython
except ImportError:  # interpreted, without Cython installed
    from . import _cython_shim as cython

if not cython.compiled:
    from ._atomic import STATE
    from ._states import ACTIVE, EXITED, FRESH, MUT

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup
else:  # pragma: no cover - Python 3.10
    from exceptiongroup import BaseExceptionGroup

__all__ = [
    "ROOT",
    "Scope",
    "call_scope",
    "close",
    "current_scope",
    "drop_root_values",
    "exit_set_aside",
    "scope",
    "set_aside",
]

_CO_GENERATOR = 0x20 | 0x200  # CO_GENERATOR | CO_ASYNC_GENERATOR
CURRENT = current_var()


class Scope(Owner):
    """A block that owns values: on exit it ends its borrows and drops its values in reverse order.

    Use `with owned.scope():`. Scopes nest per thread and per asyncio task. The root scope,
    which owns what is made outside any `with owned.scope()`, drops its values at exit.
    """

    __slots__ = ("_exited_at", "_token", "name")
    __module__ = "owned"

    _exited_at: Site | None
    _token: Any  # the context variable's token while it is the entered scope, else None
    name: str | None

    def __init__(self, name: str | None = None, *, arena: Arena | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"scope(name=...) expects a str or None, got {type(name).__name__}")
        if arena is not None and type(arena) is not Arena:
            raise TypeError(
                f"scope(arena=...) expects an owned.Arena or None, got {type(arena).__name__}"
            )
        made = (
            (self._token is not None or self._state != FRESH or self._exited_at is not None)
            if cython.compiled
            else hasattr(self, "_state")
        )
        if made:
            raise TypeError("Scope.__init__ runs once: make a new scope with owned.scope()")
        self._init_owner(arena, FRESH)
        self.name = name
        self._token = None
        self._exited_at = None

    @property
    def parent(self) -> Scope | None:
        """The enclosing scope (None for the root, and for a scope not entered yet)."""
        return self._parent  # type: ignore[return-value]

    @property
    def arena(self) -> Arena:
        """The arena that values made in this scope live in (its own, else its parent's)."""
        if self._arena is not None:
            return self._arena  # type: ignore[no-any-return]
        return (self.parent or current_scope()).arena

    @property
    def is_active(self) -> bool:
        """True between entering and exiting the scope (always for the root)."""
        return self._state == ACTIVE

    @property
    def exited_at(self) -> Site | None:
        """Where the scope exited (the end of its `with` block, or its call's return)."""
        return self._exited_at

    def __enter__(self) -> Scope:
        if self._state != FRESH:
            raise ValueError(
                f"{self!r} was already entered; a Scope is a single block: "
                "make a new one with owned.scope()"
            )
        _refuse_in_generator(caller_site())
        parent = current_owner()
        if cython.compiled:
            _open(self, parent)
        else:
            with STATE:
                _open(self, parent)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        close(self, caller_site(), exc)

    def __repr__(self) -> str:
        name = "root" if self is ROOT else repr(self.name) if self.name else hex(id(self))
        state = ("fresh", "active", "exited")[self._state]
        return f"<owned.Scope {name} ({state})>"

    def __copy__(self) -> NoReturn:
        raise TypeError("an owned.Scope is one block of the program: it cannot be copied")

    def __deepcopy__(self, memo: object) -> NoReturn:
        raise TypeError("an owned.Scope is one block of the program: it cannot be copied")

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("an owned.Scope is one block of this process and cannot be pickled")


seal(Scope)


def _refuse_in_generator(site: Site) -> None:
    """A scope entered in a generator would stay current while it is suspended at a yield."""
    code = site.code
    if code.co_flags & _CO_GENERATOR:
        from ._bytecode import with_block_yields

        if with_block_yields(code, site.offset):
            raise TypeError(
                "`with owned.scope():` around a `yield` in a generator would keep the scope "
                "current while the generator is suspended, so it would own its caller's values: "
                "open the scope in a function the generator calls, or yield outside the block"
            )


def _open(scope: Scope, parent: Owner) -> None:
    scope._parent = parent
    if scope._arena is None:
        scope._arena = parent._arena
    scope._token = _set_current(scope)
    scope._state = ACTIVE
    register(scope)


# -- scopes that outlive their block (the notebook extension, owned._notebook) --------------
# A notebook cell's scope is entered when the cell starts, set aside when it ends (no longer
# current, still active: what it owns lives on, and later cells use it) and exited when the
# same cell runs again, from outside any `with`.


def set_aside(scope: Scope) -> None:
    """Make current again the scope that was current before `scope` was entered, leaving
    `scope` active: its values and borrows live on. Call it where `scope` was entered."""
    token = scope._token
    if scope._state != ACTIVE or token is None:
        raise ValueError(
            f"{scope!r} is not the entered scope of a block, so it cannot be set aside"
        )
    scope._token = None
    _reset_current(token)


def exit_set_aside(scope: Scope) -> None:
    """Exit a scope that was set aside: end its borrows, then drop its values newest first.

    There is no line of the program where this happens, so the values' drop site is the
    scope itself (as for the root scope at exit).
    """
    if scope._state != ACTIVE or scope._token is not None or scope is ROOT:
        raise ValueError(f"{scope!r} was not set aside, so it cannot be exited this way")
    if cython.compiled:
        _end(scope, None)
    else:
        with STATE:
            _end(scope, None)
    drop_members(scope, None)


def _end(scope: Scope, site: Site | None) -> None:
    scope._state = EXITED
    scope._exited_at = site
    unregister(scope)
    end_loans(scope)


def _set_current(scope: Owner) -> Any:
    """Make `scope` current in this context; return the token that undoes it."""
    if cython.compiled:
        return _c_set(CURRENT, scope)  # C API: no Python call that could fail half-way
    return CURRENT.set(scope)


def _reset_current(token: Any) -> None:
    if cython.compiled:
        _c_reset(CURRENT, token)
    else:
        CURRENT.reset(token)


def _get_current() -> Any:
    if cython.compiled:
        return _c_get(CURRENT)
    return CURRENT.get(None)


if not cython.compiled:  # the compiled core's C helpers (`_scope.pxd`), for type checkers

    def _c_set(var: Any, value: Any) -> Any:
        raise AssertionError("compiled only")

    def _c_reset(var: Any, token: Any) -> None:
        raise AssertionError("compiled only")

    def _c_get(var: Any) -> Any:
        raise AssertionError("compiled only")


def call_scope(name: str, caller: Owner) -> Scope:
    """The active scope of one `@owned.function` call (the caller makes it current)."""
    scope: Scope = Scope.__new__(Scope)
    scope._init_owner(caller._arena, ACTIVE)
    scope.name = name
    scope._parent = caller
    scope._token = None
    scope._exited_at = None
    return scope


def close(scope: Scope, site: Site, exc: BaseException | None) -> None:
    """Exit `scope`: end its borrows, then drop its values newest first; report `__drop__`s."""
    if cython.compiled:
        refusal = _detach(scope, site)
    else:
        with STATE:
            refusal = _detach(scope, site)
    if refusal is not None:
        raise refusal
    drop_members(scope, exc)


def _detach(scope: Scope, site: Site) -> Exception | None:
    """Stop being current and active, end the scope's borrows; or say why it may not exit."""
    if scope._state != ACTIVE or scope is ROOT:
        return ValueError(f"{scope!r} is not active, so it cannot be exited")
    if _get_current() is not scope:
        return ValueError(
            f"{scope!r} cannot exit here: it is not the current scope of this thread or task "
            "(exit the scopes inside it first, and exit it where it was entered)"
        )
    token = scope._token
    if token is not None:
        _reset_current(token)
    scope._token = None
    _end(scope, site)
    return None


def leave_call(scope: Scope, site: Site | None) -> None:
    """A call's scope stops being active; its token was reset by the wrapper."""
    scope._state = EXITED
    scope._exited_at = site
    end_loans(scope)


def drop_members(scope: Owner, exc: BaseException | None) -> None:
    """Drop every value `scope` still owns, newest first (its exit), then report failures."""
    members = scope._members
    if not members:
        return
    scope._members = []
    failures: list[BaseException] = []
    index = len(members)
    while index > 0:
        index -= 1
        member: Handle = members[index]
        if member._owner is not scope or member._state < MUT:
            continue
        if type(member) is Owned:
            owned_member: Owned[Any] = member
            if cython.compiled:
                value = claim_at_exit(owned_member, scope)
            else:
                with STATE:
                    value = claim_at_exit(owned_member, scope)
            if needs_finishing(owned_member, value):
                finish_drop(owned_member, value, scope, failures)
        else:
            member._drop_as_part(scope, failures)  # type: ignore[attr-defined]
    scope._dead = 0
    if failures:
        report_drop_failures(scope, failures, exc)


def report_drop_failures(
    scope: Owner, failures: list[BaseException], exc: BaseException | None
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
    for failure in failures:
        # An interrupt (Ctrl-C, SystemExit) stays what it is, for `except KeyboardInterrupt`.
        if not isinstance(failure, Exception):
            others = [f"{type(f).__name__}: {f}" for f in failures if f is not failure]
            add_note(
                failure,
                f"raised by __drop__ at {where}; every other value was dropped; __drop__ also "
                "raised " + "; ".join(others),
            )
            raise failure
    raise BaseExceptionGroup(
        f"__drop__ raised for {len(failures)} values at {where}; every value was dropped",
        failures,
    )


def _make_root() -> Scope:
    root = Scope("root", arena=Arena())
    root._state = ACTIVE
    return root


ROOT = _make_root()
set_root(ROOT)


def current_scope() -> Scope:
    """The innermost active scope of this thread or task (the root scope outside any)."""
    return current_owner()  # type: ignore[no-any-return]


def scope(name: str | None = None, *, arena: Arena | None = None) -> Scope:
    """A new block: `with owned.scope():` drops, at its end, what was made or moved in it."""
    return Scope(name, arena=arena)


def drop_root_values(chosen: Callable[[Any], bool] | None = None) -> None:
    """Drop, newest first, what the root scope owns (that `chosen` picks); report failures
    on stderr, as at the end of `main`."""
    root: Scope = ROOT
    kept: list[Handle] = []
    picked: list[Handle] = []
    for member in root._members:
        if chosen is None or chosen(member):
            picked.append(member)
        else:
            kept.append(member)
    root._members = picked
    try:
        drop_members(root, None)
    except BaseException as failure:
        sys.stderr.write(f"owned: __drop__ raised at exit: {type(failure).__name__}: {failure}\n")
    finally:
        root._members = kept + root._members


atexit.register(drop_root_values)


if not cython.compiled:  # interpreted, a KeyboardInterrupt waits until the operation is over
    from ._atomic import protect_module

    protect_module(globals())
