"""Rendering an `OwnershipError` the way rustc prints a borrow-checker error.

The error keeps only `Site`s (a code object and an instruction offset); everything shown here,
the source lines, the exact columns of each expression and the suggestions, is worked out
when the error is rendered, from `co_positions()` and the source file. This is the cold path.
"""

from __future__ import annotations

import ast
import dis
import functools
import linecache
import os
from dataclasses import dataclass
from types import CodeType
from typing import IO, TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ._errors import OwnershipError
    from ._sites import Site

__all__ = [
    "diagnostic_note",
    "headline",
    "is_return_site",
    "last_line",
    "positions",
    "render",
    "should_color",
]

_LOADS: Final = frozenset(
    {"LOAD_FAST", "LOAD_NAME", "LOAD_GLOBAL", "LOAD_DEREF", "LOAD_FAST_CHECK", "LOAD_CLASSDEREF"}
)
_RECEIVER_OPS: Final = frozenset({"LOAD_ATTR", "LOAD_METHOD", "STORE_ATTR", "BINARY_SUBSCR"})
_LOOP_LABEL: Final = "value moved here, in previous iteration of loop"
_CLONE_HELP: Final = "consider cloning the value if the performance cost is acceptable"

# rustc's palette: errors and primary spans red, the gutter and secondary spans blue.
_RESET: Final = "\x1b[0m"
_STYLES: Final = {
    "error": "\x1b[1;31m",
    "primary": "\x1b[1;31m",
    "secondary": "\x1b[1;34m",
    "gutter": "\x1b[1;34m",
    "bold": "\x1b[1m",
    "note": "\x1b[1;32m",
    "help": "\x1b[1;36m",
    "insert": "\x1b[32m",
}


@dataclass(frozen=True)
class _Mark:
    """A labelled span of one source line; columns are 1-based characters, `end` exclusive."""

    filename: str
    line: int
    start: int
    end: int
    label: str
    primary: bool


@dataclass(frozen=True)
class _Section:
    """A `note:` or `help:` after the main snippet, with its own marks or an inserted text."""

    kind: str
    message: str
    marks: tuple[_Mark, ...] = ()
    insertion: tuple[str, int, int, str] | None = None  # filename, line, column, text


def should_color(stream: IO[str] | None) -> bool:
    """Colour on a terminal only, and never when `NO_COLOR` is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb" or stream is None:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or file-less stream
        return False


def diagnostic_note(error: OwnershipError, *, color: bool) -> str:
    """The note added under Python's traceback: a blank line, then the rustc-style rendering."""
    try:
        return "\n" + render(error, color=color)
    except Exception as failure:  # never let a rendering bug hide the error itself
        return f"(owned could not render this error: {type(failure).__name__}: {failure})"


def render(error: OwnershipError, *, color: bool = False) -> str:
    """The error as rustc prints it: headline, labelled source spans, then notes and help."""
    marks = _marks(error)
    sections = _sections(error, marks)
    numbers = [m.line for m in marks]
    numbers += [m.line for s in sections for m in s.marks]
    numbers += [s.insertion[1] for s in sections if s.insertion is not None]
    width = len(str(max(numbers, default=0))) if numbers else 1
    out = _Writer(color, width)
    code = f"[{error.code}]" if error.code else ""
    out.line(("error" + code, "error"), (": ", "bold"), (headline(error), "bold"))
    if marks:
        out.snippet(marks)
    if sections:
        out.gutter()
    for section in sections:
        if section.kind == "= help":
            indent = (" " * (width + 1), "")
            out.line(indent, ("= ", "gutter"), ("help", "bold"), (": " + section.message, ""))
            continue
        out.line((section.kind, section.kind), (": ", "bold"), (section.message, "bold"))
        if section.marks:
            out.snippet(section.marks)
        elif section.insertion is not None:
            out.insertion(*section.insertion)
    return "\n".join(out.lines)


def headline(error: OwnershipError) -> str:
    """The headline in rustc's words (`use of moved value: `x``)."""
    headline = error.headline
    for prefix in ("use of moved value ", "use of dropped value "):  # rustc puts a colon here
        if headline.startswith(prefix + "`"):
            return prefix.rstrip() + ": " + headline[len(prefix) :]
    return headline


# -- where each site is, in characters -------------------------------------------------------


def _marks(error: OwnershipError) -> list[_Mark]:
    """The error's labels as marks; rustc's single loop label when a move and its reuse coincide."""
    primary = error.used_at
    labels: list[tuple[str, Site]] = [(lb, site) for lb, site in error.labels if site is not None]
    if primary is None and labels:
        primary = labels[-1][1]
    moved_at = error.moved_at
    loop = moved_at is not None and moved_at is primary and error.code == "E0382"
    marks = []
    for label, site in labels:
        text = label
        if loop and site is moved_at:
            if label == "value moved here":
                continue  # shown once, as the primary label below
            text = _LOOP_LABEL
        mark = _mark_of(site, text, site is primary, error.name)
        if mark is not None:
            marks.append(mark)
    return marks


