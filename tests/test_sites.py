"""What a place in the bytecode means in the source (`owned._bytecode`), the same on 3.10-3.15.

Each test runs real code and captures the caller's `(code, f_lasti)` the way the runtime does
(`Site`), so the bytecode under test is exactly what the running interpreter made: superinstructions
(3.13+ `LOAD_FAST_LOAD_FAST`, 3.14+ `LOAD_FAST_BORROW`), `PRECALL` (3.11), `CALL_KW`, ...
"""

from __future__ import annotations

import dis
import sys
import textwrap
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Any

import pytest

from owned import _bytecode

COLUMNS = sys.version_info >= (3, 11)  # 3.10 records lines only


@dataclass
class Capture:
    code: CodeType
    offset: int
    used: list[str | None]  # used_name of each argument, asked while the call runs


def _run(tmp_path: Path, source: str, *, in_function: bool) -> list[Capture]:
    """Run `source` (in a function or at module level) with `probe(...)` recording each call."""
    captures: list[Capture] = []

    def probe(*args: object, **kwargs: object) -> object:
        caller = sys._getframe(1)
        code, offset = caller.f_code, caller.f_lasti
        values = [*args, *kwargs.values()]
        captures.append(
            Capture(code, offset, [_bytecode.used_name(code, offset, v) for v in values])
        )
        return object()

    body = textwrap.dedent(source).strip("\n")
    if in_function:
        body = "def run(a, b, names, inventory, p, self):\n" + textwrap.indent(body, "    ")
        body += "\nrun(a, b, names, inventory, p, self)\n"
    script = tmp_path / "case.py"
    script.write_text(body + "\n")
    namespace: dict[str, Any] = {"probe": probe, **_places()}
    exec(compile(script.read_text(), str(script), "exec"), namespace)
    return captures


class _Inventory:
    def __init__(self) -> None:
        self.items = ["the items"]


class _Slotted:
    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = "the buffer"


class _Person:
    @property
    def name(self) -> str:
        raise AssertionError("a property must not run while an error is built")


def _places() -> dict[str, object]:
    return {
        "a": "value a",
        "b": "value b",
        "names": ["first", "second"],
        "inventory": _Inventory(),
        "p": _Person(),
        "self": _Slotted(),
    }


both_scopes = pytest.mark.parametrize("in_function", [False, True], ids=["module", "function"])


@both_scopes
def test_the_argument_that_holds_a_value_names_it_not_its_neighbour(
    tmp_path: Path, in_function: bool
) -> None:
    (capture,) = _run(tmp_path, "probe(a, b)", in_function=in_function)
    assert capture.used == ["a", "b"]
    texts = [(e.text, e.role) for e in _bytecode.operands(capture.code, capture.offset)]
    assert texts == [("a", "argument"), ("b", "argument")]


@both_scopes
def test_an_item_attribute_or_slot_argument_is_named_by_its_path(
    tmp_path: Path, in_function: bool
) -> None:
    captures = _run(
        tmp_path,
        """
        probe(names[0], b)
        probe(inventory.items, self.buf)
        probe(x=names[1], y=a)
        """,
        in_function=in_function,
    )
    assert [c.used for c in captures] == [
        ["names[0]", "b"],
        ["inventory.items", "self.buf"],
        ["names[1]", "a"],
    ]


@both_scopes
def test_a_value_that_is_no_place_has_no_name(tmp_path: Path, in_function: bool) -> None:
    captures = _run(tmp_path, "probe(str(a), b)\nprobe(a, str(b))", in_function=in_function)
    # After a call among the arguments, the places before it cannot be told apart: no name.
    assert [c.used for c in captures] == [[None, "b"], [None, None]]


def test_a_property_is_never_run_to_find_a_name() -> None:
    p = _Person()
    frame = sys._getframe()
    with pytest.raises(LookupError):
        _bytecode.resolve(_bytecode.Expression("p", (("attr", "name"),)), frame)
    assert _bytecode.resolve(_bytecode.Expression("p"), frame) is p


def test_a_method_call_names_its_receiver_path(tmp_path: Path) -> None:
    captures: list[tuple[CodeType, int]] = []

    class Recorder:
        def move(self) -> None:
            caller = sys._getframe(1)
            captures.append((caller.f_code, caller.f_lasti))

    script = tmp_path / "case.py"
    script.write_text("inventory.items.move()\ndef run():\n    inventory.items.move()\nrun()\n")
    inventory = _Inventory()
    inventory.items = Recorder()  # type: ignore[assignment]
    exec(compile(script.read_text(), str(script), "exec"), {"inventory": inventory})
    for code, offset in captures:
        assert [(e.text, e.role) for e in _bytecode.operands(code, offset)] == [
            ("inventory.items", "receiver")
        ]


