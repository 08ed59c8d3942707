"""Hypothesis strategies for `owned`: owned values, arenas, and programs of ownership operations.

    from hypothesis import given, strategies as st
    from owned import strategies as ost

    @given(ost.owned_values(st.lists(st.integers())))
    def test_sum_borrows(xs): ...

A value drawn from these strategies (or from `st.from_type(Owned[T])`) is allocated in the
current scope's arena and belongs to the test case that drew it, as a function's parameters
belong to the call: unless the test moved it elsewhere, it is dropped when the test case ends,
newest first. (`strategy.example()`, for use at a prompt, leaves its value alive.)
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from hypothesis import control
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ._arena import Arena
from ._handles import Owned, drop_at_exit
from ._program import Outcome, Program, Step

__all__ = ["Outcome", "Program", "Step", "arenas", "owned_values", "programs"]

if sys.version_info < (3, 11):  # pragma: no cover - hypothesis depends on the backport there
    from exceptiongroup import BaseExceptionGroup

T = TypeVar("T")

# At least one cell: every value takes one (`Owned(7)`), so an arena of 0 cells could fit
# nothing that the examples below allocate.
_DEFAULT_CAPACITIES: Final = st.none() | st.integers(min_value=1, max_value=64)

# The handles each test case drew, dropped newest first when it ends (hypothesis runs cleanup
# tasks oldest first, so one task per test case drops the whole list in reverse).
_DRAWN: Final[weakref.WeakKeyDictionary[object, list[Owned[Any]]]] = weakref.WeakKeyDictionary()


def owned_values(
    elements: SearchStrategy[T], *, arena: Arena | None = None, size: int | None = None
) -> SearchStrategy[Owned[T]]:
    """Owned values holding elements drawn from `elements`.

    Args:
        elements: the strategy for the values to own.
        arena: where to allocate; default the arena of the scope current at draw time.
        size: cells per block; default `max(1, len(value))` for sized values, else 1.
    """
    if not isinstance(elements, SearchStrategy):
        raise TypeError(
            f"owned_values(elements) expects a hypothesis strategy, got {type(elements).__name__}:"
            " wrap a constant in st.just(...)"
        )
    if arena is not None and not isinstance(arena, Arena):
        raise TypeError(f"owned_values(arena=...) expects an owned.Arena or None, got {arena!r}")
    options: dict[str, SearchStrategy[Any]] = {}
    if arena is not None:
        options["arena"] = st.just(arena)
    if size is not None:
        options["size"] = st.just(size)
    return st.builds(_owned_by_test_case, elements, **options)


def arenas(capacities: SearchStrategy[int | None] = _DEFAULT_CAPACITIES) -> SearchStrategy[Arena]:
    """Empty arenas whose capacity (in cells; None: growing) is drawn from `capacities`.

    `arenas(st.just(8))` gives arenas of 8 cells, `arenas(st.none())` growing ones; the
    default draws both (a fixed arena of 1 to 64 cells, so that any one-cell value fits) and
    shrinks towards a growing arena:

        @given(ost.arenas())
        def test_a_small_value_fits(heap: Arena) -> None:
            with owned.scope(arena=heap):
                assert Owned(7).size == 1
    """
    if not isinstance(capacities, SearchStrategy):
        raise TypeError(
            f"arenas(capacities) expects a strategy of int | None, got {capacities!r}: "
            "for one capacity write arenas(st.just(capacity))"
        )
    return st.builds(Arena, capacities)


def programs(
    values: SearchStrategy[Any] | None = None,
    functions: Sequence[Callable[..., Any]] = (),
    *,
    max_steps: int = 20,
) -> SearchStrategy[Program]:
    """Programs of ownership operations, to fuzz `@owned.function`s (or the runtime itself).

    A program is a list of steps over numbered handles `h0, h1, ...` and borrows `r0, ...`:
    `h0 = Owned(v)`, `h1 = h0.move()`, `h2 = h0.clone()`, `r0 = h0.borrow()`,
    `r1 = h1.borrow_mut()`, `r0.release()`, `h0.value`, `h0.value = v`, `drop(h0)`,
    `h0.into_inner()`, `with scope():` blocks, and calls `h3 = f(h0, h1)` of `functions`
    with a handle for each positional parameter. `program.run()` executes it; refused
    operations are recorded as outcomes, anything else a step raises propagates.

    Args:
        values: strategy for the values made and written; default small integers.
        functions: the functions under test; each parameter receives one of the handles.
        max_steps: the longest program.
    """
    if values is None:
        values = st.integers(min_value=0, max_value=9)
    for function in functions:
        if not callable(function):
            raise TypeError(f"programs(functions=...) expects callables, got {function!r}")
    if max_steps < 0:
        raise ValueError(f"programs(max_steps=...) expects an int >= 0, got {max_steps!r}")
    return _programs(values, tuple(functions), max_steps)


# Raw indices are resolved modulo the names bound so far, so that every list of raw steps is a
# valid program: the shrinker can then delete any step and shrink any index towards 0.
_INDICES: Final = st.integers(min_value=0, max_value=255)
_ON_A_HANDLE: Final = ("move", "borrow", "read", "drop", "clone", "borrow_mut", "into_inner")


@st.composite
def _programs(
    draw: st.DrawFn,
    values: SearchStrategy[Any],
    functions: tuple[Callable[..., Any], ...],
    max_steps: int,
) -> Program:
    arities = [Program.arity_of(function) for function in functions]
    raw_steps = [
        st.tuples(st.just("new"), values),
        st.tuples(st.sampled_from(_ON_A_HANDLE), _INDICES),
        st.tuples(st.just("write"), _INDICES, values),
        st.tuples(st.just("release"), _INDICES),
        st.tuples(st.sampled_from(("enter", "exit"))),
    ]
    if functions:
        raw_steps.insert(
            1,
            st.tuples(
                st.just("call"),
                st.integers(0, len(functions) - 1),
                st.lists(_INDICES, min_size=max(arities), max_size=max(arities)),
            ),
        )
    raw = draw(st.lists(st.one_of(raw_steps), max_size=max_steps))
    return _resolve(raw, functions, arities)


def _resolve(  # noqa: PLR0912 - one branch per kind of step, read as a table
    raw: list[tuple[Any, ...]], functions: tuple[Callable[..., Any], ...], arities: list[int]
) -> Program:
    """Turn raw steps into a program, leaving out those with nothing to act on."""
    steps: list[Step] = []
    handles = borrows = depth = 0
    for kind, *rest in raw:
        if kind == "new":
            steps.append(Step("new", target=handles, value=rest[0]))
            handles += 1
        elif kind == "enter":
            steps.append(Step("enter"))
            depth += 1
        elif kind == "exit":
            if depth:
                steps.append(Step("exit"))
                depth -= 1
        elif kind == "release":
            if borrows:
                steps.append(Step("release", source=rest[0] % borrows))
        elif not handles:
            continue
        elif kind == "call":
            function = functions[rest[0]]
            arguments = tuple(index % handles for index in rest[1][: arities[rest[0]]])
            steps.append(Step("call", target=handles, function=function, arguments=arguments))
            handles += 1
        elif kind in ("move", "clone"):
            steps.append(Step(kind, source=rest[0] % handles, target=handles))
            handles += 1
        elif kind in ("borrow", "borrow_mut"):
            steps.append(Step(kind, source=rest[0] % handles, target=borrows))
            borrows += 1
        elif kind == "write":
            steps.append(Step("write", source=rest[0] % handles, value=rest[1]))
        else:
            steps.append(Step(kind, source=rest[0] % handles))
    return Program(steps)


def _owned_by_test_case(value: T, **options: Any) -> Owned[T]:
    """`Owned(value)`, dropped when the drawing test case ends unless moved or dropped by then."""
    return _dropped_after_test_case(Owned(value, **options))


# Falsifying examples print a drawn value as the call that made it: `Owned([0])`.
_owned_by_test_case.__name__ = _owned_by_test_case.__qualname__ = "Owned"


def _dropped_after_test_case(handle: Owned[T]) -> Owned[T]:
    if control.currently_in_test_context():
        context = control.current_build_context()
        if _is_example_call(context):
            return handle  # `strategy.example()` at a prompt: the caller keeps the value
        drawn = _DRAWN.get(context)
        if drawn is None:
            drawn = _DRAWN[context] = []
            control.cleanup(lambda: _drop_newest_first(drawn))
        drawn.append(handle)
    return handle


def _is_example_call(context: object) -> bool:
    """True inside `strategy.example()`, which hypothesis runs as a test of its own."""
    wrapped = getattr(context, "wrapped_test", None)
    return getattr(wrapped, "__name__", None) == "example_generating_inner_function"


def _drop_newest_first(handles: list[Owned[Any]]) -> None:
    failures = []
    for handle in reversed(handles):
        # A borrow still active dangles from here on, as when a scope exits under it.
        failures += drop_at_exit(handle, None)
    handles.clear()
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise BaseExceptionGroup("__drop__ raised at the end of the test case", failures)
