"""What an instruction of a code object means in the source: names, paths, lines and spans.

The runtime keeps a place as a `(code, offset)` pair, cheap to capture; everything a message or
a trace shows about it is worked out here, on the cold path, from `dis` and the source file.
This module is a leaf: it imports nothing of the runtime, so every layer may use it.

CPython's bytecode changes with every release (3.11 `PRECALL`, 3.12 method `LOAD_ATTR`, 3.13
`LOAD_FAST_LOAD_FAST` and `CALL_KW`, 3.14 `LOAD_FAST_BORROW`, `LOAD_SMALL_INT` and subscripts as
`BINARY_OP`, 3.15 `LOAD_COMMON_CONSTANT`), so instructions are recognised by what `dis` says they
do (`dis.haslocal`, `dis.hasname`, `dis.hasconst`, an `argval` that is a pair of names) and by
opcode families (`CALL*`, `LOAD_FAST*`), never by a list of opcode names kept by hand.
"""

from __future__ import annotations

import ast
import dis
import functools
import inspect
import linecache
import os
import re
import sys
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Final, Literal, NamedTuple

__all__ = [
    "Expression",
    "WithExit",
    "assigned_name",
    "display_filename",
    "instructions",
    "is_function_end",
    "is_return",
    "last_line",
    "operands",
    "positions",
    "resolve",
    "running_frame",
    "used_name",
    "with_exit",
]

# (line, end line, column, end column) of an instruction; columns are 0-based UTF-8 bytes.
Span = tuple[int, int, int | None, int | None]

# Instructions that only pass a value on, or set up the next one, as seen from a use.
_TRANSPARENT: Final = frozenset(
    {
        "CACHE",
        "EXTENDED_ARG",
        "NOP",
        "NOT_TAKEN",
        "PRECALL",  # 3.11
        "KW_NAMES",  # 3.11, 3.12
        "PUSH_NULL",
        "BEFORE_WITH",  # 3.11-3.13
        "SETUP_WITH",  # 3.10
        "GET_AWAITABLE",
        "TO_BOOL",
    }
)
_LOCAL_OPS: Final = frozenset(dis.haslocal) | frozenset(dis.hasfree)
_NAME_OPS: Final = frozenset(dis.hasname)
_CONST_OPS: Final = frozenset(dis.hasconst)
_SUBSCRIPT: Final = "[]"  # BINARY_OP's argrepr for a subscript (3.14+)


@functools.lru_cache(maxsize=1024)
def instructions(code: CodeType) -> tuple[dis.Instruction, ...]:
    """`code`'s instructions without inline caches; cached, as disassembling is the slow part."""
    return tuple(i for i in dis.get_instructions(code) if i.opname != "CACHE")


@functools.lru_cache(maxsize=4096)
def positions(code: CodeType, offset: int) -> Span:
    """(line, end line, column, end column) of an instruction; columns are 0-based bytes.

    Python 3.11+ records columns (`co_positions`); 3.10 only lines, so columns are None there.
    """
    table = getattr(code, "co_positions", None)
    if table is not None:
        for index, (line, end_line, column, end_column) in enumerate(table()):
            if index * 2 == offset and line is not None:
                return (line, end_line or line, column, end_column)
    for start, end, line in code.co_lines():
        if start <= offset < end and line is not None:
            return (line, line, None, None)
    return (code.co_firstlineno, code.co_firstlineno, None, None)


