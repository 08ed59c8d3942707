"""Giving ownership back: a function takes a value and returns it, so the caller keeps using it.

Borrowing (`Ref[...]`) is the shorter way to say the same thing, and is shown last.
"""

import owned
from owned import Owned, Ref


@owned.function
def print_years(years: Owned[list[int]]) -> Owned[list[int]]:
    for year in years.borrow():
        print(year)
    return years  # ownership goes back to the caller


@owned.function
def count_years(years: Ref[list[int]]) -> int:
    return len(years)  # only borrowed: nothing to give back


def main() -> None:
    years = Owned([2001, 2002])
    years = print_years(years)
    years = print_years(years)
    print(f"still ours: {years.value}")
    print(f"borrowed, not moved: {count_years(years)} years, and years is alive: {years.is_alive}")


if __name__ == "__main__":
    main()
