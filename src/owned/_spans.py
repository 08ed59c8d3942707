"""Where a `Site` is in its source file, down to the characters of the expression.

A `Site` is only a code object and an instruction offset, cheap to keep on the hot path. This
module turns one into the line and columns rustc would underline, from `co_positions()`, the
bytecode and the source file; the trace (`_trace_run`) uses the same positions to place its
comments. Working in UTF-8 bytes (what CPython records) and answering in characters (what a
reader counts) is done here and nowhere else.
"""

from __future__ import annotations

import linecache
from typing import TYPE_CHECKING, Any

from ._bytecode import is_function_end, last_line, operands, positions, with_exit
from ._snippets import Mark

if TYPE_CHECKING:
    from ._sites import Site

__all__ = ["char_column", "is_return_site", "last_line", "mark_of", "positions"]

is_return_site = is_function_end  # the name the trace and the diagnostics know it by


def mark_of(site: Site, label: str, primary: bool, name: str | None) -> Mark | None:
    """`label` on the span of `site` (on `name` alone when it is a call's argument).

    None when the source is not available: the error is still shown, only without a snippet.
    """
    code, offset = site.code, site.offset
    if code is None:  # a snapshot (an unpickled error): the recorded line and columns
        return _snapshot_mark(site, label, primary)  # type: ignore[unreachable]  # a SiteSnapshot
    filename = code.co_filename
    line, end_line, column, end_column = positions(code, offset)
    text = linecache.getline(filename, line).rstrip("\r\n")
    if not text:
        return None
    if is_function_end(code, offset):  # a call's return: where Rust's closing `}` is
        last = last_line(code)
        text = linecache.getline(filename, last).rstrip() or text
        start = len(text) - len(text.lstrip()) + 1
        label += f", when `{getattr(code, 'co_qualname', code.co_name)}` returns"
        return Mark(filename, last, start, len(text) + 1, label, primary)
    exit_ = with_exit(code, offset)
    if exit_ is not None:  # a scope's end: the `with` header, and where its block ends
        header = linecache.getline(filename, exit_.line).rstrip()
        start = char_column(header, exit_.column)
        end = len(header.rstrip(":").rstrip()) + 1 if header.endswith(":") else len(header) + 1
        label += f" (the `with` block ending on line {exit_.end_line})"
        return Mark(filename, exit_.line, start, max(end, start + 1), label, primary)
    if column is None or end_column is None:  # Python 3.10: the whole line
        start = len(text) - len(text.lstrip()) + 1
        return Mark(filename, line, start, len(text.rstrip()) + 1, label, primary)
    start = char_column(text, column)
    if end_line != line:  # an expression over several lines: its first line
        header = text.rstrip()
        end = len(header.rstrip(":").rstrip()) + 1 if header.endswith(":") else len(header) + 1
        return Mark(filename, line, start, max(end, start + 1), label, primary)
    narrowed = _argument_span(site, (line, column, end_column), name)
    if narrowed is not None:
        start, end_column = char_column(text, narrowed[0]), narrowed[1]
    end = char_column(text, end_column)
    return Mark(filename, line, start, max(end, start + 1), label, primary)


def _snapshot_mark(site: Any, label: str, primary: bool) -> Mark | None:
    text = site.source_line()
    if not text:
        return None
    start = site.column if site.column is not None else len(text) - len(text.lstrip()) + 1
    end = site.end_column if site.end_column is not None else len(text.rstrip()) + 1
    return Mark(site.filename, site.line, start, max(end, start + 1), label, primary)


def char_column(text: str, byte_column: int) -> int:
    """The 1-based character column of a 0-based UTF-8 byte offset in `text`."""
    return len(text.encode()[:byte_column].decode(errors="ignore")) + 1


def _argument_span(
    site: Site, span: tuple[int, int, int], name: str | None
) -> tuple[int, int] | None:
    """The bytes of `name` where it is an argument of the call at `site` (`f(years)`).

    rustc points at the moved place, not at the whole call; a receiver (`years.borrow()`)
    keeps the whole call, as rustc's `&years` does.
    """
    if name is None:
        return None
    line, column, end_column = span
    for expression in operands(site.code, site.offset):
        where = expression.span
        if (
            expression.role == "argument"
            and expression.text == name
            and where is not None
            and where[0] == where[1] == line
            and where[2] is not None
            and where[3] is not None
            and column <= where[2]
            and where[3] <= end_column
            and (where[2], where[3]) != (column, end_column)
        ):
            return (where[2], where[3])
    return None
