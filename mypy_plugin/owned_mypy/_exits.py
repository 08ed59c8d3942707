"""Leaving a path: `break`, `continue`, `return` and exceptions, and the statements that
receive them (`try`, `with`).

An exit ends the current path and hands its state to the innermost frame that receives it:
a loop (`break`/`continue`), a `try` with handlers or `finally`, a `with` whose context
manager may swallow exceptions. The frame joins what it received where control resumes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Final

from mypy.nodes import Block, Expression, RefExpr, TryStmt, TupleExpr, Var, WithStmt

from ._effects import Effects
from ._exprs import ExpressionWalker
from ._state import Ending, Loan, State, Tracker, end_block_loans, join, join_all, loans_in


class Exit(enum.Enum):
    """A way of leaving the current path other than falling through."""

    BREAK = "break"
    CONTINUE = "continue"
    RETURN = "return"
    RAISE = "raise"
    RAISE_AFTER_MOVE = "raise after move"
    """An `@owned.function` raised after taking its arguments: never an `OwnershipError`."""


class LoopFrame:
    """A loop's `break`/`continue` states, and the sites of the events made in its body."""

    __slots__ = ("breaks", "continues", "sites")

    def __init__(self) -> None:
        self.breaks: list[State] = []
        self.continues: list[State] = []
        self.sites: set[Expression] = set()


class _TryFrame:
    __slots__ = ("after_move", "catching", "caught", "finally_entries", "has_finally")

    def __init__(self, *, catching: bool, has_finally: bool) -> None:
        self.catching = catching
        self.has_finally = has_finally
        self.caught: list[State] = []
        self.after_move: list[State] = []
        self.finally_entries: dict[Exit, list[State]] = {}

    def receive(self, exit_: Exit, state: State) -> bool:
        """Take the state of an exit passing through this `try`; tell whether it stops here."""
        if exit_ is Exit.RAISE_AFTER_MOVE:
            if self.catching:
                self.after_move.append(state)
            return True  # elsewhere, staying silent is safe
        if exit_ is Exit.RAISE and self.catching:
            self.caught.append(state)
            return True
        if self.has_finally:
            self.finally_entries.setdefault(exit_, []).append(state)
            return True
        return False


class _WithFrame:
    __slots__ = ("swallowed",)

    def __init__(self) -> None:
        self.swallowed: list[State] = []


class _LoanFrame:
    """A `with` block that ends borrows: every path leaving it, also by an exception."""

    __slots__ = ("ending", "entry", "holders", "site")

    def __init__(self, holders: list[Var], entry: frozenset[Loan] | None, site: WithStmt) -> None:
        self.holders = holders
        self.entry = entry
        self.site = site
        self.ending = Ending.SCOPE if entry is not None else Ending.WITH

    def end(self, state: State) -> State:
        return end_block_loans(state, self.holders, self.entry, self.ending, self.site)


_Frame = LoopFrame | _TryFrame | _WithFrame | _LoanFrame


