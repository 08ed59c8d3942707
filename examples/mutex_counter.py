"""Rust Book listings 16-12 and 16-15: a `Mutex`, then a counter shared by ten threads
through `Arc(Mutex(0))`."""

from __future__ import annotations

import owned
from owned import Arc, Mutex


def add_one(counter: Arc[Mutex[int]]) -> None:
    with counter.value.lock() as num:
        num.value += 1


def main() -> None:
    m = Mutex(5)
    with m.lock() as num:
        num.value = 6
    print(f"m = {m}")

    counter = Arc(Mutex(0))
    handles = [owned.spawn(add_one, counter.clone()) for _ in range(10)]
    for handle in handles:
        handle.join()
    print(f"Result: {counter.value.lock().value}")
    print(f"strong count once the threads are done: {counter.strong_count}")


if __name__ == "__main__":
    main()
