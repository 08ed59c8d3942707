"""`@owned.function`: each call is a scope; arguments are moved or borrowed by annotation."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any, Final, TypeVar

from ._calls import finish, new_scope, prepare
from ._errors import OwnershipError
from ._fastcall import fast_wrapper
from ._plan import Plan, resolved_hints
from ._scope import _CURRENT, current_scope
from ._sites import _SITES, Site, site_of

__all__ = ["function"]

F = TypeVar("F", bound=Callable[..., Any])
_getframe = sys._getframe
_CURRENT_SET: Final = _CURRENT.set


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
    # Annotations that name something defined later are read on the first call instead.
    plans = [Plan(fn)] if resolved_hints(fn) is not None else []

    def plan_of() -> Plan:
        if not plans:
            plans.append(Plan(fn))
        return plans[0]

    if inspect.iscoroutinefunction(fn):
        return functools.wraps(fn)(_async_wrapper(fn, plan_of))  # type: ignore[return-value]

    def call(site: Site, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        plan = plans[0] if plans else plan_of()
        scope = new_scope(plan.name, current_scope())
        if not plan.is_plain:
            try:
                args = prepare(plan, scope, site, args, kwargs)
            except (OwnershipError, TypeError) as refused:  # the caller's line is what matters
                raise refused.with_traceback(None) from None
        scope._token = _CURRENT_SET(scope)
        end = plan.end_site or site
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            finish(scope, end, None, exc)
            raise
        finish(scope, end, result, None)
        return result

    fast = fast_wrapper(fn, plans[0], call) if plans else None
    if fast is not None:
        return functools.wraps(fn)(fast)  # type: ignore[return-value]

    @functools.wraps(fn)
    def call_sync(*args: Any, **kwargs: Any) -> Any:
        frame = _getframe(1)
        try:
            site = _SITES[id(frame.f_code)][frame.f_lasti]
        except KeyError:
            site = site_of(frame)
        return call(site, args, kwargs)

    return call_sync  # type: ignore[return-value]


def _async_wrapper(fn: Callable[..., Any], plan_of: Callable[[], Plan]) -> Callable[..., Any]:
    async def call_async(*args: Any, **kwargs: Any) -> Any:
        plan = plan_of()
        site = site_of(_getframe(1))
        scope = new_scope(plan.name, current_scope())
        try:
            if not plan.is_plain:
                args = prepare(plan, scope, site, args, kwargs)
        except (OwnershipError, TypeError) as refused:  # the caller's line is what matters
            raise refused.with_traceback(None) from None
        scope._token = _CURRENT_SET(scope)  # the task's context: the scope spans the awaits
        end = plan.end_site or site
        try:
            result = await fn(*args, **kwargs)
        except BaseException as exc:
            finish(scope, end, None, exc)
            raise
        finish(scope, end, result, None)
        return result

    return call_async
