"""Rendering an `OwnershipError` the way rustc prints a borrow-checker error.

The error keeps only `Site`s (a code object and an instruction offset); everything shown here,
the source lines, the exact columns of each expression and the suggestions, is worked out
when the error is rendered, from `co_positions()` and the source file. This is the cold path.

This module decides what to say: the headline, which label goes on which site, rustc's note
on the parameter that took ownership and its clone suggestion. Where a site is in the source
is `_spans`' job, and how the lines are laid out on the screen is `_snippets`'.
"""

from __future__ import annotations

import ast
import linecache
import os
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Final

from ._snippets import Mark, SnippetWriter, gutter_width
from ._spans import char_column, mark_of

if TYPE_CHECKING:
    from ._errors import OwnershipError
    from ._sites import Site

__all__ = ["diagnostic_note", "explain_command", "headline", "render", "should_color"]

_LOOP_LABEL: Final = "value moved here, in previous iteration of loop"
_CLONE_HELP: Final = "consider cloning the value if the performance cost is acceptable"


@dataclass(frozen=True)
class _Section:
    """A `note:` or `help:` after the main snippet, with its own marks or an inserted text."""

    kind: str
    message: str
    marks: tuple[Mark, ...] = ()
    insertion: tuple[str, int, int, str] | None = None  # filename, line, column, text


def should_color(stream: IO[str] | None) -> bool:
    """Colour on a terminal, or always when `FORCE_COLOR` is set; never when `NO_COLOR` is.

    The order is CPython's own (3.13): a non-empty `NO_COLOR` (https://no-color.org) wins,
    then a non-empty `FORCE_COLOR` (https://force-color.org) turns colour on even in a pipe,
    then `TERM=dumb` turns it off, then the stream decides by being a terminal.
    """
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb" or stream is None:
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
    out = SnippetWriter(color, gutter_width(numbers))
    code = f"[{error.code}]" if error.code else ""
    out.heading("error" + code, "error", headline(error))
    if marks:
        out.snippet(marks)
    if sections:
        out.gutter()
    for section in sections:
        if section.kind == "= help":
            out.footnote("help", section.message)
            continue
        out.heading(section.kind, section.kind, section.message)
        if section.marks:
            out.snippet(section.marks)
        elif section.insertion is not None:
            out.insertion(*section.insertion)
    out.lines += ["", explain_command(error)]
    return "\n".join(out.lines)


def explain_command(error: OwnershipError) -> str:
    """rustc's last line, naming the command that explains this kind of error."""
    key = error.code or type(error).__name__
    return f"For more information about this error, try `python -m owned explain {key}`."


def headline(error: OwnershipError) -> str:
    """The headline in rustc's words (`use of moved value: `x``)."""
    headline = error.headline
    for prefix in ("use of moved value ", "use of dropped value "):  # rustc puts a colon here
        if headline.startswith(prefix + "`"):
            return prefix.rstrip() + ": " + headline[len(prefix) :]
    return headline


# -- which label goes where --------------------------------------------------------------------


def _marks(error: OwnershipError) -> list[Mark]:
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
        mark = mark_of(site, text, site is primary, error.name)
        if mark is not None:
            marks.append(mark)
    return marks


# -- notes and help ----------------------------------------------------------------------------


def _sections(error: OwnershipError, marks: list[Mark]) -> list[_Section]:
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


def _source_of(mark: Mark) -> str:
    """The source text under `mark`: the suggestion only fits when it is the moved name."""
    text = linecache.getline(mark.filename, mark.line)
    return text[mark.start - 1 : mark.end - 1]


def _owning_parameter(moved: Mark, name: str) -> _Section | None:
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
        Mark(
            moved.filename,
            function.lineno,
            name_at + 1,
            name_at + 1 + len(function.name),
            "in this function",
            False,
        ),
        Mark(
            moved.filename,
            annotation.lineno,
            char_column(text, annotation.col_offset),
            char_column(text, annotation.end_col_offset),
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
    tree: ast.Module, moved: Mark, name: str
) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.arg] | None:
    """The function called on the move's line and its parameter that received `name`.

    Matched by the callee's name only: a guess that holds for the functions of one script,
    which is where rustc's note is most useful.
    """
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
    """The parameter of `function` that `call` passes `name` to; None when unsure (`*args`)."""
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
