"""Rust Book listings 16-1 to 16-5: a thread that borrows a value is refused (E0373); moving
the value into it works, and the value is the thread's from then on."""

from __future__ import annotations

import owned
from owned import Owned


def count(name: str, upto: int) -> None:
    for i in range(1, upto):
        print(f"hi number {i} from the {name} thread!")


def show(v: owned.Ref[list[int]] | Owned[list[int]]) -> None:
    print(f"Here's a vector: {v.value}")


def main() -> None:
    handle = owned.spawn(count, "spawned", 10)  # listing 16-2: join before the main loop
    handle.join()
    count("main", 5)

    v = Owned([1, 2, 3])
    try:
        owned.spawn(show, v.borrow())  # listing 16-3: the thread may outlive `v`
    except owned.DanglingRefError as error:
        print(error)

    owned.spawn(show, v).join()  # listing 16-5: `move ||` hands `v` to the thread
    try:
        print(v.value)  # listing 16-4: `v` is the thread's now
    except owned.UseAfterMoveError as error:
        print(error)


if __name__ == "__main__":
    main()
