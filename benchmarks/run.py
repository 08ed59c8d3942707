"""The runtime's benchmark table: each operation against a baseline timed in the same run.

Run `python benchmarks/run.py` (add `--quick` for a rough pass). Timings on shared machines are
noisy, so every figure is the CPU time of the measuring thread (time spent waiting for a core
does not count), the median of repeated runs with baseline and ours interleaved, and every goal
is a ratio. `main(scale=...)` shrinks every count, for the test suite's smoke run.
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
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import owned  # noqa: E402
from owned import Owned  # noqa: E402
from owned._accelerator import ACCELERATOR  # noqa: E402

Timer = Callable[[int], float]  # runs n operations, returns seconds


@dataclass
class Row:
    operation: str
    ours: float  # seconds per operation (or bytes)
    baseline: float | None
    goal: float
    unit: str = "ns"

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else self.ours

    @property
    def met(self) -> bool:
        return self.ratio <= self.goal


class _Slotted:
    __slots__ = ("_x",)

    def __init__(self, x: object) -> None:
        self._x = x

    @property
    def x(self) -> object:
        return self._x


def _paired(ours: Timer, baseline: Timer, n: int, repeats: int) -> tuple[float, float]:
    """Median seconds per operation of each, measured alternately so drift hits both."""
    ours_times, base_times = [], []
    ours(max(1, n // 10))
    baseline(max(1, n // 10))
    for index in range(repeats):
        first, second = (ours, baseline) if index % 2 else (baseline, ours)
        a = first(n) / n
        b = second(n) / n
        if first is ours:
            ours_times.append(a)
            base_times.append(b)
        else:
            ours_times.append(b)
            base_times.append(a)
    return statistics.median(ours_times), statistics.median(base_times)


def _timed(loop: Callable[[], None]) -> float:
    """CPU seconds of this thread for `loop()`: time spent waiting for a core does not count."""
    gc.collect()
    gc.disable()
    try:
        started = time.thread_time()
        loop()
        return time.thread_time() - started
    finally:
        gc.enable()


def value_read(n: int, repeats: int) -> Row:
    handle = Owned(5)
    plain = _Slotted(5)

    def ours(count: int) -> float:
        def loop() -> None:
            for _ in range(count // 10):
                handle.value
                handle.value
                handle.value
                handle.value
                handle.value
                handle.value
                handle.value
                handle.value
                handle.value
                handle.value

        return _timed(loop)

    def baseline(count: int) -> float:
        def loop() -> None:
            for _ in range(count // 10):
                plain.x
                plain.x
                plain.x
                plain.x
                plain.x
                plain.x
                plain.x
                plain.x
                plain.x
                plain.x

        return _timed(loop)

    a, b = _paired(ours, baseline, n, repeats)
    return Row("x.value read  vs  @property on a slotted class", a, b, 1.5)


def borrow_block(n: int, repeats: int) -> Row:
    handle = Owned(5)

    def ours(count: int) -> float:
        def loop() -> None:
            for _ in range(count):
                with handle.borrow() as r:
                    r.value

        return _timed(loop)

    def baseline(count: int) -> float:
        lock_type = threading.Lock

        def loop() -> None:
            for _ in range(count):
                with lock_type():
                    pass

        return _timed(loop)

    a, b = _paired(ours, baseline, n, repeats)
    return Row("with x.borrow() as r: r.value  vs  with threading.Lock():", a, b, 3.0)


def iterate_ref(n: int, repeats: int) -> Row:
    items = list(range(n))
    handle = Owned(items)

    def ours(_count: int) -> float:
        def loop() -> None:
            with handle.borrow() as r:
                for _item in r:
                    pass

        return _timed(loop)

    def baseline(_count: int) -> float:
        def loop() -> None:
            for _item in items:
                pass

        return _timed(loop)

    a, b = _paired(ours, baseline, 1, repeats)
    return Row(f"iterate a {n:.0e}-item list through a Ref  vs  plain", a / n, b / n, 1.1)


def create_and_drop(n: int, repeats: int) -> Row:
    values = list(range(n))

    def ours(_count: int) -> float:
        def loop() -> None:
            with owned.scope():
                for value in values:
                    Owned(value)

        return _timed(loop)

    def baseline(_count: int) -> float:
        def loop() -> None:
            kept = []
            for value in values:
                kept.append(_Slotted(value))

        return _timed(loop)

    a, b = _paired(ours, baseline, 1, repeats)
    return Row("Owned(v) + drop at scope exit  vs  a slotted object", a / n, b / n, 15.0)


def function_call(n: int, repeats: int) -> Row:
    @owned.function
    def checked(years: Owned[int]) -> Owned[int]:
        return years

    def plain(years: int) -> int:
        return years

    def ours(count: int) -> float:
        def loop() -> None:
            handle = Owned(1)
            for _ in range(count):
                handle = checked(handle)

        return _timed(loop)

    def baseline(count: int) -> float:
        def loop() -> None:
            value = 1
            for _ in range(count):
                value = plain(value)

        return _timed(loop)

    a, b = _paired(ours, baseline, n, repeats)
    return Row("@owned.function call, one moved argument  vs  a plain call", a, b, 25.0)


def _fragmented_churn(live: int, pairs: int) -> Timer:
    """A timer of alloc+free pairs in an arena with `live` blocks and a free extent between each."""
    rng = Random(live)
    arena = owned.Arena()
    pointers = [arena.alloc(None, size=rng.choice((1, 1, 2, 3, 4, 8))) for _ in range(live * 2)]
    for pointer in pointers[::2]:  # every other block freed: a fragmented arena
        arena.free(pointer)
    sizes = [rng.choice((1, 2, 3)) for _ in range(pairs)]
    alloc, free = arena.alloc, arena.free

    def timer(count: int) -> float:
        def loop() -> None:
            for size in sizes[:count]:
                free(alloc(None, size=size))

        return _timed(loop)

    return timer


def alloc_free_scaling(n_large: int, pairs: int, repeats: int) -> Row:
    small = _fragmented_churn(min(1_000, n_large), pairs)
    large = _fragmented_churn(n_large, pairs)
    gc.freeze()  # the large arena's millions of objects: out of every collection while timing
    try:
        a, b = _paired(large, small, pairs, repeats)
    finally:
        gc.unfreeze()
    return Row(f"alloc+free, {n_large:.0e} live blocks  vs  1e3 live, fragmented", a, b, 1.5)


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
    return Row("bookkeeping per live Owned (tracemalloc)", per_value, None, 200.0, unit="bytes")


def affinecap_read(n: int, repeats: int) -> Row | None:
    try:
        import affinecap  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    cap = affinecap.issue(5)
    handle = Owned(5)

    def ours(count: int) -> float:
        def loop() -> None:
            for _ in range(count):
                handle.value

        return _timed(loop)

    def baseline(count: int) -> float:
        def loop() -> None:
            for _ in range(count):
                cap.generation

        return _timed(loop)

    a, b = _paired(ours, baseline, n, repeats)
    return Row("checked read x.value  vs  affinecap's cap.generation", a, b, 0.1)


_TRACE_SCRIPT = """
import owned
from owned import Owned
x = Owned([1, 2, 3])
for _ in range({moves}):
    x = x.move()
