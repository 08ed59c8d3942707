# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
# A golden case (tests/test_golden.py): its error must render the same on every Python.
import owned
from owned import Owned, drop


@owned.function
def pair(left: Owned[int], right: Owned[int]) -> None:
    pass


def main() -> None:
    a = Owned(1)
    b = Owned(2)
    drop(a)
    pair(a, b)


main()
