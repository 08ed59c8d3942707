"""`__drop__` (Rust's Drop trait) shows the order: reverse order of creation, also on errors."""

import owned
from owned import Owned


class Noisy:
    def __init__(self, name: str) -> None:
        self.name = name

    def __drop__(self) -> None:
        print(f"drop {self.name}")


def main() -> None:
    with owned.scope():
        Owned(Noisy("first"))
        Owned(Noisy("second"))
        Owned(Noisy("third"))
        print("end of block")

    try:
        with owned.scope():
            Owned(Noisy("connection"))
            Owned(Noisy("transaction"))
            raise RuntimeError("query failed")
    except RuntimeError as error:
        print(f"the error still propagates: {error}")


if __name__ == "__main__":
    main()
