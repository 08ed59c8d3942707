"""One call of an `@owned.function`: moving and borrowing its arguments, closing its scope.

`CallWrapper` is what `@owned.function` returns for a plain function: compiled, one C call
captures the caller's site, opens the call's scope, passes the arguments by the plan, calls
the function and closes the scope. The async path (`_function`) uses the same steps.
"""

from __future__ import annotations

import functools
from types import MethodType
from typing import Any

from ._borrows import Loan, Ref, RefMut, _Borrow, end_loan, lend, loan_of, move_loan, read_only_view
from ._errors import DanglingRefError, OwnershipError
from ._handles import Owned, transfer, undo_transfer
from ._owners import (
    Family,
    Handle,
    Owner,
    current_owner,
    current_var,
    left,
    own,
    register,
    root_owner,
    unregister,
)
from ._parts import adopt, family_of, walk
from ._plan import Parameter, Plan
from ._scope import Scope, _reset_current, _set_current, call_scope, drop_members, leave_call
from ._sites import Site, caller_site

try:
    import cython
except ImportError:  # interpreted, without Cython installed
    from . import _cython_shim as cython

if not cython.compiled:
    from ._atomic import STATE
    from ._plan import BORROW, MOVE
    from ._states import ACTIVE, MUT

__all__ = ["CallWrapper", "enter_call", "finish", "prepare", "register_shared"]

# Handle type -> what moves, borrows and hands back the shared handles (`Rc`, `Arc`), which
# the smart-pointer layer above registers: `move_in`, `undo`, `hand_back`, `write_refused`.
_SHARED: dict[type, Any] = {}


def register_shared(cls: type, adapter: Any) -> None:
    _SHARED[cls] = adapter


CURRENT = current_var()
# `done`'s mark for a borrow the caller passed on as it is: the call neither made nor ends it.
PASSED = object()


class CallWrapper:
    """An `@owned.function`: each call is a scope that moves or borrows its arguments."""

    __slots__ = ("__dict__", "__weakref__", "_fn", "_plan")

    def __init__(self, fn: Any, plan: Plan | None) -> None:
        self._fn = fn
        self._plan = plan
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        site = caller_site()
        plan = self._plan
        if plan is None:
            plan = self._plan = Plan(self._fn)
        caller = current_owner()
        scope = call_scope(plan.name, caller)
        done: list[Any] = []
        if not plan.is_plain:
            try:
                args = prepare(plan, scope, site, args, kwargs, done)
            except (OwnershipError, TypeError) as refused:  # the caller's line is what matters
                raise refused.with_traceback(None) from None
        token = enter_call(scope)
        try:
            result = self._fn(*args, **kwargs)
        except BaseException as exc:
            finish(scope, token, plan, done, None, exc)
            raise
        return finish(scope, token, plan, done, result, None)

    def __get__(self, instance: object, owner: type | None) -> Any:
        if instance is None:
            return self
        return MethodType(self, instance)

    def __repr__(self) -> str:
        return f"<owned.function {self._fn!r}>"

    @property
    def __signature__(self) -> Any:
        import inspect

        return inspect.signature(self._fn)


def enter_call(scope: Scope) -> Any:
    """Make a call's scope current and active; return the token that undoes it."""
    token = _set_current(scope)
    if cython.compiled:
        register(scope)
    else:
        with STATE:
            register(scope)
    return token


def prepare(
    plan: Plan,
    scope: Scope,
    site: Site,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    done: list[Any],
) -> tuple[Any, ...]:
    """The arguments as the callee sees them; on any error, nothing has changed.

    `done` receives `(original, result)` for each argument moved (both handles) or borrowed
    (None and the loan), so that a refusal undoes them and the call's end knows them.
    """
    new_args: list[Any] | None = None
    spec: Parameter | None
    try:
        count = len(args)
        for spec in plan.positional:
            index = spec.index
            if index < count:
                if new_args is None:
                    new_args = list(args)
                new_args[index] = _pass(plan, scope, site, done, args[index], spec)
            elif spec.keyword is not None and spec.keyword in kwargs:
                key = spec.keyword
                kwargs[key] = _pass(plan, scope, site, done, kwargs[key], spec)
        for spec in plan.keyword:
            key = spec.keyword  # type: ignore[assignment]  # a keyword-only parameter has one
            if key in kwargs:
                kwargs[key] = _pass(plan, scope, site, done, kwargs[key], spec)
        spec = plan.var_positional
        if spec is not None and spec.index < count:
            if new_args is None:
                new_args = list(args)
            for index in range(spec.index, count):
                new_args[index] = _pass(plan, scope, site, done, args[index], spec)
        spec = plan.var_keyword
        if spec is not None:
            for key in list(kwargs):
                if key not in plan.named:
                    renamed = spec.renamed(key, plan)
                    kwargs[key] = _pass(plan, scope, site, done, kwargs[key], renamed)
    except BaseException:
        _undo(done, site)
        raise
    return args if new_args is None else tuple(new_args)


