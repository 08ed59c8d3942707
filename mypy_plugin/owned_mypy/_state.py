"""The abstract state of the flow analysis: which names may hold a moved or dropped handle.

A name that is not in a `State` holds a live handle on every path (or is not tracked at all).
A name in it maps to a `Fact`: the moves and drops that may have been its last event, and
whether some path reaches this point with the handle still alive. States are values: they are
copied before a change, so a state handed to a join or a loop head never changes under it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final, NamedTuple, TypeAlias

from mypy.nodes import NameExpr, Var

if TYPE_CHECKING:
    from ._report import Reporter


class Kind(enum.Enum):
    """What ended a handle's life."""

    MOVE = "moved"
    DROP = "dropped"


class Event(NamedTuple):
    """A move or drop of a name, at the name's occurrence in the consuming expression."""

    kind: Kind
    site: NameExpr
    carried: bool = False
    """True once the event reached a loop's head again: it happened in a previous iteration."""


class Fact(NamedTuple):
    """What is known about one name at one point of the function."""

    events: frozenset[Event]
    maybe_alive: bool


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
        fact = Fact(left.events | right.events, left.maybe_alive or right.maybe_alive)
        if fact != _ALIVE:
            joined[var] = fact
    return joined


def join_all(states: Iterable[State | None]) -> State | None:
    """Return the join of any number of states (`None` if none is reachable)."""
    result: State | None = None
    for state in states:
        result = join(result, state)
    return result


def mark_carried(state: State | None, sites: set[NameExpr], *, carried: bool) -> State | None:
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
        self.loop_sites: list[set[NameExpr]] = []
        """For each enclosing loop, the sites of the events created in its body."""

    def use(self, var: Var, name: NameExpr) -> None:
        """Check a read of `name`: report it if the handle may be dead."""
        state = self.state
        if state is None:
            return
        fact = state.get(var)
        if fact is None or not fact.events:
            return
        self.reporter.use(name, fact.events, definite=_definite(fact))
        self._set(state, var, REPORTED)

    def consume(self, var: Var, kind: Kind, name: NameExpr) -> None:
        """Apply a move or drop of `name` (itself a use of the handle)."""
        state = self.state
        if state is None:
            return
        fact = state.get(var)
        if fact is not None:
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
        self._set(state, var, Fact(frozenset((Event(kind, name),)), maybe_alive=False))

    def revive(self, var: Var) -> None:
        """Forget everything about `var`: it was rebound (or deleted with `del`)."""
        state = self.state
        if state and var in state:
            revived = dict(state)
            del revived[var]
            self.state = revived

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
