"""Expressions in evaluation order: the uses, moves, drops and rebindings they perform.

mypy's visitor classes are compiled traits that interpreted code cannot subclass, so nodes
are dispatched on their type here. An expression type without an entry performs nothing that
the analysis follows (literals, type-level expressions, lambdas): staying silent is safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from mypy.nodes import (
    AssignmentExpr,
    AwaitExpr,
    CallExpr,
    CastExpr,
    ComparisonExpr,
    ConditionalExpr,
    DictExpr,
    DictionaryComprehension,
    Expression,
    FuncDef,
    GeneratorExpr,
    IndexExpr,
    IntExpr,
    LambdaExpr,
    ListComprehension,
    ListExpr,
    MemberExpr,
    NameExpr,
    OpExpr,
    RefExpr,
    SetComprehension,
    SetExpr,
    SliceExpr,
    StarExpr,
    TupleExpr,
    TypeApplication,
    UnaryExpr,
    Var,
    YieldExpr,
    YieldFromExpr,
)

from . import _loans, _names
from ._effects import Effects
from ._state import Ending, Kind, State, Tracker, join

_READING_BUILTINS: Final = frozenset(
    f"builtins.{name}"
    for name in (
        "len",
        "iter",
        "list",
        "tuple",
        "set",
        "frozenset",
        "sorted",
        "sum",
        "min",
        "max",
        "any",
        "all",
        "enumerate",
        "reversed",
        "print",
        "repr",
        "str",
        "dict",
        "next",
    )
)
"""Callees that read a borrow passed to them and never end it: a use, not an escape."""

_ITERATING_BUILTINS: Final = frozenset(
    f"builtins.{name}"
    for name in (
        "list",
        "tuple",
        "set",
        "frozenset",
        "sorted",
        "sum",
        "min",
        "max",
        "any",
        "all",
        "dict",
    )
)
"""Callees that run a generator handed to them, and a `key=` function, at once."""


class ExpressionWalker:
    """Applies the effects of expressions to a `Tracker`'s state, in Python's evaluation order."""

    def __init__(self, tracker: Tracker, effects: Effects) -> None:
        self.tracker = tracker
        self.effects = effects

    def expr(self, expr: Expression | None) -> None:
        """Evaluate `expr` on the current state."""
        if expr is None or self.tracker.state is None:
            return
        handler = _EXPRESSIONS.get(type(expr))
        if handler is not None:
            handler(self, expr)

    def may_raise_after_move(self) -> None:
        """The current call took its arguments and may raise now (see `_exits`)."""

    def raised(self) -> None:
        """The current point raises (a `NoReturn` call): the rest of the path is unreachable."""
        self.tracker.state = None

    def bind(self, target: Expression) -> None:
        """Apply an assignment to `target` (after its value was evaluated)."""
        for place in self.effects.places_under(target):
            self.tracker.revive(place)
        if isinstance(target, NameExpr):
            if isinstance(target.node, Var):
                self.tracker.revive(target.node)
        elif isinstance(target, TupleExpr | ListExpr):
            for item in target.items:
                self.bind(item)
        elif isinstance(target, StarExpr):
            self.bind(target.expr)
        elif isinstance(target, MemberExpr):
            if self.borrow_use(target.expr):
                return
            self.expr(target.expr)
            owner = self.effects.value_of(target)
            if owner is not None and not self.tracker.use_is_dead(owner[0]):
                _loans.assign(self.tracker, owner[0], owner[1])
        elif isinstance(target, IndexExpr):
            if not self.borrow_use(target.base):
                self.expr(target.base)
            self.expr(target.index)

    def condition(self, expr: Expression) -> tuple[State | None, State | None]:
        """Evaluate a condition; return the states where it is true and where it is false.

        `x.is_alive` narrows: the handle is alive where it is true. `not`, `and`, `or` combine.
        """
        tracker = self.tracker
        if tracker.state is None:
            return None, None
        if isinstance(expr, UnaryExpr) and expr.op == "not":
            when_true, when_false = self.condition(expr.expr)
            return when_false, when_true
        if isinstance(expr, OpExpr) and expr.op in ("and", "or"):
            left_true, left_false = self.condition(expr.left)
            tracker.state = left_true if expr.op == "and" else left_false
            if expr.right_unreachable:
                tracker.state = None
            right_true, right_false = self.condition(expr.right)
            if expr.op == "and":
                return right_true, join(left_false, right_false)
            return join(left_true, right_true), right_false
        var = self.effects.liveness_check(expr)
        if var is not None:
            state = tracker.state
            tracker.assume_alive(var)
            when_true = tracker.state
            tracker.state = state
            tracker.assume_dead(var)
            return when_true, tracker.state
        self.expr(expr)
        state = tracker.state
        truth = _literal_truth(expr)
        return (None if truth is False else state), (None if truth is True else state)

    # One handler per expression type, registered in _EXPRESSIONS below.

    def _name(self, o: NameExpr) -> None:
        state = self.tracker.state
        if state and o.node in state and self.effects.was_checked(o):
            assert isinstance(o.node, Var)
            if state[o.node].loans:
                # A borrow handed on (to a callee, into a container, to another name) may be
                # ended or kept elsewhere: from here on the analysis does not follow it.
                self.tracker.forget_loans(o.node)
                return
            self.tracker.use(o.node, o)

    def borrow_use(self, expr: Expression) -> bool:
        """Check a use of a borrow through its name (`r.value`, `r[i]`, `len(r)`, `for y in r`).

        Return whether `expr` is such a name (and so is not visited as an escape).
        """
        state = self.tracker.state
        if not (state and isinstance(expr, NameExpr) and isinstance(expr.node, Var)):
            return False
        fact = state.get(expr.node)
        if fact is None or not fact.loans:
            return False
        _loans.use_borrow(self.tracker, expr.node, expr)
        return True

    def _place_use(self, o: MemberExpr | IndexExpr) -> bool:
        """Check a use of a followed place (`self.buf`); tell whether `o` is one."""
        state = self.tracker.state
        if not state:
            return False
        var = self.effects.tracked(o)
        if var is None or var not in state:
            return False
        self.tracker.use(var, o)
        return True

    def _member(self, o: MemberExpr) -> None:
        if self.effects.liveness_check(o) is not None or self._place_use(o):
            return
        if self.borrow_use(o.expr):
            return
        self.expr(o.expr)
        owner = self.effects.value_of(o)
        if owner is not None and self.tracker.state is not None:
            var, name = owner
            if not self.tracker.use_is_dead(var):
                _loans.borrow(self.tracker, var, name, mutable=False)

    def _call(self, o: CallExpr) -> None:
        if o.analyzed is not None:
            # cast() is a plain use; reveal_type()/assert_type() only concern the static type.
            if isinstance(o.analyzed, CastExpr):
                self.expr(o.analyzed.expr)
            return
        if self._release(o):
            return
        tracker = self.tracker
        effects = self.effects
        checked = effects.was_checked(o)
        consumed = effects.consumed(o) if checked else []
        # A consumed name is checked by the consumption itself (a drop of a dropped value is
        # a double drop, not a use), so its occurrence is not visited as a use.
        skipped = {id(arg) for _, arg, _ in consumed}
        callee = o.callee
        if not (isinstance(callee, MemberExpr) and id(callee.expr) in skipped):
            self.expr(callee)
        self._arguments(o, skipped)
        if checked:
            self._check_borrows(o)
        for kind, arg, enforced in consumed:
            self.consume(kind, arg, enforced=enforced)
        if consumed and checked and effects.runs_owned_function(o):
            self.may_raise_after_move()
        if tracker.state and effects.forgets_volatile(o):
            self.forget_volatile()
        if tracker.state is not None and effects.is_noreturn(o):
            self.raised()

    def forget_volatile(self) -> None:
        """Unknown code ran: it may have rebound the volatile names (globals, `nonlocal`)."""
        for var in self.effects.volatile:
            self.tracker.revive(var)

    def _arguments(self, o: CallExpr, skipped: set[int]) -> None:
        """Evaluate the arguments, then what calling `o` runs of them at once."""
        tracker = self.tracker
        callee = o.callee
        reads = isinstance(callee, RefExpr) and callee.fullname in _READING_BUILTINS
        iterates = isinstance(callee, RefExpr) and callee.fullname in _ITERATING_BUILTINS
        for arg in o.args:
            if id(arg) in skipped or (reads and self.borrow_use(arg)):
                continue
            if iterates and isinstance(arg, GeneratorExpr):
                self._eager(arg, [arg.left_expr])  # `any(... for ...)` runs it now
                continue
            self.expr(arg)
            if iterates and isinstance(arg, LambdaExpr) and tracker.state is not None:
                self.expr(arg.expr())  # a `key=` function is called on the items now
        if tracker.state is None:
            return
        if isinstance(callee, LambdaExpr):
            self.expr(callee.expr())  # `(lambda: x.value)()`
        elif isinstance(callee, NameExpr) and isinstance(callee.node, FuncDef):
            self.call_local_function(callee.node)

    def _release(self, o: CallExpr) -> bool:
        """Apply `r.release()` on a followed borrow; tell whether `o` is one."""
        callee = o.callee
        if not (isinstance(callee, MemberExpr) and callee.name == _names.RELEASE_METHOD):
            return False
        holder = callee.expr
        if not (
            isinstance(holder, NameExpr)
            and isinstance(holder.node, Var)
            and self.tracker.loans_of(holder.node)
        ):
            return False
        self.borrow_use(holder)
        self.tracker.end_loans(holder.node, Ending.RELEASED, o)
        return True

    def _check_borrows(self, o: CallExpr) -> None:
        """Check the borrows that `o` makes: `x.borrow()`, `Owned` arguments of `Ref` parameters."""
        tracker = self.tracker
        borrowed = self.effects.borrow_call(o)
        lent, _ = self.effects.lent(o)
        if borrowed is not None:
            lent = [borrowed, *lent]
        for var, name, mutable in lent:
            if tracker.state is not None and not tracker.use_is_dead(var):
                _loans.borrow(tracker, var, name, mutable=mutable)

    def consume(self, kind: Kind, arg: Expression, *, enforced: bool) -> None:
        """Move or drop the handle of `arg`: a name, or either branch of `a if c else b`.

        A borrowed handle is reported only where the runtime itself moves (`enforced`).
        """
        tracker = self.tracker
        if isinstance(arg, ConditionalExpr):
            when_true, when_false = self.condition(arg.cond)
            tracker.state = when_true
            self.consume(kind, arg.if_expr, enforced=enforced)
            after_true = tracker.state
            tracker.state = when_false
            self.consume(kind, arg.else_expr, enforced=enforced)
            tracker.state = join(after_true, tracker.state)
            return
        var = self.effects.tracked(arg)
        if var is None:
            self.expr(arg)
            return
        if tracker.use_is_dead(var) or not enforced or not _loans.move(tracker, var, arg, kind):
            tracker.consume(var, kind, arg)

    def _assignment_expr(self, o: AssignmentExpr) -> None:
        self.expr(o.value)
        self.bind(o.target)

    def _conditional(self, o: ConditionalExpr) -> None:
        when_true, when_false = self.condition(o.cond)
        self.tracker.state = when_true
        self.expr(o.if_expr)
        after_true = self.tracker.state
        self.tracker.state = when_false
        self.expr(o.else_expr)
        self.tracker.state = join(after_true, self.tracker.state)

    def _op(self, o: OpExpr) -> None:
        if o.op not in ("and", "or"):
            self.expr(o.left)
            self.expr(o.right)
            return
        when_true, when_false = self.condition(o.left)
        # The right operand runs only when the left one does not decide the result.
        if o.op == "and":
            shortcut, self.tracker.state = when_false, when_true
        else:
            shortcut, self.tracker.state = when_true, when_false
        if o.right_unreachable:
            self.tracker.state = None
        self.expr(o.right)
        self.tracker.state = join(shortcut, self.tracker.state)

    def _generator(self, o: GeneratorExpr) -> None:
        # Only the first iterable is evaluated at once; the rest runs lazily, maybe never
        # (unless the generator is handed straight to `any()`, `list()`, ...: see `_call`).
        self.expr(o.sequences[0])

    def _comprehension(self, o: ListComprehension | SetComprehension) -> None:
        generator = o.generator
        self._eager(generator, [generator.left_expr])

    def _dict_comprehension(self, o: DictionaryComprehension) -> None:
        self._eager(o, [o.key, o.value])

    def _eager(
        self, o: GeneratorExpr | DictionaryComprehension, results: list[Expression | None]
    ) -> None:
        """Run a comprehension: its first iterable once, the rest as the body of a loop."""
        self.expr(o.sequences[0])

        def one_round() -> None:
            self.bind(o.indices[0])
            for condition in o.condlists[0]:
                self.expr(condition)
            self._clauses(o.indices[1:], o.sequences[1:], o.condlists[1:])
            for result in results:
                self.expr(result)

        self.repeat(one_round)

    def repeat(self, body: Callable[[], None]) -> None:
        """Run `body` as a loop that runs any number of times (`FlowAnalyzer` iterates)."""
        body()

    def call_local_function(self, function: FuncDef) -> None:
        """Check the uses that calling a function defined in this body makes (`FlowAnalyzer`)."""

    def _lambda(self, o: LambdaExpr) -> None:
        # Defaults are evaluated now; the body only when the lambda is called.
        for argument in o.arguments:
            self.expr(argument.initializer)

    def _clauses(
        self,
        indices: list[Expression],
        sequences: list[Expression],
        condlists: list[list[Expression]],
    ) -> None:
        for index, sequence, conditions in zip(indices, sequences, condlists, strict=False):
            self.expr(sequence)
            self.bind(index)
            for condition in conditions:
                self.expr(condition)

    def _items(self, o: ListExpr | TupleExpr | SetExpr) -> None:
        for item in o.items:
            self.expr(item)

    def _dict(self, o: DictExpr) -> None:
        for key, value in o.items:
            self.expr(key)
            self.expr(value)

    def _index(self, o: IndexExpr) -> None:
        if self._place_use(o):
            return
        if not self.borrow_use(o.base):
            self.expr(o.base)
        self.expr(o.index)

    def _comparison(self, o: ComparisonExpr) -> None:
        for operand in o.operands:
            self.expr(operand)

    def _slice(self, o: SliceExpr) -> None:
        self.expr(o.begin_index)
        self.expr(o.end_index)
        self.expr(o.stride)

    def _inner(
        self,
        o: UnaryExpr | StarExpr | AwaitExpr | YieldExpr | YieldFromExpr | TypeApplication,
    ) -> None:
        self.expr(o.expr)
        if isinstance(o, AwaitExpr | YieldExpr | YieldFromExpr) and self.tracker.state:
            self.forget_volatile()  # other code runs while this one is suspended


_EXPRESSIONS: Final[dict[type[Expression], Callable[[ExpressionWalker, Any], None]]] = {
    NameExpr: ExpressionWalker._name,
    MemberExpr: ExpressionWalker._member,
    CallExpr: ExpressionWalker._call,
    AssignmentExpr: ExpressionWalker._assignment_expr,
    ConditionalExpr: ExpressionWalker._conditional,
    OpExpr: ExpressionWalker._op,
    GeneratorExpr: ExpressionWalker._generator,
    LambdaExpr: ExpressionWalker._lambda,
    ListComprehension: ExpressionWalker._comprehension,
    SetComprehension: ExpressionWalker._comprehension,
    DictionaryComprehension: ExpressionWalker._dict_comprehension,
    ListExpr: ExpressionWalker._items,
    TupleExpr: ExpressionWalker._items,
    SetExpr: ExpressionWalker._items,
    DictExpr: ExpressionWalker._dict,
    IndexExpr: ExpressionWalker._index,
    ComparisonExpr: ExpressionWalker._comparison,
    SliceExpr: ExpressionWalker._slice,
    UnaryExpr: ExpressionWalker._inner,
    StarExpr: ExpressionWalker._inner,
    AwaitExpr: ExpressionWalker._inner,
    YieldExpr: ExpressionWalker._inner,
    YieldFromExpr: ExpressionWalker._inner,
    TypeApplication: ExpressionWalker._inner,
    CastExpr: ExpressionWalker._inner,
}


def _literal_truth(expr: Expression) -> bool | None:
    if isinstance(expr, NameExpr) and expr.fullname in ("builtins.True", "builtins.False"):
        return expr.fullname == "builtins.True"
    if isinstance(expr, IntExpr):
        return expr.value != 0
    return None
