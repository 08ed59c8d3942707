"""The flow analysis of one target: a function with the functions nested in it, or a module."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mypy.nodes import (
    GDEF,
    LDEF,
    AssignmentStmt,
    Block,
    CallExpr,
    ClassDef,
    Decorator,
    Expression,
    ForStmt,
    FuncDef,
    FuncItem,
    GlobalDecl,
    IfStmt,
    ListExpr,
    MatchStmt,
    MypyFile,
    NameExpr,
    NonlocalDecl,
    OverloadedFuncDef,
    RefExpr,
    StarExpr,
    Statement,
    TryStmt,
    TupleExpr,
    Var,
    WhileStmt,
    WithStmt,
)
from mypy.types import CallableType, Type

from . import _names
from ._effects import Effects, is_owned
from ._flow import FlowAnalyzer
from ._report import Diagnostic, Reporter
from ._state import Tracker


def analyse_function(
    function: FuncItem, types: Mapping[Expression, Type], *, owned_function: bool
) -> list[Diagnostic]:
    """Analyse a function body and, each on its own, the bodies of the functions it defines.

    `owned_function` says that `function` is decorated with `@owned.function`.
    """
    # A name that a nested function rebinds with `nonlocal` may change under any call.
    excluded = frozenset(_declared_names(function.body.body, NonlocalDecl))
    diagnostics: list[Diagnostic] = []
    pending = [(function, owned_function)]
    while pending:
        body, decorated = pending.pop()
        call_owned = _call_owned(body) if decorated else None
        analyzer = FlowAnalyzer(Tracker(Reporter()), Effects(types, LDEF, excluded), call_owned)
        analyzer.block(body.body)
        diagnostics.extend(analyzer.tracker.reporter.diagnostics)
        pending.extend((nested, nested in analyzer.owned_functions) for nested in analyzer.nested)
    return diagnostics


def is_owned_function(node: object) -> bool:
    """Tell whether `node` (a symbol's node) is a function decorated with `@owned.function`."""
    return isinstance(node, Decorator) and any(
        isinstance(decorator, RefExpr) and decorator.fullname == _names.FUNCTION_DECORATOR
        for decorator in node.decorators
    )


def _call_owned(function: FuncItem) -> tuple[set[Var], set[Var]]:
    """The names whose values a call of `function` owns: locals bound only to `Owned(...)`,
    and parameters annotated `Owned[...]` that are never rebound.
    """
    assigned: dict[Var, bool] = {}
    stack: list[Statement] = list(function.body.body)
    while stack:
        statement = stack.pop()
        if isinstance(statement, AssignmentStmt):
            for target in statement.lvalues:
                for name in _target_names(target):
                    fresh = (
                        isinstance(statement.rvalue, CallExpr)
                        and isinstance(statement.rvalue.callee, RefExpr)
                        and statement.rvalue.callee.fullname == _names.OWNED
                        and isinstance(target, NameExpr)
                    )
                    assigned[name] = assigned.get(name, True) and fresh
        elif not isinstance(statement, FuncDef | Decorator | ClassDef):
            stack.extend(_nested_statements(statement))
    signature = function.type
    parameters: set[Var] = set()
    if isinstance(signature, CallableType):
        for argument, declared in zip(function.arguments, signature.arg_types, strict=False):
            if is_owned(declared) and argument.variable not in assigned:
                parameters.add(argument.variable)
    return {var for var, fresh in assigned.items() if fresh}, parameters


def _target_names(target: Expression) -> list[Var]:
    if isinstance(target, NameExpr) and isinstance(target.node, Var):
        return [target.node]
    if isinstance(target, TupleExpr | ListExpr):
        return [var for item in target.items for var in _target_names(item)]
    if isinstance(target, StarExpr):
        return _target_names(target.expr)
    return []


def analyse_module(module: MypyFile, types: Mapping[Expression, Type]) -> list[Diagnostic]:
    """Analyse the statements at a module's top level (function bodies are their own targets)."""
    # A global that some function rebinds with `global` may change under any call.
    excluded = frozenset(_declared_names(module.defs, GlobalDecl))
    analyzer = FlowAnalyzer(Tracker(Reporter()), Effects(types, GDEF, excluded))
    analyzer.block(Block(module.defs))
    return analyzer.tracker.reporter.diagnostics


def _declared_names(
    statements: Iterable[Statement], declaration: type[GlobalDecl | NonlocalDecl]
) -> set[str]:
    names: set[str] = set()
    stack = list(statements)
    while stack:
        statement = stack.pop()
        if isinstance(statement, declaration):
            names.update(statement.names)
        else:
            stack.extend(_nested_statements(statement))
    return names


def _nested_statements(statement: Statement) -> list[Statement]:
    blocks: list[Block | None] = []
    if isinstance(statement, FuncDef):
        blocks = [statement.body]
    elif isinstance(statement, Decorator):
        blocks = [statement.func.body]
    elif isinstance(statement, OverloadedFuncDef):
        return [*statement.items, *([statement.impl] if statement.impl else [])]
    elif isinstance(statement, ClassDef):
        blocks = [statement.defs]
    elif isinstance(statement, Block):
        return list(statement.body)
    elif isinstance(statement, IfStmt):
        blocks = [*statement.body, statement.else_body]
    elif isinstance(statement, WhileStmt | ForStmt):
        blocks = [statement.body, statement.else_body]
    elif isinstance(statement, TryStmt):
        blocks = [statement.body, *statement.handlers, statement.else_body]
        blocks.append(statement.finally_body)
    elif isinstance(statement, WithStmt):
        blocks = [statement.body]
    elif isinstance(statement, MatchStmt):
        blocks = list(statement.bodies)
    return [block for block in blocks if block is not None]