def _mark_of(site: Site, label: str, primary: bool, name: str | None) -> _Mark | None:
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
        return _Mark(filename, last, start, len(text) + 1, label, primary)
    if column is None or end_column is None:  # Python 3.10: the whole line
        start = len(text) - len(text.lstrip()) + 1
        return _Mark(filename, line, start, len(text.rstrip()) + 1, label, primary)
    start = _char_column(text, column)
    if end_line != line:  # a `with` block's exit, or an expression over several lines
        header = text.rstrip()
        end = len(header.rstrip(":").rstrip()) + 1 if header.endswith(":") else len(header) + 1
        if text.lstrip().startswith(("with ", "async with ")):
            label += f" (the `with` block ending on line {end_line})"
        return _Mark(filename, line, start, max(end, start + 1), label, primary)
    narrowed = _argument_span(code, offset, (line, column, end_column), name)
    if narrowed is not None:
        column, end_column = narrowed
    end = _char_column(text, end_column)
    return _Mark(
        filename,
        line,
        start if narrowed is None else _char_column(text, column),
        max(end, start + 1),
        label,
        primary,
    )


def positions(code: CodeType, offset: int) -> tuple[int, int, int | None, int | None]:
    """(line, end line, column, end column) of an instruction; columns are 0-based bytes."""
    table = getattr(code, "co_positions", None)
    if table is not None:
        for index, (line, end_line, column, end_column) in enumerate(table()):
            if index * 2 == offset and line is not None:
                return (line, end_line or line, column, end_column)
    for start, end, line in code.co_lines():
        if start <= offset < end and line is not None:
            return (line, line, None, None)
    return (code.co_firstlineno, code.co_firstlineno, None, None)


def _char_column(text: str, byte_column: int) -> int:
    """The 1-based character column of a 0-based UTF-8 byte offset in `text`."""
    return len(text.encode()[:byte_column].decode(errors="ignore")) + 1


def is_return_site(code: CodeType, offset: int) -> bool:
    """Whether `offset` is the last instruction of `code`: where `@owned.function` drops."""
    return _last_offset(code) == offset


@functools.lru_cache(maxsize=1024)
def _last_offset(code: CodeType) -> int:
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


# -- notes and help ----------------------------------------------------------------------------


def _sections(error: OwnershipError, marks: list[_Mark]) -> list[_Section]:
    """rustc's note on a parameter that takes ownership and its clone suggestion, else help."""
    sections: list[_Section] = []
    moved = (
        next((m for m in marks if m.label in ("value moved here", _LOOP_LABEL)), None)
        if error.code == "E0382"
        else None
    )
    if moved is not None and error.name and _source_of(moved) == error.name:
        parameter = _owning_parameter(moved, error.name)
        if parameter is not None:
            sections.append(parameter)
        sections.append(
            _Section(
                "help", _CLONE_HELP, insertion=(moved.filename, moved.line, moved.end, ".clone()")
            )
        )
        return sections
    if error.help:
        sections.append(_Section("= help", error.help))
    return sections


def _source_of(mark: _Mark) -> str:
    text = linecache.getline(mark.filename, mark.line)
    return text[mark.start - 1 : mark.end - 1]


def _owning_parameter(moved: _Mark, name: str) -> _Section | None:
    """rustc's note: the parameter, in a function of the same file, that took the value."""
    source = "".join(linecache.getlines(moved.filename))
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    found = _called_parameter(tree, moved, name)
    if found is None:
        return None
    function, parameter = found
    annotation = parameter.annotation
    if annotation is None or annotation.end_col_offset is None:
        return None
    text = linecache.getline(moved.filename, annotation.lineno)
    if "Owned" not in (ast.get_source_segment(source, annotation) or ""):
        return None
    line = linecache.getline(moved.filename, function.lineno)
    name_at = line.find(function.name, line.find("def ") + 4)
    marks = [
        _Mark(
            moved.filename,
            function.lineno,
            name_at + 1,
            name_at + 1 + len(function.name),
            "in this function",
            False,
        ),
        _Mark(
            moved.filename,
            annotation.lineno,
            _char_column(text, annotation.col_offset),
            _char_column(text, annotation.end_col_offset),
            "this parameter takes ownership of the value",
            True,
        ),
    ]
    if function.lineno != annotation.lineno:
        marks = marks[1:]
    return _Section(
        "note",
        f"consider changing this parameter type in function `{function.name}` to borrow "
        "instead if owning the value isn't necessary",
        marks=tuple(marks),
    )


def _called_parameter(
    tree: ast.Module, moved: _Mark, name: str
) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.arg] | None:
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or call.lineno != moved.line:
            continue
        callee = (
            call.func.id
            if isinstance(call.func, ast.Name)
            else (call.func.attr if isinstance(call.func, ast.Attribute) else None)
        )
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if function.name != callee:
                continue
            parameter = _parameter_for(call, function, name, isinstance(call.func, ast.Attribute))
            if parameter is not None:
                return function, parameter
    return None


