"""What an expression does to the tracked names, read from the module's finished type map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from mypy.argmap import map_actuals_to_formals
from mypy.nodes import (
    ARG_NAMED,
    ARG_POS,
    ARG_STAR,
    ARG_STAR2,
    GDEF,
    LDEF,
    ArgKind,
    CallExpr,
    ConditionalExpr,
    Decorator,
    DictExpr,
    Expression,
    FuncDef,
    IndexExpr,
    IntExpr,
    ListExpr,
    MemberExpr,
    NameExpr,
    OverloadedFuncDef,
    RefExpr,
    StarExpr,
    StrExpr,
    SymbolNode,
    TupleExpr,
    TypeInfo,
    Var,
)
from mypy.subtypes import is_subtype
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
from ._report import spelled
from ._state import Kind

Consumption = tuple[Kind, Expression, bool]
"""An argument whose handle a call moves or drops: a tracked name, or `a if c else b`; and
whether the runtime moves it too (an `Owned[...]` parameter of a plain function it does not).
"""

Lent = tuple[Var, NameExpr, bool]
"""A tracked name that a call borrows (mutably if the flag is set) for its duration."""

Actual = tuple[Expression, ArgKind, str | None]


def is_owned(typ: Type | None) -> bool:
    """Tell whether `typ` is a tracked handle, `Owned[...]` (or `Rc`/`Arc`), not a look-alike."""
    if typ is None:
        return False
    # Called for every parameter of every call: the common cases skip get_proper_type().
    if type(typ) is Instance:
        return typ.type.fullname in _names.TRACKED_HANDLES
    proper = get_proper_type(typ)
    return isinstance(proper, Instance) and proper.type.fullname in _names.TRACKED_HANDLES


def _is_exactly_owned(typ: Type | None) -> bool:
    proper = get_proper_type(typ) if typ is not None else None
    return isinstance(proper, Instance) and proper.type.fullname == _names.OWNED


def borrow_kind(typ: Type | None) -> bool | None:
    """Return whether `typ` is `RefMut[...]` (True) or `Ref[...]` (False); None if neither."""
    proper = get_proper_type(typ) if typ is not None else None
    if isinstance(proper, Instance):
        if proper.type.fullname == _names.REF_MUT:
            return True
        if proper.type.fullname == _names.REF:
            return False
    return None


class Effects:
    """Answers questions about expressions of one module from its type map."""

    __slots__ = ("_excluded", "_name_kind", "_places", "_types", "volatile")

    def __init__(
        self, types: Mapping[Expression, Type], name_kind: int, excluded: frozenset[str]
    ) -> None:
        self._types = types
        self._name_kind = name_kind
        self._excluded = excluded
        self.volatile: set[Var] = set()
        self._places: dict[tuple[SymbolNode, tuple[str | int, ...]], Var] = {}
        """The volatile names met so far (see `tracked`)."""

    def tracked(self, expr: Expression) -> Var | None:
        """Return the variable of `expr` if it is a tracked name holding an `Owned` handle.

        A module's global used in a function, and a name that another function rebinds
        (`global`, `nonlocal`), is volatile: any call of unknown code may rebind it, so it
        is forgotten at such a call (`forgets_volatile`).
        """
        if isinstance(expr, MemberExpr | IndexExpr):
            return self._place(expr) if is_owned(self._types.get(expr)) else None
        if not (
            isinstance(expr, NameExpr)
            and isinstance(expr.node, Var)
            and is_owned(self._types.get(expr))
        ):
            return None
        if expr.kind == self._name_kind and expr.name not in self._excluded:
            return expr.node
        if expr.kind == self._name_kind or (expr.kind == GDEF and self._name_kind == LDEF):
            self.volatile.add(expr.node)
            return expr.node
        return None

    def _place(self, expr: MemberExpr | IndexExpr) -> Var | None:
        """The variable standing for a place such as `self.buf`, `hs[0]`, `Config.handle`.

        Places are volatile (other code may assign them): they are followed only between
        the operations of the runtime, as rustc follows `self.buf` as a place of its own.
        """
        key = _place_key(expr)
        if key is None or not key[1]:
            return None
        root, _ = key
        if isinstance(root, Var) and root.name in self._excluded:
            return None
        var = self._places.get(key)
        if var is None:
            var = self._places[key] = Var(spelled(expr))
            self.volatile.add(var)
        return var

    def places_under(self, target: Expression) -> list[Var]:
        """The places that an assignment to `target` (or `del target`) rebinds."""
        if not self._places:
            return []
        key = _place_key(target)
        if key is None:
            return []
        root, path = key
        return [
            var
            for (place_root, place_path), var in self._places.items()
            if place_root is root and place_path[: len(path)] == path
        ]

    def forgets_volatile(self, call: CallExpr) -> bool:
        """Tell whether `call` may run code that rebinds a volatile name."""
        if not self.volatile:
            return False
        callee = call.callee
        if isinstance(callee, RefExpr) and callee.fullname:
            module = callee.fullname.partition(".")[0]
            if module in ("builtins", "owned"):
                return False
        if isinstance(callee, MemberExpr):
            receiver = get_proper_type(self._types.get(callee.expr))
            if isinstance(receiver, Instance) and receiver.type.fullname.startswith("owned."):
                return False
        return True

    def was_checked(self, expr: Expression) -> bool:
        """Tell whether mypy type-checked `expr` (it skips the code it considers unreachable)."""
        return expr in self._types

    def liveness_check(self, expr: Expression) -> Var | None:
        """Return the variable of `x` if `expr` is `x.is_alive` on a tracked handle."""
        if isinstance(expr, MemberExpr) and expr.name == _names.LIVENESS_PROPERTY:
            return self.tracked(expr.expr)
        return None

    def consumed(self, call: CallExpr) -> list[Consumption]:
        """Return the arguments whose handles `call` moves or drops, in argument order."""
        callee = call.callee
        if isinstance(callee, MemberExpr):
            kind = _method_kind(callee.name)
            receiver = callee.expr
            var = self.tracked(receiver)
            if var is not None:
                # x.move(), x.drop(), x.into_inner(); no other method of Owned consumes it.
                return [] if kind is None else [(kind, receiver, True)]
            if _is_owned_class(receiver):
                # Owned.move(x): only the consuming methods end the handle given as `self`.
                return [] if kind is None else self._first_argument(call, kind)
        kind = Kind.MOVE
        if isinstance(callee, RefExpr) and callee.fullname == _names.DROP_FUNCTION:
            kind = Kind.DROP
        if isinstance(callee, RefExpr) and callee.fullname == _names.SPAWN_FUNCTION:
            return self._spawned(call)
        enforced = self._owned_function(call) is not None or kind is Kind.DROP
        if isinstance(callee, RefExpr) and callee.fullname == _names.MOVE_FUNCTION:
            enforced = True
        return [(kind, arg, enforced) for arg in self._owned_parameters(call)]

    def borrow_call(self, expr: Expression | None) -> tuple[Var, NameExpr, bool] | None:
        """Return the owner of `x.borrow()` / `x.borrow_mut()` (and whether it is mutable)."""
        if not (
            isinstance(expr, CallExpr)
            and not expr.args
            and isinstance(expr.callee, MemberExpr)
            and expr.callee.name in _names.BORROWING_METHODS
        ):
            return None
        receiver = expr.callee.expr
        if not isinstance(receiver, NameExpr):
            return None  # the borrows of places are not followed
        var = self.tracked(receiver)
        if var is None or not _is_exactly_owned(self._types.get(receiver)):
            return None
        return var, receiver, expr.callee.name == "borrow_mut"

    def value_of(self, expr: MemberExpr) -> tuple[Var, NameExpr] | None:
        """Return the owner of `x.value` on a tracked `Owned` name."""
        receiver = expr.expr
        if expr.name != "value" or not isinstance(receiver, NameExpr):
            return None
        var = self.tracked(receiver)
        if var is None or not _is_exactly_owned(self._types.get(receiver)):
            return None
        return var, receiver

    def lent(self, call: CallExpr) -> tuple[list[Lent], bool]:
        """Return the names an `@owned.function` call borrows, and whether it returns a borrow.

        An `Owned` argument for a `Ref[...]`/`RefMut[...]` parameter is borrowed for the
        call; a returned borrow keeps every such argument borrowed (one lifetime for all).
        """
        callee = call.callee
        node = callee.node if isinstance(callee, NameExpr) else None
        if not (
            isinstance(node, Decorator)
            and any(
                isinstance(decorator, RefExpr) and decorator.fullname == _names.FUNCTION_DECORATOR
                for decorator in node.decorators
            )
        ):
            return [], False
        declared = get_proper_type(node.func.type)
        if not isinstance(declared, CallableType):
            return [], False
        actuals = _actuals(call)
        mapping = _map(actuals, declared)
        lent: list[Lent] = []
        for formal, indices in enumerate(mapping):
            mutable = borrow_kind(declared.arg_types[formal])
            if mutable is None:
                continue
            for index in indices:
                arg = actuals[index][0]
                var = self.tracked(arg) if isinstance(arg, NameExpr) else None
                if var is not None and _is_exactly_owned(self._types.get(arg)):
                    assert isinstance(arg, NameExpr)
                    lent.append((var, arg, mutable))
        return lent, borrow_kind(declared.ret_type) is not None

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

    def is_scope(self, manager: Expression) -> bool:
        """Tell whether `manager` is an `owned.scope()`: its exit ends the borrows made in it."""
        typ = self._types.get(manager)
        proper = get_proper_type(typ) if typ is not None else None
        return isinstance(proper, Instance) and proper.type.fullname == _names.SCOPE_CLASS

    def local(self, expr: Expression | None) -> Var | None:
        """Return the variable of `expr` if it is a name of the analysed body (any type)."""
        if (
            isinstance(expr, NameExpr)
            and expr.kind == self._name_kind
            and isinstance(expr.node, Var)
            and expr.name not in self._excluded
        ):
            return expr.node
        return None

    def expects_exception(self, manager: Expression) -> bool:
        """Tell whether the context manager fails unless its body raises (`pytest.raises`)."""
        typ = self._types.get(manager)
        proper = get_proper_type(typ) if typ is not None else None
        return (
            isinstance(proper, Instance)
            and proper.type.fullname in _names.EXPECTING_CONTEXT_MANAGERS
        )

    def runs_owned_function(self, call: CallExpr) -> bool:
        """Tell whether `call` calls an `@owned.function` (its body may raise anything)."""
        return self._owned_function(call) is not None

    def _owned_function(self, call: CallExpr) -> CallableType | None:
        """The declared signature of the callee if it is a name of an `@owned.function`."""
        callee = call.callee
        node = callee.node if isinstance(callee, NameExpr) else None
        if not (
            isinstance(node, Decorator)
            and any(
                isinstance(decorator, RefExpr) and decorator.fullname == _names.FUNCTION_DECORATOR
                for decorator in node.decorators
            )
        ):
            return None
        declared = get_proper_type(node.func.type)
        return declared if isinstance(declared, CallableType) else None

    def _first_argument(self, call: CallExpr, kind: Kind) -> list[Consumption]:
        if call.args and call.arg_kinds[0] == ARG_POS and self.tracked(call.args[0]) is not None:
            return [(kind, call.args[0], True)]
        return []

    def _spawned(self, call: CallExpr) -> list[Consumption]:
        # `spawn(f, *args)` moves every handle argument into the thread, unless it refuses
        # (a borrow or an `Rc` among them): then nothing is moved.
        arguments = list(zip(call.args[1:], call.arg_kinds[1:], strict=False))
        if any(kind not in (ARG_POS, ARG_NAMED) for _, kind in arguments):
            return []
        consumed: list[Consumption] = []
        for arg, _ in arguments:
            typ = self._types.get(arg)
            if borrow_kind(typ) is not None or not self._sendable(typ):
                return []
            if self.tracked(arg) is not None:
                consumed.append((Kind.MOVE, arg, True))
        return consumed

    def _sendable(self, typ: Type | None) -> bool:
        proper = get_proper_type(typ) if typ is not None else None
        if isinstance(proper, AnyType):
            return False  # it may be an `Rc`
        return not (isinstance(proper, Instance) and proper.type.fullname.startswith("owned._rc."))

    def _owned_parameters(self, call: CallExpr) -> list[Expression]:
        actuals = _actuals(call)
        candidates = [
            index
            for index, (arg, arg_kind, _) in enumerate(actuals)
            if arg_kind in (ARG_POS, ARG_NAMED) and self._may_consume(arg)
        ]
        if not candidates:
            return []
        callee_type = self._types.get(call.callee)
        proper = get_proper_type(callee_type) if callee_type is not None else None
        if isinstance(proper, CallableType):
            signatures = [proper]
        elif isinstance(proper, Overloaded):
            signatures = self._matching_overload(actuals, proper.items)
        else:
            return []
        moved: set[int] | None = None
        for signature in signatures:
            # Without a known match, an overloaded callee moves only what every overload would.
            found = _owned_actuals(actuals, signature)
            moved = found if moved is None else moved & found
        return [actuals[index][0] for index in candidates if moved and index in moved]

    def _may_consume(self, arg: Expression) -> bool:
        if isinstance(arg, ConditionalExpr):
            return self._may_consume(arg.if_expr) or self._may_consume(arg.else_expr)
        return self.tracked(arg) is not None

    def _matching_overload(
        self, actuals: list[Actual], items: list[CallableType]
    ) -> list[CallableType]:
        """The overload mypy picks: the first whose parameters accept every argument's type."""
        types = [self._types.get(arg) for arg, _, _ in actuals]
        if any(typ is None for typ in types):
            return items
        if any(kind in (ARG_STAR, ARG_STAR2) for _, kind, _ in actuals):
            return items
        for item in items:
            mapping = _map(actuals, item)
            mapped = {index for indices in mapping for index in indices}
            if len(mapped) != len(actuals):
                continue
            if all(
                is_subtype(types[index], item.arg_types[formal])  # type: ignore[arg-type]
                for formal, indices in enumerate(mapping)
                for index in indices
            ):
                return [item]
        return items


