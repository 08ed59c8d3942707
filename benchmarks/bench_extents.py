"""How the cost of a first-fit take and a coalescing give_back grows with the heap.

The free-extent index promises O(log n) in the number of free extents, so a
heap a thousand times larger should cost each operation little more. This
script fragments an index with 1e3 and with 1e6 reserved blocks (mixed small
sizes, every other one given back), then times steady-state pairs of
operations on each and prints the cost per pair and the ratio, large / small:

- ``hot``: take a block and give it straight back, as a short-lived value
  does; first fit lands in the low holes, and the give_back re-merges them.
- ``churn``: give back a random live block, then take a new one, so the
  work spreads over the whole tree and the dicts.

Run it with ``python benchmarks/bench_extents.py [scale]``; ``main(scale)``
shrinks every count for a smoke test.
"""

import statistics
import sys
import time
from pathlib import Path
from random import Random

# Measure the checkout this script lives in, even when it is not installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from owned._extents import FreeExtents

_SEED = 20240601
_SIZES = (1, 1, 2, 2, 3, 4, 5, 8)  # mostly small values, a few larger ones
_SMALL_BLOCKS = 1_000
_LARGE_BLOCKS = 1_000_000
_PAIRS_PER_REPEAT = 20_000
_REPEATS = 7
_GOAL_RATIO = 1.5


def fragmented(blocks: int, rng: Random) -> tuple[FreeExtents, list[tuple[int, int]]]:
    """Take ``blocks`` blocks of mixed sizes, give every other one back, return the live ones."""
    extents = FreeExtents(None)
    reserved: list[tuple[int, int]] = []
    for _ in range(blocks):
        size = rng.choice(_SIZES)
        address = extents.take(size)
        assert address is not None  # a growable index always finds room
        reserved.append((address, size))
    for address, size in reserved[::2]:
        extents.give_back(address, size)
    return extents, reserved[1::2]


def hot_pairs(extents: FreeExtents, sizes: list[int]) -> int:
    """Nanoseconds for one take and its immediate give_back per entry of ``sizes``."""
    take = extents.take
    give_back = extents.give_back
    started = time.perf_counter_ns()
    for size in sizes:
        address = take(size)
        give_back(address, size)  # type: ignore[arg-type]  # growable: never None
    return time.perf_counter_ns() - started


def churn_pairs(
    extents: FreeExtents, live: list[tuple[int, int]], victims: list[int], sizes: list[int]
) -> int:
    """Nanoseconds for giving back ``live[victim]`` and taking a new block in its slot."""
    take = extents.take
    give_back = extents.give_back
    started = time.perf_counter_ns()
    for victim, size in zip(victims, sizes, strict=True):
        address, old_size = live[victim]
        give_back(address, old_size)
        live[victim] = (take(size), size)  # type: ignore[assignment]  # growable: never None
    return time.perf_counter_ns() - started


class _Heap:
    """A fragmented index of ``blocks`` blocks, rebuilt when churn has used it up."""

    def __init__(self, blocks: int) -> None:
        self.blocks = blocks
        self.extents, self.live = fragmented(blocks, Random(_SEED))
        self.fragmented_extents = len(self.extents)
        # Churn moves a heap towards first fit's own steady state, a small
        # heap within a few hundred pairs. To compare heaps in the same state,
        # a heap serves one churn pair per eight live blocks, then is rebuilt.
        self.pairs_per_heap = max(1, len(self.live) // 8)
        self.churn_budget = self.pairs_per_heap

    def hot(self, sizes: list[int]) -> int:
        """Nanoseconds for a hot pair per entry of ``sizes``; leaves the heap as it was."""
        return hot_pairs(self.extents, sizes)

    def churn(self, pairs: int, rng: Random) -> int:
        """Nanoseconds for ``pairs`` churn pairs, rebuilding (untimed) when the budget is spent."""
        elapsed = done = 0
        while done < pairs:
            if not self.churn_budget:
                self.extents, self.live = fragmented(self.blocks, Random(_SEED))
                self.churn_budget = self.pairs_per_heap
            batch = min(self.churn_budget, pairs - done)
            sizes = [rng.choice(_SIZES) for _ in range(batch)]
            victims = [rng.randrange(len(self.live)) for _ in range(batch)]
            elapsed += churn_pairs(self.extents, self.live, victims, sizes)
            done += batch
            self.churn_budget -= batch
        return elapsed


def main(scale: float = 1.0) -> dict[str, float]:
    """Time both heap sizes scaled by ``scale``, print a table, return the large/small ratios."""
    pairs = max(1, round(_PAIRS_PER_REPEAT * scale))
    repeats = _REPEATS if scale >= 1 else 3
    heaps = [_Heap(max(4, round(blocks * scale))) for blocks in (_SMALL_BLOCKS, _LARGE_BLOCKS)]
    rng = Random(_SEED + 1)
    workloads = ("hot", "churn")
    samples: dict[tuple[int, str], list[float]] = {
        (heap.blocks, workload): [] for heap in heaps for workload in workloads
    }
    for heap in heaps:  # warm the interpreter's specialisations before timing
        heap.hot([rng.choice(_SIZES) for _ in range(pairs)])
    # Interleave the heaps so that a change in machine load hits both alike;
    # all hot pairs first, as they need the heaps as freshly fragmented.
    for _ in range(repeats):
        for heap in heaps:
            sizes = [rng.choice(_SIZES) for _ in range(pairs)]
            samples[heap.blocks, "hot"].append(heap.hot(sizes) / pairs)
    for _ in range(repeats):
        for heap in heaps:
            samples[heap.blocks, "churn"].append(heap.churn(pairs, rng) / pairs)
    median = {key: statistics.median(values) for key, values in samples.items()}
    print(f"{pairs} take+give_back pairs per repeat, median of {repeats} repeats")
    print(f"{'workload':<8} {'blocks':>9} {'extents':>9} {'ns/pair':>9}")
    for workload in workloads:
        for heap in heaps:
            print(
                f"{workload:<8} {heap.blocks:>9} {heap.fragmented_extents:>9}"
                f" {median[heap.blocks, workload]:>9.0f}"
            )
    small, large = heaps
    ratios = {
        workload: median[large.blocks, workload] / median[small.blocks, workload]
        for workload in workloads
    }
    for workload, ratio in ratios.items():
        verdict = "ok" if ratio <= _GOAL_RATIO else "over"
        print(
            f"ratio {workload:<6} {large.blocks}/{small.blocks}: {ratio:.2f}x"
            f" (goal <= {_GOAL_RATIO}x: {verdict})"
        )
    return ratios


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
