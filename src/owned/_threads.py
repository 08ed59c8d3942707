"""Threads that own and borrow: `spawn` (Rust's `thread::spawn(move || ...)`) and
`thread_scope` (`thread::scope`).

A spawned thread runs in a scope of its own, which the values passed to it are moved into
at the spawning line and which drops them when the function returns. Borrows may go only to
a `thread_scope`'s threads, which are joined before the block ends; `Rc`/`Weak` (or a borrow
of one) go to none. Every check is made before anything moves: a refused spawn changes nothing.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, NoReturn, TypeVar, final

from ._borrows import Ref, RefMut
from ._errors import DanglingRefError, OwnershipError
from ._glue import STATE, handles_in, never_raises, site_of, user_site
from ._handles import Owned, transfer, undo_transfer
from ._kinds import seal
from ._owners import current_owner, register, unregister
from ._rc import Rc, SharedHandle, Weak, move_shared, not_send
from ._refusals import move_error
from ._scope import _reset_current, _set_current, call_scope, drop_members, leave_call
from ._sites import Site

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup
else:  # pragma: no cover - Python 3.10
    from exceptiongroup import BaseExceptionGroup

__all__ = ["JoinHandle", "spawn", "thread_scope"]

R = TypeVar("R")
_BORROWS = (Ref, RefMut)


def _refusal(value: object, site: Site, scoped: bool) -> Exception | None:
    """Why `value` may not be handed to a new thread, or None."""
    cls = type(value)
    if cls in _BORROWS:
        place = value.owner  # type: ignore[attr-defined]
        if type(place) in (Rc, Weak):
            return not_send(type(place).__name__, place._box._value, site, shared=True)
        if not scoped:
            return _outlives(place, site, value)
        return None
    for handle in (value, *handles_in(value)):
        if type(handle) in (Rc, Weak):  # a handle there: the check is by exact type
            assert isinstance(handle, (Rc, Weak))
            return not_send(type(handle).__name__, handle._box._value, site)
    if (cls is Owned or isinstance(value, SharedHandle)) and value._state != 0:  # type: ignore[attr-defined]
        return move_error(value._facts(), site, "move out of")  # type: ignore[attr-defined]
    return None


def _outlives(place: Any, site: Site, borrow: object) -> DanglingRefError:
    """rustc's E0373: the thread may outlive the value its argument borrows."""
    name = place.name
    what = f"`{name}`" if name else "a value"
    return DanglingRefError(
        f"closure may outlive the current function, but it borrows {what}, which is owned by "
        "the current function",
        code="E0373",
        name=name,
        labels=((f"may outlive borrowed value {what}", site),),
        help=(
            f"to force the thread to take ownership of {what}, pass the value itself "
            f"(owned.spawn(f, {name or 'v'})) to move it in, or use owned.thread_scope()"
        ),
        used_at=site,
    )


def _hand_over(args: tuple[Any, ...], kwargs: dict[str, Any], site: Site, scoped: bool) -> Any:
    """Check every argument, then move the handles among them into a new thread scope."""
    for value in (*args, *kwargs.values()):
        refusal = _refusal(value, site, scoped)
        if refusal is not None:
            raise refusal
    caller = current_owner()
    scope = call_scope("thread", caller)
    moved: list[tuple[Any, Any]] = []

    def move_in(value: Any) -> Any:
        if type(value) is Owned:
            new = transfer(value, scope, site, None)
        elif isinstance(value, SharedHandle):
            new = move_shared(value, scope, site)
        else:
            return value
        moved.append((value, new))
        return new

    try:
        args = tuple(map(move_in, args))
        kwargs = {key: move_in(value) for key, value in kwargs.items()}
    except BaseException:
        for old, new in reversed(moved):
            if type(old) is Owned:
                undo_transfer(old, new)
        raise
    with STATE:
        register(scope)
    return scope, args, kwargs


@final
class JoinHandle(Generic[R]):
    """A spawned thread: `join()` waits for it and returns its result (Rust's `JoinHandle`)."""

    __slots__ = ("_error", "_joined", "_keeper", "_result", "_thread")
    __module__ = "owned"

    _error: BaseException | None
    _joined: bool
    _keeper: Any
    _result: Any
    _thread: threading.Thread

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("JoinHandle has no public constructor: call owned.spawn(f, ...)")

    def join(self, timeout: float | None = None) -> R:
        """Wait for the thread; return what its function returned (a returned handle is moved
        to the joining scope), or raise what it raised."""
        site = user_site()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"{self!r} did not finish within {timeout} s")
        self._joined = True  # what it raised is the joiner's now, not its thread_scope's
        if self._error is not None:
            raise self._error
        result = self._result
        keeper = self._keeper
        if keeper is not None:
            self._keeper = None
            if type(result) is Owned:
                result = transfer(result, current_owner(), site, None)
            else:
                result = move_shared(result, current_owner(), site)
            self._result = None
            with STATE:
                unregister(keeper)
            leave_call(keeper, None)
        return result  # type: ignore[no-any-return]

    def is_finished(self) -> bool:
        """True once the thread's function has returned or raised."""
        return not self._thread.is_alive()

    @never_raises
    def __repr__(self) -> str:
        state = "finished" if not self._thread.is_alive() else "running"
        return f"<owned.JoinHandle {self._thread.name} ({state})>"

    def __copy__(self) -> NoReturn:
        raise TypeError("a JoinHandle is the one way to join its thread: it cannot be copied")


