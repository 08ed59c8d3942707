"""A struct with owned fields: dropping it runs its own `__drop__`, then its fields in
definition order (Rust's drop glue), while a scope still drops its values newest first."""

from __future__ import annotations

from dataclasses import dataclass

import owned
from owned import Owned


class Noisy:
    def __init__(self, name: str) -> None:
        self.name = name

    def __drop__(self) -> None:
        print(f"drop {self.name}")


@dataclass
class Connection:
    socket: Owned[Noisy]
    buffer: Owned[Noisy]
    log: Owned[Noisy]

    def __drop__(self) -> None:
        print("drop Connection")


def main() -> None:
    with owned.scope():
        conn = Owned(
            Connection(
                log=Owned(Noisy("log")),
                socket=Owned(Noisy("socket")),
                buffer=Owned(Noisy("buffer")),
            )
        )
        extra = Owned(Noisy("extra (made last, dropped first)"))
        print(f"{conn.name} owns its fields: {conn.value.socket!r}")
        print(f"`{extra.name}` belongs to the scope: {extra.owner is owned.current_scope()}")
        print("end of scope")


if __name__ == "__main__":
    main()
