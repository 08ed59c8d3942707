"""The abstract state of the flow analysis: which names may hold a moved or dropped handle,
and which names hold a borrow (a loan) of which handle.

A name that is not in a `State` holds a live handle on every path (or is not tracked at all).
A name in it maps to a `Fact`: the moves and drops that may have been its last event, and
whether some path reaches this point with the handle still alive. A name bound to a borrow
maps to a `Fact` with its loans: a loan is kept only where it is the same on every path
joined, so a borrow conflict is reported only where the borrow is held on every path. States
are values: they are copied before a change, so a state handed to a join or a loop head never
changes under it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final, NamedTuple, TypeAlias

from mypy.nodes import Context, Expression, Var

if TYPE_CHECKING:
    from ._report import Reporter


class Kind(enum.Enum):
    """What ended a handle's life."""

    MOVE = "moved"
    DROP = "dropped"


class Event(NamedTuple):
    """A move or drop of a name, at the name's occurrence in the consuming expression."""

    kind: Kind
    site: Expression
    carried: bool = False
    """True once the event reached a loop's head again: it happened in a previous iteration."""


class Ending(enum.Enum):
    """How a borrow ended (`HELD`: it did not); the value is the runtime's wording."""

    HELD = ""
    RELEASED = "it was released"
    WITH = 'its "with" block ended'
    SCOPE = "its scope ended"


class Loan(NamedTuple):
    """A borrow of `owner` held by one name (or one `with` item)."""

    owner: Var
    owner_name: str
    mutable: bool
    site: Context
    """The borrow: the `x.borrow()` call, or the argument of an `@owned.function` call."""
    ending: Ending = Ending.HELD
    ended_at: Context | None = None


class Fact(NamedTuple):
    """What is known about one name at one point of the function."""

    events: frozenset[Event]
    maybe_alive: bool
    loans: tuple[Loan, ...] = ()
    """The borrows that the name holds (it is bound to a `Ref`/`RefMut`)."""
    aliases: frozenset[Var] = frozenset()
    """Other names bound to the same handle (`y = x`) on every path."""


State: TypeAlias = dict[Var, Fact]
"""`None` stands for an unreachable point wherever a `State | None` is expected."""

REPORTED: Final = Fact(frozenset(), maybe_alive=False)
"""A dead handle whose misuse was reported already: further uses stay silent."""
_ALIVE: Final = Fact(frozenset(), maybe_alive=True)


def join(first: State | None, second: State | None) -> State | None:
    """Return the state at a point reached from both inputs (`None` is the neutral element)."""
    if first is None or first is second:
        return second
    if second is None:
        return first
    joined: State = {}
    for var in first.keys() | second.keys():
        left = first.get(var, _ALIVE)
        right = second.get(var, _ALIVE)
        fact = Fact(
            left.events | right.events,
            left.maybe_alive or right.maybe_alive,
            _common_loans(left.loans, right.loans),
            left.aliases & right.aliases,
        )
        if fact != _ALIVE:
            joined[var] = fact
    return joined


def _common_loans(left: tuple[Loan, ...], right: tuple[Loan, ...]) -> tuple[Loan, ...]:
    """The loans held on both paths: the same owner, kind and ending (sites may differ)."""
    if left == right or not left or not right:
        return left if left == right else ()
    kinds = {(loan.owner, loan.mutable, loan.ending) for loan in right}
    return tuple(loan for loan in left if (loan.owner, loan.mutable, loan.ending) in kinds)


def join_all(states: Iterable[State | None]) -> State | None:
    """Return the join of any number of states (`None` if none is reachable)."""
    result: State | None = None
    for state in states:
        result = join(result, state)
    return result


def mark_carried(state: State | None, sites: set[Expression], *, carried: bool) -> State | None:
    """Return `state` with the events at `sites` marked as coming (or no longer) from a loop."""
    if not state or not sites:
        return state
    marked: State = {}
    for var, fact in state.items():
        events = frozenset(
            event._replace(carried=carried) if event.site in sites else event
            for event in fact.events
        )
        marked[var] = fact._replace(events=events)
    return marked