def display_filename(filename: str) -> str:
    """`filename` relative to the working directory when under it: shorter, still clickable."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith("..") else relative


# -- what kind of instruction ------------------------------------------------------------------


class _Op(NamedTuple):
    """One instruction, or one half of a two-name superinstruction (`LOAD_FAST_LOAD_FAST`)."""

    opname: str
    opcode: int
    arg: int | None
    argval: object
    argrepr: str
    offset: int
    positions: dis.Positions | None
    second_half: bool = False  # the second name of a pair: CPython keeps the first's position


def _op_of(instruction: dis.Instruction) -> _Op:
    return _Op(
        instruction.opname,
        instruction.opcode,
        instruction.arg,
        instruction.argval,
        instruction.argrepr,
        instruction.offset,
        getattr(instruction, "positions", None),  # 3.11+
    )


def _halves(op: _Op) -> tuple[_Op, ...]:
    """A two-name superinstruction as its two halves (`LOAD_FAST_LOAD_FAST` as two loads)."""
    name, argval = op.opname, op.argval
    if isinstance(argval, tuple) and len(argval) == 2 and name.count("_FAST") == 2:
        # LOAD_FAST_LOAD_FAST, LOAD_FAST_BORROW_LOAD_FAST_BORROW, STORE_FAST_LOAD_FAST, ...
        first_kind = "STORE" if name.startswith("STORE_") else "LOAD"
        second_kind = "STORE" if name.endswith("STORE_FAST") else "LOAD"
        return (
            op._replace(opname=f"{first_kind}_FAST", argval=argval[0]),
            op._replace(opname=f"{second_kind}_FAST", argval=argval[1], second_half=True),
        )
    return (op,)


@functools.lru_cache(maxsize=1024)
def _ops(code: CodeType) -> tuple[_Op, ...]:
    """`code`'s instructions, superinstructions split in two, inline caches left out."""
    return tuple(op for instruction in instructions(code) for op in _halves(_op_of(instruction)))


def _index_at(ops: Sequence[_Op], offset: int) -> int:
    """The instruction at `offset` (`f_lasti` may point into an instruction's caches)."""
    found = 0
    for index, op in enumerate(ops):
        if op.offset > offset:
            break
        found = index
    return found


def _is_load(op: _Op) -> bool:
    """A load of a variable: a local, a cell, a global, a builtin or a class-body name."""
    name = op.opname
    if not name.startswith("LOAD_") or name in ("LOAD_ATTR", "LOAD_METHOD", "LOAD_SUPER_ATTR"):
        return False
    if "CLOSURE" in name or "AND_CLEAR" in name:  # a cell object; a comprehension's save
        return False
    return (
        name.startswith("LOAD_FAST") or op.opcode in _LOCAL_OPS or op.opcode in _NAME_OPS
    ) and isinstance(op.argval, str)


def _is_store(op: _Op) -> bool:
    """A store into a variable (not into an attribute or an item)."""
    name = op.opname
    return (
        name.startswith("STORE_")
        and name not in ("STORE_ATTR", "STORE_SUBSCR", "STORE_SLICE")
        and isinstance(op.argval, str)
    )


_NO_CONSTANT: Final = object()


def _constant(op: _Op) -> object:
    """The constant an instruction pushes (`LOAD_CONST`, `LOAD_SMALL_INT`, ...), else a marker."""
    if op.opcode in _CONST_OPS or op.opname in ("LOAD_SMALL_INT", "LOAD_COMMON_CONSTANT"):
        return op.argval
    return _NO_CONSTANT


def _is_attribute(op: _Op) -> bool:
    """An attribute read that is not a method load for a call."""
    return op.opname == "LOAD_ATTR" and not _is_method_load(op)


def _is_method_load(op: _Op) -> bool:
    """`obj.method` loaded for a call: 3.10-3.11 `LOAD_METHOD`, 3.12+ a flagged `LOAD_ATTR`."""
    return op.opname == "LOAD_METHOD" or (op.opname == "LOAD_ATTR" and "NULL|self" in op.argrepr)


def _is_subscript(op: _Op) -> bool:
    return op.opname == "BINARY_SUBSCR" or (op.opname == "BINARY_OP" and op.argrepr == _SUBSCRIPT)


def _is_call(op: _Op) -> bool:
    """A call with its arguments on the stack (not `CALL_FUNCTION_EX` nor an intrinsic)."""
    name = op.opname
    return name.startswith("CALL") and not name.startswith(("CALL_FUNCTION_EX", "CALL_INTRINSIC"))


def _skip_back(ops: Sequence[_Op], index: int) -> int:
    while index >= 0 and ops[index].opname in _TRANSPARENT:
        index -= 1
    return index


