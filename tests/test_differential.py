"""The compiled and the interpreted core run the same programs alike, step for step.

The two builds cannot share a process (the build is chosen at the first import), so each runs
in a child (`tests/differential_child.py`) that hypothesis feeds programs to, one per example.
After every step both report the outcome (the result's repr, or the refusal's type and full
message), the arena's stats and events (all but their times), and the repr of every handle
and borrow the program bound; the test compares the two transcripts whole.

Mutation: in `_handles.transfer`, make a refused move of a borrowed handle say "cannot move"
instead of "cannot move out of" only `if cython.compiled:`, then rebuild (`python
hatch_build.py`): the explicit example fails at its third step, and hypothesis alone finds and
shrinks it to `h1 = peek(h0, h0)` under the `thorough` profile.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings

from owned import strategies as ost
from owned.strategies import Program, Step

CHILD = Path(__file__).with_name("differential_child.py")
_spec = importlib.util.spec_from_file_location("differential_child", CHILD)
assert _spec is not None and _spec.loader is not None
child = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(child)


class Side:
    """A child process running one build, answering one program per line."""

    def __init__(self, build: str) -> None:
        environment = {**os.environ, "OWNED_PURE_PYTHON": "1" if build == "python" else "0"}
        self.process = subprocess.Popen(
            [sys.executable, str(CHILD)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=environment,
        )
        self.build = json.loads(self.ask_line(None))["build"]

    def ask_line(self, line: str | None) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        if line is not None:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, f"the {self.build if line else ''} child exited: {self.process.wait()}"
        return answer

    def run(self, program: str) -> list[dict[str, Any]]:
        transcript: list[dict[str, Any]] = json.loads(self.ask_line(program))
        return transcript

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=60)
        self.process.stdout.close()
        assert code == 0


@pytest.fixture(scope="module")
def sides() -> Iterator[tuple[Side, Side]]:
    compiled, interpreted = Side("c"), Side("python")
    try:
        yield compiled, interpreted
    finally:
        compiled.close()
        interpreted.close()


def test_both_children_run_the_build_they_were_asked_for(sides: tuple[Side, Side]) -> None:
    """Else the comparison would compare a build with itself."""
    assert [side.build for side in sides] == ["compiled", "interpreted"]


# The refusals of the README, in every run: moves of a moved and of a borrowed value, a call
# given one value twice (borrowed and moved), a drop in an inner block.
_REFUSALS = Program(
    [
        Step("new", target=0, value=1),
        Step("borrow", source=0, target=0),
        Step("move", source=0, target=1),
        Step("release", source=0),
        Step("move", source=0, target=2),
        Step("move", source=0, target=3),
        Step("call", target=4, function=child.peek, arguments=(2, 2)),
        Step("enter"),
        Step("drop", source=2),
        Step("read", source=2),
        Step("exit"),
    ]
)


# A few dozen programs in a plain run; ten times more under the `thorough` profile.
@settings(max_examples=max(10, settings().max_examples // 3))
@given(ost.programs(functions=child.FUNCTIONS, max_steps=30))
@example(_REFUSALS)
def test_the_builds_run_every_program_alike(sides: tuple[Side, Side], program: Program) -> None:
    line = child.encode(program)
    compiled, interpreted = (side.run(line) for side in sides)
    for index, (fast, plain) in enumerate(zip(compiled, interpreted, strict=True)):
        assert fast == plain, f"step {index} ({fast['step']}) differs between the builds"