class ExitRouter(ExpressionWalker):
    """The exits of a body and the statements that catch them; `FlowAnalyzer` adds the rest."""

    def __init__(self, tracker: Tracker, effects: Effects) -> None:
        super().__init__(tracker, effects)
        self._frames: list[_Frame] = []
        self._guards = 0
        """How many frames on the stack receive exceptions: only then are they recorded."""

    def leave(self, exit_: Exit) -> None:
        """End the current path with `exit_`, handing its state to the frame that receives it."""
        state = self.tracker.state
        self.tracker.state = None
        if state is not None:
            self._route(exit_, state)

    def raised(self) -> None:
        self.leave(Exit.RAISE)

    def block(self, o: Block) -> None:
        """Execute a block (the statements themselves are the flow analysis' business)."""
        raise NotImplementedError

    def _route(self, exit_: Exit, state: State) -> None:
        for frame in reversed(self._frames):
            if isinstance(frame, _LoanFrame):
                state = frame.end(state)
            elif isinstance(frame, LoopFrame):
                if exit_ is Exit.BREAK:
                    frame.breaks.append(state)
                    return
                if exit_ is Exit.CONTINUE:
                    frame.continues.append(state)
                    return
            elif isinstance(frame, _TryFrame):
                if frame.receive(exit_, state):
                    return
            elif exit_ is Exit.RAISE:
                frame.swallowed.append(state)
                return
            elif exit_ is Exit.RAISE_AFTER_MOVE:
                return

    def may_raise_after_move(self) -> None:
        """The current call took its arguments and may raise now (its body runs)."""
        state = self.tracker.state
        if self._guards and state is not None:
            self._route(Exit.RAISE_AFTER_MOVE, state)

    def may_raise_here(self) -> None:
        state = self.tracker.state
        if self._guards and state is not None:
            self._route(Exit.RAISE, state)

    @contextmanager
    def frame(self, frame: _Frame, *, guard: bool) -> Iterator[None]:
        self._frames.append(frame)
        self._guards += guard
        try:
            yield
        finally:
            self._frames.pop()
            self._guards -= guard

    @contextmanager
    def silenced(self) -> Iterator[None]:
        self.tracker.reporter.silent += 1
        try:
            yield
        finally:
            self.tracker.reporter.silent -= 1

    def _try(self, o: TryStmt) -> None:
        tracker = self.tracker
        has_finally = o.finally_body is not None
        frame = _TryFrame(catching=bool(o.handlers), has_finally=has_finally)
        with self.frame(frame, guard=True):
            self.block(o.body)
            frame.catching = False
            if o.else_body is not None:
                self.block(o.else_body)
            ends = [tracker.state]
            handled = join_all(frame.caught)
            after_move = join_all(frame.after_move)
            for type_expr, name, handler in zip(o.types, o.vars, o.handlers, strict=False):
                tracker.state = handled
                if after_move is not None and not _may_catch_ownership_error(type_expr):
                    # Only the callee's own exception reaches this handler from that call.
                    tracker.state = join(handled, after_move)
                if type_expr is not None:
                    self.expr(type_expr)
                if name is not None:
                    self.bind(name)
                self.block(handler)
                ends.append(tracker.state)
            if o.handlers and not _catches_everything(o.types):
                tracker.state = handled
                self.leave(Exit.RAISE)  # lands in this try's `finally`, if it has one
        normal = join_all(ends)
        if o.finally_body is None:
            tracker.state = normal
            return
        self._finally(o.finally_body, normal, frame.finally_entries)

    def _finally(self, body: Block, normal: State | None, entries: dict[Exit, list[State]]) -> None:
        """Run `finally` once over everything that reaches it (to report), then once per exit."""
        tracker = self.tracker
        abnormal = {exit_: join_all(states) for exit_, states in entries.items()}
        if not abnormal:
            tracker.state = normal
            self.block(body)
            return
        tracker.state = join_all([normal, *abnormal.values()])
        self.block(body)
        with self.silenced():
            for exit_, state in abnormal.items():
                tracker.state = state
                self.block(body)
                self.leave(exit_)
            tracker.state = normal
            self.block(body)

    def _with(self, o: WithStmt) -> None:
        tracker = self.tracker
        effects = self.effects
        holders: list[Var] = []
        scope_entry: frozenset[Loan] | None = None
        for manager, target in zip(o.expr, o.target, strict=False):
            self.expr(manager)
            if target is not None:
                self.bind(target)
            holder = self.lend_to(target, manager)
            if holder is not None:
                holders.append(holder)
            if effects.is_scope(manager) and scope_entry is None:
                scope_entry = loans_in(tracker.state)
        loan_frame = None
        if holders or scope_entry is not None:
            loan_frame = _LoanFrame(holders, scope_entry, o)
        with self.frame(loan_frame, guard=False) if loan_frame else nullcontext():
            self._with_body(o)
        if loan_frame is not None and tracker.state is not None:
            tracker.state = loan_frame.end(tracker.state)

    def lend_to(self, target: Expression | None, value: Expression) -> Var | None:
        """Bind `target` to the borrow that `value` makes, if it is one; return its holder."""
        raise NotImplementedError

    def _with_body(self, o: WithStmt) -> None:
        tracker = self.tracker
        effects = self.effects
        expecting = any(effects.expects_exception(manager) for manager in o.expr)
        if not expecting and not any(
            effects.exit_may_suppress(manager, is_async=o.is_async) for manager in o.expr
        ):
            self.block(o.body)
            return
        frame = _WithFrame()
        with self.frame(frame, guard=True):
            self.block(o.body)
        if expecting:
            # `with pytest.raises(E):` fails the test when its body ends normally, so only
            # the states where the body raised go on after it.
            self.leave(Exit.RAISE)
        tracker.state = join_all([tracker.state, *frame.swallowed])


_CATCHING_OWNERSHIP_ERRORS: Final = frozenset(
    {"builtins.BaseException", "builtins.Exception", "builtins.MemoryError"}
)


def _may_catch_ownership_error(type_expr: Expression | None) -> bool:
    """Tell whether an `except` clause may catch an `OwnershipError` (when unsure: yes)."""
    if type_expr is None:
        return True
    if isinstance(type_expr, TupleExpr):
        return any(_may_catch_ownership_error(item) for item in type_expr.items)
    if not (isinstance(type_expr, RefExpr) and type_expr.fullname):
        return True
    fullname = type_expr.fullname
    return fullname in _CATCHING_OWNERSHIP_ERRORS or not fullname.startswith("builtins.")


def _catches_everything(types: list[Expression | None]) -> bool:
    return any(
        type_expr is None
        or (isinstance(type_expr, RefExpr) and type_expr.fullname == "builtins.BaseException")
        for type_expr in types
    )
