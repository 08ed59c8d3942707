"""Refusing to run on a free-threaded interpreter without the GIL (PEP 703, `python3.14t`).

The runtime's claims on a handle and its arena's lock are a test and a store with no call in
between, which the GIL makes atomic (see docs/free-threading.md). Without the GIL two threads can
both win a claim: a value would be moved twice, or freed twice. Until the runtime has a design
that is correct without the GIL, importing it there fails with a message that says how to run.

A leaf module: it imports nothing of the runtime, and `owned/__init__.py` calls it first.
"""

from __future__ import annotations

import sys
import sysconfig
from collections.abc import Callable

__all__ = ["require_gil"]

MESSAGE = (
    "owned needs the GIL: this is a free-threaded Python running without it, where the "
    "runtime's ownership checks (a test and a store on each handle, made atomic by the GIL) "
    "could let two threads move or free the same value. Run with the GIL enabled: set "
    "PYTHON_GIL=1 in the environment or start Python with -X gil=1 "
    "(see docs/free-threading.md)."
)


def require_gil(gil_enabled: Callable[[], bool] | None = None) -> None:
    """Raise `ImportError` on a free-threaded interpreter whose GIL is off.

    `gil_enabled` stands in for `sys._is_gil_enabled` (3.13+); an interpreter without that
    function always has the GIL.
    """
    check = gil_enabled if gil_enabled is not None else getattr(sys, "_is_gil_enabled", None)
    if check is not None and not check():
        raise ImportError(MESSAGE, name="owned")


def is_free_threaded_build() -> bool:
    """Whether this interpreter was built free-threaded (`Py_GIL_DISABLED`), GIL on or off."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