def _skip_forward(ops: Sequence[_Op], index: int) -> int:
    while index < len(ops) and ops[index].opname in _TRANSPARENT:
        index += 1
    return index


# -- expressions -------------------------------------------------------------------------------

Step = tuple[Literal["attr", "item"], object]
Role = Literal["argument", "receiver", "operand"]


@dataclass(frozen=True)
class Expression:
    """A variable, or a path from one through attributes and constant subscripts.

    `role` says how the instruction uses it: a call's `argument`, the `receiver` of a method
    call, an attribute or a subscript, or the `operand` just before any other instruction.
    """

    root: str
    steps: tuple[Step, ...] = ()
    role: Role = "operand"
    span: Span | None = None  # None where Python records no columns (3.10)

    @property
    def text(self) -> str:
        """The expression as written: `names[0]`, `p.name`, `self.buf`."""
        parts = [self.root]
        for kind, key in self.steps:
            parts.append(f".{key}" if kind == "attr" else f"[{key!r}]")
        return "".join(parts)


class _Path(NamedTuple):
    root: str
    steps: tuple[Step, ...]
    first: _Op  # its variable's load
    last: _Op  # its last instruction


def _path_ending_at(ops: Sequence[_Op], end: int) -> tuple[_Path | None, int]:
    """The path whose last instruction is at or before `end`, and the index just before it.

    Only variables, attribute reads and subscripts by an int or str constant make a path;
    anything else (a call, an operator) is not a place: None.
    """
    index = _skip_back(ops, end)
    if index < 0:
        return None, index
    last = ops[index]
    steps: list[Step] = []
    while index >= 0:
        op = ops[index]
        if _is_load(op):
            steps.reverse()
            return _Path(str(op.argval), tuple(steps), op, last), index - 1
        if _is_attribute(op):
            steps.append(("attr", str(op.argval)))
            index = _skip_back(ops, index - 1)
            continue
        if _is_subscript(op) and index >= 1:
            key = _constant(ops[index - 1])
            if not isinstance(key, (int, str)) or isinstance(key, bool):
                return None, index
            steps.append(("item", key))
            index = _skip_back(ops, index - 2)
            continue
        return None, index
    return None, index


def _expression(path: _Path, role: Role, filename: str) -> Expression:
    return Expression(path.root, path.steps, role, _span_of(path, filename))


def _span_of(path: _Path, filename: str) -> Span | None:
    first, last = path.first.positions, path.last.positions
    if first is None or last is None or first.lineno is None or first.col_offset is None:
        return None
    if last.end_lineno is None or last.end_col_offset is None:
        return None
    if path.first.second_half:
        # A superinstruction carries the first name's position: the second comes after it.
        line = linecache.getline(filename, first.lineno).encode()
        pattern = re.compile(rb"(?<![\w.])" + re.escape(path.root.encode()) + rb"\b")
        match = pattern.search(line, first.end_col_offset or 0)
        if match is None:
            return None
        start, end = match.span()
        if path.first is path.last:
            return (first.lineno, first.lineno, start, end)
        return (first.lineno, last.end_lineno, start, last.end_col_offset)
    return (first.lineno, last.end_lineno, first.col_offset, last.end_col_offset)


def operands(code: CodeType, offset: int) -> tuple[Expression, ...]:
    """The places that the instruction at `offset` uses, each a variable or a path.

    A call gives its arguments (`a` and `b` in `pair(a, b)`, `names[0]` in `drop(names[0])`)
    and the receiver of a method call (`inventory.items` in `inventory.items.move()`); an
    attribute access or a subscript its object (`s` in `s.value`); anything else the path just
    before it. An argument that is not a place (`f(g())`) is left out, and so are those before
    it, whose boundaries are then unknown.
    """
    ops = _ops(code)
    at = _index_at(ops, offset)
    op = ops[at]
    filename = code.co_filename
    if _is_call(op):
        return _call_operands(ops, at, filename)
    if op.opname in ("STORE_ATTR", "DELETE_ATTR", "LOAD_ATTR", "LOAD_METHOD"):
        path, _ = _path_ending_at(ops, at - 1)
        return () if path is None else (_expression(path, "receiver", filename),)
    if _is_subscript(op) or op.opname in ("STORE_SUBSCR", "DELETE_SUBSCR"):
        key = _skip_back(ops, at - 1)
        if key >= 0 and _constant(ops[key]) is not _NO_CONSTANT:
            before = key - 1
        else:
            _, before = _path_ending_at(ops, key)
        path, _ = _path_ending_at(ops, before)
        return () if path is None else (_expression(path, "receiver", filename),)
    path, _ = _path_ending_at(ops, at - 1)
    return () if path is None else (_expression(path, "operand", filename),)


