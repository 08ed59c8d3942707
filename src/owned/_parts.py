"""Values that own values: finding the handles inside a value, and adopting them as its parts.

A live handle reachable from a value -- through lists, tuples, dict values, sets, deques and
object attributes, but not through another handle's value -- is a part of it, owned by the
value's `Family` instead of a scope (Rust's `Vec<Box<T>>`, a struct's fields). The walk visits
a value in its own order (sequence elements first to last, dict values in insertion order,
dataclass fields, then `__slots__`, then `__dict__`), which is also the order parts are
dropped in, and looks at the type of each element once: values that cannot hold a handle
(`int`, `str`, ...) cost one comparison each.
"""

from __future__ import annotations

import collections
import types
from typing import Any, Final

from ._owners import Family, Handle, Owner, left, own

try:
    import cython
except ImportError:  # interpreted, without Cython installed
    from . import _cython_shim as cython

if not cython.compiled:
    from ._states import MUT

__all__ = ["adopt", "family_of", "register_owning", "walk"]

# The handle types that can be parts (Owned, Rc, Weak, Arc: registered by their modules).
OWNING: Final[set[type]] = set()

# Types whose values hold no handle: no walk at all. (Subclasses are walked, in case they do.)
_LEAVES: Final = frozenset(
    {
        int,
        float,
        complex,
        str,
        bytes,
        bytearray,
        bool,
        type(None),
        type(...),
        type(NotImplemented),
        range,
        slice,
        memoryview,
        types.FunctionType,
        types.BuiltinFunctionType,
        types.MethodType,
        types.ModuleType,
        types.CodeType,
        type,
    }
)
_SEQUENCES: Final = frozenset({list, tuple, set, frozenset, collections.deque})

# Per type: the attribute names to read, in definition order (dataclass fields, then
# __slots__), and whether instances have a __dict__ to read after them.
_ATTRIBUTES: Final[dict[type, tuple[tuple[str, ...], bool]]] = {}


def _attributes_of(cls: type) -> tuple[tuple[str, ...], bool]:
    known = _ATTRIBUTES.get(cls)
    if known is not None:
        return known
    names: list[str] = list(getattr(cls, "__dataclass_fields__", {}))
    has_dict = False
    for klass in reversed(cls.__mro__):
        slots = vars(klass).get("__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            if slot == "__dict__":
                has_dict = True
            elif slot != "__weakref__" and slot not in names:
                names.append(slot)
        if klass is not object and "__slots__" not in vars(klass):
            has_dict = True  # a class without __slots__ gives its instances a __dict__
    known = _ATTRIBUTES[cls] = (tuple(names), has_dict)
    return known


def _children(value: object) -> Any:
    """What a value contains, in its order, or None when it holds nothing to walk."""
    cls = type(value)
    if cls in OWNING:  # a handle (a RefCell, a Mutex) as the whole value is its one part
        return (value,)
    if cls in _SEQUENCES or isinstance(value, (list, tuple, set, frozenset, collections.deque)):
        return value
    if cls is dict or isinstance(value, dict):
        return value.values()  # type: ignore[attr-defined]
    if isinstance(value, type) or cls in _LEAVES:
        return None
    names, has_dict = _attributes_of(cls)
    found = []
    for name in names:
        try:
            found.append(object.__getattribute__(value, name))
        except AttributeError:  # an unset slot or field
            pass
    if has_dict:
        try:
            attributes = object.__getattribute__(value, "__dict__")
        except AttributeError:
            attributes = None
        if type(attributes) is dict:
            for name, item in attributes.items():
                if name not in names:
                    found.append(item)
    return found if found else None


def walk(value: object, found: list[Any]) -> None:
    """Append the live handles reachable from `value` to `found`, in the value's order."""
    cls = type(value)
    if cls is int or cls is str or cls is float or cls in _LEAVES:
        return
    children = _children(value)
    if children is None:
        return
    stack = [iter(children)]
    seen = {id(value)}
    while stack:
        for child in stack[len(stack) - 1]:
            cls = type(child)
            if cls is int or cls is str or cls is float or cls is bool or cls in _LEAVES:
                continue
            if cls in OWNING:
                handle: Handle = child
                if handle._state >= MUT:
                    found.append(handle)
                continue
            if id(child) in seen:
                continue
            seen.add(id(child))
            grandchildren = _children(child)
            if grandchildren is not None:
                stack.append(iter(grandchildren))
                break
        else:
            stack.pop()


def register_owning(cls: type) -> None:
    """A handle type whose live instances are parts of the values that hold them."""
    OWNING.add(cls)


def family_of(head: Handle, create: bool) -> Family | None:
    """The family of `head`'s parts (made now if `create`), or None when it has none."""
    families: dict[Handle, Family] = head._arena._families
    if not families and not create:
        return None
    family = families.get(head)
    if family is None and create:
        family = families[head] = Family(head)
    return family


def adopt(family: Family, handle: Handle, site: object) -> None:
    """Make `handle` a part of `family`'s value (the caller checked it may be)."""
    old: Owner = handle._owner
    if old is not family:
        left(old, handle)
        own(family, handle)
        family._adopted_at[handle] = site


if not cython.compiled:  # interpreted, a KeyboardInterrupt waits until the operation is over
    from ._atomic import protect_module

    protect_module(globals())
