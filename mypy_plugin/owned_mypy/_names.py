"""Fully qualified names of the runtime's API, as mypy sees them (the runtime is never imported)."""

from typing import Final

RUNTIME_MODULE: Final = "owned._handles"
"""A build that does not contain this module cannot produce an `Owned` value: the plugin idles."""

OWNED: Final = "owned._handles.Owned"
REF: Final = frozenset({"owned._borrows.Ref", "owned._handles.Ref"})
REF_MUT: Final = frozenset({"owned._borrows.RefMut", "owned._handles.RefMut"})
REF_MUT_DEFINITION: Final = "owned._borrows.RefMut"

MOVE_FUNCTION: Final = "owned._handles.move"
DROP_FUNCTION: Final = "owned._handles.drop"
FUNCTION_DECORATOR: Final = "owned._function.function"

MOVING_METHODS: Final = frozenset({"move", "into_inner"})
"""Methods of `Owned` after which the handle is dead because its value went elsewhere."""
DROPPING_METHODS: Final = frozenset({"drop"})
CONSUMING_METHOD_FULLNAMES: Final = frozenset(
    f"{OWNED}.{name}" for name in MOVING_METHODS | DROPPING_METHODS
)
LIVENESS_PROPERTY: Final = "is_alive"
"""Reading it never raises, so it is not a use of the handle."""

EXPECTING_CONTEXT_MANAGERS: Final = frozenset(
    {
        "_pytest.raises.RaisesExc",
        "_pytest.raises.RaisesGroup",
        "_pytest.python_api.RaisesContext",
        "unittest.case._AssertRaisesContext",
    }
)
"""`pytest.raises()` and `assertRaises()`: a body that ends normally fails at their exit."""


def is_runtime_module(module: str) -> bool:
    """Tell whether `module` belongs to the runtime, which implements the rules it enforces."""
    return module == "owned" or module.startswith("owned.")


FLOW_MARKER: Final = "owned_mypy.<flow analysis>"
"""Callee of the synthetic call whose function hook runs the flow analysis of a module."""