def _call_operands(ops: Sequence[_Op], at: int, filename: str) -> tuple[Expression, ...]:
    call = ops[at]
    index = _skip_back(ops, at - 1)
    if call.opname.endswith("_KW"):  # CALL_KW, CALL_FUNCTION_KW: the keyword names, pushed last
        index = _skip_back(ops, index - 1)
    found: list[Expression] = []
    for _ in range(call.arg or 0):
        path, index = _path_ending_at(ops, index)
        if path is None:
            found.reverse()
            return tuple(found)
        found.append(_expression(path, "argument", filename))
    index = _skip_back(ops, index)
    if index >= 0 and _is_method_load(ops[index]):
        receiver, _ = _path_ending_at(ops, index - 1)
        if receiver is not None:
            found.append(_expression(receiver, "receiver", filename))
    found.reverse()
    return tuple(found)


def assigned_name(code: CodeType, offset: int) -> str | None:
    """What the result of the call at `offset` is stored in: `years` in `years = Owned(...)`.

    A store into an attribute or an item gives its path (`self.buf`, `names[0]`); a result
    that is not stored (passed on, put in a list) has no name: None.
    """
    ops = _ops(code)
    index = _skip_forward(ops, _index_at(ops, offset) + 1)
    index = _skip_with_enter(ops, index)
    while index < len(ops) and ops[index].opname in ("DUP_TOP", "COPY"):  # `a = b = f()`
        index = _skip_forward(ops, index + 1)
    if index >= len(ops):
        return None
    op = ops[index]
    if _is_store(op):
        return str(op.argval)
    # `target.attr = f()` or `target[key] = f()`: the target's path comes after the call.
    for end in range(index, min(index + 16, len(ops))):
        store = ops[end]
        if store.opname not in ("STORE_ATTR", "STORE_SUBSCR"):
            continue
        if store.opname == "STORE_ATTR":
            path, before = _path_ending_at(ops, end - 1)
            suffix = f".{store.argval}"
        else:
            key_at = _skip_back(ops, end - 1)
            key = _constant(ops[key_at]) if key_at >= 0 else _NO_CONSTANT
            if not isinstance(key, (int, str)) or isinstance(key, bool):
                return None
            path, before = _path_ending_at(ops, key_at - 1)
            suffix = f"[{key!r}]"
        if path is None or _skip_forward(ops, before + 1) != index:
            return None
        return Expression(path.root, path.steps).text + suffix
    return None


def _skip_with_enter(ops: Sequence[_Op], index: int) -> int:
    """Past a `with` statement's `__enter__` call (3.14+: `COPY`, `LOAD_SPECIAL`, ..., `CALL 0`)."""
    if index < len(ops) and ops[index].opname == "COPY":
        end = index
        while end < len(ops) and ops[end].opname in ("COPY", "SWAP", "LOAD_SPECIAL"):
            end += 1
        if end > index + 1 and end < len(ops) and _is_call(ops[end]):
            return _skip_forward(ops, end + 1)
    return index


# -- the value a place holds now -----------------------------------------------------------------


def running_frame(code: CodeType, offset: int) -> FrameType | None:
    """The frame of this thread that is running the instruction at `offset` of `code`, if any."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code is code and frame.f_lasti == offset:
            return frame
        frame = frame.f_back
    return None


# Types whose `.value` is read through while resolving a path (the runtime's handles and
# borrows: registered by their modules, whose reader runs no code of the program).
_SEE_THROUGH: Final[dict[type, Callable[[object], object]]] = {}


_GUARDS: Final[set[type]] = set()  # Ref and RefMut: their objects hold borrows


def see_through(cls: type, reader: Callable[[object], object], guard: bool = False) -> None:
    """Let paths read `.value` of a `cls` with `reader` (which raises when it cannot); a
    `guard` type's objects hold borrows (see `_forget_guards`)."""
    _SEE_THROUGH[cls] = reader
    if guard:
        _GUARDS.add(cls)


