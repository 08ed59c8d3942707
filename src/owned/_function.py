"""`@owned.function`: each call is a scope; arguments are moved or borrowed by annotation."""

from __future__ import annotations

import dis
import functools
import inspect
import sys
import typing
from collections.abc import Callable
from types import FrameType
from typing import Any, Final, TypeVar

from ._borrows import Ref, RefMut, new_ref, new_ref_mut
from ._errors import OwnershipError
from ._handles import Owned, transfer, undo_transfer
from ._scope import _ACTIVE, _CURRENT, _EXITED, ROOT, Scope, current_scope
from ._sites import _SITES, Site, site_of
from ._states import MUT

__all__ = ["function"]

F = TypeVar("F", bound=Callable[..., Any])
_getframe = sys._getframe

MOVE: Final = "move"
BORROW: Final = "borrow"
BORROW_MUT: Final = "borrow_mut"

_KIND_OF_ORIGIN: Final[dict[object, str]] = {Owned: MOVE, Ref: BORROW, RefMut: BORROW_MUT}
_KIND_OF_NAME: Final = {"Owned": MOVE, "Ref": BORROW, "RefMut": BORROW_MUT}


class _Plan:
    """Which arguments a call moves or borrows, worked out from the annotations once."""

    __slots__ = (
        "arity",
        "end_site",
        "is_plain",
        "keyword",
        "moves_only",
        "name",
        "positional",
        "var_keyword",
        "var_positional",
    )

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.name = getattr(fn, "__qualname__", repr(fn))
        hints = _hints(fn)
        self.positional: list[tuple[int, str | None, str]] = []
        self.keyword: list[tuple[str, str]] = []
        self.var_positional: tuple[int, str, str] | None = None
        self.var_keyword: tuple[frozenset[str], str, str] | None = None
        parameters = inspect.signature(fn).parameters.values()
        named = frozenset(p.name for p in parameters if p.kind is not p.VAR_KEYWORD)
        for index, parameter in enumerate(parameters):
            kind = _kind(hints.get(parameter.name, parameter.annotation))
            if kind is None:
                continue
            if parameter.kind is parameter.POSITIONAL_ONLY:
                self.positional.append((index, None, kind))
            elif parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
                self.positional.append((index, parameter.name, kind))
            elif parameter.kind is parameter.KEYWORD_ONLY:
                self.keyword.append((parameter.name, kind))
            elif parameter.kind is parameter.VAR_POSITIONAL:
                self.var_positional = (index, parameter.name, kind)
            else:
                self.var_keyword = (named, parameter.name, kind)
        self.end_site = _end_site(fn)
        self.is_plain = not (
            self.positional or self.keyword or self.var_positional or self.var_keyword
        )
        self.arity = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)
        self.moves_only = (
            bool(self.positional)
            and not (self.keyword or self.var_positional or self.var_keyword)
            and all(kind == MOVE for _index, _name, kind in self.positional)
        )


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:  # unresolvable forward references: read the strings instead
        return {}


def _kind(annotation: object) -> str | None:
    if isinstance(annotation, str):
        head = annotation.strip().split("[", 1)[0].strip()
        return _KIND_OF_NAME.get(head.rsplit(".", 1)[-1])
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _kind(typing.get_args(annotation)[0])
    return _KIND_OF_ORIGIN.get(origin if origin is not None else annotation)


def _end_site(fn: Callable[..., Any]) -> Site | None:
    """The function's last instruction: where its values are dropped, as at Rust's `}`."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    last = list(dis.get_instructions(code))[-1]
    return Site(code, last.offset)


def _pass_argument(  # noqa: PLR0917 - an internal helper on the call path
    plan: _Plan, scope: Scope, site: Site, done: list[Any], value: Any, kind: str, parameter: str
) -> Any:
    """Move or borrow one argument into the call's scope, recording it in `done` for undo."""
    if kind == MOVE:
        if type(value) is not Owned:
            raise _wrong_type(plan, value, parameter, "takes ownership (Owned[...])")
        moved = transfer(value, scope, site)
        moved._name = parameter
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


def _wrong_type(plan: _Plan, value: object, parameter: str, expected: str) -> TypeError:
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


