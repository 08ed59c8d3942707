"""The plugin's diagnostics, worded like rustc's: built here, emitted by `_schedule`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from mypy.errorcodes import ErrorCode
from mypy.nodes import Context, Expression, IndexExpr, IntExpr, MemberExpr, NameExpr, StrExpr

from . import _codes
from ._state import Event, Kind


class Note(NamedTuple):
    """A secondary message at the place where the value was moved, dropped or borrowed."""

    site: Context
    message: str


class Diagnostic(NamedTuple):
    """One error at the offending use, with its notes."""

    use: Context
    message: str
    code: ErrorCode
    notes: tuple[Note, ...]


class Reporter:
    """Collects the diagnostics of one body; silent while a loop or `finally` is explored."""

    __slots__ = ("_seen", "diagnostics", "silent")

    def __init__(self) -> None:
        self.silent = 0
        self.diagnostics: list[Diagnostic] = []
        self._seen: set[tuple[int, str]] = set()

    def use(self, name: Expression, events: Iterable[Event], *, definite: bool) -> None:
        """Report a use of `name` after the given moves/drops."""
        ordered = _ordered(events)
        if all(event.kind is Kind.DROP for event in ordered):
            code, noun = _codes.USE_AFTER_DROP, "dropped"
        else:
            code, noun = _codes.USE_AFTER_MOVE, "moved"
        possibly = "" if definite else "possibly "
        self._add(name, f'Use of {possibly}{noun} value "{spelled(name)}"', code, ordered)

    def double_drop(self, name: Expression, events: Iterable[Event], *, definite: bool) -> None:
        """Report a drop of `name` after it was dropped already."""
        if definite:
            message = f'Value "{spelled(name)}" is dropped twice'
        else:
            message = f'Value "{spelled(name)}" may have been dropped already'
        self._add(name, message, _codes.DOUBLE_DROP, _ordered(events))

    def _add(self, name: Expression, message: str, code: ErrorCode, events: list[Event]) -> None:
        self.add(name, message, code, [Note(event.site, _note_text(event)) for event in events])

    def add(self, use: Context, message: str, code: ErrorCode, notes: Iterable[Note]) -> None:
        """Report `message` at `use` (once per site and message; never while silenced)."""
        if self.silent:
            return
        key = (id(use), message)
        if key in self._seen:
            return
        self._seen.add(key)
        self.diagnostics.append(Diagnostic(use, message, code, tuple(notes)))


def spelled(expr: Expression) -> str:
    """The place `expr` names, as written: `x`, `self.buf`, `hs[0]`, `hs["a"]`."""
    if isinstance(expr, NameExpr):
        return expr.name
    if isinstance(expr, MemberExpr):
        return f"{spelled(expr.expr)}.{expr.name}"
    if isinstance(expr, IndexExpr) and isinstance(expr.index, IntExpr | StrExpr):
        return f"{spelled(expr.base)}[{expr.index.value!r}]"
    return "<expression>"


def _ordered(events: Iterable[Event]) -> list[Event]:
    unique: dict[tuple[int, int, str], Event] = {}
    for event in events:
        key = (event.site.line, event.site.column, event.kind.value)
        if key not in unique or event.carried:
            unique[key] = event
    return [unique[key] for key in sorted(unique)]


def _note_text(event: Event) -> str:
    text = f"Value {event.kind.value} here"
    if event.carried:
        text += ", in previous iteration of loop"
    return text