def _pass(
    plan: Plan, scope: Scope, site: Site, done: list[Any], value: Any, spec: Parameter
) -> Any:
    """Move or borrow one argument into the call's scope, recording it in `done` for undo."""
    kind = spec.kind
    cls = type(value)
    if kind == MOVE:
        if cls is not Owned:
            shared = _SHARED.get(cls)
            if shared is not None:
                moved_in = shared.move_in(value, scope, site)
                done.append((value, moved_in))
                return moved_in
            if not spec.strict:
                return value
            raise _wrong_type(plan, value, spec.name, "takes ownership (Owned[...])")
        handle: Owned[Any] = value
        moved = transfer(handle, scope, site, spec.site)
        done.append((handle, moved))
        return moved
    if cls is Owned:
        borrow = lend(value, kind != BORROW, site, scope)
        done.append((None, loan_of(borrow)))
        return borrow
    if cls in _SHARED:  # `&*rc`; never `&mut`: shared data is read-only (E0596)
        if kind != BORROW:
            raise _SHARED[cls].write_refused(value, site)
        borrow = lend(value, False, site, scope)
        done.append((None, loan_of(borrow)))
        return borrow
    if cls is RefMut or cls is Ref:
        borrow_in: _Borrow = value
        if cls is Ref and kind != BORROW:
            raise _wrong_type(plan, value, spec.name, "borrows mutably (RefMut[...])")
        if not borrow_in.is_active:  # an ended borrow cannot be passed on
            raise borrow_in._dangling(site)
        if cls is RefMut and kind == BORROW:
            # `&mut T` where `&T` is expected: a read-only reborrow, as Rust coerces it.
            view = read_only_view(borrow_in, site, scope)
            done.append((None, loan_of(view)))
            return view
        done.append((PASSED, loan_of(borrow_in)))  # a returned borrow may have to keep it
        return value
    if not spec.strict:
        return value
    expected = "borrows (Ref[...])" if kind == BORROW else "borrows mutably (RefMut[...])"
    raise _wrong_type(plan, value, spec.name, expected)


def _wrong_type(plan: Plan, value: object, parameter: str, expected: str) -> TypeError:
    hint = (
        "pass the Owned value or a RefMut"
        if type(value).__name__ == "Ref"
        else "wrap the value in owned.Owned(...) first"
    )
    return TypeError(
        f"{plan.name}() parameter `{parameter}` {expected}, got {type(value).__name__}: {hint}"
    )


def _undo(done: list[Any], site: Site) -> None:
    for original, result in reversed(done):
        if original is None:
            end_loan(result, 1, site)
        elif original is PASSED:
            continue  # a borrow passed on as it is: the call did not make it
        elif type(original) is Owned:
            undo_transfer(original, result)
        else:
            _SHARED[type(original)].undo(original, result)
    done.clear()


def finish(
    scope: Scope,
    token: Any,
    plan: Plan,
    done: list[Any],
    result: Any,
    exc: BaseException | None,
) -> Any:
    """Close a call's scope: keep returned borrows, hand returned values back, drop the rest."""
    _reset_current(token)
    caller = _active_caller(scope)
    end = plan.end_site
    refusal = None
    if cython.compiled:
        unregister(scope)
    else:
        with STATE:
            unregister(scope)
    if exc is None:
        refusal = _keep_returned_borrows(scope, caller, plan, done, result)
    leave_call(scope, end)
    if exc is None and refusal is None:  # a refused return hands nothing back
        cls = type(result)
        if cls is Owned:
            _hand_back(result, scope, caller)
        elif cls in _SHARED:
            _SHARED[cls].hand_back(result, scope, caller)
        elif isinstance(result, tuple):
            for item in result:
                if type(item) is Owned:
                    _hand_back(item, scope, caller)
                elif type(item) in _SHARED:
                    _SHARED[type(item)].hand_back(item, scope, caller)
    drop_members(scope, exc)
    if refusal is not None:
        raise refusal
    return result


