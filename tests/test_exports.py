"""The public surface: everything exported, documented, and reported as `owned.X`."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import owned

ROOT = Path(__file__).parent.parent

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


def _public_members(cls: type) -> dict[str, object]:
    """The methods and properties a class defines, without its fields (slots, C attributes).

    A field is a slot (`member_descriptor`) when interpreted and a `cdef readonly` attribute
    (a `getset_descriptor` without a docstring) when compiled; the class docstring covers it.
    """
    members = {}
    for name, member in vars(cls).items():
        if name.startswith("_") or inspect.ismemberdescriptor(member):
            continue
        if inspect.isgetsetdescriptor(member) and not member.__doc__:
            continue
        if callable(member) or inspect.isdatadescriptor(member):
            members[name] = member
    return members


def test_every_public_method_and_property_is_documented_in_this_build() -> None:
    """Both builds (`--owned-build=c|python`): the docstrings come from the same source.

    Mutation: delete the docstring of `Owned.arena`; the interpreted run fails.
    """
    undocumented = [
        f"{name}.{attribute}"
        for name in owned.__all__
        if inspect.isclass(getattr(owned, name))
        for attribute, member in _public_members(getattr(owned, name)).items()
        if not (getattr(member, "__doc__", None) or "").strip()
    ]
    assert not undocumented


def test_every_public_callable_has_a_signature_in_this_build() -> None:
    """`inspect.signature` (help(), IDEs) works on compiled methods too, as on Python ones."""
    unsigned = []
    for name in owned.__all__:
        value = getattr(owned, name)
        callables = [(name, value)] if not inspect.isclass(value) else []
        if inspect.isclass(value):
            callables += [
                (f"{name}.{attribute}", getattr(value, attribute))
                for attribute, member in _public_members(value).items()
                if callable(member) or inspect.ismethoddescriptor(member)
            ]
        for label, function in callables:
            if not callable(function):
                continue
            try:
                inspect.signature(function)
            except (TypeError, ValueError):
                unsigned.append(label)
    assert not unsigned


def test_public_classes_cannot_be_subclassed() -> None:
    """The runtime checks its objects by exact type: a subclass would be refused later, worse.

    Exceptions stay open: `OwnershipError` is the base of a hierarchy that programs catch.
    Mutation: remove `seal(Leak)` from `_census.py`; this test fails on `Leak`.
    """
    for name in owned.__all__:
        cls = getattr(owned, name)
        if not inspect.isclass(cls) or issubclass(cls, BaseException):
            continue
        with pytest.raises(TypeError, match=f"owned.{name} cannot be subclassed"):
            type("Sub", (cls,), {})


def test_the_strategies_module_exports_what_a_program_run_returns() -> None:
    from owned import strategies
    from owned._program import Outcome

    assert strategies.Outcome is Outcome
    assert "Outcome" in strategies.__all__


def test_a_type_checker_sees_every_public_name(tmp_path: Path) -> None:
    """mypy, as a user's code sees the package, types every name of `owned.__all__`.

    The same check as trio's `test_static_tool_sees_all_symbols`. The package's `__getattr__`
    (the lazy loading) makes any other name `Any` for mypy, which the control line shows: a
    name that mypy does not see in the `TYPE_CHECKING` block would be `Any` too. Mutation:
    remove `Leak` from that block; this test fails on `Leak`.
    """
    from mypy import api

    program = tmp_path / "uses_every_name.py"
    names = [*sorted(owned.__all__), "not_a_public_name"]
    program.write_text("import owned\n" + "".join(f"reveal_type(owned.{n})\n" for n in names))
    out, err, _ = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            str(program),
        ]
    )
    revealed = re.findall(r":(\d+): note: Revealed type is \"(.*)\"", out)
    assert len(revealed) == len(names), out + err
    untyped = [names[int(line) - 2] for line, shown in revealed if shown == "Any"]
    assert untyped == ["not_a_public_name"], out + err
