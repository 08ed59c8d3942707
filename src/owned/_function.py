"""`@owned.function`: each call is a scope; arguments are moved or borrowed by annotation."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from . import _atomic
from ._calls import CallWrapper, enter_call, finish, prepare
from ._errors import OwnershipError
from ._owners import current_owner
from ._plan import Plan, resolved_hints
from ._scope import call_scope
from ._sites import site_at

__all__ = ["function"]

F = TypeVar("F", bound=Callable[..., Any])


def function(fn: F) -> F:
    """Make each call a scope that moves `Owned[...]` and borrows `Ref[...]`/`RefMut[...]` args.

    On return the call's borrows end (a returned borrow stays valid in the caller), a returned
    `Owned` (also inside a returned tuple) goes to the caller, and everything else the call
    owns is dropped, newest first.
    """
    if isinstance(fn, (staticmethod, classmethod)):
        return type(fn)(function(fn.__func__))
    if not callable(fn):
        raise TypeError(f"@owned.function expects a function, got {type(fn).__name__}")
    if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
        raise TypeError(
            f"@owned.function cannot wrap the generator function {fn.__qualname__}(): "
            "its scope would have to stay open while the generator is suspended. "
            "Return a list, or collect the values in the function that drives it"
        )
    # Annotations that name something defined later are read on the first call instead.
    plan = Plan(fn) if resolved_hints(fn) is not None else None
    if inspect.iscoroutinefunction(fn):
        return functools.wraps(fn)(_async_wrapper(fn, plan))  # type: ignore[return-value]
    return CallWrapper(fn, plan)  # type: ignore[return-value]


def _async_wrapper(fn: Callable[..., Any], plan: Plan | None) -> Callable[..., Any]:
    plans = [] if plan is None else [plan]

    async def call_async(*args: Any, **kwargs: Any) -> Any:
        frame = sys._getframe(1)
        site = site_at(frame.f_code, frame.f_lasti)
        if not plans:
            plans.append(Plan(fn))
        scope = call_scope(plans[0].name, current_owner())
        done: list[Any] = []
        try:
            if not plans[0].is_plain:
                args = prepare(plans[0], scope, site, args, dict(kwargs), done)
        except (OwnershipError, TypeError) as refused:  # the caller's line is what matters
            raise refused.with_traceback(None) from None
        token = enter_call(scope)  # the task's context: the scope spans the awaits
        try:
            result = await fn(*args, **kwargs)
        except BaseException as exc:
            finish(scope, token, plans[0], done, None, exc)
            raise
        return finish(scope, token, plans[0], done, result, None)

    return call_async


_atomic.protect_module(globals())
