"""Rust's ownership model for Python: one owner per value, moves, borrows, and scoped drops.

The public names load on first use (`owned.Owned`, `from owned import Owned`), so that the
build of the core can still be chosen before that (`pytest --owned-build=python`).

PYTEST_DONT_REWRITE: the runtime is a library, not test code (pytest would otherwise rewrite
it, since its pytest plugin lives in this package).
"""

from ._gil import require_gil as _require_gil

_require_gil()  # before anything else: without the GIL, the core's operations are not atomic

from typing import TYPE_CHECKING as _TYPE_CHECKING  # noqa: E402
from typing import Any as _Any  # noqa: E402

from . import _build, _tracebacks  # noqa: E402 - cold modules only: the core is still unchosen

__version__ = "0.2.0"

if _TYPE_CHECKING:  # what type checkers see; at run time the names load on first use
    from ._arena import Arena as Arena
    from ._arena import ArenaStats as ArenaStats
    from ._arena import DropFailure as DropFailure
    from ._borrows import Ref as Ref
    from ._borrows import RefMut as RefMut
    from ._census import Leak as Leak
    from ._errors import BorrowError as BorrowError
    from ._errors import BorrowMutError as BorrowMutError
    from ._errors import DanglingRefError as DanglingRefError
    from ._errors import DoubleDropError as DoubleDropError
    from ._errors import MoveOutOfBorrowError as MoveOutOfBorrowError
    from ._errors import MoveWhileBorrowedError as MoveWhileBorrowedError
    from ._errors import NotSendError as NotSendError
    from ._errors import OutOfMemoryError as OutOfMemoryError
    from ._errors import OwnershipError as OwnershipError
    from ._errors import PoisonError as PoisonError
    from ._errors import UseAfterDropError as UseAfterDropError
    from ._errors import UseAfterMoveError as UseAfterMoveError
    from ._events import Event as Event
    from ._function import function as function
    from ._handles import Owned as Owned
    from ._handles import drop as drop
    from ._handles import move as move
    from ._interior import Cell as Cell
    from ._interior import RefCell as RefCell
    from ._mem import replace as replace
    from ._mem import swap as swap
    from ._mem import take as take
    from ._notebook import load_ipython_extension as load_ipython_extension
    from ._notebook import unload_ipython_extension as unload_ipython_extension
    from ._pointer import Pointer as Pointer
    from ._rc import Rc as Rc
    from ._rc import Weak as Weak
    from ._scope import Scope as Scope
    from ._scope import current_scope as current_scope
    from ._scope import scope as scope
    from ._sites import Site as Site
    from ._sync import Arc as Arc
    from ._sync import Mutex as Mutex
    from ._sync import MutexGuard as MutexGuard
    from ._threads import JoinHandle as JoinHandle
    from ._threads import spawn as spawn
    from ._threads import thread_scope as thread_scope

_build.install()

# Public name -> the module that defines it.
_HOMES: dict[str, str] = {
    "Arc": "_sync",
    "Arena": "_arena",
    "ArenaStats": "_arena",
    "BorrowError": "_errors",
    "BorrowMutError": "_errors",
    "Cell": "_interior",
    "DanglingRefError": "_errors",
    "DoubleDropError": "_errors",
    "DropFailure": "_arena",
    "Event": "_events",
    "JoinHandle": "_threads",
    "Leak": "_census",
    "MoveOutOfBorrowError": "_errors",
    "MoveWhileBorrowedError": "_errors",
    "Mutex": "_sync",
    "MutexGuard": "_sync",
    "NotSendError": "_errors",
    "OutOfMemoryError": "_errors",
    "Owned": "_handles",
    "OwnershipError": "_errors",
    "Pointer": "_pointer",
    "PoisonError": "_errors",
    "Rc": "_rc",
    "Ref": "_borrows",
    "RefCell": "_interior",
    "RefMut": "_borrows",
    "Scope": "_scope",
    "Site": "_sites",
    "UseAfterDropError": "_errors",
    "UseAfterMoveError": "_errors",
    "Weak": "_rc",
    "current_scope": "_scope",
    "drop": "_handles",
    "function": "_function",
    "load_ipython_extension": "_notebook",
    "move": "_handles",
    "replace": "_mem",
    "scope": "_scope",
    "spawn": "_threads",
    "swap": "_mem",
    "take": "_mem",
    "thread_scope": "_threads",
    "unload_ipython_extension": "_notebook",
}

__all__ = [
    "Arc",
    "Arena",
    "ArenaStats",
    "BorrowError",
    "BorrowMutError",
    "Cell",
    "DanglingRefError",
    "DoubleDropError",
    "DropFailure",
    "Event",
    "JoinHandle",
    "Leak",
    "MoveOutOfBorrowError",
    "MoveWhileBorrowedError",
    "Mutex",
    "MutexGuard",
    "NotSendError",
    "OutOfMemoryError",
    "Owned",
    "OwnershipError",
    "Pointer",
    "PoisonError",
    "Rc",
    "Ref",
    "RefCell",
    "RefMut",
    "Scope",
    "Site",
    "UseAfterDropError",
    "UseAfterMoveError",
    "Weak",
    "current_scope",
    "drop",
    "function",
    "load_ipython_extension",
    "move",
    "replace",
    "scope",
    "spawn",
    "swap",
    "take",
    "thread_scope",
    "unload_ipython_extension",
]


def __getattr__(name: str) -> _Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'owned' has no attribute {name!r}")
    _load()
    return globals()[name]


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _load() -> None:
    """Import the public names into this module, once."""
    import importlib

    namespace = globals()
    for name, home in _HOMES.items():
        public = getattr(importlib.import_module(f"{__name__}.{home}"), name)
        namespace[name] = public
        _report_public_module(public)
    importlib.import_module(f"{__name__}._census")  # arenas list their blocks through it
    _tracebacks.hide_library_frames()  # pytest: the user's line is where an ownership error is
    _build.loaded()


def _report_public_module(public: object) -> None:
    """Make `repr()` and tracebacks say `owned.Owned`, not `owned._handles.Owned` (as trio)."""
    module = getattr(public, "__module__", None) or ""
    if module.startswith("owned."):
        try:
            public.__module__ = "owned"
        except (AttributeError, TypeError):  # a compiled type names its module itself
            pass


_tracebacks.install_excepthooks()  # Python: show an uncaught ownership error once, trimmed