class Tracker:
    """The current state of one body, and the operations that statements apply to it."""

    __slots__ = ("loop_sites", "reporter", "state")

    def __init__(self, reporter: Reporter) -> None:
        self.state: State | None = {}
        self.reporter = reporter
        self.loop_sites: list[set[Expression]] = []
        """For each enclosing loop, the sites of the events created in its body."""

    def use(self, var: Var, name: Expression) -> None:
        """Check a read of `name`: report it if the handle may be dead."""
        state = self.state
        if state is None:
            return
        fact = state.get(var)
        if fact is None or not fact.events:
            return
        self.reporter.use(name, fact.events, definite=_definite(fact))
        self._set(state, var, REPORTED)

    def consume(self, var: Var, kind: Kind, name: Expression) -> None:
        """Apply a move or drop of `name` (itself a use of the handle)."""
        state = self.state
        if state is None:
            return
        fact = state.get(var)
        if fact is not None and (fact.events or not fact.maybe_alive):
            if fact.events:
                definite = _definite(fact)
                if kind is Kind.DROP and all(event.kind is Kind.DROP for event in fact.events):
                    self.reporter.double_drop(name, fact.events, definite=definite)
                else:
                    self.reporter.use(name, fact.events, definite=definite)
            self._set(state, var, REPORTED)
            return
        for sites in self.loop_sites:
            sites.add(name)
        dead = Fact(frozenset((Event(kind, name),)), maybe_alive=False)
        aliases = fact.aliases if fact is not None else frozenset()
        self._set(state, var, dead)
        if aliases:
            # The other names of the same handle die with it (`y = x; y.drop()` ends `x`).
            changed = dict(self.state or {})
            for alias in aliases:
                alias_fact = changed.get(alias, _ALIVE)
                if not alias_fact.events:
                    changed[alias] = dead
            self.state = changed

    def revive(self, var: Var) -> None:
        """Forget everything about `var`: it was rebound (or deleted with `del`).

        The borrows of its old value and the names aliasing it are forgotten with it.
        """
        state = self.state
        if not state:
            return
        fact = state.get(var)
        related = fact is not None and bool(fact.aliases)
        if not related and not any(other.loans for other in state.values()):
            if fact is not None:
                revived = dict(state)
                del revived[var]
                self.state = revived
            return
        revived = {}
        for other, other_fact in state.items():
            if other is var:
                continue
            kept = other_fact
            if var in kept.aliases:
                kept = kept._replace(aliases=kept.aliases - {var})
            if any(loan.owner is var for loan in kept.loans):
                kept = kept._replace(
                    loans=tuple(loan for loan in kept.loans if loan.owner is not var)
                )
            if kept != _ALIVE:
                revived[other] = kept
        self.state = revived

    # Aliases: `y = x` binds a second name to the same handle.

    def alias(self, new: Var, old: Var) -> None:
        """Record `new = old` (after `new` was rebound): a consumption of one ends both."""
        state = self.state
        if state is None:
            return
        old_fact = state.get(old, _ALIVE)
        if old_fact.events:
            return  # a dead handle: the use of `old` was reported already
        changed = dict(state)
        group = old_fact.aliases | {old}
        for member in group:
            member_fact = changed.get(member, _ALIVE)
            changed[member] = member_fact._replace(aliases=(group - {member}) | {new})
        changed[new] = Fact(frozenset(), maybe_alive=True, aliases=group)
        self.state = changed

    def aliases_of(self, var: Var) -> frozenset[Var]:
        """Return the other names bound to the handle of `var` on every path."""
        state = self.state
        fact = state.get(var) if state else None
        return fact.aliases if fact is not None else frozenset()

    # Loans: the borrows held by names.

    def held_loans(self, owner: Var) -> list[Loan]:
        """Return the borrows of `owner` that are held on every path to this point."""
        state = self.state
        if not state:
            return []
        return [
            loan
            for fact in state.values()
            for loan in fact.loans
            if loan.owner is owner and loan.ending is Ending.HELD
        ]

    def loans_of(self, holder: Var) -> tuple[Loan, ...]:
        """Return the loans that the name `holder` holds (or held: ended ones too)."""
        state = self.state
        fact = state.get(holder) if state else None
        return fact.loans if fact is not None else ()

    def use_is_dead(self, var: Var) -> bool:
        """Tell whether `var` may hold a dead handle (a use of it is reported, not checked)."""
        state = self.state
        fact = state.get(var) if state else None
        return fact is not None and (bool(fact.events) or not fact.maybe_alive)

    def lend(self, holder: Var, loans: tuple[Loan, ...]) -> None:
        """Bind `holder` (rebound just before) to a borrow holding `loans`."""
        state = self.state
        if state is None or not loans:
            return
        self._set(state, holder, Fact(frozenset(), maybe_alive=True, loans=loans))

    def end_loans(self, holder: Var, ending: Ending, site: Context) -> None:
        """End the borrow held by `holder` (`r.release()`, the end of its `with` block)."""
        state = self.state
        fact = state.get(holder) if state else None
        if state is None or fact is None or not fact.loans:
            return
        ended = tuple(
            loan._replace(ending=ending, ended_at=site) if loan.ending is Ending.HELD else loan
            for loan in fact.loans
        )
        self._set(state, holder, fact._replace(loans=ended))

    def forget_loans(self, holder: Var) -> None:
        """Stop following the borrow of `holder`: it went where the analysis does not look."""
        state = self.state
        fact = state.get(holder) if state else None
        if state is None or fact is None or not fact.loans:
            return
        forgotten = fact._replace(loans=())
        changed = dict(state)
        if forgotten == _ALIVE:
            del changed[holder]
        else:
            changed[holder] = forgotten
        self.state = changed

    def assume_alive(self, var: Var) -> None:
        """Narrow after `if x.is_alive:`: on this path the handle is alive."""
        self.revive(var)

    def assume_dead(self, var: Var) -> None:
        """Narrow after `if not x.is_alive:`: on this path one of the known events happened."""
        state = self.state
        if state is None:
            return
        fact = state.get(var)
        if fact is not None and fact.events and fact.maybe_alive:
            self._set(state, var, fact._replace(maybe_alive=False))

    def _set(self, state: State, var: Var, fact: Fact) -> None:
        changed = dict(state)
        changed[var] = fact
        self.state = changed


