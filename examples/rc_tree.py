"""Rust Book listings 15-28 and 15-29: a tree whose children point to their parent with `Weak`,
so that dropping the branch frees it (no cycle, no leak)."""

from __future__ import annotations

from dataclasses import dataclass

import owned
from owned import Rc, RefCell, Weak


@dataclass
class Node:
    value: int
    parent: RefCell[Weak[Node] | None]  # None is the book's Weak::new()
    children: RefCell[list[Rc[Node]]]


def parent_of(node: Rc[Node]) -> Rc[Node] | None:
    weak = node.value.parent.borrow().value
    return None if weak is None else weak.upgrade()


def main() -> None:
    arena = owned.current_scope().arena
    leaf = Rc(Node(3, RefCell(None), RefCell([])))
    print(f"leaf strong = {leaf.strong_count}, weak = {leaf.weak_count}")

    with owned.scope():
        branch = Rc(Node(5, RefCell(None), RefCell([leaf.clone()])))
        leaf.value.parent.borrow_mut().value = branch.downgrade()
        print(f"branch strong = {branch.strong_count}, weak = {branch.weak_count}")
        print(f"leaf strong = {leaf.strong_count}, weak = {leaf.weak_count}")
        parent = parent_of(leaf)
        print(f"leaf parent = {parent.value.value if parent else None}")
        del parent

    print(f"leaf parent = {parent_of(leaf)}")
    print(f"leaf strong = {leaf.strong_count}, weak = {leaf.weak_count}")
    print(f"leaks: {arena.leaks()}")


if __name__ == "__main__":
    main()
