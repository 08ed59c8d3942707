"""Hypothesis' entry point: `st.from_type(Owned[T])` builds owned values of `from_type(T)`.

Registered under `[project.entry-points.hypothesis]`, so installing `owned` is enough:
hypothesis calls `_hypothesis_setup_hook` once, at the end of its own import.
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any

from . import _build

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from ._handles import Owned

__all__ = ["_hypothesis_setup_hook"]

# Hypothesis and owned.strategies are imported inside the functions: hypothesis' import runs the
# hook, so importing either at the top would make `import owned._hypothesis` or
# `import owned.strategies` import itself while half-initialised.


def _hypothesis_setup_hook() -> None:
    """Teach `st.from_type` to build `Owned[T]` once the core is loaded (hypothesis may be
    imported before the build of the core is chosen, as pytest does)."""
    _build.on_load(_register)


def _register() -> None:
    from hypothesis import strategies as st

    from ._handles import Owned

    st.register_type_strategy(Owned, owned_strategy_for)


def owned_strategy_for(owned_type: type[Owned[Any]]) -> SearchStrategy[Owned[Any]]:
    """`Owned[T]` -> owned values of `from_type(T)`; a bare `Owned` holds any object."""
    from hypothesis import strategies as st

    from .strategies import owned_values

    arguments = typing.get_args(owned_type)
    element_type: Any = arguments[0] if arguments else object
    return owned_values(st.from_type(element_type))
