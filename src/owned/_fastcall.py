"""Generated call wrappers for the common `@owned.function` signature, as attrs generates __init__.

A generic wrapper (`*args, **kwargs`) packs a tuple and a dict, copies them to move the
arguments, and calls helpers; for plain positional parameters that are moved, a wrapper with
the function's own parameter list does the same work inline, or, where the C accelerator is
built, in two C calls that open and close the scope. Anything unusual at call time (a dead or
repeated argument, a non-Owned value) goes to the generic path, which explains it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final

from . import _accelerator
from ._calls import finish
from ._handles import Owned
from ._plan import Plan
from ._scope import _ACTIVE, _CURRENT, _EXITED, ROOT, Scope, current_scope
from ._sites import _SITES, Site, site_of
from ._states import MOVED, MUT

__all__ = ["fast_wrapper"]

Generic = Callable[[Site, tuple[Any, ...], dict[str, Any]], Any]


# Read when a function is decorated; tests swap it to check both paths.
ACCELERATOR: ModuleType | None = _accelerator.ACCELERATOR


# transfer(name, scope, site, _made_name), inlined (the flag is claimed already): keep in step
# with _handles.transfer. tests/test_function_paths.py runs every behaviour through both.
_MOVE_IN: Final = """\
    handle = _new(_Owned)
    handle._value = {name}._value
    handle._flag = 0
    handle._arena = arena = {name}._arena
    handle._address = address = {name}._address
    handle._size = {name}._size
    handle._scope = scope
    handle._site = _made_{name}
    handle._allocated_at = {name}._allocated_at
    handle._aux = None
    arena._live[address] = handle
    if arena._recorder is not None:
        arena._recorder("move", handle, site, _name)
    {name}._aux = site
    {name}._value = None
    if {name}._scope is not _ROOT:
        {name}._scope._dead += 1
    {name} = handle
"""

_CALL: Final = """\
    try:
        result = _fn({parameters})
    except BaseException as exc:
        _finish(scope, _end, None, exc)
        raise
"""

# finish(scope, _end, result, None) for a call that made no borrows and returns no tuple,
# inlined: keep in step with _calls.finish, which every other ending still goes through.
_COMMON_ENDING: Final = """\
    if scope._borrows is not None or type(result) is tuple:
        _finish(scope, _end, result, None)
        return result
    _reset(scope._token)
    scope._token = None
    scope._state = _EXITED
    scope._exited_at = _end
    handed_back = 0
    if type(result) is _Owned and result._scope is scope and result._flag >= _MUT:
        result._scope = caller
        handed_back = 1
        if caller is not _ROOT:
            caller._owned.append(result)
    if len(scope._owned) > handed_back + scope._dead:
        scope._drop_values(_end, None)
    return result
"""


_TEMPLATE_LOCALS: Final = frozenset(
    {"frame", "sites", "site", "caller", "scope", "handle", "arena", "address", "result", "exc"}
    | {"handed_back"}
)


def fast_wrapper(fn: Callable[..., Any], plan: Plan, generic: Generic) -> Callable[..., Any] | None:
    """A wrapper with `fn`'s own parameters, or None when the plan does not allow one."""
    names = plan.fast_names
    if names is None or any(name.startswith("_") or name in _TEMPLATE_LOCALS for name in names):
        return None  # a parameter would shadow one of the template's own names
    moved = [name for _index, name, _kind in plan.positional if name is not None]
    made_at = tuple(plan.parameter_site(name) for name in moved)
    accelerator = ACCELERATOR
    source = (_accelerated if accelerator is not None else _pure)(", ".join(names), moved)
    namespace: dict[str, Any] = {
        "_getframe": sys._getframe,
        "_SITES": _SITES,
        "_id": id,
        "_site_of": site_of,
        "_Owned": Owned,
        "_generic": generic,
        "_current_scope": current_scope,
        "_new": object.__new__,
        "_Scope": Scope,
        "_name": plan.name,
        "_ACTIVE": _ACTIVE,
        "_MOVED": MOVED,
        "_MUT": MUT,
        "_EXITED": _EXITED,
        "_ROOT": ROOT,
        "_set": _CURRENT.set,
        "_reset": _CURRENT.reset,
        "_fn": fn,
        "_finish": finish,
        "_end": plan.end_site,
        "_spec": (plan.name, made_at),
    }
    if accelerator is not None:
        namespace.update(_enter=accelerator.enter, _leave=accelerator.leave)
    namespace.update({f"_made_{name}": site for name, site in zip(moved, made_at, strict=True)})
    code = compile(source, f"<owned.function wrapper of {plan.name}>", "exec")
    exec(code, namespace)  # our own template, filled in with parameter names only
    wrapper: Callable[..., Any] = namespace["wrapper"]
    return wrapper


def _pure(parameters: str, moved: list[str]) -> str:
    """The wrapper's source when every step runs in Python."""
    # The types first, then the flags: no call may come between a flag's test and its store.
    refused = [f"type({name}) is not _Owned" for name in moved]
    refused += [f"{a} is {b}" for i, a in enumerate(moved) for b in moved[i + 1 :]]
    refused += [f"{name}._flag != 0" for name in moved]
    claims = " = ".join(f"{name}._flag" for name in moved)
    return (
        f"def wrapper({parameters}):\n"
        "    frame = _getframe(1)\n"
        "    try:\n"
        "        site = _SITES[_id(frame.f_code)][frame.f_lasti]\n"
        "    except KeyError:\n"
        "        site = _site_of(frame)\n"
        f"    if {' or '.join(refused)}:\n"
        f"        return _generic(site, ({parameters},), {{}})\n"
        f"    {claims} = _MOVED\n"
        "    caller = _current_scope()\n"
        "    scope = _new(_Scope)\n"
        "    scope.name = _name\n"
        "    scope.parent = caller\n"
        "    scope._arena = caller._arena\n"
        "    scope._borrows = None\n"
        "    scope._dead = 0\n"
        "    scope._state = _ACTIVE\n"
        "    scope._exited_at = None\n"
        + "".join(_MOVE_IN.format(name=name) for name in moved)
        + f"    scope._owned = [{', '.join(moved)}]\n"
        "    scope._token = _set(scope)\n" + _CALL.format(parameters=parameters) + _COMMON_ENDING
    )


def _accelerated(parameters: str, moved: list[str]) -> str:
    """The wrapper's source when `_speedups` opens and closes the scope (the same steps, in C)."""
    return (
        f"def wrapper({parameters}):\n"
        f"    scope = _enter(_spec, {', '.join(moved)})\n"
        "    if scope is None:\n"
        f"        return _generic(_site_of(_getframe(1)), ({parameters},), {{}})\n"
        f"    {', '.join(moved)}, = scope._owned\n"
        + _CALL.format(parameters=parameters)
        + "    return _leave(scope, result, _end)\n"
    )
