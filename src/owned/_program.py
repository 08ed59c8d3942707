"""Programs of ownership operations: what `owned.strategies.programs()` draws, and how it runs."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, final

from ._borrows import Ref, RefMut
from ._errors import OwnershipError
from ._handles import Owned
from ._scope import Scope, current_scope, scope

__all__ = ["Outcome", "Program", "Step"]

# Steps that bind a new handle `h<target>` and a new borrow `r<target>`.
_MAKES_HANDLE: Final = frozenset({"new", "move", "clone", "call"})
_MAKES_BORROW: Final = frozenset({"borrow", "borrow_mut"})


@final
@dataclass(frozen=True, repr=False)
class Step:
    """One operation of a `Program`; `str(step)` is the line of Python it stands for.

    Attributes:
        kind: new, move, clone, borrow, borrow_mut, release, read, write, drop, into_inner,
            call, enter (`with scope():`) or exit (the end of that block).
        source: the handle (or, for release, the borrow) the step uses.
        target: the handle or borrow the step binds.
        value: the value made (new) or written (write).
        function: the function called (call); `arguments` are the handles passed to it.
    """

    kind: str
    source: int | None = None
    target: int | None = None
    value: Any = None
    function: Callable[..., Any] | None = None
    arguments: tuple[int, ...] = ()

    def __str__(self) -> str:
        h, r = f"h{self.source}", f"r{self.source}"
        kind = self.kind
        if kind == "new":
            return f"h{self.target} = Owned({self.value!r})"
        if kind in ("move", "clone"):
            return f"h{self.target} = {h}.{kind}()"
        if kind in _MAKES_BORROW:
            return f"r{self.target} = {h}.{kind}()"
        if kind == "call":
            name = getattr(self.function, "__name__", repr(self.function))
            arguments = ", ".join(f"h{index}" for index in self.arguments)
            return f"h{self.target} = {name}({arguments})"
        return {
            "release": f"{r}.release()",
            "read": f"{h}.value",
            "write": f"{h}.value = {self.value!r}",
            "drop": f"drop({h})",
            "into_inner": f"{h}.into_inner()",
            "enter": "with scope():",
            "exit": "",
        }[kind]

    def __repr__(self) -> str:
        return f"<Step {self.kind}>" if self.kind == "exit" else f"<Step `{self}`>"


@final
@dataclass(frozen=True, repr=False)
class Outcome:
    """What one step did: its result, the `OwnershipError` that refused it, or skipped."""

    step: Step
    result: Any = None
    error: OwnershipError | None = None
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return "skipped: uses a name that was never bound"
        if self.error is not None:
            return f"{type(self.error).__name__}"
        return "ok"

    def __repr__(self) -> str:
        return f"<Outcome {self.step!r}: {self}>"


@final
class Program:
    """A sequence of ownership operations; `run()` executes it in a new scope.

    Its repr is the program as Python, so a shrunk falsifying example reads like a test.
    """

    __slots__ = ("steps",)

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps: Final = tuple(steps)

    @staticmethod
    def arity_of(function: Callable[..., Any]) -> int:
        """How many handles a call of `function` passes: one per positional parameter."""
        parameters = inspect.signature(function).parameters.values()
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        return sum(
            1
            for parameter in parameters
            if parameter.kind in positional and parameter.default is inspect.Parameter.empty
        )

    def run(self) -> list[Outcome]:
        """Execute every step in a new scope of the current arena; return what each did.

        A step refused with an `OwnershipError` is recorded and must change nothing (else
        `AssertionError`); a step that uses a name never bound (its making step was refused)
        is skipped; any other exception propagates. In a hypothesis test, the final
        (shrunk) example notes the program with each step's outcome.
        """
        run = _Run()
        try:
            with scope("program"):
                try:
                    for step in self.steps:
                        run.outcomes.append(run.execute(step))
                except BaseException as failure:
                    run.close_scopes(failure)
                    raise
                run.close_scopes(None)
        finally:
            _note(self.listing(run.outcomes))
        return run.outcomes

    def listing(self, outcomes: Sequence[Outcome] = ()) -> str:
        """The program as Python, each line followed by its outcome when one is given."""
        lines = []
        depth = 0
        for index, step in enumerate(self.steps):
            if step.kind == "exit":
                depth -= 1
                continue
            line = "    " * depth + str(step)
            if index < len(outcomes) and step.kind != "enter":
                outcome = outcomes[index]
                if outcome.error is not None or outcome.skipped:
                    line += f"  # {outcome}"
            lines.append(line)
            if step.kind == "enter":
                depth += 1
        return "\n".join(lines)

    def __repr__(self) -> str:
        body = self.listing()
        return "Program('''\n" + body + ("\n" if body else "") + "''')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Program) and other.steps == self.steps

    def __hash__(self) -> int:
        return hash(self.steps)


class _Run:
    """The names a running program has bound, and its open scopes."""

    def __init__(self) -> None:
        self.handles: list[Owned[Any] | None] = []
        self.borrows: list[Ref[Any] | RefMut[Any] | None] = []
        self.scopes: list[Scope] = []
        self.outcomes: list[Outcome] = []

    def execute(self, step: Step) -> Outcome:  # noqa: PLR0911 - one exit per kind of step
        kind = step.kind
        if kind == "enter":
            inner = scope()
            inner.__enter__()
            self.scopes.append(inner)
            return Outcome(step)
        if kind == "exit":
            self.scopes.pop().__exit__(None, None, None)
            return Outcome(step)
        if kind == "release":
            borrow = self.borrows[step.source or 0]
            return Outcome(step, skipped=True) if borrow is None else self._try(step, borrow)
        if kind == "call":
            arguments = [self.handles[index] for index in step.arguments]
            if any(argument is None for argument in arguments):
                self.handles.append(None)
                return Outcome(step, skipped=True)
            return self._call(step, arguments)
        handle = self.handles[step.source] if step.source is not None else None
        if handle is None and kind != "new":
            self._bind(step, None)
            return Outcome(step, skipped=True)
        return self._try(step, handle)

    def _try(self, step: Step, subject: Any) -> Outcome:
        """Run a built-in operation; a refusal must leave the arena as it was."""
        arena = current_scope().arena
        before = arena.stats()
        try:
            result = _OPERATIONS[step.kind](subject, step)
        except OwnershipError as refusal:
            after = arena.stats()
            if (before.live_blocks, before.live_cells, before.allocs) != (
                after.live_blocks,
                after.live_cells,
                after.allocs,
            ):
                raise AssertionError(
                    f"`{step}` was refused ({type(refusal).__name__}) but changed the arena: "
                    f"{before} -> {after}"
                ) from refusal
            self._bind(step, None)
            return Outcome(step, error=refusal)
        self._bind(step, result)
        return Outcome(step, result=result)

    def _call(self, step: Step, arguments: list[Any]) -> Outcome:
        assert step.function is not None
        try:
            result = step.function(*arguments)
        except OwnershipError as refusal:
            self.handles.append(None)
            return Outcome(step, error=refusal)
        self._bind(step, result if isinstance(result, Owned) else None)
        return Outcome(step, result=result)

    def _bind(self, step: Step, result: Any) -> None:
        if step.kind in _MAKES_HANDLE:
            if isinstance(result, Owned) and result.name is None:
                result._name_as(f"h{step.target}")  # errors name it so
            self.handles.append(result)
        elif step.kind in _MAKES_BORROW:
            self.borrows.append(result)

    def close_scopes(self, failure: BaseException | None) -> None:
        """Exit the scopes still open, innermost first, passing on the exception unwinding."""
        while self.scopes:
            inner = self.scopes.pop()
            if failure is None:
                inner.__exit__(None, None, None)
            else:
                inner.__exit__(type(failure), failure, failure.__traceback__)


def _write(handle: Owned[Any], step: Step) -> None:
    handle.value = step.value


_OPERATIONS: Final[dict[str, Callable[[Any, Step], Any]]] = {
    "new": lambda _, step: Owned(step.value, name=f"h{step.target}"),
    "move": lambda handle, _: handle.move(),
    "clone": lambda handle, _: handle.clone(),
    "borrow": lambda handle, _: handle.borrow(),
    "borrow_mut": lambda handle, _: handle.borrow_mut(),
    "release": lambda borrow, _: borrow.release(),
    "read": lambda handle, _: handle.value,
    "write": _write,
    "drop": lambda handle, _: handle.drop(),
    "into_inner": lambda handle, _: handle.into_inner(),
}


def _note(text: str) -> None:
    """`hypothesis.note(text)` when running inside a hypothesis test (never imports it)."""
    control = sys.modules.get("hypothesis.control")
    if control is not None and control.currently_in_test_context():
        control.note("program, with the outcome of each refused or skipped step:\n" + text)