"""


def trace_overhead(moves: int) -> Row | None:
    if not (ROOT / "src" / "owned" / "_trace.py").exists():
        return None
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
    return Row(f"python -m owned trace, {moves:.0e} moves  vs  untraced", traced, plain, 5.0, "s")


def scaling(n: int) -> str:
    """Time (CPU) to create and drop `n` live values, then, in a second pass, their memory."""
    values = list(range(n))
    gc.collect()
    started = time.thread_time()
    with owned.scope():
        handles = [Owned(value) for value in values]
        created = time.thread_time()
        del handles
    finished = time.thread_time()
    gc.collect()
    tracemalloc.start()
    with owned.scope():
        handles = [Owned(value) for value in values]
        peak = tracemalloc.get_traced_memory()[1]
        del handles
    tracemalloc.stop()
    return (
        f"{n:.0e} live Owned values: created in {created - started:.2f} s, dropped at scope "
        f"exit in {finished - created:.2f} s (CPU); peak traced memory {peak / 2**20:.0f} MiB"
    )


def main(scale: float = 1.0, repeats: int = 9) -> list[Row]:
    """Run every benchmark, print the table, and return its rows."""

    def size(count: int) -> int:
        return max(10, int(count * scale))

    rows = [
        value_read(size(200_000), repeats),
        borrow_block(size(100_000), repeats),
        iterate_ref(size(1_000_000), 2 * repeats + 1),  # one sample is one pass: take more
        create_and_drop(size(50_000), repeats),
        function_call(size(50_000), repeats),
        alloc_free_scaling(size(1_000_000), size(20_000), repeats),
        bookkeeping(size(100_000)),
    ]
    optional = [affinecap_read(size(100_000), repeats), trace_overhead(size(100_000))]
    rows.extend(row for row in optional if row is not None)
    built = "C accelerator on" if ACCELERATOR is not None else "pure Python"
    print(f"runtime: {built} (OWNED_PURE_PYTHON=1 runs the pure-Python path)")
    print(f"{'operation':62} {'ours':>10} {'baseline':>10} {'ratio':>7} {'goal':>6}  met")
    for row in rows:
        factor = 1e9 if row.unit == "ns" else 1.0
        ours = f"{row.ours * factor:.0f} {row.unit}" if row.unit != "s" else f"{row.ours:.2f} s"
        base = (
            ""
            if row.baseline is None
            else (
                f"{row.baseline * factor:.0f} {row.unit}"
                if row.unit != "s"
                else f"{row.baseline:.2f} s"
            )
        )
        ratio = f"{row.ratio:.2f}x" if row.baseline else "-"
        goal = f"<={row.goal:g}x" if row.baseline else f"<={row.goal:g}"
        print(
            f"{row.operation:62} {ours:>10} {base:>10} {ratio:>7} {goal:>6}  "
            f"{'yes' if row.met else 'NO'}"
        )
    print(scaling(size(1_000_000)))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, fewer repeats")
    arguments = parser.parse_args()
    main(scale=0.2 if arguments.quick else 1.0, repeats=5 if arguments.quick else 9)