def _definite(fact: Fact) -> bool:
    # A value moved in a previous iteration is reported like Rust does: as moved, not "maybe".
    return not fact.maybe_alive or any(event.carried for event in fact.events)


def end_block_loans(
    state: State,
    holders: Iterable[Var],
    entry: frozenset[Loan] | None,
    ending: Ending,
    site: Context,
) -> State:
    """Return `state` at the end of a `with` block: the loans it made end with `ending`.

    `holders` are the names bound to the block's borrows (`with x.borrow() as r:`); for a
    `with owned.scope():` block, `entry` holds the loans made before it, and every loan made
    in the block ends. An exception, `return` or `break` leaving the block passes here too.
    """
    holding = set(holders)
    changed: State = {}
    for var, fact in state.items():
        if fact.loans and (var in holding or entry is not None):
            changed[var] = fact._replace(
                loans=tuple(
                    loan._replace(ending=ending, ended_at=site)
                    if loan.ending is Ending.HELD
                    and (var in holding or (entry is not None and loan not in entry))
                    else loan
                    for loan in fact.loans
                )
            )
        else:
            changed[var] = fact
    return changed


def loans_in(state: State | None) -> frozenset[Loan]:
    """Return every loan of `state` (held or ended)."""
    if not state:
        return frozenset()
    return frozenset(loan for fact in state.values() for loan in fact.loans)
