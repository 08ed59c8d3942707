"""Moving a vector into a function twice: Rust's E0382, caught at run time."""

import owned
from owned import Owned


@owned.function
def print_years(years: Owned[list[int]]) -> None:
    for year in years.borrow():
        print(year)


def main() -> None:
    years = Owned([2001, 2002, 2003, 2004])
    print_years(years)
    try:
        print_years(years)  # type: ignore[use-after-move]  # the mistake this example shows
    except owned.UseAfterMoveError as error:
        print(f"caught: {error}")


if __name__ == "__main__":
    main()
