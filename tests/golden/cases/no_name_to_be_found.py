# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
# A golden case (tests/test_golden.py): its error must render the same on every Python.
from owned import Owned


def main() -> None:
    items = [Owned(1)]
    items[0].drop()
    print(next(iter(items)).value)


main()
