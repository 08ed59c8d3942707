"""Which callees take an `Owned` parameter: only calls to them need the plugin's hook.

mypy asks for a signature hook by the callee's full name on every call, and each question
is a call from compiled mypy into this plugin. Answering "no hook" keeps mypy on its fast
path, so the answer is worked out once per name and remembered with the type it was read
from; the dispatcher answers later questions from `CalleeIndex.known` in one dictionary
look-up. A definition's type can still change (mypy infers a decorated function or a
variable late, the daemon replaces a definition): the remembered type then no longer
matches and the answer is read again. A name that cannot be resolved here (a local function,
a decorated function whose type is not inferred yet) keeps the hook: the hook itself then
looks at the actual signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeAlias

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
from mypy.types import CallableType, Overloaded, Type, UnionType, get_proper_type

from ._effects import is_owned

_Typed: TypeAlias = FuncDef | OverloadedFuncDef | Var
_Witness: TypeAlias = tuple[_Typed, Type | None]
"""A definition and the type it had when the answer was computed."""

Known: TypeAlias = tuple[_Typed, Type | None, bool]
"""An answer read from one definition: still valid while `definition.type is typ`."""

_NOT_RESOLVED: Final = Var("<a name the plugin cannot resolve>")
"""The witness of names that do not resolve: its type stays `None`, so the answer holds."""


class CalleeIndex:
    """Remembers, per callee full name, whether some parameter is annotated `Owned[...]`."""

    __slots__ = ("_lookup", "_several", "known")

    def __init__(self, lookup: Callable[[str], SymbolTableNode | None]) -> None:
        self._lookup = lookup
        self.known: dict[str, Known] = {}
        """Answers read from a single definition (the common case), checked by the caller."""
        self._several: dict[str, tuple[list[_Witness], bool]] = {}
        """Answers read from several definitions: a class's `__init__` and `__new__`."""

    def forget(self) -> None:
        """Drop every answer: the build's modules (and so the definitions) are new."""
        self.known.clear()
        self._several.clear()

    def may_take_owned(self, fullname: str) -> bool:
        """Tell whether a call to `fullname` may pass a handle to an `Owned` parameter."""
        known = self.known.get(fullname)
        if known is not None:
            node, typ, answer = known
            if node.type is typ:
                return answer
        several = self._several.get(fullname)
        if several is not None:
            witnesses, answer = several
            if all(node.type is typ for node, typ in witnesses):
                return answer
        symbol = self._lookup(fullname)
        if symbol is None:
            # A local function, say: the hook decides per call.
            self.known[fullname] = (_NOT_RESOLVED, None, True)
            return True
        found = _witnesses(symbol.node)
        if found is None:
            return True
        answer = any(_has_owned_parameter(typ) for _, typ in found)
        if len(found) == 1:
            self.known[fullname] = (*found[0], answer)
        else:
            self._several[fullname] = (found, answer)
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


def takes_owned(typ: Type) -> bool:
    """Tell whether a parameter of type `typ` may take a tracked handle from a call.

    `Owned[T]` moves it; the `Ref[T] | Owned[T]` of an `@owned.function` borrows it.
    """
    if is_owned(typ):
        return True
    proper = get_proper_type(typ)
    return isinstance(proper, UnionType) and any(is_owned(item) for item in proper.items)


def _has_owned_parameter(typ: Type | None) -> bool:
    if typ is None:
        return False  # an unannotated function: its parameters are Any
    proper = get_proper_type(typ)
    if isinstance(proper, CallableType):
        return any(takes_owned(arg_type) for arg_type in proper.arg_types)
    if isinstance(proper, Overloaded):
        return any(_has_owned_parameter(item) for item in proper.items)
    return True  # a callable object or something unforeseen: let the hook decide
