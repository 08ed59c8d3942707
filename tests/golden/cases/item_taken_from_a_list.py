# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
# A golden case (tests/test_golden.py): its error must render the same on every Python.
import owned
from owned import Owned, drop


@owned.function
def pair(left: Owned[int], right: Owned[int]) -> None:
    pass


def main() -> None:
    items = [Owned(1), Owned(2)]
    a = items[0]
    drop(a)
    pair(a, items[1])


main()
