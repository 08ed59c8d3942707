"""Generated call wrappers for the common `@owned.function` signature, as attrs generates __init__.

A generic wrapper (`*args, **kwargs`) packs a tuple and a dict, copies them to move the
arguments, and calls helpers; for plain positional parameters that are moved, a wrapper with
the function's own parameter list does the same work inline. Anything unusual at call time (a
dead or repeated argument, a non-Owned value) goes to the generic path, which explains it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ._calls import finish
from ._handles import Owned, transfer
from ._plan import Plan
from ._scope import _ACTIVE, _CURRENT, Scope, current_scope
from ._sites import _SITES, Site, site_of

__all__ = ["fast_wrapper"]

Generic = Callable[[Site, tuple[Any, ...], dict[str, Any]], Any]


def fast_wrapper(fn: Callable[..., Any], plan: Plan, generic: Generic) -> Callable[..., Any] | None:
    """A wrapper with `fn`'s own parameters, or None when the plan does not allow one."""
    names = plan.fast_names
    if names is None or not all(name.isidentifier() for name in names):
        return None
    moved = [name for _index, name, _kind in plan.positional if name is not None]
    parameters = ", ".join(names)
    refused = [f"type({name}) is not _Owned or {name}._flag != 0" for name in moved]
    refused += [f"{a} is {b}" for i, a in enumerate(moved) for b in moved[i + 1 :]]
    moves = "".join(
        f"    {name} = _transfer({name}, scope, site, _made_{name})\n" for name in moved
    )
    source = (
        f"def wrapper({parameters}):\n"
        "    frame = _getframe(1)\n"
        "    sites = _SITES.get(_id(frame.f_code))\n"
        "    site = sites.get(frame.f_lasti) if sites is not None else None\n"
        "    if site is None:\n"
        "        site = _site_of(frame)\n"
        f"    if {' or '.join(refused)}:\n"
        f"        return _generic(site, ({parameters},), {{}})\n"
        "    caller = _current_scope()\n"
        "    scope = _new(_Scope)\n"
        "    scope.name = _name\n"
        "    scope.parent = caller\n"
        "    scope._arena = caller._arena\n"
        "    scope._owned = []\n"
        "    scope._borrows = None\n"
        "    scope._dead = 0\n"
        "    scope._state = _ACTIVE\n"
        "    scope._exited_at = None\n"
        f"{moves}"
        "    scope._token = _set(scope)\n"
        "    try:\n"
        f"        result = _fn({parameters})\n"
        "    except BaseException as exc:\n"
        "        _finish(scope, _end, None, exc)\n"
        "        raise\n"
        "    _finish(scope, _end, result, None)\n"
        "    return result\n"
    )
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
        "_transfer": transfer,
        "_set": _CURRENT.set,
        "_fn": fn,
        "_finish": finish,
        "_end": plan.end_site,
    }
    namespace.update({f"_made_{name}": plan.parameter_site(name) for name in moved})
    code = compile(source, f"<owned.function wrapper of {plan.name}>", "exec")
    exec(code, namespace)  # our own template, filled in with parameter names only
    wrapper: Callable[..., Any] = namespace["wrapper"]
    return wrapper
