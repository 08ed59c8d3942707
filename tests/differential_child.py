"""One side of `tests/test_differential.py`: runs programs in this process's build, step by step.

Run as a script (`python tests/differential_child.py`), it says which build it runs, then reads
one program per line on stdin (the JSON of `encode`) and answers each with one line: the JSON
transcript of the program, one entry per step (what the step did, the arena's stats and
events, each bound name's state) plus the state after the block's end. `tests/
test_differential.py` imports this file too, for the functions that the programs call.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import owned
from owned import Owned, Ref, _build
from owned._program import Outcome, Program, Step, _Run


@owned.function
def consume(value: Owned[int]) -> int:
    """Takes ownership of its argument and returns a plain result."""
    return value.value + 1


@owned.function
def pass_on(value: Owned[int]) -> Owned[int]:
    """Takes ownership of its argument and returns it (the caller owns it again)."""
    return value


@owned.function
def peek(first: Ref[int], second: Owned[int]) -> int:
    """Borrows its first argument, takes the second and borrows it in the body (`print_years`)."""
    with second.borrow() as seen:
        return first.value + seen.value


FUNCTIONS = (consume, pass_on, peek)


def encode(program: Program) -> str:
    """The program as one line of JSON; a call names its function by its index in FUNCTIONS."""
    steps = [
        [
            step.kind,
            step.source,
            step.target,
            step.value,
            None if step.function is None else FUNCTIONS.index(step.function),
            list(step.arguments),
        ]
        for step in program.steps
    ]
    return json.dumps(steps)


def decode(line: str) -> Program:
    return Program(
        [
            Step(
                kind,
                source,
                target,
                value,
                None if function is None else FUNCTIONS[function],
                tuple(arguments),
            )
            for kind, source, target, value, function, arguments in json.loads(line)
        ]
    )


def _outcome(outcome: Outcome) -> dict[str, Any]:
    error = outcome.error
    return {
        "result": repr(outcome.result),
        "skipped": outcome.skipped,
        "error": None if error is None else type(error).__name__,
        "message": None if error is None else str(error),
    }


def _state(arena: owned.Arena, run: _Run | None) -> dict[str, Any]:
    """What a user can see after a step: stats, every event but its time, every name's repr."""
    return {
        "stats": repr(arena.stats()),
        "events": [
            {key: value for key, value in event.as_dict().items() if key != "time_ns"}
            for event in arena.events()
        ],
        "handles": [] if run is None else [repr(handle) for handle in run.handles],
        "borrows": [] if run is None else [repr(borrow) for borrow in run.borrows],
    }


def transcript(program: Program) -> list[dict[str, Any]]:
    """Run `program` in a fresh recording arena, noting everything after every step."""
    arena = owned.Arena(record_events=True)
    entries: list[dict[str, Any]] = []
    run = _Run()
    with owned.scope("program", arena=arena):
        try:
            for step in program.steps:
                outcome = run.execute(step)
                entries.append({"step": str(step), **_outcome(outcome), **_state(arena, run)})
        finally:
            run.close_scopes(None)
    entries.append({"step": "end of the program's block", **_state(arena, run)})
    return entries


def main() -> None:
    print(json.dumps({"build": _build.BUILD}), flush=True)
    for line in sys.stdin:
        print(json.dumps(transcript(decode(line))), flush=True)


if __name__ == "__main__":
    main()
