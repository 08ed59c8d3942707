"""Reading a function's annotations once: which parameters move, borrow or borrow mutably."""

from __future__ import annotations

import dis
import inspect
import typing
from collections.abc import Callable
from typing import Any, Final

from ._borrows import Ref, RefMut
from ._handles import Owned
from ._sites import Site, named

__all__ = ["BORROW", "BORROW_MUT", "MOVE", "Plan", "resolved_hints"]

MOVE: Final = "move"
BORROW: Final = "borrow"
BORROW_MUT: Final = "borrow_mut"

_KIND_OF_ORIGIN: Final[dict[object, str]] = {Owned: MOVE, Ref: BORROW, RefMut: BORROW_MUT}
_KIND_OF_NAME: Final = {"Owned": MOVE, "Ref": BORROW, "RefMut": BORROW_MUT}


class Plan:
    """Which arguments a call moves or borrows, worked out from the annotations once."""

    __slots__ = (
        "_definition",
        "_parameter_sites",
        "end_site",
        "fast_names",
        "is_plain",
        "keyword",
        "name",
        "positional",
        "var_keyword",
        "var_positional",
    )

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.name = getattr(fn, "__qualname__", repr(fn))
        hints = resolved_hints(fn) or {}
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
        code = getattr(fn, "__code__", None)
        self._definition = None if code is None else Site(code, 0)
        self._parameter_sites: dict[str, Site] = {}
        self.is_plain = not (
            self.positional or self.keyword or self.var_positional or self.var_keyword
        )
        # The parameter names when a generated wrapper can take the call (see _fastcall):
        # plain positional-or-keyword parameters without defaults, the special ones all moved.
        simple = all(p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty for p in parameters)
        moved_only = all(kind == MOVE for _index, _name, kind in self.positional)
        self.fast_names: tuple[str, ...] | None = (
            tuple(p.name for p in parameters)
            if simple and moved_only and 1 <= len(self.positional) <= 4 and self.end_site
            else None
        )

    def parameter_site(self, parameter: str) -> Site | None:
        """The site a moved-in argument reports: the function's `def`, naming the parameter."""
        site = self._parameter_sites.get(parameter)
        if site is None and self._definition is not None:
            site = self._parameter_sites[parameter] = named(self._definition, parameter)
        return site


def resolved_hints(fn: Callable[..., Any]) -> dict[str, Any] | None:
    """The evaluated annotations, or None while a forward reference does not resolve yet."""
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:  # e.g. NameError: the strings are read instead (see _kind)
        return None


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