def resolve(expression: Expression, frame: FrameType) -> object:
    """The value `expression` has in `frame`, read without running any code of the program.

    Raises:
        LookupError: a name that is not bound, or a step that would run code (a property, a
            `__getattr__`, a subscript of anything but a list, tuple or dict).
    """
    return _resolve_place(expression, frame)[0]


def _resolve_place(expression: Expression, frame: FrameType) -> tuple[object, str]:
    """`resolve`, and the place as rustc names it: a handle's `.value` is the place itself,
    so `p.value.name` is `p.name` and `names.value[0]` is `names[0]`."""
    root = expression.root
    text = [root]
    for namespace in (frame.f_locals, frame.f_globals, frame.f_builtins):
        if root in namespace:
            value = namespace[root]
            break
    else:
        raise LookupError(root)
    for kind, key in expression.steps:
        reader = _SEE_THROUGH.get(type(value)) if kind == "attr" and key == "value" else None
        if reader is not None:
            try:
                value = reader(value)
            except Exception as refused:  # dead, or borrowed mutably: no value to read
                raise LookupError(key) from refused
            continue
        value = _attribute(value, str(key)) if kind == "attr" else _item(value, key)
        text.append(f".{key}" if kind == "attr" else f"[{key!r}]")
    return value, "".join(text)


def _attribute(value: object, name: str) -> object:
    if isinstance(value, types.ModuleType):
        return vars(value)[name]
    found = inspect.getattr_static(value, name)  # raises AttributeError, a LookupError's kin
    if isinstance(found, types.MemberDescriptorType):  # a __slots__ slot: read by C, no code
        return found.__get__(value, type(value))
    if hasattr(type(found), "__get__"):  # a property or another descriptor would run code
        raise LookupError(name)
    return found


def _item(value: object, key: object) -> object:
    if type(value) in (list, tuple):
        return value[key]  # type: ignore[index]
    if type(value) is dict:
        return value[key]
    raise LookupError(key)


def used_name(code: CodeType, offset: int, value: object) -> str | None:
    """The place that holds `value` among those used at `offset` (`a` in `pair(a, b)`).

    Asked while the instruction runs (an error is being raised there): its frame tells which of
    the places holds `value` now. None when none does (`pair(make(), b)`) or no frame is found.
    """
    frame = running_frame(code, offset)
    if frame is None:
        return None
    try:
        for expression in operands(code, offset):
            try:
                found, place = _resolve_place(expression, frame)
                if found is value:
                    return place
            except (LookupError, AttributeError, TypeError):
                continue
    finally:
        _forget_guards(frame)
        del frame  # a frame kept here would keep every local of the program alive
    return None


def _forget_guards(frame: FrameType) -> None:
    """Before 3.13, reading a function's `f_locals` leaves a snapshot of its locals on the
    frame: one holding a borrow guard would keep that borrow alive after `del r`. Drop the
    guards from it (every reader of `f_locals` refreshes the snapshot first)."""
    if sys.version_info >= (3, 13) or not frame.f_code.co_flags & inspect.CO_OPTIMIZED:
        return
    snapshot = frame.f_locals
    guards = [name for name, item in snapshot.items() if type(item) in _GUARDS]
    for name in guards:
        del snapshot[name]


# -- with statements, returns and the end of a function -----------------------------------------


class WithExit(NamedTuple):
    """The `with` statement whose hidden `__exit__` call an instruction is."""

    line: int  # where `with` is written
    column: int  # 0-based byte offset of `with`
    end_line: int  # the last line of its block


