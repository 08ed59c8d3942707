"""Rust's ownership model for Python: one owner per value, moves, borrows, and scoped drops.

PYTEST_DONT_REWRITE: the runtime is a library, not test code (pytest would otherwise rewrite
it, since its pytest plugin lives in this package).
"""

import contextlib

from ._arena import Arena as Arena
from ._arena import ArenaStats as ArenaStats
from ._arena import DropFailure as DropFailure
from ._borrows import Ref as Ref
from ._borrows import RefMut as RefMut
from ._errors import BorrowError as BorrowError
from ._errors import BorrowMutError as BorrowMutError
from ._errors import DanglingRefError as DanglingRefError
from ._errors import DoubleDropError as DoubleDropError
from ._errors import MoveWhileBorrowedError as MoveWhileBorrowedError
from ._errors import OutOfMemoryError as OutOfMemoryError
from ._errors import OwnershipError as OwnershipError
from ._errors import UseAfterDropError as UseAfterDropError
from ._errors import UseAfterMoveError as UseAfterMoveError
from ._events import Event as Event
from ._function import function as function
from ._handles import Owned as Owned
from ._handles import drop as drop
from ._handles import move as move
from ._pointer import Pointer as Pointer
from ._scope import Scope as Scope
from ._scope import current_scope as current_scope
from ._scope import scope as scope
from ._sites import Site as Site

__all__ = [
    "Arena",
    "ArenaStats",
    "BorrowError",
    "BorrowMutError",
    "DanglingRefError",
    "DoubleDropError",
    "DropFailure",
    "Event",
    "MoveWhileBorrowedError",
    "OutOfMemoryError",
    "Owned",
    "OwnershipError",
    "Pointer",
    "Ref",
    "RefMut",
    "Scope",
    "Site",
    "UseAfterDropError",
    "UseAfterMoveError",
    "current_scope",
    "drop",
    "function",
    "move",
    "scope",
]


def _report_public_module() -> None:
    """Make `repr()` and tracebacks say `owned.Owned`, not `owned._handles.Owned` (as trio does)."""
    for name in __all__:
        public = globals()[name]
        if (getattr(public, "__module__", None) or "").startswith("owned."):
            with contextlib.suppress(AttributeError, TypeError):  # e.g. a builtin method
                public.__module__ = "owned"


_report_public_module()
