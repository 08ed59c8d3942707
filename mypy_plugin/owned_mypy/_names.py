"""Fully qualified names of the runtime's API, as mypy sees them (the runtime is never imported)."""

from typing import Final

RUNTIME_MODULE: Final = "owned._handles"
"""A build that does not contain this module cannot produce an `Owned` value: the plugin idles."""

OWNED: Final = "owned._handles.Owned"
RC: Final = "owned._rc.Rc"
ARC: Final = "owned._sync.Arc"
TRACKED_HANDLES: Final = frozenset({OWNED, RC, ARC})
"""Handles whose names are tracked: moved, dropped and dead like an `Owned` (contract v2)."""
SCOPE_CLASS: Final = "owned._scope.Scope"
SPAWN_FUNCTION: Final = "owned._threads.spawn"
REF: Final = "owned._borrows.Ref"
REF_MUT: Final = "owned._borrows.RefMut"
BORROWS: Final = frozenset({REF, REF_MUT})

MOVE_FUNCTION: Final = "owned._handles.move"
DROP_FUNCTION: Final = "owned._handles.drop"
FUNCTION_DECORATOR: Final = "owned._function.function"

MOVING_METHODS: Final = frozenset({"move", "into_inner"})
"""Methods of `Owned` after which the handle is dead because its value went elsewhere."""
DROPPING_METHODS: Final = frozenset({"drop"})
BORROWING_METHODS: Final = frozenset({"borrow", "borrow_mut"})
ANALYSED_METHOD_FULLNAMES: Final = frozenset(
    f"{handle}.{name}"
    for handle in (*TRACKED_HANDLES, "owned._rc.SharedHandle")  # where `Rc`'s methods live
    for name in MOVING_METHODS | DROPPING_METHODS | BORROWING_METHODS
)
"""Calls that make the plugin analyse the function around them (also for the borrow rules)."""
VALUE_ATTRIBUTE: Final = f"{OWNED}.value"
RELEASE_METHOD: Final = "release"
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
