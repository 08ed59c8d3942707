"""Where a `Site` is in its source file, down to the characters of the expression.

A `Site` is only a code object and an instruction offset, cheap to keep on the hot path. This
module turns one into the line and columns rustc would underline, from `co_positions()`, the
bytecode and the source file; the trace (`_trace`) uses the same positions to place its
comments. Working in UTF-8 bytes (what CPython records) and answering in characters (what a
reader counts) is done here and nowhere else.
"""

from __future__ import annotations

import dis
import functools
import linecache
from types import CodeType
from typing import TYPE_CHECKING, Final

from ._sites import positions
from ._snippets import Mark

if TYPE_CHECKING:
    from ._sites import Site

__all__ = ["char_column", "is_return_site", "last_line", "mark_of", "positions"]

_LOADS: Final = frozenset(
    {"LOAD_FAST", "LOAD_NAME", "LOAD_GLOBAL", "LOAD_DEREF", "LOAD_FAST_CHECK", "LOAD_CLASSDEREF"}
)
_RECEIVER_OPS: Final = frozenset({"LOAD_ATTR", "LOAD_METHOD", "STORE_ATTR", "BINARY_SUBSCR"})


def mark_of(site: Site, label: str, primary: bool, name: str | None) -> Mark | None:
    """`label` on the span of `site` (on `name` alone when it is a call's argument).

    None when the source is not available: the error is still shown, only without a snippet.
    """
    code, offset = site.code, site.offset
    filename = code.co_filename
    line, end_line, column, end_column = positions(code, offset)
    text = linecache.getline(filename, line).rstrip("\r\n")
    if not text:
        return None
    if is_return_site(code, offset):  # a call's return: where Rust's closing `}` is
        last = last_line(code)
        text = linecache.getline(filename, last).rstrip() or text
        start = len(text) - len(text.lstrip()) + 1
        label += f", when `{getattr(code, 'co_qualname', code.co_name)}` returns"
        return Mark(filename, last, start, len(text) + 1, label, primary)
    if column is None or end_column is None:  # Python 3.10: the whole line
        start = len(text) - len(text.lstrip()) + 1
        return Mark(filename, line, start, len(text.rstrip()) + 1, label, primary)
    start = char_column(text, column)
    if end_line != line:  # a `with` block's exit, or an expression over several lines
        header = text.rstrip()
        end = len(header.rstrip(":").rstrip()) + 1 if header.endswith(":") else len(header) + 1
        if text.lstrip().startswith(("with ", "async with ")):
            label += f" (the `with` block ending on line {end_line})"
        return Mark(filename, line, start, max(end, start + 1), label, primary)
    narrowed = _argument_span(code, offset, (line, column, end_column), name)
    if narrowed is not None:
        column, end_column = narrowed
    end = char_column(text, end_column)
    return Mark(
        filename,
        line,
        start if narrowed is None else char_column(text, column),
        max(end, start + 1),
        label,
        primary,
    )


def char_column(text: str, byte_column: int) -> int:
    """The 1-based character column of a 0-based UTF-8 byte offset in `text`."""
    return len(text.encode()[:byte_column].decode(errors="ignore")) + 1


def is_return_site(code: CodeType, offset: int) -> bool:
    """Whether `offset` is the last instruction of `code`: where `@owned.function` drops."""
    return _last_offset(code) == offset


@functools.lru_cache(maxsize=1024)
def _last_offset(code: CodeType) -> int:
    """The offset of `code`'s last instruction; cached, as disassembling is the slow part."""
    last = -1
    for instruction in dis.get_instructions(code):
        last = instruction.offset
    return last


def last_line(code: CodeType) -> int:
    """The last line of a function's body."""
    return max((line for _, _, line in code.co_lines() if line), default=code.co_firstlineno)


def _argument_span(
    code: CodeType, offset: int, span: tuple[int, int, int], name: str | None
) -> tuple[int, int] | None:
    """The span of `name` where it is an argument of the call at `offset` (`f(years)`).

    rustc points at the moved variable, not at the whole call; a receiver (`years.borrow()`)
    keeps the whole call, as rustc's `&years` does.
    """
    if name is None:
        return None
    line, column, end_column = span
    instructions = [i for i in dis.get_instructions(code) if i.opname != "CACHE"]
    # f_lasti may point into the call's inline caches: the call is the last instruction before
    at = next((i for i in reversed(instructions) if i.offset <= offset), None)
    if at is None or not at.opname.startswith(("CALL", "PRECALL")):
        return None
    for index, instruction in enumerate(instructions[:-1]):
        positions = instruction.positions
        if (
            instruction.opname in _LOADS
            and instruction.argval == name
            and positions is not None
            and positions.lineno == line == positions.end_lineno
            and positions.col_offset is not None
            and positions.end_col_offset is not None
            and column <= positions.col_offset
            and positions.end_col_offset <= end_column
            and (positions.col_offset, positions.end_col_offset) != (column, end_column)
            and instructions[index + 1].opname not in _RECEIVER_OPS
        ):
            return (positions.col_offset, positions.end_col_offset)
    return None
