"""When to run the flow analysis: once a module's type map is complete.

A call that may move or drop a handle (seen by a signature hook) marks its target (the
top-level function or method around it, or the module's top level) for analysis. The first
mark of a pass queues a synthetic function on the checker's deferred nodes; its body is one
call whose function hook (`FlowScheduler.run`) analyses the marked targets. It waits for any
real deferred node (a function that mypy checks again) and so runs after the last of them,
when the type map of every marked target is final. Reports are made with the checker's
target scope pointed at the analysed function, so that incremental runs and the daemon
attribute them (and clear them) like mypy's own errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from mypy.checker import DeferredNode, TypeChecker
from mypy.nodes import (
    GDEF,
    Block,
    CallExpr,
    ExpressionStmt,
    FuncDef,
    FuncItem,
    NameExpr,
    TypeInfo,
)
from mypy.plugin import CheckerPluginInterface, FunctionContext
from mypy.scope import Scope
from mypy.types import CallableType, NoneType, Type

from . import _compat, _names
from ._analysis import analyse_function, analyse_module, is_owned_function
from ._report import Diagnostic

_SYNTHETIC_NAME: Final = "<owned_mypy flow analysis>"

Target = tuple[FuncItem | None, TypeInfo | None]
"""A function (with its class, for methods) or `None` for the module's top level."""


class _Batch:
    """The targets of one module waiting for their analysis, and the queued synthetic node."""

    __slots__ = ("call", "checker", "entry", "queue", "targets")

    def __init__(self, checker: TypeChecker) -> None:
        self.checker = checker
        self.targets: dict[int, Target] = {}
        self.entry: DeferredNode | None = None
        self.queue: list[DeferredNode] = []
        self.call: CallExpr | None = None

    def is_queued(self) -> bool:
        queue = self.checker.deferred_nodes
        if not queue:
            return False
        # Usually the entry is the last one queued: checked first, as this runs per call.
        return queue[-1] is self.entry or any(entry is self.entry for entry in queue)

    def enqueue(self) -> None:
        function, self.call = _synthetic_function(self.checker)
        self.entry = DeferredNode(function, None)
        self.queue = self.checker.deferred_nodes
        self.queue.append(self.entry)

    def others_pending(self) -> bool:
        """Tell whether mypy will check a real deferred node after this point."""
        queue = self.queue
        position = next(index for index, entry in enumerate(queue) if entry is self.entry)
        later = [*queue[position + 1 :], *self.checker.deferred_nodes]
        return any(entry.node.name != _SYNTHETIC_NAME for entry in later)


class FlowScheduler:
    """Collects the targets that move or drop handles, and analyses them when types are final."""

    __slots__ = ("_batches",)

    def __init__(self) -> None:
        self._batches: dict[int, _Batch] = {}

    def mark_current_target(self, api: CheckerPluginInterface) -> None:
        """Mark the function (or module top level) being checked for analysis."""
        if (
            not isinstance(api, TypeChecker)
            or not api.in_checked_function()
            or _names.is_runtime_module(api.tree.fullname)
        ):
            return
        batch = self._batches.get(id(api))
        if batch is None or batch.checker is not api:
            batch = self._batches[id(api)] = _Batch(api)
        function = _compat.outermost_function(api)
        key = id(function) if function is not None else 0
        if key not in batch.targets:
            info = function.info if isinstance(function, FuncDef) and function.info else None
            batch.targets[key] = (function, info)
        if not batch.is_queued():
            batch.enqueue()

    def run(self, ctx: FunctionContext) -> Type:
        """The synthetic call's hook: analyse the marked targets, or wait one more pass."""
        checker = ctx.api
        batch = self._batches.get(id(checker))
        if not isinstance(checker, TypeChecker) or batch is None or batch.call is not ctx.context:
            return ctx.default_return_type
        if batch.others_pending():
            batch.enqueue()
            return ctx.default_return_type
        del self._batches[id(checker)]
        types = checker._type_maps[0]  # the module's master type map, complete by now
        for function, info in batch.targets.values():
            if function is None:
                diagnostics = analyse_module(checker.tree, types)
            else:
                symbols = info.names if info is not None else checker.tree.names
                symbol = symbols.get(function.name)
                decorated = symbol is not None and is_owned_function(symbol.node)
                diagnostics = analyse_function(function, types, owned_function=decorated)
            if diagnostics:
                with _target_scope(checker.tscope, function, info):
                    for diagnostic in diagnostics:
                        _emit(checker, diagnostic)
        return ctx.default_return_type


def _synthetic_function(checker: TypeChecker) -> tuple[FuncDef, CallExpr]:
    signature = CallableType(
        [], [], [], NoneType(), checker.named_type("builtins.function"), name=_SYNTHETIC_NAME
    )
    marker = FuncDef(_names.FLOW_MARKER, [], Block([]), signature)
    marker._fullname = _names.FLOW_MARKER
    callee = NameExpr(_names.FLOW_MARKER)
    callee.node = marker
    callee.kind = GDEF
    callee.fullname = _names.FLOW_MARKER
    call = CallExpr(callee, [], [], [])
    function = FuncDef(_SYNTHETIC_NAME, [], Block([ExpressionStmt(call)]), signature)
    function._fullname = _SYNTHETIC_NAME
    _compat.check_even_at_top_level(function)
    return function, call


@contextmanager
def _target_scope(scope: Scope, function: FuncItem | None, info: TypeInfo | None) -> Iterator[None]:
    saved = (scope.classes, scope.function, scope.functions, scope.ignored)
    scope.classes = [info] if info is not None else []
    scope.function = function
    scope.functions = [function] if function is not None else []
    scope.ignored = 0
    try:
        yield
    finally:
        scope.classes, scope.function, scope.functions, scope.ignored = saved


def _emit(checker: TypeChecker, diagnostic: Diagnostic) -> None:
    if _already_reported(checker, diagnostic):
        return  # a body analysed twice (older mypy): mypy drops the error, not its notes
    error = checker.fail(diagnostic.message, diagnostic.use, code=diagnostic.code)
    for note in diagnostic.notes:
        _compat.note(checker, note.message, note.site, diagnostic, error)


def _already_reported(checker: TypeChecker, diagnostic: Diagnostic) -> bool:
    errors = checker.msg.errors
    use = diagnostic.use
    return any(
        info.line == use.line and info.column == use.column and info.message == diagnostic.message
        for info in errors.error_info_map.get(errors.file, [])
    )
