"""Reading a function's annotations once: which parameters move, borrow or borrow mutably."""

from __future__ import annotations

import dis
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, Final

from ._borrows import Ref, RefMut
from ._handles import Owned
from ._sites import Site, named

try:
    import cython
except ImportError:  # interpreted, without Cython installed
    from . import _cython_shim as cython

__all__ = ["BORROW", "BORROW_MUT", "MOVE", "Parameter", "Plan", "resolved_hints"]

if not cython.compiled:  # compiled, these are C constants (`_plan.pxd`)
    MOVE = 1
    BORROW = 2
    BORROW_MUT = 3

_KIND_OF_ORIGIN: Final[dict[object, int]] = {Owned: MOVE, Ref: BORROW, RefMut: BORROW_MUT}
_KIND_OF_NAME: Final = {"Owned": MOVE, "Ref": BORROW, "RefMut": BORROW_MUT}


def register_moved(cls: type) -> None:
    """A handle type whose parameters (`Rc[...]`) move their argument in, as `Owned[...]`."""
    _KIND_OF_ORIGIN[cls] = MOVE
    _KIND_OF_NAME[cls.__name__] = MOVE


class Parameter:
    """How one parameter takes its argument (read on every call: compiled, C fields)."""

    __slots__ = ("index", "keyword", "kind", "name", "site", "strict")

    index: int  # its position, for a positional one
    keyword: str | None  # the name it may be passed by, if any
    kind: int  # MOVE, BORROW or BORROW_MUT
    name: str  # what messages call it (`#0` for a positional-only one, `*args`...)
    site: Site | None  # what a moved-in argument reports as its origin: the `def`, named
    strict: bool  # False for a union (`Owned[T] | None`): other values pass unchanged

    def __init__(
        self, index: int, keyword: str | None, kind: int, name: str, strict: bool, site: Site | None
    ) -> None:
        self.index = index
        self.keyword = keyword
        self.kind = kind
        self.name = name
        self.strict = strict
        self.site = site

    def renamed(self, name: str, plan: Plan) -> Parameter:
        """The same parameter under another name (a `**kwargs` key)."""
        return Parameter(self.index, name, self.kind, name, self.strict, plan.parameter_site(name))


class Plan:
    """Which arguments a call moves or borrows, worked out from the annotations once."""

    __slots__ = (
        "_definition",
        "_parameter_sites",
        "end_site",
        "is_plain",
        "keyword",
        "name",
        "named",
        "positional",
        "var_keyword",
        "var_positional",
    )

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.name: str = getattr(fn, "__qualname__", repr(fn))
        hints = resolved_hints(fn) or {}
        self.positional: list[Parameter] = []
        self.keyword: list[Parameter] = []
        self.var_positional: Parameter | None = None
        self.var_keyword: Parameter | None = None
        self.named: frozenset[str] = frozenset()  # the parameters **kwargs does not take
        self.end_site = _end_site(fn)
        code = getattr(fn, "__code__", None)
        self._definition = None if code is None else Site(code, 0)
        self._parameter_sites: dict[str, Site | None] = {}
        parameters = inspect.signature(fn).parameters.values()
        self.named = frozenset(p.name for p in parameters if p.kind is not p.VAR_KEYWORD)
        for index, parameter in enumerate(parameters):
            how = _kind(hints.get(parameter.name, parameter.annotation))
            if how is None:
                continue
            kind, strict = how
            name = parameter.name
            if parameter.kind is parameter.POSITIONAL_ONLY:
                spec = Parameter(index, None, kind, f"#{index}", strict, self.parameter_site(name))
                self.positional.append(spec)
            elif parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
                spec = Parameter(index, name, kind, name, strict, self.parameter_site(name))
                self.positional.append(spec)
            elif parameter.kind is parameter.KEYWORD_ONLY:
                spec = Parameter(index, name, kind, name, strict, self.parameter_site(name))
                self.keyword.append(spec)
            elif parameter.kind is parameter.VAR_POSITIONAL:
                site = self.parameter_site(f"*{name}")
                self.var_positional = Parameter(index, None, kind, f"*{name}", strict, site)
            else:
                self.var_keyword = Parameter(index, None, kind, name, strict, None)
        self.is_plain = not (
            self.positional or self.keyword or self.var_positional or self.var_keyword
        )

    def parameter_site(self, parameter: str) -> Site | None:
        """The site a moved-in argument reports: the function's `def`, naming the parameter."""
        site = self._parameter_sites.get(parameter)
        if site is None and self._definition is not None:
            site = self._parameter_sites[parameter] = named(self._definition, parameter)
        return site

    def is_parameter_site(self, site: object) -> bool:
        """Whether `site` names one of this function's moved-in parameters."""
        return any(site is known for known in self._parameter_sites.values())


def resolved_hints(fn: Callable[..., Any]) -> dict[str, Any] | None:
    """The evaluated annotations, or None while a forward reference does not resolve yet."""
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:  # e.g. NameError: the strings are read instead (see _kind)
        return None


_UNIONS: Final = (typing.Union, getattr(types, "UnionType", typing.Union))


def _kind(annotation: object) -> tuple[int, bool] | None:
    """How a parameter with this annotation takes its argument, and whether strictly."""
    if isinstance(annotation, str):
        kinds = {_name_kind(part) for part in _split_union(annotation)}
        kinds.discard(None)
        if len(kinds) != 1:
            return None
        return kinds.pop(), "|" not in annotation and not annotation.strip().startswith(  # type: ignore[return-value]  # None was discarded
            ("Optional", "typing.Optional", "Union", "typing.Union")
        )
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _kind(typing.get_args(annotation)[0])
    if origin in _UNIONS:
        inner = {_kind(arg) for arg in typing.get_args(annotation) if arg is not type(None)}
        inner.discard(None)
        kinds = {how[0] for how in inner if how is not None}
        return (kinds.pop(), False) if len(kinds) == 1 else None  # type: ignore[return-value]  # ints only here
    kind = _KIND_OF_ORIGIN.get(origin if origin is not None else annotation)
    return None if kind is None else (kind, True)


def _split_union(annotation: str) -> list[str]:
    text = annotation.strip()
    for prefix in ("typing.Optional[", "Optional[", "typing.Union[", "Union["):
        if text.startswith(prefix) and text.endswith("]"):
            text = text[len(prefix) : -1]
            return [part for part in _top_level(text, ",")]
    return _top_level(text, "|")


def _top_level(text: str, separator: str) -> list[str]:
    """`text` split at `separator` outside brackets."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _name_kind(part: str) -> int | None:
    head = part.strip().split("[", 1)[0].strip()
    return _KIND_OF_NAME.get(head.rsplit(".", 1)[-1])


def _end_site(fn: Callable[..., Any]) -> Site | None:
    """The function's last instruction: where its values are dropped, as at Rust's `}`."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    last = list(dis.get_instructions(code))[-1]
    return Site(code, last.offset)


if not cython.compiled:  # interpreted, a KeyboardInterrupt waits until the operation is over
    from ._atomic import protect_module

    protect_module(globals())
