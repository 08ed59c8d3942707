"""`mem::take` on a struct field: move the field's value out through a mutable place,
leaving its default behind (`owned.take`); `owned.replace` leaves a value of your choice."""

from __future__ import annotations

from dataclasses import dataclass, field

import owned
from owned import MoveOutOfBorrowError, Owned


@dataclass
class Inbox:
    messages: Owned[list[str]] = field(default_factory=lambda: Owned([]))


def main() -> None:
    with owned.scope():
        inbox = Owned(Inbox())
        inbox.value.messages.value = ["hello", "world"]

        unread = owned.take(inbox.value.messages)  # `mem::take(&mut inbox.messages)`
        print(f"took {unread}, left {inbox.value.messages.value}")

        old = owned.replace(inbox.value.messages, ["new"])  # `mem::replace`
        print(f"replaced {old} with {inbox.value.messages.value}")

        with inbox.borrow() as shared:  # behind a `&`, the field cannot be moved out
            try:
                inbox.value.messages.move()
            except MoveOutOfBorrowError as error:
                print(error)
            print(f"still {shared.value.messages.value}")


if __name__ == "__main__":
    main()
