# A golden trace (tests/test_golden.py): the same annotations on every Python.
import owned
from owned import Owned


@owned.function
def total(numbers: Owned[list[int]]) -> int:
    with numbers.borrow() as view:
        count = sum(view)
    return count


def main() -> None:
    with owned.scope():
        years = Owned([2001, 2002])
        extra = Owned([1])
        extra.drop()
        left = Owned([7, 8])
        print(total(years))
        print(left.value)
    kept = Owned("kept")
    print(kept.value)


main()