_MAX_PLACE_DEPTH: Final = 3


def _place_key(expr: Expression) -> tuple[SymbolNode, tuple[str | int, ...]] | None:
    path: list[str | int] = []
    node = expr
    while len(path) <= _MAX_PLACE_DEPTH:
        if isinstance(node, MemberExpr):
            path.append(node.name)
            node = node.expr
        elif isinstance(node, IndexExpr) and isinstance(node.index, IntExpr | StrExpr):
            path.append(node.index.value)
            node = node.base
        elif isinstance(node, NameExpr) and isinstance(node.node, Var | TypeInfo):
            return node.node, tuple(reversed(path))
        else:
            return None
    return None


def _actuals(call: CallExpr) -> list[Actual]:
    """The call's arguments, with `*[a, b]` and `**{"k": a}` literals spelled out."""
    actuals: list[Actual] = []
    for arg, kind, name in zip(call.args, call.arg_kinds, call.arg_names, strict=False):
        if (
            kind == ARG_STAR
            and isinstance(arg, ListExpr | TupleExpr)
            and not any(isinstance(item, StarExpr) for item in arg.items)
        ):
            actuals.extend((item, ARG_POS, None) for item in arg.items)
        elif (
            kind == ARG_STAR2
            and isinstance(arg, DictExpr)
            and all(isinstance(key, StrExpr) for key, _ in arg.items)
        ):
            for key, value in arg.items:
                assert isinstance(key, StrExpr)
                actuals.append((value, ARG_NAMED, key.value))
        else:
            actuals.append((arg, kind, name))
    return actuals


