"""The cons list of Rust Book ch. 15 (`Cons(1, Box::new(Cons(2, Box::new(Nil))))`): each cell
owns the next one, travels out of the function that built it, and drops head first."""

from __future__ import annotations

from dataclasses import dataclass

import owned
from owned import Owned


@dataclass
class Cons:
    head: int
    tail: Owned[Cons] | None  # `Box<List>`; None is `Nil`

    def __drop__(self) -> None:
        print(f"drop Cons({self.head}, ...)")


@owned.function
def build() -> Owned[Cons]:
    # Each `Owned(...)` becomes a part of the cell that holds it, as `Box::new` moves into it.
    return Owned(Cons(1, Owned(Cons(2, Owned(Cons(3, None))))))


def total(cell: Cons | None) -> int:
    return 0 if cell is None else cell.head + total(cell.tail.value if cell.tail else None)


def main() -> None:
    with owned.scope():
        cons_list = build()
        print(f"built {cons_list!r}, sum {total(cons_list.value)}")
        print(f"its tail is a part: {cons_list.value.tail!r}")
        print("end of scope")


if __name__ == "__main__":
    main()
