"""What an expression does to the tracked names, read from the module's finished type map."""

from __future__ import annotations

from collections.abc import Mapping

from mypy.argmap import map_actuals_to_formals
from mypy.nodes import (
    ARG_NAMED,
    ARG_POS,
    CallExpr,
    Decorator,
    Expression,
    FuncDef,
    MemberExpr,
    NameExpr,
    RefExpr,
    TypeInfo,
    Var,
)
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    LiteralType,
    Overloaded,
    ProperType,
    Type,
    TypeOfAny,
    UninhabitedType,
    get_proper_type,
)

from . import _names
from ._state import Kind

Consumption = tuple[Kind, NameExpr, Var]
"""A name whose handle an expression moves or drops."""


def is_owned(typ: Type | None) -> bool:
    """Tell whether `typ` is the runtime's `Owned[...]` (and not a look-alike or a union)."""
    if typ is None:
        return False
    # Called for every parameter of every call: the common cases skip get_proper_type().
    if type(typ) is Instance:
        return typ.type.fullname == _names.OWNED
    proper = get_proper_type(typ)
    return isinstance(proper, Instance) and proper.type.fullname == _names.OWNED


class Effects:
    """Answers questions about expressions of one module from its type map."""

    __slots__ = ("_excluded", "_name_kind", "_types")

    def __init__(
        self, types: Mapping[Expression, Type], name_kind: int, excluded: frozenset[str]
    ) -> None:
        self._types = types
        self._name_kind = name_kind
        self._excluded = excluded

    def tracked(self, expr: Expression) -> Var | None:
        """Return the variable of `expr` if it is a tracked name holding an `Owned` handle."""
        if (
            isinstance(expr, NameExpr)
            and expr.kind == self._name_kind
            and isinstance(expr.node, Var)
            and expr.name not in self._excluded
            and is_owned(self._types.get(expr))
        ):
            return expr.node
        return None

    def was_checked(self, expr: Expression) -> bool:
        """Tell whether mypy type-checked `expr` (it skips the code it considers unreachable)."""
        return expr in self._types

    def liveness_check(self, expr: Expression) -> Var | None:
        """Return the variable of `x` if `expr` is `x.is_alive` on a tracked handle."""
        if isinstance(expr, MemberExpr) and expr.name == _names.LIVENESS_PROPERTY:
            return self.tracked(expr.expr)
        return None

    def consumed(self, call: CallExpr) -> list[Consumption]:
        """Return the names that `call` moves or drops, in argument order."""
        callee = call.callee
        if isinstance(callee, MemberExpr):
            kind = _method_kind(callee.name)
            receiver = callee.expr
            var = self.tracked(receiver)
            if var is not None and isinstance(receiver, NameExpr):
                # x.move(), x.drop(), x.into_inner(); no other method of Owned consumes it.
                return [] if kind is None else [(kind, receiver, var)]
            if _is_owned_class(receiver):
                # Owned.move(x): only the consuming methods end the handle given as `self`.
                return [] if kind is None else self._first_argument(call, kind)
        kind = Kind.MOVE
        if isinstance(callee, RefExpr) and callee.fullname == _names.DROP_FUNCTION:
            kind = Kind.DROP
        return self._owned_parameters(call, kind)

    def is_noreturn(self, call: CallExpr) -> bool:
        """Tell whether `call` never returns (its callee is annotated `NoReturn`/`Never`)."""
        typ = self._types.get(call)
        return typ is not None and isinstance(get_proper_type(typ), UninhabitedType)

    def exit_may_suppress(self, manager: Expression, *, is_async: bool) -> bool:
        """Tell whether the context manager's `__exit__` may swallow exceptions (returns bool)."""
        typ = self._types.get(manager)
        proper = get_proper_type(typ) if typ is not None else None
        if not isinstance(proper, Instance):
            return False
        method = proper.type.get_method("__aexit__" if is_async else "__exit__")
        signature = _signature_of(method)
        if signature is None:
            return False
        returned = get_proper_type(signature.ret_type)
        if is_async and isinstance(returned, Instance) and returned.args:
            returned = get_proper_type(returned.args[-1])
        return _is_true_or_bool(returned)

    def expects_exception(self, manager: Expression) -> bool:
        """Tell whether the context manager fails unless its body raises (`pytest.raises`)."""
        typ = self._types.get(manager)
        proper = get_proper_type(typ) if typ is not None else None
        return (
            isinstance(proper, Instance)
            and proper.type.fullname in _names.EXPECTING_CONTEXT_MANAGERS
        )

    def _first_argument(self, call: CallExpr, kind: Kind) -> list[Consumption]:
        if call.args and call.arg_kinds[0] == ARG_POS:
            var = self.tracked(call.args[0])
            if var is not None:
                first = call.args[0]
                assert isinstance(first, NameExpr)
                return [(kind, first, var)]
        return []

    def _owned_parameters(self, call: CallExpr, kind: Kind) -> list[Consumption]:
        candidates = [
            index
            for index, (arg, arg_kind) in enumerate(zip(call.args, call.arg_kinds, strict=False))
            if arg_kind in (ARG_POS, ARG_NAMED) and self.tracked(arg) is not None
        ]
        if not candidates:
            return []
        callee_type = self._types.get(call.callee)
        proper = get_proper_type(callee_type) if callee_type is not None else None
        if isinstance(proper, CallableType):
            signatures = [proper]
        elif isinstance(proper, Overloaded):
            signatures = proper.items
        else:
            return []
        moved: set[int] | None = None
        for signature in signatures:
            # An overloaded callee moves an argument only if every overload would.
            found = self._owned_actuals(call, signature)
            moved = found if moved is None else moved & found
        consumed: list[Consumption] = []
        for index in candidates:
            if moved and index in moved:
                arg = call.args[index]
                var = self.tracked(arg)
                assert isinstance(arg, NameExpr)
                assert var is not None
                consumed.append((kind, arg, var))
        return consumed

    def _owned_actuals(self, call: CallExpr, signature: CallableType) -> set[int]:
        formal_to_actual = map_actuals_to_formals(
            call.arg_kinds,
            call.arg_names,
            signature.arg_kinds,
            signature.arg_names,
            self._actual_type,
        )
        return {
            actual
            for formal, actuals in enumerate(formal_to_actual)
            if is_owned(signature.arg_types[formal])
            for actual in actuals
        }

    def _actual_type(self, index: int) -> Type:
        # Only needed for *args/**kwargs actuals, which never move a tracked name themselves.
        del index
        return AnyType(TypeOfAny.special_form)


def _method_kind(name: str) -> Kind | None:
    if name in _names.MOVING_METHODS:
        return Kind.MOVE
    if name in _names.DROPPING_METHODS:
        return Kind.DROP
    return None


def _is_owned_class(expr: Expression) -> bool:
    return (
        isinstance(expr, RefExpr)
        and isinstance(expr.node, TypeInfo)
        and expr.node.fullname == _names.OWNED
    )


def _signature_of(method: object) -> CallableType | None:
    if isinstance(method, Decorator):
        method = method.func
    if isinstance(method, FuncDef):
        signature = get_proper_type(method.type)
        if isinstance(signature, CallableType):
            return signature
    return None


def _is_true_or_bool(returned: ProperType) -> bool:
    if isinstance(returned, LiteralType):
        return returned.value is True
    return isinstance(returned, Instance) and returned.type.fullname == "builtins.bool"
