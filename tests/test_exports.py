"""The public surface: everything exported, documented, and reported as `owned.X`."""

from __future__ import annotations

import inspect

import owned

CONTRACT_NAMES = {
    "Owned", "Ref", "RefMut", "Arena", "Scope", "scope", "move", "drop", "function",
    "OwnershipError", "UseAfterMoveError", "UseAfterDropError", "DoubleDropError",
    "BorrowError", "BorrowMutError", "MoveWhileBorrowedError", "DanglingRefError",
    "OutOfMemoryError",
}  # fmt: skip


def test_every_contract_name_is_exported() -> None:
    assert set(owned.__all__) >= CONTRACT_NAMES
    for name in owned.__all__:
        assert hasattr(owned, name), name


def test_all_lists_every_public_name_of_the_package() -> None:
    public = {
        name
        for name, value in vars(owned).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(owned.__all__)


def test_every_public_class_and_function_is_documented_and_reports_module_owned() -> None:
    for name in owned.__all__:
        value = getattr(owned, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__module__ == "owned", name
            assert inspect.getdoc(value), f"{name} has no docstring"


def test_handles_arenas_and_scopes_are_slotted() -> None:
    arena = owned.Arena()
    handle = owned.Owned([1], arena=arena)
    instances = [handle, handle.borrow(), arena.alloc(1), arena, owned.scope()]
    for instance in instances:
        assert not hasattr(instance, "__dict__"), type(instance).__name__
    borrow_mut = owned.Owned(2, arena=arena).borrow_mut()
    assert not hasattr(borrow_mut, "__dict__")
