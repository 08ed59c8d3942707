"""Which callees take an `Owned` parameter: only calls to them need the plugin's hook.

mypy asks for a signature hook by the callee's full name on every call. Answering "no hook"
keeps mypy on its fast path, so the answer is looked up once per name and remembered with
the types it was read from; when the daemon replaces a definition, the remembered type no
longer matches and the answer is read again. A name that cannot be resolved here (a local
function, a decorated function whose type is not inferred yet) keeps the hook: the hook
itself then looks at the actual signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from mypy.nodes import (
    Decorator,
    FuncBase,
    FuncDef,
    OverloadedFuncDef,
    SymbolNode,
    SymbolTableNode,
    TypeInfo,
    Var,
)
from mypy.types import CallableType, Overloaded, Type, get_proper_type

from ._effects import is_owned

_Typed: TypeAlias = FuncDef | OverloadedFuncDef | Var
_Witness: TypeAlias = tuple[_Typed, Type | None]
"""A definition and the type it had when the answer was computed."""


class CalleeIndex:
    """Remembers, per callee full name, whether some parameter is annotated `Owned[...]`."""

    __slots__ = ("_answers", "_lookup", "_unresolved")

    def __init__(self, lookup: Callable[[str], SymbolTableNode | None]) -> None:
        self._lookup = lookup
        self._answers: dict[str, tuple[list[_Witness], bool]] = {}
        self._unresolved: set[str] = set()

    def may_take_owned(self, fullname: str) -> bool:
        """Tell whether a call to `fullname` may pass a handle to an `Owned` parameter."""
        remembered = self._answers.get(fullname)
        if remembered is not None:
            # Asked on every call: the common single-definition case avoids a generator.
            witnesses, answer = remembered
            if len(witnesses) == 1:
                node, typ = witnesses[0]
                if node.type is typ:
                    return answer
            elif all(node.type is typ for node, typ in witnesses):
                return answer
        if fullname in self._unresolved:
            return True
        symbol = self._lookup(fullname)
        if symbol is None:
            self._unresolved.add(fullname)  # a local function, say: the hook decides per call
            return True
        found = _witnesses(symbol.node)
        if found is None:
            return True
        answer = any(_has_owned_parameter(typ) for _, typ in found)
        self._answers[fullname] = (found, answer)
        return answer


def _witnesses(node: SymbolNode | FuncBase | Decorator | None) -> list[_Witness] | None:
    if isinstance(node, FuncDef | OverloadedFuncDef):
        return [(node, node.type)]
    if isinstance(node, Decorator):
        node = node.var
    if isinstance(node, Var):
        return [(node, node.type)] if node.type is not None else None
    if isinstance(node, TypeInfo):
        found: list[_Witness] = []
        for name in ("__init__", "__new__"):
            method = node.get_method(name)
            if method is None:
                continue
            witnesses = _witnesses(method)
            if witnesses is None:
                return None
            found.extend(witnesses)
        return found
    return None


def _has_owned_parameter(typ: Type | None) -> bool:
    if typ is None:
        return False  # an unannotated function: its parameters are Any
    proper = get_proper_type(typ)
    if isinstance(proper, CallableType):
        return any(is_owned(arg_type) for arg_type in proper.arg_types)
    if isinstance(proper, Overloaded):
        return any(_has_owned_parameter(item) for item in proper.items)
    return True  # a callable object or something unforeseen: let the hook decide
