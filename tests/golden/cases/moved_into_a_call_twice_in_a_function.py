# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
# A golden case (tests/test_golden.py): its error must render the same on every Python.
import owned
from owned import Owned


@owned.function
def take(years: Owned[list[int]]) -> int:
    return len(years.value)


def main() -> None:
    years = Owned([2001, 2002])
    take(years)
    take(years)


main()
