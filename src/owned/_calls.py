"""One call of an `@owned.function`: moving and borrowing its arguments, closing its scope."""

from __future__ import annotations

from typing import Any

from ._borrows import Ref, RefMut, new_ref, new_ref_mut
from ._handles import Owned, transfer, undo_transfer
from ._plan import BORROW, MOVE, Plan
from ._scope import _ACTIVE, _CURRENT, _EXITED, ROOT, Scope
from ._sites import Site
from ._states import MUT

__all__ = ["finish", "new_scope", "prepare"]

_CURRENT_RESET = _CURRENT.reset


def _pass_argument(  # noqa: PLR0917 - an internal helper on the call path
    plan: Plan, scope: Scope, site: Site, done: list[Any], value: Any, kind: str, parameter: str
) -> Any:
    """Move or borrow one argument into the call's scope, recording it in `done` for undo."""
    if kind == MOVE:
        if type(value) is not Owned:
            raise _wrong_type(plan, value, parameter, "takes ownership (Owned[...])")
        moved = transfer(value, scope, site, plan.parameter_site(parameter))
        done.append((value, moved))
        return moved
    if type(value) is Owned:
        borrow = (new_ref if kind == BORROW else new_ref_mut)(value, site, scope)
        done.append((None, borrow))
        return borrow
    if type(value) is RefMut or (type(value) is Ref and kind == BORROW):
        value._checked_owner(3)  # a borrow that has ended cannot be passed on
        return value
    expected = "borrows (Ref[...])" if kind == BORROW else "borrows mutably (RefMut[...])"
    raise _wrong_type(plan, value, parameter, expected)


def _wrong_type(plan: Plan, value: object, parameter: str, expected: str) -> TypeError:
    hint = (
        "pass the Owned value or a RefMut"
        if type(value) is Ref
        else "wrap the value in owned.Owned(...) first"
    )
    return TypeError(
        f"{plan.name}() parameter `{parameter}` {expected}, got {type(value).__name__}: {hint}"
    )


def _undo(done: list[Any], site: Site) -> None:
    for original, result in reversed(done):
        if original is None:
            result._end(site)
        else:
            undo_transfer(original, result)


def prepare(  # noqa: PLR0912 - one branch per kind of parameter, flat on purpose
    plan: Plan, scope: Scope, site: Site, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """The arguments as the callee sees them; on any error, nothing has changed."""
    new_args: list[Any] | None = None
    done: list[Any] = []
    try:
        for index, name, kind in plan.positional:
            if index < len(args):
                if new_args is None:
                    new_args = list(args)
                new_args[index] = _pass_argument(
                    plan, scope, site, done, args[index], kind, name or f"#{index}"
                )
            elif name is not None and name in kwargs:
                kwargs[name] = _pass_argument(plan, scope, site, done, kwargs[name], kind, name)
        for name, kind in plan.keyword:
            if name in kwargs:
                kwargs[name] = _pass_argument(plan, scope, site, done, kwargs[name], kind, name)
        if plan.var_positional is not None:
            start, name, kind = plan.var_positional
            if start < len(args):
                if new_args is None:
                    new_args = list(args)
                for index in range(start, len(args)):
                    new_args[index] = _pass_argument(
                        plan, scope, site, done, args[index], kind, f"*{name}"
                    )
        if plan.var_keyword is not None:
            named, _name, kind = plan.var_keyword
            for key, value in kwargs.items():
                if key not in named:
                    kwargs[key] = _pass_argument(plan, scope, site, done, value, kind, key)
    except BaseException:
        _undo(done, site)
        raise
    return args if new_args is None else tuple(new_args)


def new_scope(name: str, caller: Scope) -> Scope:
    scope: Scope = object.__new__(Scope)
    scope.name = name
    scope.parent = caller
    scope._arena = caller._arena
    scope._owned = []
    scope._borrows = None
    scope._dead = 0
    scope._state = _ACTIVE
    scope._exited_at = None
    return scope


def finish(scope: Scope, end: Site, result: Any, exc: BaseException | None) -> None:
    """Close a call's scope: end its borrows, hand returned values back, drop the rest."""
    token = scope._token
    scope._token = None
    scope._state = _EXITED
    scope._exited_at = end
    _CURRENT_RESET(token)  # type: ignore[arg-type]
    if scope._borrows:
        scope._end_borrows()
    handed_back = 0
    if exc is None:
        if type(result) is Owned:
            handed_back = _hand_back(result, scope)
        elif type(result) is tuple:
            for item in result:
                if type(item) is Owned:
                    handed_back += _hand_back(item, scope)
    # Entries that were handed back or left already (moved out, dropped) need no drop pass.
    if len(scope._owned) > handed_back + scope._dead:
        scope._drop_values(end, exc)


def _hand_back(handle: Owned[Any], scope: Scope) -> int:
    """Give a returned value of the call's scope to the caller's; 1 if it was the call's."""
    if handle._scope is not scope or handle._flag < MUT:
        return 0
    caller = scope.parent or ROOT
    handle._scope = caller
    if caller is not ROOT:
        caller._owned.append(handle)
    return 1
