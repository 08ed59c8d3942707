"""The one hook between the public classes and their notebook renderings.

`Owned`, `Ref`, `RefMut`, `Arena` and `OwnershipError` each have a `_repr_html_` (IPython's
display protocol) that asks `html_of(self)`; the tools layer (`owned._display`) registers a
renderer per class when it is imported, which `html_of` does on its first call: a program
that never displays anything in a notebook never loads it. No module of `owned` is imported
here at the top, so that any layer may consult the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

__all__ = ["html_of", "register_html"]

# class -> the function that renders its instances as an HTML fragment. Written at import
# time of the tools layer, read when a notebook displays an object.
_HTML: Final[dict[type, Callable[[Any], str]]] = {}


def register_html(cls: type, render: Callable[[Any], str]) -> None:
    """Render instances of `cls` (and of its subclasses) with `render` in notebooks."""
    _HTML[cls] = render


def html_of(obj: object) -> str | None:
    """`obj` as HTML by the renderer of its nearest registered class; None: plain text only."""
    if not _HTML:
        import owned._display  # noqa: F401 - registers the renderers
    for cls in type(obj).__mro__:
        render = _HTML.get(cls)
        if render is not None:
            return render(obj)
    return None