def _prepare(  # noqa: PLR0912 - one branch per kind of parameter, flat on purpose
    plan: _Plan, scope: Scope, site: Site, args: tuple[Any, ...], kwargs: dict[str, Any]
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


def _move_all(plan: _Plan, scope: Scope, site: Site, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The common case, fast: every argument given positionally, every special one moved."""
    moved: list[Any] = list(args)
    for index, name, _kind in plan.positional:
        value = args[index]
        if type(value) is not Owned or value._flag != 0:
            for earlier, _name, _kind in plan.positional:  # undo; the general path explains
                if earlier == index:
                    break
                undo_transfer(args[earlier], moved[earlier])
            return _prepare(plan, scope, site, args, {})
        handle = transfer(value, scope, site)
        handle._name = name
        moved[index] = handle
    return tuple(moved)


def _new_scope(name: str, caller: Scope) -> Scope:
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


def _finish(scope: Scope, end: Site, result: Any, exc: BaseException | None) -> None:
    """Close a call's scope: end its borrows, hand returned values back, drop the rest."""
    token = scope._token
    scope._token = None
    scope._state = _EXITED
    scope._exited_at = end
    _CURRENT_RESET(token)  # type: ignore[arg-type]
    if scope._borrows:
        scope._end_borrows()
    if exc is None and (type(result) is Owned or type(result) is tuple):
        caller = scope.parent or ROOT
        for item in result if type(result) is tuple else (result,):
            if type(item) is Owned and item._scope is scope and item._flag >= MUT:
                item._scope = caller
                if caller is not ROOT:
                    caller._owned.append(item)
    if scope._owned:
        scope._drop_values(end, exc)


def _call_site(frame: FrameType) -> Site:
    by_offset = _SITES.get(frame.f_code)
    site = by_offset.get(frame.f_lasti) if by_offset is not None else None
    return site if site is not None else site_of(frame)


def function(fn: F) -> F:
    """Make each call a scope that moves `Owned[...]` and borrows `Ref[...]`/`RefMut[...]` args.

    On return the call's borrows end, a returned `Owned` (also inside a returned tuple) goes to
    the caller, and everything else the call owns is dropped, newest first.
    """
    if isinstance(fn, (staticmethod, classmethod)):
        return type(fn)(function(fn.__func__))
    if not callable(fn):
        raise TypeError(f"@owned.function expects a function, got {type(fn).__name__}")
    if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
        raise TypeError(
            f"@owned.function cannot wrap the generator function {fn.__qualname__}(): "
            "its scope would have to stay open while the generator is suspended. "
            "Return a list, or manage an owned.scope() inside the generator"
        )
    plans: list[_Plan] = []

    def plan_of() -> _Plan:
        if not plans:
            plans.append(_Plan(fn))
        return plans[0]

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def call_async(*args: Any, **kwargs: Any) -> Any:
            plan = plans[0] if plans else plan_of()
            site = _call_site(_getframe(1))
            scope = _new_scope(plan.name, current_scope())
            try:
                if not plan.is_plain:
                    args = _prepare(plan, scope, site, args, kwargs)
            except (OwnershipError, TypeError) as refused:  # the caller's line is what matters
                raise refused.with_traceback(None) from None
            scope._token = _CURRENT_SET(scope)
            try:
                result = await fn(*args, **kwargs)
            except BaseException as exc:
                _finish(scope, plan.end_site or site, None, exc)
                raise
            _finish(scope, plan.end_site or site, result, None)
            return result

        return call_async  # type: ignore[return-value]

    @functools.wraps(fn)
    def call_sync(*args: Any, **kwargs: Any) -> Any:
        plan = plans[0] if plans else plan_of()
        frame = _getframe(1)  # _call_site(frame), inlined on the path of every call
        sites = _SITES.get(frame.f_code)
        site = sites.get(frame.f_lasti) if sites is not None else None
        if site is None:
            site = site_of(frame)
        scope = _new_scope(plan.name, current_scope())
        try:
            if plan.moves_only and not kwargs and len(args) == plan.arity:
                args = _move_all(plan, scope, site, args)
            elif not plan.is_plain:
                args = _prepare(plan, scope, site, args, kwargs)
        except (OwnershipError, TypeError) as refused:  # the caller's line is what matters
            raise refused.with_traceback(None) from None
        scope._token = _CURRENT_SET(scope)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            _finish(scope, plan.end_site or site, None, exc)
            raise
        _finish(scope, plan.end_site or site, result, None)
        return result

    return call_sync  # type: ignore[return-value]


_CURRENT_SET: Final = _CURRENT.set
_CURRENT_RESET: Final = _CURRENT.reset
