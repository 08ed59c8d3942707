"""The benchmark table in instructions: each operation against its baseline, counted by callgrind.

Timings on a shared machine move by 30% between runs; instruction counts do not (the same
binary, inputs and environment give the same count). Each row runs its statement N times
and 0 times under `valgrind --tool=callgrind` and takes the difference, for ours and for the
baseline, so interpreter start-up and imports cancel out. `python benchmarks/instructions.py`
prints the table (`--rows NAME...` for some rows; `OWNED_PURE_PYTHON=1` for the interpreted
core). It needs valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What every statement may use: the runtime, a slotted class, and a few functions.
PRELUDE = """
import threading
import owned
from owned import Owned, Ref

class Slotted:
    __slots__ = ("_x",)
    def __init__(self, x):
        self._x = x
    @property
    def x(self):
        return self._x

def plain(x):
    return x

@owned.function
def consume(years: Owned[int]) -> None:
    pass

@owned.function
def give_back(years: Owned[int]) -> Owned[int]:
    return years

@owned.function
def look(years: Ref[int]) -> None:
    pass

lock = threading.Lock
arena = owned.Arena()
"""

_RUNNER = """
import gc, sys
sys.path.insert(0, {src!r})
namespace = {{}}
exec({prelude!r}, namespace)
exec("def _run(n):\\n{setup}\\n    for _ in range(n):\\n        {stmt}\\n", namespace)
gc.disable()
namespace["_run"](10)
namespace["_run"]({count})
"""


@dataclass(frozen=True)
class Case:
    name: str
    ours: str
    baseline: str
    goal: float | None
    setup: str = "pass"  # run once inside the function, before the loop
    baseline_setup: str = "pass"


CASES = [
    Case("value", "x.value", "p.x", 0.85, "x = Owned(5)", "p = Slotted(5)"),
    Case("borrow", "with x.borrow() as r: r.value", "with lock(): pass", 1.15, "x = Owned(5)"),
    Case("temporary borrow", "len(x.borrow())", "with lock(): pass", 4.0, "x = Owned([1, 2])"),
    Case("Owned(v).drop()", "Owned(5).drop()", "Slotted(5)", 1.0),
    Case(
        "Owned(v) + drop at scope exit",
        "with owned.scope(): Owned(5)",
        "with lock(): Slotted(5)",
        2.5,
    ),
    Case("move", "x = x.move()", "y = Slotted(5)", 0.7, "x = Owned(5)"),
    Case("call, moved in and dropped", "consume(x)", "plain(1)", 27.0),
    Case("call, given back", "x = give_back(x)", "plain(1)", 21.0, "x = Owned(1)"),
    Case("call, Ref[T] parameter", "look(x)", "plain(1)", 24.0, "x = Owned(1)"),
    Case("arena.free(arena.alloc(None))", "arena.free(arena.alloc(None))", "Slotted(None)", 0.75),
]
# `consume(x)` needs a new value each time: the case's statement makes it, and its baseline
# makes one too, so that the call alone is compared.
CASES[6] = Case("call, moved in and dropped", "consume(Owned(1))", "Owned(1); plain(1)", 27.0)


def instructions(statement: str, setup: str, count: int) -> int:
    """Instructions callgrind counts for a run of `statement` `count` times."""
    source = _RUNNER.format(
        src=str(ROOT / "src"),
        prelude=PRELUDE,
        setup="\\n".join(f"    {line}" for line in setup.split(";")),
        stmt=statement,
        count=count,
    )
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "run.py"
        script.write_text(source)
        out = Path(folder) / "callgrind.out"
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, script],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        found = re.search(r"Collected : (\d+)", result.stderr)
        if result.returncode != 0 or found is None:
            raise RuntimeError(f"callgrind failed on {statement!r}: {result.stderr[-2000:]}")
        return int(found.group(1))


def per_op(statement: str, setup: str, count: int) -> float:
    return (instructions(statement, setup, count) - instructions(statement, setup, 0)) / count


def main(names: list[str] | None = None, count: int = 20_000) -> list[tuple[Case, float, float]]:
    chosen = [case for case in CASES if not names or case.name in names]
    rows = []
    import owned._build

    sys.path.insert(0, str(ROOT / "src"))
    print(f"instructions per operation (callgrind, n={count}), {owned._build.build()} core")
    print(f"{'operation':34} {'ours':>8} {'baseline':>9} {'ratio':>7} {'goal':>7}  met")
    for case in chosen:
        ours = per_op(case.ours, case.setup, count)
        base = per_op(case.baseline, case.baseline_setup, count)
        if case.name == "call, moved in and dropped":
            ours -= per_op("Owned(1)", "pass", count)  # the value the call consumes
            base -= per_op("Owned(1)", "pass", count)
        ratio = ours / base
        met = "-" if case.goal is None else ("yes" if ratio <= case.goal else "NO")
        goal = "-" if case.goal is None else f"<={case.goal:g}x"
        print(f"{case.name:34} {ours:8.0f} {base:9.0f} {ratio:6.2f}x {goal:>7}  {met}")
        rows.append((case, ours, base))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="*", help="only these rows (by name)")
    parser.add_argument("--count", type=int, default=20_000)
    arguments = parser.parse_args()
    main(arguments.rows, arguments.count)