def _parameter_for(
    call: ast.Call, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str, method: bool
) -> ast.arg | None:
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    if method and positional and positional[0].arg in ("self", "cls"):
        positional = positional[1:]
    for index, argument in enumerate(call.args):
        if isinstance(argument, ast.Starred):
            return None
        if isinstance(argument, ast.Name) and argument.id == name:
            return positional[index] if index < len(positional) else None
    for keyword in call.keywords:
        if isinstance(keyword.value, ast.Name) and keyword.value.id == name:
            every = [*positional, *arguments.kwonlyargs]
            return next((p for p in every if p.arg == keyword.arg), None)
    return None


# -- layout ------------------------------------------------------------------------------------


class _Writer:
    """Lines of a rendering, painted or plain, with rustc's gutter of a fixed width."""

    def __init__(self, color: bool, width: int) -> None:
        self.color = color
        self.width = width
        self.lines: list[str] = []

    def paint(self, text: str, style: str) -> str:
        if not self.color or not style or not text:
            return text
        return f"{_STYLES[style]}{text}{_RESET}"

    def line(self, *parts: tuple[str, str]) -> None:
        self.lines.append("".join(self.paint(text, style) for text, style in parts).rstrip())

    def gutter(self, number: int | None = None, rest: str = "", style: str = "") -> None:
        left = " " * self.width if number is None else f"{number:>{self.width}}"
        self.line((left + " |", "gutter"), ((" " + rest) if rest else "", style))

    def location(self, arrow: str, mark: _Mark) -> None:
        where = f"{_display(mark.filename)}:{mark.line}:{mark.start}"
        self.line((" " * self.width + arrow, "gutter"), (" " + where, ""))

    def snippet(self, marks: tuple[_Mark, ...] | list[_Mark]) -> None:
        """The files' lines with their marks: the primary mark's file first, as rustc does."""
        primary = next((m for m in marks if m.primary), marks[0])
        files = [primary.filename, *sorted({m.filename for m in marks} - {primary.filename})]
        for index, filename in enumerate(files):
            in_file = sorted((m for m in marks if m.filename == filename), key=lambda m: m.line)
            first = primary if index == 0 else in_file[0]
            self.location("-->" if index == 0 else ":::", first)
            self.gutter()
            previous = None
            for number in sorted({m.line for m in in_file}):
                if previous is not None and number - previous == 2:
                    self.gutter(previous + 1, linecache.getline(filename, previous + 1).rstrip())
                elif previous is not None and number > previous + 1:
                    self.line(("...", "gutter"))
                self.gutter(number, linecache.getline(filename, number).rstrip())
                self.underlines([m for m in in_file if m.line == number])
                previous = number

    def underlines(self, marks: list[_Mark]) -> None:
        """rustc's layout: every underline on one row, the rightmost label beside it, the
        others below, each hanging from a `|` under its span."""
        marks = sorted(marks, key=lambda m: m.start)
        row: list[tuple[str, str]] = []
        column = 1
        for mark in marks:
            if mark.start < column:  # overlapping spans: show the later one from where it is free
                continue
            row.append((" " * (mark.start - column), ""))
            row.append((("^" if mark.primary else "-") * (mark.end - mark.start), _style(mark)))
            column = mark.end
        last = marks[-1]
        row.append((" " + last.label, _style(last)))
        self._marks_row(row)
        hanging = marks[:-1]
        if not hanging:
            return
        self._marks_row(self._connectors(hanging))
        for index in range(len(hanging) - 1, -1, -1):
            mark = hanging[index]
            row = self._connectors(hanging[:index])
            used = sum(len(text) for text, _ in row)
            row.append((" " * (mark.start - 1 - used), ""))
            row.append((mark.label, _style(mark)))
            self._marks_row(row)

    def _connectors(self, marks: list[_Mark]) -> list[tuple[str, str]]:
        row: list[tuple[str, str]] = []
        column = 1
        for mark in marks:
            row.append((" " * (mark.start - column), ""))
            row.append(("|", _style(mark)))
            column = mark.start + 1
        return row

    def _marks_row(self, row: list[tuple[str, str]]) -> None:
        self.line((" " * self.width + " |", "gutter"), (" ", ""), *row)

    def insertion(self, filename: str, number: int, column: int, text: str) -> None:
        """rustc's suggestion: the line with `text` inserted, and `+` under what is new."""
        line = linecache.getline(filename, number).rstrip()
        self.gutter()
        self.line(
            (f"{number:>{self.width}} |", "gutter"),
            (" " + line[: column - 1], ""),
            (text, "insert"),
            (line[column - 1 :], ""),
        )
        self._marks_row([(" " * (column - 1), ""), ("+" * len(text), "insert")])


def _style(mark: _Mark) -> str:
    return "primary" if mark.primary else "secondary"


def _display(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith("..") else relative