def with_exit(code: CodeType, offset: int) -> WithExit | None:
    """The `with` statement whose `__exit__` call is at `offset` (normal or unwinding), or None.

    3.11 and 3.12 place that call on the whole statement, 3.13+ on the context manager only, and
    3.10 on the `with` line: the block's end is read from the source's syntax tree instead.
    """
    ops = _ops(code)
    at = _index_at(ops, offset)
    if not _is_exit(ops, at):
        return None
    line, end_line, column, _ = positions(code, offset)
    for start, start_column, header_end, block_end in reversed(_with_statements(code)):
        if start <= line <= header_end:
            return WithExit(start, start_column, block_end)
    if end_line != line and column is not None:  # no source: 3.11 and 3.12 still know
        return WithExit(line, column, end_line)
    return None


def _is_exit(ops: Sequence[_Op], at: int) -> bool:
    """`__exit__(None, None, None)`, or the unwinding path's `WITH_EXCEPT_START`."""
    op = ops[at]
    if op.opname == "WITH_EXCEPT_START":
        return True
    if not _is_call(op) or op.arg not in (2, 3):
        return False
    index = _skip_back(ops, at - 1)
    nones = 0
    while index >= 0 and nones < 3:
        before = ops[index]
        if not (_constant(before) is None or before.opname == "DUP_TOP"):
            break
        nones += 1
        index -= 1
    while index >= 0 and ops[index].opname in ("CACHE", "EXTENDED_ARG"):
        index -= 1
    if index >= 0:  # a call of the program's own, `f(None, None, None)`, loads its callable
        before = ops[index]
        if _is_load(before) or _is_method_load(before) or before.opname == "PUSH_NULL":
            return False
    return nones == 3


@functools.lru_cache(maxsize=256)
def _with_statements(code: CodeType) -> tuple[tuple[int, int, int, int], ...]:
    """(line, column, header's last line, block's last line) of each `with` in `code`'s file."""
    return _with_statements_in(code.co_filename, "".join(linecache.getlines(code.co_filename)))


@functools.lru_cache(maxsize=64)
def _with_statements_in(filename: str, source: str) -> tuple[tuple[int, int, int, int], ...]:
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return ()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            header_end = max(
                (item.optional_vars or item.context_expr).end_lineno or node.lineno
                for item in node.items
            )
            found.append((node.lineno, node.col_offset, header_end, node.end_lineno or node.lineno))
    return tuple(sorted(found))


def is_return(code: CodeType, offset: int) -> bool:
    """Whether the instruction at `offset` is a `return` (`RETURN_VALUE`, `RETURN_CONST`)."""
    ops = _ops(code)
    return ops[_index_at(ops, offset)].opname.startswith("RETURN_")


def is_function_end(code: CodeType, offset: int) -> bool:
    """Whether `offset` is `code`'s last instruction: where `@owned.function` drops its values."""
    return _last_offset(code) == offset


@functools.lru_cache(maxsize=1024)
def _last_offset(code: CodeType) -> int:
    listing = instructions(code)
    return listing[-1].offset if listing else -1


def last_line(code: CodeType) -> int:
    """The last line of a function's body."""
    return max((line for _, _, line in code.co_lines() if line), default=code.co_firstlineno)


def with_block_yields(code: CodeType, offset: int) -> bool:
    """Whether the `with` statement at `offset` (entering its context) has a `yield` in its
    block: a scope opened there would stay current while the generator is suspended."""
    line = positions(code, offset)[0]
    source = "".join(linecache.getlines(code.co_filename))
    return line in _yielding_with_lines(code.co_filename, source)


@functools.lru_cache(maxsize=64)
def _yielding_with_lines(filename: str, source: str) -> frozenset[int]:
    """The lines of the headers of the `with` statements whose block yields."""
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return frozenset()
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)) and _yields_in(node.body):
            header_end = max(
                (item.optional_vars or item.context_expr).end_lineno or node.lineno
                for item in node.items
            )
            found.update(range(node.lineno, header_end + 1))
    return frozenset(found)


def _yields_in(body: list[ast.stmt]) -> bool:
    pending: list[ast.AST] = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue  # a yield there belongs to another function
        pending.extend(ast.iter_child_nodes(node))
    return False
