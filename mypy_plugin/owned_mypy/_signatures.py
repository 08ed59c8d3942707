"""Type refinements that mypy cannot derive from the runtime's annotations alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from mypy.checker import TypeChecker
from mypy.nodes import ArgKind, Expression, SymbolTableNode, TypeInfo
from mypy.plugin import FunctionContext, MethodContext
from mypy.types import (
    CallableType,
    Instance,
    NoneType,
    Overloaded,
    Type,
    UnionType,
    get_proper_type,
)

from . import _names

DELEGATED_METHODS: Final = frozenset({"__getitem__", "__setitem__", "__delitem__", "__iter__"})
"""Container methods of `Ref`/`RefMut` that are typed as the borrowed value's own methods."""


def borrowing_decorator(
    lookup: Callable[[str], SymbolTableNode | None],
) -> Callable[[FunctionContext], Type]:
    """Return the hook typing `@owned.function`: a `Ref[T]`/`RefMut[T]` parameter also takes
    an `Owned[T]` (the decorator borrows it for the call), and a `Ref[T]` one also a
    `RefMut[T]` (reborrowed shared, as Rust coerces `&mut T` to `&T`); the rest is kept.
    """

    def hook(ctx: FunctionContext) -> Type:
        owned = _type_info(lookup, _names.OWNED)
        ref_mut = _type_info(lookup, _names.REF_MUT)
        decorated = get_proper_type(ctx.default_return_type)
        if owned is None:
            return ctx.default_return_type
        if isinstance(decorated, CallableType):
            return _widened(decorated, owned, ref_mut)
        if isinstance(decorated, Overloaded):
            return Overloaded([_widened(item, owned, ref_mut) for item in decorated.items])
        return ctx.default_return_type

    return hook


def _type_info(lookup: Callable[[str], SymbolTableNode | None], fullname: str) -> TypeInfo | None:
    symbol = lookup(fullname)
    node = symbol.node if symbol is not None else None
    return node if isinstance(node, TypeInfo) else None


def _widened(signature: CallableType, owned: TypeInfo, ref_mut: TypeInfo | None) -> CallableType:
    arg_types: list[Type] = []
    for declared in signature.arg_types:
        proper = get_proper_type(declared)
        if (
            isinstance(proper, Instance)
            and proper.type.fullname in _names.BORROWS
            and len(proper.args) == 1
        ):
            accepted = [declared, Instance(owned, [proper.args[0]])]
            if ref_mut is not None and proper.type.fullname == _names.REF:
                accepted.append(Instance(ref_mut, [proper.args[0]]))
            arg_types.append(UnionType(accepted))
        else:
            arg_types.append(declared)
    return signature.copy_modified(arg_types=arg_types)


def delegate_to_value(method: str) -> Callable[[MethodContext], Type]:
    """Return a hook typing `ref.<method>(...)` as `ref.value.<method>(...)`."""

    def hook(ctx: MethodContext) -> Type:
        borrow = get_proper_type(ctx.type)
        checker = ctx.api
        if not (
            isinstance(borrow, Instance)
            and len(borrow.args) == 1
            and isinstance(checker, TypeChecker)
        ):
            return ctx.default_return_type
        args: list[Expression] = [arg for formal in ctx.args for arg in formal]
        kinds: list[ArgKind] = [kind for formal in ctx.arg_kinds for kind in formal]
        result, _ = checker.expr_checker.check_method_call_by_name(
            method, borrow.args[0], args, kinds, ctx.context
        )
        if method in ("__setitem__", "__delitem__"):
            return NoneType()
        return result

    return hook


def iterate_borrowed(ctx: FunctionContext) -> Type:
    """Type `iter(m)` for a `RefMut[T]` like `iter(m.value)`.

    `for y in m` goes through `RefMut.__iter__` (refined above); `iter()` instead matches
    the protocol structurally, which an invariant `RefMut[T]` cannot express.
    """
    checker = ctx.api
    if len(ctx.args) != 1 or len(ctx.args[0]) != 1 or not isinstance(checker, TypeChecker):
        return ctx.default_return_type
    borrow = get_proper_type(ctx.arg_types[0][0])
    if not (
        isinstance(borrow, Instance)
        and borrow.type.fullname == _names.REF_MUT
        and len(borrow.args) == 1
    ):
        return ctx.default_return_type
    result, _ = checker.expr_checker.check_method_call_by_name(
        "__iter__", borrow.args[0], [], [], ctx.context
    )
    return result
