"""Rust Book listing 15-26: a reference cycle of `Rc`s leaks, and `arena.leaks()` shows it."""

from __future__ import annotations

from dataclasses import dataclass

import owned
from owned import Rc, RefCell


@dataclass
class Cons:
    head: int
    tail: RefCell[Rc[Cons | None]]


def show(item: Cons | None) -> str:
    """The list as Rust's `{:?}` prints it (one level, as the book's `tail()` does)."""
    if item is None:
        return "Nil"
    tail = item.tail.borrow().value.value
    return f"Cons({item.head}, RefCell {{ value: {show(tail)} }})"


def main() -> None:
    with owned.scope():
        a = Rc(Cons(5, RefCell(Rc(None))))
        print(f"a initial rc count = {a.strong_count}")
        print(f"a next item = Some(RefCell {{ value: {show(a.value.tail.borrow().value.value)} }})")

        b = Rc(Cons(10, RefCell(a.clone())))
        print(f"a rc count after b creation = {a.strong_count}")
        print(f"b initial rc count = {b.strong_count}")
        print(f"b next item = Some(RefCell {{ value: {show(b.value.tail.borrow().value.value)} }})")

        with a.value.tail.borrow_mut() as link:  # *link.borrow_mut() = Rc::clone(&b);
            link.value = b.clone()

        print(f"b rc count after changing a = {b.strong_count}")
        print(f"a rc count after changing a = {a.strong_count}")
    # a and b went out of scope, but each block still holds the other: neither is freed.
    for leak in owned.current_scope().arena.leaks():
        print(f"leaked {leak.name}: {' -> '.join(leak.cycle)}")


if __name__ == "__main__":
    main()
