"""Laying out source lines the way rustc does: gutters, underlines, hanging labels, colours.

This module knows nothing about ownership. It is given `Mark`s (a labelled span of a source
line) and draws them; what the marks say and where they point is decided by `_diagnostics`
and `_spans`. Keeping the layout apart lets it follow rustc's rules without the wording of
any particular error getting in the way.
"""

from __future__ import annotations

import linecache
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from ._places import place

__all__ = ["Mark", "SnippetWriter", "gutter_width"]

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
class Mark:
    """A labelled span of one source line; columns are 1-based characters, `end` exclusive."""

    filename: str
    line: int
    start: int
    end: int
    label: str
    primary: bool


def gutter_width(line_numbers: Iterable[int]) -> int:
    """How many digits the gutter needs so that every line number shown lines up."""
    numbers = list(line_numbers)
    return len(str(max(numbers, default=0))) if numbers else 1


class SnippetWriter:
    """Lines of a rendering, painted or plain, with rustc's gutter of a fixed width."""

    def __init__(self, color: bool, width: int) -> None:
        self.color = color
        self.width = width
        self.lines: list[str] = []

    def paint(self, text: str, style: str) -> str:
        """`text` in the terminal colours of `style`; unchanged when colour is off."""
        if not self.color or not style or not text:
            return text
        return f"{_STYLES[style]}{text}{_RESET}"

    def line(self, *parts: tuple[str, str]) -> None:
        """One output line from (text, style) parts; trailing blanks would only be noise."""
        self.lines.append("".join(self.paint(text, style) for text, style in parts).rstrip())

    def heading(self, kind: str, style: str, message: str) -> None:
        """`kind: message`, as rustc starts an error, a `note:` or a `help:`."""
        self.line((kind, style), (": ", "bold"), (message, "bold"))

    def footnote(self, kind: str, message: str) -> None:
        """rustc's `= kind: message` hanging from the gutter, for a remark without a span."""
        indent = (" " * (self.width + 1), "")
        self.line(indent, ("= ", "gutter"), (kind, "bold"), (": " + message, ""))

    def gutter(self, number: int | None = None, rest: str = "", style: str = "") -> None:
        """A gutter line: numbered when it shows source line `number`, else blank."""
        left = " " * self.width if number is None else f"{number:>{self.width}}"
        self.line((left + " |", "gutter"), ((" " + rest) if rest else "", style))

    def location(self, arrow: str, mark: Mark) -> None:
        """The `--> file:line:column` line that tells an editor where to jump."""
        where = place(mark.filename, mark.line, mark.start)
        self.line((" " * self.width + arrow, "gutter"), (" " + where, ""))

    def snippet(self, marks: Sequence[Mark]) -> None:
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

    def underlines(self, marks: list[Mark]) -> None:
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

    def _connectors(self, marks: list[Mark]) -> list[tuple[str, str]]:
        """The `|` under each mark's start that its label, printed lower down, hangs from."""
        row: list[tuple[str, str]] = []
        column = 1
        for mark in marks:
            row.append((" " * (mark.start - column), ""))
            row.append(("|", _style(mark)))
            column = mark.start + 1
        return row

    def _marks_row(self, row: list[tuple[str, str]]) -> None:
        """A row under a source line: an unnumbered gutter, then `row` aligned with the code."""
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


def _style(mark: Mark) -> str:
    return "primary" if mark.primary else "secondary"
