"""Loads the optional C accelerator (`_speedups.c`) and hands it the runtime's types.

It is built at install on CPython 3.11+ when a C compiler is there (hatch_build.py); without
it, or with OWNED_PURE_PYTHON=1 in the environment, everything runs in Python alike.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

from ._arena import Arena
from ._borrows import WITH_BLOCK, Ref, RefMut, _Borrow
from ._calls import finish
from ._handles import Owned
from ._scope import _ACTIVE, _CURRENT, _EXITED, ROOT, Scope
from ._sites import _SITES, site_of
from ._states import MOVED, MUT

__all__ = ["ACCELERATOR"]


def _load() -> ModuleType | None:
    if os.environ.get("OWNED_PURE_PYTHON"):
        return None
    try:
        from . import _speedups
    except ImportError:
        return None
    _speedups.configure(
        Owned, Scope, Arena, ROOT, _CURRENT, _SITES, site_of, finish, _ACTIVE, _EXITED, MOVED, MUT
    )
    ref_value: Any = vars(Ref)["value"]
    ref_mut_value: Any = vars(RefMut)["value"]
    python_borrow = vars(Owned)["borrow"]
    _speedups.install_borrows(
        _Borrow,
        Ref,
        RefMut,
        ref_value.fget,
        ref_mut_value.fget,
        ref_mut_value.fset,
        python_borrow,
        WITH_BLOCK,
    )
    return _speedups


ACCELERATOR: ModuleType | None = _load()
