"""The Rust Book's `longest` (listings 10-21 to 10-23): a returned borrow keeps both arguments
borrowed for as long as it lives, so it cannot outlive the shorter-lived one."""

import owned
from owned import DanglingRefError, Owned, Ref


@owned.function
def longest(x: Ref[str], y: Ref[str]) -> Ref[str]:
    return x if len(x.value) > len(y.value) else y


def listing_10_21() -> None:
    with owned.scope():
        string1 = Owned("abcd")
        string2 = Owned("xyz")
        result = longest(string1.borrow(), string2.borrow())
        print(f"The longest string is {result.value}")


def listing_10_22() -> None:
    with owned.scope():
        string1 = Owned("long string is long")
        with owned.scope():
            string2 = Owned("xyz")
            result = longest(string1.borrow(), string2.borrow())
            print(f"The longest string is {result.value}")


def listing_10_23() -> None:
    with owned.scope():
        string1 = Owned("long string is long")
        with owned.scope():
            string2 = Owned("xyz")
            result = longest(string1.borrow(), string2.borrow())
        try:
            print(f"The longest string is {result.value}")
        except DanglingRefError as error:
            print(error.render())


def main() -> None:
    listing_10_21()
    listing_10_22()
    listing_10_23()


if __name__ == "__main__":
    main()
