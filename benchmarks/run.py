"""The runtime's benchmark table: each operation against a baseline timed in the same run.

Run `python benchmarks/run.py` (`--quick` for a rough pass; `OWNED_PURE_PYTHON=1` times the
interpreted core). Timings on shared machines are noisy, so every figure is the CPU time of
the measuring thread (time spent waiting for a core does not count) with the cost of the empty
loop taken off, the median of repeated runs with ours and the baseline interleaved, and every
goal is a ratio. Instruction counts (`valgrind --tool=callgrind`) are the repeatable
measure: `benchmarks/instructions.py` prints them for the same operations.
`main(scale=...)` shrinks every count, for the test suite's smoke run.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import owned  # noqa: E402
from owned import Owned, Ref  # noqa: E402


@dataclass
class Row:
    operation: str
    ours: float  # seconds per operation (or bytes)
    baseline: float | None
    goal: float | None  # None: measured and reported, no goal
    unit: str = "ns"

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else self.ours

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.ratio <= self.goal


class Slotted:
    __slots__ = ("_x",)

    def __init__(self, x: object) -> None:
        self._x = x

    @property
    def x(self) -> object:
        return self._x


def _per_op(stmt: str, namespace: dict[str, Any], number: int, setup: str = "pass") -> float:
    """CPU seconds per execution of `stmt` (gc off), the empty loop's cost taken off."""
    timer = timeit.Timer(stmt, setup, timer=time.thread_time, globals=namespace)
    empty = timeit.Timer("pass", setup, timer=time.thread_time, globals=namespace)
    return max(0.0, (timer.timeit(number) - empty.timeit(number)) / number)


