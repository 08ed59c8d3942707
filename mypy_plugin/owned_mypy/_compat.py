"""The few places where mypy's internals differ across the supported range."""

from __future__ import annotations

from collections.abc import Callable

from mypy.checker import TypeChecker
from mypy.errors import ErrorInfo
from mypy.nodes import Context, FuncDef

from ._report import Diagnostic


def check_even_at_top_level(function: FuncDef) -> None:
    """Make mypy check the synthetic function's body also in its top-level-only phase.

    Since mypy 1.18 a module's top level is checked first without function bodies, except
    those of functions flagged `def_or_infer_vars`; older versions have no such phase.
    """
    if hasattr(function, "def_or_infer_vars"):
        function.def_or_infer_vars = True


def note(
    checker: TypeChecker,
    message: str,
    site: Context,
    diagnostic: Diagnostic,
    error: ErrorInfo | None,
) -> None:
    """Attach a note at `site` to the diagnostic's error: it is shown and ignored with it."""
    report: Callable[..., object] = checker.msg.note
    try:
        # Newer mypy: the note follows its parent error (`# type: ignore` hides both).
        report(
            message,
            site,
            code=diagnostic.code,
            origin_context=diagnostic.use,
            parent_error=error,
        )
    except TypeError:
        # Older mypy: the origin's lines decide whether the note is ignored.
        report(message, site, origin=diagnostic.use, allow_dups=True, code=diagnostic.code)
