"""The flow analysis of one target: a function with the functions nested in it, or a module."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mypy.nodes import (
    GDEF,
    LDEF,
    Block,
    ClassDef,
    Decorator,
    Expression,
    ForStmt,
    FuncDef,
    FuncItem,
    GlobalDecl,
    IfStmt,
    MatchStmt,
    MypyFile,
    NonlocalDecl,
    OverloadedFuncDef,
    Statement,
    TryStmt,
    WhileStmt,
    WithStmt,
)
from mypy.types import Type

from ._effects import Effects
from ._flow import FlowAnalyzer
from ._report import Diagnostic, Reporter
from ._state import Tracker


def analyse_function(function: FuncItem, types: Mapping[Expression, Type]) -> list[Diagnostic]:
    """Analyse a function body and, each on its own, the bodies of the functions it defines."""
    # A name that a nested function rebinds with `nonlocal` may change under any call.
    excluded = frozenset(_declared_names(function.body.body, NonlocalDecl))
    diagnostics: list[Diagnostic] = []
    pending = [function]
    while pending:
        body = pending.pop()
        analyzer = FlowAnalyzer(Tracker(Reporter()), Effects(types, LDEF, excluded))
        analyzer.block(body.body)
        diagnostics.extend(analyzer.tracker.reporter.diagnostics)
        pending.extend(analyzer.nested)
    return diagnostics


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