@both_scopes
def test_the_result_of_a_call_is_named_by_where_it_is_stored(
    tmp_path: Path, in_function: bool
) -> None:
    captures = _run(
        tmp_path,
        """
        x = probe()
        y = z = probe()
        names[0] = probe()
        self.buf = probe()
        probe(probe())
        """,
        in_function=in_function,
    )
    assigned = [_bytecode.assigned_name(c.code, c.offset) for c in captures]
    # The inner call of the last line comes first: its result is an argument, not a name.
    assert assigned == ["x", "y", "names[0]", "self.buf", None, None]


def test_argument_spans_are_the_arguments_own_columns(tmp_path: Path) -> None:
    (capture,) = _run(tmp_path, "probe(a, b)", in_function=True)
    spans = [e.span for e in _bytecode.operands(capture.code, capture.offset)]
    if COLUMNS:  # `    probe(a, b)`: a at bytes 10-11, b at 13-14 (3.13+ loads both in one)
        assert spans == [(2, 2, 10, 11), (2, 2, 13, 14)]
    else:
        assert spans == [None, None]


def test_a_with_statements_exit_knows_where_its_block_ends(tmp_path: Path) -> None:
    captures: list[tuple[CodeType, int]] = []

    class Block:
        def __enter__(self) -> None:
            return None

        def __exit__(self, *exc: object) -> None:
            caller = sys._getframe(1)
            captures.append((caller.f_code, caller.f_lasti))

    source = (
        "def run():\n    x = 1\n    with Block():\n        x = 2\n        x = 3\n    return x\n"
    )
    source += "with Block():\n    y = 1\n\ntry:\n    with Block():\n        raise KeyError\n"
    source += "except KeyError:\n    pass\nrun()\n"
    script = tmp_path / "case.py"
    script.write_text(source)
    exec(compile(source, str(script), "exec"), {"Block": Block})
    exits = [_bytecode.with_exit(code, offset) for code, offset in captures]
    assert exits == [
        _bytecode.WithExit(7, 0, 8),  # the module's block, normal exit
        _bytecode.WithExit(11, 4, 12),  # unwinding through WITH_EXCEPT_START
        _bytecode.WithExit(3, 4, 5),  # inside the function
    ]


def test_a_call_in_a_with_header_is_not_its_exit(tmp_path: Path) -> None:
    # Three None arguments, as the hidden `__exit__(None, None, None)` call has.
    source = "with nullcontext(probe(None, None, None)):\n    pass\n"
    captures: list[tuple[CodeType, int]] = []

    def probe(*args: object) -> None:
        caller = sys._getframe(1)
        captures.append((caller.f_code, caller.f_lasti))

    script = tmp_path / "case.py"
    script.write_text(source)
    exec(compile(source, str(script), "exec"), {"probe": probe, "nullcontext": nullcontext})
    ((code, offset),) = captures
    assert _bytecode.with_exit(code, offset) is None


def test_returns_and_the_end_of_a_function_are_told_apart() -> None:
    def early(flag: bool) -> int:
        if flag:
            return 1
        return 2

    code = early.__code__
    listing = _bytecode.instructions(code)
    returns = [i.offset for i in listing if i.opname.startswith("RETURN_")]
    assert len(returns) == 2
    assert all(_bytecode.is_return(code, offset) for offset in returns)
    assert _bytecode.is_function_end(code, listing[-1].offset)
    assert not _bytecode.is_function_end(code, listing[0].offset)
    assert _bytecode.last_line(code) == code.co_firstlineno + 3


def test_every_load_fast_variant_of_this_python_is_a_load_of_a_variable() -> None:
    # No hand-kept opcode list: what dis calls LOAD_FAST* (3.12 LOAD_FAST_CHECK, 3.14
    # LOAD_FAST_BORROW, ...) is recognised, except a comprehension's save (AND_CLEAR).
    for opname, opcode in dis.opmap.items():
        if not opname.startswith("LOAD_FAST") or "AND_CLEAR" in opname:
            continue
        names: tuple[str, ...] = ("x", "y") if opname.count("LOAD_FAST") == 2 else ("x",)
        argval = names if len(names) == 2 else names[0]
        ops = _bytecode._halves(_bytecode._Op(opname, opcode, 0, argval, "", 0, None))
        assert all(_bytecode._is_load(op) for op in ops), opname
        assert tuple(op.argval for op in ops) == names


def test_positions_fall_back_to_whole_lines_where_python_records_no_columns() -> None:
    def one() -> int:
        return len("x")

    code = one.__code__
    line, end_line, column, end_column = _bytecode.positions(
        code, _bytecode.instructions(code)[-1].offset
    )
    assert line == end_line == code.co_firstlineno + 1
    if COLUMNS:
        assert column is not None and end_column is not None
    else:
        assert (column, end_column) == (None, None)