def paired(
    ours: str,
    baseline: str,
    namespace: dict[str, Any],
    number: int,
    repeats: int,
    setup: str = "pass",
) -> tuple[float, float]:
    """Median per-op seconds of each statement, measured alternately so drift hits both."""
    _per_op(ours, namespace, max(1, number // 10), setup)
    _per_op(baseline, namespace, max(1, number // 10), setup)
    mine, theirs = [], []
    for index in range(repeats):
        if index % 2:
            mine.append(_per_op(ours, namespace, number, setup))
            theirs.append(_per_op(baseline, namespace, number, setup))
        else:
            theirs.append(_per_op(baseline, namespace, number, setup))
            mine.append(_per_op(ours, namespace, number, setup))
    return statistics.median(mine), statistics.median(theirs)


def row(
    operation: str,
    ours: str,
    baseline: str,
    goal: float | None,
    namespace: dict[str, Any],
    number: int,
    repeats: int,
) -> Row:
    a, b = paired(ours, baseline, namespace, number, repeats)
    return Row(operation, a, b, goal)


def _common() -> dict[str, Any]:
    return {"owned": owned, "Owned": Owned, "Slotted": Slotted, "threading": threading}


# -- version 1 operations ------------------------------------------------------------------


def value_read(n: int, repeats: int) -> Row:
    ns = {**_common(), "x": Owned(5), "p": Slotted(5)}
    unrolled = "; ".join(["x.value"] * 10)
    plain = "; ".join(["p.x"] * 10)
    r = row("x.value  vs  @property on a slotted class", unrolled, plain, 0.85, ns, n, repeats)
    return r


def borrow_block(n: int, repeats: int) -> Row:
    ns = {**_common(), "x": Owned(5), "lock": threading.Lock}
    return row(
        "with x.borrow() as r: r.value  vs  with threading.Lock():",
        "with x.borrow() as r: r.value",
        "with lock(): pass",
        1.15,
        ns,
        n,
        repeats,
    )


def temporary_borrow(n: int, repeats: int) -> Row:
    ns = {**_common(), "x": Owned([1, 2, 3]), "lock": threading.Lock}
    return row(
        "len(x.borrow()), a borrow ending with its statement  vs  with Lock()",
        "len(x.borrow())",
        "with lock(): pass",
        4.0,
        ns,
        n,
        repeats,
    )


def iterate_ref(n: int, repeats: int) -> Row:
    items = list(range(n))
    ns = {**_common(), "x": Owned(items), "items": items}
    a, b = paired("for y in x.borrow(): pass", "for y in items: pass", ns, 1, 2 * repeats + 1)
    return Row(f"iterate a {n:.0e}-item list through a Ref  vs  plain", a / n, b / n, 1.1)


def create_and_drop(n: int, repeats: int) -> Row:
    ns = {**_common(), "values": list(range(n))}
    a, b = paired(
        "with owned.scope():\n    for v in values: Owned(v)",
        "kept = []\nfor v in values: kept.append(Slotted(v))",
        ns,
        1,
        repeats,
    )
    return Row("Owned(v) + drop at scope exit  vs  creating a slotted object", a / n, b / n, 2.5)


def create_and_drop_now(n: int, repeats: int) -> Row:
    ns = {**_common()}
    return row(
        "Owned(v).drop()  vs  creating a slotted object",
        "Owned(5).drop()",
        "Slotted(5)",
        1.0,
        ns,
        n,
        repeats,
    )


def _move(n: int, repeats: int) -> Row:
    ns = {**_common()}
    a, b = 0.0, 0.0
    samples_a, samples_b = [], []
    for _ in range(repeats):
        setup = "x = Owned(5)"
        timer = timeit.Timer("x = x.move()", setup, timer=time.thread_time, globals=ns)
        empty = timeit.Timer("pass", setup, timer=time.thread_time, globals=ns)
        samples_a.append(max(0.0, (timer.timeit(n) - empty.timeit(n)) / n))
        samples_b.append(_per_op("y = Slotted(5)", ns, n))
    a, b = statistics.median(samples_a), statistics.median(samples_b)
    return Row("x = x.move()  vs  creating a slotted object", a, b, 0.7)


def function_calls(n: int, repeats: int) -> list[Row]:
    @owned.function
    def consume(years: Owned[int]) -> None:
        pass

    @owned.function
    def give_back(years: Owned[int]) -> Owned[int]:
        return years

    @owned.function
    def look(years: Ref[int]) -> None:
        pass

    def plain(years: int) -> int:
        return years

    ns = {**_common(), "consume": consume, "give_back": give_back, "look": look, "plain": plain}
    rows = []
    samples: dict[str, list[float]] = {"consume": [], "back": [], "look": [], "plain": []}
    for _ in range(repeats):
        samples["consume"].append(_per_op("consume(Owned(1))", ns, n) - _per_op("Owned(1)", ns, n))
        samples["back"].append(_per_op("x = give_back(x)", ns, n, setup="x = Owned(1)"))
        samples["look"].append(_per_op("look(x)", ns, n, setup="x = Owned(1)"))
        samples["plain"].append(_per_op("plain(1)", ns, n))
    base = statistics.median(samples["plain"])
    rows.append(
        Row(
            "@owned.function, an Owned moved in and dropped at return  vs  a plain call",
            statistics.median(samples["consume"]),
            base,
            27.0,
        )
    )
    rows.append(
        Row(
            "@owned.function, an Owned moved in and given back  vs  a plain call",
            statistics.median(samples["back"]),
            base,
            21.0,
        )
    )
    rows.append(
        Row(
            "@owned.function, a Ref[T] parameter  vs  a plain call",
            statistics.median(samples["look"]),
            base,
            24.0,
        )
    )
    return rows


def raw_alloc_free(n: int, repeats: int) -> Row:
    ns = {**_common(), "arena": owned.Arena()}
    return row(
        "arena.free(arena.alloc(None))  vs  creating a slotted object",
        "arena.free(arena.alloc(None))",
        "Slotted(None)",
        0.75,
        ns,
        n,
        repeats,
    )


def _fragmented(live: int) -> dict[str, Any]:
    """An arena with `live` blocks and a free extent between each, and sizes to churn with."""
    rng = Random(live)
    arena = owned.Arena()
    pointers = [arena.alloc(None, size=rng.choice((1, 1, 2, 3, 4, 8))) for _ in range(live * 2)]
    for pointer in pointers[::2]:
        arena.free(pointer)
    return {"alloc": arena.alloc, "free": arena.free, "keep": pointers, "sizes": [1, 2, 3]}


_CHURN = "free(alloc(None, size=sizes[i % 3])); i += 1"


def fragmented_churn(n_mid: int, n_large: int, pairs: int, repeats: int) -> list[Row]:
    small, middle, large = _fragmented(1_000), _fragmented(n_mid), _fragmented(n_large)
    gc.freeze()  # millions of objects: out of every collection while timing
    try:
        t_small, t_mid, t_large, t_slot = [], [], [], []
        for _ in range(repeats):
            t_mid.append(_per_op(_CHURN, {**middle, **_common()}, pairs, setup="i = 0"))
            t_slot.append(_per_op("Slotted(None)", _common(), pairs))
            t_large.append(_per_op(_CHURN, {**large, **_common()}, pairs, setup="i = 0"))
            t_small.append(_per_op(_CHURN, {**small, **_common()}, pairs, setup="i = 0"))
    finally:
        gc.unfreeze()
    med = statistics.median
    return [
        Row(
            f"fragmented alloc+free at {n_mid:.0e} live  vs  creating a slotted object",
            med(t_mid),
            med(t_slot),
            2.2,
        ),
        Row(
            f"fragmented alloc+free, {n_large:.0e} live  vs  1e3 live",
            med(t_large),
            med(t_small),
            1.2,
        ),
    ]


def bookkeeping(n: int) -> Row:
    values = [object() for _ in range(n)]
    gc.collect()
    with owned.scope():
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        handles = [Owned(value) for value in values]
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        list_cost = sys.getsizeof(handles)  # the benchmark's own list, not bookkeeping
        per_value = (after - before - list_cost) / n
    return Row("bookkeeping per live Owned (tracemalloc)", per_value, None, 120.0, unit="bytes")


_TRACE_SCRIPT = """
import owned
from owned import Owned
x = Owned([1, 2, 3])
for _ in range({moves}):
    x = x.move()
"""


def trace_overhead(moves: int) -> Row:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "moves.py"
        script.write_text(_TRACE_SCRIPT.format(moves=moves))
        environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}

        def run(*command: str) -> float:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(
                [sys.executable, *command], env=environment, check=True, capture_output=True
            )
            after = resource.getrusage(resource.RUSAGE_CHILDREN)  # CPU time, not waiting time
            return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)

        plain = statistics.median(run(str(script)) for _ in range(3))
        traced = statistics.median(run("-m", "owned", "trace", str(script)) for _ in range(3))
    return Row(f"python -m owned trace, {moves:.0e} moves  vs  untraced", traced, plain, 3.0, "s")


# -- version 2 operations ------------------------------------------------------------------


def parts_walk(n: int, repeats: int) -> Row:
    values = list(range(n))
    ns = {**_common(), "values": values}
    a, b = paired("Owned(values).drop()", "values.copy()", ns, 1, repeats)
    return Row(f"Owned(list of {n:.0e} ints) and its drop  vs  list.copy()", a, b, 1.0)


def big_mutable_borrow(n: int, repeats: int) -> Row:
    ns = {**_common(), "big": Owned(list(range(n))), "small": Owned(list(range(10)))}
    a, b = paired(
        "with big.borrow_mut() as m: m[7] = 7",
        "with small.borrow_mut() as m: m[7] = 7",
        ns,
        max(10, n // 20),
        repeats,
    )
    return Row(
        f"m[i] = i through borrow_mut() of a {n:.0e}-element list  vs  10 elements", a, b, 1.2
    )


def container_call(parts: int, n: int, repeats: int) -> Row:
    @owned.function
    def give_back(value: Owned[list[Any]]) -> Owned[list[Any]]:
        return value

    with owned.scope():
        container = Owned([Owned(index) for index in range(parts)])
        number = Owned(1)
        ns = {**_common(), "give_back": give_back, "C": [container], "I": [number]}
        a, b = paired(
            "c[0] = give_back(c[0])", "i[0] = give_back(i[0])", ns, n, repeats, "c = C; i = I"
        )
    return Row(
        f"a list of {parts:.0e} parts moved into an @owned.function and back  vs  an int",
        a,
        b,
        None,
    )


# -- version 2: smart pointers and threads ---------------------------------------------------


def rc_clone_and_drop(n: int, repeats: int) -> Row:
    with owned.scope():
        ns = {**_common(), "rc": owned.Rc(5)}
        a, b = paired("rc.clone().drop()", "Owned(5).drop()", ns, n, repeats)
    return Row("rc.clone() + drop  vs  Owned(v) + drop", a, b, 3.0)


def mutex_increment(n: int, repeats: int) -> Row:
    counter = owned.Mutex(0)
    box = [0]
    ns = {**_common(), "mutex": counter, "lock": threading.Lock(), "box": box}
    a, b = paired(
        "with mutex.lock() as g: g.value += 1",
        "with lock: box[0] += 1",
        ns,
        n,
        repeats,
    )
    return Row("uncontended `with mutex.lock() as g: g.value += 1`  vs  threading.Lock", a, b, 3.0)


def leaks_with_cycles(n: int, repeats: int) -> Row:
    from dataclasses import dataclass

    @dataclass
    class Link:
        next: Any

    arena = owned.Arena()
    with owned.scope(arena=arena):
        kept = [Owned(index) for index in range(n)]
        for _ in range(10):
            with owned.scope():
                node = owned.Rc(Link(owned.RefCell(None)))
                node.value.next.borrow_mut().value = node.clone()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            found = arena.leaks()
            times.append(time.perf_counter() - start)
        assert len(found) == 10 and len(kept) == n
    return Row(
        f"arena.leaks() on {n:.0e} live blocks with 10 cycles",
        statistics.median(times),
        None,
        None,
        "s",
    )


def main(scale: float = 1.0, repeats: int = 9) -> list[Row]:
    """Run every benchmark, print the table, and return its rows."""

    def size(count: int) -> int:
        return max(10, int(count * scale))

    rows = [
        value_read(size(200_000), repeats),
        borrow_block(size(200_000), repeats),
        temporary_borrow(size(200_000), repeats),
        iterate_ref(size(1_000_000), 2 * repeats + 1),  # one sample is one pass: take more
        create_and_drop(size(100_000), repeats),
        create_and_drop_now(size(100_000), repeats),
        _move(size(100_000), repeats),
        *function_calls(size(50_000), repeats),
        raw_alloc_free(size(100_000), repeats),
        *fragmented_churn(size(100_000), size(1_000_000), size(20_000), repeats),
        bookkeeping(size(100_000)),
        trace_overhead(size(100_000)),
        parts_walk(size(1_000_000), repeats),
        big_mutable_borrow(size(1_000_000), repeats),
        container_call(size(10_000), size(2_000), repeats),
        rc_clone_and_drop(size(100_000), repeats),
        mutex_increment(size(100_000), repeats),
        leaks_with_cycles(size(100_000), repeats),
    ]
    print(
        f"owned {owned.__version__}, {owned._build.build()} core, Python {sys.version.split()[0]}"
    )
    print(f"{'operation':78} {'ours':>10} {'baseline':>10} {'ratio':>7} {'goal':>7}  met")
    for r in rows:
        factor = 1e9 if r.unit == "ns" else 1.0
        if r.unit == "s":
            ours, base = f"{r.ours:.2f} s", f"{r.baseline:.2f} s" if r.baseline else ""
        else:
            ours = f"{r.ours * factor:.0f} {r.unit}"
            base = "" if r.baseline is None else f"{r.baseline * factor:.0f} {r.unit}"
        ratio = f"{r.ratio:.2f}x" if r.baseline else "-"
        goal = "-" if r.goal is None else (f"<={r.goal:g}x" if r.baseline else f"<={r.goal:g}")
        met = "-" if r.met is None else ("yes" if r.met else "NO")
        print(f"{r.operation:78} {ours:>10} {base:>10} {ratio:>7} {goal:>7}  {met}")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, fewer repeats")
    arguments = parser.parse_args()
    main(scale=0.2 if arguments.quick else 1.0, repeats=5 if arguments.quick else 9)
