"""The few places where mypy's internals differ across the supported range."""

from __future__ import annotations

from collections.abc import Callable

from mypy.checker import TypeChecker
from mypy.errors import ErrorInfo
from mypy.nodes import Context, FuncDef, FuncItem, IfStmt, LambdaExpr

from ._report import Diagnostic


def check_even_at_top_level(function: FuncDef) -> None:
    """Make mypy check the synthetic function's body also in its top-level-only phase.

    Since mypy 1.18 a module's top level is checked first without function bodies, except
    those of functions flagged `def_or_infer_vars`; older versions have no such phase.
    """
    if hasattr(function, "def_or_infer_vars"):
        function.def_or_infer_vars = True


def outermost_function(checker: TypeChecker) -> FuncItem | None:
    """Return the top-level function or method being checked (`None` at a module's top level).

    It is the fine-grained target that mypy attributes errors to; lambdas do not count.
    """
    for item in checker.scope.stack:
        if isinstance(item, FuncItem) and not isinstance(item, LambdaExpr):
            return item
    return None


def else_is_unreachable(statement: IfStmt) -> bool:
    """Tell whether the checker found that the `else` path of `statement` cannot run.

    mypy records it since 1.12 (`unreachable_else`); before, the `else` is assumed to run.
    """
    return bool(getattr(statement, "unreachable_else", False))


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
