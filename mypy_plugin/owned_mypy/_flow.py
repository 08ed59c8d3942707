"""Statements and control flow: branches join, loops run to a fixed point.

`FlowAnalyzer` walks one body (a function's, or a module's top level) with a `Tracker`;
exits and the statements that catch them are in `_exits`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from mypy.nodes import (
    AssertStmt,
    AssignmentStmt,
    Block,
    BreakStmt,
    CallExpr,
    ClassDef,
    ContinueStmt,
    Decorator,
    DelStmt,
    Expression,
    ExpressionStmt,
    ForStmt,
    FuncDef,
    FuncItem,
    IfStmt,
    MatchStmt,
    NameExpr,
    OperatorAssignmentStmt,
    OverloadedFuncDef,
    RaiseStmt,
    RefExpr,
    ReturnStmt,
    Statement,
    TempNode,
    TryStmt,
    TupleExpr,
    Var,
    WhileStmt,
    WithStmt,
)
from mypy.patterns import (
    AsPattern,
    ClassPattern,
    MappingPattern,
    OrPattern,
    Pattern,
    SequencePattern,
    StarredPattern,
    ValuePattern,
)

from . import _codes, _compat, _loans, _names
from ._effects import Effects
from ._exits import Exit, ExitRouter, LoopFrame
from ._report import Note, spelled
from ._state import Loan, State, Tracker, join, join_all, mark_carried

_MAX_LOOP_ROUNDS: Final = 12
"""The lattice is small (a few events per name); real loops converge in two or three rounds."""


class FlowAnalyzer(ExitRouter):
    """Walks the statements of one body; nested function bodies are collected, not walked."""

    def __init__(
        self,
        tracker: Tracker,
        effects: Effects,
        call_owned: tuple[set[Var], set[Var]] | None = None,
    ) -> None:
        super().__init__(tracker, effects)
        self.nested: list[FuncItem] = []
        self.owned_functions: set[FuncItem] = set()
        """The nested functions decorated with `@owned.function`."""
        self._call_owned = call_owned
        """For an `@owned.function`: the names its call owns (locals, `Owned` parameters)."""
        self._with_holders: dict[int, Var] = {}
        self._inlined: frozenset[FuncDef] = frozenset()
        """The local functions whose calls are being followed (a recursive one stops)."""

    # Blocks and simple statements.

    def stmt(self, statement: Statement) -> None:
        """Execute one statement on the current state."""
        handler = _STATEMENTS.get(type(statement))
        if handler is not None:
            handler(self, statement)

    def block(self, o: Block) -> None:
        tracker = self.tracker
        if o.is_unreachable:
            tracker.state = None
            return
        for statement in o.body:
            if tracker.state is None:
                return
            # An exception leaves a statement with the state it started from: a consuming
            # call that fails changes nothing (the runtime's rule), and if the callee fails
            # after taking the value, assuming it alive keeps the analysis silent.
            self.may_raise_here()
            self.stmt(statement)

    def _expression_stmt(self, o: ExpressionStmt) -> None:
        self.expr(o.expr)

    def _assignment(self, o: AssignmentStmt) -> None:
        if isinstance(o.rvalue, TempNode):
            return  # `x: T` without a value binds nothing
        self.expr(o.rvalue)
        for target in o.lvalues:
            self.bind(target)
        if len(o.lvalues) == 1:
            target = o.lvalues[0]
            if self.lend_to(target, o.rvalue) is None:
                self._alias(target, o.rvalue)

    def lend_to(self, target: Expression | None, value: Expression) -> Var | None:
        tracker = self.tracker
        effects = self.effects
        if tracker.state is None:
            return None
        holder = effects.local(target) if target is not None else None
        loans: tuple[Loan, ...] = ()
        borrowed = effects.borrow_call(value)
        if borrowed is not None:
            var, name, mutable = borrowed
            loans = (Loan(var, name.name, mutable, value),)
        elif isinstance(value, CallExpr) and effects.was_checked(value):
            lent, returns_borrow = effects.lent(value)
            if returns_borrow:
                loans = tuple(Loan(var, name.name, mutable, name) for var, name, mutable in lent)
        if not loans or any(tracker.use_is_dead(loan.owner) for loan in loans):
            return None
        if target is None:
            holder = self._with_holders.setdefault(id(value), Var("<with borrow>"))
        if holder is None:
            return None
        tracker.lend(holder, loans)
        return holder

    def _alias(self, target: Expression, value: Expression) -> None:
        new = self.effects.local(target)
        old = self.effects.tracked(value)
        if new is None or old is None or new is old:
            return
        source = spelled(value)
        if not self.tracker.use_is_dead(old):
            self.tracker.alias(new, old)
            self.tracker.reporter.add(
                target,
                f'"{source}" is an Owned handle: this binds a second name to it, where'
                " Rust would move it",
                _codes.OWNED_ALIAS,
                [Note(value, f'Use "{source}.move()" to move it')],
            )

    def _operator_assignment(self, o: OperatorAssignmentStmt) -> None:
        self.expr(o.lvalue)
        self.expr(o.rvalue)
        self.bind(o.lvalue)

    def _del(self, o: DelStmt) -> None:
        targets = o.expr.items if isinstance(o.expr, TupleExpr) else [o.expr]
        for target in targets:
            if isinstance(target, NameExpr) and isinstance(target.node, Var):
                self.tracker.revive(target.node)  # `del x` ends the tracking of `x`
            else:
                self.expr(target)
            for place in self.effects.places_under(target):
                self.tracker.revive(place)

    def _assert(self, o: AssertStmt) -> None:
        when_true, when_false = self.condition(o.expr)
        self.tracker.state = when_false
        self.leave(Exit.RAISE)
        self.tracker.state = when_true

    def _return(self, o: ReturnStmt) -> None:
        # `return x` hands the handle to the caller only once the function has returned,
        # after its `finally` blocks ran: nothing in the body can observe that move.
        if self._call_owned is not None and o.expr is not None:
            self._check_returned_borrow(o.expr)
        self.expr(o.expr)
        self.leave(Exit.RETURN)

    def _check_returned_borrow(self, returned: Expression) -> None:
        assert self._call_owned is not None
        locals_, parameters = self._call_owned
        owned = locals_ | parameters
        items = returned.items if isinstance(returned, TupleExpr) else [returned]
        for item in items:
            borrowed = self.effects.borrow_call(item)
            if borrowed is not None:
                var, name, mutable = borrowed
                loans: tuple[Loan, ...] = (Loan(var, name.name, mutable, item),)
            elif isinstance(item, NameExpr) and isinstance(item.node, Var):
                loans = self.tracker.loans_of(item.node)
            else:
                continue
            mine = tuple(loan for loan in loans if loan.owner in owned)
            if mine and not any(self.tracker.use_is_dead(loan.owner) for loan in mine):
                _loans.returned(self.tracker, item, mine, parameters)

    def _raise(self, o: RaiseStmt) -> None:
        if o.expr is not None:
            self.expr(o.expr)
        if o.from_expr is not None:
            self.expr(o.from_expr)
        self.leave(Exit.RAISE)

    def _break(self, o: BreakStmt) -> None:
        self.leave(Exit.BREAK)

    def _continue(self, o: ContinueStmt) -> None:
        self.leave(Exit.CONTINUE)

    def repeat(self, body: Callable[[], None]) -> None:
        def one_round() -> State | None:
            exhausted = self.tracker.state
            body()
            return exhausted

        self._loop(one_round, None)

    def call_local_function(self, function: FuncDef) -> None:
        """Follow a call of a function defined in this body: its uses of this body's names
        happen now (`def show(): print(x.value)`, then `drop(x)`, then `show()`).

        Only the uses are checked; what the call moves is not followed (staying silent).
        """
        if function in self._inlined or function not in self.nested:
            return
        inner = FlowAnalyzer(Tracker(self.tracker.reporter), self.effects)
        inner.tracker.state = self.tracker.state
        inner._inlined = self._inlined | {function}
        inner.nested = self.nested
        inner.block(function.body)

    # Definitions: decorators and defaults run now, bodies later (analysed on their own).

    def _func_def(self, o: FuncDef) -> None:
        for argument in o.arguments:
            if argument.initializer is not None:
                self.expr(argument.initializer)
        self.nested.append(o)

    def _decorator(self, o: Decorator) -> None:
        for decorator in o.decorators:
            self.expr(decorator)
        self._func_def(o.func)
        if any(
            isinstance(decorator, RefExpr) and decorator.fullname == _names.FUNCTION_DECORATOR
            for decorator in o.decorators
        ):
            self.owned_functions.add(o.func)

    def _overloaded(self, o: OverloadedFuncDef) -> None:
        for item in o.items:
            self.stmt(item)
        if o.impl is not None:
            self.stmt(o.impl)

    def _class_def(self, o: ClassDef) -> None:
        for decorator in o.decorators:
            self.expr(decorator)
        for base in o.base_type_exprs:
            self.expr(base)
        self.block(o.defs)  # a class body runs at once, like inline code

    # Branches.

    def _if(self, o: IfStmt) -> None:
        tracker = self.tracker
        ends: list[State | None] = []
        for condition, body in zip(o.expr, o.body, strict=False):
            when_true, when_false = self.condition(condition)
            tracker.state = when_true
            self.block(body)
            ends.append(tracker.state)
            tracker.state = when_false
        if _compat.else_is_unreachable(o):
            tracker.state = None
        if o.else_body is not None:
            self.block(o.else_body)
        ends.append(tracker.state)
        tracker.state = join_all(ends)

    def _match(self, o: MatchStmt) -> None:
        tracker = self.tracker
        self.expr(o.subject)
        entry = tracker.state
        ends: list[State | None] = []
        for pattern, guard, body in zip(o.patterns, o.guards, o.bodies, strict=False):
            tracker.state = entry
            self._match_pattern(pattern)
            if guard is not None:
                when_true, when_false = self.condition(guard)
                entry = join(entry, when_false)
                tracker.state = when_true
            self.block(body)
            ends.append(tracker.state)
        if not (o.patterns and _irrefutable(o.patterns[-1]) and o.guards[-1] is None):
            ends.append(entry)
        tracker.state = join_all(ends)

    def _match_pattern(self, pattern: Pattern) -> None:
        """Apply a pattern: its value expressions are uses, its captures rebind names."""
        if isinstance(pattern, ValuePattern):
            self.expr(pattern.expr)
        elif isinstance(pattern, ClassPattern):
            self.expr(pattern.class_ref)
        elif isinstance(pattern, MappingPattern):
            for key in pattern.keys:
                self.expr(key)
        for subpattern in _subpatterns(pattern):
            self._match_pattern(subpattern)
        capture = _capture(pattern)
        if capture is not None:
            self.bind(capture)

    # Loops.

    def _while(self, o: WhileStmt) -> None:
        def one_round() -> State | None:
            when_true, when_false = self.condition(o.expr)
            self.tracker.state = when_true
            self.block(o.body)
            return when_false

        self._loop(one_round, o.else_body)

    def _for(self, o: ForStmt) -> None:
        if not self.borrow_use(o.expr):
            self.expr(o.expr)

        def one_round() -> State | None:
            exhausted = self.tracker.state
            self.bind(o.index)
            self.block(o.body)
            return exhausted

        self._loop(one_round, o.else_body)

    def _loop(self, one_round: Callable[[], State | None], else_body: Block | None) -> None:
        """Run a loop body until its head state is stable, then once more to report."""
        tracker = self.tracker
        frame = LoopFrame()
        head = tracker.state
        with self.frame(frame, guard=False):
            tracker.loop_sites.append(frame.sites)
            with self.silenced():
                for _ in range(_MAX_LOOP_ROUNDS):
                    frame.breaks.clear()
                    frame.continues.clear()
                    tracker.state = head
                    one_round()
                    back = join_all([tracker.state, *frame.continues])
                    widened = join(head, mark_carried(back, frame.sites, carried=True))
                    if widened == head:
                        break
                    head = widened
            frame.breaks.clear()
            frame.continues.clear()
            tracker.state = head
            exhausted = one_round()
        tracker.loop_sites.pop()
        tracker.state = mark_carried(exhausted, frame.sites, carried=False)
        if else_body is not None:
            self.block(else_body)
        breaks = [mark_carried(state, frame.sites, carried=False) for state in frame.breaks]
        tracker.state = join_all([tracker.state, *breaks])


_STATEMENTS: Final[dict[type[Statement], Callable[[FlowAnalyzer, Any], None]]] = {
    Block: FlowAnalyzer.block,
    ExpressionStmt: FlowAnalyzer._expression_stmt,
    AssignmentStmt: FlowAnalyzer._assignment,
    OperatorAssignmentStmt: FlowAnalyzer._operator_assignment,
    DelStmt: FlowAnalyzer._del,
    AssertStmt: FlowAnalyzer._assert,
    ReturnStmt: FlowAnalyzer._return,
    RaiseStmt: FlowAnalyzer._raise,
    BreakStmt: FlowAnalyzer._break,
    ContinueStmt: FlowAnalyzer._continue,
    FuncDef: FlowAnalyzer._func_def,
    Decorator: FlowAnalyzer._decorator,
    OverloadedFuncDef: FlowAnalyzer._overloaded,
    ClassDef: FlowAnalyzer._class_def,
    IfStmt: FlowAnalyzer._if,
    MatchStmt: FlowAnalyzer._match,
    WhileStmt: FlowAnalyzer._while,
    ForStmt: FlowAnalyzer._for,
    TryStmt: FlowAnalyzer._try,
    WithStmt: FlowAnalyzer._with,
}
"""Statements without an entry (imports, `pass`, `global`, type aliases) change nothing."""


def _subpatterns(pattern: Pattern) -> list[Pattern]:
    if isinstance(pattern, AsPattern):
        return [pattern.pattern] if pattern.pattern is not None else []
    if isinstance(pattern, OrPattern | SequencePattern):
        return list(pattern.patterns)
    if isinstance(pattern, MappingPattern):
        return list(pattern.values)
    if isinstance(pattern, ClassPattern):
        return [*pattern.positionals, *pattern.keyword_values]
    return []


def _capture(pattern: Pattern) -> NameExpr | None:
    if isinstance(pattern, AsPattern):
        return pattern.name
    if isinstance(pattern, StarredPattern):
        return pattern.capture
    if isinstance(pattern, MappingPattern):
        return pattern.rest
    return None


def _irrefutable(pattern: Pattern) -> bool:
    return isinstance(pattern, AsPattern) and pattern.pattern is None