def _active_caller(scope: Scope) -> Owner:
    """The caller's scope, or its nearest active ancestor if it exited meanwhile (a task)."""
    owner = scope._parent
    while owner is not None and owner._state != ACTIVE:
        owner = owner._parent
    return current_owner() if owner is None else owner


def _hand_back(handle: Owned[Any], scope: Scope, caller: Owner) -> None:
    """Give a returned value of the call's scope to the caller's; the call's handles reachable
    from it become its parts first."""
    if handle._owner is not scope or handle._state < MUT:
        return
    found: list[Handle] = []
    walk(handle._value, found)
    site = scope._exited_at
    family = None
    for part in found:
        if part._owner is scope:
            if family is None:
                family = family_of(handle, True)
            adopt(family, part, site)  # type: ignore[arg-type]  # family_of(..., True) makes one
    left(scope, handle)
    own(caller, handle)


def _keep_returned_borrows(
    scope: Scope, caller: Owner, plan: Plan, done: list[Any], result: Any
) -> Exception | None:
    """A returned borrow stays valid in the caller, keeping the call's borrowed arguments
    borrowed as long as it lives; a borrow of what the call owns is refused (E0515)."""
    returned = []
    if isinstance(result, _Borrow):
        returned.append(result)
    elif isinstance(result, tuple):
        returned.extend(item for item in result if isinstance(item, _Borrow))
    if not returned:
        return None
    # (`lent`, not `loan`: compiled, a comprehension's variable has the function's type.)
    arguments = [lent for original, lent in done if original is None or original is PASSED]
    for borrow in returned:
        if not borrow.is_active:
            continue
        place = borrow._place
        if root_owner(place) is scope:
            return _returns_local(place, plan, done, loan_of(borrow)._site)
    for borrow in returned:
        loan: Loan = loan_of(borrow)
        if not loan._active:
            continue
        if loan._scope is scope:
            move_loan(loan, caller)
        kept = [other for other in arguments if other is not loan and other._active]
        for other in kept:
            if other._scope is scope:  # made for the call: the caller's now
                move_loan(other, caller)
            other._keeper = loan  # its guard may be freed: it ends with the returned borrow
        if kept:
            loan._keeps = (loan._keeps or []) + kept
    return None


def _returns_local(
    place: Handle, plan: Plan, done: list[Any], borrowed_at: Site
) -> DanglingRefError:
    """E0515, with rustc's two wordings: a local of the call, or a moved-in parameter."""
    moved_in = {
        id(moved): original
        for original, moved in done
        if original is not None and original is not PASSED
    }
    head = place
    while True:
        if id(head) in moved_in:
            name = head.name if hasattr(head, "name") else None
            return DanglingRefError(
                "cannot return value referencing function parameter"
                + (f" `{name}`" if name else ""),
                code="E0515",
                name=name,
                labels=(
                    (f"`{name}` is borrowed here" if name else "borrowed here", borrowed_at),
                    (
                        "returns a value referencing data owned by the current function",
                        plan.end_site,
                    ),
                ),
                help="return the owned value instead (an `Owned[...]` return), or take the "
                "parameter as a `Ref[...]` so that it is borrowed from the caller",
                used_at=plan.end_site,
            )
        owner = head._owner
        if type(owner) is not Family:
            break
        family: Family = owner
        head = family._head
    name = place.name if hasattr(place, "name") else None
    return DanglingRefError(
        "cannot return reference to local variable" + (f" `{name}`" if name else ""),
        code="E0515",
        name=name,
        labels=(("returns a reference to data owned by the current function", plan.end_site),),
        help="return the owned value instead (an `Owned[...]` return) and let the caller borrow it",
        used_at=plan.end_site,
    )


if not cython.compiled:  # interpreted, a KeyboardInterrupt waits until the operation is over
    from ._atomic import protect_module

    protect_module(globals())
