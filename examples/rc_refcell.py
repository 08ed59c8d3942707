"""Rust Book listing 15-24: `Rc(RefCell(...))` lets several lists own one value and change it."""

from __future__ import annotations

from dataclasses import dataclass

from owned import Rc, RefCell


@dataclass
class Cons:
    head: Rc[RefCell[int]]
    tail: Rc[Cons | None]


def show(item: Cons | None) -> str:
    """The list as Rust's `{:?}` prints it."""
    if item is None:
        return "Nil"
    cell = item.head.value
    return f"Cons(RefCell {{ value: {cell.borrow().value} }}, {show(item.tail.value)})"


def main() -> None:
    value = Rc(RefCell(5))
    a = Rc(Cons(value.clone(), Rc(None)))
    b = Cons(Rc(RefCell(3)), a.clone())
    c = Cons(Rc(RefCell(4)), a.clone())

    with value.value.borrow_mut() as number:  # *value.borrow_mut() += 10;
        number.value += 10

    print(f"a after = {show(a.value)}")
    print(f"b after = {show(b)}")
    print(f"c after = {show(c)}")


if __name__ == "__main__":
    main()