def _map(actuals: list[Actual], signature: CallableType) -> list[list[int]]:
    return map_actuals_to_formals(
        [kind for _, kind, _ in actuals],
        [name for _, _, name in actuals],
        signature.arg_kinds,
        signature.arg_names,
        _actual_type,
    )


def _actual_type(index: int) -> Type:
    # Only needed for *args/**kwargs actuals, which never move a tracked name themselves.
    del index
    return AnyType(TypeOfAny.special_form)


def _owned_actuals(actuals: list[Actual], signature: CallableType) -> set[int]:
    declared = _declared_formals(signature)
    return {
        actual
        for formal, indices in enumerate(_map(actuals, signature))
        if is_owned(declared[formal])
        for actual in indices
    }


def _declared_formals(signature: CallableType) -> list[Type]:
    """The parameter types as written: a type variable bound to `Owned[...]` moves nothing.

    mypy's type map holds the instantiated signature (`def generic(v: T)` called with an
    `Owned` reads `v: Owned[int]`), but the runtime moves only into parameters annotated
    `Owned[...]`; this is also what `CalleeIndex` reads, so one call's verdict never depends
    on whether something else made the plugin analyse the function.
    """
    definition = signature.definition
    declared = definition.type if isinstance(definition, FuncDef | OverloadedFuncDef) else None
    proper = get_proper_type(declared) if declared is not None else None
    if not isinstance(proper, CallableType):
        return signature.arg_types
    offset = len(proper.arg_types) - len(signature.arg_types)
    if offset not in (0, 1):
        return signature.arg_types
    return proper.arg_types[offset:]


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
