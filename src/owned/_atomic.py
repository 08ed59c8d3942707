"""What makes each ownership operation atomic: it happens wholly or not at all.

Compiled, an operation changes state in C with no Python code between its steps: the GIL is
its lock, and no signal handler, finalizer or other thread can run in the middle. This module
is what the interpreted build (and the runtime's few Python-level operations) add to match:

- `STATE`, one lock over all ownership state (handles, scopes, arenas), held only while an
  operation writes, never while it calls a program's code (`__drop__`, `deepcopy`, ...). A
  finalizer or signal handler that runs an operation while its own thread holds the lock is
  told so (`Reentrant`); the operations that can wait (ending a borrow whose guard was freed,
  a drop from `__del__`) are deferred to the moment the lock is let go instead.
- KeyboardInterrupt deferral, as trio does it: a SIGINT handler that looks at the frame the
  signal interrupted, and if that frame is the runtime's own, has the signal sent again a
  moment later instead of raising, so that it is raised in the program's code after the
  operation.
"""

from __future__ import annotations

import _thread
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Final

__all__ = ["STATE", "Reentrant", "defer", "protect_module", "unprotect_module"]

_get_ident: Final = threading.get_ident
_getrecursionlimit: Final = sys.getrecursionlimit
_setrecursionlimit: Final = sys.setrecursionlimit
_HEADROOM: Final = 50


class Reentrant(RuntimeError):
    """An operation started while the same thread was in the middle of another one."""


class _StateLock:
    """`with STATE:` around the writing part of an interpreted operation."""

    __slots__ = ("_deferred", "_holder", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder = 0
        self._deferred: list[Callable[[], object]] = []

    def __enter__(self) -> None:
        me = _get_ident()
        if self._holder == me:
            raise Reentrant(
                "owned: an ownership operation was started by a finalizer (__del__) or a "
                "signal handler while this thread was in the middle of another one; do it "
                "after that operation instead"
            )
        self._lock.acquire()
        self._holder = me
        # The writing part of an operation makes a few calls: near the recursion limit one of
        # them would raise RecursionError half-way, so it runs with some headroom.
        _setrecursionlimit(_getrecursionlimit() + _HEADROOM)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _setrecursionlimit(_getrecursionlimit() - _HEADROOM)
        self._holder = 0
        self._lock.release()
        if self._deferred:
            self._run_deferred()

    def held_here(self) -> bool:
        """True while this thread is inside an operation's writing part."""
        return self._holder == _get_ident()

    def _run_deferred(self) -> None:
        while self._deferred:
            work = self._deferred.pop(0)
            try:
                work()
            except Exception as failure:  # as CPython reports a failing __del__
                sys.stderr.write(f"owned: deferred {work!r} raised {failure!r}\n")


STATE: Final = _StateLock()


def defer(work: Callable[[], object]) -> None:
    """Run `work` when this thread lets go of `STATE` (call it only while holding it)."""
    STATE._deferred.append(work)


# -- KeyboardInterrupt ---------------------------------------------------------------------

# The globals dicts of the modules whose frames a KeyboardInterrupt must not cut through.
_PROTECTED: Final[set[int]] = set()
_previous_handler: Callable[[int, FrameType | None], object] | None = None


def protect_module(module_globals: dict[str, object]) -> None:
    """Defer KeyboardInterrupt while a frame of this module is the innermost one."""
    _PROTECTED.add(id(module_globals))
    _install_handler()


def unprotect_module(module_globals: dict[str, object]) -> None:
    _PROTECTED.discard(id(module_globals))


def _deferring_handler(signum: int, frame: FrameType | None) -> None:
    if frame is not None and (_deciding[0] or _protected(frame)):
        # Inside an operation: raise when it is over. Re-arming here would deliver the signal
        # again at once, inside this handler (CPython checks for signals after each call), so
        # another thread re-arms it a moment later, until a program frame is innermost.
        if not _rearming[0]:
            _rearming[0] = True
            try:
                _start_thread(_rearm_soon, (signum,))
            except RuntimeError:  # no new threads (interpreter shutting down): raise now
                _rearming[0] = False
                raise KeyboardInterrupt from None
        return
    assert _previous_handler is not None
    _previous_handler(signum, frame)


def _protected(frame: FrameType) -> bool:
    """Whether a Ctrl-C arriving in `frame` must wait.

    Deciding runs Python code (`dis`), where the next signal can arrive: that one waits too
    (`_deciding`), else its KeyboardInterrupt would escape through this handler into the
    frame that was being protected.
    """
    _deciding[0] = True
    try:
        return id(frame.f_globals) in _PROTECTED or _entering_with(frame)
    finally:
        _deciding[0] = False


_deciding: Final = [False]


def _entering_with(frame: FrameType) -> bool:
    """Whether `frame` is between a `with` statement's `__enter__` and its block.

    An exception raised there skips `__exit__`: the scope (or lock, or file) stays entered.
    CPython 3.14+ checks for signals after the `__enter__` call returns (`LOAD_SPECIAL`,
    `CALL`), before the block's handler covers it; 3.10-3.13 call `__enter__` inside one
    instruction (`SETUP_WITH`, `BEFORE_WITH`) and have no such point.
    """
    import dis  # only when a signal arrives

    previous = None
    for instruction in dis.get_instructions(frame.f_code):
        if instruction.offset == frame.f_lasti:
            return (
                instruction.opname == "CALL"
                and previous is not None
                and previous.opname == "LOAD_SPECIAL"
                and previous.argrepr == "__enter__"
            )
        previous = instruction
    return False


_rearming: Final = [False]
_start_thread: Final = _thread.start_new_thread


def _rearm_soon(signum: int) -> None:
    """The deferred Ctrl-C, sent again 0.2 ms later (a few operations' time)."""
    time.sleep(0.0002)
    _rearming[0] = False
    _thread.interrupt_main(signum)  # type: ignore[arg-type] # an int works; typeshed: Signals


def _install_handler() -> None:
    """Take over SIGINT if nobody else has (the default handler raises KeyboardInterrupt)."""
    global _previous_handler
    if _previous_handler is not None or threading.current_thread() is not threading.main_thread():
        return
    try:
        current = signal.getsignal(signal.SIGINT)
    except (ValueError, OSError):  # pragma: no cover - no signals on this platform
        return
    if current is not signal.default_int_handler:
        return  # the program (or IPython, asyncio...) handles Ctrl-C itself
    _previous_handler = signal.default_int_handler
    signal.signal(signal.SIGINT, _deferring_handler)


protect_module(globals())