def _start(
    scope: Any, function: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> JoinHandle[R]:
    handle: JoinHandle[R] = JoinHandle.__new__(JoinHandle)
    handle._error = None
    handle._result = None
    handle._keeper = None
    handle._joined = False

    def run() -> None:
        token = _set_current(scope)
        result: Any = None
        error: BaseException | None = None
        try:
            result = function(*args, **kwargs)
        except BaseException as failure:  # the joiner gets it, as Rust's join() gets a panic
            error = failure
        finally:
            _reset_current(token)
        returned = type(result) is Owned or isinstance(result, SharedHandle)
        if error is None and returned and result.is_alive and result._owner is scope:
            keeper = call_scope("joined", scope.parent)
            with STATE:
                register(keeper)
            if type(result) is Owned:
                result = transfer(result, keeper, result.allocated_at, None)
            else:
                result = move_shared(result, keeper, site_of(result._site))
            handle._keeper = keeper
        with STATE:
            unregister(scope)
        leave_call(scope, None)
        try:
            drop_members(scope, error)
        except BaseException as failure:
            error = error or failure
        handle._result = result
        handle._error = error

    handle._thread = threading.Thread(target=run, name=getattr(function, "__name__", "thread"))
    handle._thread.start()
    return handle


def spawn(function: Callable[..., R], /, *args: Any, **kwargs: Any) -> JoinHandle[R]:
    """Run `function(*args, **kwargs)` in a new thread, as `thread::spawn(move || ...)`.

    `Owned`/`Arc` arguments are moved into the thread (dead here) and dropped when it returns.
    A `Ref`/`RefMut` argument raises `DanglingRefError` (E0373), an `Rc`/`Weak` one
    `NotSendError` (E0277); nothing moves then.
    """
    site = user_site()
    if not callable(function):
        raise TypeError(f"spawn expects a callable, got {type(function).__name__}")
    try:
        scope, args, kwargs = _hand_over(args, kwargs, site, False)
    except (OwnershipError, TypeError, ValueError) as refused:  # refused at the caller's line,
        del args, kwargs  # with no frame keeping a refused borrow active
        raise refused.with_traceback(None) from None
    return _start(scope, function, args, kwargs)


@final
class _ThreadScope:
    """`with owned.thread_scope() as s:`: threads that may borrow, all joined at the end."""

    __slots__ = ("_handles", "_open")
    __module__ = "owned"

    def __init__(self) -> None:
        self._handles: list[JoinHandle[Any]] = []
        self._open = False

    def spawn(self, function: Callable[..., R], /, *args: Any, **kwargs: Any) -> JoinHandle[R]:
        """As `owned.spawn`, but borrows of values owned outside the block may be passed."""
        site = user_site()
        if not self._open:
            raise ValueError("s.spawn() works only inside its `with owned.thread_scope()` block")
        if not callable(function):
            raise TypeError(f"spawn expects a callable, got {type(function).__name__}")
        try:
            scope, args, kwargs = _hand_over(args, kwargs, site, True)
        except (OwnershipError, TypeError, ValueError) as refused:  # refused at the caller's line,
            del args, kwargs  # with no frame keeping a refused borrow active
            raise refused.with_traceback(None) from None
        handle = _start(scope, function, args, kwargs)
        self._handles.append(handle)
        return handle

    def __enter__(self) -> _ThreadScope:
        if self._open:
            raise ValueError("this thread_scope is already open: make a new one")
        self._open = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        errors: list[BaseException] = []
        for handle in self._handles:
            handle._thread.join()
            if handle._error is not None and not handle._joined:
                errors.append(handle._error)
        self._open = False
        if exc is not None or not errors:
            return
        if len(errors) == 1:
            raise errors[0]
        raise BaseExceptionGroup(f"{len(errors)} scoped threads raised", errors)

    @never_raises
    def __repr__(self) -> str:
        running = sum(handle._thread.is_alive() for handle in self._handles)
        return f"<owned.thread_scope {len(self._handles)} threads, {running} running>"


def thread_scope() -> _ThreadScope:
    """Rust's `thread::scope`: `with owned.thread_scope() as s: s.spawn(f, x.borrow())`."""
    return _ThreadScope()


seal(JoinHandle)
