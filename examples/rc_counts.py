"""Rust Book listings 15-18 and 15-19: two lists share a third through `Rc`, which counts them."""

from __future__ import annotations

from dataclasses import dataclass

import owned
from owned import Rc


@dataclass
class Cons:
    head: int
    tail: Rc[Cons] | None  # None is the book's Nil


def main() -> None:
    a = Rc(Cons(5, Rc(Cons(10, None))))
    print(f"count after creating a = {a.strong_count}")
    b = Cons(3, a.clone())
    print(f"count after creating b = {a.strong_count}")
    with owned.scope():
        c = Cons(4, a.clone())
        print(f"count after creating c = {a.strong_count}")
    print(f"count after c goes out of scope = {a.strong_count}")
    print(f"b and c shared a: {Rc.ptr_eq(b.tail, a)}, {c.head}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
